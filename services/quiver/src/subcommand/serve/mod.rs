//! `quiver serve`: every service in one process, on one port, on embedded stand-ins — the disk
//! catalog instead of etcd, the file log instead of Kafka, the local file system (or memory)
//! instead of S3.
//!
//! ```text
//! flags ──► logging ──► mkdir --data-dir ──► catalog::open (DiskCatalog | MemCatalog, cached;
//!           operator token) ──► write_path::EmbeddedWritePath::open (file log | memory log,
//!           object store) ──► bind --bind
//!       ──► start the ingester (reads the embedded log, persists Parquet)
//!       ──► start the compactor (compaction, retention, garbage collection; --compaction)
//!       ──► one axum router: router HTTP API + shell (/health, /ready, /metrics: router,
//!           ingester, querier and compactor metrics) + Flight gRPC (querier::flight_routes) + InfluxQL
//!           over v1 `/query` (querier::v1_routes); SELECT INTO (every InfluxQL API) writes
//!           through common::IntoWriter (router::LineWriter) into the embedded log
//!       ──► until SIGINT/SIGTERM ──► drain ──► ingester persists everything ──► flush the log
//! ```

mod catalog;
mod write_path;

use std::sync::Arc;

use compactor::{Compactor, CompactorMetrics};
use config::ServeConfig;
use querier::QuerierMetrics;
use router::{RouterMetrics, RouterState};
use service_shell::shutdown_signal;

use crate::common::{
    IntoWriter, RunError, announce, compactor_settings, listen, router_settings, start_logging,
};
use write_path::EmbeddedWritePath;

/// Runs everything until SIGINT or SIGTERM.
pub(crate) async fn run(config: ServeConfig) -> Result<(), RunError> {
    let common = &config.common;
    start_logging(&common.logging)?;
    if let Some(dir) = &common.storage.data_dir {
        std::fs::create_dir_all(dir).map_err(|source| RunError::DataDir {
            path: dir.clone(),
            source,
        })?;
    }
    let catalog = catalog::open(common).await?;
    let path = EmbeddedWritePath::open(common, &config.object_store, &config.ingester)?;
    let write_log = path.log();
    let settings = router_settings(common, config.auto_create_databases);
    let (listener, addr) = listen(&config.bind).await?;
    announce("serve", addr);

    let running = path.start_ingester(Arc::clone(&catalog), addr)?;
    // Compaction, retention and garbage collection over the same catalog and objects.
    let compactor_metrics = Arc::new(CompactorMetrics::new());
    let (stop_compactor, compactor_stopped) = tokio::sync::oneshot::channel::<()>();
    let compactor = if config.compaction_enabled {
        let compactor = Compactor::new(
            Arc::clone(&catalog),
            running.store(),
            compactor_settings(&config.compaction)?,
            Arc::clone(&compactor_metrics),
        )?;
        // On threads of its own at the persist threads' priority (--persist-nice): merging
        // takes only the CPU writes and queries leave.
        Some(tokio::spawn(compactor.run_isolated(
            1,
            config.ingester.persist_nice,
            async {
                let _ = compactor_stopped.await;
            },
        )))
    } else {
        None
    };
    // SELECT INTO writes through the router's pipeline into the embedded log.
    let into = IntoWriter::shared(Arc::clone(&catalog), Arc::clone(&write_log));
    let state = RouterState::new(
        catalog,
        Arc::clone(&write_log),
        Arc::new(RouterMetrics::new()),
        settings,
    );
    let querier_metrics = Arc::new(QuerierMetrics::new());
    let shell = router::shell(&state)
        .with_metrics(running.metrics())
        .with_metrics(Arc::clone(&querier_metrics) as Arc<dyn observability::MetricsText>)
        .with_metrics(compactor_metrics as Arc<dyn observability::MetricsText>)
        .with_check(querier::store_check(running.store()));
    // Queries over Flight gRPC on the same port as the HTTP API.
    let query_database = running.query_database(&config.query);
    let flight = querier::flight_routes(
        query_database.clone(),
        &querier_metrics,
        Some(Arc::clone(&into)),
    );
    // InfluxQL over the v1 `/query` (the router already answers `/ping`).
    let v1 = querier::v1_routes(query_database.clone(), Some(Arc::clone(&into)));
    // InfluxDB 3's HTTP query API (/api/v3/query_sql, /api/v3/query_influxql).
    let v3 = querier::v3_routes(query_database, Some(into));
    let app = router::http::app(state, shell.routes())
        .merge(flight)
        .merge(v1)
        .merge(v3);
    shell
        .serve(listener, app, shutdown_signal())
        .await
        .map_err(RunError::Serve)?;
    let _ = stop_compactor.send(());
    if let Some(compactor) = compactor {
        let _ = compactor.await;
    }
    running.stop().await;
    tracing::info!("stopped");
    Ok(())
}
