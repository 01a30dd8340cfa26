//! Records the write path keeps in the catalog: per-log-partition persisted offsets, Parquet file
//! records grouped by (table, partition key), and ingester leases (docs/architecture.md, "The
//! catalog" and "The ingester").

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
    /// Log partition the rows came from.
    pub log_partition: LogPartition,
    /// First log offset whose rows are in the file.
    pub min_offset: u64,
    /// Last log offset whose rows are in the file.
    pub max_offset: u64,
    /// When the record was added (ns since the epoch).
    pub created_at_ns: i64,
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
