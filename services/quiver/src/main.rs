//! `quiver`: the one binary. Each subcommand is one module of `subcommand/`; what they share is
//! `common/` (logging, the listener, the cluster's dependencies, the one error type).
//!
//! ```text
//! argv + QUIVER_* env ──► clap (config crate blocks) ──► Command (the process mode)
//!   router   ──► subcommand::router   etcd (cached) + Kafka topic ──► router HTTP API
//!   ingester ──► subcommand::ingester etcd + object store + Kafka consumer group ──► Parquet,
//!                                     Flight query API for queriers
//!   querier  ──► subcommand::querier  etcd (cached) + object store + Kafka marks ──► Flight
//!   compactor ─► subcommand::compactor etcd + object store ──► compaction, retention, GC
//!   serve    ──► subcommand::serve    disk catalog + file log + ingester + querier + compactor,
//!                                     one port
//!   admin    ──► subcommand::admin    catalog (etcd | a stopped serve's data dir), topics
//! every service: service_shell (health, readiness, metrics, TCP_NODELAY, SIGINT/SIGTERM)
//! on a runtime whose threads have query-sized stacks (query::nesting)
//! ```

mod common;
mod subcommand;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use config::{
    AdminConfig, CompactorConfig, IngesterConfig, QuerierConfig, RouterConfig, ServeConfig,
};

/// Quiver: a clustered time-series database speaking the InfluxDB write and query APIs.
#[derive(Debug, Parser)]
#[command(name = "quiver", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP write tier (InfluxDB v1/v2 write API) on the cluster catalog in etcd.
    Router(RouterConfig),
    /// Run everything in one process on one port: write API, embedded log, ingester, catalog and
    /// Parquet files under --data-dir (in memory without it).
    Serve(ServeConfig),
    /// Consume the Kafka write log and persist Parquet to object storage (cluster mode).
    Ingester(IngesterConfig),
    /// Answer SQL over Arrow Flight (DoGet, JSON tickets) on the Parquet files in the cluster
    /// catalog.
    Querier(QuerierConfig),
    /// Compact Parquet files, drop files past retention, delete unreferenced objects (cluster
    /// mode; `serve` does it in-process).
    Compactor(CompactorConfig),
    /// Manage databases and tokens in the catalog (etcd, or a stopped `serve`'s data directory),
    /// and the Kafka topic.
    Admin(AdminConfig),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Admin(c) => subcommand::admin::main(c),
        Command::Router(c) => block_on(subcommand::router::run(c)),
        Command::Serve(c) => block_on(subcommand::serve::run(c)),
        Command::Ingester(c) => block_on(subcommand::ingester::run(c)),
        Command::Querier(c) => block_on(subcommand::querier::run(c)),
        Command::Compactor(c) => block_on(subcommand::compactor::run(c)),
    }
}

/// Runs a service on a multi-threaded runtime; errors go to stderr with exit code 1.
fn block_on<E: std::fmt::Display>(service: impl Future<Output = Result<(), E>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Queries at the accepted nesting depth recurse deeply (query::nesting).
        .thread_stack_size(query::nesting::QUERY_THREAD_STACK_BYTES)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(service) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
