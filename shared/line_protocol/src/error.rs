//! Per-line parse errors: which line (1-based) and exactly what is wrong with it.

use thiserror::Error;

/// Longest excerpt of the input quoted in an error message, in characters.
pub const MAX_QUOTED_CHARS: usize = 50;

/// One rejected line. The parser continues with the next line, so a caller can collect them all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("error parsing line {line_number} (1-based): {kind}")]
pub struct LineError {
    /// 1-based physical line number where the rejected line starts (blank and comment lines
    /// count).
    pub line_number: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

impl LineError {
    /// The message without the `error parsing line N (1-based): ` prefix.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }
}

/// Everything that can be wrong with one line. Quoted input is cut to [`MAX_QUOTED_CHARS`]
/// characters (`…` marks a cut) and stays as written (escapes are not removed).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseErrorKind {
    /// The line starts with `,` (nothing before the tag set). Text as in InfluxDB IOx.
    #[error("Invalid measurement was provided")]
    InvalidMeasurement,
    /// Measurement (and tags) but no field set. Text as in InfluxDB IOx.
    #[error("No fields were provided")]
    NoFields,
    /// `m,=v …`, `m,,a=b …` or `m, f=1`.
    #[error("empty tag key at '{rest}'")]
    EmptyTagKey {
        /// The text from where the key should start.
        rest: String,
    },
    /// `m,host f=1` or `m,host= f=1`.
    #[error("tag '{key}' has no value")]
    TagWithoutValue {
        /// The tag key as written.
        key: String,
    },
    /// `m =1`, `m a=1,,b=2` or `m a=1, b=2`.
    #[error("empty field key at '{rest}'")]
    EmptyFieldKey {
        /// The text from where the key should start.
        rest: String,
    },
    /// `m f`, `m f=` or `m f=,g=1`.
    #[error("field '{key}' has no value")]
    FieldWithoutValue {
        /// The field key as written.
        key: String,
    },
    /// A value that is neither a number, a boolean nor a double-quoted string (`m f=abc`).
    #[error(
        "invalid value '{value}' for field '{key}': expected a number, a boolean or a double-quoted string"
    )]
    InvalidFieldValue {
        /// The field key as written.
        key: String,
        /// The value as written.
        value: String,
    },
    /// A value ending in `i` that is not `-?[0-9]+i`.
    #[error("invalid integer value '{value}' for field '{key}'")]
    InvalidInteger {
        /// The field key as written.
        key: String,
        /// The value as written (with its `i`).
        value: String,
    },
    /// `…i` outside `-9223372036854775808 ..= 9223372036854775807`.
    #[error(
        "integer value '{value}' for field '{key}' is out of range for a signed 64-bit integer"
    )]
    IntegerOutOfRange {
        /// The field key as written.
        key: String,
        /// The value as written (with its `i`).
        value: String,
    },
    /// A value ending in `u` that is not `[0-9]+u`.
    #[error("invalid unsigned integer value '{value}' for field '{key}'")]
    InvalidUnsigned {
        /// The field key as written.
        key: String,
        /// The value as written (with its `u`).
        value: String,
    },
    /// `…u` above `18446744073709551615`.
    #[error(
        "unsigned integer value '{value}' for field '{key}' is out of range for an unsigned 64-bit integer"
    )]
    UnsignedOutOfRange {
        /// The field key as written.
        key: String,
        /// The value as written (with its `u`).
        value: String,
    },
    /// A value starting like a number that is not a decimal float (`1.2.3`, `1e`, `-`, `NaN`…).
    #[error("invalid float value '{value}' for field '{key}'")]
    InvalidFloat {
        /// The field key as written.
        key: String,
        /// The value as written.
        value: String,
    },
    /// A float that rounds to infinity (`1e400`).
    #[error("float value '{value}' for field '{key}' is out of range for a 64-bit float")]
    FloatOutOfRange {
        /// The field key as written.
        key: String,
        /// The value as written.
        value: String,
    },
    /// A value starting with `t`, `T`, `f` or `F` that is not one of the ten boolean spellings.
    #[error(
        "invalid boolean value '{value}' for field '{key}': expected t, T, true, True, TRUE, f, F, false, False or FALSE"
    )]
    InvalidBoolean {
        /// The field key as written.
        key: String,
        /// The value as written.
        value: String,
    },
    /// `m s="abc` with no closing quote before the end of the input.
    #[error("unterminated string value for field '{key}'")]
    UnterminatedString {
        /// The field key as written.
        key: String,
    },
    /// `m s="abc"x`.
    #[error("unexpected text after the string value of field '{key}': '{rest}'")]
    TextAfterString {
        /// The field key as written.
        key: String,
        /// The text after the closing quote.
        rest: String,
    },
    /// A timestamp that is not `-?[0-9]+`.
    #[error("invalid timestamp '{value}': expected an integer")]
    InvalidTimestamp {
        /// The timestamp as written.
        value: String,
    },
    /// A timestamp outside the signed 64-bit range.
    #[error("timestamp '{value}' is out of range")]
    TimestampOutOfRange {
        /// The timestamp as written.
        value: String,
    },
    /// `m f=1 123 x`.
    #[error("unexpected text after the timestamp: '{rest}'")]
    TextAfterTimestamp {
        /// The text after the timestamp.
        rest: String,
    },
}

/// `text` cut to [`MAX_QUOTED_CHARS`] characters, with `…` appended when cut.
pub(crate) fn quote(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        None => text.to_owned(),
        Some((cut, _)) => {
            let mut s = String::with_capacity(cut + 3);
            s.push_str(&text[..cut]);
            s.push('…');
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_prefix_and_message_has_not() {
        let e = LineError {
            line_number: 42,
            kind: ParseErrorKind::NoFields,
        };
        assert_eq!(
            e.to_string(),
            "error parsing line 42 (1-based): No fields were provided"
        );
        assert_eq!(e.message(), "No fields were provided");
    }

    #[test]
    fn quote_cuts_on_char_boundaries() {
        assert_eq!(quote("abc"), "abc");
        let long: String = "é".repeat(60);
        let q = quote(&long);
        assert_eq!(q.chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(q.ends_with('…'));
        assert_eq!(quote(&"x".repeat(50)), "x".repeat(50));
    }
}
