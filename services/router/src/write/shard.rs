//! Step 8a of the write path: shard rows onto the write log's partitions, so that one series
//! always lands on one partition and its writes stay ordered.
//!
//! ```text
//! [(table, batch)] ──► per row: key = (database, table, series key) ──► xxh3-64 ──► jump hash
//!                      (once per distinct tuple of tag dictionary keys: rows of a series share it)
//!                  ──► take() rows per partition ──► { partition → [(table, sub-batch)] }
//! ```
//!
//! The function is fixed and must never change (every router and every release must agree):
//!
//! * key bytes = `len(database) database len(table) table` then, for each tag column in
//!   tag-name order, `0x00` for a null tag or `0x01 len(value) value`; lengths are u32
//!   little-endian (so `("ab","c")` and `("a","bc")` differ, and a null differs from `""`);
//! * hash = xxh3-64 of the key bytes, seed 0;
//! * partition = Google's jump consistent hash of the hash onto `partition_count` buckets
//!   (adding a partition moves about 1/n of the series).

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, UInt32Array};
use arrow::buffer::NullBuffer;
use arrow::compute::take_record_batch;
use arrow::datatypes::{DataType, Int32Type};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use hashbrown::HashTable;
use schema::{InfluxColumnType, influx_column_type};
use write_log::LogPartition;
use xxhash_rust::xxh3::xxh3_64;

/// Rows of one request split by log partition: partition → tables (in request order).
pub(super) type ShardedTables = BTreeMap<LogPartition, Vec<(String, RecordBatch)>>;

/// Splits every table's batch by the partition of each row's series. Each row lands in exactly
/// one partition; row order within a table and partition is kept.
pub(crate) fn shard_tables(
    database: &str,
    tables: Vec<(String, RecordBatch)>,
    partition_count: u32,
) -> Result<ShardedTables, ArrowError> {
    let mut sharded = ShardedTables::new();
    if partition_count <= 1 {
        if !tables.is_empty() {
            sharded.insert(0, tables);
        }
        return Ok(sharded);
    }
    for (table, batch) in tables {
        let partitions = row_partitions(database, &table, &batch, partition_count)?;
        if u32::try_from(partitions.len()).is_err() {
            return Err(ArrowError::InvalidArgumentError(format!(
                "batch of table {table} too large"
            )));
        }
        for (partition, indices) in rows_by_partition(&partitions, partition_count) {
            if indices.len() == batch.num_rows() {
                // Every row in one partition: the batch as it is.
                sharded
                    .entry(partition)
                    .or_default()
                    .push((table.clone(), batch.clone()));
                continue;
            }
            let part = take_record_batch(&batch, &UInt32Array::from(indices))?;
            sharded
                .entry(partition)
                .or_default()
                .push((table.clone(), part));
        }
    }
    Ok(sharded)
}

/// The partition of each row of `batch`. Rows of one series share their tags' dictionary keys,
/// so the key bytes and their hash are computed once per distinct key tuple, not once per row.
fn row_partitions(
    database: &str,
    table: &str,
    batch: &RecordBatch,
    partition_count: u32,
) -> Result<Vec<LogPartition>, ArrowError> {
    row_partitions_with(database, table, batch, partition_count, tuple_fingerprint)
}

