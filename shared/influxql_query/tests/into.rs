//! SELECT INTO against InfluxDB 1.6.7's recorded answers (tests/fixtures/influxql_oracle/
//! into.jsonl): the statement's answer and, read back from the target, what it wrote.
//!
//! ```text
//! dataset.lp ──► Parquet + catalog (testdb), database scratch
//! into.jsonl, case by case (in order: later cases see earlier writes)
//!   ──► Executor (with a PointsWriter persisting the points as an ingester would, schema
//!       upsert first: a conflict is the writer's error) ──► answer JSON == recorded
//!   ──► every read-back query of the case ──► JSON == recorded
//! ```
//!
//! Plus the points themselves for a few statements (time, tags, fields, skipped rows), the
//! WRITE authorization and the answer without a points writer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use auth::{Action, Authorization, Permission};
use catalog::{Catalog, CatalogError, Database, SchemaUpsert};
use common::Fixture;
use influxql_query::{Executor, Point, PointsWriter, Request, WritePointsError, line_protocol};
use line_protocol::Precision;
use query::QueryDatabase;
use serde_json::Value;
use v1_query::result::Value as V;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/influxql_oracle")
}

/// Persists what it is given as the router + ingester would (schema upsert, then Parquet),
/// and keeps a copy of every batch.
struct PersistingWriter {
    fixture: tokio::sync::Mutex<Fixture>,
    catalog: Arc<catalog::MemCatalog>,
    written: Mutex<Vec<(String, Vec<Point>)>>,
}

impl std::fmt::Debug for PersistingWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersistingWriter")
    }
}

#[async_trait::async_trait]
impl PointsWriter for PersistingWriter {
    async fn write_points(
        &self,
        database: &Database,
        points: &[Point],
    ) -> Result<(), WritePointsError> {
        let lp = line_protocol(points);
        let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
        converter.write_lp(&lp);
        let converted = converter.finish().unwrap();
        if !converted.rejections.is_empty() {
            // As the router's all-or-nothing rejection (`router::LineWriter`).
            let mut text = "no data written, errors encountered on line(s):".to_owned();
            for r in &converted.rejections {
                text.push('\n');
                text.push_str(&r.to_string());
            }
            return Err(WritePointsError::Other(text));
        }
        let mut upsert = SchemaUpsert::new();
        for t in &converted.tables {
            for field in t.batch.schema().fields() {
                let ty = schema::influx_column_type(field).unwrap();
                upsert.add(&t.name, field.name(), ty).unwrap();
            }
        }
        match self.catalog.upsert_schema(database.id, &upsert).await {
            Ok(_) => {}
            Err(e @ CatalogError::SchemaConflict { .. }) => {
                let CatalogError::SchemaConflict {
                    table,
                    column,
                    existing,
                    write,
                } = &e
                else {
                    unreachable!()
                };
                return Err(WritePointsError::schema_conflict(
                    table,
                    column,
                    *existing,
                    *write,
                    e.to_string(),
                ));
            }
            Err(e) => return Err(WritePointsError::Other(e.to_string())),
        }
        self.fixture
            .lock()
            .await
            .persist(database.name.as_str(), &lp, Precision::Nanoseconds)
            .await;
        self.written
            .lock()
            .unwrap()
            .push((database.name.as_str().to_owned(), points.to_vec()));
        Ok(())
    }
}

struct Env {
    executor: Executor,
    writer: Arc<PersistingWriter>,
}

async fn env() -> Env {
    let mut f = Fixture::new().await;
    let dataset = std::fs::read_to_string(fixtures().join("dataset.lp")).unwrap();
    f.persist("testdb", &dataset, Precision::Seconds).await;
    f.database("scratch").await;
    let qdb = Arc::new(QueryDatabase::new(f.catalog.clone(), Arc::clone(&f.store)));
    let writer = Arc::new(PersistingWriter {
        catalog: f.catalog.clone(),
        fixture: tokio::sync::Mutex::new(f),
        written: Mutex::new(Vec::new()),
    });
    let executor =
        Executor::new(qdb).with_points_writer(Some(Arc::clone(&writer) as Arc<dyn PointsWriter>));
    Env { executor, writer }
}

