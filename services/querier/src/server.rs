//! The querier's port: Arrow Flight (gRPC) and HTTP on ONE listener — axum speaks HTTP/1.1 and
//! HTTP/2 (h2c prior knowledge, what gRPC clients send over plain TCP) and routes by path.
//!
//! ```text
//! POST /arrow.flight.protocol.FlightService/<method> ──► flight::QueryFlightService (gRPC)
//! GET  /health ──► 200 {"name":"quiver-querier","status":"pass"}
//! GET  /ready  ──► 200 while serving, 503 once shutdown began
//! anything else ──► 404 {"code":"not found",…}
//! ```
//!
//! [`flight_routes`] is what `quiver serve` merges into its own HTTP router for the same effect.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use flight::QueryFlightService;
use flight::arrow_flight::flight_service_server::FlightServiceServer;
use query::QueryDatabase;
use tokio::net::TcpListener;
use tonic::server::NamedService;

/// The Flight service over `db`, as routes (no fallback) to merge into an axum router.
pub fn flight_routes(db: QueryDatabase) -> Router {
    let name = <FlightServiceServer<QueryFlightService> as NamedService>::NAME;
    Router::new().route_service(
        &format!("/{name}/{{*method}}"),
        QueryFlightService::new(db).into_server(),
    )
}

/// Flight plus the querier's HTTP endpoints.
pub fn app(db: QueryDatabase, ready: Arc<AtomicBool>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(readiness))
        .with_state(ready)
        .merge(flight_routes(db))
        .fallback(not_found)
}

/// Serves [`app`] on `listener` until `shutdown` resolves (then drains open requests).
pub async fn serve_app(
    listener: TcpListener,
    db: QueryDatabase,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let ready = Arc::new(AtomicBool::new(true));
    let draining = Arc::clone(&ready);
    let signal = async move {
        shutdown.await;
        draining.store(false, Ordering::Release);
    };
    service_shell::serve(listener, app(db, ready), signal).await
}

async fn health() -> Response {
    json(
        StatusCode::OK,
        r#"{"name":"quiver-querier","message":"ready for queries","status":"pass"}"#,
    )
}

async fn readiness(State(ready): State<Arc<AtomicBool>>) -> Response {
    if ready.load(Ordering::Acquire) {
        json(StatusCode::OK, r#"{"status":"ready"}"#)
    } else {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"status":"shutting down"}"#,
        )
    }
}

async fn not_found() -> Response {
    json(
        StatusCode::NOT_FOUND,
        r#"{"code":"not found","message":"not found"}"#,
    )
}

fn json(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
