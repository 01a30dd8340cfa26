//! Fixed-work driver for one ingester persist as the end-to-end bench produces it: TSBS
//! `cpu-only` rows of 250 hosts (one of four log partitions of 1 000 hosts) arriving as records
//! of 1 250 rows (one partition's share of a 5 000-line request), 125 of them (≈ 2 s of that
//! partition at half load: 156 250 rows); then `sort_dedup` and `encode_parquet`, timed apart.
//!
//! `cargo build --profile bench -p parquet_store --example persist_cost`
//! `target/release/examples/persist_cost [PASSES] [RECORDS]` (defaults 5, 125), or under
//! `valgrind --tool=callgrind` with one pass for instruction counts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::time::{Duration, Instant};

use catalog::{DatabaseId, TableId};
use line_protocol::Precision;
use parquet_store::{FileMeta, WriteOptions, encode_parquet};

const HOSTS: usize = 250;
const RECORD_ROWS: usize = 1_250;

fn main() {
    let mut args = std::env::args().skip(1);
    let passes: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5);
    let records: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(125);
    let mut generator = tsbs::CpuOnly::new(123, HOSTS);
    let batches: Vec<_> = (0..records)
        .map(|_| {
            let mut body = String::new();
            generator.write_rows(RECORD_ROWS, &mut body);
            let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
            converter.write_lp(&body);
            let mut converted = converter.finish().expect("converts");
            converted.tables.remove(0).batch
        })
        .collect();
    let rows = records * RECORD_ROWS;
    let meta = FileMeta {
        database_id: DatabaseId(1),
        database_name: "bench".into(),
        table_id: TableId(1),
        table_name: "cpu".into(),
        partition_key: "2016-01-01".into(),
        log_partition: 0,
        min_offset: 0,
        max_offset: records as u64 - 1,
    };
    let (mut dedup, mut encode) = (Duration::ZERO, Duration::ZERO);
    let mut bytes = 0;
    for _ in 0..passes {
        let start = Instant::now();
        let sorted = schema::dedup::sort_dedup(&batches).expect("sort_dedup");
        let sorted_at = Instant::now();
        let encoded = encode_parquet(&meta, &sorted, WriteOptions::default()).expect("encode");
        encode += sorted_at.elapsed();
        dedup += sorted_at - start;
        bytes = encoded.size_bytes();
    }
    let per = |d: Duration| d.as_secs_f64() * 1e3 / passes as f64;
    println!(
        "{records} records, {rows} rows: sort_dedup {:.1} ms, encode_parquet {:.1} ms per pass \
         ({:.2} µs per row in all); {bytes} bytes",
        per(dedup),
        per(encode),
        (per(dedup) + per(encode)) * 1e3 / rows as f64
    );
}
