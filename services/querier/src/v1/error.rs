//! The v1 `/query` errors that are not a statement's: one place for their statuses and texts.
//!
//! ```text
//! V1Error ──► status + body {"error":"<text>"} (or the CSV / MessagePack form) +
//!             X-Influxdb-Error: <text>
//! ```
//!
//! A statement's own failure is not here: 1.x answers it with 200 and `"error"` inside the
//! statement's result (influxql_query::ExecError).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use v1_query::{Format, ParamsError, encode_error, error_header_value};

/// A request-level failure of `/query`.
#[derive(Debug, thiserror::Error)]
pub enum V1Error {
    /// A bad parameter (`q` missing, `params` not JSON …): 400.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// The query does not parse: 400, `error parsing query: …`.
    #[error("error parsing query: {0}")]
    Parse(#[from] influxql::parser::ParseError),
    /// No credentials: 401.
    #[error("unable to parse authentication credentials")]
    MissingCredentials,
    /// Unknown or revoked token: 401.
    #[error("authorization failed")]
    InvalidToken,
    /// The token may not run a statement: 403.
    #[error("{0}")]
    Forbidden(String),
    /// The catalog could not be read: 503.
    #[error("catalog unavailable: {0}")]
    Catalog(#[from] catalog::CatalogError),
}

impl V1Error {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            V1Error::Params(_) | V1Error::Parse(_) => StatusCode::BAD_REQUEST,
            V1Error::MissingCredentials | V1Error::InvalidToken => StatusCode::UNAUTHORIZED,
            V1Error::Forbidden(_) => StatusCode::FORBIDDEN,
            V1Error::Catalog(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The response in `format`.
    pub fn into_response_as(self, format: Format, pretty: bool) -> Response {
        let text = self.to_string();
        let mut response = (
            self.status(),
            [(header::CONTENT_TYPE, format.content_type())],
            encode_error(format, &text, pretty),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(error_header_value(&text)) {
            response.headers_mut().insert("x-influxdb-error", v);
        }
        response
    }
}
