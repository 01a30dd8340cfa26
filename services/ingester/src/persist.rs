//! One persist of one log partition: the snapshot of its buffer → Parquet files → one catalog
//! commit that adds the files and advances the partition's persisted offset (compare-and-swap).
//!
//! ```text
//! PersistJob { partition, expected_offset, new_offset, snapshot, cancel }
//!   for each (database, table, partition key) of the snapshot:
//!     ids: database_by_name + database_schema (cached; ids never change)
//!     on the CpuPool (threads of their own, lower priority):
//!       schema::dedup::sort_dedup(batches in write order) ──► one sorted batch, one row per key
//!       parquet_store::encode_parquet ──► bytes
//!     parquet_store::put_parquet ──► ParquetFileRecord            (each step retried w/ backoff)
//!   commit_persist(PersistCommit { partition, expected_offset, new_offset, files })
//!     Ok ──────────────────────────────► Committed
//!     OffsetConflict ──► did OUR commit land? (an earlier attempt timed out after etcd applied
//!                        it: offset == new_offset and our first file is listed) ──► Committed
//!                        else ──► Conflict (another owner moved the offset; our files are orphans)
//!     other errors ──► retry with backoff (the snapshot is kept; nothing is lost)
//! cancel (partition revoked) ──► stop before the next step ──► Cancelled (files are orphans)
//! ```
//!
//! A commit with `expected_offset = E` and `new_offset = N` holds exactly the records E+1..=N of
//! the partition, so the compare-and-swap chains commits without gaps or overlaps: whatever
//! crashes or rebalances happen, every record is committed once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use catalog::{
    Catalog, CatalogError, DatabaseId, DatabaseName, LogPartition, ParquetFileRecord,
    PersistCommit, TableId,
};
use object_store::ObjectStore;
use parquet_store::{FileMeta, WriteOptions, encode_parquet, put_parquet};

use crate::buffer::{BufferKey, PartitionBuffer, TableBuffer};
use crate::metrics::IngesterMetrics;
use cpu_pool::{CpuPool, PoolError};

/// First delay between retries of a failed step; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest delay between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What a persist works on.
#[derive(Debug)]
pub struct PersistJob {
    /// The log partition.
    pub partition: LogPartition,
    /// The persisted offset the snapshot builds on (`None`: nothing persisted yet).
    pub expected_offset: Option<u64>,
    /// The last offset applied to the snapshot: the new persisted offset.
    pub new_offset: u64,
    /// The buffered rows of records `expected_offset + 1 ..= new_offset` (shared with queries,
    /// which read it until the commit lands).
    pub snapshot: Arc<PartitionBuffer>,
    /// Set when the partition is revoked: the job stops before its next step.
    pub cancel: Arc<AtomicBool>,
}

/// How a persist ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersistOutcome {
    /// The files and the new offset are in the catalog.
    Committed {
        /// Files added.
        files: usize,
        /// Rows in them (after dedup).
        rows: u64,
        /// Parquet bytes.
        bytes: u64,
    },
    /// Another owner moved the partition's persisted offset; nothing was committed.
    Conflict,
    /// The job was cancelled (partition revoked) before committing.
    Cancelled,
}

