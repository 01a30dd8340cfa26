//! The nesting bound: deep parentheses, calls, unary minus, subqueries and long operator chains
//! are refused with a clear error before anything (parser, Drop, Display, clone) can exhaust
//! the stack; trees up to the bound work on a normal test thread.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use influxql::parser::{MAX_DEPTH, parse_expr, parse_query};

fn refused(text: &str) {
    let err = parse_query(text).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("nests too deeply") && msg.contains("at most 1000 levels"),
        "{msg}"
    );
}

#[test]
fn hundred_thousand_parentheses_are_refused() {
    let n = 100_000;
    refused(&format!(
        "SELECT {}a{} FROM m",
        "(".repeat(n),
        ")".repeat(n)
    ));
    refused(&format!("SELECT a FROM m WHERE {}", "(".repeat(n)));
}

#[test]
fn hundred_thousand_term_chains_are_refused() {
    let n = 100_000;
    refused(&format!("SELECT {} FROM m", vec!["a"; n].join(" + ")));
    refused(&format!(
        "SELECT a FROM m WHERE {}",
        vec!["a = 1"; n].join(" AND ")
    ));
    refused(&format!(
        "SELECT a FROM m WHERE {}",
        vec!["a"; n].join(" * ")
    ));
}

#[test]
fn deep_calls_unary_minus_and_subqueries_are_refused() {
    let n = 100_000;
    refused(&format!(
        "SELECT {}a{} FROM m",
        "f(".repeat(n),
        ")".repeat(n)
    ));
    refused(&format!("SELECT {}a FROM m", "-(".repeat(n)));
    refused(&format!(
        "SELECT a FROM {}m{}",
        "(SELECT a FROM ".repeat(n),
        ")".repeat(n)
    ));
}

#[test]
fn trees_up_to_the_bound_work_on_a_test_thread() {
    // the whole expression stays within the bound: parse, print, parse, clone, compare, drop
    let depth = MAX_DEPTH as usize - 2;
    let chain = format!("SELECT {} FROM m", vec!["a"; depth].join(" + "));
    let q = parse_query(&chain).unwrap();
    let printed = q.to_string();
    assert_eq!(parse_query(&printed).unwrap(), q.clone());

    let parens = format!("{}a{}", "(".repeat(depth - 1), ")".repeat(depth - 1));
    let e = parse_expr(&parens).unwrap();
    assert_eq!(parse_expr(&e.to_string()).unwrap(), e);

    let subqueries = format!(
        "SELECT a FROM {}m{}",
        "(SELECT a FROM ".repeat(depth / 2),
        ")".repeat(depth / 2)
    );
    let q = parse_query(&subqueries).unwrap();
    assert_eq!(parse_query(&q.to_string()).unwrap(), q);
}

#[test]
fn refusing_needs_little_stack() {
    // the parser does not recurse per level: refusing 100 000 levels fits in 256 KiB
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            hundred_thousand_parentheses_are_refused();
            hundred_thousand_term_chains_are_refused();
            deep_calls_unary_minus_and_subqueries_are_refused();
        })
        .unwrap()
        .join()
        .unwrap();
}
