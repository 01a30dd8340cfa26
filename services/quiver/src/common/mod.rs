//! What the service subcommands share on top of the service shell: the flags' view of
//! logging and the listener, the persist settings, the one error type, and the cluster's
//! dependencies (`cluster`).
//!
//! ```text
//! LoggingArgs ──► start_logging ──► service_shell::start_logging (text | JSON on stderr)
//! --bind ──► listen ──► (TcpListener, bound address) ──► announce: "quiver listening on …"
//! IngesterArgs ──► persist_settings (the ingester of `quiver ingester` and of `serve`)
//! CommonArgs ──► router_settings (the router of `quiver router` and of `serve`)
//! catalog + write log ──► IntoWriter (SELECT INTO of `serve` and `querier`: the router's pipeline)
//! ```

pub(crate) mod cluster;
mod error;
mod points_writer;

use std::net::SocketAddr;
use std::time::Duration;

use compactor::{CompactorSettings, PlanSettings};
use config::{CommonArgs, CompactionArgs, IngesterArgs, LogFormat, LoggingArgs};
use ingester::PersistSettings;
use router::RouterSettings;
use tokio::net::TcpListener;

pub(crate) use error::RunError;
pub(crate) use points_writer::IntoWriter;

/// Installs the log subscriber the flags ask for.
pub(crate) fn start_logging(logging: &LoggingArgs) -> Result<(), RunError> {
    service_shell::start_logging(
        logging.log_filter.as_deref(),
        logging.log_format == LogFormat::Json,
    )?;
    Ok(())
}

/// Binds `bind` (`127.0.0.1:0` picks a free port).
pub(crate) async fn listen(bind: &str) -> Result<(TcpListener, SocketAddr), RunError> {
    Ok(service_shell::bind(bind).await?)
}

pub(crate) use service_shell::announce;

/// The router's settings from the flags (`quiver router` and `quiver serve`).
pub(crate) fn router_settings(common: &CommonArgs, auto_create_databases: bool) -> RouterSettings {
    RouterSettings {
        max_request_bytes: common.write_api.max_http_request_size,
        max_concurrent_writes: common.write_api.max_concurrent_writes,
        convert_threads: common.write_api.write_convert_threads,
        auto_create_databases,
        ..RouterSettings::default()
    }
}

/// How long a graceful shutdown may spend persisting.
const SHUTDOWN_PERSIST_TIMEOUT: Duration = Duration::from_secs(60);

/// The persist knobs of the flags.
/// The compactor's settings from its flags (`quiver compactor`, and `serve`'s embedded one).
pub(crate) fn compactor_settings(args: &CompactionArgs) -> Result<CompactorSettings, RunError> {
    if args.shard_id >= args.shard_count {
        return Err(RunError::InvalidFlags(format!(
            "--compaction-shard-id {} must be below --compaction-shard-count {} (ids are 0-based)",
            args.shard_id, args.shard_count
        )));
    }
    let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    Ok(CompactorSettings {
        plan: PlanSettings {
            min_files: args.min_files,
            target_file_bytes: as_u64(args.target_file_size),
            max_input_files: args.max_input_files,
            max_input_bytes: as_u64(args.max_input_size),
            cold_after: args.cold_after,
        },
        interval: args.interval,
        concurrency: args.concurrency,
        shard_id: args.shard_id,
        shard_count: args.shard_count,
        write: parquet_store::WriteOptions::default(),
        // The garbage collector runs once per cluster: on shard 0.
        gc_interval: (args.shard_id == 0).then_some(args.gc_interval),
        gc_grace: args.gc_grace,
    })
}

pub(crate) fn persist_settings(args: &IngesterArgs) -> PersistSettings {
    PersistSettings {
        max_rows: args.persist_max_rows,
        max_bytes: args.persist_max_bytes,
        max_age: args.persist_max_age,
        memory_budget: args.memory_budget,
        shutdown_timeout: SHUTDOWN_PERSIST_TIMEOUT,
        threads: args.persist_threads(),
        priority: args.persist_nice,
    }
}
