//! Go's text for scalars, as `encoding/json` and `strconv` write them.
//!
//! ```text
//! f64 ──► json_float  (shortest digits; 'f' unless |x| < 1e-6 or ≥ 1e21, then 'e' with
//!                      Go's exponent: e-7, e+21)
//! f64 ──► plain_float (strconv 'f', -1: never an exponent; NaN, +Inf, -Inf)
//! &str ──► json_string (quotes; \" \\ \n \r \t; other controls, < > &, U+2028/9 as \u....)
//! ```
//!
//! Rust's `{}` and `{:e}` give the same shortest round-trip digits as Go's `-1` precision;
//! only the layout around them differs.

use std::fmt::Write as _;

/// Writes a finite float as Go's `encoding/json` does (Go ≥ 1.8).
pub(crate) fn json_float(out: &mut String, f: f64) {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((text.as_str(), "0"));
        out.push_str(mantissa);
        out.push('e');
        if let Some(digits) = exponent.strip_prefix('-') {
            // Go prints e-07 and encoding/json trims it to e-7: Rust's digits already are.
            out.push('-');
            out.push_str(digits);
        } else {
            out.push('+');
            if exponent.len() < 2 {
                out.push('0');
            }
            out.push_str(exponent);
        }
    } else {
        let _ = write!(out, "{f}");
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` for the values JSON cannot carry.
pub(crate) fn non_finite(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    }
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`.
pub(crate) fn plain_float(f: f64) -> String {
    if f.is_finite() {
        format!("{f}")
    } else {
        non_finite(f).to_owned()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes `s` as a JSON string literal the way Go's `encoding/json` does with HTML escaping
/// on (its default for `json.Marshal`).
pub(crate) fn json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{2028}' => Some("\\u2028"),
            '\u{2029}' => Some("\\u2029"),
            c if (c as u32) < 0x20 || c == '<' || c == '>' || c == '&' => Some(""),
            _ => None,
        };
        let Some(escape) = escape else { continue };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let b = c as u32 as usize;
            out.push_str("\\u00");
            out.push(char::from(HEX[b >> 4]));
            out.push(char::from(HEX[b & 0xf]));
        } else {
            out.push_str(escape);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jf(f: f64) -> String {
        let mut s = String::new();
        json_float(&mut s, f);
        s
    }

    fn js(v: &str) -> String {
        let mut s = String::new();
        json_string(&mut s, v);
        s
    }

    #[test]
    fn json_floats_as_go() {
        assert_eq!(jf(86.0), "86");
        assert_eq!(jf(56.42274999999999), "56.42274999999999");
        assert_eq!(jf(0.1), "0.1");
        assert_eq!(jf(-0.0), "-0");
        assert_eq!(jf(0.0), "0");
        assert_eq!(jf(1e-6), "0.000001");
        assert_eq!(jf(1e-7), "1e-7");
        assert_eq!(jf(1.5e-7), "1.5e-7");
        assert_eq!(jf(-2.5e-10), "-2.5e-10");
        assert_eq!(jf(1e-100), "1e-100");
        assert_eq!(jf(1e20), "100000000000000000000");
        assert_eq!(jf(1e21), "1e+21");
        assert_eq!(jf(1.2345e22), "1.2345e+22");
        assert_eq!(jf(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(jf(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        assert_eq!(jf(5e-324), "5e-324");
        assert_eq!(jf(123456789.125), "123456789.125");
    }

    proptest::proptest! {
        #[test]
        fn json_floats_round_trip_in_go_layout(bits in proptest::num::u64::ANY) {
            let f = f64::from_bits(bits);
            proptest::prop_assume!(f.is_finite());
            let text = jf(f);
            proptest::prop_assert_eq!(text.parse::<f64>().ok(), Some(f));
            let abs = f.abs();
            let exponent = abs != 0.0 && !(1e-6..1e21).contains(&abs);
            proptest::prop_assert_eq!(text.contains('e'), exponent);
            if exponent && abs >= 1.0 {
                proptest::prop_assert!(text.contains("e+"));
            }
            proptest::prop_assert_eq!(plain_float(f).parse::<f64>().ok(), Some(f));
            proptest::prop_assert!(!plain_float(f).contains('e'));
        }
    }

    #[test]
    fn plain_floats_as_strconv_f() {
        assert_eq!(plain_float(61.11), "61.11");
        assert_eq!(plain_float(1e21), "1000000000000000000000");
        assert_eq!(plain_float(1e-7), "0.0000001");
        assert_eq!(plain_float(f64::NAN), "NaN");
        assert_eq!(plain_float(f64::INFINITY), "+Inf");
        assert_eq!(plain_float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(plain_float(-0.0), "-0");
    }

    #[test]
    fn strings_as_go() {
        assert_eq!(js("quo\"te"), r#""quo\"te""#);
        assert_eq!(js("a\\b"), r#""a\\b""#);
        assert_eq!(js("<a&b>"), r#""\u003ca\u0026b\u003e""#);
        assert_eq!(js("l\nr\rt\t"), r#""l\nr\rt\t""#);
        assert_eq!(js("\u{8}\u{c}\u{1}\u{1f}"), r#""\u0008\u000c\u0001\u001f""#);
        assert_eq!(js("\u{2028}x\u{2029}"), r#""\u2028x\u2029""#);
        assert_eq!(js("é日本\u{7f}/"), "\"é日本\u{7f}/\"");
        assert_eq!(js(""), r#""""#);
    }
}
