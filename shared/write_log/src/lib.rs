//! The write log: the sequenced, durable hand-off between routers and ingesters.
//!
//! ```text
//! router ──► shard rows by (database, table, series key) onto partition_count() partitions
//!        ──► WriteLog::append(partition, LogWrite) per partition touched ──► LogPosition (then 204)
//!                 ├─► MemWriteLog    (tests, serve without --data-dir; one partition; drops persisted)
//!                 ├─► KafkaWriteLog  (cluster: one Kafka record per append, acks=all)
//!                 └─► FileWriteLog   (`quiver serve`: one partition, segments, group-commit fsync)
//!
//! ingester ◄── LogReader::next_event ◄── Assigned(ps) → seek(p, persisted + 1) → Record…(in
//!              offset order per partition) … Revoked(ps);  persisted(p, o) once o is in Parquet
//! ```
//!
//! An append either returns a position (the write is in the log) or an error; a backend never
//! drops a write silently. [`WriteLogError::is_retryable`] tells callers to answer 503 +
//! `Retry-After`, [`WriteLogError::is_too_large`] 413; anything else is a failure (500). The on-log record format is [`codec`]
//! (protobuf `quiver.write_log.v1`, `proto/`).

pub mod codec;
pub mod file;
pub mod kafka;
mod memory;

use std::collections::BTreeMap;
use std::fmt::Debug;

use arrow::record_batch::RecordBatch;
use async_trait::async_trait;

pub use memory::{AppendedWrite, MemLogReader, MemWriteLog};

/// A log partition number, `0..WriteLog::partition_count()`.
pub type LogPartition = u32;

/// One write request's rows for one log partition, as appended to (and read back from) the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogWrite {
    /// Database name.
    pub database: String,
    /// One batch per table, in the order the router produced them.
    pub tables: Vec<(String, RecordBatch)>,
    /// W3C trace context of the request that produced the write (`traceparent` header value),
    /// carried in the record so the ingester can link its spans. `None` when absent.
    pub traceparent: Option<String>,
}

impl LogWrite {
    /// A write of `tables` into `database`, without trace context.
    pub fn new(database: impl Into<String>, tables: Vec<(String, RecordBatch)>) -> Self {
        Self {
            database: database.into(),
            tables,
            traceparent: None,
        }
    }

    /// Bytes of Arrow memory held by the batches (the unit of memory budgets).
    pub fn size_bytes(&self) -> usize {
        self.tables
            .iter()
            .map(|(name, batch)| name.len() + batch.get_array_memory_size())
            .sum()
    }

    /// Total rows over all tables.
    pub fn row_count(&self) -> usize {
        self.tables.iter().map(|(_, batch)| batch.num_rows()).sum()
    }
}

/// Where an append landed: log partition and offset within it. Offsets of a partition start at
/// 0 and grow; they may have gaps (Kafka), never repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogPosition {
    /// Log partition.
    pub partition: LogPartition,
    /// Offset within the partition.
    pub offset: u64,
}

