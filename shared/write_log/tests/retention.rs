//! The retention contract of `LogReader::persisted`, run the same way against the two logs that
//! drop persisted data: the file log (segments on disk) and the in-memory log (`quiver serve`
//! without `--data-dir`).
//!
//! ```text
//! append 0..60 ──► reader: seek 0, read 0..30, persisted(29) ──► reader goes on with 30..60
//!   fresh reader: seek(0) ──► OffsetOutOfRange { earliest ∈ 1..=30 }; seek(earliest | 30) reads
//!   append ──► offset 60 (offsets never restart); persisted(lower) ──► nothing changes
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::sync::Arc;
use std::time::Duration;

use line_protocol::Precision;
use schema::LinesConverter;
use write_log::file::FileWriteLog;
use write_log::{LogEvent, LogReader, LogWrite, MemWriteLog, WriteLog, WriteLogError};

fn write(i: u64) -> LogWrite {
    let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(&format!("cpu,host=h{} v={i}i {i}\n", i % 7));
    let converted = converter.finish().unwrap();
    LogWrite::new(
        "db",
        converted
            .tables
            .into_iter()
            .map(|t| (t.name, t.batch))
            .collect(),
    )
}

async fn next_record(reader: &mut impl LogReader) -> (u64, LogWrite) {
    let event = tokio::time::timeout(Duration::from_secs(10), reader.next_event())
        .await
        .expect("an event within 10 s")
        .unwrap();
    match event {
        LogEvent::Record(r) => (r.position.offset, r.write),
        other => panic!("expected a record, got {other:?}"),
    }
}

/// Runs the contract; returns the earliest retained offset after `persisted(29)`.
async fn contract<R: LogReader>(log: &dyn WriteLog, new_reader: impl Fn() -> R) -> u64 {
    for i in 0..60 {
        assert_eq!(log.append(0, write(i)).await.unwrap().offset, i);
    }
    let mut reader = new_reader();
    assert_eq!(
        reader.next_event().await.unwrap(),
        LogEvent::Assigned(vec![0])
    );
    reader.seek(0, 0).await.unwrap();
    for expected in 0..30 {
        assert_eq!(next_record(&mut reader).await, (expected, write(expected)));
    }
    reader.persisted(0, 29).await.unwrap();
    for expected in 30..60 {
        assert_eq!(next_record(&mut reader).await, (expected, write(expected)));
    }

    let mut fresh = new_reader();
    fresh.next_event().await.unwrap();
    let earliest = match fresh.seek(0, 0).await {
        Err(WriteLogError::OffsetOutOfRange {
            partition: 0,
            offset: 0,
            earliest,
        }) => earliest,
        other => panic!("seek below the retained data: {other:?}"),
    };
    assert!(
        (1..=30).contains(&earliest),
        "everything ≤ 29 may go, nothing above: earliest {earliest}"
    );
    fresh.seek(0, earliest).await.unwrap();
    assert_eq!(next_record(&mut fresh).await.0, earliest);
    fresh.seek(0, 30).await.unwrap();
    assert_eq!(next_record(&mut fresh).await, (30, write(30)));

    // Offsets never restart; a lower persisted offset changes nothing.
    assert_eq!(log.append(0, write(60)).await.unwrap().offset, 60);
    assert_eq!(log.high_watermarks().await.unwrap()[&0], 61);
    reader.persisted(0, 10).await.unwrap();
    assert_eq!(next_record(&mut reader).await, (60, write(60)));
    let mut again = new_reader();
    again.next_event().await.unwrap();
    again.seek(0, earliest).await.unwrap();
    assert_eq!(next_record(&mut again).await.0, earliest);
    earliest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_log_drops_persisted_segments() {
    let dir = tempfile::tempdir().unwrap();
    let log = FileWriteLog::open_with_segment_bytes(dir.path(), 2_000).unwrap();
    let segments = |log: &FileWriteLog| log.stats().segments;
    let earliest = contract(log.as_ref(), || log.reader()).await;
    assert!(segments(&log) > 1, "the segments above 29 remain");
    // Whole segments go: the first kept one may still hold offsets ≤ 29.
    assert!(earliest <= 30);
}

#[tokio::test]
async fn the_memory_log_drops_persisted_entries() {
    let log = Arc::new(MemWriteLog::new(1 << 30));
    let earliest = contract(log.as_ref(), || log.reader()).await;
    // Entry by entry: exactly what was persisted is gone.
    assert_eq!(earliest, 30);
    assert_eq!(log.earliest_offset(), 30);
    assert_eq!(log.len(), 31);
    let retained: usize = (30..61).map(|i| write(i).size_bytes()).sum();
    assert_eq!(log.used_bytes(), retained);
}
