//! InfluxQL on a cluster's `quiver querier` (not `serve`): the recorded InfluxDB 1.x answers of
//! `testdb` over HTTP `/query`, `/ping`, the `influxdb` Python client, influxdb3-python's
//! `language="influxql"` over Flight, Grafana's requests and the `influx` 1.x CLI — on the oracle dataset persisted as an ingester would have
//! (`Cluster::query_only`).

use auth::{Action as Grant, Permission, TokenHash};
use catalog::{Catalog, DatabaseName, DatabaseOptions, NewToken};
use end_to_end::{Cluster, python_script};

use crate::serve_influxql::{TOKEN, check_cli_queries, check_grafana, fixture, replay};

#[tokio::test]
async fn the_cluster_querier_answers_influxql_as_influxdb_1x() {
    let mut cluster = Cluster::query_only().await;
    let db = cluster
        .catalog
        .create_database(
            &DatabaseName::new("testdb").unwrap(),
            DatabaseOptions::default(),
        )
        .await
        .unwrap();
    cluster
        .catalog
        .create_token(NewToken {
            hash: TokenHash::of(TOKEN),
            description: "operator".into(),
            operator: true,
            permissions: vec![Permission::database(Grant::Read, "testdb")],
        })
        .await
        .unwrap();
    // The dataset is in seconds; the persist helper takes nanoseconds.
    let lp: String = fixture("dataset.lp")
        .lines()
        .map(|l| format!("{l}000000000\n"))
        .collect();
    cluster.persist_lp(&db, &lp).await;
    let querier = cluster.start_querier();

    // Every recorded case of testdb that does not list or create databases.
    let (compared, differ) = replay(&querier.url, "queries.jsonl", |case| {
        let q = case["q"].as_str().unwrap_or_default();
        case["params"]["db"] == "testdb" && !q.contains("DATABASE")
    })
    .await;
    assert!(compared > 40, "only {compared} cases replayed");
    assert!(
        differ.is_empty(),
        "{} of {compared} answers differ:\n{}",
        differ.len(),
        differ.join("\n")
    );

    let resp = reqwest::get(format!("{}/ping", querier.url)).await.unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert!(resp.headers().contains_key("x-influxdb-version"));

    let out = python_script(
        "influxql_clients.py",
        "influxdb",
        &[],
        &querier.url,
        TOKEN,
        "testdb",
    );
    assert_eq!(out["chunked_rows"], 960, "{out}");
    assert_eq!(
        out["bind"],
        serde_json::json!([{"time": "1970-01-01T00:00:00Z", "count": 240}])
    );
    let f = python_script(
        "influxql_clients.py",
        "influxdb3",
        &[],
        &querier.url,
        TOKEN,
        "testdb",
    );
    assert_eq!(f["rows"].as_array().unwrap().len(), 4, "{f}");
    assert_eq!(f["rows"][0][0], "cpu");

    check_grafana(&querier.url);
    check_cli_queries(&querier.url);
}
