//! The ingester's HTTP endpoints: `/health`, `/ready`, `/metrics` (the Flight query API joins
//! them in issue 5).
//!
//! ```text
//! GET /health  ──► 200 {"name":"quiver-ingester","status":"pass"}
//! GET /ready   ──► 200 while consuming, 503 before start and once shutdown began
//! GET /metrics ──► IngesterMetrics (OpenMetrics text)
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::metrics::IngesterMetrics;

/// What the handlers read.
#[derive(Debug, Clone)]
pub struct HttpState {
    /// Metrics to expose.
    pub metrics: Arc<IngesterMetrics>,
    /// True while the ingester consumes.
    pub ready: Arc<AtomicBool>,
}

/// The routes.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves the routes on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: HttpState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn health() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"name":"quiver-ingester","status":"pass"}"#,
    )
        .into_response()
}

async fn ready(State(state): State<HttpState>) -> Response {
    if state.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response()
    }
}

async fn metrics(State(state): State<HttpState>) -> Response {
    match state.metrics.encode() {
        Ok(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding metrics: {e}\n"),
        )
            .into_response(),
    }
}
