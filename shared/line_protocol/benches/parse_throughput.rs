//! Parse-only throughput: this crate vs the crates.io `influxdb-line-protocol` crate (IOx's
//! parser) on the same bodies. A plain timing loop (no criterion), best of several runs.
//!
//! `cargo bench -p line_protocol --bench parse_throughput [-- ROWS]`

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::hint::black_box;
use std::time::{Duration, Instant};

use line_protocol::{LineParser, ParsedLine};

fn ours(body: &str) -> usize {
    let mut parser = LineParser::new(body);
    let mut line = ParsedLine::default();
    let mut fields = 0;
    while let Some(result) = parser.next_into(&mut line) {
        if result.is_ok() {
            fields += line.fields.len();
        }
        black_box(&line);
    }
    fields
}

fn theirs(body: &str) -> usize {
    let mut fields = 0;
    for line in influxdb_line_protocol::parse_lines(body).flatten() {
        fields += line.field_set.len();
        black_box(&line);
    }
    fields
}

/// Best time of `runs` after one warm-up.
fn best(runs: usize, body: &str, parse: fn(&str) -> usize) -> (Duration, usize) {
    let fields = parse(body);
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        let n = black_box(parse(black_box(body)));
        best = best.min(start.elapsed());
        assert_eq!(n, fields);
    }
    (best, fields)
}

fn report(name: &str, body: &str, lines: usize, parse: fn(&str) -> usize) -> f64 {
    let (time, fields) = best(7, body, parse);
    let secs = time.as_secs_f64();
    let mb_s = body.len() as f64 / secs / 1e6;
    println!(
        "  {name:<24} {mb_s:>8.1} MB/s {:>10.0} lines/s  ({fields} fields in {:.2} ms)",
        lines as f64 / secs,
        secs * 1e3
    );
    mb_s
}

fn small_lines(rows: usize) -> String {
    let mut body = String::with_capacity(rows * 60);
    for i in 0..rows {
        body.push_str(&format!(
            "weather,location=us-midwest,season=summer temperature={}.{} {}\n",
            60 + i % 40,
            i % 10,
            1_700_000_000_000_000_000i64 + i as i64
        ));
    }
    body
}

fn main() {
    let rows: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200_000);
    let bodies = [
        (
            "TSBS cpu-only (10 tags, 10 i-fields)",
            tsbs::lines(123, 4000, rows),
        ),
        ("small (2 tags, 1 float)", small_lines(rows)),
    ];
    for (name, body) in &bodies {
        println!(
            "{name}: {rows} lines, {} bytes, {:.1} B/line",
            body.len(),
            body.len() as f64 / rows as f64
        );
        let a = report("line_protocol", body, rows, ours);
        let b = report("influxdb-line-protocol", body, rows, theirs);
        println!("  speed-up: {:.2}x", a / b);
    }
}
