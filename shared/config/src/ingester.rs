//! `quiver ingester`'s configuration, and the persist block it shares with `quiver serve`.
//!
//! ```text
//! quiver ingester ──► IngesterConfig { bind (0.0.0.0:8083), ingester_id (hostname-port),
//!                                      etcd, kafka, object_store, storage (--data-dir for file),
//!                                      ingester: IngesterArgs, logging }
//! IngesterArgs: --persist-max-rows 1000000  --persist-max-bytes 268435456
//!               --persist-max-age 5m        --memory-budget 1073741824
//!               --persist-threads (CPUs)    --persist-nice idle
//! quiver ingester only: --consume-priority idle (the Kafka reader's decode thread)
//! ```

use std::time::Duration;

use clap::Args;
use cpu_pool::Priority;

use crate::blocks::parse_positive;
use crate::{EtcdArgs, KafkaArgs, LoggingArgs, ObjectStoreArgs, StorageArgs};

/// Default `--persist-max-rows` (per log partition).
pub const DEFAULT_PERSIST_MAX_ROWS: usize = 1_000_000;
/// Default `--persist-max-bytes` (per log partition): 256 MiB.
pub const DEFAULT_PERSIST_MAX_BYTES: usize = 256 * 1024 * 1024;
/// Default `--memory-budget`: 1 GiB.
pub const DEFAULT_MEMORY_BUDGET: usize = 1024 * 1024 * 1024;
/// Default `--persist-nice`.
pub const DEFAULT_PERSIST_NICE: Priority = Priority::Idle;

/// Default `--consume-priority`.
pub const DEFAULT_CONSUME_PRIORITY: Priority = Priority::Idle;

/// When the ingester persists, and how much it may buffer.
#[derive(Debug, Clone, Args)]
pub struct IngesterArgs {
    /// Persist a log partition's buffer once it holds this many rows.
    #[arg(
        long = "persist-max-rows",
        env = "QUIVER_PERSIST_MAX_ROWS",
        value_name = "ROWS",
        default_value_t = DEFAULT_PERSIST_MAX_ROWS,
        value_parser = parse_positive
    )]
    pub persist_max_rows: usize,

    /// Persist a log partition's buffer once it holds this many bytes (Arrow memory).
    #[arg(
        long = "persist-max-bytes",
        env = "QUIVER_PERSIST_MAX_BYTES",
        value_name = "BYTES",
        default_value_t = DEFAULT_PERSIST_MAX_BYTES,
        value_parser = parse_positive
    )]
    pub persist_max_bytes: usize,

    /// Persist a log partition's buffer once its oldest unpersisted write is this old
    /// (`500ms`, `30s`, `5m`, `1h`; a bare number is seconds). Bounds the replay after a crash.
    #[arg(
        long = "persist-max-age",
        env = "QUIVER_PERSIST_MAX_AGE",
        value_name = "DURATION",
        default_value = "5m",
        value_parser = parse_duration
    )]
    pub persist_max_age: Duration,

    /// Bytes all buffers may hold together. Above it the largest buffers are persisted and
    /// consuming pauses until back under 3/4 of it.
    #[arg(
        long = "memory-budget",
        env = "QUIVER_MEMORY_BUDGET",
        value_name = "BYTES",
        default_value_t = DEFAULT_MEMORY_BUDGET,
        value_parser = parse_positive
    )]
    pub memory_budget: usize,

    /// Threads that sort, deduplicate and encode Parquet when persisting (they never run on the
    /// threads that consume the log and answer queries). Default: one per CPU.
    #[arg(
        long = "persist-threads",
        env = "QUIVER_PERSIST_THREADS",
        value_name = "N",
        value_parser = parse_positive
    )]
    pub persist_threads: Option<usize>,

    /// Priority of the persist threads (Linux): `idle` (`SCHED_IDLE`: persisting takes only
    /// cycles no other thread wants, so writes and queries on the same cores go first) or a nice
    /// increment 0–19 (a bounded share when the cores are saturated by other work; 0 keeps the
    /// process's priority).
    #[arg(
        long = "persist-nice",
        env = "QUIVER_PERSIST_NICE",
        value_name = "idle|N",
        default_value_t = DEFAULT_PERSIST_NICE
    )]
    pub persist_nice: Priority,
}

impl IngesterArgs {
    /// `--persist-threads`, or one per CPU.
    pub fn persist_threads(&self) -> usize {
        self.persist_threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
    }
}

