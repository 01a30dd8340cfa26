//! The write log: the sequenced, durable hand-off between routers and ingesters.
//!
//! ```text
//! router ──► LogWrite { database, tables: [(table, RecordBatch)] }
//!        ──► Arc<dyn WriteLog>::append ──► LogPosition { partition, offset }   (then 204)
//!                 ├─► MemWriteLog   (this issue: tests, `quiver serve`; keeps everything)
//!                 ├─► Kafka backend (issue 4)
//!                 └─► file backend  (issue 4)
//! ```
//!
//! An append either returns a position (the write is in the log) or an error; a backend never
//! drops a write silently. [`WriteLogError::is_retryable`] tells callers to answer 503 +
//! `Retry-After`.

mod memory;

use arrow::record_batch::RecordBatch;
use async_trait::async_trait;

pub use memory::{AppendedWrite, MemWriteLog};

/// One write request's rows, as appended to the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogWrite {
    /// Database name.
    pub database: String,
    /// One batch per table, in the order the router produced them.
    pub tables: Vec<(String, RecordBatch)>,
}

impl LogWrite {
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

/// Where an append landed: log partition and offset within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogPosition {
    /// Log partition.
    pub partition: u32,
    /// Offset within the partition.
    pub offset: u64,
}

/// A failed append. Nothing of the write is in the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteLogError {
    /// The log's memory budget would be exceeded (backpressure).
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
    /// The log cannot be reached.
    #[error("write log unavailable: {0}")]
    Unavailable(String),
}

impl WriteLogError {
    /// True when retrying later may succeed (every current variant: the router answers 503 +
    /// `Retry-After`).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::BudgetExceeded { .. } | Self::Unavailable(_))
    }
}

/// A sequenced log of writes. Object-safe: use it as `Arc<dyn WriteLog>`.
#[async_trait]
pub trait WriteLog: Send + Sync + std::fmt::Debug + 'static {
    /// Appends a write; returns once it is durable in the log (as durable as the backend gets).
    async fn append(&self, write: LogWrite) -> Result<LogPosition, WriteLogError>;
}
