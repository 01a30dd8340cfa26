//! The contract between a querier and the ingesters for rows not yet persisted
//! (docs/architecture.md, "Queries"): what a querier asks one ingester, what it answers, and how
//! the querier finds whom to ask.
//!
//! ```text
//! querier ── UnpersistedRequest { database, table, columns, time bounds,
//!                                 partitions: [(partition, min_offset)] } ──► one ingester
//!   ingester: every asked partition it owns, once applied ≥ min_offset (bounded wait):
//!     ◄── UnpersistedAnswer { partitions: [(partition, applied, chunks in write order)] }
//!   ingester: a partition it does not own ──► UnpersistedError::NotOwned (ask its new owner)
//!   ingester: min_offset not reached in time ──► UnpersistedError::Timeout
//! ```
//!
//! Implementations: the ingester answers in process (`quiver serve`) and over Flight
//! (`quiver ingester`); [`IngesterDirectory`] says who owns which partition (etcd leases in a
//! cluster, the one embedded ingester in `serve`); [`HighWatermarks`] reads the log's ends.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use catalog::LogPartition;

use crate::TimeBounds;

/// One log partition to answer for, and the offset the ingester must have applied first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionWait {
    /// The log partition.
    pub partition: LogPartition,
    /// The answer must include every record up to this offset (inclusive); `None`: the
    /// partition had no records when the query started, answer with what is buffered.
    pub min_offset: Option<u64>,
}

/// A querier's request to one ingester for one table.
#[derive(Debug, Clone, PartialEq)]
pub struct UnpersistedRequest {
    /// Database name.
    pub database: String,
    /// Table name.
    pub table: String,
    /// Columns wanted (`None`: all). The querier always includes the tags and `time` it needs to
    /// deduplicate; the ingester returns those of them its batches have.
    pub columns: Option<Vec<String>>,
    /// Rows outside these `time` bounds may be left out (they may also be sent: the querier
    /// filters again).
    pub time_bounds: TimeBounds,
    /// Tag column ──► the values a wanted row has in it (every listed column must match; empty:
    /// no restriction). Rows that do not match may also be sent: the querier filters again.
    pub tags: BTreeMap<String, Vec<String>>,
    /// The partitions to answer for (all owned by the asked ingester, as far as the querier
    /// knows).
    pub partitions: Vec<PartitionWait>,
    /// How long the ingester may wait for `min_offset`s before answering
    /// [`UnpersistedError::Timeout`].
    pub wait: Duration,
}

impl UnpersistedRequest {
    /// A request for every column of `database`.`table` at any time, for `partitions`
    /// (partition, minimum offset); narrow it with `columns` / `time_bounds` / `tags`.
    pub fn new(
        database: impl Into<String>,
        table: impl Into<String>,
        partitions: impl IntoIterator<Item = (LogPartition, Option<u64>)>,
        wait: Duration,
    ) -> Self {
        Self {
            database: database.into(),
            table: table.into(),
            columns: None,
            time_bounds: TimeBounds::default(),
            tags: BTreeMap::new(),
            partitions: partitions
                .into_iter()
                .map(|(partition, min_offset)| PartitionWait {
                    partition,
                    min_offset,
                })
                .collect(),
            wait,
        }
    }
}

/// Buffered rows of one partition key, as the ingester holds them.
#[derive(Debug, Clone)]
pub struct UnpersistedChunk {
    /// Partition key (UTC day, `%Y-%m-%d`) of every row of `batch`.
    pub partition_key: String,
    /// Rows, with the columns the ingester's batches had (a subset of the table's, in any
    /// order; Arrow types per the schema crate's conventions).
    pub batch: RecordBatch,
}

/// What one partition answered.
#[derive(Debug, Clone)]
pub struct PartitionAnswer {
    /// The log partition.
    pub partition: LogPartition,
    /// The last offset the answer includes (applied or already persisted); `None`: nothing
    /// was ever applied or persisted on this partition.
    pub applied: Option<u64>,
    /// Unpersisted rows of the table, in the order their records were applied (older first;
    /// rows being persisted right now included — the querier deduplicates them against the
    /// file they end up in).
    pub chunks: Vec<UnpersistedChunk>,
}

/// One ingester's answer.
#[derive(Debug, Clone, Default)]
pub struct UnpersistedAnswer {
    /// One entry per asked partition.
    pub partitions: Vec<PartitionAnswer>,
}

/// Why an ingester (or the directory) could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnpersistedError {
    /// The ingester does not own the partition (any more): ask the directory again.
    #[error("ingester does not own log partition {partition}")]
    NotOwned {
        /// The partition.
        partition: LogPartition,
    },
    /// The ingester did not reach the offset in time.
    #[error(
        "ingester has applied log partition {partition} up to {applied:?}, not yet to offset {wanted} (waited {waited_ms} ms)"
    )]
    Timeout {
        /// The partition.
        partition: LogPartition,
        /// Offset asked for.
        wanted: u64,
        /// Offset applied when the wait ended.
        applied: Option<u64>,
        /// How long it waited.
        waited_ms: u64,
    },
    /// The ingester could not be reached or failed (transport, decoding, shutting down).
    #[error("ingester {ingester} failed: {message}")]
    Unavailable {
        /// Id or address of the ingester.
        ingester: String,
        /// What went wrong.
        message: String,
    },
    /// The log's high-water marks could not be read.
    #[error("cannot read the write log's high-water marks: {0}")]
    HighWatermarks(String),
    /// The owners could not be listed.
    #[error("cannot list the ingesters: {0}")]
    Directory(String),
    /// No ingester owns a partition that holds unpersisted rows.
    #[error(
        "no ingester owns log partition {partition}; rows written to it may not be visible yet (retry)"
    )]
    NoOwner {
        /// The partition.
        partition: LogPartition,
    },
}

/// One ingester's query interface.
#[async_trait]
pub trait UnpersistedSource: Send + Sync + Debug {
    /// Answers `request` (see the module doc).
    async fn unpersisted(
        &self,
        request: UnpersistedRequest,
    ) -> Result<UnpersistedAnswer, UnpersistedError>;
}

/// An ingester as the directory lists it.
#[derive(Debug, Clone)]
pub struct IngesterHandle {
    /// Stable id (for messages and connection reuse).
    pub id: String,
    /// How to ask it.
    pub source: Arc<dyn UnpersistedSource>,
    /// The partitions it owns, as it last published.
    pub partitions: Vec<LogPartition>,
}

/// Who owns which log partition now.
#[async_trait]
pub trait IngesterDirectory: Send + Sync + Debug {
    /// The live ingesters and their partitions.
    async fn ingesters(&self) -> Result<Vec<IngesterHandle>, UnpersistedError>;
}

/// The write log's ends.
#[async_trait]
pub trait HighWatermarks: Send + Sync + Debug {
    /// The next offset to be assigned, per partition (every partition present): a reader that
    /// applied everything below these has seen every write acknowledged before the call.
    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, UnpersistedError>;
}
