//! `quiver compactor`'s configuration, and the compaction block it shares with `quiver serve`.
//!
//! ```text
//! quiver compactor ──► CompactorConfig { bind (0.0.0.0:8084, HTTP: /health /ready /metrics),
//!                                        etcd, object_store, storage, compaction, logging }
//! CompactionArgs: --compaction-interval 10s      --compaction-min-files 10
//!                 --compaction-target-file-size 104857600 (100 MiB)
//!                 --compaction-cold-after 5m     --compaction-max-input-files 50
//!                 --compaction-max-input-size 1073741824 (1 GiB)
//!                 --compaction-concurrency 1
//!                 --compaction-shard-id 0        --compaction-shard-count 1
//!                 --gc-interval 5m               --gc-grace 1h
//! ```

use std::time::Duration;

use clap::Args;

use crate::blocks::parse_positive;
use crate::ingester::parse_duration;
use crate::{EtcdArgs, LoggingArgs, ObjectStoreArgs, StorageArgs};

/// Default `--compaction-target-file-size`: 100 MiB.
pub const DEFAULT_COMPACTION_TARGET_FILE_SIZE: usize = 100 * 1024 * 1024;
/// Default `--compaction-max-input-size`: 1 GiB.
pub const DEFAULT_COMPACTION_MAX_INPUT_SIZE: usize = 1024 * 1024 * 1024;

/// How compaction, retention and garbage collection run.
#[derive(Debug, Clone, Args)]
pub struct CompactionArgs {
    /// Pause between compaction cycles (each looks at every partition key this compactor owns,
    /// drops files past their database's retention, and compacts).
    #[arg(
        long = "compaction-interval",
        env = "QUIVER_COMPACTION_INTERVAL",
        value_name = "DURATION",
        default_value = "10s",
        value_parser = parse_duration
    )]
    pub interval: Duration,

    /// Files of one level (level 0: as the ingesters persisted them) that make a partition key
    /// still being written worth compacting.
    #[arg(
        long = "compaction-min-files",
        env = "QUIVER_COMPACTION_MIN_FILES",
        value_name = "FILES",
        default_value_t = 10,
        value_parser = parse_positive
    )]
    pub min_files: usize,

    /// Size of the files compaction writes (Parquet bytes).
    #[arg(
        long = "compaction-target-file-size",
        env = "QUIVER_COMPACTION_TARGET_FILE_SIZE",
        value_name = "BYTES",
        default_value_t = DEFAULT_COMPACTION_TARGET_FILE_SIZE,
        value_parser = parse_positive
    )]
    pub target_file_size: usize,

    /// A partition key no file was added to for this long is cold: it is compacted down to as
    /// few files of the target size as its rows need.
    #[arg(
        long = "compaction-cold-after",
        env = "QUIVER_COMPACTION_COLD_AFTER",
        value_name = "DURATION",
        default_value = "5m",
        value_parser = parse_duration
    )]
    pub cold_after: Duration,

    /// Most files one compaction job merges (its swap retires them in one catalog
    /// transaction; etcd takes 128 operations per transaction, so at most 55).
    #[arg(
        long = "compaction-max-input-files",
        env = "QUIVER_COMPACTION_MAX_INPUT_FILES",
        value_name = "FILES",
        default_value_t = 50,
        value_parser = parse_max_inputs
    )]
    pub max_input_files: usize,

    /// Most Parquet bytes one compaction job merges.
    #[arg(
        long = "compaction-max-input-size",
        env = "QUIVER_COMPACTION_MAX_INPUT_SIZE",
        value_name = "BYTES",
        default_value_t = DEFAULT_COMPACTION_MAX_INPUT_SIZE,
        value_parser = parse_positive
    )]
    pub max_input_size: usize,

    /// Partition keys compacted at once.
    #[arg(
        long = "compaction-concurrency",
        env = "QUIVER_COMPACTION_CONCURRENCY",
        value_name = "JOBS",
        default_value_t = 1,
        value_parser = parse_positive
    )]
    pub concurrency: usize,

    /// This compactor's shard, 0-based: it compacts the partition keys that hash to it. The
    /// compactor with shard id 0 also runs the garbage collector.
    #[arg(
        long = "compaction-shard-id",
        env = "QUIVER_COMPACTION_SHARD_ID",
        value_name = "ID",
        default_value_t = 0
    )]
    pub shard_id: u32,

    /// How many compactors share the work (each with its own shard id).
    #[arg(
        long = "compaction-shard-count",
        env = "QUIVER_COMPACTION_SHARD_COUNT",
        value_name = "COUNT",
        default_value_t = 1,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub shard_count: u32,

    /// Pause between garbage-collection passes.
    #[arg(
        long = "gc-interval",
        env = "QUIVER_GC_INTERVAL",
        value_name = "DURATION",
        default_value = "5m",
        value_parser = parse_duration
    )]
    pub gc_interval: Duration,

    /// How long an object is kept after no live record needs it (replaced by compaction,
    /// dropped by retention, orphaned by a crash, of a deleted database) before it is
    /// deleted. Must exceed the longest query: a query that listed a file before its swap
    /// still reads it.
    #[arg(
        long = "gc-grace",
        env = "QUIVER_GC_GRACE",
        value_name = "DURATION",
        default_value = "1h",
        value_parser = parse_duration
    )]
    pub gc_grace: Duration,
}

