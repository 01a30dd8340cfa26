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
//!         ──► server::serve_app: Flight gRPC + the shell's /health, /ready, /metrics
//!             (QuerierMetrics: calls by status code, queries by outcome) on one port
//! ```
//!
//! `quiver querier` binds `--bind`, calls [`connect`] (etcd and Kafka retried with the shell's
//! policy while they come up) and [`serve_app`] with the connection's readiness checks;
//! `quiver serve` merges [`flight_routes`] into its HTTP router.

mod metrics;
mod server;
mod unpersisted;
mod v1;
mod v3;

use std::path::Path;
use std::sync::Arc;

use catalog::{CachedCatalog, Catalog, CatalogError, EtcdCatalog};
use config::{EtcdArgs, KafkaArgs, ObjectStoreArgs, QueryArgs};
use flight::ingester::{CatalogIngesterDirectory, IngesterClientSettings};
use parquet_store::{StoreError, object_store_from};
use query::QueryDatabase;
use query::unpersisted::UnpersistedReader;
use service_shell::{
    Check, Dependency, MissingDependency, RetryPolicy, Shell, StartError, retry_start,
};
use tokio::net::TcpListener;
use write_log::kafka::{KafkaConfig, KafkaWriteLog};
use write_log::{WriteLog, WriteLogError};

pub use metrics::{GrpcMetricsLayer, QuerierMetrics};
pub use server::{HEALTH_MESSAGE, app, flight_routes, serve_app, shell};
pub use unpersisted::{LogWatermarks, unpersisted_settings};
pub use v1::{V1Error, ping_routes, v1_routes};
pub use v3::v3_routes;

/// Why the querier could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum QuerierError {
    /// A dependency's flag is not set.
    #[error(transparent)]
    Missing(#[from] MissingDependency),
    /// etcd could not be reached (or refused) at start.
    #[error(transparent)]
    Etcd(#[from] StartError<CatalogError>),
    /// The Kafka topic could not be opened at start.
    #[error(transparent)]
    Kafka(#[from] StartError<WriteLogError>),
    /// The object store flags are wrong.
    #[error("cannot open the object store: {0}")]
    ObjectStore(#[from] StoreError),
    /// The server failed.
    #[error("server failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// A querier ready to serve: its query database and the readiness checks of its dependencies.
#[derive(Debug)]
pub struct Connected {
    /// Parquet files ∪ the ingesters' rows, over the cached cluster catalog.
    pub db: QueryDatabase,
    /// etcd, Kafka and the object store (all required: a query needs each of them).
    pub checks: Vec<Check>,
    /// The cluster's write log (appends: SELECT INTO's writer, built by `quiver querier`).
    pub log: Arc<dyn WriteLog>,
}

/// Opens the cluster catalog (cached, fed by etcd watches; schemas read through to etcd), the
/// object store and the write log's high-water marks, retrying etcd and Kafka while they are not
/// up yet; queries ask the ingesters the catalog's leases list.
pub async fn connect(
    etcd: &EtcdArgs,
    kafka: &KafkaArgs,
    query: &QueryArgs,
    object_store: &ObjectStoreArgs,
    data_dir: Option<&Path>,
) -> Result<Connected, QuerierError> {
    if etcd.etcd_endpoints.is_empty() {
        return Err(Dependency::Etcd.missing("querier").into());
    }
    let brokers = kafka
        .bootstrap_servers()
        .ok_or_else(|| Dependency::Kafka.missing("querier"))?;
    let store = object_store_from(object_store, data_dir)?;
    let backend = Arc::new(
        EtcdCatalog::connect(&etcd.etcd_endpoints, &etcd.etcd_prefix)
            .await
            .map_err(|error| StartError::Failed {
                dependency: Dependency::Etcd,
                error,
            })?,
    );
    let cached = retry_start(
        Dependency::Etcd,
        RetryPolicy::default(),
        || CachedCatalog::new(Arc::clone(&backend) as Arc<dyn Catalog>),
        |e| matches!(e, CatalogError::Unavailable(_)),
    )
    .await?;
    // Read-after-write: a query right after a 204 sees the tables and columns that write added
    // (the routers upsert them before appending), whether or not the feed brought them yet.
    let catalog: Arc<dyn Catalog> = Arc::new(cached.reading_through());
    let config = KafkaConfig::new(brokers, kafka.kafka_topic.clone());
    let log: Arc<dyn WriteLog> = Arc::new(
        retry_start(
            Dependency::Kafka,
            RetryPolicy::default(),
            || KafkaWriteLog::connect(config.clone()),
            WriteLogError::is_retryable,
        )
        .await?,
    );
    let reader = UnpersistedReader::new(
        Arc::new(LogWatermarks(Arc::clone(&log))),
        Arc::new(CatalogIngesterDirectory::new(
            Arc::clone(&catalog),
            IngesterClientSettings::default(),
        )),
        Arc::clone(&catalog),
        unpersisted_settings(query),
    );
    let checks = vec![
        Check::required(Dependency::Etcd.name(), move || {
            let backend = Arc::clone(&backend);
            async move { backend.ping().await.map_err(|e| e.to_string()) }
        }),
        log_check(&log),
        store_check(Arc::clone(&store)),
    ];
    Ok(Connected {
        db: QueryDatabase::new(catalog, store).with_unpersisted(reader),
        checks,
        log,
    })
}

/// The readiness check of a write log: its high-water marks (required: nothing is written, nor
/// read after writing, without it).
pub fn log_check(log: &Arc<dyn WriteLog>) -> Check {
    let log = Arc::clone(log);
    Check::required(Dependency::Kafka.name(), move || {
        let log = Arc::clone(&log);
        async move {
            log.high_watermarks()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    })
}

/// The readiness check of an object store (required: queries read Parquet from it).
pub fn store_check(store: Arc<dyn parquet_store::object_store::ObjectStore>) -> Check {
    Check::required(Dependency::ObjectStore.name(), move || {
        let store = Arc::clone(&store);
        async move {
            parquet_store::probe(store.as_ref())
                .await
                .map_err(|e| e.to_string())
        }
    })
}

/// Serves Flight and the shell's endpoints over `db` on `listener` until `shutdown` resolves
/// (no readiness checks: tests and tools; `quiver querier` adds [`Connected::checks`]).
pub async fn serve(
    listener: TcpListener,
    db: QueryDatabase,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), QuerierError> {
    let metrics = Arc::new(QuerierMetrics::new());
    let shell: Shell = shell(&metrics);
    serve_app(listener, db, shell, metrics, None, shutdown).await?;
    Ok(())
}
