//! Sort + dedup: rows of one table in write order → one batch sorted by primary key (tags in
//! name order, then `time`), one row per key, each field holding its last non-null value.
//!
//! ```text
//! batches (write order, column sets may differ)
//!   └─► union schema (tags, fields by name, time; types must agree) ──► one batch, row index =
//!       write order (absent columns → nulls)
//!         ├─ per tag: rank of each dictionary value among the distinct strings (0 = null), so
//!         │  duplicate dictionary entries and different dictionaries compare by value
//!         ├─ series id per row: the tuple of tag ranks, ranked among the distinct tuples
//!         └─► keys (series, time, row) : 16 bytes per row ──► sort_unstable
//!               (row = write order breaks ties, so the sort is deterministic)
//!   └─► one pass over runs of equal (series, time):
//!         tags, time, null-free fields ← the run's last row
//!         nullable fields              ← the run's last row where that field is non-null
//!   └─► `take` per column ──► one RecordBatch
//! ```
//!
//! The key is a plain `(u32, i64, u32)` tuple instead of arrow's row format: tag values are
//! ranked once per distinct value and series once per distinct tag tuple, so the sort compares
//! 16-byte integers instead of strings.
//!
//! ```
//! use line_protocol::Precision;
//! use schema::{LinesConverter, dedup::sort_dedup};
//!
//! let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
//! converter.write_lp("m,t=b f=1,g=1 1\nm,t=a f=2 1\nm,t=b f=3 1\n");
//! let batch = &converter.finish().unwrap().tables[0].batch;
//! let out = sort_dedup(&[batch.clone()]).unwrap();
//! assert_eq!(out.num_rows(), 2); // (t=a, 1): f=2, g=null; (t=b, 1): f=3, g=1
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, DictionaryArray, RecordBatch, UInt32Array, new_null_array,
};
use arrow::compute::{concat, take};
use arrow::datatypes::{Int32Type, Schema, SchemaRef, TimestampNanosecondType};
use arrow::error::ArrowError;
use hashbrown::HashMap;

use crate::{InfluxColumnType, SchemaError, TIME_COLUMN_NAME, arrow_field, influx_column_type};

/// Why rows could not be sorted and deduplicated.
#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    /// No batch was given (there is no schema to return).
    #[error("sort_dedup needs at least one batch")]
    NoBatches,
    /// A column does not follow the Arrow conventions.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A batch has no `time` column.
    #[error("batch has no {TIME_COLUMN_NAME} column")]
    MissingTime,
    /// Two batches disagree on a column's type.
    #[error("column {column} is {first} in one batch and {second} in another")]
    TypeConflict {
        /// Column name.
        column: String,
        /// Type in the earlier batch.
        first: InfluxColumnType,
        /// Type in the later batch.
        second: InfluxColumnType,
    },
    /// More rows than 32-bit row indices can address.
    #[error("too many rows to deduplicate at once: {rows} (at most {max})")]
    TooManyRows {
        /// Rows given.
        rows: usize,
        /// Limit.
        max: usize,
    },
    /// An Arrow kernel failed.
    #[error("sort/dedup: {0}")]
    Arrow(#[from] ArrowError),
}

/// Sorts the rows of `batches` (one table, in write order) by primary key and keeps one row per
/// key: for each field the last non-null value in write order (null if every row has null).
/// Null tags are a key value of their own and sort first. The result has the union of the
/// batches' columns in canonical order (tags, fields, each by name, then `time`) and the first
/// batch's schema metadata.
pub fn sort_dedup(batches: &[RecordBatch]) -> Result<RecordBatch, DedupError> {
    let schema = union_schema(batches)?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if rows > u32::MAX as usize {
        return Err(DedupError::TooManyRows {
            rows,
            max: u32::MAX as usize,
        });
    }
    let columns = concat_aligned(&schema, batches)?;
    let combined = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    if rows == 0 {
        return Ok(combined);
    }

    let keys = sorted_keys(&combined)?;
    let groups = group_ends(&keys);
    let last_rows: UInt32Array = groups.iter().map(|&end| keys[end - 1].2).collect();

    let mut out = Vec::with_capacity(combined.num_columns());
    let mut start_of = Vec::with_capacity(groups.len());
    let mut start = 0;
    for &end in &groups {
        start_of.push(start);
        start = end;
    }
    for (field, column) in schema.fields().iter().zip(combined.columns()) {
        let is_field = matches!(influx_column_type(field)?, InfluxColumnType::Field(_));
        let indices = if is_field && column.null_count() > 0 {
            &last_non_null(column.as_ref(), &keys, &start_of, &groups)
        } else {
            &last_rows
        };
        out.push(take(column.as_ref(), indices, None)?);
    }
    Ok(RecordBatch::try_new(schema, out)?)
}

