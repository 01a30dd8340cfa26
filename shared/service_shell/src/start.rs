//! The first steps of every service: logging, the listener, the start-up line.
//!
//! ```text
//! --log-filter / QUIVER_LOG, else RUST_LOG, else "info"; --log-format text|json
//!   ──► start_logging ──► observability::init_logging (stderr)
//! --bind ADDR:PORT ──► bind ──► (TcpListener, the bound address; `:0` picks a free port)
//!   ──► announce ──► stdout "quiver listening on http://ADDR" (what scripts and tests wait for)
//! ```

use std::net::SocketAddr;

pub use observability::LoggingError;
use tokio::net::TcpListener;

/// Installs the log subscriber (once per process).
pub fn start_logging(filter: Option<&str>, json: bool) -> Result<(), LoggingError> {
    observability::init_logging(filter, json)
}

/// The address could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {source}")]
pub struct BindError {
    /// The `--bind` value.
    pub addr: String,
    /// Cause.
    #[source]
    pub source: std::io::Error,
}

/// Binds `addr` (`127.0.0.1:0` picks a free port); returns the listener and the bound address.
pub async fn bind(addr: &str) -> Result<(TcpListener, SocketAddr), BindError> {
    let error = |source| BindError {
        addr: addr.to_owned(),
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(error)?;
    let bound = listener.local_addr().map_err(error)?;
    Ok((listener, bound))
}

/// Prints the start-up line scripts and tests wait for (stdout) and logs it.
pub fn announce(service: &'static str, addr: SocketAddr) {
    println!("quiver listening on http://{addr}");
    tracing::info!(service, %addr, "listening");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_a_free_port_and_names_a_bad_address() {
        let (_listener, addr) = bind("127.0.0.1:0").await.unwrap();
        assert_ne!(addr.port(), 0);
        let err = bind("not an address").await.unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot listen on not an address: "),
            "{err}"
        );
    }
}
