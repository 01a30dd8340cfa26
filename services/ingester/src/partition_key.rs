//! Partition keys: the UTC day (`%Y-%m-%d`) of each row's `time`, and splitting a table batch
//! into one batch per day.
//!
//! ```text
//! RecordBatch (one table, rows of any days)
//!   └─► time column (Timestamp ns) ──► day = time.div_euclid(86 400 s) per row
//!         ├─ every row on one day ──► [(key, the batch unchanged)]       (the common case)
//!         └─ several days ──► group row indices by day ──► take() ──► [(key, rows of that day)]
//! ```

use std::collections::BTreeMap;

use arrow::array::{Array, TimestampNanosecondArray, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::record_batch::RecordBatch;
use schema::TIME_COLUMN_NAME;

/// Nanoseconds in a day.
const DAY_NS: i64 = 86_400 * 1_000_000_000;

/// Why a batch cannot be split by day.
#[derive(Debug, thiserror::Error)]
pub enum PartitionKeyError {
    /// The batch has no usable `time` column.
    #[error("table {table}: no non-null `time` column of type Timestamp(ns)")]
    NoTimeColumn {
        /// The table.
        table: String,
    },
    /// Arrow failed to gather the rows of a day.
    #[error("table {table}: splitting rows by day: {source}")]
    Take {
        /// The table.
        table: String,
        /// Cause.
        source: arrow::error::ArrowError,
    },
}

/// The partition key of a timestamp: its UTC day, `%Y-%m-%d`.
pub fn day_key(time_ns: i64) -> String {
    format_day(time_ns.div_euclid(DAY_NS))
}

/// Formats days since 1970-01-01 as `%Y-%m-%d` (proleptic Gregorian calendar).
fn format_day(days: i64) -> String {
    // Civil-from-days (H. Hinnant's algorithm): shift the epoch to 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Splits `batch` (rows of table `table`) into one batch per UTC day, ordered by day; row order
/// within a day is kept.
pub fn split_by_day(
    table: &str,
    batch: &RecordBatch,
) -> Result<Vec<(String, RecordBatch)>, PartitionKeyError> {
    let no_time = || PartitionKeyError::NoTimeColumn {
        table: table.to_owned(),
    };
    let times = batch
        .column_by_name(TIME_COLUMN_NAME)
        .and_then(|c| c.as_any().downcast_ref::<TimestampNanosecondArray>())
        .ok_or_else(no_time)?;
    if times.null_count() > 0 {
        return Err(no_time());
    }
    let values = times.values();
    let Some(&first) = values.first() else {
        return Ok(Vec::new());
    };
    let first_day = first.div_euclid(DAY_NS);
    if values.iter().all(|t| t.div_euclid(DAY_NS) == first_day) {
        return Ok(vec![(format_day(first_day), batch.clone())]);
    }
    let mut days: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
    for (row, t) in values.iter().enumerate() {
        // A RecordBatch row index always fits u32 for batches built by the router (≤ body size).
        let row = u32::try_from(row).map_err(|_| no_time())?;
        days.entry(t.div_euclid(DAY_NS)).or_default().push(row);
    }
    days.into_iter()
        .map(|(day, rows)| {
            let indices = UInt32Array::from(rows);
            take_record_batch(batch, &indices)
                .map(|b| (format_day(day), b))
                .map_err(|source| PartitionKeyError::Take {
                    table: table.to_owned(),
                    source,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, TimestampNanosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    use super::*;

    fn batch(times: &[i64]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("v", DataType::Float64, true),
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

    #[test]
    fn formats_utc_days() {
        assert_eq!(day_key(0), "1970-01-01");
        assert_eq!(day_key(DAY_NS - 1), "1970-01-01");
        assert_eq!(day_key(DAY_NS), "1970-01-02");
        assert_eq!(day_key(-1), "1969-12-31");
        // 2000-02-29 (leap day) and 2016-01-01, the TSBS default start.
        assert_eq!(day_key(951_782_400 * 1_000_000_000), "2000-02-29");
        assert_eq!(day_key(1_451_606_400 * 1_000_000_000 + 5), "2016-01-01");
        assert_eq!(day_key(4_102_444_800 * 1_000_000_000), "2100-01-01");
    }

    #[test]
    fn one_day_keeps_the_batch() {
        let b = batch(&[10, 20, 30]);
        let parts = split_by_day("t", &b).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].0, "1970-01-01");
        assert_eq!(parts[0].1, b);
    }

    #[test]
    fn rows_of_several_days_are_split_in_order() {
        let b = batch(&[DAY_NS + 1, 5, 2 * DAY_NS, DAY_NS + 2, 6]);
        let parts = split_by_day("t", &b).unwrap();
        let keys: Vec<_> = parts.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["1970-01-01", "1970-01-02", "1970-01-03"]);
        let values = |b: &RecordBatch| -> Vec<f64> {
            let a = b.column(0).as_any().downcast_ref::<Float64Array>().unwrap();
            a.values().to_vec()
        };
        assert_eq!(values(&parts[0].1), [1.0, 4.0]);
        assert_eq!(values(&parts[1].1), [0.0, 3.0]);
        assert_eq!(values(&parts[2].1), [2.0]);
    }

    #[test]
    fn empty_batch_gives_nothing_and_missing_time_is_an_error() {
        assert!(split_by_day("t", &batch(&[])).unwrap().is_empty());
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Float64, true)]));
        let b =
            RecordBatch::try_new(schema, vec![Arc::new(Float64Array::from(vec![1.0]))]).unwrap();
        let err = split_by_day("cpu", &b).unwrap_err().to_string();
        assert_eq!(
            err,
            "table cpu: no non-null `time` column of type Timestamp(ns)"
        );
    }
}
