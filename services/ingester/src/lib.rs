//! The ingester: consumes the write log, buffers rows per (log partition, database, table,
//! partition key), and persists them as Parquet with one catalog transaction per persist, so
//! every acknowledged row reaches Parquet exactly once (docs/architecture.md, "The ingester").
//!
//! ```text
//! Box<dyn LogReader> ──► consume::Consumer (one task: events, triggers, pause/resume)
//!                           ├─► offsets::OffsetReads (catalog offsets of assigned partitions)
//!                           ├─► live::Live: per owned log partition applied offset, persist
//!                           │     snapshot, buffer::PartitionBuffer (shared with queries)
//!                           │     └─ partition_key::split_by_day (UTC %Y-%m-%d of `time`)
//!                           ├─► persist::Persister (a task per persist: dedup → Parquet on
//!                           │     cpu_pool::CpuPool threads at a lower priority → upload →
//!                           │     commit_persist CAS) ──► done ──► reader.persisted(p, offset)
//!                           └─► ownership (watch) ──► lease::LeaseTask (register/update/keep-alive)
//! live::Live ──► query::IngesterQuery (UnpersistedSource: wait for offsets, answer rows)
//!                  ├─► in process (`quiver serve`, directory::LocalDirectory)
//!                  └─► http: flight::ingester::IngesterFlightService (gRPC on the same port)
//! metrics::IngesterMetrics ──► http (/health, /ready, /metrics)
//! ```
//!
//! [`Ingester::run`] is the whole lifecycle: register, consume until the shutdown future
//! resolves, persist everything pending, release the lease. [`Ingester::query_handle`] answers
//! queries before, during and after it (not owning anything outside of `run`).

mod buffer;
mod consume;
mod directory;
mod http;
mod lease;
mod live;
mod metrics;
mod offsets;
mod partition_key;
mod persist;
mod query;
mod settings;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use catalog::Catalog;
use object_store::ObjectStore;
use tokio::sync::watch;
use write_log::LogReader;

pub use buffer::{BufferKey, PartitionBuffer, PreparedWrite, TableBuffer};
pub use consume::ShutdownReport;
pub use cpu_pool::{CpuPool, PoolError, Priority};
pub use directory::LocalDirectory;
pub use http::{HEALTH_MESSAGE, HttpState, flight_routes, serve as serve_http};
pub use metrics::IngesterMetrics;
pub use partition_key::{PartitionKeyError, day_key, split_by_day};
pub use persist::{PersistJob, PersistOutcome, Persister};
pub use query::{IngesterQuery, MAX_WAIT};
pub use settings::{Identity, PersistSettings};

/// How the ingester registers itself in the catalog.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Id and address.
    pub identity: Identity,
    /// Lease TTL.
    pub ttl: Duration,
}

/// An ingester, ready to run over a log reader.
#[derive(Debug)]
pub struct Ingester {
    catalog: Arc<dyn Catalog>,
    persister: Arc<Persister>,
    metrics: Arc<IngesterMetrics>,
    settings: PersistSettings,
    ready: Arc<AtomicBool>,
    live: Arc<live::Live>,
}

impl Ingester {
    /// An ingester committing to `catalog` and writing Parquet to `store`; starts its persist
    /// threads (the error when the OS refuses them).
    pub fn new(
        catalog: Arc<dyn Catalog>,
        store: Arc<dyn ObjectStore>,
        settings: PersistSettings,
    ) -> std::io::Result<Self> {
        let metrics = Arc::new(IngesterMetrics::new());
        let pool = CpuPool::new("persist", settings.threads, settings.priority)?;
        let persister = Arc::new(Persister::new(
            Arc::clone(&catalog),
            store,
            Arc::clone(&metrics),
            pool,
        ));
        Ok(Self {
            catalog,
            persister,
            metrics,
            settings,
            ready: Arc::new(AtomicBool::new(false)),
            live: Arc::new(live::Live::default()),
        })
    }

    /// The query API over this ingester's buffers (cheap to clone; valid before, during and
    /// after [`Ingester::run`]: partitions are owned only while it runs).
    pub fn query_handle(&self) -> IngesterQuery {
        IngesterQuery::new(Arc::clone(&self.live))
    }

    /// The state the HTTP endpoints read.
    pub fn http_state(&self) -> HttpState {
        HttpState {
            metrics: Arc::clone(&self.metrics),
            ready: Arc::clone(&self.ready),
            query: self.query_handle(),
        }
    }

    /// The metrics.
    pub fn metrics(&self) -> Arc<IngesterMetrics> {
        Arc::clone(&self.metrics)
    }

    /// Registers (when `registration` is given), consumes `reader` until `shutdown` resolves,
    /// persists everything pending (bounded by the shutdown timeout), releases the lease, and
    /// returns the reader (drop it to leave the consumer group) with what was left unpersisted.
    pub async fn run<R: LogReader>(
        self,
        reader: R,
        registration: Option<Registration>,
        shutdown: impl Future<Output = ()>,
    ) -> (R, ShutdownReport) {
        let (ownership, watcher) = watch::channel(Vec::new());
        let lease = registration.map(|r| {
            lease::LeaseTask::spawn(Arc::clone(&self.catalog), r.identity, watcher, r.ttl)
        });
        let consumer = consume::Consumer::new(
            reader,
            Arc::clone(&self.catalog),
            Arc::clone(&self.persister),
            Arc::clone(&self.metrics),
            self.settings,
            ownership,
            Arc::clone(&self.live),
        );
        self.ready.store(true, Ordering::Release);
        let ready = Arc::clone(&self.ready);
        let shutdown = async move {
            shutdown.await;
            ready.store(false, Ordering::Release);
            tracing::info!("ingester shutting down: persisting buffered rows");
        };
        let (reader, report) = consumer.run(shutdown).await;
        if let Some(lease) = lease {
            lease.release().await;
        }
        (reader, report)
    }
}
