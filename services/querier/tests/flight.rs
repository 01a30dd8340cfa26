//! The querier's Flight service end to end: real gRPC on 127.0.0.1, Parquet files on local disk
//! (written with `parquet_store`, listed in a `MemCatalog`), clients: arrow-flight's Rust
//! `FlightClient`, `pyarrow.flight` and `influxdb3-python` (subprocesses, see flight_client.py).
//!
//! ```text
//! Fixture: MemCatalog (db "db", tokens) + file store ──► querier::serve(127.0.0.1:0)
//!   ◄── DoGet from Rust / pyarrow / influxdb3-python ──► rows, metadata, status codes
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use arrow_flight::{FlightClient, FlightDescriptor, Ticket};
use auth::{Action, Permission, TokenHash};
use catalog::{
    Catalog, Database, DatabaseName, DatabaseOptions, MemCatalog, NewToken, PersistCommit,
    SchemaUpsert,
};
use config::{ObjectStoreArgs, ObjectStoreKind};
use futures::TryStreamExt;
use line_protocol::Precision;
use parquet_store::{FileMeta, object_store_from, write_parquet};
use query::QueryDatabase;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tonic::Code;

const READER: &str = "reader-token";
const OTHER: &str = "other-db-token";
const OPERATOR: &str = "operator-token";
const REVOKED: &str = "revoked-token";

