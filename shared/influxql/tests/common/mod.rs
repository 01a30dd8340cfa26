//! Shared test helpers.
#![allow(dead_code)] // each test binary uses a part

pub(crate) mod go_cases;

use influxql::ast::Query;
use influxql::parser::parse_query;

/// Parses, prints (passwords included), parses again: both trees must be equal.
pub(crate) fn assert_round_trip(text: &str) -> Query {
    let q = parse_query(text).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
    let printed = format!("{q:#}");
    let again = parse_query(&printed)
        .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?} does not parse: {e}"));
    assert_eq!(
        again, q,
        "{text:?} printed as {printed:?} parses differently"
    );
    q
}
