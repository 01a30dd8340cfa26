//! zstd level of the write log's frame encoding: compress time and bytes per row of one
//! partition's record of a 5 000-line TSBS request (1 250 rows, 1 000 hosts), at several levels;
//! then the same IPC stream after integer narrowing (encoding 5), and as one LZ4 block.
//!
//! `cargo build --profile bench -p write_log --example frame_levels`, then
//! `target/release/examples/frame_levels [ROWS]`

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::hint::black_box;
use std::time::Instant;

use line_protocol::Precision;
use schema::LinesConverter;
use write_log::codec::{PayloadEncoding, encode_batch, narrow_batch};

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_250);
    let text = tsbs::lines(42, 1_000, rows);
    let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(&text);
    let converted = converter.finish().expect("TSBS lines convert");
    let batch = &converted.tables[0].batch;
    let ipc = encode_batch(batch, PayloadEncoding::ArrowIpc).expect("IPC");
    println!("{rows} rows: Arrow IPC stream {} bytes", ipc.len());
    for level in [3, 1, -1, -3, -5, -7] {
        let mut compressor = zstd::bulk::Compressor::new(level).expect("zstd");
        compressor.include_contentsize(true).expect("content size");
        let passes = 300;
        let mut bytes = 0;
        let start = Instant::now();
        for _ in 0..passes {
            bytes = black_box(compressor.compress(black_box(&ipc)).expect("compress")).len();
        }
        let per = start.elapsed() / passes;
        let frame = compressor.compress(&ipc).expect("compress");
        let start = Instant::now();
        for _ in 0..passes {
            black_box(zstd::bulk::decompress(black_box(&frame), ipc.len()).expect("decompress"));
        }
        let decompress = start.elapsed() / passes;
        println!(
            "level {level:>2}: {bytes} bytes = {:.1} B/row, compress {per:?}, decompress {decompress:?}",
            bytes as f64 / rows as f64
        );
    }
    // The whole record encoding (narrow + IPC + frame + protobuf), as the router calls it.
    let write = write_log::LogWrite::new("db", vec![("cpu".into(), batch.clone())]);
    let encodes = if std::env::var_os("ENCODE_ONLY").is_some() {
        5_000
    } else {
        300
    };
    let start = Instant::now();
    for _ in 0..encodes {
        black_box(
            write_log::codec::encode(black_box(&write), write_log::codec::DEFAULT_ENCODING)
                .expect("encode"),
        );
    }
    println!(
        "codec::encode (default encoding): {:?} per record",
        start.elapsed() / encodes
    );
    if std::env::var_os("ENCODE_ONLY").is_some() {
        return;
    }
    let passes = 300;
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..passes {
        bytes = black_box(lz4_flex::block::compress_prepend_size(black_box(&ipc))).len();
    }
    let per = start.elapsed() / passes;
    let block = lz4_flex::block::compress_prepend_size(&ipc);
    let start = Instant::now();
    for _ in 0..passes {
        black_box(lz4_flex::block::decompress_size_prepended(black_box(&block)).expect("lz4"));
    }
    let decompress = start.elapsed() / passes;
    // Narrowed integers (encoding 5) before the same zstd level 1 frame.
    let narrowed = narrow_batch(batch).expect("narrow");
    let nipc = encode_batch(&narrowed, PayloadEncoding::ArrowIpc).expect("IPC");
    let mut compressor = zstd::bulk::Compressor::new(1).expect("zstd");
    let start = Instant::now();
    let mut nbytes = 0;
    for _ in 0..passes {
        nbytes = black_box(compressor.compress(black_box(&nipc)).expect("compress")).len();
    }
    println!(
        "narrowed: IPC {} bytes, zstd 1 {nbytes} bytes = {:.1} B/row, compress {:?}",
        nipc.len(),
        nbytes as f64 / rows as f64,
        start.elapsed() / passes
    );
    println!(
        "lz4 block: {bytes} bytes = {:.1} B/row, compress {per:?}, decompress {decompress:?}",
        bytes as f64 / rows as f64
    );
}
