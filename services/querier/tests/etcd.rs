//! `querier::connect` + `querier::serve` on the cluster catalog: a real etcd and a real Kafka
//! broker (test_support), Parquet files in a local `file` object store, a query over real Flight
//! gRPC and the HTTP endpoints on the same port.
//!
//! ```text
//! EtcdCatalog: database, token, schema, commit_persist(file) ──► etcd
//! tansu: the (empty) write log topic, for the high-water marks
//! querier::connect(EtcdArgs, KafkaArgs, ObjectStoreArgs file, data dir) ──► serve(127.0.0.1:0)
//!   ◄── FlightClient DoGet (Bearer token) ──► the persisted rows;  GET /health, /ready
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use arrow::util::pretty::pretty_format_batches;
use arrow_flight::{FlightClient, Ticket};
use auth::{Action, Permission, TokenHash};
use catalog::{
    Catalog, DatabaseName, DatabaseOptions, EtcdCatalog, NewToken, PersistCommit, SchemaUpsert,
};
use config::{
    DEFAULT_ETCD_PREFIX, DEFAULT_KAFKA_TOPIC, EtcdArgs, KafkaArgs, ObjectStoreArgs,
    ObjectStoreKind, QueryArgs,
};
use futures::TryStreamExt;
use line_protocol::Precision;
use parquet_store::{FileMeta, object_store_from, write_parquet};
use test_support::{EtcdProcess, TansuProcess};
use tokio::net::TcpListener;