/// A failed log operation. For `append`: unless the error says otherwise, the write may or may
/// not be in the log (a timeout after the broker stored it looks the same as a refusal); a
/// retry is safe because points are idempotent under last-write-wins.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteLogError {
    /// The log's memory budget would be exceeded (backpressure). Nothing was appended.
    #[error(
        "write log memory budget exceeded: {used} of {budget} bytes in use, this write needs {requested} more"
    )]
    BudgetExceeded {
        /// The budget in bytes.
        budget: usize,
        /// Bytes in use.
        used: usize,
        /// Bytes this write needs.
        requested: usize,
    },
    /// The log cannot be reached, or did not confirm in time (broker down, leader change,
    /// queue full, delivery timeout). Retryable.
    #[error("write log unavailable: {0}")]
    Unavailable(String),
    /// A partition outside `0..partition_count`. A caller bug or a topic that shrank.
    #[error("write log partition {partition} does not exist (the log has {partition_count})")]
    UnknownPartition {
        /// The partition asked for.
        partition: LogPartition,
        /// How many partitions the log has.
        partition_count: u32,
    },
    /// A record could not be encoded (append) — nothing was appended.
    #[error("cannot encode write log record: {0}")]
    Encode(String),
    /// A record larger than the log accepts — nothing was appended. Not retryable: the same
    /// write fails again; the client must send smaller requests.
    #[error(
        "a write log record of {bytes} bytes is larger than {limit}: send smaller write requests"
    )]
    RecordTooLarge {
        /// Encoded size of the refused record (for the memory log: its Arrow bytes).
        bytes: usize,
        /// The limit that refused it, in words (`the 16777216-byte record limit of …`).
        limit: String,
    },
    /// A record in the log could not be decoded (unknown format version, bad protobuf, bad
    /// Arrow IPC). Returned once by `LogReader::next_event`; the reader has moved past the record,
    /// so the next call continues with the following one. The caller decides whether to stop.
    #[error("write log record at partition {partition} offset {offset} is unreadable: {reason}")]
    Malformed {
        /// Partition of the record.
        partition: LogPartition,
        /// Offset of the record.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A record written by a newer Quiver: a format version or payload encoding this reader does
    /// not know. Returned once by `LogReader::next_event`, which has moved past it like after
    /// [`Self::Malformed`]; the caller must not skip it (its rows would be lost) but seek back
    /// to `offset` and retry until an upgraded reader takes the partition over.
    #[error(
        "write log record at partition {partition} offset {offset} was written by a newer Quiver \
         ({reason}); upgrade this ingester: ingesters must be upgraded before routers"
    )]
    NewerFormat {
        /// Partition of the record.
        partition: LogPartition,
        /// Offset of the record.
        offset: u64,
        /// What this reader does not know.
        reason: String,
    },
    /// The requested offset is no longer (or not yet) in the log, e.g. deleted by retention.
    /// Not retryable: data between the persisted offset and the earliest retained one is gone.
    #[error(
        "write log partition {partition} has no offset {offset} (retained offsets start at {earliest})"
    )]
    OffsetOutOfRange {
        /// Partition.
        partition: LogPartition,
        /// Offset asked for.
        offset: u64,
        /// Earliest offset still in the log.
        earliest: u64,
    },
    /// The log's storage failed or is damaged (file log: I/O error, checksum mismatch in the
    /// middle of a segment). Not retryable without an operator.
    #[error("write log storage error: {0}")]
    Storage(String),
    /// A `LogReader` call that its state does not allow (seek of a partition not assigned to it).
    #[error("write log reader: {0}")]
    InvalidState(String),
}

impl WriteLogError {
    /// True when retrying later may succeed: the router answers 503 + `Retry-After`, a reader's
    /// caller calls `next_event` again after a short pause.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::BudgetExceeded { .. } | Self::Unavailable(_))
    }

    /// True when the write itself is too large for the log (the router answers 413).
    pub fn is_too_large(&self) -> bool {
        matches!(self, Self::RecordTooLarge { .. })
    }
}

/// The error a reader returns for the record at (`partition`, `offset`) that `codec::decode`
/// refused: [`WriteLogError::NewerFormat`] for a newer writer's record, else
/// [`WriteLogError::Malformed`].
pub fn unreadable_record(
    partition: LogPartition,
    offset: u64,
    error: &codec::CodecError,
) -> WriteLogError {
    let reason = error.to_string();
    if error.is_newer_format() {
        WriteLogError::NewerFormat {
            partition,
            offset,
            reason,
        }
    } else {
        WriteLogError::Malformed {
            partition,
            offset,
            reason,
        }
    }
}

