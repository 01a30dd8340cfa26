//! Compaction benchmark (docs/benchmarks.md, "Compaction"): a 10-million-row partition merged
//! in one job (rows/s, peak RSS), the write amplification of a day persisted as 1 000 small
//! files with the compactor running alongside, and one-day queries over 1 000 small files
//! before compaction and over the compacted files after.
//!
//! ```text
//! 1 TSBS cpu-only, HOSTS_BIG hosts, ROWS rows (one UTC day) ──► FILES level-0 files (local
//!   disk, MemCatalog) ──► reset peak RSS ──► one cycle (one L0 → L1 job) ──► rows/s, VmHWM
//! 2 TSBS, 100 hosts, one day (864 000 rows) as SMALL_FILES level-0 files, a hot compactor
//!   cycle after every 10 persists, then the cold cycles ──► bytes written by compaction /
//!   bytes persisted (write amplification)
//! 3 the same day as SMALL_FILES files, no compaction ──► 3 one-day SQL queries (p50 of RUNS)
//!   ──► compact fully ──► the same queries (answers compared first)
//! ```
//!
//! `cargo bench -p compactor --bench compaction` (release). Environment: QUIVER_BENCH_ROWS
//! (10 000 000), QUIVER_BENCH_FILES (50), QUIVER_BENCH_SMALL_FILES (1 000), QUIVER_BENCH_RUNS
//! (10).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a failure is a panic

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::util::pretty::pretty_format_batches;
use catalog::{
    Catalog, Database, DatabaseName, DatabaseOptions, MemCatalog, PersistCommit, SchemaUpsert,
};
use compactor::{Compactor, CompactorMetrics, CompactorSettings, PlanSettings};
use line_protocol::Precision;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use parquet_store::{FileMeta, write_parquet};
use query::QueryDatabase;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The sizes of a run (environment, or small ones for a smoke run without `--bench`).
#[derive(Debug, Clone, Copy)]
struct Params {
    rows: usize,
    files: usize,
    small_files: usize,
    runs: usize,
}

impl Params {
    fn from_env(smoke: bool) -> Self {
        let pick = |name, full, small| if smoke { small } else { env(name, full) };
        Self {
            rows: pick("QUIVER_BENCH_ROWS", 10_000_000, 20_000),
            files: pick("QUIVER_BENCH_FILES", 50, 10).clamp(2, 50),
            small_files: pick("QUIVER_BENCH_SMALL_FILES", 1_000, 40),
            runs: pick("QUIVER_BENCH_RUNS", 10, 1),
        }
    }
}

struct Bed {
    catalog: Arc<dyn Catalog>,
    store: Arc<dyn ObjectStore>,
    db: Database,
    offset: u64,
    persisted_bytes: u64,
    _dir: tempfile::TempDir,
}

