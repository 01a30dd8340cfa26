//! Numbers: a fast path for short integers (what real data mostly holds) and a complete,
//! range-checked slow path that also serves as its reference.

use crate::scan::{ends_timestamp, ends_value};
use crate::types::FieldValue;

/// Why a numeric token was rejected (the parser adds the field key and the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberError {
    InvalidInteger,
    IntegerOutOfRange,
    InvalidUnsigned,
    UnsignedOutOfRange,
    InvalidFloat,
    FloatOutOfRange,
}

/// Why a timestamp was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimestampError {
    Invalid,
    OutOfRange,
}

/// Largest integer every `f64` represents exactly (2^53).
const F64_EXACT_LIMIT: u64 = 1 << 53;
/// Magnitude of `i64::MIN`.
const I64_MIN_MAGNITUDE: u64 = 1 << 63;

/// Accumulates up to 19 ASCII digits from `pos` (19 digits always fit a `u64`). Returns the
/// value and the position of the first byte not consumed.
#[inline(always)]
fn short_digits(bytes: &[u8], pos: usize) -> (u64, usize) {
    more_digits(bytes, pos, bytes.len().min(pos + 19), 0)
}

/// Continues `value` with the digits from `i`, one by one, up to `limit` (exclusive). Returns
/// the value and the position of the first byte not consumed. The caller keeps `limit` such
/// that the value cannot overflow.
#[inline(always)]
fn more_digits(bytes: &[u8], mut i: usize, limit: usize, mut value: u64) -> (u64, usize) {
    while i < limit {
        let d = bytes[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        value = value * 10 + d as u64;
        i += 1;
    }
    (value, i)
}

/// The value of the eight ASCII digits at `bytes[pos..pos + 8]`, or `None` when there are
/// fewer than eight bytes or one is not a digit. All eight at once (SWAR): subtract `'0'` from
/// every byte, check each is 0–9, then combine pairs, quads and the two halves.
#[inline(always)]
fn eight_digits(bytes: &[u8], pos: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(pos..pos + 8)?.try_into().ok()?;
    let digits = u64::from_le_bytes(chunk).wrapping_sub(0x3030_3030_3030_3030);
    // A byte below '0' wraps to 0xD0.. (bit 7); one above '9' reaches bit 7 once 0x76 is added.
    if (digits | digits.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080 != 0 {
        return None;
    }
    // The first digit is the lowest byte: fold neighbours as (first × 10 + second), twice more.
    let pairs = (digits.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    Some(quads.wrapping_mul(10_000 << 32 | 1) >> 32)
}

/// [`short_digits`] for long numbers (timestamps: 19 digits): up to two blocks of eight digits
/// at once, then digit by digit. Same result: at most 19 digits are taken.
#[inline(always)]
fn long_digits(bytes: &[u8], pos: usize) -> (u64, usize) {
    let mut value = 0u64;
    let mut i = pos;
    for _ in 0..2 {
        match eight_digits(bytes, i) {
            Some(block) => {
                value = value * 100_000_000 + block;
                i += 8;
            }
            None => break,
        }
    }
    // At most 16 digits so far (< 10^16): three more stay below 10^19 < u64::MAX.
    more_digits(bytes, i, bytes.len().min(pos + 19), value)
}

/// Fast path for a field value starting at `pos` with a digit or `-`: `-?[0-9]{1,19}` followed
/// by `i`, `u` or nothing, then a value end. Returns the value and the end position, or `None`
/// when the slow path must decide (longer numbers, floats with `.`/exponent, errors).
#[inline(always)]
pub(crate) fn fast_field_number(bytes: &[u8], pos: usize) -> Option<(FieldValue<'static>, usize)> {
    let negative = bytes[pos] == b'-';
    let digits_start = pos + negative as usize;
    let (magnitude, end) = short_digits(bytes, digits_start);
    if end == digits_start {
        return None;
    }
    match bytes.get(end) {
        Some(b'i') if ends_value(bytes, end + 1) => {
            let value = if negative {
                if magnitude > I64_MIN_MAGNITUDE {
                    return None;
                }
                (magnitude as i64).wrapping_neg()
            } else {
                if magnitude > i64::MAX as u64 {
                    return None;
                }
                magnitude as i64
            };
            Some((FieldValue::I64(value), end + 1))
        }
        Some(b'u') if !negative && ends_value(bytes, end + 1) => {
            Some((FieldValue::U64(magnitude), end + 1))
        }
        _ if magnitude < F64_EXACT_LIMIT && ends_value(bytes, end) => {
            let value = magnitude as f64;
            Some((FieldValue::F64(if negative { -value } else { value }), end))
        }
        _ => None,
    }
}

/// Complete parse of an unquoted numeric token (the whole value as written): `…i` integer,
/// `…u` unsigned, otherwise a decimal float.
pub(crate) fn parse_number_token(token: &str) -> Result<FieldValue<'static>, NumberError> {
    let bytes = token.as_bytes();
    match bytes.last() {
        Some(b'i') => parse_i64(&bytes[..bytes.len() - 1])
            .map(FieldValue::I64)
            .map_err(|overflow| {
                if overflow {
                    NumberError::IntegerOutOfRange
                } else {
                    NumberError::InvalidInteger
                }
            }),
        Some(b'u') => {
            let digits = &bytes[..bytes.len() - 1];
            match parse_digits(digits) {
                Some(Ok(v)) => Ok(FieldValue::U64(v)),
                Some(Err(())) => Err(NumberError::UnsignedOutOfRange),
                None => Err(NumberError::InvalidUnsigned),
            }
        }
        _ => parse_f64(token).map(FieldValue::F64),
    }
}

/// `[0-9]+` → `Some(Ok(value))`, `Some(Err(()))` on overflow, `None` when not all digits.
fn parse_digits(digits: &[u8]) -> Option<Result<u64, ()>> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value = 0u64;
    for &d in digits {
        let Some(v) = value
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
        else {
            return Some(Err(()));
        };
        value = v;
    }
    Some(Ok(value))
}

/// `-?[0-9]+` as an `i64`; `Err(true)` on overflow, `Err(false)` when malformed.
fn parse_i64(text: &[u8]) -> Result<i64, bool> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    match parse_digits(digits) {
        None => Err(false),
        Some(Err(())) => Err(true),
        Some(Ok(m)) if negative && m <= I64_MIN_MAGNITUDE => Ok((m as i64).wrapping_neg()),
        Some(Ok(m)) if !negative && m <= i64::MAX as u64 => Ok(m as i64),
        Some(Ok(_)) => Err(true),
    }
}

