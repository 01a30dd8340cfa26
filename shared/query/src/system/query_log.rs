//! `QueryLog`: the bounded, in-memory log of recent queries behind `system.queries`, shared by
//! every session of one `QueryDatabase` (one querier process).
//!
//! ```text
//! front end (Flight do_get, /query, …)
//!   log.begin(&db, QueryType::Sql, text, trace_id) ──► QueryLogEntry   (phase received, running)
//!     │   pushed into the ring; the oldest entry is evicted beyond `capacity`
//!     ├─ entry.planned(&physical_plan)   phase planned: plan_duration, partitions, parquet_files
//!     ├─ entry.track(stream) ──► stream end: finish_ok(rows) | stream error: finish_err(text)
//!     ├─ entry.finish_ok(rows) / entry.finish_err(message)   (consume the entry)
//!     └─ drop without finishing ──► phase cancel (client went away, task aborted, …)
//! system.queries scan ──► log.entries() ──► QueryRecord snapshots, filtered by database id
//! every finish (success, fail, cancel) ──► the observer set with `QueryLog::observe`, once,
//!   with the final record (the querier's metrics)
//! ```
//!
//! An entry owns an `Arc` of its shared state, so it stays finishable after the ring evicted it
//! (the update is then simply not visible any more). All state sits behind `std::sync::Mutex`es
//! held for a few field writes only; `QueryLogEntry` is `Send + Sync` and can be moved into a
//! response stream.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use catalog::{Database, DatabaseId};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};

use super::logged_stream::LoggedStream;

/// Entries a [`QueryLog`] keeps by default (the oldest are evicted first).
pub const DEFAULT_QUERY_LOG_SIZE: usize = 1_000;

/// The language of a logged query (the `query_type` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryType {
    /// SQL (Flight ticket `"query_type": "sql"`, the default).
    Sql,
    /// InfluxQL (Flight ticket `"query_type": "influxql"`, v1 `/query`).
    InfluxQl,
    /// A Flight SQL command (statement, prepared statement, metadata command).
    FlightSql,
}

impl QueryType {
    /// The name shown in `system.queries`: `sql`, `influxql` or `flightsql`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sql => "sql",
            Self::InfluxQl => "influxql",
            Self::FlightSql => "flightsql",
        }
    }
}

impl fmt::Display for QueryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a logged query is in its life (the `phase` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryPhase {
    /// Received, not planned yet.
    Received,
    /// Planned, executing.
    Planned,
    /// Finished with its full result sent.
    Success,
    /// Failed (planning or execution error).
    Fail,
    /// Dropped before it finished (client gone, task aborted).
    Cancel,
}

impl QueryPhase {
    /// The name shown in `system.queries`: `received`, `planned`, `success`, `fail`, `cancel`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Planned => "planned",
            Self::Success => "success",
            Self::Fail => "fail",
            Self::Cancel => "cancel",
        }
    }

    /// True while the query has not finished in any way.
    pub const fn is_running(self) -> bool {
        matches!(self, Self::Received | Self::Planned)
    }
}

impl fmt::Display for QueryPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A snapshot of one logged query (one row of `system.queries`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRecord {
    /// Id, unique within its log, increasing in issue order.
    pub id: u64,
    /// The database the query ran against.
    pub database_id: DatabaseId,
    /// Its name at the time of the query.
    pub database_name: String,
    /// Language.
    pub query_type: QueryType,
    /// The query as received.
    pub query_text: String,
    /// Trace id of the request, if it carried one.
    pub trace_id: Option<String>,
    /// When the query was received (ns since the epoch, UTC).
    pub issue_time_ns: i64,
    /// Current phase.
    pub phase: QueryPhase,
    /// (table, partition key) groups the plan scans; known once planned.
    pub partitions: Option<u64>,
    /// Parquet files the plan scans; known once planned.
    pub parquet_files: Option<u64>,
    /// Receipt to plan ready.
    pub plan_duration: Option<Duration>,
    /// Plan ready to finish (success, failure or cancel).
    pub execute_duration: Option<Duration>,
    /// Receipt to finish.
    pub end2end_duration: Option<Duration>,
    /// Rows returned, when the caller counted them.
    pub rows: Option<u64>,
    /// The error of a failed query.
    pub error: Option<String>,
}

impl QueryRecord {
    /// Not finished yet.
    pub fn running(&self) -> bool {
        self.phase.is_running()
    }

    /// Finished successfully.
    pub fn success(&self) -> bool {
        self.phase == QueryPhase::Success
    }

    /// Dropped before it finished.
    pub fn cancelled(&self) -> bool {
        self.phase == QueryPhase::Cancel
    }
}

/// What never changes after `begin`.
#[derive(Debug)]
struct Fixed {
    id: u64,
    database_id: DatabaseId,
    database_name: String,
    query_type: QueryType,
    query_text: String,
    trace_id: Option<String>,
    issue_time_ns: i64,
    started: Instant,
}

/// What the entry updates as the query goes on.
#[derive(Debug)]
struct Progress {
    phase: QueryPhase,
    planned_at: Option<Instant>,
    partitions: Option<u64>,
    parquet_files: Option<u64>,
    plan_duration: Option<Duration>,
    execute_duration: Option<Duration>,
    end2end_duration: Option<Duration>,
    rows: Option<u64>,
    error: Option<String>,
}

/// Called once with the final record of every query that finishes.
pub type QueryObserver = Arc<dyn Fn(&QueryRecord) + Send + Sync>;

struct Shared {
    fixed: Fixed,
    progress: Mutex<Progress>,
    observer: Option<QueryObserver>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("fixed", &self.fixed)
            .field("progress", &self.progress)
            .finish()
    }
}

