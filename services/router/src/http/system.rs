//! Everything but writes: `/ping`, `/health`, `/ready`, `/metrics`, the unsupported v2
//! endpoints, and the 404/405 fallbacks.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use crate::state::RouterState;
use crate::{BUILD_COMMIT, VERSION};

/// `GET|HEAD /ping` → 204 (the version headers are added to every response).
pub async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// `GET /health`: the JSON influxdb-client's `health()` parses.
pub async fn health() -> Response {
    Json(json!({
        "name": "quiver",
        "message": "ready for queries and writes",
        "status": "pass",
        "checks": [],
        "version": VERSION,
        "commit": BUILD_COMMIT,
    }))
    .into_response()
}

/// `GET /ready`: 200 while serving, 503 once shutdown began.
pub async fn ready(State(state): State<RouterState>) -> Response {
    if state.is_ready() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    }
}

/// `GET /metrics`: Prometheus (OpenMetrics text).
pub async fn metrics(State(state): State<RouterState>) -> Response {
    match state.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => ApiError::Internal(format!("encoding metrics: {e}")).into_response(),
    }
}

/// `POST /api/v2/query`: Flux is not supported.
pub async fn query_v2() -> ApiError {
    ApiError::QueryNotSupported
}

/// `POST /api/v2/delete`.
pub async fn delete_v2() -> ApiError {
    ApiError::DeleteNotSupported
}

/// Unknown path.
pub async fn not_found(request: Request) -> ApiError {
    ApiError::RouteNotFound {
        path: request.uri().path().to_owned(),
    }
}

/// Known path, wrong method (`/write` answers with the v1 error header too).
pub async fn method_not_allowed(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let v1 = path == "/write";
    ApiError::MethodNotAllowed {
        method: request.method().to_string(),
        path,
    }
    .into_response_for(v1)
}
