//! Line protocol ingest speed on TSBS `cpu-only` data, side by side in one run:
//! (a) our parser alone, (b) our parser + columnar build to `RecordBatch`es, (c) the crates.io
//! `influxdb-line-protocol` 2.0 parser alone (the baseline the targets are stated against).
//!
//! Body: `tsbs::lines(123, 100, 30_000)` — 100 hosts × 300 rounds, about 10 MB.
//! Run: `cargo bench -p schema --bench ingest`. Throughput is in bytes; lines/s = bytes/s ÷
//! the average line length printed at start.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
#![allow(missing_docs)] // criterion_main! generates an undocumented `main`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use line_protocol::{LineParser, ParsedLine, Precision};
use schema::LinesConverter;

const SEED: u64 = 123;
const HOSTS: usize = 100;
const ROWS: usize = 30_000;

fn ingest(c: &mut Criterion) {
    let body = tsbs::lines(SEED, HOSTS, ROWS);
    let lines = body.lines().count();
    println!(
        "TSBS cpu-only body: {} bytes, {lines} lines, {:.1} bytes/line",
        body.len(),
        body.len() as f64 / lines as f64
    );
    sanity_check(&body, lines);

    let mut group = c.benchmark_group("ingest_tsbs_cpu_only");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.sample_size(20);

    group.bench_function("quiver_parse_only", |b| {
        b.iter(|| {
            let mut parser = LineParser::new(black_box(&body));
            let mut line = ParsedLine::default();
            let mut ok = 0usize;
            while let Some(result) = parser.next_into(&mut line) {
                ok += usize::from(result.is_ok());
                black_box(&line);
            }
            ok
        })
    });

    group.bench_function("quiver_parse_and_columnar", |b| {
        b.iter(|| {
            let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
            converter.write_lp(black_box(&body));
            converter
                .finish()
                .map(|converted| black_box(converted).stats.lines_accepted)
        })
    });

    group.bench_function("influxdb_line_protocol_2_parse_only", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for line in influxdb_line_protocol::parse_lines(black_box(&body)) {
                ok += usize::from(line.is_ok());
                black_box(&line);
            }
            ok
        })
    });

    group.finish();
}

/// All three must accept every line, or the comparison means nothing.
fn sanity_check(body: &str, lines: usize) {
    let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(body);
    let converted = converter.finish().expect("converting the benchmark body");
    assert_eq!(
        converted.stats.lines_accepted,
        lines,
        "{:?}",
        converted.rejections.first()
    );
    assert_eq!(converted.tables[0].batch.num_rows(), lines);
    assert_eq!(converted.tables[0].batch.num_columns(), 21);
    let baseline_ok = influxdb_line_protocol::parse_lines(body)
        .filter(Result::is_ok)
        .count();
    assert_eq!(baseline_ok, lines);
}

criterion_group!(benches, ingest);
criterion_main!(benches);