impl Bed {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn ObjectStore> =
            Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
        let catalog: Arc<dyn Catalog> = Arc::new(MemCatalog::new());
        let db = catalog
            .create_database(
                &DatabaseName::new("bench").unwrap(),
                DatabaseOptions::default(),
            )
            .await
            .unwrap();
        Self {
            catalog,
            store,
            db,
            offset: 0,
            persisted_bytes: 0,
            _dir: dir,
        }
    }

    /// One level-0 file of `lp` (TSBS rows of one day), as an ingester persists it.
    async fn persist(&mut self, lp: &str) {
        let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
        converter.write_lp(lp);
        let converted = converter.finish().unwrap();
        let table = &converted.tables[0];
        let mut upsert = SchemaUpsert::new();
        for field in table.batch.schema().fields() {
            upsert
                .add(
                    &table.name,
                    field.name(),
                    schema::influx_column_type(field).unwrap(),
                )
                .unwrap();
        }
        let schema = self
            .catalog
            .upsert_schema(self.db.id, &upsert)
            .await
            .unwrap();
        let batch = schema::dedup::sort_dedup(std::slice::from_ref(&table.batch)).unwrap();
        let meta = FileMeta {
            database_id: self.db.id,
            database_name: "bench".into(),
            table_id: schema.tables[&table.name].id,
            table_name: table.name.clone(),
            partition_key: "2016-01-01".into(),
            log_partition: 0,
            min_offset: self.offset,
            max_offset: self.offset,
        };
        let record = write_parquet(&self.store, &meta, &batch).await.unwrap();
        self.persisted_bytes += record.size_bytes;
        self.catalog
            .commit_persist(PersistCommit {
                log_partition: 0,
                expected_offset: self.offset.checked_sub(1),
                new_offset: self.offset,
                files: vec![record],
            })
            .await
            .unwrap();
        self.offset += 1;
    }

    fn compactor(&self, cold_after: Duration, metrics: &Arc<CompactorMetrics>) -> Compactor {
        let settings = CompactorSettings {
            plan: PlanSettings {
                cold_after,
                ..PlanSettings::default()
            },
            gc_interval: None,
            ..CompactorSettings::default()
        };
        Compactor::new(
            Arc::clone(&self.catalog),
            Arc::clone(&self.store),
            settings,
            Arc::clone(metrics),
        )
        .unwrap()
    }

    async fn files(&self) -> Vec<catalog::ParquetFileRecord> {
        self.catalog.all_parquet_files().await.unwrap()
    }

    async fn compact_fully(&self, compactor: &Compactor) -> usize {
        let mut jobs = 0;
        for _ in 0..100 {
            let r = compactor.cycle().await.unwrap();
            assert_eq!(r.errors, 0);
            if r.jobs == 0 {
                break;
            }
            jobs += r.jobs;
        }
        jobs
    }
}

/// Peak resident set size (VmHWM) of this process, bytes.
fn peak_rss() -> u64 {
    status_kib("VmHWM:") * 1024
}

fn rss() -> u64 {
    status_kib("VmRSS:") * 1024
}

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Resets VmHWM to the current RSS (Linux ≥ 4.0).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

async fn big_partition(p: Params) {
    let (rows, files) = (p.rows, p.files);
    // As many hosts as keep `rows` within one UTC day (8 640 rounds of 10 s).
    let hosts = rows.div_ceil(8_000).max(1);
    let mut bed = Bed::new().await;
    let mut generator = tsbs::CpuOnly::new(11, hosts);
    let per_file = rows / files;
    let started = Instant::now();
    for _ in 0..files {
        let mut lp = String::new();
        generator.write_rows(per_file, &mut lp);
        bed.persist(&lp).await;
    }
    println!(
        "big partition: {} rows of {hosts} hosts in {files} level-0 files, {:.1} MiB, written in {:.1?}",
        per_file * files,
        mib(bed.persisted_bytes),
        started.elapsed()
    );
    let metrics = Arc::new(CompactorMetrics::new());
    let compactor = bed.compactor(Duration::from_secs(3600), &metrics);
    reset_peak_rss();
    let rss_before = rss();
    let started = Instant::now();
    let report = compactor.cycle().await.unwrap();
    let took = started.elapsed();
    assert_eq!((report.jobs, report.errors), (1, 0), "{report:?}");
    let out = bed.files().await;
    let out_rows: u64 = out.iter().map(|f| f.row_count).sum();
    assert_eq!(out_rows, (per_file * files) as u64);
    println!(
        "  one L0→L1 job: {:.2} s, {:.0} rows/s, {} output file(s) {:.1} MiB, RSS before {:.0} MiB, peak during {:.0} MiB",
        took.as_secs_f64(),
        out_rows as f64 / took.as_secs_f64(),
        out.len(),
        mib(out.iter().map(|f| f.size_bytes).sum()),
        mib(rss_before),
        mib(peak_rss()),
    );
}

/// Splits one TSBS day of 100 hosts into `n` files.
async fn small_files(bed: &mut Bed, n: usize, mut after_each: impl AsyncFnMut(usize, &Bed)) {
    let rows = 100 * 8_640;
    let mut generator = tsbs::CpuOnly::new(5, 100);
    for i in 0..n {
        let mut lp = String::new();
        let take = rows / n + usize::from(i < rows % n);
        generator.write_rows(take, &mut lp);
        bed.persist(&lp).await;
        after_each(i, bed).await;
    }
}