/// A fingerprint of a tuple of dictionary keys (equal tuples, equal fingerprints).
#[inline(always)]
fn tuple_fingerprint(keys: &[TupleKeys<'_>], row: usize) -> u64 {
    keys.iter().fold(0x517c_c1b7_2722_0a95u64, |h, k| {
        (h ^ k.key(row) as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29)
    })
}

/// [`row_partitions`] with the tuple fingerprint as a parameter (tests force collisions).
fn row_partitions_with(
    database: &str,
    table: &str,
    batch: &RecordBatch,
    partition_count: u32,
    fingerprint: impl Fn(&[TupleKeys<'_>], usize) -> u64,
) -> Result<Vec<LogPartition>, ArrowError> {
    let tag_error = |name: &str, e: String| {
        ArrowError::InvalidArgumentError(format!("tag column {name} of {table}: {e}"))
    };
    let schema = batch.schema();
    let mut tags: Vec<(&str, TagColumn)> = Vec::new();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if influx_column_type(field).ok() == Some(InfluxColumnType::Tag) {
            let name = field.name().as_str();
            let column = TagColumn::new(column.as_ref()).map_err(|e| tag_error(name, e))?;
            tags.push((name, column));
        }
    }
    tags.sort_by(|a, b| a.0.cmp(b.0));

    let mut prefix = Vec::with_capacity(database.len() + table.len() + 8);
    push_str(&mut prefix, database);
    push_str(&mut prefix, table);
    let mut key = Vec::with_capacity(prefix.len() + 64);
    let mut partition_of = |row: usize| -> Result<LogPartition, ArrowError> {
        key.clear();
        key.extend_from_slice(&prefix);
        for (name, column) in &tags {
            match column.value(row).map_err(|e| tag_error(name, e))? {
                None => key.push(0),
                Some(value) => {
                    key.push(1);
                    push_str(&mut key, value);
                }
            }
        }
        Ok(jump_hash(xxh3_64(&key), partition_count))
    };

    let mut out = Vec::with_capacity(batch.num_rows());
    if tags.is_empty() || !tags.iter().all(|(_, column)| column.is_dictionary()) {
        for row in 0..batch.num_rows() {
            out.push(partition_of(row)?);
        }
        return Ok(out);
    }
    // Rows of one series share the tuple of dictionary keys: look the tuple up by a fingerprint
    // of its keys, and confirm a hit by comparing the keys with the row that created the entry.
    let keys: Vec<TupleKeys<'_>> = tags
        .iter()
        .filter_map(|(_, column)| column.tuple_keys())
        .collect();
    let same_tuple = |a: usize, b: usize| keys.iter().all(|k| k.key(a) == k.key(b));
    // (fingerprint, first row of the tuple, its partition)
    let mut memo: HashTable<(u64, u32, LogPartition)> = HashTable::new();
    for row in 0..batch.num_rows() {
        let hash = fingerprint(&keys, row);
        let found = memo
            .find(hash, |&(h, first, _)| {
                h == hash && same_tuple(first as usize, row)
            })
            .map(|&(_, _, partition)| partition);
        let partition = match found {
            Some(partition) => partition,
            None => {
                let partition = partition_of(row)?;
                // Row numbers fit u32: shard_tables refuses larger batches.
                memo.insert_unique(hash, (hash, row as u32, partition), |&(h, _, _)| h);
                partition
            }
        };
        out.push(partition);
    }
    Ok(out)
}

/// Row indices per partition, partitions ascending, row order kept.
fn rows_by_partition(
    partitions: &[LogPartition],
    partition_count: u32,
) -> Vec<(LogPartition, Vec<u32>)> {
    if partition_count <= 4_096 {
        let mut dense: Vec<Vec<u32>> = vec![Vec::new(); partition_count as usize];
        for (row, &partition) in partitions.iter().enumerate() {
            dense[partition as usize].push(row as u32);
        }
        return dense
            .into_iter()
            .enumerate()
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(partition, rows)| (partition as LogPartition, rows))
            .collect();
    }
    let mut sparse: BTreeMap<LogPartition, Vec<u32>> = BTreeMap::new();
    for (row, &partition) in partitions.iter().enumerate() {
        sparse.entry(partition).or_default().push(row as u32);
    }
    sparse.into_iter().collect()
}

/// The keys and null bits of one dictionary tag column, for comparing rows' key tuples.
struct TupleKeys<'a> {
    keys: &'a [i32],
    nulls: Option<&'a NullBuffer>,
}

impl TupleKeys<'_> {
    /// The key at `row`, `i64::MIN` for null: equal keys, equal values.
    #[inline(always)]
    fn key(&self, row: usize) -> i64 {
        match self.nulls {
            Some(nulls) if nulls.is_null(row) => i64::MIN,
            _ => i64::from(self.keys[row]),
        }
    }
}

fn push_str(key: &mut Vec<u8>, s: &str) {
    // Names and tag values are far below 4 GiB (request bodies are capped).
    key.extend_from_slice(&(s.len() as u32).to_le_bytes());
    key.extend_from_slice(s.as_bytes());
}

/// A tag column, downcast once: `Dictionary(Int32, Utf8)` (what the converter makes) or plain
/// `Utf8`.
enum TagColumn<'a> {
    Dictionary {
        column: &'a dyn Array,
        keys: &'a [i32],
        values: &'a arrow::array::StringArray,
    },
    Plain(&'a arrow::array::StringArray),
}

impl<'a> TagColumn<'a> {
    fn new(column: &'a dyn Array) -> Result<Self, String> {
        match column.data_type() {
            DataType::Dictionary(key, value)
                if **key == DataType::Int32 && **value == DataType::Utf8 =>
            {
                let dict = column.as_dictionary::<Int32Type>();
                Ok(Self::Dictionary {
                    column,
                    keys: dict.keys().values(),
                    values: dict.values().as_string::<i32>(),
                })
            }
            DataType::Utf8 => Ok(Self::Plain(column.as_string::<i32>())),
            other => Err(format!("unexpected tag data type {other}")),
        }
    }

