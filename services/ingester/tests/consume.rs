//! The consume loop's rules, on a `MemWriteLog` reader, a `MemCatalog` and an in-memory store:
//! seek positions, replay without duplicates, dedup, day split, revoke, conflict, memory
//! pause/resume, lease publication.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod support;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use catalog::{Catalog, IngesterInfo, PersistCommit};
use ingester::{Identity, PersistSettings, Registration};
use support::{Bench, expected, lazy, lp, metric, script, wait_until};
use write_log::{LogEvent, LogPartition, LogReader, LogRecord, WriteLogError};

const APPLIED: &str = "quiver_ingester_records_applied_total";
const SKIPPED: &str = "quiver_ingester_records_skipped_total";
const PAUSED: &str = "quiver_ingester_paused";
const BUFFERED_ROWS: &str = "quiver_ingester_buffered_rows";
const CONFLICTS: &str = "quiver_ingester_persist_conflicts_total";

fn eager() -> PersistSettings {
    PersistSettings {
        max_age: Duration::from_millis(50),
        ..lazy()
    }
}

#[tokio::test]
async fn seeks_to_the_persisted_offset_plus_one() {
    let bench = Bench::new().await;
    for i in 0..7 {
        bench.write(&lp(i..i + 1)).await;
    }
    // Someone persisted records 0..=4 before (no rows: only the offset matters here).
    bench
        .catalog
        .commit_persist(PersistCommit {
            log_partition: 0,
            expected_offset: None,
            new_offset: 4,
            files: vec![],
        })
        .await
        .unwrap();
    let running = bench.start(lazy());
    wait_until("2 records applied", || async {
        metric(&running.metrics, APPLIED) == 2
    })
    .await;
    let (_, report) = running.stop().await;
    assert!(report.unpersisted_partitions.is_empty());
    assert_eq!(bench.persisted().await, Some(6));
    assert_eq!(
        bench.points().await,
        expected(5..7),
        "only records 5 and 6 were read"
    );
}

#[tokio::test]
async fn starts_at_zero_and_persists_on_age() {
    let bench = Bench::new().await;
    bench.write(&lp(0..10)).await;
    let running = bench.start(eager());
    wait_until("offset 0 persisted", || async {
        bench.persisted().await == Some(0)
    })
    .await;
    bench.write(&lp(10..20)).await;
    wait_until("offset 1 persisted", || async {
        bench.persisted().await == Some(1)
    })
    .await;
    assert_eq!(metric(&running.metrics, BUFFERED_ROWS), 0);
    running.stop().await;
    assert_eq!(bench.points().await, expected(0..20));
    let files = bench.files().await;
    assert_eq!(files.len(), 2, "one file per persist: {files:?}");
    assert_eq!((files[0].min_offset, files[0].max_offset), (0, 0));
    assert_eq!(bench.log.persisted_offset(), Some(1), "the log was told");
}

#[tokio::test]
async fn persists_on_row_threshold() {
    let bench = Bench::new().await;
    let running = bench.start(PersistSettings {
        max_rows: 25,
        ..lazy()
    });
    for i in 0..5 {
        bench.write(&lp(i * 10..i * 10 + 10)).await;
    }
    // 3 records (30 rows ≥ 25) trigger a persist; the last two stay buffered.
    wait_until("a persist by rows", || async {
        bench.persisted().await.is_some()
    })
    .await;
    wait_until("the rest buffered", || async {
        metric(&running.metrics, APPLIED) == 5
    })
    .await;
    let first = bench.persisted().await.unwrap();
    assert!(first >= 2, "persisted at {first}");
    running.stop().await;
    assert_eq!(
        bench.persisted().await,
        Some(4),
        "shutdown persisted the rest"
    );
    assert_eq!(bench.points().await, expected(0..50));
}

#[tokio::test]
async fn restart_replays_only_what_was_not_persisted() {
    let bench = Bench::new().await;
    bench.write(&lp(0..10)).await;
    bench.write(&lp(10..20)).await;
    let running = bench.start(lazy());
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 2
    })
    .await;
    running.stop().await;
    assert_eq!(bench.persisted().await, Some(1));
    let files_before = bench.files().await.len();

    bench.write(&lp(20..30)).await;
    let running = bench.start(lazy());
    wait_until("the new record applied", || async {
        metric(&running.metrics, APPLIED) == 1
    })
    .await;
    running.stop().await;
    assert_eq!(bench.persisted().await, Some(2));
    assert_eq!(bench.files().await.len(), files_before + 1);
    assert_eq!(bench.points().await, expected(0..30), "no point twice");
}

/// A reader that ignores the offset of `seek` and delivers every record from offset 0 once
/// sought (as a log that redelivers would): the ingester must skip what is already persisted.
struct FromZero {
    records: Vec<LogRecord>,
    next: usize,
    assigned: bool,
    sought: bool,
}

