//! The write pipeline as a library, for writers inside Quiver (InfluxQL's `SELECT … INTO`
//! through `quiver serve` and `quiver querier`): line protocol into an existing database,
//! stored exactly as the HTTP write stores it.
//!
//! ```text
//! LineWriter::write(database, line protocol, ns timestamps)
//!   ──► 5 convert (the router's LinesConverter; any rejected line rejects the write)
//!   ──► 6b retention ──► 7 schema upsert (catalog) ──► 8 shard ──► append to the WriteLog
//!       (write::store_tables, the same steps as `POST /write`)
//! ```
//!
//! Ingesters read those records like any other write, so the rows are persisted and read back
//! by queriers (read-after-write) as HTTP writes are. The caller resolves the database (v1
//! name, DBRP mapping) and authorizes the write; no database is created here.

use std::sync::Arc;

use catalog::{Catalog, Database};
use line_protocol::Precision;
use schema::ConvertPool;
use write_log::WriteLog;

use crate::write::{WriteError, convert_body, rejection_error, store_tables};

/// Writes line protocol through the router's pipeline (steps 5–8 of the crate doc).
#[derive(Clone)]
pub struct LineWriter {
    catalog: Arc<dyn Catalog>,
    log: Arc<dyn WriteLog>,
    pool: Arc<ConvertPool>,
}

impl std::fmt::Debug for LineWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineWriter").finish_non_exhaustive()
    }
}

impl LineWriter {
    /// A writer storing into `catalog`'s databases through `log` (conversion on the caller's
    /// thread: the bodies are small batches).
    pub fn new(catalog: Arc<dyn Catalog>, log: Arc<dyn WriteLog>) -> Self {
        Self {
            catalog,
            log,
            pool: Arc::new(ConvertPool::new(1)),
        }
    }

    /// Writes `lines` (line protocol, nanosecond timestamps, every line with its timestamp)
    /// into `database`; returns the number of lines written. All or nothing: a rejected line,
    /// a row outside the retention period or a schema conflict writes none.
    pub async fn write(&self, database: &Database, lines: String) -> Result<usize, WriteError> {
        let pool = Arc::clone(&self.pool);
        let converted = tokio::task::spawn_blocking(move || {
            convert_body(&pool, lines, Precision::Nanoseconds, crate::time::now_ns())
        })
        .await
        .map_err(|e| WriteError::Rejected {
            message: format!("conversion task failed: {e}"),
            line: 0,
        })??;
        if !converted.rejections.is_empty() {
            return Err(rejection_error(&converted.rejections, None));
        }
        if converted.tables.is_empty() {
            return Ok(0);
        }
        let written = converted.stats.lines_accepted;
        store_tables(
            self.catalog.as_ref(),
            self.log.as_ref(),
            database,
            converted.tables,
            None,
            None,
        )
        .await?;
        Ok(written)
    }
}
