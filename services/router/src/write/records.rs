//! Step 8b: cut one partition's rows of a request into log records of at most
//! [`MAX_GROUPS_PER_RECORD`] (table, UTC day) groups. An ingester persists one Parquet file per
//! (database, table, day) of what it buffered and commits them in one catalog transaction
//! (etcd takes at most 127 operations); a bounded record keeps that commit bounded even for a
//! backfill of many tables or days.
//!
//! ```text
//! [(table, batch)] of one partition ──► per table: UTC days of `time` (day = ns.div_euclid(1 d))
//!   ├─ ≤ 100 groups in all ──► Records::One(the tables unchanged)   (common case: no allocation)
//!   └─ more ──► groups in order (tables as given, days ascending) ──► 100 per record
//!          ──► per record and table: the batch unchanged if all its days are there, else
//!              take() of the rows of its days there (row order kept) ──► Records::Split
//! ```
//!
//! The day function is the ingester's partition key (`services/ingester/src/partition_key.rs`):
//! both must agree, or a record could hold more groups than counted here. A table's rows of one
//! day are never split across records.

use arrow::array::{Array, TimestampNanosecondArray, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use schema::TIME_COLUMN_NAME;

/// Most (table, UTC day) groups one log record carries.
pub(super) const MAX_GROUPS_PER_RECORD: usize = 100;

/// Nanoseconds in a day.
const DAY_NS: i64 = 86_400_000_000_000;

/// Batches per table, in request order: the content of one log record.
pub(super) type Tables = Vec<(String, RecordBatch)>;

/// Why a partition's rows cannot be cut into records.
#[derive(Debug, thiserror::Error)]
pub enum RecordSplitError {
    /// The batch has no usable `time` column (the converter always makes one).
    #[error("table {table}: no non-null `time` column of type Timestamp(ns)")]
    NoTimeColumn {
        /// The table.
        table: String,
    },
    /// A batch has more rows than a u32 row index can address.
    #[error("table {table}: {rows} rows are too many for one batch")]
    TooManyRows {
        /// The table.
        table: String,
        /// Its rows.
        rows: usize,
    },
    /// Arrow failed to gather the rows of a record.
    #[error("table {table}: gathering the rows of a log record: {source}")]
    Take {
        /// The table.
        table: String,
        /// Cause.
        source: ArrowError,
    },
}

/// The records of one partition, to append in order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Records {
    /// At most [`MAX_GROUPS_PER_RECORD`] groups: the tables as they came, one record.
    One(Tables),
    /// More: two or more records, each with at most [`MAX_GROUPS_PER_RECORD`] groups.
    Split(Vec<Tables>),
}

impl Records {
    /// Number of records.
    pub(super) fn len(&self) -> usize {
        match self {
            Self::One(_) => 1,
            Self::Split(records) => records.len(),
        }
    }
}

impl IntoIterator for Records {
    type Item = Tables;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Tables>, std::vec::IntoIter<Tables>>;

    fn into_iter(self) -> Self::IntoIter {
        match self {
            Self::One(tables) => Some(tables).into_iter().chain(Vec::new()),
            Self::Split(records) => None.into_iter().chain(records),
        }
    }
}

/// Cuts `tables` (one partition's rows of one request) into records of at most
/// [`MAX_GROUPS_PER_RECORD`] (table, UTC day) groups, keeping the groups in order: tables as
/// given, each table's days ascending. Every row lands in exactly one record.
pub(super) fn split_into_records(tables: Tables) -> Result<Records, RecordSplitError> {
    let mut groups = 0usize;
    for (table, batch) in &tables {
        groups += match day_span(table, batch)? {
            Span::Empty => 0,
            Span::OneDay => 1,
            Span::Days(times) => distinct_days(times).len(),
        };
    }
    if groups <= MAX_GROUPS_PER_RECORD {
        return Ok(Records::One(tables));
    }
    let mut records: Vec<Tables> = vec![Vec::new(); groups.div_ceil(MAX_GROUPS_PER_RECORD)];
    let mut next_group = 0usize;
    for (table, batch) in tables {
        let days = match day_span(&table, &batch)? {
            Span::Empty => continue,
            Span::OneDay => {
                records[next_group / MAX_GROUPS_PER_RECORD].push((table, batch));
                next_group += 1;
                continue;
            }
            Span::Days(times) => distinct_days(times),
        };
        let first = next_group / MAX_GROUPS_PER_RECORD;
        let last = (next_group + days.len() - 1) / MAX_GROUPS_PER_RECORD;
        if first == last {
            records[first].push((table, batch));
        } else {
            let parts = rows_per_record(&table, &batch, &days, next_group, first, last)?;
            for (offset, part) in parts.into_iter().enumerate() {
                records[first + offset].push((table.clone(), part));
            }
        }
        next_group += days.len();
    }
    Ok(Records::Split(records))
}

