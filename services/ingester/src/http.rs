//! The ingester's port: the service shell's `/health`, `/ready`, `/metrics` and the Flight query
//! API (gRPC) on the same listener — axum serves HTTP/1.1 and HTTP/2 (h2c, prior knowledge, what
//! gRPC clients speak over plain TCP) and routes by path.
//!
//! ```text
//! GET /health  ──► the shell (service "ingester")
//! GET /ready   ──► the shell: 200 while consuming (the gate) and its checks pass; 503 before
//!                  start and once shutdown began
//! GET /metrics ──► process metrics + IngesterMetrics (OpenMetrics text)
//! POST /arrow.flight.protocol.FlightService/<method> (gRPC)
//!              ──► flight::ingester::IngesterFlightService over the IngesterQuery handle
//! ```

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use flight::ingester::IngesterFlightService;
use service_shell::Shell;
use tokio::net::TcpListener;
use tonic::server::NamedService;

use crate::metrics::IngesterMetrics;
use crate::query::IngesterQuery;

/// What `/health` says an ingester is ready for.
pub const HEALTH_MESSAGE: &str = "ready to consume the write log and answer queriers";

/// What the endpoints read.
#[derive(Debug, Clone)]
pub struct HttpState {
    /// Metrics to expose.
    pub metrics: Arc<IngesterMetrics>,
    /// True while the ingester consumes.
    pub ready: Arc<AtomicBool>,
    /// The query API served over Flight.
    pub query: IngesterQuery,
}

impl HttpState {
    /// The ingester's shell: ready while consuming, its metrics on `/metrics` (callers add the
    /// dependency checks).
    pub fn shell(&self) -> Shell {
        Shell::new("ingester", HEALTH_MESSAGE)
            .with_gate(Arc::clone(&self.ready))
            .with_metrics(Arc::clone(&self.metrics) as Arc<dyn observability::MetricsText>)
    }
}

/// The Flight query API, as routes (no fallback).
pub fn flight_routes(query: IngesterQuery) -> Router {
    let flight = IngesterFlightService::new(Arc::new(query)).into_server();
    let grpc_path = format!("/{}/{{*method}}", service_name(&flight));
    Router::new().route_service(&grpc_path, flight)
}

/// The gRPC service name (the first path segment of its methods).
fn service_name<S: NamedService>(_: &S) -> &'static str {
    S::NAME
}

/// Serves `shell`'s endpoints and the Flight query API on `listener` until `shutdown`
/// resolves.
pub async fn serve(
    listener: TcpListener,
    state: HttpState,
    shell: Shell,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = shell.routes().merge(flight_routes(state.query));
    shell.serve(listener, app, shutdown).await
}