/// Why one step of a persist failed (each is retried).
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("database {0:?} has an invalid name: {1}")]
    BadName(String, String),
    #[error("dedup of {table}: {reason}")]
    Dedup { table: String, reason: String },
    #[error("writing Parquet: {0}")]
    Store(#[from] parquet_store::StoreError),
    #[error("persist thread: {0}")]
    Pool(#[from] PoolError),
}

/// Ids of a buffer's database and table.
#[derive(Debug, Clone, Copy)]
struct Ids {
    database: DatabaseId,
    table: TableId,
}

/// Runs persist jobs; shared by every job of an ingester (caches table ids).
#[derive(Debug)]
pub struct Persister {
    catalog: Arc<dyn Catalog>,
    store: Arc<dyn ObjectStore>,
    metrics: Arc<IngesterMetrics>,
    ids: Mutex<HashMap<(String, String), Ids>>,
    pool: CpuPool,
}

impl Persister {
    /// A persister writing to `store` and committing to `catalog`, sorting and encoding on
    /// `pool`.
    pub fn new(
        catalog: Arc<dyn Catalog>,
        store: Arc<dyn ObjectStore>,
        metrics: Arc<IngesterMetrics>,
        pool: CpuPool,
    ) -> Self {
        Self {
            catalog,
            store,
            metrics,
            ids: Mutex::new(HashMap::new()),
            pool,
        }
    }

    /// Persists the job's snapshot and commits it; retries failures until committed, refused
    /// (conflict) or cancelled.
    pub async fn persist(&self, job: PersistJob) -> PersistOutcome {
        let started = std::time::Instant::now();
        let partition = job.partition;
        let mut files = Vec::new();
        for (key, buffer) in job.snapshot.tables() {
            let record = self
                .retry(&job.cancel, partition, "write Parquet", || {
                    self.write_file(partition, key, buffer)
                })
                .await;
            match record {
                Some(Some(record)) => files.push(record),
                // The database or table is gone (deleted): its rows cannot be stored.
                Some(None) => {}
                None => return PersistOutcome::Cancelled,
            }
        }
        let commit = PersistCommit {
            log_partition: partition,
            expected_offset: job.expected_offset,
            new_offset: job.new_offset,
            files,
        };
        let outcome = self
            .retry(&job.cancel, partition, "commit", || self.commit(&commit))
            .await;
        let Some(outcome) = outcome else {
            return PersistOutcome::Cancelled;
        };
        if let PersistOutcome::Committed { files, rows, bytes } = &outcome {
            self.metrics.persists.inc();
            self.metrics.persisted_files.inc_by(*files as u64);
            self.metrics.persisted_rows.inc_by(*rows);
            self.metrics.persisted_bytes.inc_by(*bytes);
            tracing::debug!(
                partition,
                offset = job.new_offset,
                files,
                rows,
                bytes,
                ms = started.elapsed().as_secs_f64() * 1e3,
                "persisted"
            );
        }
        outcome
    }

    /// Runs `step` until it succeeds, with exponential backoff; `None` once cancelled.
    async fn retry<T, F, Fut>(
        &self,
        cancel: &AtomicBool,
        partition: LogPartition,
        what: &str,
        mut step: F,
    ) -> Option<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StepError>>,
    {
        let mut backoff = FIRST_BACKOFF;
        loop {
            if cancel.load(Ordering::Acquire) {
                return None;
            }
            match step().await {
                Ok(value) => return Some(value),
                Err(error) => {
                    self.metrics.persist_errors.inc();
                    tracing::warn!(
                        partition,
                        step = what,
                        %error,
                        retry_in_ms = backoff.as_millis() as u64,
                        "persist step failed; retrying"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Dedups one buffer and writes it as a Parquet file. `None` when its database or table no
    /// longer exists (logged: those rows are dropped).
    async fn write_file(
        &self,
        partition: LogPartition,
        key: &BufferKey,
        buffer: &TableBuffer,
    ) -> Result<Option<ParquetFileRecord>, StepError> {
        let Some(ids) = self.ids(key).await? else {
            tracing::error!(
                database = %key.database,
                table = %key.table,
                rows = buffer.rows,
                "database or table not in the catalog (deleted?); dropping its buffered rows"
            );
            return Ok(None);
        };
        if buffer.rows == 0 {
            return Ok(None);
        }
        let meta = FileMeta {
            database_id: ids.database,
            database_name: key.database.clone(),
            table_id: ids.table,
            table_name: key.table.clone(),
            partition_key: key.partition_key.clone(),
            log_partition: partition,
            min_offset: buffer.min_offset,
            max_offset: buffer.max_offset,
        };
        // The CPU-heavy part, off the async workers (batches are Arc'd: the clone is cheap).
        let batches = buffer.batches.clone();
        let table = key.table.clone();
        let encoded = self
            .pool
            .run(move || {
                let batch = schema::dedup::sort_dedup(&batches).map_err(|e| StepError::Dedup {
                    table,
                    reason: e.to_string(),
                })?;
                Ok::<_, StepError>(encode_parquet(&meta, &batch, WriteOptions::default())?)
            })
            .await??;
        Ok(Some(put_parquet(&self.store, encoded).await?))
    }

    /// The ids of `key`'s database and table, from the cache or the catalog.
    async fn ids(&self, key: &BufferKey) -> Result<Option<Ids>, StepError> {
        let cache_key = (key.database.clone(), key.table.clone());
        if let Some(ids) = self.cached(&cache_key) {
            return Ok(Some(ids));
        }
        let name = DatabaseName::new(&key.database)
            .map_err(|e| StepError::BadName(key.database.clone(), e.to_string()))?;
        let Some(db) = self.catalog.database_by_name(&name).await? else {
            return Ok(None);
        };
        let schema = self.catalog.database_schema(db.id).await?;
        let Some(table) = schema.tables.get(&key.table) else {
            return Ok(None);
        };
        let ids = Ids {
            database: db.id,
            table: table.id,
        };
        if let Ok(mut cache) = self.ids.lock() {
            cache.insert(cache_key, ids);
        }
        Ok(Some(ids))
    }

    fn cached(&self, key: &(String, String)) -> Option<Ids> {
        self.ids.lock().ok().and_then(|c| c.get(key).copied())
    }

    /// One commit attempt; `Conflict` only when the offset was moved by someone else.
    async fn commit(&self, commit: &PersistCommit) -> Result<PersistOutcome, StepError> {
        let committed = PersistOutcome::Committed {
            files: commit.files.len(),
            rows: commit.files.iter().map(|f| f.row_count).sum(),
            bytes: commit.files.iter().map(|f| f.size_bytes).sum(),
        };
        match self.catalog.commit_persist(commit.clone()).await {
            Ok(()) => Ok(committed),
            Err(CatalogError::OffsetConflict { .. }) => {
                if self.landed(commit).await? {
                    tracing::info!(
                        partition = commit.log_partition,
                        offset = commit.new_offset,
                        "an earlier attempt of this commit had landed"
                    );
                    Ok(committed)
                } else {
                    self.metrics.persist_conflicts.inc();
                    Ok(PersistOutcome::Conflict)
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// True when `commit` is already in the catalog (an attempt that reported an error had in
    /// fact been applied).
    async fn landed(&self, commit: &PersistCommit) -> Result<bool, StepError> {
        let offsets = self.catalog.persisted_offsets().await?;
        if offsets.get(&commit.log_partition) != Some(&commit.new_offset) {
            return Ok(false);
        }
        let Some(first) = commit.files.first() else {
            // No files: the offset alone is the commit, and it is there.
            return Ok(true);
        };
        let files = self
            .catalog
            .parquet_files(first.database_id, first.table_id)
            .await?;
        Ok(files
            .get(&first.partition_key)
            .is_some_and(|list| list.iter().any(|f| f.object_id == first.object_id)))
    }
}