/// The union of the batches' columns in canonical order, with canonical fields.
fn union_schema(batches: &[RecordBatch]) -> Result<SchemaRef, DedupError> {
    let first = batches.first().ok_or(DedupError::NoBatches)?;
    let mut columns: BTreeMap<String, InfluxColumnType> = BTreeMap::new();
    for batch in batches {
        let schema = batch.schema();
        if schema.index_of(TIME_COLUMN_NAME).is_err() {
            return Err(DedupError::MissingTime);
        }
        for field in schema.fields() {
            let column_type = influx_column_type(field)?;
            match columns.get(field.name()) {
                Some(&known) if known != column_type => {
                    return Err(DedupError::TypeConflict {
                        column: field.name().clone(),
                        first: known,
                        second: column_type,
                    });
                }
                Some(_) => {}
                None => {
                    columns.insert(field.name().clone(), column_type);
                }
            }
        }
    }
    let mut ordered: Vec<(String, InfluxColumnType)> = columns.into_iter().collect();
    crate::sort_columns(&mut ordered);
    let fields: Vec<_> = ordered
        .iter()
        .map(|(name, column_type)| arrow_field(name, *column_type))
        .collect();
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        first.schema().metadata().clone(),
    )))
}

/// Each union column as one array over all batches (nulls where a batch lacks it).
fn concat_aligned(schema: &Schema, batches: &[RecordBatch]) -> Result<Vec<ArrayRef>, DedupError> {
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let parts: Vec<ArrayRef> = batches
            .iter()
            .map(|batch| match batch.column_by_name(field.name()) {
                Some(column) => Arc::clone(column),
                None => new_null_array(field.data_type(), batch.num_rows()),
            })
            .collect();
        let column = match parts.as_slice() {
            [single] => Arc::clone(single),
            _ => {
                let refs: Vec<&dyn Array> = parts.iter().map(AsRef::as_ref).collect();
                concat(&refs)?
            }
        };
        columns.push(column);
    }
    Ok(columns)
}

/// `(series rank, time, row)` for every row, sorted.
fn sorted_keys(batch: &RecordBatch) -> Result<Vec<(u32, i64, u32)>, DedupError> {
    let schema = batch.schema();
    let mut tag_ranks: Vec<Vec<u32>> = Vec::new();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if influx_column_type(field)? == InfluxColumnType::Tag {
            tag_ranks.push(tag_value_ranks(column.as_dictionary::<Int32Type>()));
        }
    }
    let series = series_ranks(&tag_ranks, batch.num_rows());
    let time_index = schema
        .index_of(TIME_COLUMN_NAME)
        .map_err(|_| DedupError::MissingTime)?;
    let times = batch
        .column(time_index)
        .as_primitive::<TimestampNanosecondType>()
        .values();
    let mut keys: Vec<(u32, i64, u32)> = series
        .iter()
        .zip(times.iter())
        .zip(0u32..)
        .map(|((&s, &t), row)| (s, t, row))
        .collect();
    keys.sort_unstable();
    Ok(keys)
}

