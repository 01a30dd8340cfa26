//! InfluxDB 1.x's recorded answers (tests/fixtures/influxql_oracle) replayed against the
//! executor: the dataset is persisted as the ingester persists it, every recorded JSON query
//! is parsed, executed and encoded, and the parsed JSON must equal the recording.
//!
//! ```text
//! dataset.lp (precision s) ──► Parquet + catalog (MemCatalog, local store)
//! queries.jsonl ──► parse_query_with_params ──► Executor::execute (now = the recording's)
//!   ──► v1_query::encode_response (epoch) ──► JSON == body_json
//! ```
//!
//! HTTP-level cases (CSV, chunked, MessagePack, pretty, status codes) are checked end to end
//! against the `quiver` binary (tests/tests/e2e/influxql.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use auth::Authorization;
use common::Fixture;
use influxql_query::{Executor, Request};
use line_protocol::Precision;
use query::QueryDatabase;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/influxql_oracle")
}

/// Cases whose answer depends on something the executor does not see (HTTP, formats).
fn http_level(case: &serde_json::Value) -> bool {
    let params = &case["params"];
    case["status"] != 200
        || case["content_type"] != "application/json"
        || params.get("chunked").is_some()
        || params.get("pretty").is_some()
        || case["req_headers"]
            .as_object()
            .is_some_and(|h| !h.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_answers() {
    let mut f = Fixture::new().await;
    let dataset = std::fs::read_to_string(fixtures().join("dataset.lp")).unwrap();
    f.persist("testdb", &dataset, Precision::Seconds).await;
    // The database created by a GET in the recording (before otherdb's latest creation: SHOW
    // DATABASES lists creation order), and what the recorded write cases left in otherdb
    // (later writes win).
    f.database("viaget").await;
    f.persist("otherdb", "dup,t=a v=1,w=1 1\n", Precision::Seconds)
        .await;
    f.persist("otherdb", "dup,t=a v=2 1\n", Precision::Seconds)
        .await;
    f.persist(
        "otherdb",
        "esc\\ m,t\\ k=v\\,1,t2=a\\=b f\\ 1=\"quo\\\"te\",f2=1 1\n",
        Precision::Seconds,
    )
    .await;

    let qdb = Arc::new(QueryDatabase::new(f.catalog.clone(), Arc::clone(&f.store)));
    let executor = Executor::new(qdb);
    let text = std::fs::read_to_string(fixtures().join("queries.jsonl")).unwrap();
    let cases: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // now(): the recording's, from `count_now_1h` (its time is now() - 1h + 1ns).
    let now = cases
        .iter()
        .find(|c| c["name"] == "count_now_1h")
        .map(|c| {
            let t = c["body_json"]["results"][0]["series"][0]["values"][0][0]
                .as_str()
                .unwrap();
            chrono_ns(t) + 3_600_000_000_000 - 1
        })
        .unwrap();

    let (checked, failures) = replay(&executor, &cases, now).await;
    assert!(checked > 40, "only {checked} cases checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} recorded answers differ:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // The larger corpus recorded from InfluxDB 1.6.7 (`record.py`): no now(), testdb only.
    let text = std::fs::read_to_string(fixtures().join("recorded.jsonl")).unwrap();
    let cases: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (checked, failures) = replay(&executor, &cases, now).await;
    assert!(checked > 700, "only {checked} cases checked");
    let known: std::collections::BTreeSet<String> =
        std::fs::read_to_string(fixtures().join("known_differences.txt"))
            .unwrap()
            .lines()
            .map(|l| l.split('#').next().unwrap_or_default().trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
    let failed: std::collections::BTreeSet<String> = failures
        .iter()
        .map(|f| f.split(':').next().unwrap_or_default().to_owned())
        .collect();
    let unexpected: Vec<&String> = failures
        .iter()
        .filter(|f| !known.contains(f.split(':').next().unwrap_or_default()))
        .collect();
    let fixed: Vec<&String> = known.iter().filter(|k| !failed.contains(*k)).collect();
    assert!(
        unexpected.is_empty() && fixed.is_empty(),
        "{} of {checked} recorded answers differ; {} of them are not in known_differences.txt:\n{}\n\
         listed but now identical (remove them from known_differences.txt): {fixed:?}",
        failures.len(),
        unexpected.len(),
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Development aid: replays the cases of the file named by `QUIVER_ORACLE_PROBE` (a
/// `record.py --out` file) and prints every difference; passes when the variable is unset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_recorded_file() {
    let Ok(path) = std::env::var("QUIVER_ORACLE_PROBE") else {
        return;
    };
    let mut f = Fixture::new().await;
    let dataset = std::fs::read_to_string(fixtures().join("dataset.lp")).unwrap();
    f.persist("testdb", &dataset, Precision::Seconds).await;
    let qdb = Arc::new(QueryDatabase::new(f.catalog.clone(), Arc::clone(&f.store)));
    let executor = Executor::new(qdb);
    let cases: Vec<serde_json::Value> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (checked, failures) = replay(&executor, &cases, 0).await;
    println!("probe: {checked} checked, {} differ", failures.len());
    for f in &failures {
        println!("{f}");
    }
}

/// Replays `cases` through the executor; returns how many were compared and the differences.
async fn replay(
    executor: &Executor,
    cases: &[serde_json::Value],
    now: i64,
) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let Some(q) = case["params"].get("q").and_then(|q| q.as_str()) else {
            continue;
        };
        let note = case["note"].as_str().unwrap_or_default();
        // 1.x answers ±Inf with a Go encoder error instead of a JSON document
        // (docs/compatibility.md: Quiver answers a JSON statement error).
        if note.starts_with("body is not JSON") {
            continue;
        }
        let params: serde_json::Map<String, serde_json::Value> = case["params"]
            .get("params")
            .and_then(|p| p.as_str())
            .map(|p| serde_json::from_str(p).unwrap())
            .unwrap_or_default();
        let parsed = influxql::parser::parse_query_with_params(q, &params);
        if case["status"] == 400 && case["content_type"] == "application/json" {
            checked += 1;
            // Parameter errors (a blank q) come before parsing.
            let pairs: Vec<(String, String)> = case["params"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let got = match (v1_query::QueryParams::from_pairs(&pairs, &[]), &parsed) {
                (Err(e), _) => e.to_string(),
                (Ok(_), Ok(_)) => "parsed".to_owned(),
                (Ok(_), Err(e)) => format!("error parsing query: {e}"),
            };
            if case["body_json"]["error"] != got.as_str() {
                failures.push(format!(
                    "{name}: {q}\n  want {}\n  got  {got}",
                    case["body_json"]
                ));
            }
            continue;
        }
        if http_level(case) || q.starts_with("CREATE") {
            continue;
        }
        checked += 1;
        let query = match parsed {
            Ok(q) => q,
            Err(e) => {
                failures.push(format!("{name}: parse error {e}"));
                continue;
            }
        };
        let request = Request {
            database: case["params"]
                .get("db")
                .and_then(|d| d.as_str())
                .map(str::to_owned),
            retention_policy: case["params"]
                .get("rp")
                .and_then(|d| d.as_str())
                .map(str::to_owned),
            now,
            authorization: Authorization::operator(),
        };
        let results = executor.execute(&query, &request).await;
        let epoch = case["params"]
            .get("epoch")
            .and_then(|e| e.as_str())
            .and_then(v1_query::Epoch::from_param);
        let body = v1_query::encode_response(
            v1_query::Format::Json,
            &results,
            &v1_query::Options {
                epoch,
                pretty: false,
            },
        );
        let mut got: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let mut want = case["body_json"].clone();
        // One recorded case's series order changes between 1.x runs: compare sorted.
        if note.contains("order of series") {
            sort_series(&mut got);
            sort_series(&mut want);
        }
        if got != want {
            failures.push(format!(
                "{name}: {q}\n  want {}\n  got  {}",
                case["body_json"],
                String::from_utf8_lossy(&body).trim_end()
            ));
        }
    }
    (checked, failures)
}

fn sort_series(doc: &mut serde_json::Value) {
    if let Some(results) = doc["results"].as_array_mut() {
        for r in results {
            if let Some(series) = r["series"].as_array_mut() {
                series.sort_by_key(|s| s.to_string());
            }
        }
    }
}

fn chrono_ns(rfc3339: &str) -> i64 {
    influxql::time::parse_time_literal(rfc3339).unwrap()
}
