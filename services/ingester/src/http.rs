//! The ingester's port: HTTP endpoints `/health`, `/ready`, `/metrics` and the Flight query API
//! (gRPC) on the same listener — axum serves HTTP/1.1 and HTTP/2 (h2c, prior knowledge, what
//! gRPC clients speak over plain TCP) and routes by path.
//!
//! ```text
//! GET /health  ──► 200 {"name":"quiver-ingester","status":"pass"}
//! GET /ready   ──► 200 while consuming, 503 before start and once shutdown began
//! GET /metrics ──► IngesterMetrics (OpenMetrics text)
//! POST /arrow.flight.protocol.FlightService/<method> (gRPC)
//!              ──► flight::ingester::IngesterFlightService over the IngesterQuery handle
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use flight::ingester::IngesterFlightService;
use tonic::server::NamedService;

use crate::metrics::IngesterMetrics;
use crate::query::IngesterQuery;

/// What the handlers read.
#[derive(Debug, Clone)]
pub struct HttpState {
    /// Metrics to expose.
    pub metrics: Arc<IngesterMetrics>,
    /// True while the ingester consumes.
    pub ready: Arc<AtomicBool>,
    /// The query API served over Flight.
    pub query: IngesterQuery,
}

/// The routes: HTTP endpoints and the Flight service.
pub fn router(state: HttpState) -> Router {
    let flight = IngesterFlightService::new(Arc::new(state.query.clone())).into_server();
    let grpc_path = format!("/{}/{{*method}}", service_name(&flight));
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state)
        .route_service(&grpc_path, flight)
}

/// The gRPC service name (the first path segment of its methods).
fn service_name<S: NamedService>(_: &S) -> &'static str {
    S::NAME
}

/// Serves the routes on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: HttpState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    service_shell::serve(listener, router(state), shutdown).await
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
