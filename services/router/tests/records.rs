//! Records per request over real HTTP: the router cuts each log partition's rows of one request
//! into records of at most 100 (table, UTC day) groups, appends them in order, and answers 204
//! only after every ack; a failure midway is a 503 and the retry lands everything.
//!
//! ```text
//! POST /api/v2/write (250 tables × 1 day | 1 table × 300 days | …)
//!   ──► router ──► MemWriteLog (one partition)  or  PartitionedLog (one MemWriteLog per partition)
//!   ──► read back every record: groups per record ≤ 100, each (table, day) in one record,
//!       every row exactly once, records of a partition in ascending day order
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

#[path = "support/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{Array, AsArray, TimestampNanosecondArray};
use arrow::datatypes::Int64Type;
use async_trait::async_trait;
use common::*;
use write_log::{LogPartition, LogPosition, LogWrite, MemWriteLog, WriteLog, WriteLogError};

const DAY_NS: i64 = 86_400_000_000_000;
/// 2024-01-01T00:00:00Z.
const BASE_NS: i64 = 1_704_067_200_000_000_000;
/// The router's cap (services/router/src/write/records.rs).
const MAX_GROUPS: usize = 100;
const WRITE: &str = "/api/v2/write?bucket=mydb&precision=ns";

/// A log of several partitions, each an in-memory log; can refuse one append (0-based count
/// over all partitions) with "broker down".
#[derive(Debug)]
struct PartitionedLog {
    partitions: Vec<Arc<MemWriteLog>>,
    refuse: Option<usize>,
    calls: AtomicUsize,
}

impl PartitionedLog {
    fn new(partitions: usize, refuse: Option<usize>) -> Arc<Self> {
        Arc::new(Self {
            partitions: (0..partitions)
                .map(|_| Arc::new(MemWriteLog::new(1 << 30)))
                .collect(),
            refuse,
            calls: AtomicUsize::new(0),
        })
    }

    /// The records of every partition, in offset order.
    fn records(&self) -> BTreeMap<LogPartition, Vec<LogWrite>> {
        self.partitions
            .iter()
            .enumerate()
            .map(|(p, log)| {
                let writes = log.entries().into_iter().map(|e| e.write).collect();
                (p as LogPartition, writes)
            })
            .collect()
    }
}

#[async_trait]
impl WriteLog for PartitionedLog {
    fn partition_count(&self) -> u32 {
        self.partitions.len() as u32
    }

    async fn append(
        &self,
        partition: LogPartition,
        write: LogWrite,
    ) -> Result<LogPosition, WriteLogError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if self.refuse == Some(call) {
            return Err(WriteLogError::Unavailable("broker down".into()));
        }
        let log = &self.partitions[partition as usize];
        let position = log.append(0, write).await?;
        Ok(LogPosition {
            partition,
            offset: position.offset,
        })
    }

    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, WriteLogError> {
        let mut out = BTreeMap::new();
        for (p, log) in self.partitions.iter().enumerate() {
            out.insert(p as LogPartition, log.high_watermarks().await?[&0]);
        }
        Ok(out)
    }

    async fn flush(&self) -> Result<(), WriteLogError> {
        Ok(())
    }
}

/// (table, v, time) of one row.
type Row = (String, i64, i64);

/// The (table, day) groups of a record.
fn groups(write: &LogWrite) -> BTreeSet<(String, i64)> {
    record_rows(write)
        .into_iter()
        .map(|(table, _, time)| (table, time.div_euclid(DAY_NS)))
        .collect()
}

/// Every row of a record.
fn record_rows(write: &LogWrite) -> Vec<Row> {
    let mut out = Vec::new();
    for (table, batch) in &write.tables {
        let v = batch
            .column_by_name("v")
            .unwrap()
            .as_primitive::<Int64Type>();
        let times = batch.column_by_name("time").unwrap();
        let times = times
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>()
            .unwrap();
        for row in 0..batch.num_rows() {
            assert!(!v.is_null(row));
            out.push((table.clone(), v.value(row), times.value(row)));
        }
    }
    out
}

/// Checks the cap and that no (table, day) group is in two records of one partition.
fn check_groups(records: &[LogWrite]) -> Vec<usize> {
    let mut owner = BTreeMap::new();
    let mut sizes = Vec::new();
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.database, "mydb");
        let g = groups(record);
        assert!(g.len() <= MAX_GROUPS, "record {i} has {} groups", g.len());
        for group in &g {
            let first = *owner.entry(group.clone()).or_insert(i);
            assert_eq!(first, i, "{group:?} in records {first} and {i}");
        }
        sizes.push(g.len());
    }
    sizes
}

fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort();
    rows
}

/// Line protocol for `rows` and the rows it must land as.
fn body(rows: &[Row]) -> String {
    rows.iter()
        .map(|(table, v, time)| format!("{table},host=h{} v={v}i {time}\n", v % 7))
        .collect()
}

/// `tables` tables with two rows each on 2024-01-01.
fn tables_of_one_day(tables: usize) -> Vec<Row> {
    (0..tables)
        .flat_map(|t| {
            let name = format!("t{t:03}");
            [
                (name.clone(), 2 * t as i64, BASE_NS + t as i64),
                (name, 2 * t as i64 + 1, BASE_NS + 3_600_000_000_000),
            ]
        })
        .collect()
}

/// One table `cpu` with `per_day` rows on each of `days` days from 2024-01-01, written in
/// descending day order (a backfill in any order).
fn one_table_over_days(days: i64, per_day: i64) -> Vec<Row> {
    (0..days)
        .rev()
        .flat_map(|d| {
            (0..per_day).map(move |i| ("cpu".to_owned(), d * per_day + i, BASE_NS + d * DAY_NS + i))
        })
        .collect()
}

