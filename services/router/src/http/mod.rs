//! The axum application: routes, fallbacks, and the middleware that adds the InfluxDB version
//! headers and counts requests.

pub mod auth;
pub mod body;
pub mod error;
pub mod manage;
pub mod params;
mod system;
mod write;
pub mod write_lp;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::VERSION;
use crate::state::RouterState;

/// Paths with a route (the `endpoint` label of the metrics; anything else is `unmatched`).
const ROUTES: [&str; 9] = [
    "/api/v2/write",
    "/write",
    "/api/v3/write_lp",
    "/api/v2/query",
    "/api/v2/delete",
    "/ping",
    "/health",
    "/ready",
    "/metrics",
];

/// The router's HTTP application; `system` is the service shell's `/health`, `/ready` and
/// `/metrics`, served under the same middleware (version headers, request metrics).
pub fn app(state: RouterState, system: Router) -> Router {
    Router::new()
        .route("/api/v2/write", post(write::write_v2))
        .route("/write", post(write::write_v1))
        .route("/api/v3/write_lp", post(write::write_v3))
        .route("/api/v2/query", post(system::query_v2))
        .route("/api/v2/delete", post(system::delete_v2))
        .route("/ping", get(system::ping))
        .merge(manage::routes(state.clone()))
        .with_state(state.clone())
        .merge(system)
        .fallback(system::not_found)
        .method_not_allowed_fallback(system::method_not_allowed)
        .layer(middleware::from_fn_with_state(state, observe))
}

/// Adds `X-Influxdb-Version`/`X-Influxdb-Build` to every response; counts requests by endpoint
/// and status; tracks in-flight requests.
async fn observe(State(state): State<RouterState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let endpoint = ROUTES
        .iter()
        .find(|r| **r == path)
        .copied()
        .or_else(|| manage::endpoint_label(path))
        .unwrap_or("unmatched");
    let in_flight = state.metrics.in_flight(endpoint);
    in_flight.inc();
    let _guard = DecOnDrop(in_flight);
    let mut response = next.run(request).await;
    state
        .metrics
        .record_request(endpoint, response.status().as_u16());
    let headers = response.headers_mut();
    headers.insert("x-influxdb-version", HeaderValue::from_static(VERSION));
    headers.insert("x-influxdb-build", HeaderValue::from_static("Quiver"));
    response
}

struct DecOnDrop(prometheus_client::metrics::gauge::Gauge);

impl Drop for DecOnDrop {
    fn drop(&mut self) {
        self.0.dec();
    }
}
