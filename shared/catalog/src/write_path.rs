//! Records the write path keeps in the catalog: per-log-partition persisted offsets, Parquet file
//! records grouped by (table, partition key), their replacement by the compactor and retention
//! ([`FileSwap`], [`RemovedFile`]), and ingester leases (docs/architecture.md, "The catalog" and
//! "The ingester").
//!
//! ```text
//! ingester ──► PersistCommit {files (level 0), offset CAS} ──► live file records
//! compactor / retention ──► FileSwap {remove: live records, add: new records}
//!     ──► FileSwap::check (shape: non-empty remove, ≤ MAX_SWAP_OPS, one partition key, no
//!         duplicates) ──► backend, ONE transaction: every `remove` still live? (else
//!         FilesChanged) ──► removed become RemovedFile {removed_at_ns: now}, added become live
//! garbage collector ──► removed_files ──► delete objects past the grace period
//!     ──► purge_removed_files (forget the retired records)
//! parquet_files(db, table) ──► per partition key, live records in write order
//!     (ParquetFileRecord::write_order: compaction level 2, 1, 0, then log position, creation)
//! ```

use std::cmp::Reverse;
use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{CatalogError, DatabaseId, TableId};

/// A partition of the write log (a Kafka partition, or the embedded log's single partition).
pub type LogPartition = u32;

/// One persisted Parquet file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParquetFileRecord {
    /// Unique object id (a UUID as text); the file is `<db_id>/<table_id>/<partition_key>/<object_id>.parquet`.
    pub object_id: String,
    /// Database.
    pub database_id: DatabaseId,
    /// Table.
    pub table_id: TableId,
    /// Partition key (default: UTC day `%Y-%m-%d` of the rows' time).
    pub partition_key: String,
    /// Object-store path of the file.
    pub path: String,
    /// File size.
    pub size_bytes: u64,
    /// Rows in the file.
    pub row_count: u64,
    /// Smallest `time` in the file (ns).
    pub min_time_ns: i64,
    /// Largest `time` in the file (ns).
    pub max_time_ns: i64,
    /// Log partition the rows came from (level 0 only; 0 for compacted files).
    pub log_partition: LogPartition,
    /// First log offset whose rows are in the file (level 0 only; 0 for compacted files).
    pub min_offset: u64,
    /// Last log offset whose rows are in the file (level 0 only; 0 for compacted files).
    pub max_offset: u64,
    /// When the record was added (ns since the epoch).
    pub created_at_ns: i64,
    /// 0: written by an ingester's persist (`log_partition`, `min_offset` and `max_offset` say
    /// which log records it holds); 1 and 2: written by the compactor (those three fields are 0
    /// and meaningless). Records stored before compaction existed have none: level 0.
    #[serde(default)]
    pub compaction_level: u8,
}

/// The key [`ParquetFileRecord::write_order`] sorts by.
pub type WriteOrder<'a> = (Reverse<u8>, LogPartition, u64, i64, &'a str);

impl ParquetFileRecord {
    /// The order in which the files of one partition key were written, older first: higher
    /// compaction level first (level 2 holds the oldest rows, then level 1, then the ingesters'
    /// level 0), then log partition, first log offset, creation time and object id (the last
    /// two settle files of the compactor, whose log fields are 0). Where two files hold a row
    /// of the same primary key, the later file's row wins. Every backend's `parquet_files`
    /// lists each partition key's records in this order.
    pub fn write_order(&self) -> WriteOrder<'_> {
        (
            Reverse(self.compaction_level),
            self.log_partition,
            self.min_offset,
            self.created_at_ns,
            &self.object_id,
        )
    }
}

/// Sorts the records of one partition key by [`ParquetFileRecord::write_order`].
pub(crate) fn sort_in_write_order(records: &mut [ParquetFileRecord]) {
    records.sort_by(|a, b| a.write_order().cmp(&b.write_order()));
}

/// The order of [`crate::Catalog::all_parquet_files`]: database, table, partition key, then
/// write order.
pub(crate) fn sort_all_files(records: &mut [ParquetFileRecord]) {
    records.sort_by(|a, b| {
        (a.database_id, a.table_id, &a.partition_key, a.write_order()).cmp(&(
            b.database_id,
            b.table_id,
            &b.partition_key,
            b.write_order(),
        ))
    });
}

