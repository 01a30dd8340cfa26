//! Parquet bytes per field value, and sort + dedup + write speed, on TSBS `cpu-only` data.
//!
//! ```text
//! tsbs::CpuOnly(123, 100 hosts) ──► 86 400 … rows in write requests of 10 000 lines
//!   ──► schema::LinesConverter (one RecordBatch per request; not timed)
//!   ──► [timed] schema::dedup::sort_dedup(all batches) ──► one sorted batch
//!   ──► [timed] parquet_store::write_parquet_with(InMemory | local file, ZSTD level L)
//!   ──► size ÷ (rows × 10 fields) = bytes per field value
//! ```
//!
//! Run: `cargo bench -p parquet_store --bench parquet_size` (one thread: current-thread tokio
//! runtime; each timing is the best of 3). Default data: 100 hosts × 1 day at 10 s = 864 000
//! rows; `QUIVER_BENCH_ROUNDS=N` changes the number of 10 s rounds.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use catalog::ParquetFileRecord;
use catalog::{DatabaseId, TableId};
use line_protocol::Precision;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use parquet_store::{FileMeta, WriteOptions, read_parquet, write_parquet_with};

const SEED: u64 = 123;
const HOSTS: usize = 100;
const ROUNDS_PER_DAY: usize = 8_640;
const LINES_PER_REQUEST: usize = 10_000;
const FIELDS: usize = 10;
const REPEATS: usize = 3;

fn main() {
    let rounds = std::env::var("QUIVER_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROUNDS_PER_DAY);
    let rows = HOSTS * rounds;
    let (batches, lp_bytes) = convert(rows);
    println!(
        "TSBS cpu-only: {HOSTS} hosts × {rounds} rounds = {rows} rows, {lp_bytes} bytes of line \
         protocol ({:.1} bytes/line), {} input batches",
        lp_bytes as f64 / rows as f64,
        batches.len()
    );

    let (sorted, dedup_time) = best_of(|| schema::dedup::sort_dedup(&batches).unwrap());
    assert_eq!(sorted.num_rows(), rows, "TSBS has no duplicate keys");
    println!(
        "sort_dedup: {:.3} s → {:.2} M rows/s",
        dedup_time.as_secs_f64(),
        rows as f64 / dedup_time.as_secs_f64() / 1e6
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!();
    println!(
        "| store | ZSTD level | file bytes | bytes/row | bytes/field value | write s | \
         sort+dedup+write rows/s |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut breakdown = None;
    for level in [1, 3, 9] {
        for (name, store) in stores(dir.path()) {
            let options = WriteOptions {
                zstd_level: level,
                ..WriteOptions::default()
            };
            let (record, write_time) = best_of(|| {
                runtime.block_on(async {
                    write_parquet_with(&store, &meta(), &sorted, options)
                        .await
                        .unwrap()
                })
            });
            let size = record.size_bytes;
            if level == WriteOptions::default().zstd_level && name == "memory" {
                breakdown = Some(runtime.block_on(column_bytes(&store, &record)));
            }
            let total = dedup_time + write_time;
            println!(
                "| {name} | {level} | {size} | {:.2} | {:.3} | {:.3} | {:.2} M |",
                size as f64 / rows as f64,
                size as f64 / (rows * FIELDS) as f64,
                write_time.as_secs_f64(),
                rows as f64 / total.as_secs_f64() / 1e6
            );
        }
    }
    if let Some([tags, fields, time]) = breakdown {
        println!();
        println!(
            "column chunks at the default level (bytes): 10 tags {tags}, 10 fields {fields} \
             ({:.3} per value), time {time}; the rest is footer and page index",
            fields as f64 / (rows * FIELDS) as f64
        );
    }
}

/// Compressed bytes of the tag columns, the field columns and `time`, summed over row groups.
async fn column_bytes(store: &Arc<dyn ObjectStore>, record: &ParquetFileRecord) -> [i64; 3] {
    let data = read_parquet(store, record).await.unwrap();
    let mut sums = [0; 3];
    for group in data.parquet_metadata.row_groups() {
        for chunk in group.columns() {
            let name = chunk.column_descr().name();
            let slot = if name == "time" {
                2
            } else if tsbs::FIELD_KEYS.contains(&name) {
                1
            } else {
                0
            };
            sums[slot] += chunk.compressed_size();
        }
    }
    sums
}

/// Line protocol in requests of 10 000 lines → one batch per request.
fn convert(rows: usize) -> (Vec<RecordBatch>, usize) {
    let mut generator = tsbs::CpuOnly::new(SEED, HOSTS);
    let mut batches = Vec::new();
    let mut bytes = 0;
    let mut left = rows;
    let mut body = String::new();
    while left > 0 {
        let n = left.min(LINES_PER_REQUEST);
        body.clear();
        generator.write_rows(n, &mut body);
        bytes += body.len();
        let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
        converter.write_lp(&body);
        let mut converted = converter.finish().unwrap();
        assert!(converted.rejections.is_empty());
        batches.push(converted.tables.remove(0).batch);
        left -= n;
    }
    (batches, bytes)
}

fn stores(dir: &std::path::Path) -> [(&'static str, Arc<dyn ObjectStore>); 2] {
    let local = LocalFileSystem::new_with_prefix(dir).unwrap();
    [
        ("memory", Arc::new(InMemory::new())),
        ("local file", Arc::new(local)),
    ]
}

fn meta() -> FileMeta {
    FileMeta {
        database_id: DatabaseId(1),
        database_name: "benchmark".into(),
        table_id: TableId(1),
        table_name: tsbs::MEASUREMENT.into(),
        partition_key: "2016-01-01".into(),
        log_partition: 0,
        min_offset: 0,
        max_offset: 0,
    }
}

/// Runs `f` [`REPEATS`] times; the last result and the shortest time.
fn best_of<T>(mut f: impl FnMut() -> T) -> (T, Duration) {
    let mut best = Duration::MAX;
    let mut result = None;
    for _ in 0..REPEATS {
        let started = Instant::now();
        let value = f();
        best = best.min(started.elapsed());
        result = Some(value);
    }
    (result.unwrap(), best)
}