struct Server {
    port: u16,
    catalog: Arc<MemCatalog>,
    store: Arc<dyn parquet_store::object_store::ObjectStore>,
    db: Database,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), querier::QuerierError>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let args = ObjectStoreArgs {
            object_store: Some(ObjectStoreKind::File),
            ..Default::default()
        };
        let store = object_store_from(&args, Some(dir.path())).unwrap();
        let catalog = Arc::new(MemCatalog::new());
        let db = catalog
            .create_database(
                &DatabaseName::new("db").unwrap(),
                DatabaseOptions::default(),
            )
            .await
            .unwrap();
        for (token, operator, database) in [
            (READER, false, "db"),
            (OTHER, false, "other"),
            (OPERATOR, true, "db"),
            (REVOKED, false, "db"),
        ] {
            let record = catalog
                .create_token(NewToken {
                    hash: TokenHash::of(token),
                    description: token.into(),
                    operator,
                    permissions: vec![Permission::database(Action::Read, database)],
                })
                .await
                .unwrap();
            if token == REVOKED {
                catalog.revoke_token(record.id).await.unwrap();
            }
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let qdb = QueryDatabase::new(catalog.clone(), Arc::clone(&store));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(querier::serve(listener, qdb, async {
            let _ = stopped.await;
        }));
        Self {
            port,
            catalog,
            store,
            db,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Persists `lp` as one file per table in partition `1970-01-01`, at the next offset.
    async fn persist(&self, lp: &str) {
        let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
        converter.write_lp(lp);
        let converted = converter.finish().unwrap();
        assert!(converted.rejections.is_empty());
        let expected = self
            .catalog
            .persisted_offsets()
            .await
            .unwrap()
            .get(&0)
            .copied();
        let offset = expected.map_or(0, |o| o + 1);
        let mut files = Vec::new();
        for table in &converted.tables {
            let mut upsert = SchemaUpsert::new();
            for field in table.batch.schema().fields() {
                let t = schema::influx_column_type(field).unwrap();
                upsert.add(&table.name, field.name(), t).unwrap();
            }
            let schema = self
                .catalog
                .upsert_schema(self.db.id, &upsert)
                .await
                .unwrap();
            let batch = schema::dedup::sort_dedup(std::slice::from_ref(&table.batch)).unwrap();
            let meta = FileMeta {
                database_id: self.db.id,
                database_name: "db".into(),
                table_id: schema.tables[&table.name].id,
                table_name: table.name.clone(),
                partition_key: "1970-01-01".into(),
                log_partition: 0,
                min_offset: offset,
                max_offset: offset,
            };
            files.push(write_parquet(&self.store, &meta, &batch).await.unwrap());
        }
        let commit = PersistCommit {
            log_partition: 0,
            expected_offset: expected,
            new_offset: offset,
            files,
        };
        self.catalog.commit_persist(commit).await.unwrap();
    }

    async fn client(&self, token: Option<&str>) -> FlightClient {
        let channel =
            tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{}", self.port))
                .unwrap()
                .connect()
                .await
                .unwrap();
        let mut client = FlightClient::new(channel);
        if let Some(token) = token {
            client
                .add_header("authorization", &format!("Bearer {token}"))
                .unwrap();
        }
        client
    }

    async fn do_get(
        &self,
        token: Option<&str>,
        ticket: &str,
    ) -> Result<Vec<RecordBatch>, tonic::Status> {
        let mut client = self.client(token).await;
        let stream = client.do_get(Ticket::new(ticket.to_string())).await;
        let result = match stream {
            Ok(s) => s.try_collect().await,
            Err(e) => Err(e),
        };
        result.map_err(tonic::Status::from)
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).unwrap();
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

fn sql_ticket(database: &str, sql: &str) -> String {
    json!({"database": database, "sql_query": sql, "query_type": "sql"}).to_string()
}

const DATA_1: &str = "cpu,host=a usage=1,idle=10 1\ncpu,host=b usage=2 1\n";
const DATA_2: &str = "cpu,host=a usage=5 1\ncpu,host=a usage=7 2\n";

#[tokio::test]
async fn rust_client_reads_deduplicated_rows_with_influx_metadata() {
    let server = Server::start().await;
    server.persist(DATA_1).await;
    server.persist(DATA_2).await;
    let batches = server
        .do_get(
            Some(READER),
            &sql_ticket(
                "db",
                "SELECT host, idle, usage, time FROM cpu ORDER BY host, time",
            ),
        )
        .await
        .unwrap();
    let text = pretty_format_batches(&batches).unwrap().to_string();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "+------+------+-------+-------------------------------+",
            "| host | idle | usage | time                          |",
            "+------+------+-------+-------------------------------+",
            "| a    | 10.0 | 5.0   | 1970-01-01T00:00:00.000000001 |",
            "| a    |      | 7.0   | 1970-01-01T00:00:00.000000002 |",
            "| b    |      | 2.0   | 1970-01-01T00:00:00.000000001 |",
            "+------+------+-------+-------------------------------+",
        ]
    );
    let schema = batches[0].schema();
    let types: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| {
            f.metadata()
                .get("iox::column::type")
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        types,
        [
            "iox::column_type::tag",
            "iox::column_type::field::float",
            "iox::column_type::field::float",
            "iox::column_type::timestamp"
        ]
    );
    // Aliases of the database key, a missing query_type, and an empty result still carry a schema.
    for key in ["namespace_name", "bucket", "bucket-name"] {
        let ticket = json!({key: "db", "sql_query": "SELECT count(*) AS n FROM cpu"}).to_string();
        let batches = server.do_get(Some(READER), &ticket).await.unwrap();
        let text = pretty_format_batches(&batches).unwrap().to_string();
        assert!(text.contains("| 3 |"), "{key}: {text}");
    }
    server.stop().await;
}

async fn status(server: &Server, token: Option<&str>, ticket: &str) -> (Code, String) {
    match server.do_get(token, ticket).await {
        Ok(batches) => panic!("expected an error, got {batches:?}"),
        Err(status) => (status.code(), status.message().to_string()),
    }
}