/// Most operations one [`FileSwap`] may take, counted as [`FileSwap::ops`] (2 per retired
/// record: its live key goes and its retired key comes; 1 per added record): the etcd backend
/// applies a swap in one transaction, and etcd takes at most 128 operations per transaction.
pub const MAX_SWAP_OPS: usize = 120;

/// Replaces live file records of one (database, table, partition key) by new ones, atomically
/// ([`crate::Catalog::replace_files`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSwap {
    /// The database.
    pub database_id: DatabaseId,
    /// The table.
    pub table_id: TableId,
    /// The partition key.
    pub partition_key: String,
    /// Live records to retire, as read from `parquet_files`; each must still be live.
    pub remove: Vec<ParquetFileRecord>,
    /// New live records (same database, table and partition key).
    pub add: Vec<ParquetFileRecord>,
}

impl FileSwap {
    /// Operations the swap takes: 2 per retired record, 1 per added one (at most
    /// [`MAX_SWAP_OPS`]).
    pub fn ops(&self) -> usize {
        2 * self.remove.len() + self.add.len()
    }

    /// The checks that need no catalog state: at least one record to retire, at most
    /// [`MAX_SWAP_OPS`], every record of the swap's (database, table, partition key), no object
    /// id named twice. Every backend runs them first.
    pub(crate) fn check(&self) -> Result<(), CatalogError> {
        let invalid = |reason: String| Err(CatalogError::InvalidFileSwap { reason });
        if self.remove.is_empty() {
            return invalid(format!(
                "it retires no file record ({} to add): a swap replaces live files; new files alone are committed by an ingester's persist",
                self.add.len()
            ));
        }
        if self.ops() > MAX_SWAP_OPS {
            return invalid(format!(
                "it retires {} and adds {} file records, {} operations (2 per retired record, 1 per added one), more than the {MAX_SWAP_OPS} of one swap; split it",
                self.remove.len(),
                self.add.len(),
                self.ops()
            ));
        }
        for record in self.remove.iter().chain(&self.add) {
            if record.database_id != self.database_id
                || record.table_id != self.table_id
                || record.partition_key != self.partition_key
            {
                return invalid(format!(
                    "file record {} belongs to database {}, table {}, partition key {:?}, not to the swap's database {}, table {}, partition key {:?}",
                    record.object_id,
                    record.database_id.0,
                    record.table_id.0,
                    record.partition_key,
                    self.database_id.0,
                    self.table_id.0,
                    self.partition_key
                ));
            }
        }
        let mut retired = HashSet::new();
        for record in &self.remove {
            if !retired.insert(record.object_id.as_str()) {
                return invalid(format!(
                    "file record {} is named twice among the records to retire",
                    record.object_id
                ));
            }
        }
        let mut added = HashSet::new();
        for record in &self.add {
            if retired.contains(record.object_id.as_str()) {
                return invalid(format!(
                    "file record {} is both retired and added",
                    record.object_id
                ));
            }
            if !added.insert(record.object_id.as_str()) {
                return invalid(format!(
                    "file record {} is named twice among the records to add",
                    record.object_id
                ));
            }
        }
        Ok(())
    }

    /// [`CatalogError::FilesChanged`] for a record of this swap that is no longer live.
    pub(crate) fn changed(&self, object_id: &str) -> CatalogError {
        CatalogError::FilesChanged {
            database_id: self.database_id.0,
            table_id: self.table_id.0,
            partition_key: self.partition_key.clone(),
            object_id: object_id.to_owned(),
        }
    }

    /// [`CatalogError::FileAlreadyExists`] for a record this swap would add.
    pub(crate) fn exists(&self, object_id: &str) -> CatalogError {
        CatalogError::FileAlreadyExists {
            database_id: self.database_id.0,
            table_id: self.table_id.0,
            partition_key: self.partition_key.clone(),
            object_id: object_id.to_owned(),
        }
    }
}

