//! InfluxQL 1.x, the language of InfluxDB 1.x's `/query`: the statements as a syntax tree and
//! the parser, with 1.x's error texts.
//!
//! ```text
//! q (text) + bind parameters ──► parser::parse_query ──► ast::Query { statements }
//!                                   │ error: ParseError
//!                                   │  "error parsing query: found X, expected Y at line L, char C"
//!                                   ▼
//!   executed by shared/influxql_query (rows read through DataFusion), answered by shared/v1_query
//! ast::Query ──► Display (display.rs: 1.x's `String()` text) ──► parse_query ──► same tree
//! fuzzing: bytes ──► parse ──► Display ──► parse ──► must be equal (fuzz target + corpus test)
//! ```
//!
//! Nothing here touches the network or the catalog: the crate is pure, fast to build and fuzzed.

pub mod ast;
pub mod display;
pub mod fuzzing;
mod literal;
pub mod parser;
pub mod time;
