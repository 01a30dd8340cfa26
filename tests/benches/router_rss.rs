//! Router memory under a stream of 10 MB bodies: resident set size (VmRSS) sampled while a
//! client posts TSBS cpu-only bodies of ~10 MB (plain, then gzip) to an in-process router over
//! real HTTP on 127.0.0.1.
//!
//! The write log here is this measurement's own instrument: it counts the rows of every append
//! and keeps nothing, so that what grows (or not) is the router's memory — request buffers,
//! decompression, parsing, Arrow conversion — and not stored data.
//!
//! Run: `cargo bench -p end_to_end --bench router_rss [-- REQUESTS CONCURRENCY]`
//! (defaults 200 requests per encoding, 4 in flight). Bounded by count and by 10 minutes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use write_log::{LogPartition, LogPosition, LogWrite, WriteLog, WriteLogError};

#[derive(Debug, Default)]
struct CountingLog {
    rows: AtomicU64,
    appends: AtomicU64,
}

#[async_trait]
impl WriteLog for CountingLog {
    fn partition_count(&self) -> u32 {
        1
    }

    async fn append(
        &self,
        partition: LogPartition,
        write: LogWrite,
    ) -> Result<LogPosition, WriteLogError> {
        self.rows
            .fetch_add(write.row_count() as u64, Ordering::Relaxed);
        let offset = self.appends.fetch_add(1, Ordering::Relaxed);
        Ok(LogPosition { partition, offset })
    }

    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, WriteLogError> {
        Ok(BTreeMap::from([(0, self.appends.load(Ordering::Relaxed))]))
    }

    async fn flush(&self) -> Result<(), WriteLogError> {
        Ok(())
    }
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let requests: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let concurrency: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let deadline = Instant::now() + Duration::from_secs(600);

    let log = Arc::new(CountingLog::default());
    let router = end_to_end::InProcessRouter::start("rss", log.clone()).await;
    let url = format!("{}/api/v2/write?bucket=rss", router.url);

    // ~10 MB of TSBS cpu-only lines: just under the router's default 10 MiB cap.
    let mut body = String::new();
    let mut generator = tsbs::CpuOnly::new(1, 100);
    while body.len() < 10_000_000 {
        generator.write_rows(1000, &mut body);
    }
    let lines_per_body = body.lines().count() as u64;
    let plain = bytes::Bytes::from(body.into_bytes());
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&plain).expect("gzip");
    let gzipped = bytes::Bytes::from(enc.finish().expect("gzip"));
    println!(
        "body: {} bytes, {} lines; gzip {} bytes; {requests} requests per encoding, {concurrency} in flight",
        plain.len(),
        lines_per_body,
        gzipped.len()
    );
    let client = reqwest::Client::new();
    println!(
        "{:>10} {:>8} {:>10} {:>10}",
        "encoding", "sent", "rss_mib", "MB/s"
    );
    println!("{:>10} {:>8} {:>10.1} {:>10}", "start", 0, rss_mib(), "-");
    let mut samples = Vec::new();
    for (encoding, body) in [("identity", plain.clone()), ("gzip", gzipped.clone())] {
        let started = Instant::now();
        let mut sent = 0usize;
        while sent < requests && Instant::now() < deadline {
            let wave = concurrency.min(requests - sent);
            let mut tasks = Vec::new();
            for _ in 0..wave {
                let request = client
                    .post(&url)
                    .header("Authorization", "Token rss")
                    .header("Content-Encoding", encoding)
                    .body(body.clone());
                tasks.push(tokio::spawn(async move {
                    request.send().await.map(|r| r.status().as_u16())
                }));
            }
            for t in tasks {
                let status = t.await.expect("task").expect("request");
                assert_eq!(status, 204, "write failed");
            }
            sent += wave;
            if sent.is_multiple_of(concurrency * 5) || sent == requests {
                let mbps = (sent * plain.len()) as f64 / started.elapsed().as_secs_f64() / 1e6;
                let rss = rss_mib();
                samples.push((encoding, sent, rss));
                println!("{encoding:>10} {sent:>8} {rss:>10.1} {mbps:>10.1}");
            }
        }
    }
    let rows = log.rows.load(Ordering::Relaxed);
    assert_eq!(
        rows,
        log.appends.load(Ordering::Relaxed) * lines_per_body,
        "rows lost"
    );
    let after_warmup: Vec<f64> = samples.iter().skip(2).map(|s| s.2).collect();
    let min = after_warmup.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = after_warmup.iter().cloned().fold(0.0, f64::max);
    println!("rows accepted: {rows}; RSS after warm-up: min {min:.1} MiB, max {max:.1} MiB");
}
