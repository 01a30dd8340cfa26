//! Durations and time literals as InfluxQL 1.x reads and writes them, in nanoseconds.
//!
//! ```text
//! "1h30m" ──► parse_duration ──► 5_400_000_000_000 ──► format_duration ──► "90m"
//! "2026-11-21T00:00:00Z" / "2026-11-21 00:00:00" / "2026-11-21" ──► parse_time_literal ──► ns since epoch (UTC)
//! ```
//!
//! Duration units: `ns`, `u`/`µ` (microseconds), `ms`, `s`, `m`, `h`, `d`, `w`; several
//! `<integer><unit>` parts add up (`1h30m`). The sum is computed with 1.x's wrapping
//! arithmetic and refused when it ends up negative ("overflowed duration …").

use chrono::{NaiveDate, NaiveDateTime, TimeZone};

const NS: i64 = 1;
const US: i64 = 1_000;
const MS: i64 = 1_000_000;
const SECOND: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;

/// Parses a 1.x duration literal (`10m`, `1h30m`, `-5s`, `100ns`, `3µ`) into nanoseconds;
/// `None` when it is not one (or overflows).
pub fn parse_duration(s: &str) -> Option<i64> {
    parse_duration_checked(s).ok()
}

/// [`parse_duration`] with 1.x's error texts: `invalid duration`, or
/// `overflowed duration 15251w: choose a smaller duration or INF`.
pub(crate) fn parse_duration_checked(s: &str) -> Result<i64, String> {
    const INVALID: &str = "invalid duration";
    if s.len() < 2 {
        return Err(INVALID.to_owned());
    }
    let a: Vec<char> = s.chars().collect();
    let mut i = 0;
    let negative = a[0] == '-';
    if negative {
        i += 1;
    }
    let mut d: i64 = 0;
    let mut measure: i64 = 0;
    let mut unit = String::new();
    while i < a.len() {
        let start = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        if i >= a.len() || i == start {
            return Err(INVALID.to_owned());
        }
        let digits: String = a[start..i].iter().collect();
        let n: i64 = digits.parse().map_err(|_| INVALID.to_owned())?;
        measure = n;
        unit = a[i].to_string();
        let scale = match a[i] {
            'n' if a.get(i + 1) == Some(&'s') => {
                unit.push('s');
                i += 1;
                NS
            }
            'u' | 'µ' => US,
            'm' if a.get(i + 1) == Some(&'s') => {
                unit.push('s');
                i += 1;
                MS
            }
            'm' => MINUTE,
            's' => SECOND,
            'h' => HOUR,
            'd' => DAY,
            'w' => WEEK,
            _ => return Err(INVALID.to_owned()),
        };
        d = d.wrapping_add(n.wrapping_mul(scale));
        i += 1;
    }
    if d < 0 && !negative {
        return Err(format!(
            "overflowed duration {measure}{unit}: choose a smaller duration or INF"
        ));
    }
    Ok(if negative { d.wrapping_neg() } else { d })
}

/// Formats nanoseconds as 1.x does: the largest unit that divides the value exactly
/// (`w`, `d`, `h`, `m`, `s`, `ms`, `u`, `ns`); `0s` for zero.
pub fn format_duration(d: i64) -> String {
    if d == 0 {
        return "0s".to_owned();
    }
    for (unit, name) in [
        (WEEK, "w"),
        (DAY, "d"),
        (HOUR, "h"),
        (MINUTE, "m"),
        (SECOND, "s"),
        (MS, "ms"),
        (US, "u"),
    ] {
        if d % unit == 0 {
            return format!("{}{name}", d / unit);
        }
    }
    format!("{d}ns")
}

/// Parses the string forms 1.x accepts for a time in a comparison (`time > '…'`), in UTC:
/// RFC 3339 with optional fraction (`2026-11-21T00:00:00Z`, `…T01:00:00.5+01:00`),
/// `2026-11-21 15:04:05[.fraction]` and `2026-11-21`. Nanoseconds since the epoch.
pub fn parse_time_literal(s: &str) -> Option<i64> {
    parse_time_literal_in(s, &chrono_tz::UTC)
}