fn request(db: &str, authorization: Authorization) -> Request {
    Request {
        database: Some(db.to_owned()),
        retention_policy: None,
        now: 1_800_000_000_000_000_000,
        authorization,
    }
}

async fn run(executor: &Executor, db: &str, q: &str, epoch: Option<&str>) -> Value {
    let query = influxql::parser::parse_query(q).unwrap();
    let req = request(db, Authorization::operator());
    executor.authorize(&query, &req).unwrap();
    let results = executor.execute(&query, &req).await;
    let options = v1_query::Options {
        epoch: epoch.and_then(v1_query::Epoch::from_param),
        ..v1_query::Options::default()
    };
    let body = v1_query::encode_response(v1_query::Format::Json, &results, &options);
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_select_into() {
    let env = env().await;
    let text = std::fs::read_to_string(fixtures().join("into.jsonl")).unwrap();
    let mut failures = Vec::new();
    let mut cases = 0;
    for line in text.lines() {
        let case: Value = serde_json::from_str(line).unwrap();
        cases += 1;
        let name = case["name"].as_str().unwrap();
        let db = case["db"].as_str().unwrap();
        let q = case["q"].as_str().unwrap();
        let got = run(&env.executor, db, q, case["epoch"].as_str()).await;
        if got != case["body_json"] {
            failures.push(format!(
                "{name}: {q}\n  want {}\n  got  {got}",
                case["body_json"]
            ));
        }
        for read in case["reads"].as_array().unwrap() {
            let rq = read["q"].as_str().unwrap();
            let got = run(&env.executor, "scratch", rq, None).await;
            if got != read["body_json"] {
                failures.push(format!(
                    "{name} read back: {rq}\n  want {}\n  got  {got}",
                    read["body_json"]
                ));
            }
        }
    }
    assert!(cases >= 20, "{cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn points_written() {
    let env = env().await;
    // GROUP BY time + tag: window starts, the tag kept, the alias as the field name, an empty
    // window (fill(null) → none) not written; the target database is the request's.
    let q = "SELECT mean(usage_user) AS m, count(usage_user) INTO into_a FROM testdb.autogen.cpu \
             WHERE host = 'server02' AND time >= 1795219080s AND time < 1795219440s \
             GROUP BY time(2m), host";
    let answer = run(&env.executor, "scratch", q, Some("s")).await;
    assert_eq!(
        answer["results"][0]["series"][0]["values"],
        serde_json::json!([[0, 2]])
    );
    let written = env.writer.written.lock().unwrap().clone();
    assert_eq!(written.len(), 1);
    let (db, points) = &written[0];
    assert_eq!(db, "scratch");
    // The rows the same SELECT answers without INTO.
    let plain = run(
        &env.executor,
        "testdb",
        &q.replace(" INTO into_a", "").replace("testdb.autogen.", ""),
        Some("ns"),
    )
    .await;
    let rows = plain["results"][0]["series"][0]["values"]
        .as_array()
        .unwrap()
        .clone();
    // Windows 23:58 (empty: not written), 00:00 and 00:02.
    assert_eq!(rows.len(), 3, "{plain}");
    assert_eq!(rows[0][1], Value::Null);
    let rows = &rows[1..];
    assert_eq!(points.len(), 2);
    for (p, row) in points.iter().zip(rows) {
        assert_eq!(p.measurement, "into_a");
        assert_eq!(
            p.tags.iter().collect::<Vec<_>>(),
            vec![(&"host".to_owned(), &"server02".to_owned())]
        );
        assert_eq!(p.time, row[0].as_i64().unwrap());
        assert_eq!(p.fields.len(), 2);
        assert_eq!(p.fields[0].0, "m");
        assert_eq!(p.fields[0].1, V::Float(row[1].as_f64().unwrap()));
        assert_eq!(
            p.fields[1],
            ("count".to_owned(), V::Integer(row[2].as_i64().unwrap()))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_authorization_and_no_writer() {
    let env = env().await;
    let q = influxql::parser::parse_query(
        "SELECT usage_user INTO scratch.autogen.x FROM cpu WHERE time < 1795219300s",
    )
    .unwrap();
    let read_only = Authorization {
        operator: false,
        permissions: vec![
            Permission::database(Action::Read, "testdb"),
            Permission::database(Action::Read, "scratch"),
        ],
    };
    assert_eq!(
        env.executor.authorize(&q, &request("testdb", read_only)),
        Err("error authorizing query: token not authorized to execute statement 'SELECT usage_user INTO scratch.autogen.x FROM cpu WHERE time < 1795219300s', requires WRITE on scratch".to_owned())
    );
    let write_only = Authorization {
        operator: false,
        permissions: vec![Permission::database(Action::Write, "scratch")],
    };
    assert!(
        env.executor
            .authorize(&q, &request("testdb", write_only.clone()))
            .unwrap_err()
            .ends_with("requires READ on testdb")
    );
    let both = Authorization {
        operator: false,
        permissions: vec![
            Permission::database(Action::Read, "testdb"),
            Permission::database(Action::Write, "scratch"),
        ],
    };
    assert_eq!(env.executor.authorize(&q, &request("testdb", both)), Ok(()));

    // An executor without a points writer answers a statement error.
    let f = Fixture::new().await;
    let bare = Executor::new(Arc::new(QueryDatabase::new(
        f.catalog.clone(),
        Arc::clone(&f.store),
    )));
    let results = bare
        .execute(&q, &request("testdb", Authorization::operator()))
        .await;
    assert_eq!(
        results[0].error.as_deref(),
        Some("SELECT INTO is not supported here: this server has no points writer")
    );
}

#[test]
fn line_protocol_escapes_and_types() {
    let p = Point {
        measurement: "m ,x".into(),
        tags: [("t k".to_owned(), "a=b,c".to_owned())].into(),
        fields: vec![
            ("f".into(), V::Float(4.0)),
            ("i".into(), V::Integer(-3)),
            ("u".into(), V::Unsigned(7)),
            ("s".into(), V::String("q\"b\\".into())),
            ("b".into(), V::Boolean(true)),
            ("g".into(), V::Float(0.1)),
        ],
        time: 5,
    };
    let lp = line_protocol(&[p]);
    assert_eq!(
        lp,
        "m\\ \\,x,t\\ k=a\\=b\\,c f=4,i=-3i,u=7u,s=\"q\\\"b\\\\\",b=true,g=0.1 5\n"
    );
    let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(&lp);
    let converted = converter.finish().unwrap();
    assert!(converted.rejections.is_empty());
    assert_eq!(converted.tables[0].name, "m ,x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_differences_from_1x() {
    let env = env().await;
    // A field named like a target tag: 1.x stores both; a Quiver column is one or the other.
    let q = "SELECT usage_user AS region INTO scratch.autogen.tc1 FROM testdb.autogen.cpu \
             WHERE host = 'server01' AND time < 1795219300s GROUP BY region";
    let got = run(&env.executor, "scratch", q, None).await;
    assert_eq!(
        got["results"][0]["error"],
        "no data written, errors encountered on line(s):\n\
         error parsing line 1 (1-based): the name 'region' is used for both a tag and a field\n\
         error parsing line 2 (1-based): the name 'region' is used for both a tag and a field"
    );
    // A `time` column that is not a time: 1.x's panic text as a statement error.
    let q = "SELECT usage_user AS time INTO scratch.autogen.t2 FROM testdb.autogen.cpu \
             WHERE host = 'server01' AND time < 1795219300s";
    let got = run(&env.executor, "scratch", q, None).await;
    let error = got["results"][0]["error"].as_str().unwrap();
    assert!(
        error.ends_with("[panic:interface conversion: interface {} is float64, not time.Time]"),
        "{error}"
    );
    assert!(env.writer.written.lock().unwrap().is_empty());
}