fn query_args() -> QueryArgs {
    QueryArgs {
        ingester_wait: std::time::Duration::from_secs(5),
        deadline: std::time::Duration::from_secs(10),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn querier_reads_files_listed_in_etcd() {
    let etcd = EtcdProcess::start().unwrap();
    let tansu = TansuProcess::start().unwrap();
    tansu.create_topic(DEFAULT_KAFKA_TOPIC, 1).unwrap();
    let kafka_args = KafkaArgs {
        kafka_brokers: vec![tansu.bootstrap()],
        kafka_topic: DEFAULT_KAFKA_TOPIC.into(),
        kafka_linger: config::DEFAULT_KAFKA_LINGER,
    };
    let dir = tempfile::tempdir().unwrap();
    let store_args = ObjectStoreArgs {
        object_store: Some(ObjectStoreKind::File),
        ..Default::default()
    };
    let etcd_args = EtcdArgs {
        etcd_endpoints: vec![etcd.endpoint()],
        etcd_prefix: DEFAULT_ETCD_PREFIX.into(),
    };

    // What an ingester would have done: schema, Parquet file, commit.
    let catalog = EtcdCatalog::connect(&etcd_args.etcd_endpoints, DEFAULT_ETCD_PREFIX)
        .await
        .unwrap();
    let db = catalog
        .create_database(
            &DatabaseName::new("db").unwrap(),
            DatabaseOptions::default(),
        )
        .await
        .unwrap();
    catalog
        .create_token(NewToken {
            hash: TokenHash::of("tok"),
            description: "reader".into(),
            operator: false,
            permissions: vec![Permission::database(Action::Read, "db")],
        })
        .await
        .unwrap();
    let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp("cpu,host=a usage=1 1\ncpu,host=b usage=2 2\n");
    let table = &converter.finish().unwrap().tables[0];
    let mut upsert = SchemaUpsert::new();
    for field in table.batch.schema().fields() {
        let t = schema::influx_column_type(field).unwrap();
        upsert.add("cpu", field.name(), t).unwrap();
    }
    let schema = catalog.upsert_schema(db.id, &upsert).await.unwrap();
    let store = object_store_from(&store_args, Some(dir.path())).unwrap();
    let meta = FileMeta {
        database_id: db.id,
        database_name: "db".into(),
        table_id: schema.tables["cpu"].id,
        table_name: "cpu".into(),
        partition_key: "1970-01-01".into(),
        log_partition: 0,
        min_offset: 0,
        max_offset: 0,
    };
    let batch = schema::dedup::sort_dedup(std::slice::from_ref(&table.batch)).unwrap();
    let record = write_parquet(&store, &meta, &batch).await.unwrap();
    catalog
        .commit_persist(PersistCommit {
            log_partition: 0,
            expected_offset: None,
            new_offset: 0,
            files: vec![record],
        })
        .await
        .unwrap();

    let connected = querier::connect(
        &etcd_args,
        &kafka_args,
        &query_args(),
        &store_args,
        Some(dir.path()),
    )
    .await
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let metrics = std::sync::Arc::new(querier::QuerierMetrics::new());
    let shell = connected
        .checks
        .into_iter()
        .fold(querier::shell(&metrics), |shell, check| {
            shell.with_check(check)
        });
    let server = tokio::spawn(querier::serve_app(
        listener,
        connected.db,
        shell,
        metrics,
        None,
        async {
            let _ = stopped.await;
        },
    ));

    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = FlightClient::new(channel);
    client.add_header("authorization", "Bearer tok").unwrap();
    let ticket = r#"{"database": "db", "sql_query": "SELECT host, usage FROM cpu ORDER BY host", "query_type": "sql"}"#;
    let batches: Vec<_> = client
        .do_get(Ticket::new(ticket))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        pretty_format_batches(&batches).unwrap().to_string(),
        "+------+-------+\n| host | usage |\n+------+-------+\n| a    | 1.0   |\n| b    | 2.0   |\n+------+-------+"
    );
    let http = reqwest::Client::new();
    let health = http
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(
        (&health["service"], &health["status"]),
        (&serde_json::json!("querier"), &serde_json::json!("pass"))
    );
    // Every dependency is up: etcd, Kafka and the object store, each checked for real.
    let ready = http
        .get(format!("http://127.0.0.1:{port}/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(
        ready["checks"],
        serde_json::json!([
            {"name": "etcd", "required": true, "status": "pass"},
            {"name": "kafka", "required": true, "status": "pass"},
            {"name": "object store", "required": true, "status": "pass"}
        ])
    );
    // One query answered OK, counted by method and status, and by outcome.
    let metrics = http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "quiver_querier_requests_total{method=\"DoGet\",code=\"OK\"} 1\n",
        "quiver_querier_queries_total{type=\"sql\",outcome=\"success\"} 1\n",
        "quiver_querier_query_rows_total 2\n",
        "process_resident_memory_bytes ",
    ] {
        assert!(metrics.contains(line), "{line} missing from {metrics}");
    }
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn connect_needs_etcd_endpoints() {
    let etcd_args = EtcdArgs {
        etcd_endpoints: vec![],
        etcd_prefix: DEFAULT_ETCD_PREFIX.into(),
    };
    let store_args = ObjectStoreArgs {
        object_store: Some(ObjectStoreKind::Memory),
        ..Default::default()
    };
    let kafka_args = KafkaArgs {
        kafka_brokers: vec!["127.0.0.1:9".into()],
        kafka_topic: DEFAULT_KAFKA_TOPIC.into(),
        kafka_linger: config::DEFAULT_KAFKA_LINGER,
    };
    let err = querier::connect(&etcd_args, &kafka_args, &query_args(), &store_args, None)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "quiver querier needs the cluster catalog: set --etcd-endpoints (or QUIVER_ETCD_ENDPOINTS) to etcd's client URLs, e.g. http://etcd:2379; `quiver serve` runs everything in one process without it"
    );
}

#[tokio::test]
async fn connect_needs_kafka_brokers() {
    let etcd_args = EtcdArgs {
        etcd_endpoints: vec!["http://127.0.0.1:9".into()],
        etcd_prefix: DEFAULT_ETCD_PREFIX.into(),
    };
    let store_args = ObjectStoreArgs {
        object_store: Some(ObjectStoreKind::Memory),
        ..Default::default()
    };
    let kafka_args = KafkaArgs {
        kafka_brokers: vec![],
        kafka_topic: DEFAULT_KAFKA_TOPIC.into(),
        kafka_linger: config::DEFAULT_KAFKA_LINGER,
    };
    let err = querier::connect(&etcd_args, &kafka_args, &query_args(), &store_args, None)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "quiver querier needs the write log: set --kafka-brokers (or QUIVER_KAFKA_BROKERS) to Kafka's HOST:PORT[,…], e.g. kafka:9092; `quiver serve` runs everything in one process without it"
    );
}
