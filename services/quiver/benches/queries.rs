//! Query latency on TSBS cpu-only data that is partly persisted as Parquet and partly buffered in
//! a real ingester: `lastpoint`, `single-groupby-1-1-1` and `double-groupby-1`, each through a
//! fresh DataFusion session per iteration (as Flight does per request).
//!
//! ```text
//! tsbs::CpuOnly (HOSTS hosts, one row per host per 10 s from 2016-01-01T00:00Z)
//!   ──► requests of 36 rounds (6 min) ──► LinesConverter ──► LogWrite ──► MemWriteLog (1 partition)
//! DiskCatalog (+ CachedCatalog, as `quiver serve`) + local-file object store in a temp dir
//! phase 1: Ingester A (persist at HOSTS × 360 rows = 1 h of data): append 1 h, wait until the
//!          catalog's persisted offset reaches it, repeat for the first PERSISTED hours ──► stop A
//!          ──► one Parquet file per hour, all in partition key 2016-01-01
//! phase 2: Ingester B (never persists) on a new reader: seeks to persisted + 1, buffers the
//!          remaining hours (checked: its buffered-rows gauge, and count(*) with/without it)
//! QueryDatabase::new(catalog, store).with_unpersisted(UnpersistedReader(LogWatermarks(the
//!   MemWriteLog), LocalDirectory(B), catalog))     (= RunningWritePath::query_database)
//!   ──► per query: 1 run with plan metrics (rows read), then N timed runs; every answer is
//!       checked against aggregates computed from the generated rows ──► p50 / p90 / max
//!   ──► queries/influxql.rs: the TSBS query types as InfluxQL over /query next to SQL over
//!       Flight, on one loopback querier app over the same QueryDatabase
//! ```
//!
//! Run (release, no LTO): `cargo build --release -p quiver --bench queries`, then
//! `target/release/deps/queries-<hash>`. Smaller data for a quick check in debug:
//! `QUIVER_BENCH_HOSTS=10 QUIVER_BENCH_HOURS=6 QUIVER_BENCH_ITERATIONS=3 cargo test -p quiver
//! --bench queries`. Other knobs: `QUIVER_BENCH_PERSISTED_HOURS` (default 5/6 of the hours),
//! `QUIVER_BENCH_PLANS=1` prints every plan with its metrics, `QUIVER_BENCH_QUERIES=double` runs
//! only the queries whose name contains `double` (for profiling).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

#[path = "queries/influxql.rs"]
mod influxql;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use catalog::{
    CachedCatalog, Catalog, Database, DatabaseName, DatabaseOptions, DiskCatalog, SchemaUpsert,
};
use config::{ObjectStoreArgs, ObjectStoreKind};
use ingester::{Ingester, IngesterMetrics, IngesterQuery, LocalDirectory, PersistSettings};
use line_protocol::Precision;
use querier::LogWatermarks;
use query::QueryDatabase;
use query::datafusion::datasource::MemTable;
use query::datafusion::physical_plan::{ExecutionPlan, collect, displayable};
use query::datafusion::prelude::SessionContext;
use query::unpersisted::{UnpersistedReader, UnpersistedSettings};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use write_log::{LogWrite, MemWriteLog, WriteLog};

const DB: &str = "bench";
const TABLE: &str = "cpu";
const PARTITION_KEY: &str = "2016-01-01";
/// TSBS rounds (one row per host, 10 s apart) per hour.
const ROUNDS_PER_HOUR: usize = 360;
/// Rounds per write request: 6 minutes of data, 10 requests per hour.
const ROUNDS_PER_REQUEST: usize = 36;
const NS_PER_MINUTE: i64 = 60_000_000_000;
const NS_PER_HOUR: i64 = 60 * NS_PER_MINUTE;
/// How long setup steps (a persist, the buffering of the last hours) may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(300);

