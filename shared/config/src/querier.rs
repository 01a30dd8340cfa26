//! `quiver querier`'s configuration.
//!
//! ```text
//! quiver querier ──► QuerierConfig { bind (0.0.0.0:8082, Arrow Flight gRPC), etcd,
//!                                    object_store, storage (--data-dir for file), logging }
//! ```

use clap::Args;

use crate::{EtcdArgs, LoggingArgs, ObjectStoreArgs, StorageArgs};

/// `quiver querier`: answers Arrow Flight queries over the Parquet files listed in the catalog.
#[derive(Debug, Clone, Args)]
pub struct QuerierConfig {
    /// Address to listen on for Arrow Flight (gRPC).
    #[arg(
        long = "bind",
        env = "QUIVER_BIND",
        value_name = "ADDR:PORT",
        default_value = "0.0.0.0:8082"
    )]
    pub bind: String,

    /// The cluster catalog.
    #[command(flatten)]
    pub etcd: EtcdArgs,

    /// Where Parquet files are read from.
    #[command(flatten)]
    pub object_store: ObjectStoreArgs,

    /// Local storage (`--data-dir`, for `--object-store file`).
    #[command(flatten)]
    pub storage: StorageArgs,

    /// Logging.
    #[command(flatten)]
    pub logging: LoggingArgs,
}
