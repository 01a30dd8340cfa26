//! The querier's port: Arrow Flight (gRPC) and HTTP on ONE listener — axum speaks HTTP/1.1 and
//! HTTP/2 (h2c prior knowledge, what gRPC clients send over plain TCP) and routes by path.
//!
//! ```text
//! POST /arrow.flight.protocol.FlightService/<method> ──► GrpcMetricsLayer
//!        ──► flight::QueryFlightService (gRPC); every query's end ──► QuerierMetrics
//! GET  /health, /ready, /metrics ──► the service shell (service "querier")
//! GET|POST /query, GET|HEAD /ping ──► the v1 query API (InfluxQL; v1::v1_routes)
//! GET|POST /api/v3/query_sql, /api/v3/query_influxql ──► InfluxDB 3's HTTP query API (v3)
//! anything else ──► 404 {"code":"not found",…}
//! ```
//!
//! [`flight_routes`] is what `quiver serve` merges into its own HTTP router for the same effect.

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use flight::QueryFlightService;
use flight::arrow_flight::flight_service_server::FlightServiceServer;
use influxql_query::PointsWriter;
use query::QueryDatabase;
use service_shell::Shell;
use tokio::net::TcpListener;
use tonic::server::NamedService;
use tower::Layer;

use crate::metrics::{GrpcMetricsLayer, QuerierMetrics};

/// What `/health` says a querier is ready for.
pub const HEALTH_MESSAGE: &str = "ready for queries";

/// The Flight service over `db`, as routes (no fallback) to merge into an axum router; its
/// calls and every query `db` logs are counted in `metrics`; InfluxQL tickets' SELECT INTO
/// writes with `points_writer`.
pub fn flight_routes(
    db: QueryDatabase,
    metrics: &Arc<QuerierMetrics>,
    points_writer: Option<Arc<dyn PointsWriter>>,
) -> Router {
    db.query_log().observe(metrics.observer());
    let name = <FlightServiceServer<QueryFlightService> as NamedService>::NAME;
    let service = GrpcMetricsLayer::new(Arc::clone(metrics)).layer(
        QueryFlightService::new(db)
            .with_points_writer(points_writer)
            .into_server(),
    );
    Router::new().route_service(&format!("/{name}/{{*method}}"), service)
}

/// The shell of a querier: `/health`, `/ready` (no checks: callers add them) and `/metrics`
/// with `metrics`.
pub fn shell(metrics: &Arc<QuerierMetrics>) -> Shell {
    Shell::new("querier", HEALTH_MESSAGE)
        .with_metrics(Arc::clone(metrics) as Arc<dyn observability::MetricsText>)
}

/// Flight plus the shell's endpoints; InfluxQL's SELECT INTO (every API) writes with
/// `points_writer`.
pub fn app(
    db: QueryDatabase,
    shell: &Shell,
    metrics: &Arc<QuerierMetrics>,
    points_writer: Option<Arc<dyn PointsWriter>>,
) -> Router {
    shell
        .routes()
        .merge(flight_routes(db.clone(), metrics, points_writer.clone()))
        .merge(crate::v1::v1_routes(db.clone(), points_writer.clone()))
        .merge(crate::v3::v3_routes(db, points_writer))
        .merge(crate::v1::ping_routes())
        .fallback(not_found)
}

/// Serves [`app`] on `listener` until `shutdown` resolves (then drains open requests).
pub async fn serve_app(
    listener: TcpListener,
    db: QueryDatabase,
    shell: Shell,
    metrics: Arc<QuerierMetrics>,
    points_writer: Option<Arc<dyn PointsWriter>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(db, &shell, &metrics, points_writer);
    shell.serve(listener, app, shutdown).await
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"code":"not found","message":"not found"}"#,
    )
        .into_response()
}
