//! The in-process query API (`Ingester::query_handle`): buffered and persisting rows, waiting for
//! an offset, timeouts, ownership, projection, time bounds, partition keys, and the agreement of
//! `applied` with the rows while records and persists race the queries.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use arrow::array::{Array, TimestampNanosecondArray};
use arrow::record_batch::RecordBatch;
use ingester::{IngesterQuery, LocalDirectory, PersistSettings};
use query::TimeBounds;
use query::unpersisted::{
    IngesterDirectory, UnpersistedAnswer, UnpersistedError, UnpersistedRequest, UnpersistedSource,
};
use support::{Bench, Point, batch_points, expected, lazy, lp, metric, wait_until};

const APPLIED: &str = "quiver_ingester_records_applied_total";
const DAY: i64 = 86_400_000_000_000;

fn request(partitions: &[(u32, Option<u64>)], wait_ms: u64) -> UnpersistedRequest {
    UnpersistedRequest::new(
        "db",
        "cpu",
        partitions.iter().copied(),
        Duration::from_millis(wait_ms),
    )
}

/// Every point of the answer, sorted.
fn points(answer: &UnpersistedAnswer) -> Vec<Point> {
    let mut points: Vec<Point> = answer
        .partitions
        .iter()
        .flat_map(|p| &p.chunks)
        .flat_map(|c| batch_points(&c.batch))
        .collect();
    points.sort();
    points
}

/// The `time` values of a batch, in row order.
fn times(batch: &RecordBatch) -> Vec<i64> {
    let t = batch.column_by_name("time").expect("time column");
    let t = t
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .unwrap();
    (0..t.len()).map(|i| t.value(i)).collect()
}

async fn ask(query: &IngesterQuery, r: UnpersistedRequest) -> UnpersistedAnswer {
    query.unpersisted(r).await.expect("answer")
}

/// Waits until the ingester got partition 0 from its reader (before, queries are NotOwned).
async fn owned(query: &IngesterQuery) {
    wait_until("partition 0 assigned", || async {
        query.partitions() == [0]
    })
    .await;
}

#[tokio::test]
async fn answers_the_buffered_rows_with_the_offset_they_cover() {
    let bench = Bench::new().await;
    bench.write(&lp(0..5)).await;
    bench.write(&lp(5..10)).await;
    let running = bench.start(lazy());
    owned(&running.query).await;
    let answer = ask(&running.query, request(&[(0, Some(1))], 5_000)).await;
    assert_eq!(answer.partitions.len(), 1);
    let p = &answer.partitions[0];
    assert_eq!((p.partition, p.applied), (0, Some(1)));
    assert!(p.chunks.iter().all(|c| c.partition_key == "1970-01-01"));
    assert_eq!(points(&answer), expected(0..10));

    // Another table of the same partition: the offset, no rows.
    let mut other = request(&[(0, None)], 0);
    other.table = "mem".into();
    let answer = ask(&running.query, other).await;
    assert_eq!(answer.partitions[0].applied, Some(1));
    assert!(answer.partitions[0].chunks.is_empty());
    running.stop().await;
}

#[tokio::test]
async fn waits_until_the_offset_is_applied() {
    let bench = Bench::new().await;
    let running = bench.start(lazy());
    owned(&running.query).await;
    let query = running.query.clone();
    let waiting =
        tokio::spawn(async move { query.unpersisted(request(&[(0, Some(1))], 10_000)).await });
    bench.write(&lp(0..3)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "offset 1 is not in the log yet");
    bench.write(&lp(3..6)).await;
    let answer = waiting.await.unwrap().unwrap();
    assert_eq!(answer.partitions[0].applied, Some(1));
    assert_eq!(points(&answer), expected(0..6));
    running.stop().await;
}

#[tokio::test]
async fn times_out_with_what_was_applied() {
    let bench = Bench::new().await;
    bench.write(&lp(0..1)).await;
    let running = bench.start(lazy());
    owned(&running.query).await;
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 1
    })
    .await;
    let started = Instant::now();
    let error = running
        .query
        .unpersisted(request(&[(0, Some(3))], 300))
        .await
        .unwrap_err();
    let waited = started.elapsed();
    let UnpersistedError::Timeout {
        partition,
        wanted,
        applied,
        waited_ms,
    } = error
    else {
        panic!("expected a timeout, got {error:?}");
    };
    assert_eq!((partition, wanted, applied), (0, 3, Some(0)));
    assert!((300..2_000).contains(&waited_ms), "waited {waited_ms} ms");
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    running.stop().await;
}

