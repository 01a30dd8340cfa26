//! `quiver admin`: manage databases, tokens and DBRP mappings directly in the catalog — the
//! cluster's etcd, or the data directory of a stopped `quiver serve`. A running server is
//! managed over its v2 HTTP API instead (`/api/v2/buckets`, `/api/v2/authorizations`,
//! `/api/v2/dbrps`).
//!
//! ```text
//! AdminConfig ──► backend::open (etcd | DiskCatalog) ──► database::run | token::run | dbrp::run
//!             ──► Output
//!             ──► stdout (table | json), exit 0;  error ──► stderr "error: …", exit 1
//! topic       ──► topic::run (Kafka admin API; no catalog) ──► Output
//! ```

mod backend;
mod database;
mod dbrp;
mod error;
mod output;
mod token;
mod topic;

use std::process::ExitCode;

use config::{AdminCommand, AdminConfig};

pub(crate) use error::AdminError;
pub(crate) use router::time::rfc3339;

/// Runs one admin command to completion.
pub(crate) fn main(config: AdminConfig) -> ExitCode {
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
    use config::{DatabaseCommand as D, DbrpCommand as M, TokenCommand as T, TopicCommand};
    let (format, output) = match command {
        AdminCommand::Topic(c) => {
            let TopicCommand::Create { format, .. } = &c;
            (*format, topic::run(c).await?)
        }
        AdminCommand::Database(c) => {
            let target = match &c {
                D::Create { target, .. }
                | D::List { target }
                | D::Update { target, .. }
                | D::Delete { target, .. } => target.clone(),
            };
            let catalog = backend::open(&target).await?;
            (target.format, database::run(catalog.as_ref(), c).await?)
        }
        AdminCommand::Token(c) => {
            let target = match &c {
                T::Create { target, .. } | T::List { target } | T::Revoke { target, .. } => {
                    target.clone()
                }
            };
            let catalog = backend::open(&target).await?;
            (target.format, token::run(catalog.as_ref(), c).await?)
        }
        AdminCommand::Dbrp(c) => {
            let target = match &c {
                M::Create { target, .. } | M::List { target, .. } | M::Delete { target, .. } => {
                    target.clone()
                }
            };
            let catalog = backend::open(&target).await?;
            (target.format, dbrp::run(catalog.as_ref(), c).await?)
        }
    };
    output.print(format, &mut std::io::stdout().lock())
}