impl Shared {
    fn progress(&self) -> MutexGuard<'_, Progress> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self) -> QueryRecord {
        let f = &self.fixed;
        let p = self.progress();
        QueryRecord {
            id: f.id,
            database_id: f.database_id,
            database_name: f.database_name.clone(),
            query_type: f.query_type,
            query_text: f.query_text.clone(),
            trace_id: f.trace_id.clone(),
            issue_time_ns: f.issue_time_ns,
            phase: p.phase,
            partitions: p.partitions,
            parquet_files: p.parquet_files,
            plan_duration: p.plan_duration,
            execute_duration: p.execute_duration,
            end2end_duration: p.end2end_duration,
            rows: p.rows,
            error: p.error.clone(),
        }
    }

    /// Moves a running entry to its final phase; a finished entry stays as it is.
    fn finish(&self, phase: QueryPhase, rows: Option<u64>, error: Option<String>) {
        let now = Instant::now();
        {
            let mut p = self.progress();
            if !p.phase.is_running() {
                return;
            }
            p.phase = phase;
            p.end2end_duration = Some(now.duration_since(self.fixed.started));
            p.execute_duration = p.planned_at.map(|t| now.duration_since(t));
            p.rows = rows;
            p.error = error;
        }
        if let Some(observer) = &self.observer {
            observer(&self.record());
        }
    }
}

/// The bounded log of recent queries (see the module doc).
pub struct QueryLog {
    capacity: AtomicUsize,
    next_id: AtomicU64,
    entries: Mutex<VecDeque<Arc<Shared>>>,
    observer: Mutex<Option<QueryObserver>>,
}

impl QueryLog {
    /// A log keeping the last `capacity` queries (0 keeps none).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: AtomicUsize::new(capacity),
            next_id: AtomicU64::new(1),
            entries: Mutex::new(VecDeque::new()),
            observer: Mutex::new(None),
        }
    }

    /// Calls `observer` with the final record of every query begun from now on, once, when it
    /// finishes (succeeds, fails or is cancelled). Replaces an earlier observer.
    pub fn observe(&self, observer: QueryObserver) {
        *self.observer.lock().unwrap_or_else(PoisonError::into_inner) = Some(observer);
    }

    /// How many entries the log keeps.
    pub fn capacity(&self) -> usize {
        self.capacity.load(Ordering::Relaxed)
    }

    /// Changes how many entries the log keeps; evicts the oldest beyond the new bound.
    pub fn set_capacity(&self, capacity: usize) {
        self.capacity.store(capacity, Ordering::Relaxed);
        let mut entries = self.lock();
        Self::evict(&mut entries, capacity);
    }

    /// Logs a query just received for `database`; finish the returned entry (or drop it, which
    /// marks the query cancelled).
    pub fn begin(
        &self,
        database: &Database,
        query_type: QueryType,
        query_text: impl Into<String>,
        trace_id: Option<String>,
    ) -> QueryLogEntry {
        let shared = Arc::new(Shared {
            fixed: Fixed {
                id: self.next_id.fetch_add(1, Ordering::Relaxed),
                database_id: database.id,
                database_name: database.name.to_string(),
                query_type,
                query_text: query_text.into(),
                trace_id,
                issue_time_ns: now_ns(),
                started: Instant::now(),
            },
            progress: Mutex::new(Progress {
                phase: QueryPhase::Received,
                planned_at: None,
                partitions: None,
                parquet_files: None,
                plan_duration: None,
                execute_duration: None,
                end2end_duration: None,
                rows: None,
                error: None,
            }),
            observer: self
                .observer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        });
        let capacity = self.capacity();
        if capacity > 0 {
            let mut entries = self.lock();
            Self::evict(&mut entries, capacity - 1);
            entries.push_back(Arc::clone(&shared));
        }
        QueryLogEntry {
            shared,
            finished: false,
        }
    }

    /// Snapshots of every kept entry, oldest first (all databases: callers filter).
    pub fn entries(&self) -> Vec<QueryRecord> {
        let entries: Vec<Arc<Shared>> = self.lock().iter().cloned().collect();
        entries.iter().map(|e| e.record()).collect()
    }

    /// Snapshots of the kept entries of one database, oldest first.
    pub fn entries_of(&self, database_id: DatabaseId) -> Vec<QueryRecord> {
        let entries: Vec<Arc<Shared>> = self
            .lock()
            .iter()
            .filter(|e| e.fixed.database_id == database_id)
            .cloned()
            .collect();
        entries.iter().map(|e| e.record()).collect()
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Arc<Shared>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn evict(entries: &mut VecDeque<Arc<Shared>>, keep: usize) {
        while entries.len() > keep {
            entries.pop_front();
        }
    }
}

