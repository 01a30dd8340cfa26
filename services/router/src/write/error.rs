//! Why a write failed after its body was read (steps 5–8), typed. The HTTP layer maps each
//! variant to a status, a JSON body and `Retry-After` once, in `http::error` (the one table);
//! nothing here knows about HTTP.
//!
//! ```text
//! convert (5) ──► Rejected (lines) | Convert (a bug)
//! database (6) ──► DatabaseNotFound | Catalog | OutsideRetention | NoTimeColumn (a bug)
//! schema (7)   ──► Catalog (conflict, limits, unavailable) | ColumnType (a bug)
//! log (8)      ──► Shard (a bug) | Append (retryable / too large / failed: WriteLogError kinds)
//! ```

use arrow::error::ArrowError;
use catalog::CatalogError;
use schema::SchemaError;

use super::append::AppendError;

/// A failed write step.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Lines were rejected: all-or-nothing, or partial with `accept_partial=true` (then the
    /// valid lines were written).
    #[error("{message}")]
    Rejected {
        /// `no data written, …` or `partial write: …` with one line per error.
        message: String,
        /// First rejected line, 1-based.
        line: usize,
    },
    /// Building the Arrow batches failed (a bug: parsed lines always convert).
    #[error("building record batches: {0}")]
    Convert(#[source] ArrowError),
    /// The database does not exist and auto-creation is off.
    #[error("database not found: {0:?}")]
    DatabaseNotFound(String),
    /// Rows older than the database's retention period.
    #[error(
        "data in table {table} is outside of the retention period: minimum acceptable timestamp is {minimum}, but observed timestamp {observed} is older"
    )]
    OutsideRetention {
        /// Table name.
        table: String,
        /// Oldest accepted time (RFC 3339).
        minimum: String,
        /// Oldest time of the write (RFC 3339).
        observed: String,
    },
    /// A converted batch without a nanosecond `time` column (a bug).
    #[error("table {table} has no nanosecond time column")]
    NoTimeColumn {
        /// Table name.
        table: String,
    },
    /// A converted column without a readable Influx type (a bug).
    #[error("converted batch of table {table}: {source}")]
    ColumnType {
        /// Table name.
        table: String,
        /// Cause.
        source: SchemaError,
    },
    /// The catalog refused or failed: schema conflict, service limit, unavailable, ….
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Sharding the rows onto log partitions failed (a bug).
    #[error("sharding rows onto log partitions: {0}")]
    Shard(#[source] ArrowError),
    /// The rows are not (all) in the write log.
    #[error(transparent)]
    Append(#[from] AppendError),
}