#[tokio::test]
async fn every_status_code() {
    let server = Server::start().await;
    server.persist(DATA_1).await;
    let ok = sql_ticket("db", "SELECT * FROM cpu");

    let (code, message) = status(&server, None, &ok).await;
    assert_eq!(code, Code::Unauthenticated);
    assert_eq!(
        message,
        "Unauthenticated: no token in the 'authorization' header (use 'Bearer <token>')"
    );
    for token in ["wrong", REVOKED] {
        let (code, message) = status(&server, Some(token), &ok).await;
        assert_eq!(
            (code, message.as_str()),
            (Code::PermissionDenied, "Permission denied: invalid token")
        );
    }
    let (code, message) = status(&server, Some(OTHER), &ok).await;
    assert_eq!(code, Code::PermissionDenied);
    assert_eq!(
        message,
        "Permission denied: token may not read database 'db'"
    );
    // Without permission on a missing database: still denied (existence is not revealed).
    let (code, _) = status(&server, Some(READER), &sql_ticket("nope", "SELECT 1")).await;
    assert_eq!(code, Code::PermissionDenied);
    let (code, message) = status(&server, Some(OPERATOR), &sql_ticket("nope", "SELECT 1")).await;
    assert_eq!(
        (code, message.as_str()),
        (Code::NotFound, "Database 'nope' not found")
    );

    let (code, message) = status(&server, Some(READER), "not json").await;
    assert_eq!(code, Code::InvalidArgument);
    assert_eq!(
        message,
        "Invalid ticket. Error: ticket is not a JSON object: expected ident at line 1 column 2"
    );
    let (code, message) = status(&server, Some(READER), r#"{"database":"db"}"#).await;
    assert_eq!(
        (code, message.as_str()),
        (
            Code::InvalidArgument,
            "Invalid ticket. Error: missing 'sql_query'"
        )
    );
    let flux = json!({"database": "db", "sql_query": "x", "query_type": "flux"}).to_string();
    let (code, message) = status(&server, Some(READER), &flux).await;
    assert_eq!(code, Code::InvalidArgument);
    assert_eq!(
        message,
        "Unknown query type. Expected 'sql' or 'influxql', got flux"
    );
    let influxql =
        json!({"database": "db", "sql_query": "SELEC * FROM cpu", "query_type": "influxql"})
            .to_string();
    let (code, message) = status(&server, Some(READER), &influxql).await;
    assert_eq!(code, Code::InvalidArgument);
    assert!(
        message.starts_with("error parsing query: found SELEC, expected SELECT"),
        "{message}"
    );

    let (code, message) = status(
        &server,
        Some(READER),
        &sql_ticket("db", "SELECT * FROM nope"),
    )
    .await;
    assert_eq!(code, Code::InvalidArgument);
    assert!(
        message.contains("table 'public.iox.nope' not found"),
        "{message}"
    );
    let (code, message) = status(&server, Some(READER), &sql_ticket("db", "SELEC 1")).await;
    assert_eq!(code, Code::InvalidArgument, "{message}");
    for statement in [
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO cpu (host) VALUES ('x')",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let (code, message) = status(&server, Some(OPERATOR), &sql_ticket("db", statement)).await;
        assert_eq!(code, Code::InvalidArgument, "{statement}: {message}");
    }

    let mut client = server.client(Some(READER)).await;
    let err = client
        .get_flight_info(FlightDescriptor::new_cmd("SELECT 1"))
        .await
        .unwrap_err();
    // GetFlightInfo is Flight SQL (tests/flight_sql.rs): plain SQL is not a Flight SQL command.
    let status = tonic::Status::from(err);
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .starts_with("Invalid Flight SQL command: the FlightDescriptor's cmd must be"),
        "{status}"
    );
    server.stop().await;
}

/// Mistakes in a query's values and functions are the client's (INVALID_ARGUMENT), not the
/// server's (INTERNAL): the bad-input run of issue #15.
#[tokio::test]
async fn user_mistakes_are_invalid_argument() {
    let server = Server::start().await;
    server.persist(DATA_1).await;
    for sql in [
        "SELECT 1/0",
        "SELECT CAST('abc' AS INT)",
        "SELECT regexp_like(host, '(') FROM cpu",
        "SELECT to_timestamp('x')",
        "SELECT arrow_cast(1, 'NoSuchType')",
        "SELECT date_bin(INTERVAL '0 seconds', time) FROM cpu",
        "SELECT usage / 0 FROM cpu WHERE CAST(host AS INT) > 0",
    ] {
        let (code, message) = status(&server, Some(READER), &sql_ticket("db", sql)).await;
        assert_eq!(code, Code::InvalidArgument, "{sql}: {message}");
        assert!(!message.is_empty(), "{sql}");
    }
    server.stop().await;
}

/// Deeply nested statements are refused before they are parsed into a tree (they used to
/// overflow a worker's stack and abort the process); at the limit they are answered.
#[test]
fn nesting_is_bounded_and_the_limit_is_safe() {
    // The stacks `quiver` gives its runtime's threads (query::nesting).
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(query::nesting::QUERY_THREAD_STACK_BYTES)
        .enable_all()
        .build()
        .unwrap()
        .block_on(nesting_is_bounded_and_the_limit_is_safe_on_query_stacks());
}

