//! `quiver router`: the stateless HTTP write tier of a cluster.
//!
//! ```text
//! flags ──► logging ──► etcd (cached catalog, first snapshot retried) ──► operator token
//!       ──► Kafka topic (created when --kafka-create-topic-partitions N; retried)
//!       ──► bind --bind ──► router HTTP API + shell (/health, /ready: kafka required, etcd
//!           reported — warm caches keep writing while etcd is down — , /metrics)
//!       ──► until SIGINT/SIGTERM ──► drain ──► flush the producer
//! ```

use std::sync::Arc;

use auth::Token;
use config::RouterConfig;
use router::{RouterMetrics, RouterState};
use service_shell::shutdown_signal;

use crate::common::{RunError, announce, cluster, listen, router_settings, start_logging};

/// Runs the router until SIGINT or SIGTERM.
pub(crate) async fn run(config: RouterConfig) -> Result<(), RunError> {
    let common = &config.common;
    start_logging(&common.logging)?;
    let backend = cluster::etcd("router", &config.etcd).await?;
    let catalog = cluster::cached(&backend).await?;
    if let Some(value) = &common.auth.operator_token {
        cluster::bootstrap_operator_token(Arc::clone(&catalog), Token::new(value.clone())).await?;
    }
    let write_log = cluster::kafka_log(
        "router",
        &config.kafka,
        config.kafka_create_topic_partitions,
    )
    .await?;
    let settings = router_settings(common, config.auto_create_databases);
    let (listener, addr) = listen(&config.bind).await?;
    announce("router", addr);
    let state = RouterState::new(
        catalog,
        Arc::clone(&write_log),
        Arc::new(RouterMetrics::new()),
        settings,
    );
    let shell = router::shell(&state)
        .with_check(querier::log_check(&write_log))
        .with_check(cluster::etcd_check(&backend, false));
    let app = router::http::app(state, shell.routes());
    shell
        .serve(listener, app, shutdown_signal())
        .await
        .map_err(RunError::Serve)?;
    // Appends still in the producer's queue were all answered by now; wait for stragglers.
    if let Err(e) = write_log.flush().await {
        tracing::warn!(error = %e, "flushing the write log on shutdown failed");
    }
    tracing::info!("stopped");
    Ok(())
}