/// How a table's rows spread over days.
enum Span<'a> {
    /// No rows.
    Empty,
    /// Every row on one day.
    OneDay,
    /// Several days: the `time` values.
    Days(&'a [i64]),
}

/// Reads the `time` column and tells whether its rows span one day (no allocation).
fn day_span<'a>(table: &str, batch: &'a RecordBatch) -> Result<Span<'a>, RecordSplitError> {
    let no_time = || RecordSplitError::NoTimeColumn {
        table: table.to_owned(),
    };
    let times = batch
        .column_by_name(TIME_COLUMN_NAME)
        .and_then(|c| c.as_any().downcast_ref::<TimestampNanosecondArray>())
        .ok_or_else(no_time)?;
    if times.null_count() > 0 {
        return Err(no_time());
    }
    let values: &'a [i64] = times.values();
    let Some(first) = values.first() else {
        return Ok(Span::Empty);
    };
    let day = first.div_euclid(DAY_NS);
    if values.iter().all(|t| t.div_euclid(DAY_NS) == day) {
        Ok(Span::OneDay)
    } else {
        Ok(Span::Days(values))
    }
}

/// The distinct days of `times`, ascending.
fn distinct_days(times: &[i64]) -> Vec<i64> {
    let mut days: Vec<i64> = times.iter().map(|t| t.div_euclid(DAY_NS)).collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// Splits the rows of a table whose groups `first_group..first_group + days.len()` straddle
/// records `first..=last`: one batch per record, rows in their original order.
fn rows_per_record(
    table: &str,
    batch: &RecordBatch,
    days: &[i64],
    first_group: usize,
    first: usize,
    last: usize,
) -> Result<Vec<RecordBatch>, RecordSplitError> {
    let times = batch
        .column_by_name(TIME_COLUMN_NAME)
        .and_then(|c| c.as_any().downcast_ref::<TimestampNanosecondArray>())
        .ok_or_else(|| RecordSplitError::NoTimeColumn {
            table: table.to_owned(),
        })?;
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); last - first + 1];
    for (row, t) in times.values().iter().enumerate() {
        let row = u32::try_from(row).map_err(|_| RecordSplitError::TooManyRows {
            table: table.to_owned(),
            rows: batch.num_rows(),
        })?;
        // Every day of the column is in `days`, by construction.
        let position = days
            .binary_search(&t.div_euclid(DAY_NS))
            .unwrap_or_else(|insert_at| insert_at);
        let record = (first_group + position) / MAX_GROUPS_PER_RECORD;
        rows[record - first].push(row);
    }
    rows.into_iter()
        .map(|indices| {
            take_record_batch(batch, &UInt32Array::from(indices)).map_err(|source| {
                RecordSplitError::Take {
                    table: table.to_owned(),
                    source,
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    use arrow::array::{AsArray, Float64Array};
    use arrow::datatypes::{DataType, Field, Float64Type, Schema, TimeUnit};

    use super::*;

    /// Counts the allocations of the current thread, to check the common case allocates nothing.
    struct CountingAllocator;

    thread_local! {
        static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    }

    // SAFETY: delegates every call to `System` unchanged; the counter is a const-initialised
    // thread-local `Cell`, which neither allocates nor locks.
    unsafe impl GlobalAlloc for CountingAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: same contract as the caller's.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
            // SAFETY: same contract as the caller's.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: CountingAllocator = CountingAllocator;

    fn allocations() -> u64 {
        ALLOCATIONS.with(Cell::get)
    }

    /// A batch with `v` = 0, 1, 2, … (the row's original index) and the given times.
    fn batch(times: &[i64]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("v", DataType::Float64, false),
            Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                false,
            ),
        ]));
        let values: Vec<f64> = (0..times.len()).map(|i| i as f64).collect();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Float64Array::from(values)),
                Arc::new(TimestampNanosecondArray::from(times.to_vec())),
            ],
        )
        .unwrap()
    }

    /// `count` tables named `t000`, `t001`, … with one row on day `day`.
    fn one_day_tables(count: usize, day: i64) -> Tables {
        (0..count)
            .map(|i| (format!("t{i:03}"), batch(&[day * DAY_NS + i as i64])))
            .collect()
    }

    /// The (table, day) groups of one record.
    fn groups(record: &Tables) -> BTreeSet<(String, i64)> {
        let mut out = BTreeSet::new();
        for (table, batch) in record {
            let times = batch.column_by_name("time").unwrap();
            let times = times
                .as_any()
                .downcast_ref::<TimestampNanosecondArray>()
                .unwrap();
            for t in times.values() {
                out.insert((table.clone(), t.div_euclid(DAY_NS)));
            }
        }
        out
    }

    /// (table, v, time) of every row of every record, in record order.
    fn rows(records: &[Tables]) -> Vec<(String, i64, i64)> {
        let mut out = Vec::new();
        for record in records {
            for (table, batch) in record {
                let v = batch.column(0).as_primitive::<Float64Type>();
                let t = batch
                    .column(1)
                    .as_any()
                    .downcast_ref::<TimestampNanosecondArray>()
                    .unwrap();
                for row in 0..batch.num_rows() {
                    out.push((table.clone(), v.value(row) as i64, t.value(row)));
                }
            }
        }
        out
    }

    fn split(tables: Tables) -> Vec<Tables> {
        split_into_records(tables).unwrap().into_iter().collect()
    }

    #[test]
    fn one_table_one_day_is_one_record_unchanged_and_allocates_nothing() {
        let tables = vec![("cpu".to_owned(), batch(&[5, 6, DAY_NS - 1]))];
        let expected = tables.clone();
        let before = allocations();
        let records = split_into_records(tables).unwrap();
        let after = allocations();
        assert_eq!(after - before, 0, "the common case must not allocate");
        assert_eq!(records, Records::One(expected));
        assert_eq!(records.len(), 1);
        // The counter sees allocations (so the zero above means something).
        let input = vec![("cpu".to_owned(), batch(&[1, DAY_NS]))];
        let before = allocations();
        let two_days = split_into_records(input);
        assert!(allocations() > before, "{two_days:?}");
    }

    #[test]
    fn up_to_100_groups_stay_one_record_and_101_split() {
        let hundred = one_day_tables(100, 7);
        assert_eq!(
            split_into_records(hundred.clone()).unwrap(),
            Records::One(hundred)
        );

        let tables = one_day_tables(101, 7);
        let records = split(tables.clone());
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[0],
            tables[..100].to_vec(),
            "whole batches, in order"
        );
        assert_eq!(records[1], tables[100..].to_vec());
    }

    #[test]
    fn groups_count_days_within_tables() {
        // 50 tables × 2 days = 100 groups: one record.
        let two_days: Tables = (0..50)
            .map(|i| (format!("t{i:02}"), batch(&[i, DAY_NS + i])))
            .collect();
        assert!(matches!(
            split_into_records(two_days.clone()).unwrap(),
            Records::One(_)
        ));
        // One more table with one row: 101 groups.
        let mut more = two_days;
        more.push(("z".to_owned(), batch(&[3])));
        let records = split(more);
        assert_eq!(records.len(), 2);
        assert_eq!(groups(&records[0]).len(), 100);
        assert_eq!(groups(&records[1]), BTreeSet::from([("z".to_owned(), 0)]));
        // Duplicate days count once: 1 table, 100 distinct days, 1000 rows.
        let times: Vec<i64> = (0..1000).map(|i| (i % 100) * DAY_NS + i).collect();
        assert!(matches!(
            split_into_records(vec![("t".to_owned(), batch(&times))]).unwrap(),
            Records::One(_)
        ));
    }

    #[test]
    fn a_table_spanning_days_is_cut_between_whole_days_in_row_order() {
        // 300 days, rows shuffled over days, several rows per day, negative days included.
        let times: Vec<i64> = (0..1200i64)
            .map(|i| ((i * 37) % 300 - 20) * DAY_NS + i)
            .collect();
        let input = vec![("cpu".to_owned(), batch(&times))];
        let records = split(input.clone());
        assert_eq!(records.len(), 3);
        let mut seen_days = BTreeSet::new();
        for (i, record) in records.iter().enumerate() {
            assert_eq!(record.len(), 1, "one batch per table and record");
            let days: BTreeSet<i64> = groups(record).into_iter().map(|(_, d)| d).collect();
            assert_eq!(days.len(), 100, "record {i}");
            // Ascending days: record i holds the i-th hundred.
            assert_eq!(
                days,
                (-20 + 100 * i as i64..-20 + 100 * (i as i64 + 1)).collect()
            );
            assert!(
                days.iter().all(|d| seen_days.insert(*d)),
                "a day in two records"
            );
            // Row order within a record is the original order.
            let vs: Vec<i64> = rows(std::slice::from_ref(record))
                .iter()
                .map(|r| r.1)
                .collect();
            assert!(vs.windows(2).all(|w| w[0] < w[1]), "record {i}: {vs:?}");
        }
        let mut all = rows(&records);
        all.sort();
        let mut want = rows(&[input]);
        want.sort();
        assert_eq!(all, want, "every row exactly once");
    }

    #[test]
    fn tables_keep_their_order_and_straddling_tables_are_cut() {
        // 60 one-day tables, then one table of 80 days (straddles records 0 and 1), then 70
        // one-day tables: 210 groups → 100 + 100 + 10.
        let mut tables = one_day_tables(60, 1);
        let wide: Vec<i64> = (0..80).rev().map(|d| d * DAY_NS).collect();
        tables.push(("wide".to_owned(), batch(&wide)));
        tables.extend(
            one_day_tables(70, 2)
                .into_iter()
                .map(|(name, b)| (format!("u{name}"), b)),
        );
        let records = split(tables.clone());
        let sizes: Vec<usize> = records.iter().map(|r| groups(r).len()).collect();
        assert_eq!(sizes, [100, 100, 10]);
        let names = |r: &Tables| -> Vec<String> { r.iter().map(|(n, _)| n.clone()).collect() };
        let mut want0: Vec<String> = (0..60).map(|i| format!("t{i:03}")).collect();
        want0.push("wide".into());
        assert_eq!(names(&records[0]), want0);
        assert_eq!(names(&records[1])[0], "wide");
        assert_eq!(names(&records[1]).len(), 1 + 60);
        assert_eq!(names(&records[2]).len(), 10);
        // The wide table's first 40 days (ascending) in record 0, the other 40 in record 1.
        let wide_days = |r: &Tables| -> BTreeSet<i64> {
            groups(r)
                .into_iter()
                .filter(|(n, _)| n == "wide")
                .map(|(_, d)| d)
                .collect()
        };
        assert_eq!(wide_days(&records[0]), (0..40).collect());
        assert_eq!(wide_days(&records[1]), (40..80).collect());
        let mut all = rows(&records);
        all.sort();
        let mut want = rows(&[tables]);
        want.sort();
        assert_eq!(all, want);
        // No record exceeds the cap and no (table, day) is in two records.
        let mut owner = BTreeMap::new();
        for (i, record) in records.iter().enumerate() {
            for group in groups(record) {
                assert_eq!(*owner.entry(group).or_insert(i), i);
            }
        }
    }

    #[test]
    fn empty_batches_count_nothing_and_a_missing_time_column_is_an_error() {
        let mut tables = one_day_tables(100, 0);
        tables.push(("empty".to_owned(), batch(&[])));
        assert!(matches!(
            split_into_records(tables).unwrap(),
            Records::One(_)
        ));
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Float64, true)]));
        let b =
            RecordBatch::try_new(schema, vec![Arc::new(Float64Array::from(vec![1.0]))]).unwrap();
        let err = split_into_records(vec![("cpu".to_owned(), b)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "table cpu: no non-null `time` column of type Timestamp(ns)"
        );
    }
}
