//! The compactor: keeps every partition's file count bounded, drops files past their
//! database's retention, and deletes objects nobody needs (docs/architecture.md,
//! "Compaction, retention, garbage collection").
//!
//! ```text
//! Compactor::run (every --compaction-interval, until shutdown)
//!   cycle: catalog ──► databases ──► tables ──► parquet_files ──► partition keys this
//!          compactor owns (xxh3(db, table, key) mod --compaction-shard-count = shard id)
//!     per partition key (≤ --compaction-concurrency at once), until nothing is left to do:
//!       retention: files whose newest row is past the retention period ──► replace_files
//!                  (remove only)
//!       plan::plan(live files, now) ──► Job ──► job::run: merge ──► dedup ──► split by time
//!                  ──► new objects ──► replace_files(inputs → outputs), one transaction
//!   every --gc-interval (on the compactor with shard id 0): gc::collect
//! ```
//!
//! Several compactors may run: each owns the partition keys its shard id hashes to, and every
//! swap is a compare-and-swap on its inputs' records, so a file is never compacted twice even
//! when two compactors disagree about ownership (the loser deletes its outputs).

mod dedup;
mod error;
pub mod gc;
mod job;
mod merge;
mod metrics;
pub mod plan;
mod split;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use catalog::{Catalog, Database, FileSwap, MAX_SWAP_OPS, ParquetFileRecord, TableId};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use object_store::ObjectStore;
use parquet_store::WriteOptions;

pub use error::CompactError;
pub use gc::GcReport;
pub use metrics::CompactorMetrics;
pub use plan::{Job, JobKind, PlanSettings};

use job::{JobContext, Target};

/// Where the compactor registers the object store in its DataFusion runtime.
const OBJECTS_URL: &str = "quiver://objects/";

/// Most jobs one partition key gets in one cycle (a cycle must end so that the others and
/// retention get their turn).
const MAX_JOBS_PER_PARTITION: usize = 64;

/// How the compactor works.
#[derive(Debug, Clone)]
pub struct CompactorSettings {
    /// The planner's knobs.
    pub plan: PlanSettings,
    /// Pause between cycles.
    pub interval: Duration,
    /// Partition keys compacted at once.
    pub concurrency: usize,
    /// This compactor's shard (0-based) …
    pub shard_id: u32,
    /// … of this many.
    pub shard_count: u32,
    /// Parquet writer options of the outputs.
    pub write: WriteOptions,
    /// Pause between garbage-collection passes; `None`: this compactor does not collect.
    pub gc_interval: Option<Duration>,
    /// How long a retired or orphaned object is kept before it is deleted.
    pub gc_grace: Duration,
}

impl Default for CompactorSettings {
    fn default() -> Self {
        Self {
            plan: PlanSettings::default(),
            interval: Duration::from_secs(10),
            concurrency: 1,
            shard_id: 0,
            shard_count: 1,
            write: WriteOptions::default(),
            gc_interval: Some(Duration::from_secs(300)),
            gc_grace: Duration::from_secs(3600),
        }
    }
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// Partition keys owned and looked at.
    pub partitions: usize,
    /// Jobs whose swap landed.
    pub jobs: usize,
    /// Jobs that lost their swap to a concurrent change.
    pub conflicts: usize,
    /// Jobs that failed (logged; retried next cycle).
    pub errors: usize,
    /// Files retired past retention.
    pub expired_files: usize,
}

/// Compaction, retention and garbage collection over one catalog and object store.
#[derive(Debug, Clone)]
pub struct Compactor {
    catalog: Arc<dyn Catalog>,
    store: Arc<dyn ObjectStore>,
    settings: CompactorSettings,
    metrics: Arc<CompactorMetrics>,
    jobs: JobContext,
}

impl Compactor {
    /// A compactor over `catalog` and `store`.
    pub fn new(
        catalog: Arc<dyn Catalog>,
        store: Arc<dyn ObjectStore>,
        settings: CompactorSettings,
        metrics: Arc<CompactorMetrics>,
    ) -> Result<Self, CompactError> {
        let url = ObjectStoreUrl::parse(OBJECTS_URL)?;
        let runtime = RuntimeEnv::default();
        runtime.register_object_store(url.as_ref(), Arc::clone(&store));
        let ctx = SessionContext::new_with_config_rt(SessionConfig::new(), Arc::new(runtime));
        let jobs = JobContext {
            catalog: Arc::clone(&catalog),
            store: Arc::clone(&store),
            task: ctx.task_ctx(),
            url,
            write: settings.write,
        };
        Ok(Self {
            catalog,
            store,
            settings,
            metrics,
            jobs,
        })
    }

