//! Timestamps as Go's `time.Time.MarshalJSON` writes them (RFC 3339 with nanoseconds).
//!
//! ```text
//! ns since epoch + Zone (statement's tz(), IANA name via chrono-tz; UTC when absent/unknown)
//!   ──► local wall clock ──► YYYY-MM-DDTHH:MM:SS[.fraction, trailing zeros trimmed]
//!       then "Z" when the offset is zero, else ±HH:MM (seconds of the offset dropped, as Go)
//! ```

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Offset, Timelike, Utc};
use chrono_tz::Tz;

/// Where RFC 3339 times of one statement are written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Zone {
    /// UTC: `Z`.
    Utc,
    /// An IANA zone.
    Named(Tz),
}

impl Zone {
    /// The zone of a statement's `location`; an absent or unknown name is UTC.
    pub(crate) fn from_location(location: Option<&str>) -> Self {
        match location.map(str::parse::<Tz>) {
            Some(Ok(tz)) => Self::Named(tz),
            _ => Self::Utc,
        }
    }
}

/// Writes `ns` as Go's RFC3339Nano text in `zone`.
pub(crate) fn write_rfc3339_nano(out: &mut String, ns: i64, zone: Zone) {
    let utc: DateTime<Utc> = DateTime::from_timestamp_nanos(ns);
    let (local, offset) = match zone {
        Zone::Utc => (utc.naive_utc(), 0),
        Zone::Named(tz) => {
            let t = utc.with_timezone(&tz);
            (t.naive_local(), t.offset().fix().local_minus_utc())
        }
    };
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    let nanos = local.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    if offset == 0 {
        out.push('Z');
    } else {
        let minutes = offset / 60;
        out.push(if minutes < 0 { '-' } else { '+' });
        let minutes = minutes.abs();
        let _ = write!(out, "{:02}:{:02}", minutes / 60, minutes % 60);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ns: i64, location: Option<&str>) -> String {
        let mut s = String::new();
        write_rfc3339_nano(&mut s, ns, Zone::from_location(location));
        s
    }

    #[test]
    fn utc_with_trimmed_fraction() {
        assert_eq!(fmt(0, None), "1970-01-01T00:00:00Z");
        assert_eq!(fmt(1_795_219_200_000_000_000, None), "2026-11-21T00:00:00Z");
        assert_eq!(
            fmt(1_795_230_852_654_364_771, None),
            "2026-11-21T03:14:12.654364771Z"
        );
        assert_eq!(fmt(1_500_000_000, None), "1970-01-01T00:00:01.5Z");
        assert_eq!(fmt(10, None), "1970-01-01T00:00:00.00000001Z");
    }

    #[test]
    fn before_1970() {
        assert_eq!(fmt(-1, None), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(fmt(-1_000_000_000, None), "1969-12-31T23:59:59Z");
        assert_eq!(fmt(i64::MIN, None), "1677-09-21T00:12:43.145224192Z");
        assert_eq!(fmt(i64::MAX, None), "2262-04-11T23:47:16.854775807Z");
    }

    #[test]
    fn named_zones() {
        assert_eq!(
            fmt(1_795_219_200_000_000_000, Some("Europe/Paris")),
            "2026-11-21T01:00:00+01:00"
        );
        assert_eq!(
            fmt(1_795_219_200_000_000_000, Some("America/New_York")),
            "2026-11-20T19:00:00-05:00"
        );
        assert_eq!(
            fmt(1_795_219_200_000_000_000, Some("Asia/Kolkata")),
            "2026-11-21T05:30:00+05:30"
        );
        // Zero offset in a named zone is still "Z", as Go's Z07:00 writes it.
        assert_eq!(
            fmt(1_795_219_200_000_000_000, Some("Europe/London")),
            "2026-11-21T00:00:00Z"
        );
        assert_eq!(fmt(0, Some("No/Such_Zone")), "1970-01-01T00:00:00Z");
    }
}
