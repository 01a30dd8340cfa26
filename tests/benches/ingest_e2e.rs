//! End-to-end ingest on this machine: TSBS cpu-only through `quiver router` → Kafka (tansu) →
//! `quiver ingester` → Parquet on local files, all as release processes on loopback.
//!
//! ```text
//! etcd + tansu (topic, P partitions) + router + ingester (--object-store file)
//! 1 throughput: C connections post pre-generated ~5 000-line bodies as fast as acked
//!               ──► acked rows/s at the router; then wait until the catalog's persisted offsets
//!                   reach the topic's high-water marks ──► end-to-end rows/s; Parquet bytes
//!                   per field value (file sizes in the catalog / (rows × 10 fields))
//! 2 latency:    open loop at half the end-to-end rate of step 1 (5 000-line bodies, then
//!               500-line bodies), then at a tenth ──► p50 / p99 / max per request, the router's
//!               mean time per write stage (its /metrics) and the CPU each process used
//! 3 memory:     a fresh ingester that never persists (huge thresholds); write N rows; wait
//!               until applied ──► VmRSS growth of its process per million buffered rows
//! 4 router alone: that ingester killed; the latency runs of step 2 again with nothing
//!               consuming (router + broker only: what the ingester's CPU costs the writes)
//! ```
//!
//! Run: `cargo bench -p end_to_end --bench ingest_e2e [-- SECONDS PARTITIONS CONNECTIONS]`
//! (defaults 20 s, 4 partitions, 8 connections). Needs `etcd` and tansu (see .ci/run).
//! `QUIVER_BENCH_LATENCY_ONLY=1` stops after step 2; `QUIVER_BENCH_PHASE_FILE=PATH` has each
//! latency run write its name into PATH while it runs ("idle" after), for profiling one phase
//! from outside (`perf record -a` started when the name appears); `QUIVER_BENCH_HALF_RATE=N` runs
//! the half-load step at N rows/s instead of half of step 1's rate; the router inherits the bench's
//! environment, so `QUIVER_*` variables (e.g. `QUIVER_WRITE_CONVERT_THREADS=1`) set its flags.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use catalog::{Catalog, DatabaseName, EtcdCatalog};
use end_to_end::QuiverProcess;
use test_support::{EtcdProcess, TansuProcess};
use write_log::WriteLog;
use write_log::kafka::{KafkaConfig, KafkaWriteLog};

const TOKEN: &str = "qvr_ingest-bench";
const DB: &str = "bench";
const TOPIC: &str = "quiver-writes";
const BODY_LINES: usize = 5_000;
const HOSTS: usize = 1_000;

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// `rows` of TSBS cpu-only in bodies of `lines` lines, continuing `generator`.
fn bodies(generator: &mut tsbs::CpuOnly, rows: usize, lines: usize) -> Vec<Bytes> {
    (0..rows.div_ceil(lines))
        .map(|_| {
            let mut body = String::with_capacity(lines * 360);
            generator.write_rows(lines, &mut body);
            Bytes::from(body)
        })
        .collect()
}

struct Bench {
    etcd: EtcdProcess,
    tansu: TansuProcess,
    router: QuiverProcess,
    ingester: Option<QuiverProcess>,
    catalog: EtcdCatalog,
    log: KafkaWriteLog,
    data: tempfile::TempDir,
    client: reqwest::Client,
}