/// [`parse_time_literal`] with the forms that carry no offset read in `tz` (the query's
/// `tz('…')`), as 1.x's `ParseInLocation` does.
pub fn parse_time_literal_in(s: &str, tz: &chrono_tz::Tz) -> Option<i64> {
    let b = s.as_bytes();
    let date = parse_date(b)?;
    if b.len() == 10 {
        let local = date.and_hms_opt(0, 0, 0)?;
        return local_to_ns(local, tz);
    }
    let sep = *b.get(10)?;
    let (h, m, sec) = (two_digits(b, 11)?, two_digits(b, 14)?, two_digits(b, 17)?);
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let mut digits = s[start..i.min(start + 9)].to_owned();
        while digits.len() < 9 {
            digits.push('0');
        }
        nanos = digits.parse().ok()?;
    }
    let time = date.and_hms_nano_opt(u32::from(h), u32::from(m), u32::from(sec), nanos)?;
    match sep {
        b' ' if i == b.len() => local_to_ns(time, tz),
        b'T' => {
            let offset_secs: i64 = match &b[i..] {
                [b'Z'] => 0,
                [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                    let oh = i64::from(two_digits(b, i + 1)?);
                    let om = i64::from(two_digits(b, i + 4)?);
                    if oh > 23 || om > 59 {
                        return None;
                    }
                    let v = oh * 3600 + om * 60;
                    if *sign == b'-' { -v } else { v }
                }
                _ => return None,
            };
            let utc = time.and_utc().timestamp_nanos_opt()?;
            utc.checked_sub(offset_secs.checked_mul(SECOND)?)
        }
        _ => None,
    }
}

fn parse_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::from(two_digits(b, 0)?) * 100 + i32::from(two_digits(b, 2)?);
    NaiveDate::from_ymd_opt(
        year,
        u32::from(two_digits(b, 5)?),
        u32::from(two_digits(b, 8)?),
    )
}

fn two_digits(b: &[u8], at: usize) -> Option<u8> {
    let (x, y) = (*b.get(at)?, *b.get(at + 1)?);
    (x.is_ascii_digit() && y.is_ascii_digit()).then(|| (x - b'0') * 10 + (y - b'0'))
}

fn local_to_ns(local: NaiveDateTime, tz: &chrono_tz::Tz) -> Option<i64> {
    // Go's ParseInLocation picks the earlier instant of an ambiguous local time.
    let t = tz.from_local_datetime(&local).earliest()?;
    t.timestamp_nanos_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_1x() {
        assert_eq!(parse_duration("10m"), Some(10 * MINUTE));
        assert_eq!(parse_duration("1h30m"), Some(90 * MINUTE));
        assert_eq!(parse_duration("100ns"), Some(100));
        assert_eq!(parse_duration("3u"), Some(3_000));
        assert_eq!(parse_duration("3µ"), Some(3_000));
        assert_eq!(parse_duration("5ms"), Some(5 * MS));
        assert_eq!(parse_duration("2d"), Some(2 * DAY));
        assert_eq!(parse_duration("1w"), Some(WEEK));
        assert_eq!(parse_duration("-5s"), Some(-5 * SECOND));
        for bad in ["", "1", "s", "1x", "1n", "1hx", "1mss", "h1", "1.5h", "10"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(
            parse_duration_checked("15251w").unwrap_err(),
            "overflowed duration 15251w: choose a smaller duration or INF"
        );
    }

    #[test]
    fn durations_format_as_1x() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(3), "3ns");
        assert_eq!(format_duration(1_000), "1u");
        assert_eq!(format_duration(1_500), "1500ns");
        assert_eq!(format_duration(2 * MS), "2ms");
        assert_eq!(format_duration(90 * MINUTE), "90m");
        assert_eq!(format_duration(2 * HOUR), "2h");
        assert_eq!(format_duration(DAY), "1d");
        assert_eq!(format_duration(14 * DAY), "2w");
        assert_eq!(format_duration(-10 * MINUTE), "-10m");
        for d in [1, 999, 1_000_001, i64::MAX, i64::MIN + 1, 7 * DAY + 1] {
            assert_eq!(parse_duration(&format_duration(d)), Some(d), "{d}");
        }
    }

    #[test]
    fn time_literals() {
        let t0 = 1_795_219_200 * SECOND; // 2026-11-21T00:00:00Z
        assert_eq!(parse_time_literal("2026-11-21T00:00:00Z"), Some(t0));
        assert_eq!(parse_time_literal("2026-11-21"), Some(t0));
        assert_eq!(parse_time_literal("2026-11-21 00:00:00"), Some(t0));
        assert_eq!(
            parse_time_literal("2026-11-21 00:00:00.123456789"),
            Some(t0 + 123_456_789)
        );
        assert_eq!(
            parse_time_literal("2026-11-21T01:00:00.5+01:00"),
            Some(t0 + 500 * MS)
        );
        assert_eq!(parse_time_literal("2026-11-20T19:00:00-05:00"), Some(t0));
        for bad in [
            "2026-13-01",
            "2026-11-21T00:00:00",
            "2026-11-21 00:00",
            "26-11-21",
            "2026-11-21x",
            "now()",
            "2026-11-21T25:00:00Z",
        ] {
            assert_eq!(parse_time_literal(bad), None, "{bad}");
        }
        let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
        assert_eq!(parse_time_literal_in("2026-11-20 19:00:00", &ny), Some(t0));
    }
}
