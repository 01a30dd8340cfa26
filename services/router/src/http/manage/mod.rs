//! The v2-compatible management API for the operator: the organization, buckets (databases),
//! authorizations (tokens) and DBRP mappings. Every route needs an operator token.
//!
//! ```text
//! request ──► operator_only: credentials ──► token_by_hash ──► operator, active?
//!               missing 401 · unknown/revoked 401 · not operator 401
//!         ──► /api/v2/orgs[/{id}]            orgs.rs            the one organization
//!         ──► /api/v2/buckets[/{id}]         buckets.rs         Catalog databases
//!         ──► /api/v2/authorizations[/{id}]  authorizations.rs  Catalog tokens
//!         ──► /api/v2/dbrps[/{id}]           dbrps.rs           Catalog DBRP mappings
//! errors: the ApiError table (error.rs); JSON shapes: *_shape.rs
//! ```

mod authorization_shape;
mod authorizations;
mod bucket_shape;
mod buckets;
mod dbrp_shape;
mod dbrps;
mod ids;
mod orgs;
mod request;

use auth::extract_credentials;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalog::Catalog;

pub use ids::{ORG_ID, ORG_NAME};

use super::error::ApiError;
use crate::state::RouterState;

/// Route patterns of the management API (metrics label them by pattern, not by id).
const PATTERNS: [(&str, &str); 4] = [
    ("/api/v2/orgs", "/api/v2/orgs/{id}"),
    ("/api/v2/buckets", "/api/v2/buckets/{id}"),
    ("/api/v2/authorizations", "/api/v2/authorizations/{id}"),
    ("/api/v2/dbrps", "/api/v2/dbrps/{id}"),
];

/// The management routes, guarded by [`operator_only`].
pub fn routes(state: RouterState) -> Router<RouterState> {
    Router::new()
        .route("/api/v2/orgs", get(orgs::list))
        .route("/api/v2/orgs/{id}", get(orgs::get))
        .route("/api/v2/buckets", get(buckets::list).post(buckets::create))
        .route(
            "/api/v2/buckets/{id}",
            get(buckets::get)
                .patch(buckets::patch)
                .delete(buckets::delete),
        )
        .route(
            "/api/v2/authorizations",
            get(authorizations::list).post(authorizations::create),
        )
        .route(
            "/api/v2/authorizations/{id}",
            get(authorizations::get)
                .patch(authorizations::patch)
                .delete(authorizations::delete),
        )
        .route("/api/v2/dbrps", get(dbrps::list).post(dbrps::create))
        .route(
            "/api/v2/dbrps/{id}",
            get(dbrps::get).patch(dbrps::patch).delete(dbrps::delete),
        )
        .route_layer(middleware::from_fn_with_state(state, operator_only))
}

/// The metrics `endpoint` label of a management path: its route pattern.
pub fn endpoint_label(path: &str) -> Option<&'static str> {
    PATTERNS.iter().find_map(|(list, item)| {
        if path == *list {
            return Some(*list);
        }
        let rest = path.strip_prefix(list)?.strip_prefix('/')?;
        (!rest.is_empty() && !rest.contains('/')).then_some(*item)
    })
}

/// Lets the request through only with an active operator token.
async fn operator_only(State(state): State<RouterState>, request: Request, next: Next) -> Response {
    match require_operator(state.catalog.as_ref(), request.headers()).await {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// Checks the `Authorization` header for an active operator token.
pub async fn require_operator(catalog: &dyn Catalog, headers: &HeaderMap) -> Result<(), ApiError> {
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let credentials =
        extract_credentials(authorization, None)?.ok_or(ApiError::MissingCredentials)?;
    for candidate in credentials.candidates() {
        let Some(record) = catalog.token_by_hash(&candidate.hash()).await? else {
            continue;
        };
        if record.revoked {
            continue;
        }
        if record.operator {
            return Ok(());
        }
        return Err(ApiError::OperatorRequired);
    }
    Err(ApiError::InvalidToken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_labels_are_patterns() {
        assert_eq!(endpoint_label("/api/v2/buckets"), Some("/api/v2/buckets"));
        assert_eq!(
            endpoint_label("/api/v2/buckets/000000000000002a"),
            Some("/api/v2/buckets/{id}")
        );
        assert_eq!(
            endpoint_label("/api/v2/authorizations/x"),
            Some("/api/v2/authorizations/{id}")
        );
        assert_eq!(endpoint_label("/api/v2/orgs"), Some("/api/v2/orgs"));
        assert_eq!(endpoint_label("/api/v2/dbrps"), Some("/api/v2/dbrps"));
        assert_eq!(
            endpoint_label("/api/v2/dbrps/000000000000002a"),
            Some("/api/v2/dbrps/{id}")
        );
        assert_eq!(endpoint_label("/api/v2/bucketsx"), None);
        assert_eq!(endpoint_label("/api/v2/buckets/"), None);
        assert_eq!(endpoint_label("/api/v2/buckets/a/labels"), None);
        assert_eq!(endpoint_label("/api/v2/write"), None);
    }
}