async fn nesting_is_bounded_and_the_limit_is_safe_on_query_stacks() {
    let server = Server::start().await;
    server.persist(DATA_1).await;
    let ones = |terms: usize| format!("SELECT {}", vec!["1"; terms].join("+"));
    let (code, message) = status(&server, Some(READER), &sql_ticket("db", &ones(1_900))).await;
    assert_eq!(code, Code::InvalidArgument, "{message}");
    assert_eq!(
        message,
        "the statement nests too deeply: 1899 levels of operators and parentheses, at most 1000 \
         are accepted; use IN (…) for long lists of alternatives, or split the query"
    );
    let limit = query::nesting::MAX_SQL_NESTING;
    let batches = server
        .do_get(Some(READER), &sql_ticket("db", &ones(limit + 1)))
        .await
        .unwrap();
    let sum = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>();
    assert_eq!(sum.map(|a| a.value(0)), Some(limit as i64 + 1));
    // An OR chain at the limit (two levels per term: `=` and `OR`) over a real table.
    let chain: Vec<String> = (0..limit / 2).map(|i| format!("usage = {i}")).collect();
    let sql = format!("SELECT host FROM cpu WHERE {}", chain.join(" OR "));
    let rows: usize = server
        .do_get(Some(READER), &sql_ticket("db", &sql))
        .await
        .unwrap()
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(rows, 2, "usage 1 and 2 are in the chain");
    server.stop().await;
}

fn python() -> PathBuf {
    test_support::python_interpreter()
}

