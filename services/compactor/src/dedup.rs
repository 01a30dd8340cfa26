//! Deduplication of the merged stream, batch by batch: rows with the same primary key are
//! adjacent (sorted by tags, time, write order), and become one row whose every field is the
//! last non-null value in write order — the rule the ingester's persist and every query apply
//! (`schema::dedup`, `query::DedupExec`).
//!
//! ```text
//! batch (union schema + write order) ──► runs of equal (tags, time): arrow's `partition`
//!   ├─ the last run may go on in the next batch ──► held back (a run is at most one row per
//!   │  input)
//!   ├─ every run one row long ──► the batch as is (the common case: no duplicates)
//!   └─ else per column one index per run: tags/time ← the run's last row; a field ← the run's
//!      last row where it is non-null ──► `take` ──► batch (union schema)
//! ```

use std::ops::Range;

use arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{concat_batches, partition, take};
use arrow::datatypes::SchemaRef;

use crate::CompactError;
use crate::merge::is_tag;

/// Streaming deduplication (see the module doc).
#[derive(Debug)]
pub(crate) struct Dedup {
    /// Output schema (the input's without the write-order column, which is last).
    schema: SchemaRef,
    /// Key column indexes in the input: tags, then `time`.
    keys: Vec<usize>,
    /// Whether input column `i` is part of the key.
    is_key: Vec<bool>,
    /// The last run of the previous batch (output columns only).
    pending: Option<RecordBatch>,
    /// Rows dropped as duplicates so far.
    pub(crate) duplicates: u64,
}

impl Dedup {
    /// For input batches of `output` + the write-order column.
    pub(crate) fn new(output: SchemaRef) -> Result<Self, CompactError> {
        let mut keys = Vec::new();
        let mut is_key = vec![false; output.fields().len()];
        for (i, field) in output.fields().iter().enumerate() {
            if is_tag(field) {
                keys.push(i);
                is_key[i] = true;
            }
        }
        let time = output.index_of(schema::TIME_COLUMN_NAME)?;
        keys.push(time);
        is_key[time] = true;
        Ok(Self {
            schema: output,
            keys,
            is_key,
            pending: None,
            duplicates: 0,
        })
    }

    /// Takes the next merged batch; returns the rows that are final.
    pub(crate) fn push(
        &mut self,
        batch: &RecordBatch,
    ) -> Result<Option<RecordBatch>, CompactError> {
        if batch.num_rows() == 0 {
            return Ok(None);
        }
        let batch = RecordBatch::try_new(
            self.schema.clone(),
            batch.columns()[..self.schema.fields().len()].to_vec(),
        )?;
        let ranges = self.runs(&batch)?;
        let mut out: Vec<RecordBatch> = Vec::new();
        let mut first = 0;
        if let Some(pending) = self.pending.take() {
            if self.same_key(&pending, &batch)? {
                // The held-back run goes on in this batch.
                let joined = concat_batches(
                    &self.schema,
                    [&pending, &batch.slice(ranges[0].start, ranges[0].len())],
                )?;
                if ranges.len() == 1 {
                    self.pending = Some(joined);
                    return Ok(None);
                }
                out.push(self.collapse_all(&joined)?);
                first = 1;
            } else {
                out.push(self.collapse_all(&pending)?);
            }
        }
        let last = ranges[ranges.len() - 1].clone();
        if first < ranges.len() - 1 {
            let start = ranges[first].start;
            let body = batch.slice(start, last.start - start);
            let shifted: Vec<Range<usize>> = ranges[first..ranges.len() - 1]
                .iter()
                .map(|r| r.start - start..r.end - start)
                .collect();
            out.push(self.collapse(&body, &shifted)?);
        }
        self.pending = Some(batch.slice(last.start, last.len()));
        match out.len() {
            0 => Ok(None),
            1 => Ok(out.pop()),
            _ => Ok(Some(concat_batches(&self.schema, &out)?)),
        }
    }