async fn write_amplification(p: Params) {
    let n = p.small_files;
    let mut bed = Bed::new().await;
    let metrics = Arc::new(CompactorMetrics::new());
    let hot = bed.compactor(Duration::from_secs(3600), &metrics);
    let mut hot_jobs = 0;
    let mut most_files = 0;
    small_files(&mut bed, n, async |i, bed: &Bed| {
        if i % 10 == 9 {
            hot_jobs += bed.compact_fully(&hot).await;
        }
        most_files = most_files.max(bed.files().await.len());
    })
    .await;
    let cold = bed.compactor(Duration::ZERO, &metrics);
    let cold_jobs = bed.compact_fully(&cold).await;
    let written = metrics.output_bytes.get();
    let rows_written = metrics.output_rows.get();
    println!(
        "write amplification: {n} files, {:.1} MiB persisted; {hot_jobs} jobs while hot (at most {most_files} live files), {cold_jobs} when cold, {} file(s) left; compaction wrote {:.1} MiB = {:.2}× the persisted bytes, {:.2}× the rows",
        mib(bed.persisted_bytes),
        bed.files().await.len(),
        mib(written),
        written as f64 / bed.persisted_bytes as f64,
        rows_written as f64 / 864_000.0,
    );
}

const QUERIES: &[(&str, &str)] = &[
    (
        "one host, 1 h max, one day",
        "SELECT date_bin(INTERVAL '1 hour', time) AS hour, max(usage_user) FROM cpu \
         WHERE hostname = 'host_7' AND time >= '2016-01-01T00:00:00Z' AND time < '2016-01-02T00:00:00Z' \
         GROUP BY hour ORDER BY hour",
    ),
    (
        "all hosts, 1 h mean, one day",
        "SELECT hostname, date_bin(INTERVAL '1 hour', time) AS hour, avg(usage_user) FROM cpu \
         WHERE time >= '2016-01-01T00:00:00Z' AND time < '2016-01-02T00:00:00Z' \
         GROUP BY hostname, hour ORDER BY hostname, hour",
    ),
    (
        "lastpoint per host",
        "SELECT hostname, max(time) FROM cpu GROUP BY hostname ORDER BY hostname",
    ),
];

async fn run_queries(bed: &Bed, runs: usize) -> Vec<(Duration, String)> {
    let qdb = QueryDatabase::new(Arc::clone(&bed.catalog), Arc::clone(&bed.store));
    let mut out = Vec::new();
    for (_, sql) in QUERIES {
        let mut times = Vec::new();
        let mut answer = String::new();
        for _ in 0..runs {
            let started = Instant::now();
            let ctx = qdb.session(&bed.db).await.unwrap();
            let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            times.push(started.elapsed());
            answer = pretty_format_batches(&batches).unwrap().to_string();
        }
        times.sort();
        out.push((times[times.len() / 2], answer));
    }
    out
}

async fn query_latency(p: Params) {
    let (n, runs) = (p.small_files, p.runs);
    let mut bed = Bed::new().await;
    small_files(&mut bed, n, async |_, _: &Bed| {}).await;
    let before_files = bed.files().await.len();
    let before = run_queries(&bed, runs).await;
    let metrics = Arc::new(CompactorMetrics::new());
    bed.compact_fully(&bed.compactor(Duration::ZERO, &metrics))
        .await;
    let after_files = bed.files().await.len();
    let after = run_queries(&bed, runs).await;
    println!(
        "one-day queries, p50 of {runs}: {before_files} level-0 files | after compaction ({after_files} file(s))"
    );
    for (((name, _), (b, answer_b)), (a, answer_a)) in QUERIES.iter().zip(&before).zip(&after) {
        assert_eq!(answer_b, answer_a, "{name}: answers differ");
        println!(
            "  {name:<32} {:>9.1} ms | {:>7.1} ms  ({:.1}× faster)",
            b.as_secs_f64() * 1e3,
            a.as_secs_f64() * 1e3,
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: a smoke run then.
    let params = Params::from_env(!std::env::args().any(|a| a == "--bench"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        big_partition(params).await;
        write_amplification(params).await;
        query_latency(params).await;
    });
}
