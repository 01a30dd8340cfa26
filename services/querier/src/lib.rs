//! The querier: answers Arrow Flight (SQL, Flight SQL) over the Parquet files the catalog lists
//! merged with the rows the ingesters have not persisted yet (read-after-write).
//!
//! ```text
//! EtcdArgs ──► EtcdCatalog ──► CachedCatalog (tokens, schemas from memory; file lists from etcd)
//! ObjectStoreArgs + --data-dir ──► parquet_store::object_store_from
//! KafkaArgs ──► KafkaWriteLog (high-water marks only) ──► LogWatermarks ─┐
//! catalog leases ──► flight::ingester::CatalogIngesterDirectory ──────────┼─► UnpersistedReader
//! QueryArgs (--query-ingester-wait, --query-ingester-deadline) ───────────┘
//!   ──► query::QueryDatabase::with_unpersisted
//!         ──► server::serve_app: Flight gRPC + /health, /ready on one port until shutdown
//! ```
//!
//! `quiver querier` (services/quiver/src/querier.rs) binds `--bind`, calls [`connect`] and
//! [`serve`]; `quiver serve` merges [`flight_routes`] into its HTTP router.

mod server;
mod unpersisted;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use catalog::{CachedCatalog, Catalog, CatalogError, EtcdCatalog};
use config::{EtcdArgs, KafkaArgs, ObjectStoreArgs, QueryArgs};
use flight::ingester::{CatalogIngesterDirectory, IngesterClientSettings};
use parquet_store::{StoreError, object_store_from};
use query::QueryDatabase;
use query::unpersisted::UnpersistedReader;
use tokio::net::TcpListener;
use write_log::WriteLogError;
use write_log::kafka::{KafkaConfig, KafkaWriteLog};

pub use server::{app, flight_routes, serve_app};
pub use unpersisted::{LogWatermarks, unpersisted_settings};

/// Attempts to open the Kafka topic at start (it may not exist yet while a cluster comes up).
const KAFKA_ATTEMPTS: u32 = 30;
/// Pause between those attempts.
const KAFKA_RETRY: Duration = Duration::from_secs(1);

/// Why the querier could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum QuerierError {
    /// No `--etcd-endpoints`.
    #[error(
        "quiver querier needs the cluster catalog: set --etcd-endpoints (or QUIVER_ETCD_ENDPOINTS) to etcd's client URLs, e.g. http://etcd:2379"
    )]
    NoClusterCatalog,
    /// No `--kafka-brokers`.
    #[error(
        "quiver querier needs the write log to see every acknowledged write: set --kafka-brokers (or QUIVER_KAFKA_BROKERS), e.g. kafka:9092"
    )]
    NoKafka,
    /// The catalog could not be opened.
    #[error("cannot open the cluster catalog: {0}")]
    Catalog(#[from] CatalogError),
    /// The object store flags are wrong.
    #[error("cannot open the object store: {0}")]
    ObjectStore(#[from] StoreError),
    /// The Kafka topic could not be opened.
    #[error("cannot open the write log: {0}")]
    Kafka(#[from] WriteLogError),
    /// The server failed.
    #[error("server failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// Opens the cluster catalog (cached, fed by etcd watches), the object store and the write
/// log's high-water marks; queries ask the ingesters the catalog's leases list.
pub async fn connect(
    etcd: &EtcdArgs,
    kafka: &KafkaArgs,
    query: &QueryArgs,
    object_store: &ObjectStoreArgs,
    data_dir: Option<&Path>,
) -> Result<QueryDatabase, QuerierError> {
    if etcd.etcd_endpoints.is_empty() {
        return Err(QuerierError::NoClusterCatalog);
    }
    let brokers = kafka.bootstrap_servers().ok_or(QuerierError::NoKafka)?;
    let store = object_store_from(object_store, data_dir)?;
    let backend = EtcdCatalog::connect(&etcd.etcd_endpoints, &etcd.etcd_prefix).await?;
    let cached = CachedCatalog::new(Arc::new(backend)).await?;
    let catalog: Arc<dyn Catalog> = Arc::new(cached);
    let log = open_log(KafkaConfig::new(brokers, kafka.kafka_topic.clone())).await?;
    let reader = UnpersistedReader::new(
        Arc::new(LogWatermarks(Arc::new(log))),
        Arc::new(CatalogIngesterDirectory::new(
            Arc::clone(&catalog),
            IngesterClientSettings::default(),
        )),
        Arc::clone(&catalog),
        unpersisted_settings(query),
    );
    Ok(QueryDatabase::new(catalog, store).with_unpersisted(reader))
}

/// The topic, retried while it does not exist yet or the brokers are not up.
async fn open_log(config: KafkaConfig) -> Result<KafkaWriteLog, WriteLogError> {
    let mut attempt = 1;
    loop {
        match KafkaWriteLog::connect(config.clone()).await {
            Ok(log) => return Ok(log),
            Err(e) if e.is_retryable() && attempt < KAFKA_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "cannot open the Kafka topic yet; retrying");
                attempt += 1;
                tokio::time::sleep(KAFKA_RETRY).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Serves Flight and the HTTP endpoints over `db` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    db: QueryDatabase,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), QuerierError> {
    serve_app(listener, db, shutdown).await?;
    Ok(())
}