#[tokio::test]
async fn a_partition_it_does_not_own_is_refused_at_once() {
    let bench = Bench::new().await;
    bench.write(&lp(0..1)).await;
    let running = bench.start(lazy());
    owned(&running.query).await;
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 1
    })
    .await;
    let started = Instant::now();
    let error = running
        .query
        .unpersisted(request(&[(0, None), (3, Some(0))], 5_000))
        .await
        .unwrap_err();
    assert_eq!(error, UnpersistedError::NotOwned { partition: 3 });
    assert!(started.elapsed() < Duration::from_secs(1));
    let (_, report) = running.stop().await;
    assert!(report.unpersisted_partitions.is_empty());
}

#[tokio::test]
async fn a_partition_revoked_during_the_wait_is_not_owned() {
    let bench = Bench::new().await;
    let reader = bench.log.reader();
    let assignment = reader.assignment();
    bench.write(&lp(0..1)).await;
    let running = bench.start_with(reader, lazy(), None);
    owned(&running.query).await;
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 1
    })
    .await;
    let query = running.query.clone();
    let waiting =
        tokio::spawn(async move { query.unpersisted(request(&[(0, Some(5))], 10_000)).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let revoked = Instant::now();
    assignment.revoke();
    let error = waiting.await.unwrap().unwrap_err();
    assert_eq!(error, UnpersistedError::NotOwned { partition: 0 });
    assert!(revoked.elapsed() < Duration::from_secs(2));
    // Assigned again: it replays from the catalog and answers.
    assignment.assign();
    owned(&running.query).await;
    let answer = ask(&running.query, request(&[(0, Some(0))], 5_000)).await;
    assert_eq!(points(&answer), expected(0..1));
    running.stop().await;
}

#[tokio::test]
async fn only_the_requested_columns_and_rows_in_the_time_bounds_and_tag_values() {
    let bench = Bench::new().await;
    bench.write(&lp(0..10)).await;
    let running = bench.start(lazy());
    owned(&running.query).await;

    let mut some = request(&[(0, Some(0))], 5_000);
    some.columns = Some(vec!["time".into(), "host".into(), "absent".into()]);
    let answer = ask(&running.query, some).await;
    let chunks = &answer.partitions[0].chunks;
    assert!(!chunks.is_empty());
    for c in chunks {
        let names: Vec<_> = c
            .batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["host", "time"], "batch order, requested ∩ present");
    }
    let rows: usize = chunks.iter().map(|c| c.batch.num_rows()).sum();
    assert_eq!(rows, 10);

    let mut none = request(&[(0, Some(0))], 5_000);
    none.columns = Some(vec![]);
    let answer = ask(&running.query, none).await;
    let chunks = &answer.partitions[0].chunks;
    assert!(chunks.iter().all(|c| c.batch.num_columns() == 0));
    assert_eq!(chunks.iter().map(|c| c.batch.num_rows()).sum::<usize>(), 10);

    let mut bounded = request(&[(0, Some(0))], 5_000);
    bounded.time_bounds = TimeBounds {
        min: Some(3),
        max: Some(6),
    };
    let answer = ask(&running.query, bounded).await;
    assert_eq!(points(&answer), expected(3..7));

    let mut outside = request(&[(0, Some(0))], 5_000);
    outside.time_bounds = TimeBounds {
        min: Some(100),
        max: None,
    };
    let answer = ask(&running.query, outside).await;
    assert!(answer.partitions[0].chunks.is_empty());
    assert_eq!(answer.partitions[0].applied, Some(0));

    // Tag restrictions (host = 'h1' / host IN ('h0', 'h2')), with time bounds together.
    let mut tagged = request(&[(0, Some(0))], 5_000);
    tagged.tags = [("host".to_owned(), vec!["h1".to_owned()])].into();
    let answer = ask(&running.query, tagged.clone()).await;
    let h1: Vec<_> = expected(0..10)
        .into_iter()
        .filter(|p| p.0 == "h1")
        .collect();
    assert_eq!(points(&answer), h1);
    tagged.tags = [("host".to_owned(), vec!["h0".to_owned(), "h2".to_owned()])].into();
    tagged.time_bounds = TimeBounds {
        min: Some(2),
        max: None,
    };
    let answer = ask(&running.query, tagged.clone()).await;
    let h0_h2: Vec<_> = expected(2..10)
        .into_iter()
        .filter(|p| p.0 != "h1")
        .collect();
    assert_eq!(points(&answer), h0_h2);
    // No row has the value, or the tag column does not exist: nothing is sent.
    for (tag, value) in [("host", "h9"), ("region", "eu")] {
        tagged.tags = [(tag.to_owned(), vec![value.to_owned()])].into();
        let answer = ask(&running.query, tagged.clone()).await;
        assert!(answer.partitions[0].chunks.is_empty(), "{tag}={value}");
        assert_eq!(answer.partitions[0].applied, Some(0));
    }
    running.stop().await;
}

