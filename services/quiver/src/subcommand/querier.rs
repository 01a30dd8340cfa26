//! `quiver querier`: answers Arrow Flight queries over the Parquet files the catalog lists.
//!
//! ```text
//! flags ──► logging ──► bind --bind ──► querier::connect (etcd catalog + cache, object store,
//!           Kafka high-water marks, ingesters from their leases; etcd and Kafka retried)
//!       ──► common::IntoWriter (SELECT INTO: router::LineWriter over the Kafka log)
//!       ──► querier::serve_app (Flight + Flight SQL gRPC, shell: /health, /ready with the
//!           etcd, kafka and object store checks, /metrics) until SIGINT/SIGTERM
//! ```

use std::sync::Arc;

use config::QuerierConfig;
use querier::{QuerierMetrics, connect, serve_app};
use service_shell::shutdown_signal;

use crate::common::{IntoWriter, RunError, announce, listen, start_logging};

/// Runs the querier until SIGINT or SIGTERM.
pub(crate) async fn run(config: QuerierConfig) -> Result<(), RunError> {
    start_logging(&config.logging)?;
    let (listener, addr) = listen(&config.bind).await?;
    let connected = connect(
        &config.etcd,
        &config.kafka,
        &config.query,
        &config.object_store,
        config.storage.data_dir.as_deref(),
    )
    .await?;
    let metrics = Arc::new(QuerierMetrics::new());
    let shell = connected
        .checks
        .into_iter()
        .fold(querier::shell(&metrics), |shell, check| {
            shell.with_check(check)
        });
    // SELECT INTO writes through the router's pipeline into the cluster's log.
    let into = IntoWriter::shared(Arc::clone(connected.db.catalog()), connected.log);
    announce("querier", addr);
    serve_app(
        listener,
        connected.db,
        shell,
        metrics,
        Some(into),
        shutdown_signal(),
    )
    .await
    .map_err(RunError::Serve)?;
    tracing::info!("querier stopped");
    Ok(())
}
