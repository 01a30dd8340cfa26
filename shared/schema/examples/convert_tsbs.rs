//! Fixed-work profiling driver: converts the benchmark's TSBS body N times (default 100) and
//! prints the wall time per pass. Meant for `perf stat` / `perf record` on a busy machine,
//! where cycle counts are steadier than criterion's wall-clock figures:
//!
//! `cargo build --profile bench -p schema --example convert_tsbs`
//! `perf stat -e cycles:u,instructions:u target/release/examples/convert_tsbs [parse|convert|parallel] [N]`
//! (`parallel`: `schema::ConvertPool` of 2 threads)

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use line_protocol::{LineParser, ParsedLine, Precision};
use schema::LinesConverter;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "convert".to_string());
    let passes: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let hosts = std::env::var("HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let rows = std::env::var("ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000);
    let body = tsbs::lines(123, hosts, rows);
    let pool = schema::ConvertPool::new(2);
    let shared = Arc::new(body.clone());
    let start = Instant::now();
    let mut accepted = 0;
    for _ in 0..passes {
        accepted += match mode.as_str() {
            "parse" => {
                let mut parser = LineParser::new(black_box(&body));
                let mut line = ParsedLine::default();
                let mut ok = 0usize;
                while let Some(result) = parser.next_into(&mut line) {
                    ok += usize::from(result.is_ok());
                    black_box(&line);
                }
                ok
            }
            "parallel" => match pool.convert(Arc::clone(&shared), 0, Precision::Nanoseconds) {
                Ok(converted) => black_box(converted).stats.lines_accepted,
                Err(error) => panic!("{error}"),
            },
            _ => {
                let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
                converter.write_lp(black_box(&body));
                match converter.finish() {
                    Ok(converted) => black_box(converted).stats.lines_accepted,
                    Err(error) => panic!("{error}"),
                }
            }
        };
    }
    let per_pass = start.elapsed() / passes as u32;
    let mb_s = body.len() as f64 / per_pass.as_secs_f64() / 1e6;
    println!("{mode}: {accepted} lines, {per_pass:?} per pass, {mb_s:.0} MB/s (wall)");
}