/// Per row, the rank of its tag value among the column's distinct strings (1-based; 0 = null).
///
/// The dictionary of a concatenation of buffered batches repeats each value once per batch
/// (arrow's `concat` keeps every batch's values unless they outnumber the rows), so the values
/// are first hashed down to the distinct strings and only those are sorted: 125 batches of one
/// partition's TSBS rows hold 31 250 hostnames, 250 of them distinct.
fn tag_value_ranks(column: &DictionaryArray<Int32Type>) -> Vec<u32> {
    let values = column.values().as_string::<i32>();
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut distinct: Vec<&str> = Vec::new();
    // Per dictionary value, the id of its string (`u32::MAX` for a null value).
    let value_ids: Vec<u32> = (0..values.len())
        .map(|i| {
            if !values.is_valid(i) {
                return u32::MAX;
            }
            let value = values.value(i);
            *ids.entry(value).or_insert_with(|| {
                distinct.push(value);
                (distinct.len() - 1) as u32
            })
        })
        .collect();
    let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| distinct[a as usize].cmp(distinct[b as usize]));
    let mut rank_of_id = vec![0u32; distinct.len()];
    for (rank, &id) in (1u32..).zip(&order) {
        rank_of_id[id as usize] = rank;
    }
    let value_rank: Vec<u32> = value_ids
        .iter()
        .map(|&id| rank_of_id.get(id as usize).copied().unwrap_or(0))
        .collect();
    let keys = column.keys();
    (0..column.len())
        .map(|row| {
            if keys.is_valid(row) {
                // Keys of a valid DictionaryArray index into its values.
                usize::try_from(keys.value(row))
                    .ok()
                    .and_then(|k| value_rank.get(k).copied())
                    .unwrap_or(0)
            } else {
                0
            }
        })
        .collect()
}

/// Per row, the rank of its tuple of tag ranks among the distinct tuples (lexicographic, tags in
/// column order = name order).
fn series_ranks(tag_ranks: &[Vec<u32>], rows: usize) -> Vec<u32> {
    match tag_ranks {
        [] => vec![0; rows],
        [only] => only.clone(),
        _ => {
            let width = tag_ranks.len();
            let mut flat = vec![0u32; rows * width];
            for (t, ranks) in tag_ranks.iter().enumerate() {
                for (row, &rank) in ranks.iter().enumerate() {
                    flat[row * width + t] = rank;
                }
            }
            let mut ids: HashMap<&[u32], u32> = HashMap::new();
            let mut distinct: Vec<&[u32]> = Vec::new();
            let mut row_ids = Vec::with_capacity(rows);
            for tuple in flat.chunks_exact(width) {
                let next = distinct.len() as u32;
                let id = *ids.entry(tuple).or_insert_with(|| {
                    distinct.push(tuple);
                    next
                });
                row_ids.push(id);
            }
            let mut by_value: Vec<u32> = (0..distinct.len() as u32).collect();
            by_value.sort_unstable_by(|&a, &b| distinct[a as usize].cmp(distinct[b as usize]));
            let mut rank_of_id = vec![0u32; distinct.len()];
            for (rank, &id) in by_value.iter().enumerate() {
                rank_of_id[id as usize] = rank as u32;
            }
            row_ids.iter().map(|&id| rank_of_id[id as usize]).collect()
        }
    }
}

/// Exclusive end index (into `keys`) of each run of equal `(series, time)`.
fn group_ends(keys: &[(u32, i64, u32)]) -> Vec<usize> {
    let mut ends = Vec::new();
    for i in 1..keys.len() {
        if (keys[i].0, keys[i].1) != (keys[i - 1].0, keys[i - 1].1) {
            ends.push(i);
        }
    }
    ends.push(keys.len());
    ends
}

/// Per group, the row of the last non-null value of `column` (the group's last row if none).
fn last_non_null(
    column: &dyn Array,
    keys: &[(u32, i64, u32)],
    starts: &[usize],
    ends: &[usize],
) -> UInt32Array {
    starts
        .iter()
        .zip(ends)
        .map(|(&start, &end)| {
            keys[start..end]
                .iter()
                .rev()
                .map(|key| key.2)
                .find(|&row| column.is_valid(row as usize))
                .unwrap_or(keys[end - 1].2)
        })
        .collect()
}

#[cfg(test)]
mod tests;
