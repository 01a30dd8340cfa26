//! Every InfluxQL text recorded from a real InfluxDB 1.6.7 (tests/fixtures/influxql_oracle)
//! parses here; the recorded parse errors give the recorded text (without the HTTP layer's
//! `error parsing query: ` prefix).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use influxql::parser::parse_query_with_params;

#[test]
fn oracle_queries_parse_as_recorded() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/influxql_oracle/queries.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let (mut parsed, mut refused) = (0, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(q) = record["params"]["q"].as_str() else {
            continue;
        };
        let params = match record["params"]["params"].as_str() {
            Some(p) => serde_json::from_str(p).unwrap(),
            None => serde_json::Map::new(),
        };
        let error = record["body_json"]["error"]
            .as_str()
            .or_else(|| record["resp_headers"]["X-Influxdb-Error"].as_str())
            .and_then(|e| e.strip_prefix("error parsing query: "));
        match (parse_query_with_params(q, &params), error) {
            (Ok(query), None) => {
                if params.is_empty() {
                    common::assert_round_trip(q);
                }
                assert!(!query.statements.is_empty(), "{q:?}");
                parsed += 1;
            }
            (Err(e), Some(expected)) => {
                assert_eq!(e.to_string(), expected, "{q:?}");
                refused += 1;
            }
            (Ok(query), Some(expected)) => panic!("{q:?} parses ({query}), 1.x said {expected}"),
            (Err(e), None) => panic!("{q:?} fails: {e}"),
        }
    }
    assert!(
        parsed >= 70 && refused >= 4,
        "parsed {parsed}, refused {refused}"
    );
}
