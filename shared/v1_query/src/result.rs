//! The v1 `/query` result model: what a statement answers, before it is encoded.
//!
//! ```text
//! executor ──► StatementResult { statement_id, series: [Series], messages, partial, error }
//!                Series { name?, tags (sorted), columns, values: rows of Value, partial }
//!          ──► crate::format (JSON | CSV | MessagePack; epoch; chunking)
//! ```
//!
//! Times stay nanoseconds since the epoch ([`Value::Time`]) until encoding: the `epoch`
//! parameter and a statement's `tz()` decide how they are written.

use std::collections::BTreeMap;

/// One cell of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (JSON `null`).
    Null,
    /// A float.
    Float(f64),
    /// A signed integer.
    Integer(i64),
    /// An unsigned integer.
    Unsigned(u64),
    /// A string (tag values and string fields).
    String(String),
    /// A boolean.
    Boolean(bool),
    /// A timestamp in nanoseconds since the Unix epoch (the `time` column).
    Time(i64),
}

/// One series of a statement's answer (1.x's `models.Row`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// The measurement (or `databases`, `measurements`, …); `None` is omitted (SHOW SERIES).
    pub name: Option<String>,
    /// The GROUP BY tag values; omitted when empty.
    pub tags: BTreeMap<String, String>,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows; each as long as `columns`.
    pub values: Vec<Vec<Value>>,
    /// More rows of this series follow in a later chunk.
    pub partial: bool,
}

/// An informational message attached to a result (1.x's `Message`).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// `"warning"` or `"info"`.
    pub level: String,
    /// The text.
    pub text: String,
}

/// The `statement_id` 1.x gives the result of a query that panicked (`-1` on the wire; the
/// encoders write it so).
pub const PANIC_STATEMENT_ID: usize = usize::MAX;

/// The answer of one statement (1.x's `query.Result`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatementResult {
    /// The statement's index in the query, from 0.
    pub statement_id: usize,
    /// The series.
    pub series: Vec<Series>,
    /// Messages.
    pub messages: Vec<Message>,
    /// More series of this statement follow in a later chunk.
    pub partial: bool,
    /// The statement's error; 1.x still answers HTTP 200.
    pub error: Option<String>,
    /// The statement's `tz()` (an IANA name): RFC 3339 times are written in that zone.
    pub location: Option<String>,
}

impl StatementResult {
    /// A result carrying only an error.
    pub fn error(statement_id: usize, text: impl Into<String>) -> Self {
        Self {
            statement_id,
            error: Some(text.into()),
            ..Self::default()
        }
    }
}
