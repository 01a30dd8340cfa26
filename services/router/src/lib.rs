//! The router: the InfluxDB v1/v2 HTTP write API in front of the catalog and the write log.
//!
//! ```text
//! HTTP ──► observe (version headers, metrics)
//!      ──► POST /api/v2/write | /write
//!            1 permit (429) ─► 2 params ─► 3 auth (catalog tokens, 401)
//!            ─► 4 body (415/413, gzip capped) ─► 5 LinesConverter (400, per-line errors)
//!            ─► 6 database (auto-create or 404; retention 422)
//!            ─► 7 schema upsert (400 conflict, 422 limits)
//!            ─► 8 shard (8a) ─► records (8b) ─► WriteLog::append (8c: 503 retryable, 413 too
//!               large, 500 otherwise) ─► 204
//!      ──► /ping /health /ready /metrics, /api/v2/query + /api/v2/delete (501), 404, 405
//!      ──► /api/v2/orgs|buckets|authorizations: management, operator token only (http::manage)
//! ```
//!
//! Errors of every endpoint: [`http::error::ApiError`], one table; the write steps (5–8) fail
//! with their own [`WriteError`], mapped to it there.

pub mod http;
mod state;
pub mod time;
mod write;

use std::future::Future;

pub use state::{RouterSettings, RouterState};
use tokio::net::TcpListener;
pub use write::{AppendError, WriteError};

/// The version reported in `X-Influxdb-Version` and `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit reported by `/health` (`QUIVER_GIT_COMMIT` at build time).
pub const BUILD_COMMIT: &str = match option_env!("QUIVER_GIT_COMMIT") {
    Some(commit) => commit,
    None => "unknown",
};

/// Serves the router on `listener` until `shutdown` resolves, then drains in-flight requests.
/// `/ready` answers 200 from the start until `shutdown` resolves.
pub async fn serve<F>(listener: TcpListener, state: RouterState, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    serve_with(listener, state, axum::Router::new(), shutdown).await
}

/// Like [`serve`], with `extra` routes (without a fallback) served on the same port — how
/// `quiver serve` answers Arrow Flight gRPC next to the HTTP API.
pub async fn serve_with<F>(
    listener: TcpListener,
    state: RouterState,
    extra: axum::Router,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    state.set_ready(true);
    let app = http::app(state.clone()).merge(extra);
    let draining = state.clone();
    let signal = async move {
        shutdown.await;
        draining.set_ready(false);
    };
    service_shell::serve(listener, app, signal).await
}
