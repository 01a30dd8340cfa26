//! Why a service subcommand could not start, or stopped with an error: one type for all of
//! them, printed by `main` as `error: …` (exit code 1).

use std::path::PathBuf;

use catalog::CatalogError;
use parquet_store::StoreError;
use service_shell::LoggingError;
use service_shell::{MissingDependency, StartError};
use write_log::WriteLogError;

/// A failed start or run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    /// Bad log filter, or logging set up twice.
    #[error(transparent)]
    Logging(#[from] LoggingError),
    /// A dependency's flag is not set.
    #[error(transparent)]
    Missing(#[from] MissingDependency),
    /// etcd could not be used at start (gave up retrying, or refused).
    #[error(transparent)]
    Etcd(#[from] StartError<CatalogError>),
    /// The Kafka topic could not be used at start.
    #[error(transparent)]
    Kafka(#[from] StartError<WriteLogError>),
    /// The object store flags are wrong.
    #[error("cannot open the object store: {0}")]
    ObjectStore(#[from] StoreError),
    /// The data directory cannot be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The embedded catalog of `quiver serve` cannot be opened.
    #[error("cannot open the catalog in {path}: {source}")]
    EmbeddedCatalog {
        /// The catalog directory.
        path: PathBuf,
        /// Cause.
        source: CatalogError,
    },
    /// `quiver serve`'s file log cannot be opened (or replayed).
    #[error("cannot open the write log in {path}: {source}")]
    FileLog {
        /// Its directory.
        path: PathBuf,
        /// Cause.
        source: WriteLogError,
    },
    /// Storing the operator token failed.
    #[error("cannot store the operator token: {0}")]
    OperatorToken(#[from] CatalogError),
    /// The ingester's persist threads cannot be started.
    #[error("cannot start the persist threads: {0}")]
    PersistThreads(std::io::Error),
    /// The address cannot be bound.
    #[error(transparent)]
    Bind(#[from] service_shell::BindError),
    /// The querier could not connect or serve.
    #[error(transparent)]
    Querier(#[from] querier::QuerierError),
    /// Flags that parse one by one but do not fit together.
    #[error("{0}")]
    InvalidFlags(String),
    /// The compactor could not be set up.
    #[error("cannot start the compactor: {0}")]
    Compactor(#[from] compactor::CompactError),
    /// The server failed while running.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}
