//! `quiver compactor`: compaction, retention and garbage collection for a cluster.
//!
//! ```text
//! flags ──► logging ──► EtcdCatalog (--etcd-endpoints, --etcd-prefix; retried at start)
//!       ──► object store (--object-store …) ──► bind --bind (HTTP: /health, /ready with the
//!             etcd and object store checks, /metrics quiver_compactor_*)
//!       ──► compactor::Compactor::run (cycles every --compaction-interval; the garbage
//!             collector on shard 0) until SIGINT/SIGTERM: a running job is abandoned, its
//!             outputs never swapped in (orphans for the collector)
//! ```

use std::sync::Arc;

use catalog::Catalog;
use compactor::{Compactor, CompactorMetrics};
use config::CompactorConfig;
use parquet_store::object_store_from;
use service_shell::{Shell, shutdown_signal};

use crate::common::{RunError, announce, cluster, compactor_settings, listen, start_logging};

/// What `/health` says the service does.
const HEALTH_MESSAGE: &str = "compacts Parquet files, enforces retention, collects garbage";

/// Runs the compactor until SIGINT or SIGTERM.
pub(crate) async fn run(config: CompactorConfig) -> Result<(), RunError> {
    start_logging(&config.logging)?;
    let settings = compactor_settings(&config.compaction)?;
    let backend = cluster::etcd("compactor", &config.etcd).await?;
    let catalog: Arc<dyn Catalog> = Arc::clone(&backend) as Arc<dyn Catalog>;
    let store = object_store_from(&config.object_store, config.storage.data_dir.as_deref())?;
    let (listener, addr) = listen(&config.bind).await?;
    let metrics = Arc::new(CompactorMetrics::new());
    tracing::info!(
        shard_id = settings.shard_id,
        shard_count = settings.shard_count,
        gc = settings.gc_interval.is_some(),
        "compactor starting"
    );
    let compactor = Compactor::new(catalog, Arc::clone(&store), settings, Arc::clone(&metrics))?;
    let shell = Shell::new("compactor", HEALTH_MESSAGE)
        .with_metrics(metrics as Arc<dyn observability::MetricsText>)
        .with_check(cluster::etcd_check(&backend, true))
        .with_check(querier::store_check(store));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let work = tokio::spawn(compactor.run(async {
        let _ = stopped.await;
    }));
    announce("compactor", addr);
    let served = shell
        .serve(listener, shell.routes(), shutdown_signal())
        .await
        .map_err(RunError::Serve);
    let _ = stop.send(());
    let _ = work.await;
    tracing::info!("compactor stopped");
    served
}
