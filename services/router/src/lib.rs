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
//!      ──► /api/v2/orgs|buckets|authorizations|dbrps: management, operator token only (http::manage)
//! ```
//!
//! The same pipeline (steps 5–8) without HTTP: [`LineWriter`] (InfluxQL's SELECT INTO).
//!
//! Errors of every endpoint: [`http::error::ApiError`], one table; the write steps (5–8) fail
//! with their own [`WriteError`], mapped to it there.

pub mod http;
mod lines;
mod metrics;
mod state;
pub mod time;
mod write;

use std::future::Future;
use std::sync::Arc;

pub use lines::LineWriter;
pub use metrics::{
    EndpointLabels, RequestLabels, RouterMetrics, StageLabels, StageTimes, WriteStage,
};
use service_shell::Shell;
pub use service_shell::{BUILD_COMMIT, VERSION};
pub use state::{RouterSettings, RouterState};
use tokio::net::TcpListener;
pub use write::{AppendError, WriteError};

/// What `/health` says a router is ready for (the text InfluxDB answers).
pub const HEALTH_MESSAGE: &str = "ready for queries and writes";

/// The shell of a router: `/health`, `/ready` (no dependency checks) and `/metrics` with the
/// router's metrics. Callers add checks and other services' metrics to it.
pub fn shell(state: &RouterState) -> Shell {
    Shell::new("router", HEALTH_MESSAGE)
        .with_metrics(Arc::clone(state.metrics()) as Arc<dyn observability::MetricsText>)
}

/// Serves the router (with [`shell`]) on `listener` until `shutdown` resolves, then drains
/// in-flight requests. `/ready` answers 200 from the start until `shutdown` resolves.
pub async fn serve<F>(listener: TcpListener, state: RouterState, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let shell = shell(&state);
    let app = http::app(state, shell.routes());
    shell.serve(listener, app, shutdown).await
}
