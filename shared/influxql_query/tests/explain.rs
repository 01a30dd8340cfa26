//! EXPLAIN and EXPLAIN ANALYZE against InfluxDB 1.6.7's recorded answers
//! (tests/fixtures/influxql_oracle/explain.jsonl, `record_explain.py`) and against the storage
//! the fixture wrote.
//!
//! ```text
//! dataset.lp ──► Parquet + catalog (one file per measurement, as the ingester persists)
//! explain.jsonl ──► Executor::execute ──► compared with 1.6.7's lines:
//!   EXPLAIN: per block EXPRESSION / AUXILIARY FIELDS and the line keys; NUMBER OF SHARDS /
//!            SERIES too (`counts`); blocks as a set when 1.x's order is its map order (several
//!            calls); errors as text
//!   EXPLAIN ANALYZE: the tree with values cut (times, ids, storage counts), but labels
//!            expr / auxiliary_fields / measurement / cond / statement and the cursors kept
//! storage counts ──► files / blocks / size equal the catalog's file and its footer
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use auth::Authorization;
use common::Fixture;
use influxql_query::{Executor, Request};
use line_protocol::Precision;
use query::QueryDatabase;
use v1_query::result::{StatementResult, Value};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/influxql_oracle")
}

async fn executor() -> (Executor, Fixture) {
    let mut f = Fixture::new().await;
    let dataset = std::fs::read_to_string(fixtures().join("dataset.lp")).unwrap();
    f.persist("testdb", &dataset, Precision::Seconds).await;
    let qdb = Arc::new(QueryDatabase::new(f.catalog.clone(), Arc::clone(&f.store)));
    (Executor::new(qdb), f)
}

async fn run(executor: &Executor, q: &str) -> StatementResult {
    let query = influxql::parser::parse_query(q).unwrap();
    let request = Request {
        database: Some("testdb".to_owned()),
        retention_policy: None,
        now: 1_795_240_000_000_000_000,
        authorization: Authorization::operator(),
    };
    executor.execute(&query, &request).await.remove(0)
}

fn lines(r: &StatementResult) -> Vec<String> {
    r.series[0]
        .values
        .iter()
        .map(|row| match &row[0] {
            Value::String(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

/// EXPLAIN's lines as compared: blocks of lines, storage-dependent values cut.
fn explain_blocks(lines: &[String], counts: bool) -> Vec<Vec<String>> {
    let mut blocks: Vec<Vec<String>> = vec![Vec::new()];
    for l in lines {
        if l.is_empty() {
            blocks.push(Vec::new());
            continue;
        }
        let keep_value = l.starts_with("EXPRESSION:")
            || l.starts_with("AUXILIARY FIELDS:")
            || (counts
                && (l.starts_with("NUMBER OF SHARDS:") || l.starts_with("NUMBER OF SERIES:")));
        let line = if keep_value {
            l.clone()
        } else {
            l.split(':').next().unwrap().to_owned()
        };
        blocks.last_mut().unwrap().push(line);
    }
    let calls: std::collections::BTreeSet<&String> = blocks
        .iter()
        .filter_map(|b| b.first())
        .filter(|e| *e != "EXPRESSION: <nil>")
        .collect();
    if calls.len() > 1 {
        // 1.x creates a call's iterators in Go's (random) map order.
        blocks.sort();
    }
    blocks
}

/// EXPLAIN ANALYZE's tree with measured and storage-dependent values cut.
fn analyze_shape(lines: &[String]) -> Vec<String> {
    const KEEP: [&str; 8] = [
        "expr",
        "auxiliary_fields",
        "measurement",
        "cond",
        "statement",
        "cursors_ref",
        "cursors_aux",
        "cursors_cond",
    ];
    lines
        .iter()
        .map(|l| match l.split_once(": ") {
            Some((k, _)) if KEEP.iter().any(|key| k.ends_with(&format!(" {key}"))) => l.clone(),
            Some((k, _)) => k.to_owned(),
            None => l.clone(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_matches_influxdb_1_6() {
    let (executor, _f) = executor().await;
    let text = std::fs::read_to_string(fixtures().join("explain.jsonl")).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = case["name"].as_str().unwrap();
        let q = case["q"].as_str().unwrap();
        let r = run(&executor, q).await;
        checked += 1;
        if let Some(want) = case["error"].as_str() {
            if r.error.as_deref() != Some(want) {
                failures.push(format!("{name}: error {:?}, want {want:?}", r.error));
            }
            continue;
        }
        if let Some(e) = &r.error {
            failures.push(format!("{name}: error {e}"));
            continue;
        }
        let want: Vec<String> = case["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let got = lines(&r);
        let column = &r.series[0].columns[0];
        let (g, w) = if case["analyze"].as_bool().unwrap() {
            assert_eq!(column, "EXPLAIN ANALYZE");
            (analyze_shape(&got), analyze_shape(&want))
        } else {
            assert_eq!(column, "QUERY PLAN");
            let counts = case["counts"].as_bool().unwrap();
            (
                explain_blocks(&got, counts)
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>(),
                explain_blocks(&want, counts)
                    .into_iter()
                    .flatten()
                    .collect(),
            )
        };
        if g != w {
            let first = g
                .iter()
                .zip(&w)
                .position(|(a, b)| a != b)
                .unwrap_or(g.len().min(w.len()));
            failures.push(format!(
                "{name}: {q}\n  first difference at line {first}: got {:?}, want {:?}\n  got:  {}\n  want: {}",
                g.get(first),
                w.get(first),
                g.join(" | "),
                w.join(" | ")
            ));
        }
    }
    assert!(checked > 80, "only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
