//! Where one job's merged rows are cut into output files: time boundaries chosen so that each
//! output gets about the same number of rows, estimated from the inputs' records (rows spread
//! evenly over each file's time range). Cutting by time keeps the outputs of a level disjoint in
//! time, which the planner's invariants need.
//!
//! ```text
//! inputs (rows, min/max time) ──► cumulative rows F(t) ──► b_k = min t with F(t) ≥ k·R/n
//! row at time t ──► output k with b_k ≤ t < b_{k+1}   (b_0 = −∞, b_n = +∞)
//! ```

use arrow::array::{Array, BooleanArray, RecordBatch, TimestampNanosecondArray};
use arrow::compute::filter_record_batch;
use catalog::ParquetFileRecord;

use crate::CompactError;

/// The lower bounds of outputs 1..n (output 0 starts at −∞); strictly increasing, possibly
/// fewer than n − 1 when the rows cannot be told apart by time.
pub(crate) fn boundaries(inputs: &[ParquetFileRecord], outputs: usize) -> Vec<i64> {
    if outputs < 2 || inputs.is_empty() {
        return Vec::new();
    }
    let total: f64 = inputs.iter().map(|f| f.row_count as f64).sum();
    let lo = inputs.iter().map(|f| f.min_time_ns).min().unwrap_or(0);
    let hi = inputs.iter().map(|f| f.max_time_ns).max().unwrap_or(0);
    // Rows of the inputs at or before `t`, assuming each file's rows spread evenly.
    let below = |t: i64| -> f64 {
        inputs
            .iter()
            .map(|f| {
                if t >= f.max_time_ns {
                    f.row_count as f64
                } else if t < f.min_time_ns {
                    0.0
                } else {
                    let span = (f.max_time_ns - f.min_time_ns) as f64 + 1.0;
                    f.row_count as f64 * ((t - f.min_time_ns) as f64 + 1.0) / span
                }
            })
            .sum()
    };
    let mut out: Vec<i64> = Vec::new();
    for k in 1..outputs {
        let want = total * k as f64 / outputs as f64;
        // Smallest t in [lo, hi] with below(t) ≥ want; the boundary is t + 1 (rows at t stay
        // in the output before it).
        let (mut a, mut b) = (lo, hi);
        while a < b {
            let mid = a + (b - a) / 2;
            if below(mid) >= want {
                b = mid;
            } else {
                a = mid + 1;
            }
        }
        let bound = a.saturating_add(1);
        if bound <= hi && out.last().is_none_or(|&last| bound > last) {
            out.push(bound);
        }
    }
    out
}

/// Splits `batch` by `bounds` into one optional batch per output (`bounds.len() + 1`).
pub(crate) fn route(
    batch: &RecordBatch,
    bounds: &[i64],
) -> Result<Vec<Option<RecordBatch>>, CompactError> {
    if bounds.is_empty() {
        return Ok(vec![Some(batch.clone())]);
    }
    let times = batch
        .column_by_name(schema::TIME_COLUMN_NAME)
        .and_then(|c| c.as_any().downcast_ref::<TimestampNanosecondArray>())
        .ok_or_else(|| CompactError::Internal("merged batch without a time column".into()))?;
    let bucket: Vec<usize> = times
        .values()
        .iter()
        .map(|t| bounds.partition_point(|b| b <= t))
        .collect();
    let mut out = Vec::with_capacity(bounds.len() + 1);
    for k in 0..=bounds.len() {
        let mask: BooleanArray = bucket.iter().map(|&b| Some(b == k)).collect();
        if mask.true_count() == 0 {
            out.push(None);
        } else if mask.true_count() == batch.num_rows() {
            out.push(Some(batch.clone()));
        } else {
            out.push(Some(filter_record_batch(batch, &mask)?));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rows: u64, min: i64, max: i64) -> ParquetFileRecord {
        ParquetFileRecord {
            object_id: "x".into(),
            database_id: catalog::DatabaseId(1),
            table_id: catalog::TableId(1),
            partition_key: "k".into(),
            path: "1/1/k/x.parquet".into(),
            size_bytes: 1,
            row_count: rows,
            min_time_ns: min,
            max_time_ns: max,
            log_partition: 0,
            min_offset: 0,
            max_offset: 0,
            created_at_ns: 0,
            compaction_level: 0,
        }
    }

    #[test]
    fn one_output_needs_no_boundary() {
        assert!(boundaries(&[file(10, 0, 100)], 1).is_empty());
    }

    #[test]
    fn even_rows_split_evenly_in_time() {
        let b = boundaries(&[file(1000, 0, 999)], 4);
        assert_eq!(b, vec![250, 500, 750]);
    }

    #[test]
    fn dense_file_pulls_boundaries_towards_it() {
        // 900 rows in [0, 99], 100 rows in [100, 999]: half the rows are below t = 50.
        let b = boundaries(&[file(900, 0, 99), file(100, 100, 999)], 2);
        assert_eq!(b.len(), 1);
        assert!((50..=60).contains(&b[0]), "{b:?}");
    }

    #[test]
    fn a_single_timestamp_cannot_be_split() {
        assert!(boundaries(&[file(1000, 5, 5)], 3).is_empty());
    }
}