/// Why the bench stopped.
#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error("{name} must be {what}, got {value:?}")]
    Config {
        name: &'static str,
        what: &'static str,
        value: String,
    },
    #[error("setup: {0}")]
    Setup(String),
    #[error("{query}: wrong answer: {message}")]
    Check { query: String, message: String },
    #[error("catalog: {0}")]
    Catalog(#[from] catalog::CatalogError),
    #[error("query: {0}")]
    Query(#[from] query::QueryError),
    #[error("DataFusion: {0}")]
    DataFusion(#[from] query::datafusion::error::DataFusionError),
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("write log: {0}")]
    WriteLog(#[from] write_log::WriteLogError),
    #[error("object store: {0}")]
    Store(#[from] parquet_store::StoreError),
    #[error("temp dir: {0}")]
    Io(#[from] std::io::Error),
}

/// Sizes, from `QUIVER_BENCH_*` variables.
#[derive(Debug, Clone, Copy)]
struct Config {
    hosts: usize,
    hours: usize,
    persisted_hours: usize,
    iterations: usize,
    print_plans: bool,
    /// Run only the queries whose name contains this.
    only: Option<&'static str>,
}

fn env_usize(name: &'static str, default: usize) -> Result<usize, BenchError> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(value) => value.trim().parse().map_err(|_| BenchError::Config {
            name,
            what: "a positive integer",
            value,
        }),
    }
}

impl Config {
    fn from_env() -> Result<Self, BenchError> {
        let hosts = env_usize("QUIVER_BENCH_HOSTS", 100)?;
        let hours = env_usize("QUIVER_BENCH_HOURS", 24)?;
        let persisted_hours = env_usize("QUIVER_BENCH_PERSISTED_HOURS", hours - hours / 6)?;
        let iterations = env_usize("QUIVER_BENCH_ITERATIONS", 20)?;
        if hosts == 0 {
            return Err(BenchError::Config {
                name: "QUIVER_BENCH_HOSTS",
                what: "at least 1",
                value: hosts.to_string(),
            });
        }
        if !(2..=24).contains(&hours) {
            return Err(BenchError::Config {
                name: "QUIVER_BENCH_HOURS",
                what: "2..=24 (one day partition)",
                value: hours.to_string(),
            });
        }
        if persisted_hours == 0 || persisted_hours >= hours {
            return Err(BenchError::Config {
                name: "QUIVER_BENCH_PERSISTED_HOURS",
                what: "between 1 and the hours minus 1",
                value: persisted_hours.to_string(),
            });
        }
        if iterations == 0 {
            return Err(BenchError::Config {
                name: "QUIVER_BENCH_ITERATIONS",
                what: "at least 1",
                value: iterations.to_string(),
            });
        }
        Ok(Self {
            hosts,
            hours,
            persisted_hours,
            iterations,
            print_plans: std::env::var_os("QUIVER_BENCH_PLANS").is_some(),
            only: std::env::var("QUIVER_BENCH_QUERIES")
                .ok()
                .map(|s| &*s.leak()),
        })
    }

    fn rows_per_hour(&self) -> usize {
        self.hosts * ROUNDS_PER_HOUR
    }
}

/// `2016-01-01T00:00:00Z` plus `hours` (< 48), as an SQL timestamp literal.
fn at_hour(hours: usize) -> String {
    format!("'2016-01-{:02}T{:02}:00:00Z'", 1 + hours / 24, hours % 24)
}

/// Aggregates of the generated rows, to check every answer against.
#[derive(Debug, Default)]
struct Expected {
    hosts: HashMap<String, usize>,
    /// Per host: (time, usage_user) of its last row.
    last: Vec<(i64, i64)>,
    /// (host, 5-minute bucket start) → max(usage_user).
    max_5m: HashMap<(usize, i64), i64>,
    /// (host, hour start) → (sum, count) of usage_user.
    hourly: HashMap<(usize, i64), (i64, i64)>,
}

impl Expected {
    fn add(&mut self, batch: &RecordBatch) -> Result<(), BenchError> {
        let hostnames = cast(column(batch, "hostname")?, &DataType::Utf8)?;
        let hostnames = hostnames.as_string::<i32>();
        let times = cast(column(batch, "time")?, &DataType::Int64)?;
        let times = times.as_primitive::<Int64Type>();
        let users = column(batch, "usage_user")?.as_primitive_opt::<Int64Type>();
        let users = users.ok_or_else(|| BenchError::Setup("usage_user is not Int64".into()))?;
        for row in 0..batch.num_rows() {
            let next = self.hosts.len();
            let host = *self
                .hosts
                .entry(hostnames.value(row).to_owned())
                .or_insert(next);
            if host == self.last.len() {
                self.last.push((i64::MIN, 0));
            }
            let (t, u) = (times.value(row), users.value(row));
            if t >= self.last[host].0 {
                self.last[host] = (t, u);
            }
            let max = self
                .max_5m
                .entry((host, t - t.rem_euclid(5 * NS_PER_MINUTE)))
                .or_insert(i64::MIN);
            *max = (*max).max(u);
            let hour = self
                .hourly
                .entry((host, t - t.rem_euclid(NS_PER_HOUR)))
                .or_insert((0, 0));
            hour.0 += u;
            hour.1 += 1;
        }
        Ok(())
    }

    fn host(&self, name: &str) -> Option<usize> {
        self.hosts.get(name).copied()
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Arc<dyn Array>, BenchError> {
    batch
        .column_by_name(name)
        .ok_or_else(|| BenchError::Setup(format!("no column {name} in {:?}", batch.schema())))
}

/// The generated data: write requests in time order and what queries must answer.
struct Data {
    requests: Vec<LogWrite>,
    first_batch: RecordBatch,
    expected: Expected,
}

fn generate(config: &Config) -> Result<Data, BenchError> {
    let mut generator = tsbs::CpuOnly::new(123, config.hosts);
    let requests_count = config.hours * ROUNDS_PER_HOUR / ROUNDS_PER_REQUEST;
    let mut requests = Vec::with_capacity(requests_count);
    let mut expected = Expected::default();
    let mut first_batch = None;
    let mut body = String::new();
    for _ in 0..requests_count {
        body.clear();
        generator.write_rows(ROUNDS_PER_REQUEST * config.hosts, &mut body);
        let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
        converter.write_lp(&body);
        let converted = converter.finish()?;
        if let Some(rejection) = converted.rejections.first() {
            return Err(BenchError::Setup(format!(
                "generated line rejected: {rejection:?}"
            )));
        }
        let mut tables = Vec::new();
        for table in converted.tables {
            expected.add(&table.batch)?;
            first_batch.get_or_insert_with(|| table.batch.clone());
            tables.push((table.name, table.batch));
        }
        requests.push(LogWrite::new(DB, tables));
    }
    let first_batch =
        first_batch.ok_or_else(|| BenchError::Setup("no rows generated".to_owned()))?;
    Ok(Data {
        requests,
        first_batch,
        expected,
    })
}

/// An ingester consuming the log in a task until stopped.
struct RunningIngester {
    stop: oneshot::Sender<()>,
    task: JoinHandle<ingester::ShutdownReport>,
    metrics: Arc<IngesterMetrics>,
    query: IngesterQuery,
}

impl RunningIngester {
    fn start(
        catalog: &Arc<dyn Catalog>,
        store: &Arc<dyn object_store::ObjectStore>,
        log: &Arc<MemWriteLog>,
        settings: PersistSettings,
    ) -> Self {
        let ingester = Ingester::new(Arc::clone(catalog), Arc::clone(store), settings)
            .expect("persist threads");
        let metrics = ingester.metrics();
        let query = ingester.query_handle();
        let reader = log.reader();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            ingester.run(reader, None, shutdown).await.1
        });
        Self {
            stop,
            task,
            metrics,
            query,
        }
    }

    async fn stop(self) -> Result<ingester::ShutdownReport, BenchError> {
        let _ = self.stop.send(());
        self.task
            .await
            .map_err(|e| BenchError::Setup(format!("ingester task failed: {e}")))
    }
}

/// Polls `done` every 5 ms until it holds, for at most [`SETUP_TIMEOUT`].
async fn wait_for<F, Fut>(what: &str, mut done: F) -> Result<(), BenchError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, BenchError>>,
{
    let deadline = Instant::now() + SETUP_TIMEOUT;
    while !done().await? {
        if Instant::now() > deadline {
            return Err(BenchError::Setup(format!(
                "timed out after {SETUP_TIMEOUT:?} waiting for {what}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Everything the queries run against.
struct Setup {
    catalog: Arc<dyn Catalog>,
    store: Arc<dyn object_store::ObjectStore>,
    db: Database,
    log: Arc<MemWriteLog>,
    buffering: RunningIngester,
    _dir: tempfile::TempDir,
}

async fn set_up(config: &Config, data: &Data) -> Result<Setup, BenchError> {
    let dir = tempfile::tempdir()?;
    let backend: Arc<dyn Catalog> = Arc::new(DiskCatalog::open(dir.path().join("catalog"))?);
    let catalog: Arc<dyn Catalog> = Arc::new(CachedCatalog::new(backend).await?);
    let name = DatabaseName::new(DB).map_err(|e| BenchError::Setup(e.to_string()))?;
    let db = catalog
        .create_database(&name, DatabaseOptions::default())
        .await?;
    // What the router does before its first append of a new table.
    let mut upsert = SchemaUpsert::new();
    for field in data.first_batch.schema().fields() {
        let column_type = schema::influx_column_type(field)
            .map_err(|e| BenchError::Setup(format!("column {}: {e}", field.name())))?;
        upsert
            .add(TABLE, field.name(), column_type)
            .map_err(|e| BenchError::Setup(e.to_string()))?;
    }
    catalog.upsert_schema(db.id, &upsert).await?;
    let args = ObjectStoreArgs {
        object_store: Some(ObjectStoreKind::File),
        ..Default::default()
    };
    let store = parquet_store::object_store_from(&args, Some(dir.path()))?;
    let log = Arc::new(MemWriteLog::new(16 << 30));

    let requests_per_hour = ROUNDS_PER_HOUR / ROUNDS_PER_REQUEST;
    let (persisted, buffered) = data
        .requests
        .split_at(config.persisted_hours * requests_per_hour);

    // Phase 1: one persist per hour of data, by row count only.
    let persisting = RunningIngester::start(
        &catalog,
        &store,
        &log,
        PersistSettings {
            max_rows: config.rows_per_hour(),
            max_bytes: usize::MAX,
            max_age: Duration::from_secs(24 * 3600),
            memory_budget: 16 << 30,
            shutdown_timeout: Duration::from_secs(60),
            ..PersistSettings::default()
        },
    );
    let started = Instant::now();
    for hour in persisted.chunks(requests_per_hour) {
        let mut last = 0;
        for write in hour {
            last = log.append(0, write.clone()).await?.offset;
        }
        wait_for("an hour to be persisted", || {
            let catalog = Arc::clone(&catalog);
            async move { Ok(catalog.persisted_offsets().await?.get(&0) == Some(&last)) }
        })
        .await?;
    }
    // Read after the stop: the persist task counts its rows just after the commit the wait
    // above sees, so reading before could miss the last hour.
    let persisted_counter = persisting.metrics.persisted_rows.clone();
    let report = persisting.stop().await?;
    let persisted_rows = persisted_counter.get();
    if !report.unpersisted_partitions.is_empty() {
        return Err(BenchError::Setup(format!(
            "the persisting ingester left {:?} unpersisted",
            report.unpersisted_partitions
        )));
    }
    let expected_persisted = (config.persisted_hours * config.rows_per_hour()) as u64;
    if persisted_rows != expected_persisted {
        return Err(BenchError::Setup(format!(
            "persisted {persisted_rows} rows, expected {expected_persisted}"
        )));
    }
    println!(
        "setup: {} rows persisted by ingester A in {:.1} s",
        persisted_rows,
        started.elapsed().as_secs_f64()
    );

    // Phase 2: the remaining hours stay in a second ingester's buffer.
    let buffering = RunningIngester::start(
        &catalog,
        &store,
        &log,
        PersistSettings {
            max_rows: usize::MAX,
            max_bytes: usize::MAX,
            max_age: Duration::from_secs(24 * 3600),
            memory_budget: 16 << 30,
            shutdown_timeout: Duration::from_secs(60),
            ..PersistSettings::default()
        },
    );
    for write in buffered {
        log.append(0, write.clone()).await?;
    }
    let expected_buffered =
        ((config.hours - config.persisted_hours) * config.rows_per_hour()) as i64;
    let metrics = Arc::clone(&buffering.metrics);
    wait_for("the last hours to be buffered", || {
        let metrics = Arc::clone(&metrics);
        async move { Ok(metrics.buffered_rows.get() == expected_buffered) }
    })
    .await?;
    println!(
        "setup: {expected_buffered} rows buffered in ingester B ({} MiB of Arrow)",
        buffering.metrics.buffered_bytes.get() >> 20
    );
    Ok(Setup {
        catalog,
        store,
        db,
        log,
        buffering,
        _dir: dir,
    })
}

impl Setup {
    /// Parquet ∪ ingester B, as the querier of `quiver serve` reads.
    fn query_database(&self) -> QueryDatabase {
        let reader = UnpersistedReader::new(
            Arc::new(LogWatermarks(Arc::clone(&self.log) as Arc<dyn WriteLog>)),
            Arc::new(LocalDirectory::new("bench", self.buffering.query.clone())),
            Arc::clone(&self.catalog),
            UnpersistedSettings::default(),
        );
        QueryDatabase::new(Arc::clone(&self.catalog), Arc::clone(&self.store))
            .with_unpersisted(reader)
    }

    /// Parquet only.
    fn parquet_database(&self) -> QueryDatabase {
        QueryDatabase::new(Arc::clone(&self.catalog), Arc::clone(&self.store))
    }

    /// Prints and checks the Parquet files: one per persisted hour, all in one partition key.
    async fn check_files(&self, config: &Config) -> Result<(), BenchError> {
        let schema = self.catalog.database_schema(self.db.id).await?;
        let table = schema
            .tables
            .get(TABLE)
            .ok_or_else(|| BenchError::Setup("table cpu is not in the catalog".into()))?;
        let files = self.catalog.parquet_files(self.db.id, table.id).await?;
        let keys: Vec<&String> = files.keys().collect();
        let records: Vec<_> = files.values().flatten().collect();
        let rows: u64 = records.iter().map(|r| r.row_count).sum();
        let bytes: u64 = records.iter().map(|r| r.size_bytes).sum();
        println!(
            "setup: {} Parquet files in partition keys {keys:?}: {rows} rows, {bytes} bytes",
            records.len()
        );
        if keys != [PARTITION_KEY] || records.len() != config.persisted_hours {
            return Err(BenchError::Setup(format!(
                "expected {} files in {PARTITION_KEY}, got {} in {keys:?}",
                config.persisted_hours,
                records.len()
            )));
        }
        Ok(())
    }
}

/// Runs `sql` on `qdb` and returns the single integer it answers.
async fn count(qdb: &QueryDatabase, db: &Database, sql: &str) -> Result<i64, BenchError> {
    let batches = qdb.session(db).await?.sql(sql).await?.collect().await?;
    let batch = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| BenchError::Setup(format!("{sql}: no rows")))?;
    let value = cast(batch.column(0), &DataType::Int64)?;
    Ok(value.as_primitive::<Int64Type>().value(0))
}

/// Checks the answer of iteration `i` against the expected aggregates.
type Check = dyn Fn(usize, &[RecordBatch], &Expected) -> Result<(), String>;

/// One benchmarked query: its SQL for iteration `i` and the check of its answer.
struct QueryCase {
    name: &'static str,
    sql: Box<dyn Fn(usize) -> String>,
    check: Box<Check>,
}

fn lastpoint(name: &'static str, sql: &'static str) -> QueryCase {
    QueryCase {
        name,
        sql: Box::new(move |_| sql.to_owned()),
        check: Box::new(check_lastpoint),
    }
}

fn check_lastpoint(_: usize, batches: &[RecordBatch], expected: &Expected) -> Result<(), String> {
    let mut seen = vec![false; expected.last.len()];
    for batch in batches {
        let hosts = cast_col(batch, "hostname", &DataType::Utf8)?;
        let times = cast_col(batch, "time", &DataType::Int64)?;
        let users = cast_col(batch, "usage_user", &DataType::Int64)?;
        let (hosts, times, users) = (
            hosts.as_string::<i32>(),
            times.as_primitive::<Int64Type>(),
            users.as_primitive::<Int64Type>(),
        );
        for row in 0..batch.num_rows() {
            let name = hosts.value(row);
            let host = expected
                .host(name)
                .ok_or_else(|| format!("unknown host {name}"))?;
            if std::mem::replace(&mut seen[host], true) {
                return Err(format!("{name} answered twice"));
            }
            let got = (times.value(row), users.value(row));
            if got != expected.last[host] {
                return Err(format!(
                    "{name}: (time, usage_user) {got:?}, expected {:?}",
                    expected.last[host]
                ));
            }
        }
    }
    match seen.iter().filter(|s| !**s).count() {
        0 => Ok(()),
        missing => Err(format!("{missing} hosts missing")),
    }
}

fn cast_col(batch: &RecordBatch, name: &str, to: &DataType) -> Result<Arc<dyn Array>, String> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| format!("no column {name}"))?;
    cast(col, to).map_err(|e| format!("column {name}: {e}"))
}

/// `single-groupby-1-1-1`: max of usage_user for one host over one hour in 5-minute buckets;
/// iteration `i` picks host and hour with `pick(i)`.
fn single_groupby(
    name: &'static str,
    pick: impl Fn(usize) -> (usize, usize) + 'static,
) -> QueryCase {
    let pick = Arc::new(pick);
    let sql_pick = Arc::clone(&pick);
    QueryCase {
        name,
        sql: Box::new(move |i| {
            let (host, hour) = sql_pick(i);
            format!(
                "SELECT date_bin(INTERVAL '5 minutes', time) AS five_min, \
                 max(usage_user) AS max_usage_user FROM cpu \
                 WHERE hostname = 'host_{host}' AND time >= {} AND time < {} \
                 GROUP BY five_min ORDER BY five_min",
                at_hour(hour),
                at_hour(hour + 1)
            )
        }),
        check: Box::new(move |i, batches, expected| {
            let (host, hour) = pick(i);
            let id = expected
                .host(&format!("host_{host}"))
                .ok_or("host not generated")?;
            let start = tsbs::START_NS + hour as i64 * NS_PER_HOUR;
            let mut buckets = 0;
            for batch in batches {
                let starts = cast_col(batch, "five_min", &DataType::Int64)?;
                let maxes = cast_col(batch, "max_usage_user", &DataType::Int64)?;
                let (starts, maxes) = (
                    starts.as_primitive::<Int64Type>(),
                    maxes.as_primitive::<Int64Type>(),
                );
                for row in 0..batch.num_rows() {
                    let bucket = starts.value(row);
                    if bucket != start + buckets * 5 * NS_PER_MINUTE {
                        return Err(format!("bucket {buckets} starts at {bucket}"));
                    }
                    let want = expected.max_5m.get(&(id, bucket)).copied();
                    if want != Some(maxes.value(row)) {
                        return Err(format!(
                            "bucket {bucket}: max {}, expected {want:?}",
                            maxes.value(row)
                        ));
                    }
                    buckets += 1;
                }
            }
            if buckets != 12 {
                return Err(format!("{buckets} buckets, expected 12"));
            }
            Ok(())
        }),
    }
}

/// `double-groupby-1`: mean of usage_user per host per hour over the whole data set.
fn double_groupby(config: Config) -> QueryCase {
    QueryCase {
        name: "double-groupby-1",
        sql: Box::new(move |_| {
            format!(
                "SELECT date_bin(INTERVAL '1 hour', time) AS hour, hostname, \
                 avg(usage_user) AS mean_usage_user FROM cpu \
                 WHERE time >= {} AND time < {} \
                 GROUP BY hour, hostname ORDER BY hour, hostname",
                at_hour(0),
                at_hour(config.hours)
            )
        }),
        check: Box::new(move |_, batches, expected| {
            let mut groups = 0;
            for batch in batches {
                let hours = cast_col(batch, "hour", &DataType::Int64)?;
                let hosts = cast_col(batch, "hostname", &DataType::Utf8)?;
                let means = cast_col(batch, "mean_usage_user", &DataType::Float64)?;
                let (hours, hosts, means) = (
                    hours.as_primitive::<Int64Type>(),
                    hosts.as_string::<i32>(),
                    means.as_primitive::<Float64Type>(),
                );
                for row in 0..batch.num_rows() {
                    let name = hosts.value(row);
                    let host = expected
                        .host(name)
                        .ok_or_else(|| format!("unknown host {name}"))?;
                    let (sum, n) = expected
                        .hourly
                        .get(&(host, hours.value(row)))
                        .copied()
                        .ok_or_else(|| format!("unexpected group {name} {}", hours.value(row)))?;
                    let want = sum as f64 / n as f64;
                    if (means.value(row) - want).abs() > 1e-9 {
                        return Err(format!(
                            "{name}: mean {}, expected {want}",
                            means.value(row)
                        ));
                    }
                    groups += 1;
                }
            }
            let want = config.hosts * config.hours;
            if groups != want {
                return Err(format!("{groups} groups, expected {want}"));
            }
            Ok(())
        }),
    }
}

/// What one run read, from the plan's metrics.
#[derive(Debug, Default)]
struct ReadStats {
    parquet_rows: usize,
    parquet_bytes: usize,
    /// Rows out of the table scan (Parquet + buffer, after dedup), summed over scans.
    scan_rows: Option<usize>,
    answer_rows: usize,
}

fn read_stats(plan: &Arc<dyn ExecutionPlan>, stats: &mut ReadStats) {
    let metrics = plan.metrics();
    if plan.name() == "DataSourceExec"
        && let Some(m) = &metrics
    {
        stats.parquet_rows += m.output_rows().unwrap_or(0);
        stats.parquet_bytes += m.sum_by_name("bytes_scanned").map_or(0, |v| v.as_usize());
    }
    for child in plan.children() {
        if child.name() == "DedupExec"
            && let Some(rows) = metrics.as_ref().and_then(|m| m.output_rows())
        {
            *stats.scan_rows.get_or_insert(0) += rows;
        }
        read_stats(child, stats);
    }
}

/// What a query runs against.
enum Target<'a> {
    /// Quiver: Parquet ∪ ingester buffer, a fresh session per query.
    Quiver(&'a QueryDatabase, &'a Database),
    /// DataFusion alone over the same rows in memory (no dedup, no Parquet): the floor.
    Reference(&'a SessionContext),
}

impl Target<'_> {
    async fn session(&self) -> Result<SessionContext, BenchError> {
        match self {
            Self::Quiver(qdb, db) => Ok(qdb.session(db).await?),
            Self::Reference(ctx) => Ok((*ctx).clone()),
        }
    }
}

/// A plain DataFusion session with every generated row in one `MemTable` named `cpu`.
fn reference_session(data: &Data) -> Result<SessionContext, BenchError> {
    let batches: Vec<RecordBatch> = data
        .requests
        .iter()
        .flat_map(|w| w.tables.iter().map(|(_, batch)| batch.clone()))
        .collect();
    let table = MemTable::try_new(data.first_batch.schema(), vec![batches])?;
    let ctx = SessionContext::new();
    ctx.register_table(TABLE, Arc::new(table))?;
    Ok(ctx)
}

/// The run with metrics: what it read, and the answer checked.
async fn profile_run(
    target: &Target<'_>,
    case: &QueryCase,
    expected: &Expected,
    print_plan: bool,
) -> Result<(ReadStats, Duration), BenchError> {
    let sql = (case.sql)(0);
    let started = Instant::now();
    let ctx = target.session().await?;
    let plan = ctx.sql(&sql).await?.create_physical_plan().await?;
    let batches = collect(Arc::clone(&plan), ctx.task_ctx()).await?;
    let elapsed = started.elapsed();
    (case.check)(0, &batches, expected).map_err(|message| BenchError::Check {
        query: case.name.to_owned(),
        message,
    })?;
    let mut stats = ReadStats {
        answer_rows: batches.iter().map(RecordBatch::num_rows).sum(),
        ..ReadStats::default()
    };
    read_stats(&plan, &mut stats);
    if print_plan {
        println!(
            "--- {} ---\n{sql}\n{}",
            case.name,
            displayable(plan.as_ref()).indent(true)
        );
    }
    Ok((stats, elapsed))
}

/// `p` in 0..=1 of `sorted` (nearest rank).
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs every selected case on `target` (a profiled run, then the timed iterations); one
/// Markdown table row per case.
async fn measure(
    config: &Config,
    target: &Target<'_>,
    cases: &[QueryCase],
    expected: &Expected,
) -> Result<Vec<String>, BenchError> {
    let mut rows = Vec::new();
    for case in cases
        .iter()
        .filter(|c| config.only.is_none_or(|only| c.name.contains(only)))
    {
        let (stats, first) = profile_run(target, case, expected, config.print_plans).await?;
        let mut times = Vec::with_capacity(config.iterations);
        let mut sessions = Vec::with_capacity(config.iterations);
        for i in 0..config.iterations {
            let sql = (case.sql)(i);
            let started = Instant::now();
            let ctx = target.session().await?;
            sessions.push(started.elapsed());
            let batches = ctx.sql(&sql).await?.collect().await?;
            times.push(started.elapsed());
            (case.check)(i, &batches, expected).map_err(|message| BenchError::Check {
                query: format!("{} (iteration {i})", case.name),
                message,
            })?;
        }
        times.sort();
        sessions.sort();
        let line = format!(
            "| {} | {} | {} | {} | {} | {:.1} | {:.2} | {:.1} | {:.1} | {:.1} |",
            case.name,
            stats.answer_rows,
            stats.parquet_rows,
            stats.parquet_bytes,
            stats
                .scan_rows
                .map_or_else(|| "n/a".to_owned(), |r| r.to_string()),
            ms(first),
            ms(percentile(&sessions, 0.5)),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.9)),
            ms(percentile(&times, 1.0)),
        );
        println!("{line}");
        rows.push(line);
    }
    Ok(rows)
}

async fn bench(config: Config) -> Result<(), BenchError> {
    let started = Instant::now();
    let data = generate(&config)?;
    println!(
        "data: {} hosts × {} h at 10 s = {} rows in {} requests of {} rows, generated in {:.1} s",
        config.hosts,
        config.hours,
        config.hours * config.rows_per_hour(),
        data.requests.len(),
        config.hosts * ROUNDS_PER_REQUEST,
        started.elapsed().as_secs_f64()
    );
    let setup = set_up(&config, &data).await?;
    setup.check_files(&config).await?;
    let qdb = setup.query_database();
    let all = count(&qdb, &setup.db, "SELECT count(*) FROM cpu").await?;
    let in_files = count(
        &setup.parquet_database(),
        &setup.db,
        "SELECT count(*) FROM cpu",
    )
    .await?;
    let total = (config.hours * config.rows_per_hour()) as i64;
    let persisted = (config.persisted_hours * config.rows_per_hour()) as i64;
    if all != total || in_files != persisted {
        return Err(BenchError::Setup(format!(
            "count(*): {all} with the ingester (expected {total}), {in_files} from Parquet only \
             (expected {persisted})"
        )));
    }
    println!(
        "setup: count(*) = {all} (Parquet {in_files} + buffer {}); hours 0..{} persisted, {}..{} buffered",
        all - in_files,
        config.persisted_hours,
        config.persisted_hours,
        config.hours
    );

    let hosts = config.hosts;
    let persisted_hours = config.persisted_hours;
    let buffered_hours = config.hours - config.persisted_hours;
    let cases = vec![
        lastpoint(
            "lastpoint (DISTINCT ON)",
            "SELECT DISTINCT ON (hostname) * FROM cpu ORDER BY hostname, time DESC",
        ),
        lastpoint(
            "lastpoint (max(time) join)",
            "SELECT c.* FROM cpu c JOIN (SELECT hostname, max(time) AS last FROM cpu \
             GROUP BY hostname) l ON c.hostname = l.hostname AND c.time = l.last",
        ),
        lastpoint(
            "lastpoint (ROW_NUMBER)",
            "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY hostname \
             ORDER BY time DESC) AS rn FROM cpu) WHERE rn = 1",
        ),
        single_groupby("single-groupby-1-1-1, persisted hour", move |i| {
            ((i * 37 + 11) % hosts, (i * 7 + 3) % persisted_hours)
        }),
        single_groupby("single-groupby-1-1-1, buffered hour", move |i| {
            (
                (i * 37 + 11) % hosts,
                persisted_hours + (i * 3 + 1) % buffered_hours,
            )
        }),
        double_groupby(config),
    ];

    let quiver = Target::Quiver(&qdb, &setup.db);
    let reference = reference_session(&data)?;
    let reference = Target::Reference(&reference);
    for (title, target) in [
        ("Quiver: Parquet ∪ ingester buffer, deduplicated", &quiver),
        (
            "reference: DataFusion over the same rows in one MemTable",
            &reference,
        ),
    ] {
        println!("\n{title}");
        let rows = measure(&config, target, &cases, &data.expected).await?;
        println!(
            "\n{title}: {} iterations per query, each in a fresh session; ms\n\
             | query | answer rows | Parquet rows read | Parquet bytes read | rows out of scan+dedup | first run | session p50 | p50 | p90 | max |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            config.iterations
        );
        for line in rows {
            println!("{line}");
        }
    }
    if std::env::var("QUIVER_BENCH_INFLUXQL").as_deref() != Ok("0") {
        println!("\nInfluxQL over /query vs SQL over Flight");
        influxql::bench(&config, &setup).await?;
    }
    let report = setup.buffering.stop().await?;
    if !report.unpersisted_partitions.is_empty() {
        return Err(BenchError::Setup(format!(
            "ingester B left {:?} unpersisted at shutdown",
            report.unpersisted_partitions
        )));
    }
    Ok(())
}

fn main() -> Result<(), BenchError> {
    let config = Config::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench(config))
}