#[async_trait]
impl LogReader for FromZero {
    async fn next_event(&mut self) -> Result<LogEvent, WriteLogError> {
        if !self.assigned {
            self.assigned = true;
            return Ok(LogEvent::Assigned(vec![0]));
        }
        if !self.sought {
            // Nothing of an assigned partition is delivered before its seek (the contract).
            return std::future::pending().await;
        }
        match self.records.get(self.next) {
            Some(r) => {
                self.next += 1;
                Ok(LogEvent::Record(r.clone()))
            }
            None => std::future::pending().await,
        }
    }
    async fn seek(&mut self, _: LogPartition, _: u64) -> Result<(), WriteLogError> {
        self.sought = true;
        Ok(())
    }
    fn pause(&mut self) -> Result<(), WriteLogError> {
        Ok(())
    }
    fn resume(&mut self) -> Result<(), WriteLogError> {
        Ok(())
    }
    async fn persisted(&mut self, _: LogPartition, _: u64) -> Result<(), WriteLogError> {
        Ok(())
    }
}

#[tokio::test]
async fn records_at_or_below_the_persisted_offset_are_never_persisted_again() {
    let bench = Bench::new().await;
    for i in 0..4 {
        bench.write(&lp(i * 5..i * 5 + 5)).await;
    }
    let running = bench.start(lazy());
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 4
    })
    .await;
    running.stop().await;
    assert_eq!(bench.persisted().await, Some(3));
    bench.write(&lp(20..25)).await;

    let records = bench
        .log
        .entries()
        .into_iter()
        .map(|e| LogRecord {
            position: e.position,
            write: e.write,
        })
        .collect();
    let reader = FromZero {
        records,
        next: 0,
        assigned: false,
        sought: false,
    };
    let running = bench.start_with(reader, lazy(), None);
    wait_until("all delivered", || async {
        metric(&running.metrics, APPLIED) + metric(&running.metrics, SKIPPED) == 5
    })
    .await;
    assert_eq!(metric(&running.metrics, SKIPPED), 4);
    running.stop().await;
    assert_eq!(bench.persisted().await, Some(4));
    assert_eq!(bench.points().await, expected(0..25));
}

#[tokio::test]
async fn the_same_points_written_twice_are_persisted_once_with_the_last_values() {
    let bench = Bench::new().await;
    bench.write(&lp(0..10)).await;
    // Same series and times, new values for 0..5: last write wins.
    let rewrite: String = (0..5)
        .map(|i| format!("cpu,host=h{} v={}i {i}\n", i % 3, 100 + i))
        .collect();
    bench.write(&rewrite).await;
    bench.write(&lp(5..10)).await;
    let running = bench.start(lazy());
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 3
    })
    .await;
    running.stop().await;
    let mut want = expected(0..10);
    for p in want.iter_mut().filter(|p| p.1 < 5) {
        p.2 += 100;
    }
    want.sort();
    assert_eq!(bench.points().await, want);
    assert_eq!(bench.files().await[0].row_count, 10);
}

#[tokio::test]
async fn rows_of_several_days_go_to_one_file_per_day() {
    const DAY: i64 = 86_400_000_000_000;
    let bench = Bench::new().await;
    let body = format!(
        "cpu,host=a v=1i 5\ncpu,host=a v=2i {}\ncpu,host=b v=3i 7\n",
        DAY + 5
    );
    bench.write(&body).await;
    let running = bench.start(lazy());
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 1
    })
    .await;
    running.stop().await;
    let mut files = bench.files().await;
    files.sort_by(|a, b| a.partition_key.cmp(&b.partition_key));
    let keys: Vec<_> = files
        .iter()
        .map(|f| (f.partition_key.as_str(), f.row_count))
        .collect();
    assert_eq!(keys, [("1970-01-01", 2), ("1970-01-02", 1)]);
    assert_eq!(files[1].min_time_ns, DAY + 5);
}

#[tokio::test]
async fn revoked_partition_drops_its_buffer_and_the_next_assignment_replays() {
    let bench = Bench::new().await;
    let reader = bench.log.reader();
    let assignment = reader.assignment();
    bench.write(&lp(0..10)).await;
    bench.write(&lp(10..20)).await;
    let running = bench.start_with(reader, lazy(), None);
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 2
    })
    .await;
    assert_eq!(metric(&running.metrics, BUFFERED_ROWS), 20);

    assignment.revoke();
    wait_until("buffer dropped", || async {
        metric(&running.metrics, "quiver_ingester_partitions_owned") == 0
    })
    .await;
    assert_eq!(metric(&running.metrics, BUFFERED_ROWS), 0);
    assert_eq!(
        bench.persisted().await,
        None,
        "nothing persisted for a revoked partition"
    );

    bench.write(&lp(20..30)).await;
    assignment.assign();
    wait_until("replayed from 0", || async {
        metric(&running.metrics, APPLIED) == 5
    })
    .await;
    running.stop().await;
    assert_eq!(bench.persisted().await, Some(2));
    assert_eq!(bench.points().await, expected(0..30));
}

