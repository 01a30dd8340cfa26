//! The `epoch` parameter: how `time` values are written when the client asks for integers.
//!
//! ```text
//! "epoch" form value ──► trim ──► Epoch::from_param ──► Option<Epoch>
//! Value::Time(ns) in a row's first column ──► Epoch::convert ──► ns / unit (Go integer division)
//! ```
//!
//! 1.x's `convertToEpoch` knows `u`, `ms`, `s`, `m` and `h`; every other non-empty value
//! (`ns`, but also `µ`, `n` or `xx`) leaves nanoseconds: integers all the same (recording
//! `err_bad_epoch`).

/// The unit of integer timestamps asked for by `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Epoch {
    /// Nanoseconds: `ns` and every value 1.x does not know (`µ` included).
    Nanosecond,
    /// `u`.
    Microsecond,
    /// `ms`.
    Millisecond,
    /// `s`.
    Second,
    /// `m`.
    Minute,
    /// `h`.
    Hour,
}

impl Epoch {
    /// Reads the `epoch` parameter as 1.x does: surrounding white space trimmed, empty means
    /// RFC 3339 strings (`None`), unknown units mean nanoseconds.
    pub fn from_param(raw: &str) -> Option<Self> {
        match raw.trim() {
            "" => None,
            "u" => Some(Self::Microsecond),
            "ms" => Some(Self::Millisecond),
            "s" => Some(Self::Second),
            "m" => Some(Self::Minute),
            "h" => Some(Self::Hour),
            _ => Some(Self::Nanosecond),
        }
    }

    /// Nanoseconds in one unit.
    pub fn divisor(self) -> i64 {
        match self {
            Self::Nanosecond => 1,
            Self::Microsecond => 1_000,
            Self::Millisecond => 1_000_000,
            Self::Second => 1_000_000_000,
            Self::Minute => 60_000_000_000,
            Self::Hour => 3_600_000_000_000,
        }
    }

    /// Nanoseconds since the epoch in this unit, truncated toward zero as Go's `/` does.
    pub fn convert(self, ns: i64) -> i64 {
        ns / self.divisor()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_as_1x_reads_them() {
        assert_eq!(Epoch::from_param(""), None);
        assert_eq!(Epoch::from_param("  "), None);
        assert_eq!(Epoch::from_param(" s "), Some(Epoch::Second));
        assert_eq!(Epoch::from_param("u"), Some(Epoch::Microsecond));
        assert_eq!(Epoch::from_param("ms"), Some(Epoch::Millisecond));
        assert_eq!(Epoch::from_param("m"), Some(Epoch::Minute));
        assert_eq!(Epoch::from_param("h"), Some(Epoch::Hour));
        assert_eq!(Epoch::from_param("ns"), Some(Epoch::Nanosecond));
        assert_eq!(Epoch::from_param("µ"), Some(Epoch::Nanosecond));
        assert_eq!(Epoch::from_param("xx"), Some(Epoch::Nanosecond));
        assert_eq!(Epoch::from_param("S"), Some(Epoch::Nanosecond));
    }

    #[test]
    fn conversion_truncates_toward_zero() {
        assert_eq!(
            Epoch::Second.convert(1_795_219_200_123_456_789),
            1_795_219_200
        );
        assert_eq!(
            Epoch::Millisecond.convert(1_795_219_200_123_456_789),
            1_795_219_200_123
        );
        assert_eq!(Epoch::Microsecond.convert(1_500), 1);
        assert_eq!(Epoch::Second.convert(-1_500_000_000), -1);
        assert_eq!(Epoch::Minute.convert(-59_999_999_999), 0);
        assert_eq!(Epoch::Hour.convert(7_200_000_000_000), 2);
        assert_eq!(Epoch::Nanosecond.convert(-5), -5);
    }
}