/// The producing side of a sequenced, partitioned log of writes. Object-safe: use it as
/// `Arc<dyn WriteLog>`.
#[async_trait]
pub trait WriteLog: Send + Sync + Debug + 'static {
    /// Number of partitions, ≥ 1; partitions are `0..partition_count()`. Stable for the life of
    /// the process (a Kafka topic is read at start).
    fn partition_count(&self) -> u32;

    /// Appends one write to `partition`; returns once it is durable in the log (Kafka: acked by
    /// all in-sync replicas; file log: fsynced). Appends to one partition that are issued one
    /// after another (the second after the first returned) get increasing offsets.
    async fn append(
        &self,
        partition: LogPartition,
        write: LogWrite,
    ) -> Result<LogPosition, WriteLogError>;

    /// Appends one write to each of the given partitions (each partition at most once) and
    /// returns every append's result, in the order given; each succeeds or fails on its own, as
    /// [`Self::append`] would. Backends may send them together — Kafka encodes all of them first
    /// and then queues them at once, so the producer puts every partition of a broker into one
    /// produce request. The default appends them concurrently.
    async fn append_each(
        &self,
        writes: Vec<(LogPartition, LogWrite)>,
    ) -> Vec<Result<LogPosition, WriteLogError>> {
        futures::future::join_all(
            writes
                .into_iter()
                .map(|(partition, write)| self.append(partition, write)),
        )
        .await
    }

    /// The next offset to be assigned, per partition (every partition present). A reader that has
    /// applied everything below these has seen every write acknowledged before the call.
    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, WriteLogError>;

    /// Waits until every append issued so far is durable or failed (graceful shutdown).
    async fn flush(&self) -> Result<(), WriteLogError>;
}

/// A write as read back from the log, with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    /// Where it is in the log.
    pub position: LogPosition,
    /// The write.
    pub write: LogWrite,
}

/// What a [`LogReader`] delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEvent {
    /// These partitions are now this reader's. None of their records is delivered until the
    /// caller has called [`LogReader::seek`] for each one.
    Assigned(Vec<LogPartition>),
    /// These partitions are no longer this reader's (delivered before another consumer gets
    /// them). No record of them is delivered after this event; drop their buffers.
    Revoked(Vec<LogPartition>),
    /// The next record of an assigned, sought partition. Per partition, records arrive in
    /// offset order, starting at the sought offset (or the first one after it, if there are gaps).
    Record(LogRecord),
}

/// The consuming side: one member of a consumer group (Kafka) or the sole reader (file, memory).
///
/// Every method is called from one task. `next_event` is cancel-safe: dropping its future (e.g.
/// in `tokio::select!` against a timer) loses no event, so a caller can interleave `seek`,
/// `pause`, `resume` and `persisted` with waiting for events.
#[async_trait]
pub trait LogReader: Send + 'static {
    /// Waits for the next event. Assignment changes are delivered even while paused. A
    /// retryable error (broker unreachable) leaves the reader usable: call again. A
    /// [`WriteLogError::Malformed`] record is skipped after being reported once.
    async fn next_event(&mut self) -> Result<LogEvent, WriteLogError>;

    /// Starts (or restarts) delivery of `partition` at `offset`: the ingester passes the
    /// catalog's persisted offset + 1, or 0 when nothing is persisted. Records of the partition
    /// already fetched but not delivered are discarded. Errors with
    /// [`WriteLogError::InvalidState`] if the partition is not assigned to this reader.
    async fn seek(&mut self, partition: LogPartition, offset: u64) -> Result<(), WriteLogError>;

    /// Stops delivering records (backpressure): `next_event` then only returns assignment
    /// changes (or waits). Records fetched before the pause are kept and delivered after
    /// `resume`, in order.
    fn pause(&mut self) -> Result<(), WriteLogError>;

    /// Undoes [`LogReader::pause`].
    fn resume(&mut self) -> Result<(), WriteLogError>;

    /// Tells the log that every record of `partition` with offset ≤ `offset` is in Parquet and
    /// committed to the catalog. The file log may delete whole segments below it; Kafka commits
    /// `offset + 1` for the group as a hint for tools (the catalog stays the truth; a reader
    /// never starts from it). Idempotent; a lower offset than before is ignored.
    async fn persisted(
        &mut self,
        partition: LogPartition,
        offset: u64,
    ) -> Result<(), WriteLogError>;
}
