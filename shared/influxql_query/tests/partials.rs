//! GROUP BY time aggregates answered from DataFusion's partial aggregates (`select::partials`)
//! and raw LIMIT 1 over a narrowed range (`select::narrow`) must equal, byte for byte, the
//! answers of the row-by-row path over every row (the one replayed against InfluxDB 1.x's
//! recordings in oracle.rs).
//!
//! ```text
//! generated line protocol: 2 measurements, 8 series (one without `region`), integer fields
//!   with large values (float means that depend on the combine order), a sparse field, a
//!   float field, 3 weeks (several shard groups), two overlapping files (dedup)
//! every query ──► Executor (partials on) ──► JSON
//!             ──► Executor (partials off) ──► JSON      ──► equal
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use auth::Authorization;
use common::Fixture;
use influxql_query::{Executor, Request};
use line_protocol::Precision;
use query::QueryDatabase;

/// 2026-11-02T00:00:00Z (a Monday), in seconds.
const START: i64 = 1_793_577_600;

fn data(seed: u64, rows: usize, step: i64) -> String {
    let mut x = seed;
    let mut next = move || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x >> 11
    };
    let mut lp = String::new();
    for r in 0..rows {
        let t = START + r as i64 * step + (next() % 7) as i64;
        for host in 0..4 {
            let region = match host {
                3 => String::new(),
                _ => format!(",region=r{}", host % 2),
            };
            for m in ["m", "m2"] {
                let big = (next() % 2_000_000_000_000_000) as i64 - 900_000_000_000_000;
                let small = (next() % 100) as i64;
                let sparse = if next() % 3 == 0 {
                    format!(",sparse={}i", next() % 1000)
                } else {
                    String::new()
                };
                let f = (next() % 10_000) as f64 / 7.0;
                lp.push_str(&format!(
                    "{m},host=h{host}{region} big={big}i,small={small}i,f={f}{sparse} {t}\n"
                ));
            }
        }
    }
    lp
}

fn queries() -> Vec<String> {
    let range = "time >= '2026-11-02T00:00:00Z' AND time < '2026-11-23T00:00:00Z'";
    let mut out = Vec::new();
    for call in [
        "mean(big)",
        "sum(big)",
        "count(big)",
        "min(big), max(big)",
        "mean(small), sum(small), count(sparse)",
        "max(f), min(f), count(f)",
        "first(big), last(small)",
        "last(f), first(f), mean(small)",
        "first(small) - last(small)",
        "mean(sparse) * 2 + count(small)",
        "spread(big)",
        "mean(f)",
    ] {
        for group in [
            "time(1h)",
            "time(1d)",
            "time(1d, 6h)",
            "time(10d)",
            "time(1d), host",
            "time(3d), *",
            "time(7d), region",
        ] {
            out.push(format!(
                "SELECT {call} FROM m WHERE {range} GROUP BY {group}"
            ));
        }
        out.push(format!(
            "SELECT {call} FROM m WHERE {range} AND (host = 'h1' OR host =~ /h[23]/) GROUP BY time(2d)"
        ));
        out.push(format!(
            "SELECT {call} FROM /m.*/ WHERE {range} GROUP BY time(1d), host fill(0) ORDER BY time DESC LIMIT 3 OFFSET 1 SLIMIT 5"
        ));
        out.push(format!(
            "SELECT {call} FROM m, m2 WHERE {range} GROUP BY time(12h) fill(previous)"
        ));
        out.push(format!(
            "SELECT {call} FROM m WHERE time >= '2026-11-05T00:00:00Z' AND time < '2026-11-05T06:00:00Z' GROUP BY time(20m) fill(linear)"
        ));
        out.push(format!(
            "SELECT {call} FROM m WHERE time >= '2026-11-05T00:00:00Z' AND time < '2026-11-05T06:00:00Z' AND region = 'r1' GROUP BY time(20m), host fill(none)"
        ));
        out.push(format!(
            "SELECT {call} FROM m WHERE time < '2026-11-06T00:00:00Z' GROUP BY time(1h) LIMIT 5"
        ));
    }
    out
}

/// Raw LIMIT 1 shapes: ties between series at the same time (no GROUP BY, GROUP BY region),
/// one series per group (GROUP BY host), both directions, filters, sparse fields.
fn limit_1_queries() -> Vec<String> {
    let mut out = Vec::new();
    for select in ["*", "big", "sparse", "sparse, host", "small * 2"] {
        for group in ["", " GROUP BY host", " GROUP BY region", " GROUP BY *"] {
            for order in ["", " ORDER BY time DESC"] {
                for filter in [
                    "",
                    " WHERE host =~ /h[12]/",
                    " WHERE time < '2026-11-10T00:00:00Z'",
                    " WHERE time >= '2026-11-09T00:00:00Z' AND time <= '2026-11-12T00:00:00Z' AND region = 'r0'",
                ] {
                    out.push(format!(
                        "SELECT {select} FROM m{filter}{group}{order} LIMIT 1"
                    ));
                }
            }
        }
    }
    out.push("SELECT * FROM m, m2 ORDER BY time DESC LIMIT 1".to_owned());
    out.push("SELECT * FROM /m/ GROUP BY host ORDER BY time DESC LIMIT 1 SLIMIT 2".to_owned());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushdown_answers_as_the_row_path() {
    let mut f = Fixture::new().await;
    // Three weeks every 20 minutes, then a second file overlapping its last week.
    f.persist("db", &data(1, 3 * 7 * 72, 1200), Precision::Seconds)
        .await;
    f.persist(
        "db",
        &data(2, 7 * 72, 3600 * 24 * 2 / 72),
        Precision::Seconds,
    )
    .await;
    let executor = Executor::new(Arc::new(QueryDatabase::new(
        f.catalog.clone(),
        Arc::clone(&f.store),
    )));
    let request = Request {
        database: Some("db".into()),
        retention_policy: None,
        now: (START + 60 * 86_400) * 1_000_000_000,
        authorization: Authorization::operator(),
    };
    let answer = |q: String| {
        let executor = executor.clone();
        let request = request.clone();
        async move {
            let query = influxql::parser::parse_query(&q).unwrap();
            let results = executor.execute(&query, &request).await;
            v1_query::encode_response(
                v1_query::Format::Json,
                &results,
                &v1_query::Options {
                    epoch: Some(v1_query::Epoch::Nanosecond),
                    pretty: false,
                },
            )
        }
    };
    let before = influxql_query::pushdown_statements();
    let mut compared = 0;
    for q in queries().into_iter().chain(limit_1_queries()) {
        influxql_query::set_pushdown(true);
        let fast = answer(q.clone()).await;
        influxql_query::set_pushdown(false);
        let slow = answer(q.clone()).await;
        if fast != slow {
            let at = fast.iter().zip(&slow).take_while(|(a, b)| a == b).count();
            let around = |b: &[u8]| {
                String::from_utf8_lossy(&b[at.saturating_sub(120)..(at + 120).min(b.len())])
                    .into_owned()
            };
            panic!(
                "{q}\n  partials: …{}…\n  rows:     …{}…",
                around(&fast),
                around(&slow)
            );
        }
        assert!(
            !String::from_utf8_lossy(&slow).contains("\"error\""),
            "{q}: {}",
            String::from_utf8_lossy(&slow)
        );
        compared += 1;
    }
    let answered = influxql_query::pushdown_statements() - before;
    // spread() is not the partial path's: the rest is; every LIMIT 1 is narrowed.
    assert!(
        answered >= 130 + 160,
        "{answered} of {compared} statements took the partial path"
    );
}