/// A retired file record: no query lists it any more; its object is deleted by the garbage
/// collector once `removed_at_ns` is older than the grace period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedFile {
    /// The record as it was live.
    pub record: ParquetFileRecord,
    /// When the swap retired it (wall clock of the catalog process, ns since the epoch).
    pub removed_at_ns: i64,
}

/// The order of [`crate::Catalog::removed_files`]: retirement time, then database, table,
/// partition key and object id.
pub(crate) fn sort_removed(removed: &mut [RemovedFile]) {
    removed.sort_by(|a, b| {
        let key = |r: &RemovedFile| (r.removed_at_ns, r.record.database_id, r.record.table_id);
        (key(a), &a.record.partition_key, &a.record.object_id).cmp(&(
            key(b),
            &b.record.partition_key,
            &b.record.object_id,
        ))
    });
}

/// What an ingester commits after writing Parquet files: the file records and the new persisted
/// offset of one log partition, in ONE transaction, only if the partition's persisted offset is
/// still `expected_offset` (compare-and-swap; `None` = nothing persisted yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistCommit {
    /// The log partition.
    pub log_partition: LogPartition,
    /// The persisted offset this ingester started from (`None`: none recorded yet).
    pub expected_offset: Option<u64>,
    /// The new persisted offset (every record up to and including it is in Parquet).
    pub new_offset: u64,
    /// Files to add (may be empty when the records held no rows).
    pub files: Vec<ParquetFileRecord>,
}

/// An ingester as queriers see it: where to ask for unpersisted rows, and of which partitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngesterInfo {
    /// Stable id of the ingester (unique in the cluster).
    pub id: String,
    /// gRPC/Flight address, `http://host:port`.
    pub address: String,
    /// Log partitions it currently owns.
    pub partitions: Vec<LogPartition>,
}

/// A registration that disappears when not kept alive (etcd lease semantics).
#[async_trait]
pub trait IngesterLease: Send + Sync + std::fmt::Debug {
    /// Refreshes the lease; call more often than its TTL.
    async fn keep_alive(&self) -> Result<(), CatalogError>;
    /// Replaces the published info (e.g. after a partition rebalance).
    async fn update(&self, info: IngesterInfo) -> Result<(), CatalogError>;
    /// Removes the registration now.
    async fn release(&self) -> Result<(), CatalogError>;
}

/// Default TTL of an ingester lease.
pub const DEFAULT_INGESTER_LEASE_TTL: Duration = Duration::from_secs(10);

