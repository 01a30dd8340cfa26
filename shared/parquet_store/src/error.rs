//! Errors of the object-store and Parquet layer, each naming the flag, path or file involved.

use config::ObjectStoreKind;

/// Why a store could not be built, or a Parquet file not written or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `--object-store` was not given (cluster services must choose).
    #[error("--object-store is required: one of file, s3, gcs, azure, memory")]
    MissingKind,
    /// `--object-store file` without `--data-dir`.
    #[error("--object-store file needs --data-dir (objects are stored under <data-dir>/objects)")]
    MissingDataDir,
    /// A bucket store without `--bucket`.
    #[error("--object-store {kind} needs --bucket")]
    MissingBucket {
        /// The store kind.
        kind: ObjectStoreKind,
    },
    /// A flag given for a store kind it does not apply to.
    #[error("{flag} applies only to --object-store {applies_to}, not {kind}")]
    FlagNotApplicable {
        /// The flag, e.g. `--s3-endpoint`.
        flag: &'static str,
        /// Kinds it applies to, e.g. `s3`.
        applies_to: &'static str,
        /// The chosen kind.
        kind: ObjectStoreKind,
    },
    /// The local objects directory could not be created.
    #[error("cannot create object directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// object_store's builder rejected the configuration.
    #[error("cannot configure the {kind} object store: {source}")]
    Configure {
        /// The store kind.
        kind: ObjectStoreKind,
        /// Cause.
        source: object_store::Error,
    },
    /// A partition key cannot name a directory.
    #[error("partition key must not be empty")]
    EmptyPartitionKey,
    /// A stored path is not a valid object path.
    #[error("invalid object path {path:?}: {source}")]
    InvalidPath {
        /// The path text.
        path: String,
        /// Cause.
        source: object_store::path::Error,
    },
    /// The batch cannot be written as a Quiver Parquet file.
    #[error("cannot write table {table}: {reason}")]
    InvalidBatch {
        /// Table name.
        table: String,
        /// What is wrong.
        reason: String,
    },
    /// Encoding or decoding Parquet failed (including the object-store I/O under it).
    #[error("parquet file {path}: {source}")]
    Parquet {
        /// Object path.
        path: String,
        /// Cause.
        source: parquet::errors::ParquetError,
    },
    /// Storing an encoded file failed.
    #[error("parquet file {path}: {source}")]
    Upload {
        /// Object path.
        path: String,
        /// Cause (the object store's error, as I/O).
        source: std::io::Error,
    },
    /// An Arrow operation on read data failed.
    #[error("parquet file {path}: {source}")]
    Arrow {
        /// Object path.
        path: String,
        /// Cause.
        source: arrow::error::ArrowError,
    },
    /// The file lacks the `quiver:metadata` key.
    #[error("parquet file {path} has no {key} metadata (not written by Quiver?)")]
    MissingMetadata {
        /// Object path.
        path: String,
        /// The key looked for.
        key: &'static str,
    },
    /// The `quiver:metadata` value is not valid JSON of the expected shape.
    #[error("parquet file {path}: invalid quiver:metadata: {source}")]
    InvalidMetadata {
        /// Object path.
        path: String,
        /// Cause.
        source: serde_json::Error,
    },
    /// The metadata was written by a newer (or unknown) format version.
    #[error(
        "parquet file {path}: quiver:metadata version {found} is not supported (this build reads {supported})"
    )]
    UnsupportedMetadataVersion {
        /// Object path.
        path: String,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
}
