//! `quiver querier`: answers Arrow Flight queries over the Parquet files the catalog lists.
//!
//! ```text
//! flags ──► logging ──► bind --bind ──► querier::connect (etcd catalog + cache, object store,
//!                                        Kafka high-water marks, ingesters from their leases)
//!       ──► querier::serve (Flight + Flight SQL gRPC, /health, /ready) until SIGINT/SIGTERM
//! ```

use ::querier::QuerierError;
use config::{LogFormat, QuerierConfig};
use observability::{LoggingError, init_logging};
use tokio::net::TcpListener;

use crate::start::shutdown_signal;

/// Why `quiver querier` could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum QuerierRunError {
    /// Bad log filter.
    #[error(transparent)]
    Logging(#[from] LoggingError),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The `--bind` value.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Catalog, object store or server failure.
    #[error(transparent)]
    Querier(#[from] QuerierError),
}

/// Runs the querier until SIGINT or SIGTERM.
pub async fn run(config: QuerierConfig) -> Result<(), QuerierRunError> {
    init_logging(
        config.logging.log_filter.as_deref(),
        config.logging.log_format == LogFormat::Json,
    )?;
    let bind_error = |source| QuerierRunError::Bind {
        addr: config.bind.clone(),
        source,
    };
    let listener = TcpListener::bind(&config.bind).await.map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let db = ::querier::connect(
        &config.etcd,
        &config.kafka,
        &config.query,
        &config.object_store,
        config.storage.data_dir.as_deref(),
    )
    .await?;
    println!("quiver listening on http://{addr}");
    tracing::info!(%addr, "querier started");
    ::querier::serve(listener, db, shutdown_signal()).await?;
    tracing::info!("querier stopped");
    Ok(())
}
