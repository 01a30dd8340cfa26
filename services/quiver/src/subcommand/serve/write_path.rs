//! The write path of `quiver serve`: the embedded log, and the ingester that persists it.
//!
//! ```text
//! --data-dir DIR ──► FileWriteLog::open(DIR/wal) ◄── router appends (fsynced before the 204)
//!                       └─► FileLogReader ──► Ingester ──► Parquet in DIR/objects (file store)
//!                                               └─► commit_persist in DIR/catalog (DiskCatalog)
//! no --data-dir  ──► MemWriteLog + its reader, object store `memory`: nothing survives exit
//!
//! after kill -9: FileWriteLog replays its segments (torn tail cut), the ingester seeks to the
//! catalog's persisted offset + 1: acked writes come back, persisted ones are not persisted again.
//! shutdown: router stops ──► log.flush() ──► ingester persists everything, releases its lease
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use catalog::{Catalog, DEFAULT_INGESTER_LEASE_TTL};
use config::{CommonArgs, IngesterArgs, ObjectStoreArgs, QueryArgs};
use ingester::{
    Identity, Ingester, IngesterMetrics, IngesterQuery, LocalDirectory, PersistSettings,
    Registration, ShutdownReport,
};
use object_store::ObjectStore;
use parquet_store::object_store_from;
use querier::{LogWatermarks, unpersisted_settings};
use query::QueryDatabase;
use query::unpersisted::UnpersistedReader;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use write_log::file::FileWriteLog;
use write_log::{LogReader, MemWriteLog, WriteLog};

use crate::common::{RunError, persist_settings};

/// The file log's directory inside `--data-dir`.
pub(super) const WAL_DIR: &str = "wal";

/// The id of serve's embedded ingester.
const SERVE_INGESTER_ID: &str = "serve";
/// The log of `serve` (for the router) and what the ingester will read it with.
pub(super) struct EmbeddedWritePath {
    log: Arc<dyn WriteLog>,
    start: Box<dyn FnOnce(Ingester, Registration) -> EmbeddedIngester + Send>,
    store: Arc<dyn ObjectStore>,
    settings: PersistSettings,
}

impl EmbeddedWritePath {
    /// Opens the log and the object store (file log under `<data-dir>/wal`, objects under
    /// `<data-dir>/objects`; memory for both without `--data-dir`).
    pub(super) fn open(
        common: &CommonArgs,
        object_store: &ObjectStoreArgs,
        ingester: &IngesterArgs,
    ) -> Result<Self, RunError> {
        let data_dir = common.storage.data_dir.as_deref();
        let store = object_store_from(&object_store.or_default(data_dir), data_dir)?;
        let settings = persist_settings(ingester);
        match data_dir {
            Some(dir) => {
                let path = dir.join(WAL_DIR);
                let log = FileWriteLog::open(&path).map_err(|source| RunError::FileLog {
                    path: path.clone(),
                    source,
                })?;
                tracing::info!(dir = %path.display(), "write log on local disk");
                let reader = log.reader();
                Ok(Self {
                    log,
                    start: Box::new(move |i, r| EmbeddedIngester::spawn(i, reader, r)),
                    store,
                    settings,
                })
            }
            None => {
                tracing::info!(
                    "write log and Parquet files in memory (no --data-dir): nothing survives a restart"
                );
                let log = Arc::new(MemWriteLog::new(common.write_log.write_log_memory_budget));
                let reader = log.reader();
                Ok(Self {
                    log,
                    start: Box::new(move |i, r| EmbeddedIngester::spawn(i, reader, r)),
                    store,
                    settings,
                })
            }
        }
    }

    /// The log the router appends to.
    pub(super) fn log(&self) -> Arc<dyn WriteLog> {
        Arc::clone(&self.log)
    }

    /// Starts the ingester on `catalog`, registered as `serve` at `addr`.
    pub(super) fn start_ingester(
        self,
        catalog: Arc<dyn Catalog>,
        addr: SocketAddr,
    ) -> Result<RunningWritePath, RunError> {
        let ingester = Ingester::new(Arc::clone(&catalog), Arc::clone(&self.store), self.settings)
            .map_err(RunError::PersistThreads)?;
        let query = ingester.query_handle();
        let metrics = ingester.metrics();
        let registration = Registration {
            identity: Identity {
                id: SERVE_INGESTER_ID.to_owned(),
                address: format!("http://{addr}"),
            },
            ttl: DEFAULT_INGESTER_LEASE_TTL,
        };
        Ok(RunningWritePath {
            log: self.log,
            store: self.store,
            catalog,
            query,
            metrics,
            ingester: (self.start)(ingester, registration),
        })
    }
}

/// The log and the running ingester.
pub(super) struct RunningWritePath {
    log: Arc<dyn WriteLog>,
    store: Arc<dyn ObjectStore>,
    catalog: Arc<dyn Catalog>,
    query: IngesterQuery,
    metrics: Arc<IngesterMetrics>,
    ingester: EmbeddedIngester,
}

impl RunningWritePath {
    /// Queries over this process's Parquet files and its ingester's buffers, read-after-write up
    /// to the embedded log's high-water marks.
    pub(super) fn query_database(&self, args: &QueryArgs) -> QueryDatabase {
        let reader = UnpersistedReader::new(
            Arc::new(LogWatermarks(Arc::clone(&self.log))),
            Arc::new(LocalDirectory::new(SERVE_INGESTER_ID, self.query.clone())),
            Arc::clone(&self.catalog),
            unpersisted_settings(args),
        );
        QueryDatabase::new(Arc::clone(&self.catalog), Arc::clone(&self.store))
            .with_unpersisted(reader)
    }

    /// The ingester's metrics (served on serve's `/metrics`).
    pub(super) fn metrics(&self) -> Arc<dyn observability::MetricsText> {
        Arc::clone(&self.metrics) as Arc<dyn observability::MetricsText>
    }

    /// The object store the Parquet files go to (for `/ready`'s check).
    pub(super) fn store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.store)
    }

    /// After the router stopped: flushes the log, persists everything, releases the lease.
    pub(super) async fn stop(self) {
        if let Err(error) = self.log.flush().await {
            tracing::warn!(%error, "flushing the write log failed");
        }
        let report = self.ingester.stop().await;
        if !report.unpersisted_partitions.is_empty() {
            tracing::warn!(
                partitions = ?report.unpersisted_partitions,
                "not everything was persisted; it is replayed from the write log on the next start"
            );
        }
    }
}

/// The ingester task of `serve`.
struct EmbeddedIngester {
    stop: oneshot::Sender<()>,
    handle: JoinHandle<ShutdownReport>,
}

impl EmbeddedIngester {
    fn spawn<R: LogReader>(ingester: Ingester, reader: R, registration: Registration) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            let (_reader, report) = ingester.run(reader, Some(registration), shutdown).await;
            report
        });
        Self { stop, handle }
    }

    async fn stop(self) -> ShutdownReport {
        let _ = self.stop.send(());
        match self.handle.await {
            Ok(report) => report,
            Err(error) => {
                tracing::error!(%error, "the ingester task failed");
                ShutdownReport::default()
            }
        }
    }
}
