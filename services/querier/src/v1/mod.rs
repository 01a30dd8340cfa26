//! The InfluxDB v1 HTTP query API: `/query` (InfluxQL) and `/ping`.
//!
//! ```text
//! GET|POST /query ──► query::handle: params (v1_query::QueryParams) ──► credentials
//!   (Token | Bearer | Basic | u/p) ──► catalog token ──► influxql::parser ──► authorize
//!   (read on every database a statement reads) ──► influxql_query::Executor ──► v1_query
//!   encoders (JSON | CSV | MessagePack; epoch; pretty; chunked) ──► gzip if accepted
//! GET|HEAD /ping ──► 204 (ping_routes: the querier's; `serve` has the router's)
//! every response: X-Influxdb-Version, X-Influxdb-Build
//! ```
//!
//! `quiver querier` serves these on its one port next to Flight; `quiver serve` merges them
//! into its HTTP router.

mod error;
mod query;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode};
use axum::routing::get;
use influxql_query::PointsWriter;
use query_db::QueryDatabase;

pub use error::V1Error;

use ::query as query_db;

/// `/query` over `db` (what `quiver serve` merges next to its router's `/ping`); SELECT INTO
/// writes with `points_writer`.
pub fn v1_routes(db: QueryDatabase, points_writer: Option<Arc<dyn PointsWriter>>) -> Router {
    let state = Arc::new(query::V1State::new(db, points_writer));
    Router::new()
        .route("/query", get(query::handle).post(query::handle))
        .with_state(state)
        .layer(axum::middleware::map_response(version_headers))
}

/// `GET|HEAD /ping` → 204 with the version headers (the querier's own; the router has one).
pub fn ping_routes() -> Router {
    Router::new()
        .route("/ping", get(ping).head(ping))
        .layer(axum::middleware::map_response(version_headers))
}

async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn version_headers(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    headers.insert(
        "x-influxdb-version",
        HeaderValue::from_static(service_shell::VERSION),
    );
    headers.insert("x-influxdb-build", HeaderValue::from_static("Quiver"));
    response
}