    fn is_dictionary(&self) -> bool {
        matches!(self, Self::Dictionary { .. })
    }

    /// Keys and null bits, for a dictionary column.
    fn tuple_keys(&self) -> Option<TupleKeys<'a>> {
        match self {
            Self::Dictionary { column, keys, .. } => Some(TupleKeys {
                keys,
                nulls: column.nulls(),
            }),
            Self::Plain(_) => None,
        }
    }

    /// The tag value at `row`.
    fn value(&self, row: usize) -> Result<Option<&'a str>, String> {
        match self {
            Self::Dictionary {
                column,
                keys,
                values,
            } => {
                if column.is_null(row) {
                    return Ok(None);
                }
                let index = usize::try_from(keys[row])
                    .map_err(|_| format!("negative dictionary key at row {row}"))?;
                if index >= values.len() {
                    return Err(format!("dictionary key {index} out of range at row {row}"));
                }
                Ok(Some(values.value(index)))
            }
            Self::Plain(values) => Ok((!values.is_null(row)).then(|| values.value(row))),
        }
    }
}

/// A tag value at `row` (tests).
#[cfg(test)]
fn tag_value(column: &dyn Array, row: usize) -> Result<Option<&str>, String> {
    TagColumn::new(column)?.value(row)
}

/// Jump consistent hash (Lamping & Veach, 2014): maps `key` onto `0..buckets`.
fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    let mut b: i64 = -1;
    let mut j: i64 = 0;
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    // 0 ≤ b < buckets ≤ u32::MAX.
    b as u32
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use line_protocol::Precision;

    use super::*;
    use crate::write::convert_body;

    fn convert(lines: &str) -> Vec<(String, RecordBatch)> {
        let converted = convert_body(
            &schema::ConvertPool::new(2),
            lines.to_owned(),
            Precision::Nanoseconds,
            0,
        )
        .unwrap();
        assert_eq!(converted.stats.lines_rejected, 0);
        converted
            .tables
            .into_iter()
            .map(|t| (t.name, t.batch))
            .collect()
    }

    /// Oracle: the partition of one series, from the documented key layout. `tags` are (name,
    /// value) pairs in any order.
    fn series_partition(
        database: &str,
        table: &str,
        tags: &[(&str, Option<&str>)],
        partition_count: u32,
    ) -> LogPartition {
        let mut sorted = tags.to_vec();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let mut key = Vec::new();
        push_str(&mut key, database);
        push_str(&mut key, table);
        for (_, value) in sorted {
            match value {
                None => key.push(0),
                Some(value) => {
                    key.push(1);
                    push_str(&mut key, value);
                }
            }
        }
        jump_hash(xxh3_64(&key), partition_count.max(1))
    }

    const PINNED_CPU_HOSTS: [u32; 8] = [0, 12, 11, 0, 13, 9, 4, 2];

    #[test]
    fn jump_hash_is_fixed_and_in_range() {
        // Pinned values: changing the function would move every series to another partition.
        assert_eq!(jump_hash(0, 1), 0);
        assert_eq!(
            (0..8).map(|k| jump_hash(k, 16)).collect::<Vec<_>>(),
            vec![0, 6, 15, 8, 12, 10, 9, 13]
        );
        let hosts = ["a", "b", "c", "d", "e", "f", "g", "h"];
        let pinned: Vec<u32> = hosts
            .iter()
            .map(|h| series_partition("db", "cpu", &[("host", Some(h))], 16))
            .collect();
        assert_eq!(pinned, PINNED_CPU_HOSTS.to_vec());
        for k in 0..1000u64 {
            assert!(jump_hash(k.wrapping_mul(0x9e37_79b9_7f4a_7c15), 7) < 7);
        }
    }

    #[test]
    fn the_same_series_always_lands_on_the_same_partition() {
        let a = series_partition("db", "cpu", &[("host", Some("a")), ("dc", Some("x"))], 8);
        let b = series_partition("db", "cpu", &[("dc", Some("x")), ("host", Some("a"))], 8);
        assert_eq!(a, b, "tag order does not matter");
        let sharded = shard_tables(
            "db",
            convert("cpu,host=a,dc=x v=1 1\ncpu,dc=x,host=a v=2 2\ncpu,host=a,dc=x w=3i 3"),
            8,
        )
        .unwrap();
        assert_eq!(sharded.len(), 1);
        assert_eq!(sharded.keys().next(), Some(&a));
        // Null tag differs from empty-looking keys: the key encodes presence.
        assert_ne!(
            series_partition("db", "t", &[("a", None), ("b", Some("x"))], 1 << 20),
            series_partition("db", "t", &[("a", Some("x")), ("b", None)], 1 << 20)
        );
        assert_ne!(
            series_partition("ab", "c", &[], 1 << 20),
            series_partition("a", "bc", &[], 1 << 20)
        );
    }

    #[test]
    fn different_series_spread_and_every_row_lands_once() {
        let lines: String = (0..2000)
            .map(|i| format!("cpu,host=h{} v={i} {i}\n", i % 200))
            .collect();
        let sharded = shard_tables("db", convert(&lines), 8).unwrap();
        assert_eq!(
            sharded.len(),
            8,
            "200 series over 8 partitions touch them all"
        );
        let mut seen = HashSet::new();
        let mut total = 0;
        for (partition, tables) in &sharded {
            let mut hosts = HashSet::new();
            for (name, batch) in tables {
                assert_eq!(name, "cpu");
                let host = batch.column_by_name("host").unwrap();
                let v = batch
                    .column_by_name("v")
                    .unwrap()
                    .as_primitive::<arrow::datatypes::Float64Type>();
                for row in 0..batch.num_rows() {
                    let h = tag_value(host.as_ref(), row).unwrap().unwrap().to_string();
                    assert_eq!(
                        series_partition("db", "cpu", &[("host", Some(&h))], 8),
                        *partition
                    );
                    hosts.insert(h);
                    assert!(seen.insert(v.value(row) as i64), "row landed twice");
                    total += 1;
                }
            }
            assert!(
                hosts.len() > 5,
                "partition {partition} has {} series",
                hosts.len()
            );
        }
        assert_eq!(total, 2000);
        assert_eq!(seen.len(), 2000);
    }

    #[test]
    fn rows_with_missing_tags_land_where_their_series_key_says() {
        // Nulls in every position, repeated so the per-tuple memo is hit for each of them.
        let series = [
            (Some("a"), Some("x")),
            (Some("a"), None),
            (None, Some("x")),
            (None, None),
            (Some("b"), Some("x")),
        ];
        let mut lines = String::new();
        for round in 0..3 {
            for (i, (host, dc)) in series.iter().enumerate() {
                let mut line = "cpu".to_owned();
                if let Some(dc) = dc {
                    line.push_str(&format!(",dc={dc}"));
                }
                if let Some(host) = host {
                    line.push_str(&format!(",host={host}"));
                }
                lines.push_str(&format!("{line} v={} {}\n", round * 10 + i, round * 10 + i));
            }
        }
        let sharded = shard_tables("db", convert(&lines), 1 << 16).unwrap();
        let mut rows = 0;
        for (partition, tables) in &sharded {
            for (_, batch) in tables {
                let host = batch.column_by_name("host").unwrap();
                let dc = batch.column_by_name("dc").unwrap();
                for row in 0..batch.num_rows() {
                    let tags = [
                        ("host", tag_value(host.as_ref(), row).unwrap()),
                        ("dc", tag_value(dc.as_ref(), row).unwrap()),
                    ];
                    assert_eq!(
                        series_partition("db", "cpu", &tags, 1 << 16),
                        *partition,
                        "{tags:?}"
                    );
                    rows += 1;
                }
            }
        }
        assert_eq!(rows, 15);
        assert_eq!(sharded.len(), 5, "five series, five partitions of 65 536");
    }

    #[test]
    fn colliding_fingerprints_never_merge_different_series() {
        // Every tuple gets the same fingerprint: only the key comparison tells them apart.
        let lines: String = (0..300)
            .map(|i| format!("cpu,host=h{},dc=d{} v={i} {i}\n", i % 50, i % 3))
            .collect();
        let tables = convert(&lines);
        let (_, batch) = &tables[0];
        let expected = row_partitions("db", "cpu", batch, 1 << 16).unwrap();
        let collided = row_partitions_with("db", "cpu", batch, 1 << 16, |_, _| 7).unwrap();
        assert_eq!(collided, expected);
        let distinct: HashSet<_> = expected.iter().collect();
        assert!(
            distinct.len() > 100,
            "150 series: {} partitions",
            distinct.len()
        );
    }

    #[test]
    fn one_partition_keeps_the_batches_untouched() {
        let tables = convert("cpu,host=a v=1 1\nmem,host=b v=2 2");
        let sharded = shard_tables("db", tables.clone(), 1).unwrap();
        assert_eq!(sharded, BTreeMap::from([(0, tables)]));
    }
}
