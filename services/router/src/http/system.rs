//! Everything but writes and the shell's `/health`, `/ready`, `/metrics`: `/ping`, the
//! unsupported v2 endpoints, and the 404/405 fallbacks.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;

use super::error::ApiError;

/// `GET|HEAD /ping` → 204 (the version headers are added to every response).
pub(super) async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// `POST /api/v2/query`: Flux is not supported.
pub(super) async fn query_v2() -> ApiError {
    ApiError::QueryNotSupported
}

/// `POST /api/v2/delete`.
pub(super) async fn delete_v2() -> ApiError {
    ApiError::DeleteNotSupported
}

/// Unknown path.
pub(super) async fn not_found(request: Request) -> ApiError {
    ApiError::RouteNotFound {
        path: request.uri().path().to_owned(),
    }
}

/// Known path, wrong method (`/write` answers with the v1 error header too).
pub(super) async fn method_not_allowed(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let v1 = path == "/write";
    ApiError::MethodNotAllowed {
        method: request.method().to_string(),
        path,
    }
    .into_response_for(v1)
}
