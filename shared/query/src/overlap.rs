//! Splits one partition key's Parquet files and unpersisted batches into scan groups whose time
//! ranges do not overlap: a duplicate (same tags and `time`) can only sit in two members whose
//! ranges share that time, so only a group with several members needs the sort + dedup, and
//! groups can be read in parallel.
//!
//! ```text
//! members = files [min_time, max_time] (catalog) ∪ batches [min(time), max(time)]
//!   ──► sort by start ──► sweep: a member starting at or before the group's end joins it
//!   ──► per group: files in write order (`ParquetFileRecord::write_order`: compaction level, older first, then log partition and first offset), then the batches in
//!       applied order (newer than every file)
//! ```

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::TimestampNanosecondType;
use catalog::ParquetFileRecord;
use schema::TIME_COLUMN_NAME as TIME_COLUMN;

/// Files and unpersisted batches of one partition key read (and deduplicated) together.
#[derive(Debug, Default)]
pub(crate) struct ScanGroup {
    /// In write order.
    pub files: Vec<ParquetFileRecord>,
    /// In applied order.
    pub batches: Vec<RecordBatch>,
}

impl ScanGroup {
    /// One file is sorted and deduplicated already; anything more (or any buffered rows, which
    /// the ingester keeps as written) must be merged.
    pub(crate) fn needs_dedup(&self) -> bool {
        self.files.len() > 1 || !self.batches.is_empty()
    }
}

/// The time range of a batch's `time` column; the whole range when it has none (it then
/// overlaps everything, which is always correct).
fn batch_range(batch: &RecordBatch) -> (i64, i64) {
    let Some(times) = batch
        .column_by_name(TIME_COLUMN)
        .and_then(|c| c.as_primitive_opt::<TimestampNanosecondType>())
    else {
        return (i64::MIN, i64::MAX);
    };
    match (
        arrow::compute::min(times),
        arrow::compute::max(times),
        times.null_count(),
    ) {
        (Some(lo), Some(hi), 0) => (lo, hi),
        _ => (i64::MIN, i64::MAX),
    }
}

enum Member {
    File(ParquetFileRecord),
    Batch(usize, RecordBatch),
}

/// Groups `files` and `batches` (applied order) of one partition key; see the module doc.
pub(crate) fn overlap_groups(
    files: Vec<ParquetFileRecord>,
    batches: Vec<RecordBatch>,
) -> Vec<ScanGroup> {
    let mut members: Vec<(i64, i64, Member)> = files
        .into_iter()
        .map(|f| (f.min_time_ns, f.max_time_ns, Member::File(f)))
        .chain(
            batches
                .into_iter()
                .filter(|b| b.num_rows() > 0)
                .enumerate()
                .map(|(i, b)| {
                    let (lo, hi) = batch_range(&b);
                    (lo, hi, Member::Batch(i, b))
                }),
        )
        .collect();
    members.sort_by_key(|(lo, _, _)| *lo);
    // (end of the group's time range, its files, its batches with their input index)
    type Group = (i64, Vec<ParquetFileRecord>, Vec<(usize, RecordBatch)>);
    let mut groups: Vec<Group> = Vec::new();
    for (lo, hi, member) in members {
        match groups.last_mut() {
            Some((end, files, batches)) if lo <= *end => {
                *end = (*end).max(hi);
                match member {
                    Member::File(f) => files.push(f),
                    Member::Batch(i, b) => batches.push((i, b)),
                }
            }
            _ => {
                let (files, batches) = match member {
                    Member::File(f) => (vec![f], Vec::new()),
                    Member::Batch(i, b) => (Vec::new(), vec![(i, b)]),
                };
                groups.push((hi, files, batches));
            }
        }
    }
    groups
        .into_iter()
        .map(|(_, mut files, mut batches)| {
            files.sort_by_key(|r| (r.log_partition, r.min_offset, r.max_offset));
            batches.sort_by_key(|(i, _)| *i);
            ScanGroup {
                files,
                batches: batches.into_iter().map(|(_, b)| b).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::TimestampNanosecondArray;
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    use super::*;

    fn file(name: &str, min: i64, max: i64, offset: u64) -> ParquetFileRecord {
        ParquetFileRecord {
            object_id: name.into(),
            database_id: catalog::DatabaseId(1),
            table_id: catalog::TableId(1),
            partition_key: "k".into(),
            path: name.into(),
            size_bytes: 1,
            row_count: 1,
            min_time_ns: min,
            max_time_ns: max,
            log_partition: 0,
            min_offset: offset,
            max_offset: offset,
            created_at_ns: 0,
            compaction_level: 0,
        }
    }

    fn batch(times: &[i64]) -> RecordBatch {
        let schema = Schema::new(vec![Field::new(
            TIME_COLUMN,
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            false,
        )]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(TimestampNanosecondArray::from(times.to_vec()))],
        )
        .unwrap()
    }

    fn shape(groups: &[ScanGroup]) -> Vec<(Vec<String>, Vec<Vec<i64>>, bool)> {
        groups
            .iter()
            .map(|g| {
                let files = g.files.iter().map(|f| f.path.clone()).collect();
                let batches = g
                    .batches
                    .iter()
                    .map(|b| {
                        b.column(0)
                            .as_primitive::<TimestampNanosecondType>()
                            .values()
                            .to_vec()
                    })
                    .collect();
                (files, batches, g.needs_dedup())
            })
            .collect()
    }

    fn s(names: &[&str]) -> Vec<String> {
        names.iter().map(|x| (*x).to_string()).collect()
    }

    #[test]
    fn disjoint_files_are_read_alone_without_dedup() {
        let groups = overlap_groups(
            vec![
                file("b", 20, 29, 2),
                file("a", 0, 9, 1),
                file("c", 10, 19, 3),
            ],
            Vec::new(),
        );
        assert_eq!(
            shape(&groups),
            [
                (s(&["a"]), vec![], false),
                (s(&["c"]), vec![], false),
                (s(&["b"]), vec![], false)
            ]
        );
    }

    #[test]
    fn chains_of_overlaps_form_one_group_in_write_order_with_batches_last() {
        let groups = overlap_groups(
            vec![
                file("late", 25, 30, 9),
                file("early", 0, 12, 1),
                file("bridge", 10, 26, 5),
                file("alone", 50, 60, 2),
            ],
            vec![batch(&[40, 41]), batch(&[28]), batch(&[]), batch(&[70, 45])],
        );
        assert_eq!(
            shape(&groups),
            [
                (s(&["early", "bridge", "late"]), vec![vec![28]], true),
                (s(&[]), vec![vec![40, 41]], true),
                // [45, 70] overlaps "alone" [50, 60]: merged, the batch after the file.
                (s(&["alone"]), vec![vec![70, 45]], true),
            ]
        );
    }

    #[test]
    fn equal_bounds_overlap() {
        let groups = overlap_groups(vec![file("a", 0, 10, 1), file("b", 10, 20, 2)], Vec::new());
        assert_eq!(groups.len(), 1);
        assert!(groups[0].needs_dedup());
    }
}