#[tokio::test]
async fn each_chunk_carries_its_partition_key() {
    let bench = Bench::new().await;
    bench
        .write(&format!(
            "cpu,host=a v=1i 5\ncpu,host=a v=2i {}\ncpu,host=b v=3i 7\n",
            DAY + 5
        ))
        .await;
    let running = bench.start(lazy());
    owned(&running.query).await;
    let answer = ask(&running.query, request(&[(0, Some(0))], 5_000)).await;
    let mut by_key: Vec<(String, Vec<i64>)> = answer.partitions[0]
        .chunks
        .iter()
        .map(|c| (c.partition_key.clone(), times(&c.batch)))
        .collect();
    by_key.sort();
    assert_eq!(
        by_key,
        [
            ("1970-01-01".to_owned(), vec![5, 7]),
            ("1970-01-02".to_owned(), vec![DAY + 5])
        ]
    );
    running.stop().await;
}

#[tokio::test]
async fn rows_being_persisted_come_first_and_leave_once_committed() {
    let bench = Bench::new().await;
    // Record 0 (day 2) is snapshotted by a persist that cannot write; record 1 (day 1) stays in
    // the buffer. Snapshot first means day 2 before day 1 (a buffer lists keys in order).
    bench.write(&format!("cpu,host=a v=1i {}\n", DAY + 1)).await;
    bench.store.close();
    let running = bench.start(PersistSettings {
        max_age: Duration::from_millis(50),
        ..lazy()
    });
    owned(&running.query).await;
    wait_until("a persist holds record 0", || async {
        bench.store.held_writes() > 0
    })
    .await;
    bench.write("cpu,host=a v=2i 2\n").await;
    let answer = ask(&running.query, request(&[(0, Some(1))], 5_000)).await;
    let order: Vec<(&str, Vec<i64>)> = answer.partitions[0]
        .chunks
        .iter()
        .map(|c| (c.partition_key.as_str(), times(&c.batch)))
        .collect();
    assert_eq!(
        order,
        [("1970-01-02", vec![DAY + 1]), ("1970-01-01", vec![2])]
    );
    assert_eq!(answer.partitions[0].applied, Some(1));
    assert_eq!(bench.persisted().await, None, "nothing committed yet");

    bench.store.open();
    wait_until("both records persisted", || async {
        bench.persisted().await == Some(1)
    })
    .await;
    let answer = ask(&running.query, request(&[(0, Some(1))], 5_000)).await;
    assert_eq!(
        answer.partitions[0].applied,
        Some(1),
        "still answered up to 1"
    );
    assert!(
        answer.partitions[0].chunks.is_empty(),
        "persisted rows are the files' now"
    );
    running.stop().await;
}

