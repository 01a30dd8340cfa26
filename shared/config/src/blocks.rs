//! Configuration blocks shared by several services.

use std::fmt;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Default `--max-http-request-size`: 10 MiB.
pub(crate) const DEFAULT_MAX_HTTP_REQUEST_SIZE: usize = 10 * 1024 * 1024;
/// Default `--max-concurrent-writes`.
pub(crate) const DEFAULT_MAX_CONCURRENT_WRITES: usize = 200;
/// Default `--write-log-memory-budget`: 1 GiB.
pub(crate) const DEFAULT_WRITE_LOG_MEMORY_BUDGET: usize = 1024 * 1024 * 1024;

/// Blocks every server subcommand has.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Local storage.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Bootstrap credentials.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// HTTP write API limits.
    #[command(flatten)]
    pub write_api: WriteApiArgs,
    /// Write log.
    #[command(flatten)]
    pub write_log: WriteLogArgs,
    /// Logging.
    #[command(flatten)]
    pub logging: LoggingArgs,
}

/// Local storage.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Directory for local data; created if missing. Without it, everything stays in memory.
    #[arg(long = "data-dir", env = "QUIVER_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Bootstrap credentials.
#[derive(Clone, Args)]
pub struct AuthArgs {
    /// Operator token (may do everything). When absent, one is generated and printed once on
    /// stdout at start.
    #[arg(
        long = "operator-token",
        env = "QUIVER_OPERATOR_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub operator_token: Option<String>,
}

impl fmt::Debug for AuthArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.operator_token.as_ref().map(|_| "<redacted>");
        f.debug_struct("AuthArgs")
            .field("operator_token", &shown)
            .finish()
    }
}

/// Limits of the HTTP write API.
#[derive(Debug, Clone, Args)]
pub struct WriteApiArgs {
    /// Largest accepted write body in bytes, both as sent and after gzip decompression
    /// (larger → 413).
    #[arg(
        long = "max-http-request-size",
        env = "QUIVER_MAX_HTTP_REQUEST_SIZE",
        value_name = "BYTES",
        default_value_t = DEFAULT_MAX_HTTP_REQUEST_SIZE,
        value_parser = parse_positive
    )]
    pub max_http_request_size: usize,

    /// Write requests processed at once; further writes get 429 with `Retry-After` (their
    /// bodies are not read).
    #[arg(
        long = "max-concurrent-writes",
        env = "QUIVER_MAX_CONCURRENT_WRITES",
        value_name = "N",
        default_value_t = DEFAULT_MAX_CONCURRENT_WRITES,
        value_parser = parse_positive
    )]
    pub max_concurrent_writes: usize,

    /// Threads converting one large write body (line protocol → Arrow) at once, cut at
    /// newlines into chunks of at least 128 KiB. 1: each body on one thread. More helps on
    /// dedicated cores (the converter alone: 1.1–1.6× with 2); on a shared VM whose CPUs wake
    /// late it only added tail latency (docs/benchmarks.md).
    #[arg(
        long = "write-convert-threads",
        env = "QUIVER_WRITE_CONVERT_THREADS",
        value_name = "N",
        default_value_t = 1,
        value_parser = parse_positive
    )]
    pub write_convert_threads: usize,
}

/// The write log.
#[derive(Debug, Clone, Args)]
pub struct WriteLogArgs {
    /// Bytes the in-memory write log may hold; when full, writes get 503 with `Retry-After`.
    #[arg(
        long = "write-log-memory-budget",
        env = "QUIVER_WRITE_LOG_MEMORY_BUDGET",
        value_name = "BYTES",
        default_value_t = DEFAULT_WRITE_LOG_MEMORY_BUDGET
    )]
    pub write_log_memory_budget: usize,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Logging.
#[derive(Debug, Clone, Args)]
pub struct LoggingArgs {
    /// Log filter, `tracing` env-filter syntax (e.g. `info,router=debug`). Default: `RUST_LOG`,
    /// else `info`.
    #[arg(long = "log-filter", env = "QUIVER_LOG", value_name = "FILTER")]
    pub log_filter: Option<String>,

    /// Log format.
    #[arg(long = "log-format", env = "QUIVER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Parses a count or size that must be at least 1.
pub(crate) fn parse_positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(v) => Ok(v),
        Err(e) => Err(format!("expected a positive integer: {e}")),
    }
}
