//! What every request handler shares.

use std::sync::Arc;

use catalog::{Catalog, DatabaseOptions};
use schema::ConvertPool;
use tokio::sync::Semaphore;
use write_log::WriteLog;

use crate::RouterMetrics;

/// Behaviour switches and limits of the router.
#[derive(Debug, Clone)]
pub struct RouterSettings {
    /// Cap on the request body, as sent and after decompression (bytes).
    pub max_request_bytes: usize,
    /// Write requests processed at once.
    pub max_concurrent_writes: usize,
    /// Create unknown databases on first write.
    pub auto_create_databases: bool,
    /// Options of auto-created databases.
    pub new_database_options: DatabaseOptions,
    /// Threads converting one large body (see `schema::ConvertPool`).
    pub convert_threads: usize,
}

impl Default for RouterSettings {
    fn default() -> Self {
        Self {
            max_request_bytes: 10 * 1024 * 1024,
            max_concurrent_writes: 200,
            auto_create_databases: false,
            new_database_options: DatabaseOptions::default(),
            convert_threads: 1,
        }
    }
}

/// Shared state of the router's handlers. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RouterState {
    pub(crate) catalog: Arc<dyn Catalog>,
    pub(crate) write_log: Arc<dyn WriteLog>,
    pub(crate) metrics: Arc<RouterMetrics>,
    pub(crate) settings: Arc<RouterSettings>,
    pub(crate) write_permits: Arc<Semaphore>,
    /// Converts large bodies on `settings.convert_threads` threads.
    pub(crate) convert_pool: Arc<ConvertPool>,
}

impl RouterState {
    /// Builds the state; `max_concurrent_writes` permits are created from `settings`.
    pub fn new(
        catalog: Arc<dyn Catalog>,
        write_log: Arc<dyn WriteLog>,
        metrics: Arc<RouterMetrics>,
        settings: RouterSettings,
    ) -> Self {
        let write_permits = Arc::new(Semaphore::new(settings.max_concurrent_writes));
        let convert_pool = Arc::new(ConvertPool::new(settings.convert_threads));
        Self {
            catalog,
            write_log,
            metrics,
            settings: Arc::new(settings),
            write_permits,
            convert_pool,
        }
    }

    /// The metrics registry (for `/metrics` and tests).
    pub fn metrics(&self) -> &Arc<RouterMetrics> {
        &self.metrics
    }
}
