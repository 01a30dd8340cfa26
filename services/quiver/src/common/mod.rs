//! What the service subcommands share: logging, the listener, the one error type, and the
//! cluster's dependencies (`cluster`).
//!
//! ```text
//! LoggingArgs ──► start_logging ──► observability::init_logging (text | JSON on stderr)
//! --bind ──► listen ──► (TcpListener, bound address) ──► announce: "quiver listening on …"
//! IngesterArgs ──► persist_settings (the ingester of `quiver ingester` and of `serve`)
//! ```

pub(crate) mod cluster;
mod error;

use std::net::SocketAddr;
use std::time::Duration;

use config::{IngesterArgs, LogFormat, LoggingArgs};
use ingester::PersistSettings;
use observability::init_logging;
use tokio::net::TcpListener;

pub(crate) use error::RunError;

/// Installs the log subscriber the flags ask for.
pub(crate) fn start_logging(logging: &LoggingArgs) -> Result<(), RunError> {
    init_logging(
        logging.log_filter.as_deref(),
        logging.log_format == LogFormat::Json,
    )?;
    Ok(())
}

/// Binds `bind` (`127.0.0.1:0` picks a free port).
pub(crate) async fn listen(bind: &str) -> Result<(TcpListener, SocketAddr), RunError> {
    let bind_error = |source| RunError::Bind {
        addr: bind.to_owned(),
        source,
    };
    let listener = TcpListener::bind(bind).await.map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    Ok((listener, addr))
}

/// The start-up line scripts and tests wait for (stdout), and its log event.
pub(crate) fn announce(service: &'static str, addr: SocketAddr) {
    println!("quiver listening on http://{addr}");
    tracing::info!(service, %addr, "listening");
}

/// How long a graceful shutdown may spend persisting.
const SHUTDOWN_PERSIST_TIMEOUT: Duration = Duration::from_secs(60);

/// The persist knobs of the flags.
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
