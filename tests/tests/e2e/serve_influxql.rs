//! InfluxQL over v1 `/query` on `quiver serve` (a real process): the recorded InfluxDB 1.x
//! HTTP answers (`tests/fixtures/influxql_oracle/queries.jsonl`) replayed over HTTP — status,
//! content type and body (JSON documents, chunked streams, CSV text, MessagePack) — on data
//! written through `/write`; `/ping`; the `influxdb` Python client; influxdb3-python's
//! `language="influxql"` (InfluxQL over Flight); the requests Grafana's
//! InfluxQL data source sends; and the `influx` 1.x CLI (Debian `influxdb-client`).

use std::io::Read;

use base64::Engine as _;
use std::process::Command;

use end_to_end::{QuiverProcess, python_script, workspace_root};
use serde_json::Value;

pub(crate) const TOKEN: &str = "e2e-influxql-token";

pub(crate) fn serve() -> (QuiverProcess, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let args = [
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        &data,
        "--operator-token",
        TOKEN,
    ];
    (QuiverProcess::start(&args), dir)
}

pub(crate) fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        workspace_root()
            .join("tests/fixtures/influxql_oracle")
            .join(name),
    )
    .unwrap()
}

async fn query_post(url: &str, q: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/query"))
        .header("Authorization", format!("Token {TOKEN}"))
        .form(&[("q", q)])
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn write_v1(url: &str, db: &str, body: &str) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/write?db={db}&precision=s"))
        .header("Authorization", format!("Token {TOKEN}"))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert_eq!(status, 204, "{}", resp.text().await.unwrap());
}

/// The databases of the recording, created in its order (SHOW DATABASES lists creation order),
/// with the data its write cases left.
async fn load(url: &str) {
    for db in ["testdb", "viaget", "otherdb"] {
        let (status, body) = query_post(url, &format!("CREATE DATABASE {db}")).await;
        assert_eq!(
            (status, body.as_str()),
            (200, "{\"results\":[{\"statement_id\":0}]}\n")
        );
    }
    write_v1(url, "testdb", &fixture("dataset.lp")).await;
    write_v1(url, "otherdb", "dup,t=a v=1,w=1 1\n").await;
    write_v1(url, "otherdb", "dup,t=a v=2 1\n").await;
    write_v1(
        url,
        "otherdb",
        "esc\\ m,t\\ k=v\\,1,t2=a\\=b f\\ 1=\"quo\\\"te\",f2=1 1\n",
    )
    .await;
}

/// The body of a response as text, gunzipped when it came gzipped.
fn body_text(encoding: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    if encoding == Some("gzip") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes.to_vec()
    }
}

/// Parses a JSON body: one document (maybe pretty), or (chunked) one per line.
fn json_docs(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .map(|d| d.unwrap_or_else(|e| panic!("{e}: {text}")))
        .collect()
}

