//! InfluxDB line protocol: a zero-copy parser with exact per-line errors, and a writer.
//!
//! ```text
//! request body (&str) ──► LineParser ──► ParsedLine<'_> (slices of the body) ──► schema::LinesConverter
//!                                   └──► LineError { line_number (1-based), kind }
//! Point (owned) ──► writer ──► line protocol text (tests, tools, benchmarks)
//! ```

mod types;

pub use types::{EscapeKind, EscapedStr, FieldValue, ParsedLine, Precision};
