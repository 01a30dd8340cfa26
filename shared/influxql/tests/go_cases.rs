//! InfluxDB 1.x's own parser cases: every statement it parses must parse here and survive
//! print → parse; every refused one must give 1.x's exact error text.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use common::go_cases::{EXPR_ERRORS, STATEMENT_ERRORS, VALID_EXPRS, VALID_STATEMENTS};
use influxql::parser::{parse_expr, parse_query};

#[test]
fn statements_1x_parses_round_trip() {
    let mut failures = Vec::new();
    for s in VALID_STATEMENTS {
        if let Err(e) = std::panic::catch_unwind(|| common::assert_round_trip(s)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "panic".into());
            failures.push(msg);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn statements_1x_refuses_with_its_text() {
    let mut failures = Vec::new();
    for (s, expected) in STATEMENT_ERRORS {
        match parse_query(s) {
            Ok(q) => failures.push(format!("{s:?} parses: {q}")),
            Err(e) if e.to_string() == *expected => {}
            Err(e) => failures.push(format!("{s:?}\n  got  {e}\n  want {expected}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn expressions_1x_parses_round_trip() {
    for s in VALID_EXPRS {
        let e = parse_expr(s).unwrap_or_else(|err| panic!("{s:?}: {err}"));
        let printed = e.to_string();
        let again = parse_expr(&printed).unwrap_or_else(|err| panic!("{printed:?}: {err}"));
        assert_eq!(again, e, "{s:?} printed as {printed:?}");
    }
}

#[test]
fn expressions_1x_refuses_with_its_text() {
    for (s, expected) in EXPR_ERRORS {
        assert_eq!(parse_expr(s).unwrap_err().to_string(), *expected, "{s:?}");
    }
}
