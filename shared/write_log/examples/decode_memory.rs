//! Resident memory of decoded write log records, as the ingester holds them: encodes distinct
//! TSBS records (1 250 rows, 1 000 hosts), decodes each `COPIES` times and keeps every batch,
//! then prints the decode time per record, the VmRSS growth per million rows and the Arrow bytes
//! the batches reference.
//!
//! `cargo build --profile bench -p write_log --example decode_memory`, then
//! `target/release/examples/decode_memory ENCODING [RECORDS] [COPIES]` (ENCODING 4 or 5)

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use line_protocol::Precision;
use schema::LinesConverter;
use write_log::codec::{PayloadEncoding, decode_batch, encode_batch};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let encoding = match args.next().as_deref() {
        Some("4") => PayloadEncoding::ArrowIpcZstdFrame,
        _ => PayloadEncoding::ArrowIpcNarrowZstdFrame,
    };
    let records: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
    let copies: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
    let payloads: Vec<Vec<u8>> = (0..records)
        .map(|seed| {
            let text = tsbs::lines(seed as u64, 1_000, 1_250);
            let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
            converter.write_lp(&text);
            let converted = converter.finish().expect("TSBS lines convert");
            encode_batch(&converted.tables[0].batch, encoding).expect("encode")
        })
        .collect();
    let before = rss_kib();
    let start = std::time::Instant::now();
    let mut kept = Vec::with_capacity(records * copies);
    for _ in 0..copies {
        for payload in &payloads {
            kept.push(decode_batch(payload, "cpu", encoding).expect("decode"));
        }
    }
    let decoding = start.elapsed();
    let after = rss_kib();
    let rows: usize = kept.iter().map(|b| b.num_rows()).sum();
    let bytes: usize = kept.iter().map(schema::batch_memory_bytes).sum();
    println!(
        "{encoding:?}: {rows} rows, decode {:?} per record, VmRSS +{:.1} MiB = {:.1} MiB per million rows; Arrow bytes {:.1} MiB per million",
        decoding / kept.len() as u32,
        (after - before) as f64 / 1024.0,
        (after - before) as f64 / 1024.0 / (rows as f64 / 1e6),
        bytes as f64 / 1048576.0 / (rows as f64 / 1e6),
    );
}