impl Bench {
    fn ingester_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "ingester",
            "--bind",
            "127.0.0.1:0",
            "--etcd-endpoints",
            &self.etcd.endpoint(),
            "--kafka-brokers",
            &self.tansu.bootstrap(),
            "--kafka-topic",
            TOPIC,
            "--object-store",
            "file",
            "--data-dir",
            self.data.path().to_str().expect("utf-8 temp dir"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    fn start_ingester(&mut self, extra: &[&str]) {
        let args = self.ingester_args(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ingester = Some(QuiverProcess::start(&args));
    }

    /// One write; its latency, or the non-204 answer.
    async fn try_post(&self, body: &Bytes) -> Result<Duration, String> {
        let started = Instant::now();
        let url = format!("{}/api/v2/write?bucket={DB}&precision=ns", self.router.url);
        let resp = self
            .client
            .post(url)
            .header("Authorization", format!("Token {TOKEN}"))
            .timeout(Duration::from_secs(30))
            .body(body.clone()) // shares the buffer: no copy of the body in the timed part
            .send()
            .await
            .map_err(|e| format!("request error: {e}"))?;
        match resp.status().as_u16() {
            204 => Ok(started.elapsed()),
            status => Err(status.to_string()),
        }
    }

    /// One write, retried (every 20 ms, ≤ 3 000 times) until acked; returns the retries.
    async fn post(&self, body: &Bytes) -> u64 {
        for retry in 0..3_000 {
            match self.try_post(body).await {
                Ok(_) => return retry,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        panic!("a write was not acked after 3 000 attempts");
    }

    /// Waits until the catalog's persisted offsets reach the high-water marks (≤ `limit`).
    async fn wait_persisted(&self, limit: Duration) -> Duration {
        let started = Instant::now();
        while started.elapsed() < limit {
            let marks = self.log.high_watermarks().await.expect("watermarks");
            let persisted = self.catalog.persisted_offsets().await.expect("offsets");
            if marks
                .iter()
                .all(|(p, &n)| n == 0 || persisted.get(p).is_some_and(|&o| o + 1 >= n))
            {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("not persisted within {limit:?}");
    }

    /// Waits until the ingester's `/metrics` show every record below the marks as applied.
    async fn wait_applied(&self, limit: Duration) {
        let url = &self.ingester.as_ref().expect("ingester").url;
        let started = Instant::now();
        while started.elapsed() < limit {
            let marks = self.log.high_watermarks().await.expect("watermarks");
            let text = self
                .client
                .get(format!("{url}/metrics"))
                .send()
                .await
                .expect("metrics")
                .text()
                .await
                .unwrap_or_default();
            let applied = |p: u32| -> Option<u64> {
                let prefix = format!("quiver_ingester_applied_offset{{partition=\"{p}\"}} ");
                text.lines()
                    .find_map(|l| l.strip_prefix(prefix.as_str()))
                    .and_then(|v| v.trim().parse().ok())
            };
            if marks
                .iter()
                .all(|(&p, &n)| n == 0 || applied(p).is_some_and(|o| o + 1 >= n))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("not applied within {limit:?}");
    }

    /// (rows, bytes, files) of the Parquet files of `bench`.`cpu` in the catalog.
    async fn parquet_totals(&self) -> (u64, u64, usize) {
        let name = DatabaseName::new(DB).expect("name");
        let db = self
            .catalog
            .database_by_name(&name)
            .await
            .expect("catalog")
            .expect("database exists");
        let schema = self.catalog.database_schema(db.id).await.expect("schema");
        let table = schema.tables.get(tsbs::MEASUREMENT).expect("cpu table");
        let files: Vec<_> = self
            .catalog
            .parquet_files(db.id, table.id)
            .await
            .expect("files")
            .into_values()
            .flatten()
            .collect();
        (
            files.iter().map(|f| f.row_count).sum(),
            files.iter().map(|f| f.size_bytes).sum(),
            files.len(),
        )
    }
}

/// The router's write-stage totals (`quiver_write_stage_duration_seconds` sum and count per
/// stage) from its `/metrics`.
async fn stage_totals(bench: &Bench) -> Vec<(String, f64, f64)> {
    let text = bench
        .client
        .get(format!("{}/metrics", bench.router.url))
        .send()
        .await
        .expect("router metrics")
        .text()
        .await
        .unwrap_or_default();
    let value = |name: &str, stage: &str| -> f64 {
        let prefix = format!("quiver_write_stage_duration_seconds_{name}{{stage=\"{stage}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    ["body", "convert", "schema", "shard", "log"]
        .iter()
        .map(|stage| {
            (
                stage.to_string(),
                value("sum", stage),
                value("count", stage),
            )
        })
        .collect()
}

/// CPU seconds (user + system) a process has used so far (`/proc/PID/stat`).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0 // USER_HZ
}

/// The CPU every process of the bench uses over a run.
struct CpuMeter {
    started: Instant,
    start: Vec<(&'static str, String, f64)>,
}

impl CpuMeter {
    fn start(bench: &Bench) -> Self {
        let mut pids: Vec<(&'static str, String)> = vec![
            ("router", bench.router.pid().to_string()),
            ("load generator", "self".to_owned()),
        ];
        if let Some(ingester) = &bench.ingester {
            pids.push(("ingester", ingester.pid().to_string()));
        }
        if let Some(pid) = bench.tansu.pid() {
            pids.push(("tansu", pid.to_string()));
        }
        if let Some(pid) = bench.etcd.pid() {
            pids.push(("etcd", pid.to_string()));
        }
        Self {
            started: Instant::now(),
            start: pids
                .into_iter()
                .map(|(name, pid)| {
                    let cpu = cpu_seconds(&pid);
                    (name, pid, cpu)
                })
                .collect(),
        }
    }

    /// `name 0.42, …`: cores used per process since the start.
    fn report(&self) -> String {
        let wall = self.started.elapsed().as_secs_f64();
        self.start
            .iter()
            .map(|(name, pid, cpu)| format!("{name} {:.2}", (cpu_seconds(pid) - cpu) / wall))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Writes the name of the phase running now into the file `QUIVER_BENCH_PHASE_FILE` names, if
/// set, so a profiler started from outside can record exactly one phase.
fn mark_phase(name: &str) {
    if let Some(path) = std::env::var_os("QUIVER_BENCH_PHASE_FILE")
        && let Err(e) = std::fs::write(&path, name)
    {
        eprintln!("QUIVER_BENCH_PHASE_FILE: {e}");
    }
}

/// An open-loop run with the router's stage means and the processes' CPU.
async fn measured_run(bench: &Arc<Bench>, name: &str, bodies: Vec<Bytes>, rows_per_s: f64) {
    let before = stage_totals(bench).await;
    let cpu = CpuMeter::start(bench);
    mark_phase(name);
    let result = open_loop(bench, bodies, rows_per_s).await;
    mark_phase("idle");
    let cores = cpu.report();
    let after = stage_totals(bench).await;
    report_latency(name, result);
    let stages: Vec<String> = after
        .iter()
        .zip(&before)
        .map(|((stage, sum, count), (_, sum0, count0))| {
            let n = (count - count0).max(1.0);
            format!("{stage} {:.1}", (sum - sum0) / n * 1e3)
        })
        .collect();
    println!("    router mean ms per stage: {}", stages.join(", "));
    println!("    cores used: {cores}");
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Open loop: `bodies` at `rows_per_s`, each request on its own task; per-request latency of
/// the acked ones, and the refused ones (e.g. 429 when the router's permits run out).
async fn open_loop(
    bench: &Arc<Bench>,
    bodies: Vec<Bytes>,
    rows_per_s: f64,
) -> (Vec<Duration>, Vec<String>) {
    let lines = bodies[0].iter().filter(|&&b| b == b'\n').count() as f64;
    let interval = Duration::from_secs_f64(lines / rows_per_s);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(bodies.len());
    for (i, body) in bodies.into_iter().enumerate() {
        tokio::time::sleep_until((started + interval * i as u32).into()).await;
        let bench = Arc::clone(bench);
        tasks.push(tokio::spawn(async move { bench.try_post(&body).await }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut refused = Vec::new();
    for t in tasks {
        match t.await.expect("request task") {
            Ok(l) => latencies.push(l),
            Err(e) => refused.push(e),
        }
    }
    latencies.sort();
    (latencies, refused)
}

fn report_latency(name: &str, (l, refused): (Vec<Duration>, Vec<String>)) {
    if l.is_empty() {
        println!("{name}: no request acked; refused {refused:?}");
        return;
    }
    println!(
        "{name}: {} acked, {} refused {:?}, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        l.len(),
        refused.len(),
        refused.iter().take(3).collect::<Vec<_>>(),
        percentile(&l, 0.50).as_secs_f64() * 1e3,
        percentile(&l, 0.99).as_secs_f64() * 1e3,
        l.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let seconds = arg(0, 20);
    let partitions = arg(1, 4) as u32;
    let connections = arg(2, 8) as usize;
    println!(
        "ingest_e2e: {seconds} s, {partitions} partitions, {connections} connections, bodies of {BODY_LINES} lines, {HOSTS} hosts"
    );

    let etcd = EtcdProcess::start().expect("etcd");
    let tansu = TansuProcess::start().expect("tansu");
    tansu.create_topic(TOPIC, partitions).expect("topic");
    let router = QuiverProcess::start(&[
        "router",
        "--bind",
        "127.0.0.1:0",
        "--etcd-endpoints",
        &etcd.endpoint(),
        "--operator-token",
        TOKEN,
        "--auto-create-databases",
        "--kafka-brokers",
        &tansu.bootstrap(),
        "--kafka-topic",
        TOPIC,
    ]);
    let catalog = EtcdCatalog::connect(&[etcd.endpoint()], catalog::DEFAULT_ETCD_PREFIX)
        .await
        .expect("catalog");
    let log = KafkaWriteLog::connect(KafkaConfig::new(tansu.bootstrap(), TOPIC))
        .await
        .expect("kafka client");
    let mut bench = Bench {
        etcd,
        tansu,
        router,
        ingester: None,
        catalog,
        log,
        data: tempfile::tempdir().expect("temp dir"),
        client: reqwest::Client::new(),
    };
    bench.start_ingester(&["--persist-max-age", "2s"]);

    // ---- 1. throughput ------------------------------------------------------------------
    let mut generator = tsbs::CpuOnly::new(7, HOSTS);
    let budget_rows = (seconds as usize * 150_000).min(4_000_000);
    let pool = bodies(&mut generator, budget_rows, BODY_LINES);
    let bench = Arc::new(bench);
    // Warm-up: creates the database and table.
    bench.post(&pool[0]).await;
    bench.wait_persisted(Duration::from_secs(60)).await;
    let queue = Arc::new(std::sync::Mutex::new(pool.into_iter().skip(1)));
    let deadline = Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (bench, queue) = (Arc::clone(&bench), Arc::clone(&queue));
            tokio::spawn(async move {
                let (mut rows, mut retries) = (0u64, 0u64);
                while started.elapsed() < deadline {
                    let Some(body) = queue.lock().expect("queue").next() else {
                        break;
                    };
                    retries += bench.post(&body).await;
                    rows += BODY_LINES as u64;
                }
                (rows, retries)
            })
        })
        .collect();
    let (mut acked_rows, mut retries) = (0u64, 0u64);
    for w in workers {
        let (rows, r) = w.await.expect("writer");
        acked_rows += rows;
        retries += r;
    }
    let acked_secs = started.elapsed().as_secs_f64();
    let drain = bench.wait_persisted(Duration::from_secs(600)).await;
    let e2e_secs = started.elapsed().as_secs_f64();
    let (rows, bytes, files) = bench.parquet_totals().await;
    let acked_rate = acked_rows as f64 / acked_secs;
    println!(
        "throughput: {acked_rows} rows acked in {acked_secs:.1} s = {acked_rate:.0} rows/s at the router; \
         all persisted {:.1} s after the last ack = {:.0} rows/s router→Kafka→ingester→Parquet \
         ({retries} retries after a refusal)",
        drain.as_secs_f64(),
        acked_rows as f64 / e2e_secs
    );
    println!(
        "parquet: {files} files, {rows} rows (incl. {BODY_LINES} warm-up), {bytes} bytes = {:.2} bytes per field value ({:.1} bytes per row, 10 fields + 10 tags)",
        bytes as f64 / (rows as f64 * 10.0),
        bytes as f64 / rows as f64
    );

    // ---- 2. latency at half the end-to-end rate -----------------------------------------
    // "Half that load": half of what the whole path (router → Kafka → ingester → Parquet)
    // sustained in step 1, with the ingester persisting as usual.
    let e2e_rate = acked_rows as f64 / e2e_secs;
    // `QUIVER_BENCH_HALF_RATE=ROWS_PER_S` fixes "half load" instead (A/B runs at equal load).
    let half = std::env::var("QUIVER_BENCH_HALF_RATE")
        .ok()
        .and_then(|r| r.parse::<f64>().ok())
        .unwrap_or(e2e_rate / 2.0);
    let lat_rows = ((half * 15.0) as usize).max(BODY_LINES * 10);
    for lines in [BODY_LINES, 500] {
        let run = bodies(&mut generator, lat_rows, lines);
        let name = format!("latency at {half:.0} rows/s (half), {lines}-line bodies");
        // Each run starts with the ingester caught up: an overloaded run before it (500-line
        // bodies at half the rate) would otherwise leave it persisting a backlog through the next.
        bench.wait_persisted(Duration::from_secs(600)).await;
        measured_run(&bench, &name, run, half).await;
    }
    // A tenth of the end-to-end rate: the path's own latency, with little queueing.
    let tenth = e2e_rate / 10.0;
    let few = ((tenth * 10.0) as usize).max(BODY_LINES * 10);
    for lines in [BODY_LINES, 500] {
        let run = bodies(&mut generator, few, lines);
        let name = format!("latency at {tenth:.0} rows/s (a tenth), {lines}-line bodies");
        bench.wait_persisted(Duration::from_secs(600)).await;
        measured_run(&bench, &name, run, tenth).await;
    }
    bench.wait_persisted(Duration::from_secs(600)).await;
    if std::env::var_os("QUIVER_BENCH_LATENCY_ONLY").is_some() {
        return; // comparing router settings: steps 1 and 2 only
    }

    // ---- 3. ingester memory per million buffered rows -----------------------------------
    let mut bench = Arc::try_unwrap(bench).unwrap_or_else(|_| panic!("bench still shared"));
    let old = bench.ingester.take().expect("ingester");
    assert!(old.terminate().success(), "ingester stops cleanly");
    bench.start_ingester(&[
        "--persist-max-rows",
        "1000000000",
        "--persist-max-bytes",
        "100000000000",
        "--persist-max-age",
        "1h",
        "--memory-budget",
        "100000000000",
    ]);
    let bench = Arc::new(bench);
    // Let it join the group and own every partition (nothing to replay: all persisted).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = bench.ingester.as_ref().expect("ingester").pid();
    let before = rss_kib(pid);
    let mem_rows = 2_000_000usize;
    let pool = bodies(&mut generator, mem_rows, BODY_LINES);
    let queue = Arc::new(std::sync::Mutex::new(pool.into_iter()));
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (bench, queue) = (Arc::clone(&bench), Arc::clone(&queue));
            tokio::spawn(async move {
                loop {
                    let Some(body) = queue.lock().expect("queue").next() else {
                        break;
                    };
                    bench.post(&body).await;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("writer");
    }
    bench.wait_applied(Duration::from_secs(600)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(pid);
    let metrics = bench
        .client
        .get(format!(
            "{}/metrics",
            bench.ingester.as_ref().expect("ingester").url
        ))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    let buffered_bytes = metrics
        .lines()
        .find_map(|l| l.strip_prefix("quiver_ingester_buffered_bytes "))
        .unwrap_or("?")
        .to_owned();
    let per_million = (after.saturating_sub(before)) as f64 / 1024.0 / (mem_rows as f64 / 1e6);
    println!(
        "memory: ingester VmRSS {:.0} MiB → {:.0} MiB with {mem_rows} rows buffered = {per_million:.0} MiB per million rows (Arrow bytes counted by the ingester: {buffered_bytes})",
        before as f64 / 1024.0,
        after as f64 / 1024.0
    );

    // ---- 4. the router and the broker alone (no ingester competing for the cores) -----------
    let mut bench = Arc::try_unwrap(bench).unwrap_or_else(|_| panic!("bench still shared"));
    drop(bench.ingester.take());
    let bench = Arc::new(bench);
    for (rate, name) in [(half, "half"), (tenth, "a tenth")] {
        for lines in [BODY_LINES, 500] {
            let rows = ((rate * 10.0) as usize).max(BODY_LINES * 10);
            let name = format!(
                "no ingester running: latency at {rate:.0} rows/s ({name}), {lines}-line bodies"
            );
            measured_run(&bench, &name, bodies(&mut generator, rows, lines), rate).await;
        }
    }
}
