//! InfluxQL `SELECT … INTO` end to end, against what InfluxDB 1.6.7 answered and wrote
//! (`tests/fixtures/influxql_oracle/into.jsonl`, recorded by `record_into.py`): the dataset
//! written through v1 `/write` into `testdb`, database `scratch` created over `/query`, then
//! case by case `SELECT … INTO` over `/query` and every read-back of the target over `/query`
//! (read after write: the points went through the router's pipeline into the log, the
//! ingester applied them) compared with 1.6.7's JSON.
//!
//! ```text
//! quiver serve ──────────────────┐  /write testdb (dataset.lp)
//! cluster: router + ingester ────┤  /query CREATE DATABASE scratch
//!   + quiver querier             └► /query SELECT … INTO …  ──► == recorded answer
//!                                   /query SELECT * FROM target GROUP BY * ──► == recorded
//! ```

use end_to_end::{CLUSTER_OPERATOR_TOKEN, Cluster, write_acked};
use serde_json::Value;

use crate::serve_influxql::{TOKEN, fixture, serve};

async fn query(url: &str, token: &str, db: &str, q: &str, epoch: Option<&str>) -> Value {
    let mut form = vec![("db", db), ("q", q)];
    if let Some(e) = epoch {
        form.push(("epoch", e));
    }
    let resp = reqwest::Client::new()
        .post(format!("{url}/query"))
        .header("Authorization", format!("Token {token}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{q}");
    serde_json::from_str(&resp.text().await.unwrap()).unwrap()
}

/// Runs every case of into.jsonl in order on `url` (testdb loaded, scratch created); returns
/// how many were compared and the differences.
async fn replay_into(url: &str, token: &str) -> (usize, Vec<String>) {
    let mut differ = Vec::new();
    let mut compared = 0;
    for line in fixture("into.jsonl").lines() {
        let case: Value = serde_json::from_str(line).unwrap();
        let name = case["name"].as_str().unwrap();
        let q = case["q"].as_str().unwrap();
        let db = case["db"].as_str().unwrap();
        let got = query(url, token, db, q, case["epoch"].as_str()).await;
        compared += 1;
        if got != case["body_json"] {
            differ.push(format!(
                "{name}: {q}\n  want {}\n  got  {got}",
                case["body_json"]
            ));
        }
        for read in case["reads"].as_array().unwrap() {
            let rq = read["q"].as_str().unwrap();
            let got = query(url, token, "scratch", rq, None).await;
            compared += 1;
            if got != read["body_json"] {
                differ.push(format!(
                    "{name} read back: {rq}\n  want {}\n  got  {got}",
                    read["body_json"]
                ));
            }
        }
    }
    (compared, differ)
}

fn created(body: &Value) -> bool {
    body == &serde_json::json!({"results": [{"statement_id": 0}]})
}

#[tokio::test]
async fn select_into_on_serve_writes_what_influxdb_1x_writes() {
    let (quiver, _dir) = serve();
    let url = &quiver.url;
    for db in ["testdb", "scratch"] {
        let body = query(url, TOKEN, db, &format!("CREATE DATABASE {db}"), None).await;
        assert!(created(&body), "{body}");
    }
    let resp = reqwest::Client::new()
        .post(format!("{url}/write?db=testdb&precision=s"))
        .header("Authorization", format!("Token {TOKEN}"))
        .body(fixture("dataset.lp"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);

    let (compared, differ) = replay_into(url, TOKEN).await;
    assert!(compared > 40, "only {compared} answers compared");
    assert!(
        differ.is_empty(),
        "{} of {compared} answers differ:\n{}",
        differ.len(),
        differ.join("\n")
    );

    // Documented difference: a field named like a tag of the target is the router's
    // rejection (1.x stores both).
    let q = "SELECT usage_user AS region INTO scratch.autogen.tc1 FROM testdb.autogen.cpu \
             WHERE host = 'server01' AND time < 1795219300s GROUP BY region";
    let got = query(url, TOKEN, "scratch", q, None).await;
    assert_eq!(
        got["results"][0]["error"],
        "no data written, errors encountered on line(s):\n\
         error parsing line 1 (1-based): the name 'region' is used for both a tag and a field\n\
         error parsing line 2 (1-based): the name 'region' is used for both a tag and a field"
    );
}

#[tokio::test]
async fn select_into_on_the_cluster_querier_goes_through_the_log() {
    let cluster = Cluster::ingest_on_files(1, 2, "1s").await;
    let querier = cluster.start_querier();
    let token = CLUSTER_OPERATOR_TOKEN;
    // The dataset in nanoseconds through the router (auto-creating testdb).
    let lp: String = fixture("dataset.lp")
        .lines()
        .map(|l| format!("{l}000000000\n"))
        .collect();
    write_acked(cluster.url(0), "testdb", token, &lp).await;
    let body = query(
        &querier.url,
        token,
        "scratch",
        "CREATE DATABASE scratch",
        None,
    )
    .await;
    assert!(created(&body), "{body}");

    let (compared, differ) = replay_into(&querier.url, token).await;
    assert!(compared > 40, "only {compared} answers compared");
    assert!(
        differ.is_empty(),
        "{} of {compared} answers differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

/// `SELECT … INTO` through InfluxDB 3's `/api/v3/query_influxql` on `serve`: the same writer
/// as over `/query` (the `result` series with `written`), the points readable at once (a
/// selector's point keeps the selected row's time, as in 1.x).
#[tokio::test]
async fn select_into_over_api_v3_writes_through_the_same_pipeline() {
    let (quiver, _dir) = serve();
    let url = &quiver.url;
    for db in ["src", "dst"] {
        let body = query(url, TOKEN, db, &format!("CREATE DATABASE {db}"), None).await;
        assert!(created(&body), "{body}");
    }
    let resp = reqwest::Client::new()
        .post(format!("{url}/write?db=src&precision=s"))
        .header("Authorization", format!("Token {TOKEN}"))
        .body("m,host=a v=1 1700000000\nm,host=b v=2 1700000000\nm,host=a v=3 1700000060\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let resp = reqwest::Client::new()
        .post(format!("{url}/api/v3/query_influxql"))
        .header("Authorization", format!("Token {TOKEN}"))
        .json(&serde_json::json!({
            "db": "src",
            "q": "SELECT max(v) INTO dst.autogen.peaks FROM m GROUP BY host",
            "format": "jsonl"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("\"iox::measurement\":\"result\"") && text.contains("\"written\":2"),
        "{text}"
    );
    let got = query(url, TOKEN, "dst", "SELECT * FROM peaks GROUP BY host", None).await;
    assert_eq!(
        got,
        serde_json::json!({"results": [{"statement_id": 0, "series": [
            {"name": "peaks", "tags": {"host": "a"}, "columns": ["time", "max"],
             "values": [["2023-11-14T22:14:20Z", 3]]},
            {"name": "peaks", "tags": {"host": "b"}, "columns": ["time", "max"],
             "values": [["2023-11-14T22:13:20Z", 2]]}
        ]}]}),
        "{got}"
    );
}
