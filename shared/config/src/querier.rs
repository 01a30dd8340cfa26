//! `quiver querier`'s configuration.
//!
//! ```text
//! quiver querier ──► QuerierConfig { bind (0.0.0.0:8082, Arrow Flight gRPC + HTTP), etcd,
//!                                    kafka (high-water marks), query (ingester waits),
//!                                    object_store, storage (--data-dir for file), logging }
//! ```

use std::time::Duration;

use clap::Args;

use crate::ingester::parse_duration;
use crate::{EtcdArgs, KafkaArgs, LoggingArgs, ObjectStoreArgs, StorageArgs};

/// How queries wait for the ingesters (read-after-write), for `querier` and `serve`.
#[derive(Debug, Clone, Copy, Args)]
pub struct QueryArgs {
    /// How long one ingester may take to reach the write log's high-water marks taken when a
    /// query starts (`500ms`, `10s`; a bare number is seconds). Past it the query fails with
    /// UNAVAILABLE instead of missing acknowledged writes.
    #[arg(
        long = "query-ingester-wait",
        env = "QUIVER_QUERY_INGESTER_WAIT",
        value_name = "DURATION",
        default_value = "10s",
        value_parser = parse_duration
    )]
    pub ingester_wait: Duration,

    /// The bound on a query's whole wait for the ingesters, retries while partitions move
    /// between ingesters included.
    #[arg(
        long = "query-ingester-deadline",
        env = "QUIVER_QUERY_INGESTER_DEADLINE",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = parse_duration
    )]
    pub deadline: Duration,
}

/// `quiver querier`: answers Arrow Flight queries over the Parquet files listed in the catalog.
#[derive(Debug, Clone, Args)]
pub struct QuerierConfig {
    /// Address to listen on for Arrow Flight (gRPC) and HTTP (`/health`, `/ready`, `/metrics`).
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

    /// The write log: its high-water marks, taken when a query starts, say which writes the
    /// ingesters must have applied before they answer.
    #[command(flatten)]
    pub kafka: KafkaArgs,

    /// Waiting for the ingesters.
    #[command(flatten)]
    pub query: QueryArgs,

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