#[tokio::test]
async fn conflict_drops_the_buffer_and_replays_from_the_catalog_offset() {
    let bench = Bench::new().await;
    for i in 0..5 {
        bench.write(&lp(i * 10..i * 10 + 10)).await;
    }
    bench.store.close();
    let running = bench.start(eager());
    // The first persist is stuck writing Parquet; meanwhile "another ingester" commits 0..=2.
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 5
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    bench
        .catalog
        .commit_persist(PersistCommit {
            log_partition: 0,
            expected_offset: None,
            new_offset: 2,
            files: vec![],
        })
        .await
        .unwrap();
    bench.store.open();
    wait_until("conflict seen", || async {
        metric(&running.metrics, CONFLICTS) == 1
    })
    .await;
    wait_until("records 3 and 4 persisted again", || async {
        bench.persisted().await == Some(4)
    })
    .await;
    running.stop().await;
    assert_eq!(
        bench.points().await,
        expected(30..50),
        "only records after the other owner's offset are in our committed files"
    );
    assert!(
        bench.store.object_count().await > bench.files().await.len(),
        "the conflicting persist left orphan objects"
    );
}

#[tokio::test]
async fn pauses_over_the_memory_budget_and_resumes_after_persisting() {
    let bench = Bench::new().await;
    let one_record = {
        bench.write(&lp(0..10)).await;
        bench.log.used_bytes()
    };
    bench.store.close();
    let running = bench.start(PersistSettings {
        memory_budget: one_record * 3,
        ..eager()
    });
    for i in 1..20 {
        bench.write(&lp(i * 10..i * 10 + 10)).await;
    }
    wait_until("paused", || async { metric(&running.metrics, PAUSED) == 1 }).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let applied = metric(&running.metrics, APPLIED);
    assert!(
        applied < 20,
        "consuming stopped while paused ({applied} applied)"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        metric(&running.metrics, APPLIED),
        applied,
        "no progress while paused"
    );

    bench.store.open();
    wait_until("everything persisted", || async {
        bench.persisted().await == Some(19)
    })
    .await;
    assert_eq!(metric(&running.metrics, PAUSED), 0, "resumed");
    running.stop().await;
    assert_eq!(bench.points().await, expected(0..200));
}

#[tokio::test]
async fn publishes_its_partitions_under_a_lease_and_releases_it() {
    let bench = Bench::new().await;
    let reader = bench.log.reader();
    let assignment = reader.assignment();
    let registration = Registration {
        identity: Identity {
            id: "ing-1".into(),
            address: "http://127.0.0.1:8083".into(),
        },
        ttl: Duration::from_secs(3),
    };
    let running = bench.start_with(reader, lazy(), Some(registration));
    let catalog: Arc<dyn Catalog> = bench.catalog.clone();
    let published = |partitions: Vec<u32>| {
        let catalog = Arc::clone(&catalog);
        async move {
            catalog.ingesters().await.unwrap()
                == [IngesterInfo {
                    id: "ing-1".into(),
                    address: "http://127.0.0.1:8083".into(),
                    partitions,
                }]
        }
    };
    wait_until("registered with partition 0", || published(vec![0])).await;
    assignment.revoke();
    wait_until("updated after the revoke", || published(vec![])).await;
    running.stop().await;
    assert!(catalog.ingesters().await.unwrap().is_empty(), "released");
}

#[tokio::test]
async fn a_record_from_a_newer_writer_is_read_again_never_skipped() {
    let bench = Bench::new().await;
    let (script, reader) = script();
    let running = bench.start_with(reader, eager(), None);
    script.assign(&[0]);
    script.wait_sought(0).await;
    script.record(0, 0, bench.convert(&lp(0..3)).await);
    let newer = || WriteLogError::NewerFormat {
        partition: 0,
        offset: 1,
        reason: "record format version 9 (this build reads up to 1)".into(),
    };
    script.fail(newer());
    // Read before the seek back: dropped (the reader delivers it again after the newer record).
    script.record(0, 2, bench.convert(&lp(6..9)).await);
    script.fail(newer());
    wait_until("offset 0 persisted", || async {
        bench.persisted().await == Some(0)
    })
    .await;
    wait_until("two retries", || async {
        metric(
            &running.metrics,
            "quiver_ingester_records_newer_format_total",
        ) == 2
    })
    .await;
    wait_until("sought back twice", || async {
        script.seeks().iter().filter(|&&s| s == (0, 1)).count() == 2
    })
    .await;
    assert_eq!(
        metric(&running.metrics, APPLIED),
        1,
        "nothing after the newer record"
    );
    // Then the (upgraded) reader delivers it, and the partition goes on.
    script.record(0, 1, bench.convert(&lp(3..6)).await);
    script.record(0, 2, bench.convert(&lp(6..9)).await);
    wait_until("offset 2 persisted", || async {
        bench.persisted().await == Some(2)
    })
    .await;
    running.stop().await;
    assert_eq!(bench.points().await, expected(0..9));
}
