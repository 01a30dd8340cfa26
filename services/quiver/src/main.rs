//! `quiver`: the one binary. Subcommands start one service each (`router`) or all of them in one
//! process (`serve`).
//!
//! ```text
//! argv + QUIVER_* env ──► clap (config crate blocks) ──► Command
//!   router | serve ──► start::run ──► logging, data dir, catalog + operator token
//!                                     (router: etcd via cluster.rs; serve: in process),
//!                                     write log ──► router::serve until SIGINT/SIGTERM
//!   admin          ──► admin::main ──► catalog (etcd | data dir) ──► databases, tokens
//! ```

mod admin;
mod cluster;
mod embedded;
mod start;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use config::{AdminConfig, RouterConfig, ServeConfig};

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
    /// Run everything in one process on one port (in-memory catalog and write log for now).
    Serve(ServeConfig),
    /// Manage databases and tokens in the catalog (etcd, or a stopped `serve`'s data directory).
    Admin(AdminConfig),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.command {
        Command::Admin(c) => return admin::main(c),
        Command::Router(c) => {
            start::Settings::new("router", c.bind, c.auto_create_databases, c.common)
                .with_etcd(c.etcd)
        }
        Command::Serve(c) => {
            start::Settings::new("serve", c.bind, c.auto_create_databases, c.common)
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(start::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
