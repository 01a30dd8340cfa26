//! The unit of a write's timestamps: one [`Precision`] for every line, or — InfluxDB 3's
//! `precision=auto` — guessed for each line from the timestamp's magnitude.
//!
//! ```text
//! TimestampUnit::Fixed(p) ──► every timestamp × p.multiplier()
//! TimestampUnit::Auto     ──► |t| / 10⁹ < 5 ──► s · < 5 000 ──► ms · < 5 000 000 ──► us · else ns
//!                             (a date after 1970-01-01T00:00:05Z read in each unit; the rule
//!                             stops telling seconds from nanoseconds in 2128)
//! ```

use crate::Precision;

/// How a line's timestamp becomes nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimestampUnit {
    /// Every timestamp is in this precision.
    Fixed(Precision),
    /// Each timestamp's precision is guessed from its magnitude ([`Precision::guess`]).
    Auto,
}

impl Default for TimestampUnit {
    fn default() -> Self {
        Self::Fixed(Precision::Nanoseconds)
    }
}

impl From<Precision> for TimestampUnit {
    fn from(precision: Precision) -> Self {
        Self::Fixed(precision)
    }
}

impl TimestampUnit {
    /// Nanoseconds per unit of `timestamp`.
    #[inline]
    pub fn multiplier(self, timestamp: i64) -> i64 {
        match self {
            Self::Fixed(precision) => precision.multiplier(),
            Self::Auto => Precision::guess(timestamp).multiplier(),
        }
    }

    /// `now_ns` as a line without a timestamp gets it: rounded down (towards zero) to a whole
    /// unit for a fixed precision, unchanged for [`Self::Auto`] (InfluxDB 3's rule).
    pub fn truncate(self, now_ns: i64) -> i64 {
        match self {
            Self::Fixed(precision) => {
                let unit = precision.multiplier();
                now_ns / unit * unit
            }
            Self::Auto => now_ns,
        }
    }
}

impl Precision {
    /// The precision a timestamp most likely has: read as seconds, milliseconds, microseconds
    /// or nanoseconds, the first unit in which it lands after 1970-01-01T00:00:05Z (negative
    /// timestamps by their absolute value). InfluxDB 3's `precision=auto` rule.
    pub fn guess(timestamp: i64) -> Self {
        const NANOS_PER_SECOND: u64 = 1_000_000_000;
        match timestamp.unsigned_abs() / NANOS_PER_SECOND {
            0..5 => Self::Seconds,
            5..5_000 => Self::Milliseconds,
            5_000..5_000_000 => Self::Microseconds,
            _ => Self::Nanoseconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_guesses_the_unit_from_the_magnitude() {
        let second = 1_708_976_567_i64;
        for (timestamp, unit) in [
            (second, Precision::Seconds),
            (second * 1_000, Precision::Milliseconds),
            (second * 1_000_000, Precision::Microseconds),
            (second * 1_000_000_000, Precision::Nanoseconds),
            (-second, Precision::Seconds),
            (-second * 1_000_000_000, Precision::Nanoseconds),
            (0, Precision::Seconds),
            (4_999_999_999, Precision::Seconds),
            (5_000_000_000, Precision::Milliseconds),
            (4_999_999_999_999, Precision::Milliseconds),
            (5_000_000_000_000, Precision::Microseconds),
            (4_999_999_999_999_999, Precision::Microseconds),
            (5_000_000_000_000_000, Precision::Nanoseconds),
            (i64::MAX, Precision::Nanoseconds),
            (i64::MIN, Precision::Nanoseconds),
        ] {
            assert_eq!(Precision::guess(timestamp), unit, "{timestamp}");
            assert_eq!(
                TimestampUnit::Auto.multiplier(timestamp),
                unit.multiplier(),
                "{timestamp}"
            );
        }
        // The same instant in every unit comes out as the same nanoseconds.
        for t in [
            second,
            second * 1_000,
            second * 1_000_000,
            second * 1_000_000_000,
        ] {
            assert_eq!(
                t * TimestampUnit::Auto.multiplier(t),
                second * 1_000_000_000
            );
        }
    }

    #[test]
    fn a_guessed_multiplier_never_overflows() {
        for t in [4_999_999_999_i64, 4_999_999_999_999, 4_999_999_999_999_999] {
            let m = TimestampUnit::Auto.multiplier(t);
            assert!(
                t.checked_mul(m).is_some() && (-t).checked_mul(m).is_some(),
                "{t}"
            );
        }
    }

    #[test]
    fn fixed_units_and_the_default_time() {
        assert_eq!(TimestampUnit::default(), Precision::Nanoseconds.into());
        assert_eq!(
            TimestampUnit::Fixed(Precision::Seconds).multiplier(7),
            1_000_000_000
        );
        let now = 1_708_976_567_123_456_789;
        assert_eq!(
            TimestampUnit::Fixed(Precision::Seconds).truncate(now),
            1_708_976_567_000_000_000
        );
        assert_eq!(
            TimestampUnit::Fixed(Precision::Milliseconds).truncate(now),
            1_708_976_567_123_000_000
        );
        assert_eq!(
            TimestampUnit::Fixed(Precision::Nanoseconds).truncate(now),
            now
        );
        assert_eq!(TimestampUnit::Auto.truncate(now), now);
    }
}