/// Runs flight_client.py in a blocking thread (the server runs on this test's runtime).
async fn python_client(args: Vec<String>) -> Value {
    let out = tokio::task::spawn_blocking(move || {
        let script = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(
                || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
                std::path::PathBuf::from,
            )
            .join("tests/flight_client.py");
        Command::new(python())
            .arg(script)
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

fn args(mode: &str, port: u16, token: &str, text: &str) -> Vec<String> {
    vec![mode.into(), port.to_string(), token.into(), text.into()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyarrow_flight_do_get() {
    let server = Server::start().await;
    server.persist(DATA_1).await;
    server.persist(DATA_2).await;
    let ticket = sql_ticket(
        "db",
        "SELECT host, usage, time FROM cpu WHERE host = 'a' ORDER BY time",
    );
    let out = python_client(args("pyarrow", server.port, READER, &ticket)).await;
    let ok = &out["ok"];
    assert_eq!(ok["columns"]["host"], json!(["a", "a"]), "{out}");
    assert_eq!(ok["columns"]["usage"], json!(["5.0", "7.0"]));
    assert_eq!(ok["columns"]["time"], json!(["1", "2"]));
    assert_eq!(ok["types"]["time"], "timestamp[ns]");
    assert_eq!(
        ok["meta"]["host"]["iox::column::type"],
        "iox::column_type::tag"
    );
    assert_eq!(
        ok["meta"]["usage"]["iox::column::type"],
        "iox::column_type::field::float"
    );

    let cases = [
        (
            "",
            ticket.clone(),
            "FlightUnauthenticatedError",
            "Unauthenticated: no token",
        ),
        (
            "wrong",
            ticket.clone(),
            "FlightUnauthorizedError",
            "Permission denied: invalid token",
        ),
        (
            OPERATOR,
            sql_ticket("nope", "SELECT 1"),
            "ArrowKeyError",
            "Database 'nope' not found",
        ),
        (
            READER,
            "{".to_string(),
            "ArrowInvalid",
            "Invalid ticket. Error: ",
        ),
    ];
    for (token, ticket, class, message) in cases {
        let out = python_client(args("pyarrow", server.port, token, &ticket)).await;
        assert_eq!(out["error"]["class"], class, "{out}");
        let text = out["error"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{text}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn influxdb3_python_query() {
    let server = Server::start().await;
    server.persist(DATA_1).await;
    server.persist(DATA_2).await;
    let out = python_client(args(
        "influxdb3",
        server.port,
        READER,
        "SELECT host, sum(usage) AS total FROM cpu GROUP BY host ORDER BY host",
    ))
    .await;
    assert_eq!(out["ok"]["columns"]["host"], json!(["a", "b"]));
    assert_eq!(out["ok"]["columns"]["total"], json!(["12.0", "2.0"]));

    let mut with_params = args(
        "influxdb3",
        server.port,
        READER,
        "SELECT usage FROM cpu WHERE host = $host AND usage > $min ORDER BY usage",
    );
    with_params.push(json!({"host": "a", "min": 5}).to_string());
    let out = python_client(with_params).await;
    assert_eq!(out["ok"]["columns"]["usage"], json!(["7.0"]));

    // InfluxQL: the leading iox::measurement column, as InfluxDB 3.
    let out = python_client(args("influxql", server.port, READER, "SELECT * FROM cpu")).await;
    let measurement = out["ok"]["columns"]["iox::measurement"].as_array();
    assert!(
        measurement.is_some_and(|m| !m.is_empty() && m.iter().all(|v| v == "cpu")),
        "{out}"
    );
    server.stop().await;
}

/// Every DoGet (JSON ticket and Flight SQL) is logged in `system.queries`: type, text, outcome,
/// rows, files, the `traceparent` trace id; the query reading the log sees itself running
/// (received: the system table is read while it is planned).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_are_logged_in_system_queries() {
    let server = Server::start().await;
    server.persist(DATA_1).await;
    let mut traced = server.client(Some(READER)).await;
    traced
        .add_header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .unwrap();
    let stream = traced
        .do_get(Ticket::new(sql_ticket(
            "db",
            "SELECT count(*) AS n FROM cpu",
        )))
        .await
        .unwrap();
    let batches: Vec<RecordBatch> = stream.try_collect().await.unwrap();
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
    let err = server
        .do_get(Some(READER), &sql_ticket("db", "SELECT nope FROM cpu"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    let channel =
        tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{}", server.port))
            .unwrap()
            .connect()
            .await
            .unwrap();
    let mut sql = arrow_flight::sql::client::FlightSqlServiceClient::new(channel);
    sql.set_header("database", "db");
    sql.set_token(READER.to_string());
    let info = sql
        .execute("SELECT host FROM cpu ORDER BY host".to_string(), None)
        .await
        .unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let rows: Vec<RecordBatch> = sql
        .do_get(ticket)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.iter().map(RecordBatch::num_rows).sum::<usize>(), 2);

    let log = server
        .do_get(
            Some(READER),
            &sql_ticket(
                "db",
                "SELECT query_type, query_text, phase, rows, parquet_files, \
                 error IS NOT NULL AS failed, trace_id, running \
                 FROM system.queries ORDER BY id",
            ),
        )
        .await
        .unwrap();
    let text = pretty_format_batches(&log).unwrap().to_string();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "+------------+-------------------------------------------------------------------------------------------------------------------------------------------+----------+------+---------------+--------+----------------------------------+---------+",
            "| query_type | query_text                                                                                                                                | phase    | rows | parquet_files | failed | trace_id                         | running |",
            "+------------+-------------------------------------------------------------------------------------------------------------------------------------------+----------+------+---------------+--------+----------------------------------+---------+",
            "| sql        | SELECT count(*) AS n FROM cpu                                                                                                             | success  | 1    | 1             | false  | 4bf92f3577b34da6a3ce929d0e0e4736 | false   |",
            "| sql        | SELECT nope FROM cpu                                                                                                                      | fail     |      |               | true   |                                  | false   |",
            "| flightsql  | SELECT host FROM cpu ORDER BY host                                                                                                        | success  | 2    | 1             | false  |                                  | false   |",
            "| sql        | SELECT query_type, query_text, phase, rows, parquet_files, error IS NOT NULL AS failed, trace_id, running FROM system.queries ORDER BY id | received |      |               | false  |                                  | true    |",
            "+------------+-------------------------------------------------------------------------------------------------------------------------------------------+----------+------+---------------+--------+----------------------------------+---------+",
        ]
    );
    server.stop().await;
}