async fn write_ok(s: &TestServer, rows: &[Row]) {
    let a = s.write(WRITE, OPERATOR, &body(rows)).await;
    assert_eq!(a.status, 204, "{}", a.body);
}

#[tokio::test]
async fn many_tables_of_one_day_are_cut_into_records_of_100() {
    let s = TestServer::start().await;
    let rows = tables_of_one_day(250);
    write_ok(&s, &rows).await;
    let records: Vec<LogWrite> = s.log.entries().into_iter().map(|e| e.write).collect();
    assert_eq!(check_groups(&records), [100, 100, 50]);
    let tables: Vec<usize> = records.iter().map(|r| r.tables.len()).collect();
    assert_eq!(tables, [100, 100, 50], "whole tables per record");
    let landed = sorted(records.iter().flat_map(record_rows).collect());
    assert_eq!(landed, sorted(rows), "every row exactly once");
}

#[tokio::test]
async fn one_table_over_300_days_is_cut_between_whole_days() {
    let s = TestServer::start().await;
    let rows = one_table_over_days(300, 3);
    write_ok(&s, &rows).await;
    let records: Vec<LogWrite> = s.log.entries().into_iter().map(|e| e.write).collect();
    assert_eq!(check_groups(&records), [100, 100, 100]);
    for (i, record) in records.iter().enumerate() {
        let days: BTreeSet<i64> = groups(record).into_iter().map(|(_, d)| d).collect();
        let first = BASE_NS / DAY_NS + 100 * i as i64;
        assert_eq!(
            days,
            (first..first + 100).collect(),
            "record {i}: ascending days"
        );
    }
    let landed = sorted(records.iter().flat_map(record_rows).collect());
    assert_eq!(landed, sorted(rows));
}

#[tokio::test]
async fn up_to_100_groups_stay_one_record() {
    let s = TestServer::start().await;
    write_ok(&s, &tables_of_one_day(1)).await;
    assert_eq!(s.log.len(), 1, "one table, one day: one record");
    write_ok(&s, &tables_of_one_day(100)).await;
    assert_eq!(s.log.len(), 2, "100 groups: one record");
    write_ok(&s, &one_table_over_days(100, 2)).await;
    assert_eq!(s.log.len(), 3, "one table over 100 days: one record");
    write_ok(&s, &one_table_over_days(101, 2)).await;
    assert_eq!(s.log.len(), 5, "101 days: two records");
    let records: Vec<LogWrite> = s.log.entries().into_iter().map(|e| e.write).collect();
    assert_eq!(check_groups(&records[3..]), [100, 1]);
}

#[tokio::test]
async fn every_partition_is_cut_on_its_own_in_day_order() {
    let log = PartitionedLog::new(4, None);
    let s = TestServer::with(Options {
        log: Some(log.clone() as Arc<dyn WriteLog>),
        ..Options::default()
    })
    .await;
    // 300 days × 28 rows: hosts h0..h6 on every day, so every partition gets rows of every day.
    let rows = one_table_over_days(300, 28);
    write_ok(&s, &rows).await;
    let records = log.records();
    let mut landed = Vec::new();
    let mut touched = 0;
    for (partition, writes) in &records {
        if writes.is_empty() {
            continue;
        }
        touched += 1;
        assert_eq!(
            check_groups(writes),
            [100, 100, 100],
            "partition {partition}"
        );
        for (i, record) in writes.iter().enumerate() {
            let days: BTreeSet<i64> = groups(record).into_iter().map(|(_, d)| d).collect();
            let first = BASE_NS / DAY_NS + 100 * i as i64;
            assert_eq!(
                days,
                (first..first + 100).collect(),
                "partition {partition}"
            );
        }
        landed.extend(writes.iter().flat_map(record_rows));
    }
    assert!(touched >= 2, "7 series spread over partitions: {touched}");
    assert_eq!(sorted(landed), sorted(rows), "every row exactly once");
}

#[tokio::test]
async fn a_failure_after_some_acks_is_a_503_and_the_retry_lands_everything() {
    // The second record of the request is refused: the first is already in the log.
    let log = PartitionedLog::new(1, Some(1));
    let s = TestServer::with(Options {
        log: Some(log.clone() as Arc<dyn WriteLog>),
        ..Options::default()
    })
    .await;
    let rows = one_table_over_days(250, 2);
    let a = s.write(WRITE, OPERATOR, &body(&rows)).await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert_eq!(a.header("retry-after"), Some("1"));
    assert_eq!(
        a.json(),
        error_body(
            "unavailable",
            "write log unavailable: broker down; 1 of 1 log partitions did not confirm the \
             write, so part of it may already be in the log: retrying the whole write is safe \
             (last write wins per point)",
            None
        )
    );
    assert_eq!(
        log.records()[&0].len(),
        1,
        "no record after the refused one"
    );

    write_ok(&s, &rows).await;
    let writes = &log.records()[&0];
    assert_eq!(writes.len(), 4);
    assert_eq!(check_groups(&writes[1..]), [100, 100, 50]);
    let landed: Vec<Row> = writes[1..].iter().flat_map(record_rows).collect();
    assert_eq!(
        sorted(landed),
        sorted(rows.clone()),
        "the retry carries all"
    );
    // The first attempt's record duplicates rows of the retry (deduplicated by key later).
    let distinct: BTreeSet<Row> = writes.iter().flat_map(record_rows).collect();
    assert_eq!(distinct, rows.into_iter().collect());
}