    /// The metrics this compactor updates.
    pub fn metrics(&self) -> &Arc<CompactorMetrics> {
        &self.metrics
    }

    /// Runs cycles (and garbage-collection passes) until `shutdown` resolves; a running job
    /// is abandoned at shutdown (its outputs are never swapped in).
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut last_gc: Option<Instant> = None;
        loop {
            let work = async {
                if let Err(e) = self.cycle().await {
                    tracing::warn!(error = %e, "compaction cycle failed; retrying next cycle");
                }
                if let Some(every) = self.settings.gc_interval
                    && last_gc.is_none_or(|at| at.elapsed() >= every)
                {
                    last_gc = Some(Instant::now());
                    if let Err(e) = self.collect_garbage().await {
                        self.metrics.gc_errors.inc();
                        tracing::warn!(error = %e, "garbage collection failed; retrying next pass");
                    }
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = work => {}
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.settings.interval) => {}
            }
        }
    }

    /// Runs [`Compactor::run`] on a runtime of its own: `threads` workers and the thread driving
    /// the cycles, all at `priority`, so that in a process that also takes writes and answers
    /// queries (`quiver serve`) merging takes only the CPU the rest leaves (as the ingester's
    /// persist threads do). Returns once `shutdown` resolved and the loop stopped.
    pub async fn run_isolated(
        self,
        threads: usize,
        priority: cpu_pool::Priority,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let lower = move || {
            if let Err(e) = cpu_pool::lower_current_thread(priority) {
                tracing::warn!(error = %e, "cannot lower the compactor thread's priority");
            }
        };
        let (done, finished) = tokio::sync::oneshot::channel::<std::io::Result<()>>();
        // The runtime is built and dropped on the thread (dropping one inside an async context
        // is not allowed).
        std::thread::Builder::new()
            .name("quiver-compactor-loop".into())
            .spawn(move || {
                lower();
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(threads.max(1))
                    .thread_name("quiver-compactor")
                    .on_thread_start(lower)
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = done.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(self.run(shutdown));
                drop(runtime);
                let _ = done.send(Ok(()));
            })?;
        finished.await.unwrap_or(Ok(()))
    }

    /// One garbage-collection pass now.
    pub async fn collect_garbage(&self) -> Result<GcReport, CompactError> {
        gc::collect(
            &self.catalog,
            &self.store,
            self.settings.gc_grace,
            now_ns(),
            &self.metrics,
        )
        .await
    }

    /// One cycle over every partition key this compactor owns.
    pub async fn cycle(&self) -> Result<CycleReport, CompactError> {
        let started = Instant::now();
        let mut partitions = Vec::new();
        for db in self.catalog.list_databases().await? {
            let schema = self.catalog.database_schema(db.id).await?;
            for (table_name, table) in &schema.tables {
                let files = self.catalog.parquet_files(db.id, table.id).await?;
                for key in files.keys() {
                    if self.owns(&db, table.id, key) {
                        partitions.push(Target {
                            database_id: db.id,
                            database_name: db.name.to_string(),
                            table_id: table.id,
                            table_name: table_name.clone(),
                            partition_key: key.clone(),
                        });
                    }
                }
            }
        }
        let retention: std::collections::HashMap<u64, i64> = self
            .catalog
            .list_databases()
            .await?
            .into_iter()
            .filter_map(|db| db.retention_period_ns().map(|r| (db.id.0, r)))
            .collect();
        let count = partitions.len();
        let reports: Vec<CycleReport> = futures::stream::iter(partitions)
            .map(|target| {
                let retention = retention.get(&target.database_id.0).copied();
                async move { self.partition(&target, retention).await }
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut total = CycleReport {
            partitions: count,
            ..CycleReport::default()
        };
        let mut with_work = 0;
        for r in reports {
            if r.jobs + r.conflicts + r.errors > 0 {
                with_work += 1;
            }
            total.jobs += r.jobs;
            total.conflicts += r.conflicts;
            total.errors += r.errors;
            total.expired_files += r.expired_files;
        }
        self.metrics.cycles.inc();
        self.metrics.partitions.set(gauge(count));
        self.metrics.partitions_with_work.set(gauge(with_work));
        self.metrics
            .last_cycle_ms
            .set(gauge(started.elapsed().as_millis()));
        Ok(total)
    }

    /// Whether this compactor's shard owns a partition key.
    fn owns(&self, db: &Database, table: TableId, key: &str) -> bool {
        let shards = self.settings.shard_count.max(1);
        if shards == 1 {
            return true;
        }
        let mut text = format!("{}/{}/", db.id.0, table.0).into_bytes();
        text.extend_from_slice(key.as_bytes());
        let hash = xxhash_rust::xxh3::xxh3_64(&text);
        hash % u64::from(shards) == u64::from(self.settings.shard_id)
    }

    /// Retention, then jobs until the planner has none (or the per-cycle bound).
    async fn partition(&self, target: &Target, retention_ns: Option<i64>) -> CycleReport {
        let mut report = CycleReport::default();
        for _ in 0..MAX_JOBS_PER_PARTITION {
            let files = match self.live_files(target).await {
                Ok(files) => files,
                Err(e) => {
                    tracing::warn!(error = %e, partition = %target.partition_key, "cannot list files");
                    report.errors += 1;
                    return report;
                }
            };
            if let Some(period) = retention_ns {
                let cutoff = now_ns().saturating_sub(period);
                let expired: Vec<ParquetFileRecord> = files
                    .iter()
                    .filter(|f| f.max_time_ns < cutoff)
                    .cloned()
                    .collect();
                if !expired.is_empty() {
                    match self.expire(target, expired).await {
                        Ok(n) => report.expired_files += n,
                        Err(e) => {
                            tracing::warn!(error = %e, partition = %target.partition_key, "cannot drop expired files");
                            report.errors += 1;
                            return report;
                        }
                    }
                    continue;
                }
            }
            let Some(job) = plan::plan(&files, now_ns(), &self.settings.plan) else {
                return report;
            };
            let kind = job.kind.as_str();
            match job::run(&self.jobs, target, &job).await {
                Ok(done) if done.conflict => {
                    self.metrics.job(kind, "conflict");
                    report.conflicts += 1;
                    // Someone else changed this partition: leave it to the next cycle.
                    return report;
                }
                Ok(done) => {
                    self.metrics.job(kind, "ok");
                    self.metrics.input_files.inc_by(job.inputs.len() as u64);
                    self.metrics.input_rows.inc_by(job.input_rows());
                    self.metrics.input_bytes.inc_by(job.input_bytes());
                    self.metrics.output_files.inc_by(done.outputs.len() as u64);
                    self.metrics
                        .output_rows
                        .inc_by(done.outputs.iter().map(|f| f.row_count).sum());
                    self.metrics
                        .output_bytes
                        .inc_by(done.outputs.iter().map(|f| f.size_bytes).sum());
                    self.metrics.duplicate_rows.inc_by(done.duplicates);
                    tracing::debug!(
                        kind,
                        database = %target.database_name,
                        table = %target.table_name,
                        partition = %target.partition_key,
                        inputs = job.inputs.len(),
                        outputs = done.outputs.len(),
                        "compacted"
                    );
                    report.jobs += 1;
                }
                Err(e) => {
                    self.metrics.job(kind, "error");
                    tracing::warn!(
                        error = %e,
                        kind,
                        database = %target.database_name,
                        table = %target.table_name,
                        partition = %target.partition_key,
                        "compaction job failed; retrying next cycle"
                    );
                    report.errors += 1;
                    return report;
                }
            }
        }
        report
    }

    async fn live_files(&self, target: &Target) -> Result<Vec<ParquetFileRecord>, CompactError> {
        let mut files = self
            .catalog
            .parquet_files(target.database_id, target.table_id)
            .await?;
        Ok(files.remove(&target.partition_key).unwrap_or_default())
    }

    /// Retires `expired` in swaps that fit one transaction each.
    async fn expire(
        &self,
        target: &Target,
        expired: Vec<ParquetFileRecord>,
    ) -> Result<usize, CompactError> {
        let mut n = 0;
        for chunk in expired.chunks((MAX_SWAP_OPS / 2).max(1)) {
            self.catalog
                .replace_files(FileSwap {
                    database_id: target.database_id,
                    table_id: target.table_id,
                    partition_key: target.partition_key.clone(),
                    remove: chunk.to_vec(),
                    add: Vec::new(),
                })
                .await?;
            n += chunk.len();
            self.metrics.retention_files.inc_by(chunk.len() as u64);
        }
        tracing::info!(
            database = %target.database_name,
            table = %target.table_name,
            partition = %target.partition_key,
            files = n,
            "dropped files past the retention period"
        );
        Ok(n)
    }
}

fn gauge(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
