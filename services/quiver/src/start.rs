//! Starting a server process: logging, data directory, catalog, operator token, write log,
//! listener, signals.

use std::path::PathBuf;
use std::sync::Arc;

use auth::Token;
use catalog::{Catalog, CatalogError};
use config::{CommonArgs, EtcdArgs, LogFormat};
use observability::{LoggingError, RouterMetrics, init_logging};
use router::{RouterSettings, RouterState};
use tokio::net::TcpListener;
use write_log::MemWriteLog;

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
        }
    }

    /// Cluster mode: the catalog is in etcd (the router's only mode).
    pub fn with_etcd(mut self, etcd: EtcdArgs) -> Self {
        self.etcd = Some(etcd);
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

    let write_log = Arc::new(MemWriteLog::new(common.write_log.write_log_memory_budget));
    let router_settings = RouterSettings {
        max_request_bytes: common.write_api.max_http_request_size,
        max_concurrent_writes: common.write_api.max_concurrent_writes,
        auto_create_databases: settings.auto_create_databases,
        ..RouterSettings::default()
    };
    let state = RouterState::new(
        catalog,
        write_log,
        Arc::new(RouterMetrics::new()),
        router_settings,
    );

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

    router::serve(listener, state, shutdown_signal())
        .await
        .map_err(StartError::Serve)?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
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