fn parse_max_inputs(s: &str) -> Result<usize, String> {
    let n = parse_positive(s)?;
    if !(2..=55).contains(&n) {
        return Err(format!(
            "must be between 2 and 55 (a swap retires every input in one etcd transaction), got {n}"
        ));
    }
    Ok(n)
}

/// `quiver compactor`: compaction, retention and garbage collection over the cluster's catalog
/// and object store.
#[derive(Debug, Clone, Args)]
pub struct CompactorConfig {
    /// Address to listen on for HTTP (`/health`, `/ready`, `/metrics`).
    #[arg(
        long = "bind",
        env = "QUIVER_BIND",
        value_name = "ADDR:PORT",
        default_value = "0.0.0.0:8084"
    )]
    pub bind: String,

    /// The cluster catalog.
    #[command(flatten)]
    pub etcd: EtcdArgs,

    /// Where Parquet files are read and written.
    #[command(flatten)]
    pub object_store: ObjectStoreArgs,

    /// Local storage (`--data-dir`, for `--object-store file`).
    #[command(flatten)]
    pub storage: StorageArgs,

    /// Compaction, retention, garbage collection.
    #[command(flatten)]
    pub compaction: CompactionArgs,

    /// Logging.
    #[command(flatten)]
    pub logging: LoggingArgs,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        config: CompactorConfig,
    }

    #[test]
    fn defaults() {
        let c = Cli::try_parse_from(["quiver"]).unwrap().config;
        assert_eq!(c.bind, "0.0.0.0:8084");
        let a = c.compaction;
        assert_eq!(a.interval, Duration::from_secs(10));
        assert_eq!((a.min_files, a.max_input_files, a.concurrency), (10, 50, 1));
        assert_eq!(a.target_file_size, DEFAULT_COMPACTION_TARGET_FILE_SIZE);
        assert_eq!(a.max_input_size, DEFAULT_COMPACTION_MAX_INPUT_SIZE);
        assert_eq!(a.cold_after, Duration::from_secs(300));
        assert_eq!((a.shard_id, a.shard_count), (0, 1));
        assert_eq!(a.gc_interval, Duration::from_secs(300));
        assert_eq!(a.gc_grace, Duration::from_secs(3600));
    }

    #[test]
    fn limits_are_checked_with_clear_messages() {
        let err = |args: &[&str]| {
            let mut argv = vec!["quiver"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv).unwrap_err().to_string()
        };
        let e = err(&["--compaction-max-input-files", "80"]);
        assert!(
            e.contains("must be between 2 and 55 (a swap retires every input in one etcd transaction), got 80"),
            "{e}"
        );
        assert!(err(&["--compaction-max-input-files", "1"]).contains("between 2 and 55"));
        assert!(err(&["--compaction-shard-count", "0"]).contains("--compaction-shard-count"));
        assert!(err(&["--gc-grace", "0s"]).contains("must be greater than zero"));
        let ok = Cli::try_parse_from([
            "quiver",
            "--compaction-shard-id",
            "2",
            "--compaction-shard-count",
            "3",
            "--gc-grace",
            "15m",
        ])
        .unwrap()
        .config
        .compaction;
        assert_eq!((ok.shard_id, ok.shard_count), (2, 3));
        assert_eq!(ok.gc_grace, Duration::from_secs(900));
    }
}
