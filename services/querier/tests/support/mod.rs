//! The Flight SQL tests' fixture (not a cluster: one in-process querier, no router or ingester):
//! a querier over a real etcd (test_support::EtcdProcess) with two databases of persisted
//! Parquet files, for the Flight SQL tests.
//!
//! ```text
//! EtcdCatalog ──► databases "db" (table cpu) and "other" (table mem), tokens:
//!   READER (read db), OTHER (read other), OPERATOR, REVOKED (read db, revoked)
//!   ──► Parquet files (parquet_store, local `file` store) + commit_persist
//! CachedCatalog(EtcdCatalog) + file store ──► QueryDatabase ──► querier::serve(127.0.0.1:0)
//! ```

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use auth::{Action, Permission, TokenHash};
use catalog::{
    CachedCatalog, Catalog, Database, DatabaseName, DatabaseOptions, EtcdCatalog, NewToken,
    PersistCommit, SchemaUpsert,
};
use config::{DEFAULT_ETCD_PREFIX, EtcdArgs, ObjectStoreArgs, ObjectStoreKind};
use line_protocol::Precision;
use parquet_store::{FileMeta, object_store_from, write_parquet};
use query::QueryDatabase;
use test_support::EtcdProcess;
use tokio::net::TcpListener;
use tonic::transport::Channel;

/// Reads database "db".
pub(crate) const READER: &str = "reader-token";
/// Reads database "other" only.
pub(crate) const OTHER: &str = "other-db-token";
/// Operator: everything.
pub(crate) const OPERATOR: &str = "operator-token";
/// Read on "db", revoked.
pub(crate) const REVOKED: &str = "revoked-token";

/// Rows of `cpu` in "db" (after dedup: a@1 usage 1 idle 10, a@2 usage 7, b@1 usage 2).
pub(crate) const CPU: &str =
    "cpu,host=a usage=1,idle=10 1\ncpu,host=b usage=2 1\ncpu,host=a usage=7 2\n";
/// Rows of `mem` in "other".
pub(crate) const MEM: &str = "mem,host=x used=3i 1\n";

/// A running querier over etcd.
pub(crate) struct Fixture {
    /// The querier's Flight port.
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), querier::QuerierError>>>,
    _etcd: EtcdProcess,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// Starts etcd, writes the catalog and files, starts the querier.
    pub(crate) async fn start() -> Self {
        let etcd = EtcdProcess::start().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store_args = ObjectStoreArgs {
            object_store: Some(ObjectStoreKind::File),
            ..Default::default()
        };
        let etcd_args = EtcdArgs {
            etcd_endpoints: vec![etcd.endpoint()],
            etcd_prefix: DEFAULT_ETCD_PREFIX.into(),
        };
        let catalog = EtcdCatalog::connect(&etcd_args.etcd_endpoints, DEFAULT_ETCD_PREFIX)
            .await
            .unwrap();
        let store = object_store_from(&store_args, Some(dir.path())).unwrap();
        let mut writer = Writer {
            catalog: &catalog,
            store,
            next_offset: 0,
        };
        let db = writer.database("db").await;
        let other = writer.database("other").await;
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
        writer.persist(&db, CPU).await;
        writer.persist(&other, MEM).await;

        // What querier::connect builds, minus the write log (no unpersisted rows here): the
        // watch-fed cache over etcd and the file store.
        let backend = EtcdCatalog::connect(&etcd_args.etcd_endpoints, DEFAULT_ETCD_PREFIX)
            .await
            .unwrap();
        let cached: Arc<dyn Catalog> =
            Arc::new(CachedCatalog::new(Arc::new(backend)).await.unwrap());
        let store = object_store_from(&store_args, Some(dir.path())).unwrap();
        let qdb = QueryDatabase::new(cached, store);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(querier::serve(listener, qdb, async {
            let _ = stopped.await;
        }));
        Self {
            port,
            stop: Some(stop),
            task: Some(task),
            _etcd: etcd,
            _dir: dir,
        }
    }

    /// A fresh gRPC channel to the querier.
    pub(crate) async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://127.0.0.1:{}", self.port))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// Stops the querier and checks it stopped cleanly.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).unwrap();
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// What an ingester would have done: schema, Parquet files, commits.
struct Writer<'a> {
    catalog: &'a EtcdCatalog,
    store: Arc<dyn parquet_store::object_store::ObjectStore>,
    next_offset: u64,
}

impl Writer<'_> {
    async fn database(&self, name: &str) -> Database {
        self.catalog
            .create_database(
                &DatabaseName::new(name).unwrap(),
                DatabaseOptions::default(),
            )
            .await
            .unwrap()
    }

    /// Persists `lp` as one file per table in partition `1970-01-01`, at the next offset.
    async fn persist(&mut self, db: &Database, lp: &str) {
        let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
        converter.write_lp(lp);
        let converted = converter.finish().unwrap();
        assert!(converted.rejections.is_empty());
        let offset = self.next_offset;
        let mut files = Vec::new();
        for table in &converted.tables {
            let mut upsert = SchemaUpsert::new();
            for field in table.batch.schema().fields() {
                let t = schema::influx_column_type(field).unwrap();
                upsert.add(&table.name, field.name(), t).unwrap();
            }
            let schema = self.catalog.upsert_schema(db.id, &upsert).await.unwrap();
            let batch = schema::dedup::sort_dedup(std::slice::from_ref(&table.batch)).unwrap();
            let meta = FileMeta {
                database_id: db.id,
                database_name: db.name.as_str().into(),
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
            expected_offset: offset.checked_sub(1),
            new_offset: offset,
            files,
        };
        self.catalog.commit_persist(commit).await.unwrap();
        self.next_offset += 1;
    }
}

/// The Python with the InfluxDB clients.
pub(crate) fn python() -> PathBuf {
    test_support::python_interpreter()
}
