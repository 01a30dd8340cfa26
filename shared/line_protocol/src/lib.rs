//! InfluxDB line protocol: a zero-copy parser with exact per-line errors, and a writer.
//!
//! ```text
//! request body (&str) ──► LineParser ──► ParsedLine<'_> (slices of the body) ──► schema::LinesConverter
//!   scan (byte tables, escapes)   └──► LineError { line_number (1-based), kind }
//!   number (fast ints, checked slow path)
//! timestamp × TimestampUnit (a fixed Precision, or guessed per line: InfluxDB 3's `auto`) ──► ns
//! Point (owned) ──► writer (escaping, shortest floats) ──► line protocol text (tests, tools, benches)
//! fuzzing: bytes ──► parse ──► write ──► parse ──► must be equal (fuzz target + corpus test)
//! ```
//!
//! ```
//! use line_protocol::{FieldValue, LineParser, ParsedLine};
//!
//! let body = "cpu,host=a usage=1.5,n=2i 1700000000000000000\nbad\n";
//! let mut parser = LineParser::new(body);
//! let mut line = ParsedLine::default();
//! assert!(parser.next_into(&mut line).unwrap().is_ok());
//! assert_eq!(line.measurement, "cpu");
//! assert_eq!(line.fields[1].1, FieldValue::I64(2));
//! let err = parser.next_into(&mut line).unwrap().unwrap_err();
//! assert_eq!(err.to_string(), "error parsing line 2 (1-based): No fields were provided");
//! assert!(parser.next_into(&mut line).is_none());
//! ```
//!
//! Syntax decisions (CRLF, newlines in strings, whitespace, number forms) are documented in
//! `docs/line_protocol.md`.

mod error;
#[doc(hidden)]
pub mod fuzzing;
mod number;
mod parser;
mod scan;
mod types;
mod unit;
mod writer;

pub use error::{LineError, MAX_QUOTED_CHARS, ParseErrorKind};
pub use parser::{LineParser, SeriesKey, parse_lines};
pub use types::{EscapeKind, EscapedStr, FieldValue, ParsedLine, Precision};
pub use unit::TimestampUnit;
pub use writer::{FieldRef, LineWriter, OwnedFieldValue, Point, WriteError, write_points};