/// A decimal float: `-?` digits with an optional `.` (at least one digit in all), then an
/// optional exponent `[eE][+-]?[0-9]+`. `inf`, `NaN` and a leading `+` are rejected; a value
/// that rounds to infinity is out of range.
fn parse_f64(token: &str) -> Result<f64, NumberError> {
    let b = token.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut mantissa_digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        mantissa_digits += i - frac_start;
    }
    if mantissa_digits == 0 {
        return Err(NumberError::InvalidFloat);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return Err(NumberError::InvalidFloat);
        }
    }
    if i != b.len() {
        return Err(NumberError::InvalidFloat);
    }
    let value: f64 = token.parse().map_err(|_| NumberError::InvalidFloat)?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(NumberError::FloatOutOfRange)
    }
}

/// Parses the timestamp starting at `pos`; returns it and the end position. The token ends
/// at a space or the line end.
#[inline(always)]
pub(crate) fn parse_timestamp(
    bytes: &[u8],
    pos: usize,
) -> Result<(i64, usize), (TimestampError, usize)> {
    let negative = bytes.get(pos) == Some(&b'-');
    let digits_start = pos + negative as usize;
    let (magnitude, end) = long_digits(bytes, digits_start);
    if end > digits_start && ends_timestamp(bytes, end) {
        if negative && magnitude <= I64_MIN_MAGNITUDE {
            return Ok(((magnitude as i64).wrapping_neg(), end));
        }
        if !negative && magnitude <= i64::MAX as u64 {
            return Ok((magnitude as i64, end));
        }
        return Err((TimestampError::OutOfRange, end));
    }
    // slow path: long or malformed
    let mut token_end = end;
    while !ends_timestamp(bytes, token_end) {
        token_end += 1;
    }
    match parse_i64(&bytes[pos..token_end]) {
        Ok(v) => Ok((v, token_end)),
        Err(true) => Err((TimestampError::OutOfRange, token_end)),
        Err(false) => Err((TimestampError::Invalid, token_end)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slow(token: &str) -> Result<FieldValue<'static>, NumberError> {
        parse_number_token(token)
    }

    #[test]
    fn eight_digits_takes_exactly_eight_digits() {
        assert_eq!(eight_digits(b"12345678", 0), Some(12_345_678));
        assert_eq!(eight_digits(b"00000000", 0), Some(0));
        assert_eq!(eight_digits(b"99999999x", 0), Some(99_999_999));
        assert_eq!(eight_digits(b"x14516064", 1), Some(14_516_064));
        assert_eq!(eight_digits(b"1234567", 0), None);
        for bad in [b'/', b':', b' ', b'i', 0, 0x80, 0xFF] {
            for lane in 0..8 {
                let mut chunk = *b"12345678";
                chunk[lane] = bad;
                assert_eq!(eight_digits(&chunk, 0), None, "byte {bad} in lane {lane}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn long_digits_is_short_digits(
            text in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => b'0'..=b'9',
                    1 => proptest::num::u8::ANY,
                ],
                0..30,
            ),
            start in 0usize..30,
        ) {
            let start = start.min(text.len());
            proptest::prop_assert_eq!(long_digits(&text, start), short_digits(&text, start));
        }
    }

    #[test]
    fn integers() {
        assert_eq!(slow("0i"), Ok(FieldValue::I64(0)));
        assert_eq!(slow("-0i"), Ok(FieldValue::I64(0)));
        assert_eq!(slow("9223372036854775807i"), Ok(FieldValue::I64(i64::MAX)));
        assert_eq!(slow("-9223372036854775808i"), Ok(FieldValue::I64(i64::MIN)));
        assert_eq!(
            slow("9223372036854775808i"),
            Err(NumberError::IntegerOutOfRange)
        );
        assert_eq!(
            slow("-9223372036854775809i"),
            Err(NumberError::IntegerOutOfRange)
        );
        assert_eq!(
            slow("99999999999999999999999i"),
            Err(NumberError::IntegerOutOfRange)
        );
        for bad in ["i", "-i", "+1i", "1.5i", "1e3i", "12xi", "--1i", " 1i"] {
            assert_eq!(slow(bad), Err(NumberError::InvalidInteger), "{bad}");
        }
    }

    #[test]
    fn unsigned() {
        assert_eq!(slow("0u"), Ok(FieldValue::U64(0)));
        assert_eq!(slow("18446744073709551615u"), Ok(FieldValue::U64(u64::MAX)));
        assert_eq!(
            slow("18446744073709551616u"),
            Err(NumberError::UnsignedOutOfRange)
        );
        for bad in ["u", "-1u", "-0u", "+1u", "1.0u", "1xu"] {
            assert_eq!(slow(bad), Err(NumberError::InvalidUnsigned), "{bad}");
        }
    }

    #[test]
    fn floats() {
        let ok = [
            ("1", 1.0),
            ("-1", -1.0),
            ("1.5", 1.5),
            ("1.", 1.0),
            (".5", 0.5),
            ("-.5", -0.5),
            ("1e10", 1e10),
            ("-1.5E-3", -1.5e-3),
            ("1.e2", 100.0),
            ("2E+3", 2000.0),
            ("007", 7.0),
            ("1e-400", 0.0),
            ("1.7976931348623157e308", f64::MAX),
            ("123456789012345678901234567890", 1.2345678901234568e29),
        ];
        for (text, want) in ok {
            assert_eq!(slow(text), Ok(FieldValue::F64(want)), "{text}");
        }
        let FieldValue::F64(neg_zero) = slow("-0").unwrap() else {
            panic!()
        };
        assert!(neg_zero == 0.0 && neg_zero.is_sign_negative());
        for bad in [
            "-", ".", "-.", "1.2.3", "1e", "1e+", "e5", ".e5", "1x", "+1", "NaN", "nan", "inf",
            "-inf", "infinity", "1_000", "0x10", "1e5.5", "1ee5", "1.5 ",
        ] {
            assert_eq!(slow(bad), Err(NumberError::InvalidFloat), "{bad}");
        }
        assert_eq!(slow("1e400"), Err(NumberError::FloatOutOfRange));
        assert_eq!(slow("-1e309"), Err(NumberError::FloatOutOfRange));
    }

    #[test]
    fn fast_path_agrees_with_slow_path() {
        let tokens = [
            "0",
            "-0",
            "1",
            "58",
            "-58",
            "58i",
            "-58i",
            "58u",
            "9007199254740991",
            "9007199254740992",
            "9223372036854775807i",
            "9223372036854775808i",
            "-9223372036854775808i",
            "9999999999999999999i",
            "9999999999999999999u",
            "9999999999999999999",
            "18446744073709551615u",
            "1.5",
            "1e3",
            "-1u",
            "12x",
            "1i5",
            "-",
        ];
        for token in tokens {
            for suffix in ["", ",", " ", "\n", "\r\n"] {
                let text = format!("{token}{suffix}");
                let bytes = text.as_bytes();
                if let Some((value, end)) = fast_field_number(bytes, 0) {
                    assert_eq!(end, token.len(), "{text:?}");
                    assert_eq!(Ok(value), slow(token), "{text:?}");
                }
            }
        }
        // the fast path takes the common shapes
        assert_eq!(
            fast_field_number(b"58i,", 0),
            Some((FieldValue::I64(58), 3))
        );
        assert_eq!(fast_field_number(b"7u", 0), Some((FieldValue::U64(7), 2)));
        assert_eq!(
            fast_field_number(b"-7 ", 0),
            Some((FieldValue::F64(-7.0), 2))
        );
        assert_eq!(fast_field_number(b"7x", 0), None);
    }

    #[test]
    fn timestamps() {
        let cases: [(&str, Result<i64, TimestampError>); 11] = [
            ("1451606400000000000", Ok(1451606400000000000)),
            ("0", Ok(0)),
            ("-1", Ok(-1)),
            ("9223372036854775807", Ok(i64::MAX)),
            ("-9223372036854775808", Ok(i64::MIN)),
            ("9223372036854775808", Err(TimestampError::OutOfRange)),
            ("99999999999999999999", Err(TimestampError::OutOfRange)),
            ("00000000000000000000042", Ok(42)),
            ("12a", Err(TimestampError::Invalid)),
            ("-", Err(TimestampError::Invalid)),
            ("-9999999999999999999", Err(TimestampError::OutOfRange)),
        ];
        for (text, want) in cases {
            for suffix in ["", " ", "\n", "\r\n", "\r"] {
                let full = format!("{text}{suffix}");
                let got = parse_timestamp(full.as_bytes(), 0);
                match (&got, &want) {
                    (Ok((v, end)), Ok(w)) => assert_eq!((*v, *end), (*w, text.len()), "{full:?}"),
                    (Err((e, end)), Err(w)) => assert_eq!((*e, *end), (*w, text.len()), "{full:?}"),
                    _ => panic!("{full:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        // `\r` inside a token is data, so it makes the timestamp invalid
        assert_eq!(
            parse_timestamp(b"12\rx", 0),
            Err((TimestampError::Invalid, 4))
        );
    }
}