/// SIGTERM: the ingester stops reading, then persists what it buffered — which may take long.
/// It will never apply a record it has not read by then, so a query waiting for one is sent on
/// at once (NotOwned: the querier asks the directory again, and waits for the next owner up to
/// its deadline) instead of waiting here until the query's wait runs out and failing with a
/// timeout; what it applied is still answered until it lets go of its partitions.
#[tokio::test]
async fn a_stopping_ingester_sends_queries_for_what_it_never_read_on_at_once() {
    let bench = Bench::new().await;
    bench.write(&lp(0..3)).await;
    let running = bench.start(lazy());
    owned(&running.query).await;
    wait_until("applied", || async {
        metric(&running.metrics, APPLIED) == 1
    })
    .await;
    // The shutdown's persist cannot write: the ingester stays in its drain.
    bench.store.close();
    let query = running.query.clone();
    let stopping = tokio::spawn(running.stop());
    wait_until("the shutdown persist holds", || async {
        bench.store.held_writes() > 0
    })
    .await;
    bench.write(&lp(3..6)).await;

    let started = Instant::now();
    let error = query
        .unpersisted(request(&[(0, Some(1))], 5_000))
        .await
        .unwrap_err();
    assert_eq!(error, UnpersistedError::NotOwned { partition: 0 });
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused after {:?}, not at once",
        started.elapsed()
    );
    // What it applied is still answered from the persist's snapshot.
    let answer = ask(&query, request(&[(0, Some(0))], 5_000)).await;
    assert_eq!(answer.partitions[0].applied, Some(0));
    assert_eq!(points(&answer), expected(0..3));

    bench.store.open();
    let (_, report) = stopping.await.unwrap();
    assert!(report.unpersisted_partitions.is_empty());
    assert_eq!(bench.persisted().await, Some(0));
    let error = query
        .unpersisted(request(&[(0, Some(0))], 5_000))
        .await
        .unwrap_err();
    assert_eq!(error, UnpersistedError::NotOwned { partition: 0 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_always_matches_the_rows_while_records_and_persists_race() {
    const RECORDS: i64 = 200;
    let bench = Bench::new().await;
    let running = bench.start(PersistSettings {
        max_rows: 7,
        ..lazy()
    });
    owned(&running.query).await;
    let write = async {
        for i in 0..RECORDS {
            bench.write(&lp(i..i + 1)).await;
            if i % 10 == 0 {
                tokio::task::yield_now().await;
            }
        }
    };
    let check = async {
        let mut answers = 0;
        loop {
            let answer = ask(&running.query, request(&[(0, None)], 0)).await;
            let persisted_after = bench.persisted().await;
            let p = &answer.partitions[0];
            let mut got: Vec<i64> = p.chunks.iter().flat_map(|c| times(&c.batch)).collect();
            let distinct: BTreeSet<i64> = got.iter().copied().collect();
            assert_eq!(distinct.len(), got.len(), "no row twice: {got:?}");
            got.sort_unstable();
            // Record i holds exactly time i: the rows are the records (k ..= applied) for the
            // k after the last committed persist.
            match (p.applied, got.first()) {
                (None, _) => assert!(got.is_empty()),
                (Some(applied), Some(&first)) => {
                    let want: Vec<i64> = (first..=applied as i64).collect();
                    assert_eq!(got, want, "applied {applied}");
                    if first > 0 {
                        assert!(
                            persisted_after.is_some_and(|o| o as i64 + 1 >= first),
                            "rows before {first} are missing but persisted is {persisted_after:?}"
                        );
                    }
                }
                (Some(applied), None) => assert!(
                    persisted_after.is_some_and(|o| o >= applied),
                    "no rows up to {applied} but persisted is {persisted_after:?}"
                ),
            }
            answers += 1;
            if p.applied == Some(RECORDS as u64 - 1) {
                return answers;
            }
            tokio::task::yield_now().await;
        }
    };
    let ((), answers) = tokio::join!(write, check);
    assert!(answers > 10, "only {answers} answers raced the writes");
    running.stop().await;
    assert_eq!(bench.points().await, expected(0..RECORDS));
}

#[tokio::test]
async fn the_local_directory_lists_the_ingester_and_its_partitions() {
    let bench = Bench::new().await;
    bench.write(&lp(0..2)).await;
    let running = bench.start(lazy());
    owned(&running.query).await;
    let directory = LocalDirectory::new("serve", running.query.clone());
    wait_until("partition owned", || async {
        directory.ingesters().await.unwrap()[0].partitions == [0]
    })
    .await;
    let handles = directory.ingesters().await.unwrap();
    assert_eq!(handles.len(), 1);
    assert_eq!(handles[0].id, "serve");
    let answer = handles[0]
        .source
        .unpersisted(request(&[(0, Some(0))], 5_000))
        .await
        .unwrap();
    assert_eq!(points(&answer), expected(0..2));
    running.stop().await;
    assert!(
        directory.ingesters().await.unwrap()[0]
            .partitions
            .is_empty(),
        "a stopped ingester owns nothing"
    );
    let error = handles[0]
        .source
        .unpersisted(request(&[(0, None)], 100))
        .await
        .unwrap_err();
    assert_eq!(error, UnpersistedError::NotOwned { partition: 0 });
}
