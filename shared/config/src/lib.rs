//! Command-line configuration: clap blocks, one per concern, flattened into one struct per
//! service. Every flag can also be set with a `QUIVER_<FLAG_NAME>` environment variable
//! (flags win over the environment).
//!
//! ```text
//! quiver router ──► RouterConfig { bind (0.0.0.0:8080), auto_create_databases (false), etcd,
//!                                  common }   etcd = EtcdArgs { endpoints, prefix (/quiver/) }
//! quiver serve  ──► ServeConfig  { bind (0.0.0.0:8181), auto_create_databases (true),  common }
//!                   common = CommonArgs { StorageArgs, AuthArgs, WriteApiArgs, WriteLogArgs,
//!                                         LoggingArgs }
//! ```
//!
//! quiver ingester ──► IngesterConfig { bind (0.0.0.0:8083), ingester_id, etcd, kafka,
//!                                     object_store, storage, IngesterArgs (persist thresholds,
//!                                     memory budget; also flattened into serve), logging }
//!
//! quiver compactor ──► CompactorConfig { bind (0.0.0.0:8084), etcd, object_store, storage,
//!                                        CompactionArgs (also flattened into serve), logging }
//!
//! quiver admin ──► AdminConfig  { database|token subcommands; each leaf: AdminTarget { etcd,
//!                                  storage (--data-dir), format } }
//!
//! ObjectStoreArgs { --object-store file|s3|gcs|azure|memory, --bucket, --s3-* } is the block of
//! the services that keep Parquet files (ingester, querier, compactor, serve); see
//! `object_store.rs` for its defaults.
//!
//! Flag names are a contract (scripts, Helm charts and the test harness use them).

mod admin;
mod blocks;
mod compactor;
mod etcd;
mod ingester;
mod kafka;
mod object_store;
mod querier;
mod services;

pub use admin::{
    AdminCommand, AdminConfig, AdminTarget, DatabaseCommand, DbrpCommand, OutputFormat, Retention,
    TokenCommand, TopicCommand, format_retention, parse_retention,
};
pub use blocks::{
    AuthArgs, CommonArgs, LogFormat, LoggingArgs, StorageArgs, WriteApiArgs, WriteLogArgs,
};
pub use compactor::{
    CompactionArgs, CompactorConfig, DEFAULT_COMPACTION_MAX_INPUT_SIZE,
    DEFAULT_COMPACTION_TARGET_FILE_SIZE,
};
pub use etcd::{DEFAULT_ETCD_PREFIX, EtcdArgs};
pub use ingester::{
    DEFAULT_CONSUME_PRIORITY, DEFAULT_MEMORY_BUDGET, DEFAULT_PERSIST_MAX_BYTES,
    DEFAULT_PERSIST_MAX_ROWS, DEFAULT_PERSIST_NICE, IngesterArgs, IngesterConfig, parse_duration,
};
pub use kafka::{DEFAULT_KAFKA_LINGER, DEFAULT_KAFKA_TOPIC, KafkaArgs};
pub use object_store::{ObjectStoreArgs, ObjectStoreKind};
pub use querier::{QuerierConfig, QueryArgs};
pub use services::{RouterConfig, ServeConfig};
