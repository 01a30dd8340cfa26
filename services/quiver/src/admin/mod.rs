//! `quiver admin`: manage databases and tokens directly in the catalog — the cluster's etcd, or
//! the data directory of a stopped `quiver serve`. A running server is managed over its v2
//! HTTP API instead (`/api/v2/buckets`, `/api/v2/authorizations`).
//!
//! ```text
//! AdminConfig ──► backend::open (etcd | DiskCatalog) ──► database::run | token::run ──► Output
//!             ──► stdout (table | json), exit 0;  error ──► stderr "error: …", exit 1
//! ```

mod backend;
mod database;
mod error;
mod output;
mod token;

use std::process::ExitCode;

use config::{AdminCommand, AdminConfig, AdminTarget};

pub use error::AdminError;
pub(crate) use router::time::rfc3339;

/// Runs one admin command to completion.
pub fn main(config: AdminConfig) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: AdminCommand) -> Result<(), AdminError> {
    let target = target(&command).clone();
    let catalog = backend::open(&target).await?;
    let output = match command {
        AdminCommand::Database(c) => database::run(catalog.as_ref(), c).await?,
        AdminCommand::Token(c) => token::run(catalog.as_ref(), c).await?,
    };
    output.print(target.format, &mut std::io::stdout().lock())
}

fn target(command: &AdminCommand) -> &AdminTarget {
    use config::{DatabaseCommand as D, TokenCommand as T};
    match command {
        AdminCommand::Database(
            D::Create { target, .. }
            | D::List { target }
            | D::Update { target, .. }
            | D::Delete { target, .. },
        ) => target,
        AdminCommand::Token(
            T::Create { target, .. } | T::List { target } | T::Revoke { target, .. },
        ) => target,
    }
}