/// Replays the recorded HTTP cases of `file` that `keep` accepts against `url` (token
/// [`TOKEN`]); returns how many were compared and the differences.
pub(crate) async fn replay(
    url: &str,
    file: &str,
    keep: impl Fn(&Value) -> bool,
) -> (usize, Vec<String>) {
    let client = reqwest::Client::new();
    let mut differ = Vec::new();
    let mut compared = 0;
    for line in fixture(file).lines() {
        let case: Value = serde_json::from_str(line).unwrap();
        let name = case["name"].as_str().unwrap();
        let q_text = case["q"].as_str().unwrap_or_default();
        // Answers that depend on the recording's clock are compared by the executor's test.
        if q_text.contains("now()") || !keep(&case) {
            continue;
        }
        let mut params: Vec<(String, String)> = case["params"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let mut req = match case["method"].as_str().unwrap() {
            "POST" => {
                let form = std::mem::take(&mut params);
                client
                    .post(format!("{}{}", url, case["path"].as_str().unwrap()))
                    .form(&form)
            }
            _ => client.get(format!("{}{}", url, case["path"].as_str().unwrap())),
        }
        .query(&params)
        .header("Authorization", format!("Token {TOKEN}"));
        if let Some(h) = case["req_headers"].as_object() {
            for (k, v) in h {
                req = req.header(k.as_str(), v.as_str().unwrap());
            }
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let version = resp.headers().get("x-influxdb-version").cloned();
        let encoding = resp
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = resp.bytes().await.unwrap();
        let body = body_text(encoding.as_deref(), &bytes);
        compared += 1;
        assert!(version.is_some(), "{name}: no X-Influxdb-Version");

        let want_type = case["content_type"].as_str().unwrap();
        let same = status == case["status"].as_u64().unwrap() as u16
            && content_type.starts_with(want_type)
            && if want_type == "application/x-msgpack" {
                let want = base64::engine::general_purpose::STANDARD
                    .decode(case["body_b64"].as_str().unwrap())
                    .unwrap();
                msgpack_value(&body) == msgpack_value(&want)
            } else if want_type == "application/json" {
                json_docs(std::str::from_utf8(&body).unwrap())
                    == json_docs(case["body"].as_str().unwrap())
            } else {
                std::str::from_utf8(&body).unwrap() == case["body"].as_str().unwrap()
            };
        if !same {
            differ.push(format!(
                "{name}: {q_text}\n  want {} {want_type} {}\n  got  {status} {content_type} {}",
                case["status"],
                case["body"].as_str().unwrap_or("(msgpack)"),
                String::from_utf8_lossy(&body)
            ));
        }
    }
    (compared, differ)
}

#[tokio::test]
async fn recorded_influxdb_1x_http_answers_are_reproduced() {
    let (q, _dir) = serve();
    load(&q.url).await;
    let client = reqwest::Client::new();
    let (compared, differ) = replay(&q.url, "queries.jsonl", |_| true).await;
    assert!(compared > 50, "only {compared} cases replayed");
    assert!(
        differ.is_empty(),
        "{} of {compared} answers differ:\n{}",
        differ.len(),
        differ.join("\n")
    );

    // /ping as 1.x: 204 with the version headers, GET and HEAD.
    for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
        let resp = client
            .request(method.clone(), format!("{}/ping", q.url))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 204, "{method} /ping");
        assert!(resp.headers().contains_key("x-influxdb-version"));
        assert!(resp.headers().contains_key("x-influxdb-build"));
    }
}

/// A MessagePack document as a comparable value (maps with their keys sorted: 1.x writes tag
/// maps in Go's map order).
fn msgpack_value(bytes: &[u8]) -> String {
    fn norm(v: rmpv::Value) -> rmpv::Value {
        match v {
            rmpv::Value::Map(entries) => {
                let mut entries: Vec<(rmpv::Value, rmpv::Value)> =
                    entries.into_iter().map(|(k, v)| (k, norm(v))).collect();
                entries.sort_by_key(|(k, _)| k.to_string());
                rmpv::Value::Map(entries)
            }
            rmpv::Value::Array(items) => rmpv::Value::Array(items.into_iter().map(norm).collect()),
            other => other,
        }
    }
    let mut cursor = bytes;
    let mut docs = Vec::new();
    while !cursor.is_empty() {
        docs.push(norm(rmpv::decode::read_value(&mut cursor).unwrap()).to_string());
    }
    docs.join("\n")
}

