//! Starting a server process: logging, data directory, catalog, operator token, write log,
//! listener, signals. `serve` adds the embedded ingester and answers Flight (queries) on the
//! HTTP port: router HTTP routes + `querier::flight_routes` in one axum router.

use std::path::PathBuf;
use std::sync::Arc;

use auth::Token;
use catalog::{Catalog, CatalogError};
use config::{
    CommonArgs, EtcdArgs, IngesterArgs, KafkaArgs, LogFormat, ObjectStoreArgs, QueryArgs,
};
use observability::{LoggingError, RouterMetrics, init_logging};
use router::{RouterSettings, RouterState};
use tokio::net::TcpListener;
use write_log::{MemWriteLog, WriteLog, WriteLogError};

/// Why a server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad log filter, or logging set up twice.
    #[error(transparent)]
    Logging(#[from] LoggingError),
    /// The data directory cannot be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// `quiver router` started without `--etcd-endpoints`.
    #[error(
        "quiver router needs the cluster catalog: set --etcd-endpoints (or QUIVER_ETCD_ENDPOINTS) to etcd's client URLs, e.g. http://etcd:2379; to run everything in one process without etcd use `quiver serve`"
    )]
    NoClusterCatalog,
    /// `quiver router` started without `--kafka-brokers`.
    #[error(
        "quiver router needs the write log: set --kafka-brokers (or QUIVER_KAFKA_BROKERS) to Kafka's HOST:PORT[,…], and create the topic with `quiver admin topic create` (or --kafka-create-topic-partitions N)"
    )]
    NoWriteLog,
    /// The Kafka write log could not be opened.
    #[error("cannot open the write log: {0}")]
    WriteLog(WriteLogError),
    /// The embedded write path of `quiver serve` (file log, object store) cannot start.
    #[error(transparent)]
    WritePath(#[from] crate::write_path::WritePathError),
    /// The etcd client could not be set up.
    #[error("cannot open the cluster catalog: {0}")]
    ClusterCatalog(CatalogError),
    /// The embedded catalog of `quiver serve` cannot be opened.
    #[error("cannot open the catalog in {path}: {source}")]
    EmbeddedCatalog {
        /// The catalog directory.
        path: PathBuf,
        /// Cause.
        source: CatalogError,
    },
    /// Storing the operator token failed.
    #[error("cannot store the operator token: {0}")]
    Catalog(#[from] CatalogError),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The `--bind` value.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// What [`run`] needs, whatever the subcommand.
#[derive(Debug)]
pub struct Settings {
    service: &'static str,
    bind: String,
    auto_create_databases: bool,
    common: CommonArgs,
    etcd: Option<EtcdArgs>,
    kafka: Option<(KafkaArgs, Option<u32>)>,
    embedded: Option<(ObjectStoreArgs, IngesterArgs, QueryArgs)>,
}

impl Settings {
    /// Collects a subcommand's configuration.
    pub fn new(
        service: &'static str,
        bind: String,
        auto_create_databases: bool,
        common: CommonArgs,
    ) -> Self {
        Self {
            service,
            bind,
            auto_create_databases,
            common,
            etcd: None,
            kafka: None,
            embedded: None,
        }
    }

    /// Cluster mode: the catalog is in etcd (the router's only mode).
    pub fn with_etcd(mut self, etcd: EtcdArgs) -> Self {
        self.etcd = Some(etcd);
        self
    }

    /// Cluster mode: the write log is the Kafka topic (created with `create_partitions`
    /// partitions at start when given and missing).
    pub fn with_kafka(mut self, kafka: KafkaArgs, create_partitions: Option<u32>) -> Self {
        self.kafka = Some((kafka, create_partitions));
        self
    }

    /// `serve`: the embedded write path (file log, ingester, object store) and the querier in
    /// this process; Flight gRPC on the HTTP port.
    pub fn with_embedded(
        mut self,
        object_store: ObjectStoreArgs,
        ingester: IngesterArgs,
        query: QueryArgs,
    ) -> Self {
        self.embedded = Some((object_store, ingester, query));
        self
    }
}

/// Runs the service until SIGINT or SIGTERM.
pub async fn run(settings: Settings) -> Result<(), StartError> {
    let common = &settings.common;
    init_logging(
        common.logging.log_filter.as_deref(),
        common.logging.log_format == LogFormat::Json,
    )?;

    if let Some(dir) = &common.storage.data_dir {
        std::fs::create_dir_all(dir).map_err(|source| StartError::DataDir {
            path: dir.clone(),
            source,
        })?;
    }

    let catalog: Arc<dyn Catalog> = match &settings.etcd {
        Some(etcd) => {
            let catalog = crate::cluster::router_catalog(etcd).await?;
            if let Some(value) = &common.auth.operator_token {
                let token = Token::new(value.clone());
                crate::cluster::bootstrap_operator_token(catalog.clone(), token).await?;
            }
            catalog
        }
        None => crate::embedded::serve_catalog(common).await?,
    };

    let mut embedded = None;
    let write_log: Arc<dyn WriteLog> = match (&settings.etcd, &settings.kafka) {
        (Some(_), Some((kafka, create))) => {
            crate::cluster::router_write_log(kafka, *create).await?
        }
        (Some(_), None) => return Err(StartError::NoWriteLog),
        (None, _) => match &settings.embedded {
            Some((object_store, ingester, _)) => {
                let path =
                    crate::write_path::EmbeddedWritePath::open(common, object_store, ingester)?;
                let log = path.log();
                embedded = Some(path);
                log
            }
            None => Arc::new(MemWriteLog::new(common.write_log.write_log_memory_budget)),
        },
    };
    let router_settings = RouterSettings {
        max_request_bytes: common.write_api.max_http_request_size,
        max_concurrent_writes: common.write_api.max_concurrent_writes,
        convert_threads: common.write_api.write_convert_threads,
        auto_create_databases: settings.auto_create_databases,
        ..RouterSettings::default()
    };
    let listener = TcpListener::bind(&settings.bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: settings.bind.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: settings.bind.clone(),
        source,
    })?;
    println!("quiver listening on http://{addr}");
    tracing::info!(service = settings.service, %addr, "listening");

    let ingester = embedded
        .map(|path| path.start_ingester(Arc::clone(&catalog), addr))
        .transpose()?;
    // serve: one /metrics for the router and its ingester.
    let mut metrics = RouterMetrics::new();
    if let Some(running) = &ingester {
        metrics = metrics.with_other(running.metrics());
    }
    let state = RouterState::new(
        catalog,
        Arc::clone(&write_log),
        Arc::new(metrics),
        router_settings,
    );
    // serve: queries over Flight gRPC on the same port as the HTTP API.
    let flight = match (&ingester, &settings.embedded) {
        (Some(running), Some((_, _, query))) => {
            querier::flight_routes(running.query_database(query))
        }
        _ => axum::Router::new(),
    };
    router::serve_with(listener, state, flight, shutdown_signal())
        .await
        .map_err(StartError::Serve)?;
    if let Some(ingester) = ingester {
        ingester.stop().await;
    }
    // Appends still in the producer's queue were all answered by now; wait for stragglers.
    if let Err(e) = write_log.flush().await {
        tracing::warn!(error = %e, "flushing the write log on shutdown failed");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
