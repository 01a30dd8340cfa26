//! The cap on files per persist (`catalog::MAX_FILES_PER_PERSIST`): a buffer is persisted before
//! a record would take it over the cap; while a persist of the partition runs, its records wait
//! in order and the other partitions keep being consumed; a record over the cap on its own is
//! still persisted whole.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use catalog::MAX_FILES_PER_PERSIST;
use query::unpersisted::{UnpersistedError, UnpersistedRequest, UnpersistedSource};
use support::{Bench, Point, lazy, lp, metric, script, wait_until};

const APPLIED: &str = "quiver_ingester_records_applied_total";
const DAY: i64 = 86_400_000_000_000;
// The tests below write 100 days per record: two such records exceed the cap, one does not.
const _: () = assert!(MAX_FILES_PER_PERSIST >= 100 && MAX_FILES_PER_PERSIST < 150);

/// One point of host `host` on each day of `days` (time = the day's midnight, v = the day).
fn days(days: std::ops::Range<i64>, host: &str) -> String {
    days.map(|d| format!("cpu,host={host} v={d}i {}\n", d * DAY))
        .collect()
}

fn day_points(days: std::ops::Range<i64>, host: &str) -> Vec<Point> {
    days.map(|d| (host.to_owned(), d * DAY, d)).collect()
}

/// Files per (min offset, max offset) of the catalog's file records.
async fn files_by_offsets(bench: &Bench) -> BTreeMap<(u64, u64), usize> {
    let mut by = BTreeMap::new();
    for f in bench.files().await {
        *by.entry((f.min_offset, f.max_offset)).or_default() += 1;
    }
    by
}

fn request(partition: u32, min_offset: u64, wait_ms: u64) -> UnpersistedRequest {
    UnpersistedRequest::new(
        "db",
        "cpu",
        [(partition, Some(min_offset))],
        Duration::from_millis(wait_ms),
    )
}

#[tokio::test]
async fn a_record_that_would_exceed_the_cap_is_persisted_after_the_buffer() {
    let bench = Bench::new().await;
    bench.write(&days(0..100, "a")).await;
    // 50 days already buffered + 50 new ones: 150 keys > the cap.
    bench.write(&days(50..150, "b")).await;
    let running = bench.start(lazy());
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 2
    })
    .await;
    wait_until("the first buffer persisted", || async {
        bench.persisted().await == Some(0)
    })
    .await;
    running.stop().await;
    assert_eq!(bench.persisted().await, Some(1));
    assert_eq!(
        files_by_offsets(&bench).await,
        BTreeMap::from([((0, 0), 100), ((1, 1), 100)]),
        "two commits of 100 files, none mixing the records"
    );
    let mut want = day_points(0..100, "a");
    want.extend(day_points(50..150, "b"));
    want.sort();
    assert_eq!(bench.points().await, want);
}

#[tokio::test]
async fn a_full_partition_waits_for_its_persist_while_others_go_on() {
    let bench = Bench::new().await;
    let (script, reader) = script();
    let running = bench.start_with(reader, lazy(), None);
    script.assign(&[0, 1]);
    script.wait_sought(0).await;
    script.wait_sought(1).await;
    let (r0, r1, r2) = (
        bench.convert(&days(0..100, "a")).await,
        bench.convert(&days(100..200, "b")).await,
        bench.convert(&days(200..300, "c")).await,
    );
    bench.store.close();
    // Record 1 fills the cap: record 0 is persisted (held by the store), record 1 buffered.
    // Record 2 would take the new buffer over the cap while that persist runs: it waits.
    script.record(0, 0, r0);
    script.record(0, 1, r1);
    script.record(0, 2, r2);
    script.record(1, 0, bench.convert(&lp(0..3)).await);
    wait_until("partition 1 applied", || async {
        metric(&running.metrics, APPLIED) == 3
    })
    .await;

    let p1 = running
        .query
        .unpersisted(request(1, 0, 5_000))
        .await
        .unwrap();
    assert_eq!(
        p1.partitions[0].applied,
        Some(0),
        "partition 1 is not held up"
    );
    let waiting = running.query.unpersisted(request(0, 2, 300)).await;
    assert!(
        matches!(
            waiting,
            Err(UnpersistedError::Timeout {
                partition: 0,
                wanted: 2,
                applied: Some(1),
                ..
            })
        ),
        "{waiting:?}"
    );
    let p0 = running
        .query
        .unpersisted(request(0, 1, 5_000))
        .await
        .unwrap();
    let rows: usize = p0.partitions[0]
        .chunks
        .iter()
        .map(|c| c.batch.num_rows())
        .sum();
    assert_eq!(rows, 200, "records 0 (persisting) and 1 (buffered)");

    bench.store.open();
    let p0 = running
        .query
        .unpersisted(request(0, 2, 10_000))
        .await
        .unwrap();
    assert_eq!(p0.partitions[0].applied, Some(2));
    running.stop().await;
    assert_eq!(bench.persisted().await, Some(2));
    let by = files_by_offsets(&bench).await;
    assert_eq!(
        by,
        BTreeMap::from([((0, 0), 101), ((1, 1), 100), ((2, 2), 100)]),
        "one commit per record on partition 0 (+ partition 1's file at offset 0)"
    );
    let mut want = day_points(0..300, "a");
    for p in &mut want {
        p.0 = ["a", "b", "c"][(p.2 / 100) as usize].to_owned();
    }
    want.extend(support::expected(0..3));
    want.sort();
    assert_eq!(bench.points().await, want);
}

#[tokio::test]
async fn a_record_over_the_cap_on_its_own_is_persisted_whole() {
    let keys = MAX_FILES_PER_PERSIST as i64 + 10;
    let bench = Bench::new().await;
    bench.write(&days(0..keys, "a")).await;
    let running = bench.start(lazy());
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 1
    })
    .await;
    running.stop().await;
    assert_eq!(bench.persisted().await, Some(0));
    assert_eq!(
        files_by_offsets(&bench).await,
        BTreeMap::from([((0, 0), keys as usize)]),
        "nothing skipped (the etcd catalog would refuse this commit and it would be retried)"
    );
}
