//! `quiver`: the one binary. Subcommands start one service each (`router`) or all of them in one
//! process (`serve`).
//!
//! ```text
//! argv + QUIVER_* env ──► clap (config crate blocks) ──► Command
//!   router | serve ──► start::run ──► logging, data dir, catalog + operator token
//!                                     (router: etcd via cluster.rs; serve: in process),
//!                                     write log ──► router::serve until SIGINT/SIGTERM
//!   ingester       ──► ingest::run ──► etcd catalog, object store, Kafka consumer group,
//!                                      ingester::Ingester until SIGINT/SIGTERM (then persist)
//!   serve          ──► also write_path: file log + ingester in the same process
//!   querier        ──► querier::run ──► etcd catalog (cached), object store, Flight DoGet
//!   admin          ──► admin::main ──► catalog (etcd | data dir) ──► databases, tokens
//! ```

mod admin;
mod cluster;
mod embedded;
mod ingest;
mod querier;
mod start;
mod write_path;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use config::{AdminConfig, IngesterConfig, QuerierConfig, RouterConfig, ServeConfig};

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
    /// Manage databases and tokens in the catalog (etcd, or a stopped `serve`'s data directory).
    Admin(AdminConfig),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings =
        match cli.command {
            Command::Admin(c) => return admin::main(c),
            Command::Router(c) => {
                start::Settings::new("router", c.bind, c.auto_create_databases, c.common)
                    .with_etcd(c.etcd)
                    .with_kafka(c.kafka, c.kafka_create_topic_partitions)
            }
            Command::Serve(c) => {
                start::Settings::new("serve", c.bind, c.auto_create_databases, c.common)
                    .with_embedded(c.object_store, c.ingester, c.query)
            }
            Command::Ingester(c) => return block_on(ingest::run(c)),
            Command::Querier(c) => return block_on(crate::querier::run(c)),
        };
    block_on(start::run(settings))
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