/// `quiver ingester`: consumes the Kafka topic, persists Parquet to object storage.
#[derive(Debug, Clone, Args)]
pub struct IngesterConfig {
    /// Address to listen on for HTTP (`/health`, `/ready`, `/metrics`).
    #[arg(
        long = "bind",
        env = "QUIVER_BIND",
        value_name = "ADDR:PORT",
        default_value = "0.0.0.0:8083"
    )]
    pub bind: String,

    /// Id of this ingester in the cluster; keep it stable across restarts of one instance.
    /// Default: `<hostname>-<port>`.
    #[arg(long = "ingester-id", env = "QUIVER_INGESTER_ID", value_name = "ID")]
    pub ingester_id: Option<String>,

    /// The cluster catalog.
    #[command(flatten)]
    pub etcd: EtcdArgs,

    /// The write log.
    #[command(flatten)]
    pub kafka: KafkaArgs,

    /// Where Parquet files go.
    #[command(flatten)]
    pub object_store: ObjectStoreArgs,

    /// Local storage (`--data-dir`, for `--object-store file`).
    #[command(flatten)]
    pub storage: StorageArgs,

    /// Persist thresholds and memory budget.
    #[command(flatten)]
    pub ingester: IngesterArgs,

    /// Priority of the thread that decodes the records read from Kafka (Linux): `idle`
    /// (`SCHED_IDLE`: decoding takes only cycles no other thread wants, so writes and queries
    /// on the same cores go first; the topic holds what is not consumed yet) or a nice increment
    /// 0–19 (0: the process's priority).
    #[arg(
        long = "consume-priority",
        env = "QUIVER_CONSUME_PRIORITY",
        value_name = "idle|N",
        default_value_t = DEFAULT_CONSUME_PRIORITY
    )]
    pub consume_priority: Priority,

    /// Logging.
    #[command(flatten)]
    pub logging: LoggingArgs,
}

/// Parses `500ms`, `30s`, `5m`, `1h` or a bare number of seconds; must be positive.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration like 500ms, 30s, 5m or 1h, got {s:?}"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => {
            return Err(format!("unknown unit {unit:?} in {s:?}: use ms, s, m or h"));
        }
    };
    if d.is_zero() {
        return Err("must be greater than zero".to_owned());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct TestCli {
        #[command(flatten)]
        config: IngesterConfig,
    }

    fn parse(args: &[&str]) -> Result<IngesterConfig, clap::Error> {
        TestCli::try_parse_from(["ingester"].iter().chain(args)).map(|c| c.config)
    }

    #[test]
    fn defaults() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.bind, "0.0.0.0:8083");
        assert_eq!(c.ingester_id, None);
        assert_eq!(c.ingester.persist_max_rows, 1_000_000);
        assert_eq!(c.ingester.persist_max_bytes, 256 << 20);
        assert_eq!(c.ingester.persist_max_age, Duration::from_secs(300));
        assert_eq!(c.ingester.memory_budget, 1 << 30);
    }

    #[test]
    fn every_flag_parses() {
        let c = parse(&[
            "--bind",
            "127.0.0.1:0",
            "--ingester-id",
            "ing-a",
            "--persist-max-rows",
            "10",
            "--persist-max-bytes",
            "2048",
            "--persist-max-age",
            "250ms",
            "--memory-budget",
            "4096",
            "--etcd-endpoints",
            "http://127.0.0.1:2379",
            "--object-store",
            "file",
            "--data-dir",
            "/tmp/q",
        ])
        .unwrap();
        assert_eq!(c.ingester_id.as_deref(), Some("ing-a"));
        assert_eq!(c.ingester.persist_max_rows, 10);
        assert_eq!(c.ingester.persist_max_bytes, 2048);
        assert_eq!(c.ingester.persist_max_age, Duration::from_millis(250));
        assert_eq!(c.ingester.memory_budget, 4096);
        assert_eq!(c.etcd.etcd_endpoints, ["http://127.0.0.1:2379"]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("20ms"), Ok(Duration::from_millis(20)));
        assert!(parse_duration("0s").is_err());
        assert!(
            parse_duration("5d")
                .unwrap_err()
                .contains("use ms, s, m or h")
        );
        assert!(parse_duration("x").is_err());
        assert!(parse(&["--persist-max-rows", "0"]).is_err());
    }

    #[test]
    fn persist_threads_and_nice() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.ingester.persist_threads, None);
        assert!(c.ingester.persist_threads() >= 1);
        assert_eq!(c.ingester.persist_nice, Priority::Idle);
        let c = parse(&["--persist-threads", "3", "--persist-nice", "0"]).unwrap();
        assert_eq!(c.ingester.persist_threads(), 3);
        assert_eq!(c.ingester.persist_nice, Priority::NORMAL);
        let c = parse(&["--persist-nice", "10"]).unwrap();
        assert_eq!(c.ingester.persist_nice, Priority::Nice(10));
        assert!(parse(&["--persist-threads", "0"]).is_err());
        assert!(parse(&["--persist-nice", "20"]).is_err());
        assert!(parse(&["--persist-nice", "-1"]).is_err());
    }

    #[test]
    fn consume_priority() {
        assert_eq!(parse(&[]).unwrap().consume_priority, Priority::Idle);
        let c = parse(&["--consume-priority", "5"]).unwrap();
        assert_eq!(c.consume_priority, Priority::Nice(5));
        assert_eq!(
            parse(&["--consume-priority", "0"])
                .unwrap()
                .consume_priority,
            Priority::NORMAL
        );
        let err = parse(&["--consume-priority", "high"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("expected `idle` or a nice increment 0-19, got `high`"),
            "{err}"
        );
    }
}
