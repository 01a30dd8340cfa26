//! Write log payload encoding: encode + decode time and bytes of one TSBS cpu-only request
//! (1 000 hosts; 125, 1 250 and 10 000 rows) as the router appends it and the ingester reads it.
//!
//! Candidates: the record format with Arrow IPC stream payloads (uncompressed, LZ4_FRAME, ZSTD
//! buffers, the whole uncompressed stream as one zstd frame), and the line protocol text itself (encode = copy, decode = parse + convert to
//! Arrow on the ingester). Bytes are printed once per case before timing.
//!
//! Run: `cargo bench -p write_log --bench payload_encoding`

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
#![allow(missing_docs)] // criterion_main! generates an undocumented `main`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use line_protocol::Precision;
use schema::LinesConverter;
use write_log::LogWrite;
use write_log::codec::{PayloadEncoding, decode, encode};

const HOSTS: usize = 1_000;

fn to_write(text: &str) -> LogWrite {
    let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(text);
    let converted = converter.finish().expect("TSBS lines convert");
    assert_eq!(converted.stats.lines_rejected, 0);
    LogWrite::new(
        "bench",
        converted
            .tables
            .into_iter()
            .map(|t| (t.name, t.batch))
            .collect(),
    )
}

fn from_line_protocol(bytes: &[u8]) -> LogWrite {
    let text = std::str::from_utf8(bytes).expect("utf-8");
    to_write(text)
}

fn bench(c: &mut Criterion) {
    let encodings = [
        ("arrow_ipc", PayloadEncoding::ArrowIpc),
        ("arrow_ipc_lz4", PayloadEncoding::ArrowIpcLz4),
        ("arrow_ipc_zstd", PayloadEncoding::ArrowIpcZstd),
        ("arrow_ipc_zstd_frame", PayloadEncoding::ArrowIpcZstdFrame),
        (
            "arrow_ipc_narrow_zstd_frame",
            PayloadEncoding::ArrowIpcNarrowZstdFrame,
        ),
    ];
    // 125 and 1 250 rows: one partition's record of a 500- and a 5 000-line request over 4
    // partitions.
    for rows in [125usize, 1_250, 10_000] {
        let text = tsbs::lines(42, HOSTS, rows);
        let write = to_write(&text);
        let mut group = c.benchmark_group(format!("payload_{rows}_rows"));
        group
            .throughput(Throughput::Elements(rows as u64))
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for (name, encoding) in encodings {
            let bytes = encode(&write, encoding).expect("encode");
            println!(
                "BYTES rows={rows} encoding={name} bytes={} per_row={:.1}",
                bytes.len(),
                bytes.len() as f64 / rows as f64
            );
            assert_eq!(decode(&bytes).expect("decode"), write);
            group.bench_function(BenchmarkId::new("encode", name), |b| {
                b.iter(|| encode(black_box(&write), encoding).expect("encode"))
            });
            group.bench_function(BenchmarkId::new("decode", name), |b| {
                b.iter(|| decode(black_box(&bytes)).expect("decode"))
            });
        }
        println!(
            "BYTES rows={rows} encoding=line_protocol bytes={} per_row={:.1}",
            text.len(),
            text.len() as f64 / rows as f64
        );
        assert_eq!(from_line_protocol(text.as_bytes()), write);
        group.bench_function(BenchmarkId::new("encode", "line_protocol"), |b| {
            b.iter(|| black_box(text.as_bytes()).to_vec())
        });
        group.bench_function(BenchmarkId::new("decode", "line_protocol"), |b| {
            b.iter(|| from_line_protocol(black_box(text.as_bytes())))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