#[tokio::test]
async fn influxdb_python_client_and_grafana_queries_work() {
    let (q, _dir) = serve();
    load(&q.url).await;

    let out = python_script(
        "influxql_clients.py",
        "influxdb",
        &[],
        &q.url,
        TOKEN,
        "testdb",
    );
    let dbs: Vec<&str> = out["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(dbs, ["testdb", "viaget", "otherdb"], "{out}");
    assert_eq!(
        out["count"],
        serde_json::json!([{"time": "1970-01-01T00:00:00Z", "count": 960}])
    );
    assert_eq!(
        out["epoch_ms"][0],
        serde_json::json!({"time": 1795219200000_i64, "usage_user": 61.11})
    );
    assert_eq!(out["epoch_ms"].as_array().unwrap().len(), 3);
    assert_eq!(
        out["rfc3339"][1],
        serde_json::json!({"time": "2026-11-21T00:01:00Z", "usage_user": 3.99})
    );
    assert_eq!(out["chunked_rows"], 960, "{out}");
    assert_eq!(out["chunks"], 10, "{out}");
    // As against InfluxDB 1.x: the client cannot unpack a chunked MessagePack answer.
    assert_eq!(out["msgpack_chunked"], "ExtraData", "{out}");
    assert_eq!(
        out["bind"],
        serde_json::json!([{"time": "1970-01-01T00:00:00Z", "count": 240}])
    );
    assert_eq!(out["group_by"].as_object().unwrap().len(), 4, "{out}");
    assert!(
        out["after_create"]
            .as_array()
            .unwrap()
            .contains(&Value::from("created_by_client")),
        "{out}"
    );
    assert_eq!(out["error"], "undefined function nope()", "{out}");
    assert_eq!(out["parse_error"][0], 400, "{out}");
    assert!(
        out["parse_error"][1]
            .as_str()
            .unwrap()
            .contains("error parsing query: found SELEC, expected SELECT"),
        "{out}"
    );

    // InfluxQL over Flight: influxdb3-python's language="influxql".
    let f = python_script(
        "influxql_clients.py",
        "influxdb3",
        &[],
        &q.url,
        TOKEN,
        "testdb",
    );
    assert_eq!(
        f["columns"],
        serde_json::json!(["iox::measurement", "time", "host", "mean"]),
        "{f}"
    );
    assert_eq!(f["rows"].as_array().unwrap().len(), 4, "{f}");
    assert_eq!(f["rows"][0][0], "cpu");
    assert_eq!(f["rows"][0][1], 0);
    assert_eq!(f["rows"][0][2], "server01");
    assert_eq!(
        f["group_key"],
        serde_json::json!({"measurement_column_index": 0, "tag_key_columns": [
            {"tag_key": "host", "column_index": 2, "is_projected": false}]})
    );
    assert_eq!(
        f["measurements"],
        serde_json::json!([
            {"iox::measurement": "measurements", "name": "cpu"},
            {"iox::measurement": "measurements", "name": "mem"}
        ])
    );
    assert!(
        f["error"]
            .as_str()
            .unwrap()
            .contains("undefined function nope()"),
        "{f}"
    );

    check_grafana(&q.url);
}

/// The requests Grafana's InfluxQL data source sends for a graph panel and its editor, against
/// the oracle dataset in `testdb` at `url`.
pub(crate) fn check_grafana(url: &str) {
    let g = python_script("influxql_clients.py", "grafana", &[], url, TOKEN, "testdb");
    let graph = &g["graph"]["results"][0]["series"];
    assert_eq!(graph.as_array().unwrap().len(), 4, "{g}");
    assert_eq!(graph[0]["tags"], serde_json::json!({"host": "server01"}));
    assert_eq!(graph[0]["columns"], serde_json::json!(["time", "mean"]));
    // 00:00 .. 04:00 inclusive: five hourly windows, the last one empty (fill(null)).
    let values = graph[0]["values"].as_array().unwrap();
    assert_eq!(values.len(), 5, "{g}");
    assert_eq!(values[0][0], 1795219200000_i64);
    assert_eq!(values[4][1], Value::Null);
    let hosts: Vec<&str> = g["tag_values"]["results"][0]["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[1].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["server01", "server02", "server03", "server04"]);
    assert_eq!(
        g["measurements"]["results"][0]["series"][0]["values"],
        serde_json::json!([["cpu"], ["mem"]])
    );
    assert_eq!(
        g["field_keys"]["results"][0]["series"][0]["values"],
        serde_json::json!([
            ["cores", "integer"],
            ["healthy", "boolean"],
            ["status", "string"],
            ["usage_idle", "float"],
            ["usage_system", "float"],
            ["usage_user", "float"]
        ])
    );
    assert_eq!(
        g["tag_keys"]["results"][0]["series"][0]["values"],
        serde_json::json!([["dc"], ["host"], ["region"]])
    );
    assert_eq!(
        g["retention"]["results"][0]["series"][0]["columns"][0], "name",
        "{g}"
    );
}

/// The `influx` 1.x CLI (`QUIVER_INFLUX_CLI`, else `influx` on the PATH: `.ci/run` installs
/// Debian's `influxdb-client`).
fn influx_cli() -> String {
    std::env::var("QUIVER_INFLUX_CLI").unwrap_or_else(|_| "influx".to_owned())
}

fn influx(url: &str, args: &[&str]) -> (bool, String, String) {
    let (host, port) = url.trim_start_matches("http://").rsplit_once(':').unwrap();
    let out = Command::new(influx_cli())
        .args(["-host", host, "-port", port, "-username", "quiver"])
        .args(["-password", TOKEN])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("the influx 1.x CLI ({}) runs: {e}", influx_cli()));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `influx` 1.x CLI's queries against the oracle dataset in `testdb` at `url`: CSV, JSON
/// (chunked: one result per series) with -precision, and a statement error.
pub(crate) fn check_cli_queries(url: &str) {
    let (ok, out, err) = influx(
        url,
        &[
            "-database",
            "testdb",
            "-format",
            "csv",
            "-execute",
            "SELECT usage_user, host FROM cpu WHERE host = 'server01' LIMIT 2",
        ],
    );
    assert!(ok, "{out}\n{err}");
    assert_eq!(
        out,
        "name,time,usage_user,host\ncpu,1795219200000000000,61.11,server01\ncpu,1795219260000000000,3.99,server01\n"
    );

    let (ok, out, err) = influx(
        url,
        &[
            "-database",
            "testdb",
            "-format",
            "json",
            "-precision",
            "s",
            "-execute",
            "SELECT count(usage_user) FROM cpu GROUP BY host",
        ],
    );
    assert!(ok, "{out}\n{err}");
    // The CLI queries chunked: one result per series, as against InfluxDB 1.x.
    let doc: Value = serde_json::from_str(out.trim()).unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "{out}");
    assert_eq!(
        results[3]["series"][0]["tags"],
        serde_json::json!({"host": "server04"})
    );
    assert_eq!(
        results[3]["series"][0]["values"][0],
        serde_json::json!([0, 240])
    );

    // A statement error is printed, and the CLI exits non-zero.
    let (ok, out, err) = influx(
        url,
        &["-database", "testdb", "-execute", "SELECT nope(x) FROM cpu"],
    );
    assert!(!ok, "{out}");
    assert!(
        format!("{out}{err}").contains("undefined function nope()"),
        "{out}\n{err}"
    );
}

#[tokio::test]
async fn influx_1x_cli_queries_and_imports() {
    let (q, dir) = serve();
    load(&q.url).await;

    check_cli_queries(&q.url);

    let (ok, out, err) = influx(&q.url, &["-execute", "SHOW DATABASES", "-format", "csv"]);
    assert!(ok, "{out}\n{err}");
    assert_eq!(
        out,
        "name,name\ndatabases,testdb\ndatabases,viaget\ndatabases,otherdb\n"
    );

    // -import: a file with DDL and DML sections (the CLI sends CREATE DATABASE, then writes).
    let file = dir.path().join("import.txt");
    std::fs::write(
        &file,
        "# DDL\nCREATE DATABASE imported\n\n# DML\n# CONTEXT-DATABASE: imported\n\
         weather,city=paris temp=12.5 1795219200\nweather,city=oslo temp=-3 1795219200\n",
    )
    .unwrap();
    let (ok, out, err) = influx(
        &q.url,
        &[
            "-import",
            "-path",
            file.to_str().unwrap(),
            "-precision",
            "s",
        ],
    );
    assert!(ok, "{out}\n{err}");
    let log = format!("{out}{err}");
    assert!(log.contains("Processed 1 commands"), "{log}");
    assert!(log.contains("Processed 2 inserts"), "{log}");
    assert!(log.contains("Failed 0 inserts"), "{log}");
    let (ok, out, err) = influx(
        &q.url,
        &[
            "-database",
            "imported",
            "-format",
            "csv",
            "-execute",
            "SELECT * FROM weather",
        ],
    );
    assert!(ok, "{out}\n{err}");
    assert_eq!(
        out,
        "name,time,city,temp\nweather,1795219200000000000,oslo,-3\nweather,1795219200000000000,paris,12.5\n"
    );
}

#[tokio::test]
async fn api_v3_query_endpoints_answer_every_format() {
    let (q, _dir) = serve();
    load(&q.url).await;
    let client = reqwest::Client::new();
    let get = |path: &str, params: &[(&str, &str)]| {
        client
            .get(format!("{}{path}", q.url))
            .query(params)
            .header("Authorization", format!("Bearer {TOKEN}"))
            .send()
    };
    let sql = "SELECT host, usage_user FROM cpu WHERE time = '2026-11-21T00:00:00Z' ORDER BY host LIMIT 2";
    let resp = get("/api/v3/query_sql", &[("db", "testdb"), ("q", sql)])
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        serde_json::json!([
            {"host": "server01", "usage_user": 61.11},
            {"host": "server02", "usage_user": 24.02}
        ])
    );
    let text = |format: &'static str| {
        let sql = sql.to_owned();
        let get = &get;
        async move {
            let resp = get(
                "/api/v3/query_sql",
                &[("db", "testdb"), ("q", &sql), ("format", format)],
            )
            .await
            .unwrap();
            let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
            (ct, resp.bytes().await.unwrap())
        }
    };
    let (ct, body) = text("jsonl").await;
    assert_eq!(ct, "application/jsonl");
    assert_eq!(
        std::str::from_utf8(&body).unwrap(),
        "{\"host\":\"server01\",\"usage_user\":61.11}\n{\"host\":\"server02\",\"usage_user\":24.02}\n"
    );
    let (ct, body) = text("csv").await;
    assert_eq!(ct, "text/csv");
    assert_eq!(
        std::str::from_utf8(&body).unwrap(),
        "host,usage_user\nserver01,61.11\nserver02,24.02\n"
    );
    let (_, body) = text("pretty").await;
    assert!(
        std::str::from_utf8(&body)
            .unwrap()
            .contains("| server01 | 61.11      |")
    );
    let (ct, body) = text("parquet").await;
    assert_eq!(ct, "application/vnd.apache.parquet");
    assert!(body.starts_with(b"PAR1") && body.ends_with(b"PAR1"));

    // InfluxQL, POST with a JSON body and bind parameters: the iox::measurement column first.
    let resp = client
        .post(format!("{}/api/v3/query_influxql", q.url))
        .header("Authorization", format!("Token {TOKEN}"))
        .json(&serde_json::json!({
            "db": "testdb",
            "q": "SELECT count(usage_user) FROM cpu WHERE host = $h",
            "params": {"h": "server03"},
            "format": "jsonl"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.text().await.unwrap(),
        "{\"iox::measurement\":\"cpu\",\"time\":\"1970-01-01T00:00:00\",\"count\":240}\n"
    );

    // Errors: JSON {"error"} with 400 / 401 / 404.
    let resp = get(
        "/api/v3/query_influxql",
        &[("db", "testdb"), ("q", "SELEC 1")],
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    let e: Value = resp.json().await.unwrap();
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .starts_with("error parsing query: found SELEC")
    );
    let resp = get("/api/v3/query_sql", &[("db", "nope"), ("q", "SELECT 1")])
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        serde_json::json!({"error": "database not found: nope"})
    );
    let resp = client
        .get(format!("{}/api/v3/query_sql?db=testdb&q=SELECT+1", q.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = get(
        "/api/v3/query_sql",
        &[("db", "testdb"), ("q", "SELECT 1"), ("format", "xml")],
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn a_dbrp_mapping_routes_v1_writes_and_queries() {
    let (q, _dir) = serve();
    let client = reqwest::Client::new();
    let auth = format!("Token {TOKEN}");
    let (status, _) = query_post(&q.url, "CREATE DATABASE telemetry").await;
    assert_eq!(status, 200);
    let buckets: Value = client
        .get(format!("{}/api/v2/buckets?name=telemetry", q.url))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bucket_id = buckets["buckets"][0]["id"].as_str().unwrap().to_owned();
    let resp = client
        .post(format!("{}/api/v2/dbrps", q.url))
        .header("Authorization", &auth)
        .json(&serde_json::json!({
            "bucketID": bucket_id, "database": "legacy",
            "retention_policy": "weekly", "default": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());

    // v1 /write and /query with db=legacy (with or without rp) reach "telemetry".
    write_v1(&q.url, "legacy", "m v=1 1795219200\nm v=2 1795219260\n").await;
    for params in ["db=legacy", "db=legacy&rp=weekly"] {
        let body: Value = client
            .get(format!("{}/query?{params}&q=SELECT+count(v)+FROM+m", q.url))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            body["results"][0]["series"][0]["values"][0][1], 2,
            "{params}: {body}"
        );
    }
    let body: Value = client
        .get(format!(
            "{}/query?db=telemetry&q=SELECT+count(v)+FROM+m",
            q.url
        ))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["results"][0]["series"][0]["values"][0][1], 2, "{body}");
}

/// Polls `q` on `/query?{params}` until `check` accepts its JSON answer (the router and the
/// querier see catalog changes through their caches within a second); returns the last answer.
async fn query_until(url: &str, params: &str, q: &str, check: impl Fn(&Value) -> bool) -> Value {
    let client = reqwest::Client::new();
    let mut last = Value::Null;
    for _ in 0..50 {
        last = client
            .get(format!("{url}/query?{params}"))
            .query(&[("q", q)])
            .header("Authorization", format!("Token {TOKEN}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if check(&last) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test]
async fn retention_policies_are_databases_v1_clients_write_and_read() {
    let (q, _dir) = serve();
    let url = q.url.as_str();
    let ok = "{\"results\":[{\"statement_id\":0}]}\n";
    for stmt in [
        "CREATE DATABASE rpdb",
        "CREATE RETENTION POLICY month ON rpdb DURATION 30d REPLICATION 1",
    ] {
        assert_eq!(query_post(url, stmt).await, (200, ok.to_owned()), "{stmt}");
    }
    let (_, body) = query_post(
        url,
        "CREATE RETENTION POLICY rp ON nodb DURATION 1d REPLICATION 1",
    )
    .await;
    assert_eq!(
        body,
        "{\"results\":[{\"statement_id\":0,\"error\":\"database not found: nodb\"}]}\n"
    );
    let rps = |v: &Value| v["results"][0]["series"][0]["values"].clone();
    let shown = query_until(url, "db=rpdb", "SHOW RETENTION POLICIES ON rpdb", |v| {
        rps(v).as_array().is_some_and(|a| a.len() == 2)
    })
    .await;
    assert_eq!(
        rps(&shown),
        serde_json::json!([
            ["autogen", "0s", "168h0m0s", 1, true],
            ["month", "720h0m0s", "24h0m0s", 1, false]
        ])
    );

    // /write with rp=month writes the policy's database; /query with rp=month reads it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    write_v1(url, "rpdb&rp=month", &format!("m v=1 {}\n", now - 60)).await;
    let count = |v: &Value| v["results"][0]["series"][0]["values"][0][1].clone();
    let read = query_until(url, "db=rpdb&rp=month", "SELECT count(v) FROM m", |v| {
        count(v) == 1
    })
    .await;
    assert_eq!(count(&read), 1, "{read}");
    let read = query_until(url, "db=rpdb", "SELECT count(v) FROM rpdb.month.m", |v| {
        count(v) == 1
    })
    .await;
    assert_eq!(count(&read), 1, "{read}");

    // DEFAULT: writes and queries without rp go to it.
    assert_eq!(
        query_post(url, "ALTER RETENTION POLICY month ON rpdb DEFAULT").await,
        (200, ok.to_owned())
    );
    let read = query_until(url, "db=rpdb", "SELECT count(v) FROM m", |v| count(v) == 1).await;
    assert_eq!(count(&read), 1, "{read}");

    // DROP removes the policy and its data.
    assert_eq!(
        query_post(url, "DROP RETENTION POLICY month ON rpdb").await,
        (200, ok.to_owned())
    );
    let shown = query_until(url, "db=rpdb", "SHOW RETENTION POLICIES ON rpdb", |v| {
        rps(v).as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    assert_eq!(
        rps(&shown),
        serde_json::json!([["autogen", "0s", "168h0m0s", 1, true]])
    );
    let read = query_until(url, "db=rpdb&rp=month", "SELECT count(v) FROM m", |v| {
        v["results"][0]["error"].is_string()
    })
    .await;
    assert_eq!(
        read["results"][0]["error"], "retention policy not found: month",
        "{read}"
    );
}

/// EXPLAIN and EXPLAIN ANALYZE over HTTP `/query`: 1.x's one-column `QUERY PLAN` (`EXPLAIN
/// ANALYZE` for the tree) series, with the counts of what `serve` holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_over_query_answers_the_plan() {
    let (q, _dir) = serve();
    let (status, _) = query_post(&q.url, "CREATE DATABASE plans").await;
    assert_eq!(status, 200);
    write_v1(
        &q.url,
        "plans",
        "cpu,host=a usage_user=1 1700000000\ncpu,host=b usage_user=2 1700000010\n",
    )
    .await;
    let ask = |statement: &'static str| {
        let url = q.url.clone();
        async move {
            let resp = reqwest::Client::new()
                .get(format!("{url}/query"))
                .query(&[("db", "plans"), ("q", statement)])
                .header("Authorization", format!("Token {TOKEN}"))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };
    let plan = ask(
        "EXPLAIN SELECT usage_user FROM cpu WHERE time >= '2023-11-14T00:00:00Z' AND time < '2023-11-15T00:00:00Z'",
    )
    .await;
    let series = &plan["results"][0]["series"][0];
    assert_eq!(
        series["columns"],
        serde_json::json!(["QUERY PLAN"]),
        "{plan}"
    );
    let lines: Vec<&str> = series["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[0].as_str().unwrap())
        .collect();
    assert_eq!(
        &lines[..4],
        [
            "EXPRESSION: <nil>",
            "AUXILIARY FIELDS: usage_user::float",
            "NUMBER OF SHARDS: 1",
            "NUMBER OF SERIES: 2"
        ],
        "{plan}"
    );
    let analyzed = ask("EXPLAIN ANALYZE SELECT max(usage_user) FROM cpu GROUP BY host").await;
    let series = &analyzed["results"][0]["series"][0];
    assert_eq!(
        series["columns"],
        serde_json::json!(["EXPLAIN ANALYZE"]),
        "{analyzed}"
    );
    let tree: Vec<&str> = series["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[0].as_str().unwrap())
        .collect();
    assert_eq!(tree[..2], [".", "└── select"], "{analyzed}");
    assert!(
        tree.iter().any(|l| l.contains(
            "statement: SELECT max(usage_user::float) FROM plans.autogen.cpu GROUP BY host"
        )),
        "{analyzed}"
    );
}
