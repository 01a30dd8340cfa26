//! Per-line rejections: why a line of a write was not converted.

use std::fmt;

use line_protocol::ParseErrorKind;

use crate::column_type::InfluxColumnType;

/// Why one line was rejected. `Display` gives the message without the line prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineErrorKind {
    /// The line protocol parser rejected the line.
    #[error("{0}")]
    Parse(ParseErrorKind),
    /// The timestamp times the precision multiplier does not fit in an i64 of nanoseconds.
    #[error(
        "timestamp overflows i64: {timestamp} × {multiplier} ns (the request's precision) is out of range"
    )]
    TimestampOverflow {
        /// Timestamp as written.
        timestamp: i64,
        /// Nanoseconds per unit of the request's precision.
        multiplier: i64,
    },
    /// A column is used with another type than the one earlier lines of the write gave it.
    #[error(
        "schema conflict: table {table}, column {column} is type {existing} but write has type {write}"
    )]
    SchemaConflict {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
        /// Type fixed by an earlier line.
        existing: InfluxColumnType,
        /// Type this line uses.
        write: InfluxColumnType,
    },
    /// One line uses the same name for a tag and a field.
    #[error("the name '{name}' is used for both a tag and a field")]
    TagAndField {
        /// The shared name.
        name: String,
    },
    /// A tag or field is named `time`, which is reserved for the timestamp column.
    #[error("the {role} name 'time' is reserved for the timestamp column")]
    ReservedTimeColumn {
        /// `tag` or `field`.
        role: &'static str,
    },
    /// The same tag key twice in one line with different values.
    #[error("the tag '{name}' is specified more than once with conflicting values")]
    DuplicateTag {
        /// Tag key.
        name: String,
    },
    /// The same field key twice in one line with values of different types.
    #[error("the field '{name}' is specified more than once with conflicting types")]
    DuplicateField {
        /// Field key.
        name: String,
    },
    /// A table, tag or field name longer than [`crate::MAX_NAME_BYTES`].
    #[error("the {role} name of {bytes} bytes is longer than the limit of {limit} bytes")]
    NameTooLong {
        /// `table`, `tag` or `field`.
        role: &'static str,
        /// Its length in bytes.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A string or tag column would exceed the 2 GiB of value bytes an Arrow `Utf8` array holds.
    #[error("table {table}, column {column}: more than 2 GiB of string data in one write")]
    StringDataTooLarge {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
    },
}

/// One rejected line: its 1-based number and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRejection {
    /// 1-based line number within the body.
    pub line_number: usize,
    /// Why it was rejected.
    pub kind: LineErrorKind,
}

impl LineRejection {
    /// The message without the `error parsing line N (1-based): ` prefix.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }
}

impl fmt::Display for LineRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error parsing line {} (1-based): {}",
            self.line_number, self.kind
        )
    }
}

impl std::error::Error for LineRejection {}