impl Default for QueryLog {
    fn default() -> Self {
        Self::new(DEFAULT_QUERY_LOG_SIZE)
    }
}

impl fmt::Debug for QueryLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryLog")
            .field("capacity", &self.capacity())
            .field("len", &self.lock().len())
            .finish()
    }
}

/// One running query in a [`QueryLog`]. Finish it with [`QueryLogEntry::finish_ok`] /
/// [`QueryLogEntry::finish_err`], or hand it to a result stream with
/// [`QueryLogEntry::track`]; dropping it unfinished marks the query cancelled.
#[derive(Debug)]
pub struct QueryLogEntry {
    shared: Arc<Shared>,
    finished: bool,
}

impl QueryLogEntry {
    /// The entry's id (the `id` column).
    pub fn id(&self) -> u64 {
        self.shared.fixed.id
    }

    /// A snapshot of the entry as `system.queries` shows it now.
    pub fn record(&self) -> QueryRecord {
        self.shared.record()
    }

    /// Records that planning is done: the plan duration, and the (table, partition key) groups
    /// and Parquet files `plan` scans. Ignored once the entry is planned or finished.
    pub fn planned(&self, plan: &Arc<dyn ExecutionPlan>) {
        let now = Instant::now();
        let (partitions, files) = scanned_files(plan);
        let mut p = self.shared.progress();
        if p.phase != QueryPhase::Received {
            return;
        }
        p.phase = QueryPhase::Planned;
        p.planned_at = Some(now);
        p.plan_duration = Some(now.duration_since(self.shared.fixed.started));
        p.partitions = Some(partitions);
        p.parquet_files = Some(files);
    }

    /// The query succeeded; `rows` = rows returned, when counted.
    pub fn finish_ok(mut self, rows: Option<u64>) {
        self.finished = true;
        self.shared.finish(QueryPhase::Success, rows, None);
    }

    /// The query failed with `message`.
    pub fn finish_err(mut self, message: impl Into<String>) {
        self.finished = true;
        self.shared
            .finish(QueryPhase::Fail, None, Some(message.into()));
    }

    /// Wraps a result stream: the entry finishes with the row count when the stream ends, with
    /// the error text when it yields an error, and as cancelled when it is dropped before either.
    pub fn track(self, stream: SendableRecordBatchStream) -> SendableRecordBatchStream {
        Box::pin(LoggedStream::new(stream, self))
    }
}

impl Drop for QueryLogEntry {
    fn drop(&mut self) {
        if !self.finished {
            self.shared.finish(QueryPhase::Cancel, None, None);
        }
    }
}

/// ((table, partition key) pairs with files scanned, files scanned) over every file scan in
/// `plan`. A pair's files share a directory (parquet_store's layout).
fn scanned_files(plan: &Arc<dyn ExecutionPlan>) -> (u64, u64) {
    let mut keys = HashSet::new();
    let mut files = 0_u64;
    let mut stack = vec![plan];
    while let Some(node) = stack.pop() {
        if let Some(config) = node
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
        {
            for file in config.file_groups.iter().flat_map(|g| g.files()) {
                files += 1;
                // …/<table id>/<partition key>/<file>.parquet: the directory names the pair.
                let path = file.object_meta.location.as_ref();
                keys.insert(
                    path.rsplit_once('/')
                        .map_or(path, |(dir, _)| dir)
                        .to_owned(),
                );
            }
        }
        stack.extend(node.children());
    }
    (keys.len() as u64, files)
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