/// Most file records one [`PersistCommit`] may hold: the etcd backend commits the files and the
/// offset in one transaction, and etcd takes at most 128 operations per transaction (one is the
/// offset). Ingesters persist a buffer before it spans more (database, table, partition key)
/// combinations than this; the margin below 127 leaves room for future per-commit keys.
pub const MAX_FILES_PER_PERSIST: usize = 120;

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        object: &str,
        level: u8,
        partition: u32,
        offset: u64,
        created: i64,
    ) -> ParquetFileRecord {
        ParquetFileRecord {
            object_id: object.to_owned(),
            database_id: DatabaseId(1),
            table_id: TableId(2),
            partition_key: "2024-01-01".to_owned(),
            path: format!("1/2/2024-01-01/{object}.parquet"),
            size_bytes: 10,
            row_count: 1,
            min_time_ns: 0,
            max_time_ns: 1,
            log_partition: partition,
            min_offset: offset,
            max_offset: offset,
            created_at_ns: created,
            compaction_level: level,
        }
    }

    /// A record as stored before compaction levels existed (etcd values, disk logs).
    #[test]
    fn a_record_without_a_compaction_level_is_level_0() {
        let old = r#"{"object_id":"0b6c","database_id":1,"table_id":2,"partition_key":"2024-01-01","path":"1/2/2024-01-01/0b6c.parquet","size_bytes":10,"row_count":1,"min_time_ns":0,"max_time_ns":1,"log_partition":3,"min_offset":4,"max_offset":5,"created_at_ns":6}"#;
        let decoded: ParquetFileRecord = serde_json::from_str(old).unwrap();
        assert_eq!(decoded.compaction_level, 0);
        assert_eq!((decoded.log_partition, decoded.min_offset), (3, 4));
        let again = serde_json::to_string(&decoded).unwrap();
        assert!(
            again.ends_with(r#""created_at_ns":6,"compaction_level":0}"#),
            "{again}"
        );
        let retired = RemovedFile {
            record: record("x", 2, 0, 0, 1),
            removed_at_ns: 9,
        };
        let json = serde_json::to_string(&retired).unwrap();
        assert_eq!(serde_json::from_str::<RemovedFile>(&json).unwrap(), retired);
    }

    #[test]
    fn write_order_is_level_descending_then_log_position_then_creation() {
        let mut files = vec![
            record("l0-p1", 0, 1, 0, 1),
            record("l0-p0-o5", 0, 0, 5, 1),
            record("l1-b", 1, 0, 0, 7),
            record("l0-p0-o2-late", 0, 0, 2, 9),
            record("l2", 2, 0, 0, 100),
            record("l1-a", 1, 0, 0, 7),
            record("l0-p0-o2-early", 0, 0, 2, 3),
            record("l1-early", 1, 0, 0, 2),
        ];
        sort_in_write_order(&mut files);
        let ids: Vec<&str> = files.iter().map(|f| f.object_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "l2",
                "l1-early",
                "l1-a",
                "l1-b",
                "l0-p0-o2-early",
                "l0-p0-o2-late",
                "l0-p0-o5",
                "l0-p1"
            ]
        );
    }

    fn swap(remove: Vec<ParquetFileRecord>, add: Vec<ParquetFileRecord>) -> FileSwap {
        FileSwap {
            database_id: DatabaseId(1),
            table_id: TableId(2),
            partition_key: "2024-01-01".to_owned(),
            remove,
            add,
        }
    }

    fn reason(swap: &FileSwap) -> String {
        match swap.check() {
            Err(CatalogError::InvalidFileSwap { reason }) => reason,
            other => panic!("expected an invalid swap, got {other:?}"),
        }
    }

    #[test]
    fn swap_shapes_are_checked_before_any_state() {
        let a = record("a", 0, 0, 0, 1);
        let b = record("b", 1, 0, 0, 2);
        assert_eq!(swap(vec![a.clone()], vec![b.clone()]).ops(), 3);
        assert_eq!(swap(vec![a.clone()], vec![b.clone()]).check(), Ok(()));
        assert_eq!(swap(vec![a.clone()], vec![]).check(), Ok(()));
        assert_eq!(
            reason(&swap(vec![], vec![b.clone()])),
            "it retires no file record (1 to add): a swap replaces live files; new files alone are committed by an ingester's persist"
        );
        assert_eq!(
            reason(&swap(vec![a.clone(), a.clone()], vec![])),
            "file record a is named twice among the records to retire"
        );
        assert_eq!(
            reason(&swap(vec![a.clone()], vec![b.clone(), b.clone()])),
            "file record b is named twice among the records to add"
        );
        assert_eq!(
            reason(&swap(vec![a.clone()], vec![a.clone()])),
            "file record a is both retired and added"
        );
        let elsewhere = ParquetFileRecord {
            partition_key: "2024-01-02".to_owned(),
            ..b.clone()
        };
        assert_eq!(
            reason(&swap(vec![a.clone()], vec![elsewhere])),
            "file record b belongs to database 1, table 2, partition key \"2024-01-02\", not to the swap's database 1, table 2, partition key \"2024-01-01\""
        );
        let other_table = ParquetFileRecord {
            table_id: TableId(3),
            ..a.clone()
        };
        assert!(reason(&swap(vec![other_table], vec![])).contains("table 3"));
        let full: Vec<ParquetFileRecord> = (0..MAX_SWAP_OPS / 2)
            .map(|i| record(&format!("r{i}"), 0, 0, i as u64, 1))
            .collect();
        assert_eq!(swap(full.clone(), vec![]).check(), Ok(()));
        let mut over = full;
        over.push(record("one-more", 0, 0, 99, 1));
        assert_eq!(
            reason(&swap(over, vec![])),
            "it retires 61 and adds 0 file records, 122 operations (2 per retired record, 1 per added one), more than the 120 of one swap; split it"
        );
    }
}
