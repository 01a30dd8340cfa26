//! Why a compaction, retention or garbage-collection step failed (each names the file or the
//! dependency involved). Every failure leaves the catalog as it was: the step is retried on a
//! later cycle, and objects it wrote but never swapped in are deleted or left to the collector.

/// A failed step.
#[derive(Debug, thiserror::Error)]
pub enum CompactError {
    /// The catalog refused or could not be reached.
    #[error("catalog: {0}")]
    Catalog(#[from] catalog::CatalogError),
    /// Reading or writing a Parquet object failed.
    #[error(transparent)]
    Store(#[from] parquet_store::StoreError),
    /// An input's columns do not fit the others'.
    #[error("parquet file {path}: {reason}")]
    Schema {
        /// Object path.
        path: String,
        /// What does not fit.
        reason: String,
    },
    /// The merge failed (reading an input, or merging).
    #[error("merge: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// An Arrow kernel failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Listing or deleting objects failed.
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// More inputs than one merge takes.
    #[error("a compaction job has more inputs than one merge takes")]
    TooManyInputs,
    /// A broken invariant (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}