    /// The rows held back at the end of the stream.
    pub(crate) fn finish(&mut self) -> Result<Option<RecordBatch>, CompactError> {
        match self.pending.take() {
            Some(pending) => Ok(Some(self.collapse_all(&pending)?)),
            None => Ok(None),
        }
    }

    /// Runs of equal keys in `batch`.
    fn runs(&self, batch: &RecordBatch) -> Result<Vec<Range<usize>>, CompactError> {
        let keys: Vec<ArrayRef> = self.keys.iter().map(|&i| batch.column(i).clone()).collect();
        Ok(partition(&keys)?.ranges())
    }

    /// Whether the last row of `a` and the first row of `b` have the same key.
    fn same_key(&self, a: &RecordBatch, b: &RecordBatch) -> Result<bool, CompactError> {
        let last = a.num_rows() - 1;
        for &k in &self.keys {
            let x = a.column(k).slice(last, 1);
            let y = b.column(k).slice(0, 1);
            match (x.is_null(0), y.is_null(0)) {
                (true, true) => continue,
                (false, false) => {
                    if !eq(&x, &y)?.value(0) {
                        return Ok(false);
                    }
                }
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    /// `batch` is one run: one row.
    fn collapse_all(&mut self, batch: &RecordBatch) -> Result<RecordBatch, CompactError> {
        let all = 0..batch.num_rows();
        self.collapse(batch, std::slice::from_ref(&all))
    }

    /// One row per run of `batch`.
    fn collapse(
        &mut self,
        batch: &RecordBatch,
        runs: &[Range<usize>],
    ) -> Result<RecordBatch, CompactError> {
        if runs.len() == batch.num_rows() {
            return Ok(batch.clone());
        }
        self.duplicates += (batch.num_rows() - runs.len()) as u64;
        let last: UInt32Array = runs.iter().map(|r| index(r.end - 1)).collect();
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (i, column) in batch.columns().iter().enumerate() {
            let indices = if self.is_key[i] || column.null_count() == 0 {
                last.clone()
            } else {
                runs.iter()
                    .map(|r| {
                        let at = r
                            .clone()
                            .rev()
                            .find(|&j| column.is_valid(j))
                            .unwrap_or(r.end - 1);
                        index(at)
                    })
                    .collect()
            };
            columns.push(take(column.as_ref(), &indices, None)?);
        }
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

/// A row index as `take` wants it (batches are far below 2³² rows).
fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        DictionaryArray, Float64Array, Int32Array, StringArray, TimestampNanosecondArray,
    };
    use arrow::datatypes::{DataType, Field, Int32Type, Schema};
    use schema::{InfluxColumnType, InfluxFieldType, arrow_schema};

    use super::*;

    fn output() -> SchemaRef {
        Arc::new(arrow_schema(
            "m",
            [
                ("host", InfluxColumnType::Tag),
                ("f", InfluxColumnType::Field(InfluxFieldType::Float)),
                ("g", InfluxColumnType::Field(InfluxFieldType::Float)),
                ("time", InfluxColumnType::Timestamp),
            ],
        ))
    }

    /// An input row: (host, f, g, time, write order).
    type In<'a> = (Option<&'a str>, Option<f64>, Option<f64>, i64, u32);
    /// An output row: (host, f, g, time).
    type Out = (Option<String>, Option<f64>, Option<f64>, i64);

    /// Rows already in merge order.
    fn batch(rows: &[In<'_>]) -> RecordBatch {
        let out = output();
        let mut fields: Vec<Field> = out.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new(
            crate::merge::WRITE_ORDER_COLUMN,
            DataType::UInt32,
            false,
        ));
        let schema = Arc::new(Schema::new(fields));
        // A dictionary of its own per batch, as Parquet pages give.
        let values = StringArray::from(vec!["zz", "b", "a"]);
        let keys: Int32Array = rows
            .iter()
            .map(|r| {
                r.0.map(|h| match h {
                    "zz" => 0,
                    "b" => 1,
                    _ => 2,
                })
            })
            .collect();
        let host = DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).unwrap();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(host),
                Arc::new(rows.iter().map(|r| r.1).collect::<Float64Array>()),
                Arc::new(rows.iter().map(|r| r.2).collect::<Float64Array>()),
                Arc::new(TimestampNanosecondArray::from(
                    rows.iter().map(|r| r.3).collect::<Vec<_>>(),
                )),
                Arc::new(rows.iter().map(|r| r.4).collect::<UInt32Array>()),
            ],
        )
        .unwrap()
    }

    fn rows(batches: &[RecordBatch]) -> Vec<Out> {
        let mut out = Vec::new();
        for b in batches {
            let host = arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
            let host = host.as_any().downcast_ref::<StringArray>().unwrap();
            let f = b.column(1).as_any().downcast_ref::<Float64Array>().unwrap();
            let g = b.column(2).as_any().downcast_ref::<Float64Array>().unwrap();
            let t = b
                .column(3)
                .as_any()
                .downcast_ref::<TimestampNanosecondArray>()
                .unwrap();
            for i in 0..b.num_rows() {
                out.push((
                    host.is_valid(i).then(|| host.value(i).to_string()),
                    f.is_valid(i).then(|| f.value(i)),
                    g.is_valid(i).then(|| g.value(i)),
                    t.value(i),
                ));
            }
        }
        out
    }

    fn run(batches: &[RecordBatch]) -> (Vec<RecordBatch>, u64) {
        let mut d = Dedup::new(output()).unwrap();
        let mut out = Vec::new();
        for b in batches {
            out.extend(d.push(b).unwrap());
        }
        out.extend(d.finish().unwrap());
        for b in &out {
            assert_eq!(b.schema(), output());
        }
        (out, d.duplicates)
    }

    #[test]
    fn later_writes_win_per_field_and_nulls_do_not_erase() {
        let input = batch(&[
            (None, Some(0.5), None, 1, 0),
            (Some("a"), Some(1.0), Some(10.0), 1, 0),
            (Some("a"), Some(2.0), None, 1, 1),
            (Some("a"), None, None, 2, 0),
            (Some("b"), Some(3.0), None, 1, 0),
        ]);
        let (out, dups) = run(&[input]);
        assert_eq!(dups, 1);
        assert_eq!(
            rows(&out),
            vec![
                (None, Some(0.5), None, 1),
                (Some("a".into()), Some(2.0), Some(10.0), 1),
                (Some("a".into()), None, None, 2),
                (Some("b".into()), Some(3.0), None, 1),
            ]
        );
    }

    #[test]
    fn a_run_across_batches_is_one_row() {
        let one = batch(&[
            (Some("a"), Some(1.0), None, 1, 0),
            (Some("b"), Some(1.0), Some(7.0), 5, 0),
        ]);
        let two = batch(&[(Some("b"), Some(2.0), None, 5, 1)]);
        let three = batch(&[
            (Some("b"), None, Some(9.0), 5, 2),
            (Some("zz"), Some(4.0), None, 5, 0),
        ]);
        let (out, dups) = run(&[one, two, three]);
        assert_eq!(dups, 2);
        assert_eq!(
            rows(&out),
            vec![
                (Some("a".into()), Some(1.0), None, 1),
                (Some("b".into()), Some(2.0), Some(9.0), 5),
                (Some("zz".into()), Some(4.0), None, 5),
            ]
        );
    }

    #[test]
    fn no_duplicates_pass_through_unchanged() {
        let input = batch(&[
            (Some("a"), Some(1.0), None, 1, 0),
            (Some("a"), Some(2.0), None, 2, 1),
        ]);
        let (out, dups) = run(&[input]);
        assert_eq!(dups, 0);
        assert_eq!(rows(&out).len(), 2);
    }
}
