//! THE error table of the HTTP API: every error any endpoint returns, with its status, its
//! InfluxDB `code` and its message. `tests/http_api/*_errors.rs` and `tests/manage_api/` pin
//! the rows over HTTP.
//!
//! Body: `{"code":"<code>","message":"<message>"}` plus `"line":<n>` for line protocol errors,
//! `Content-Type: application/json` — except rejected lines on `/api/v3/write_lp`, answered in
//! InfluxDB 3's `{"error","data"}` shape (`http::write_lp`). 429 and 503 carry `Retry-After: 1`. On the v1 `/write`
//! endpoint the message is also sent in the `X-Influxdb-Error` header.
//!
//! The write steps fail with their own [`WriteError`]; `From<WriteError>` below is where each
//! becomes a row of this table (sources kept, so logs show the whole chain):
//!
//! ```text
//! Rejected ──► 400 line protocol      DatabaseNotFound ──► 404     OutsideRetention ──► 422
//! Catalog: SchemaConflict ──► 400, Table/ColumnLimit ──► 422, Unavailable ──► 503, … ──► 500
//! Append: write log retryable (budget, unavailable) ──► 503 + Retry-After
//!         record larger than the log accepts        ──► 413 (the message names the limit)
//!         anything else (encoding, storage, …)      ──► 500, no Retry-After
//! Convert / NoTimeColumn / ColumnType / Shard (bugs) ──► 500
//! ```

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use catalog::CatalogError;
use serde::Serialize;

use super::write_lp;
use crate::write::{AppendError, WriteError};

/// Seconds clients are told to wait on 429 and 503.
pub const RETRY_AFTER_SECONDS: &str = "1";

/// Every error of the HTTP API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    // ---- routing
    /// No route for the path.
    #[error("route not found: {path}")]
    RouteNotFound {
        /// Request path.
        path: String,
    },
    /// The route exists, not for this method.
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
    },
    /// `/api/v2/query` (Flux).
    #[error(
        "Flux and /api/v2/query are not supported: query with SQL or InfluxQL over Arrow Flight, or with InfluxQL over the v1 /query endpoint"
    )]
    QueryNotSupported,
    /// `/api/v2/delete`.
    #[error("deletes are not supported")]
    DeleteNotSupported,

    // ---- 1. concurrency
    /// No write permit free.
    #[error("this service is overloaded, please try again later")]
    Overloaded,

    // ---- 2. parameters
    /// The query string does not decode.
    #[error("invalid query string: {0}")]
    InvalidQueryString(String),
    /// v2 without `bucket`.
    #[error("missing bucket value")]
    MissingBucket,
    /// v2 with an empty `org`.
    #[error("missing org value")]
    MissingOrg,
    /// v2 unknown `precision`.
    #[error(
        "failed to deserialize org/bucket/precision in request: unknown variant `{0}`, expected one of `s`, `ms`, `us`, `ns`, `m`, `h`"
    )]
    InvalidV2Precision(String),
    /// v1 without `db`.
    #[error("database is required")]
    MissingDatabase,
    /// v1 unknown `precision`.
    #[error("invalid precision {0:?}: expected one of `ns`, `n`, `us`, `u`, `ms`, `s`, `m`, `h`")]
    InvalidV1Precision(String),
    /// v3 without `db` (InfluxDB 3's text).
    #[error("missing query parameter 'db'")]
    MissingV3Database,
    /// v3 unknown `precision`.
    #[error(
        "invalid precision {0:?}: expected one of `auto`, `nanosecond`, `microsecond`, `millisecond`, `second`, `ns`, `n`, `us`, `u`, `ms`, `s`"
    )]
    InvalidV3Precision(String),
    /// v3 `no_sync` other than true/false.
    #[error("invalid no_sync value {0:?}: expected `true` or `false`")]
    InvalidNoSync(String),
    /// `accept_partial` other than true/false.
    #[error("invalid accept_partial value {0:?}: expected `true` or `false`")]
    InvalidAcceptPartial(String),
    /// Database name breaking the naming rule.
    #[error(transparent)]
    InvalidDatabaseName(#[from] catalog::DatabaseNameError),

    // ---- 3. auth
    /// No credentials at all.
    #[error(
        "authorization required: send `Authorization: Token <token>` (or `Bearer <token>`, or HTTP Basic auth with the token as password), or the v1 `p=<token>` query parameter"
    )]
    MissingCredentials,
    /// A malformed `Authorization` header.
    #[error(transparent)]
    MalformedCredentials(#[from] auth::CredentialError),
    /// Unknown or revoked token.
    #[error("unauthorized access")]
    InvalidToken,
    /// Valid token without write permission on the database.
    #[error("token is not authorized to write to database {database:?}")]
    WriteNotPermitted {
        /// Database name.
        database: String,
    },

    // ---- 4. body
    /// `Content-Encoding` other than identity or gzip.
    #[error("unacceptable content-encoding: {0}")]
    UnsupportedEncoding(String),
    /// Body over the cap as sent.
    #[error("max request size ({limit} bytes) exceeded")]
    BodyTooLarge {
        /// The cap.
        limit: usize,
    },
    /// Body over the cap once decompressed.
    #[error("max request size ({limit} bytes) exceeded after decompression")]
    DecompressedBodyTooLarge {
        /// The cap.
        limit: usize,
    },
    /// The connection failed while reading the body.
    #[error("error reading request body: {0}")]
    BodyRead(String),
    /// Corrupt gzip.
    #[error("error decoding gzip stream: {0}")]
    Gzip(String),
    /// Body is not UTF-8.
    #[error("body content is not valid utf8: {0}")]
    NotUtf8(String),

    // ---- 5. line protocol
    /// Some lines were rejected (all-or-nothing, or partial with `accept_partial=true`).
    #[error("{message}")]
    LineProtocol {
        /// `no data written, …` or `partial write: …` with one line per error.
        message: String,
        /// First rejected line, 1-based.
        line: usize,
    },

    /// v3: lines were rejected. Answered in InfluxDB 3's shape (see [`super::write_lp`]), not
    /// `{"code","message"}`: `partial` (accept_partial=true; the valid lines were written) lists
    /// every reported line, otherwise the first bad line alone.
    #[error("{}", if *partial { write_lp::PARTIAL_WRITE } else { write_lp::PARSING_ERROR })]
    WriteLpRejected {
        /// `accept_partial=true`.
        partial: bool,
        /// The rejected lines reported (at most 100; all-or-nothing: the first).
        lines: Vec<write_lp::WriteLpLineError>,
    },
    /// v3: a body without any line (InfluxDB 3 refuses it).
    #[error("incoming write was empty")]
    EmptyWrite,

    // ---- 6. database
    /// Unknown database and auto-creation off.
    #[error("database not found: {0:?}")]
    DatabaseNotFound(String),
    /// Rows older than the retention period (the write step's error, message included).
    #[error("{0}")]
    OutsideRetention(#[source] WriteError),

    // ---- 7. schema
    /// Column type differs from the catalog's (message from the catalog).
    #[error("{0}")]
    SchemaConflict(#[source] CatalogError),
    /// A table or column name over the length limit (message from the catalog).
    #[error("{0}")]
    NameTooLong(#[source] CatalogError),
    /// Table/column limit (message from the catalog, `service limit reached: …`).
    #[error("{0}")]
    ServiceLimit(#[source] CatalogError),
    /// The catalog cannot be reached.
    #[error("{0}")]
    CatalogUnavailable(#[source] CatalogError),

    // ---- 8. write log
    /// The write log refused the append for now (full or unreachable): retry.
    #[error("{0}")]
    WriteLogUnavailable(#[source] AppendError),
    /// A record is larger than the write log accepts: send smaller requests.
    #[error("{0}")]
    WriteTooLarge(#[source] AppendError),
    /// The write log failed in a way a retry does not fix (encoding, storage, a bug).
    #[error("internal error: {0}")]
    WriteLogFailed(#[source] AppendError),
    /// A write step failed on something that is not the client's doing (a bug).
    #[error("internal error: {0}")]
    WriteFailed(#[source] WriteError),

    // ---- 9. management API (/api/v2/orgs, /api/v2/buckets, /api/v2/authorizations,
    //         /api/v2/dbrps)
    /// A valid token that is not an operator token.
    #[error("token is not authorized to manage buckets and tokens: an operator token is required")]
    OperatorRequired,
    /// A resource id that is not 16 hex characters.
    #[error("invalid id {0:?}: ids are 16 hexadecimal characters")]
    InvalidId(String),
    /// A request body that is not the expected JSON.
    #[error("failed to decode request body: {0}")]
    InvalidJsonBody(String),
    /// An `org`/`orgID` other than the one organization (`name "x"` or `id "…"`).
    #[error("organization {0} not found")]
    OrganizationNotFound(String),
    /// No live bucket with this id.
    #[error("bucket {0:?} not found")]
    BucketNotFound(String),
    /// The bucket name is taken.
    #[error("bucket with name {0} already exists")]
    BucketAlreadyExists(String),
    /// `PATCH` with another name.
    #[error(
        "buckets cannot be renamed: bucket {id} is named {current:?}, the request names it {requested:?}; create a new bucket and write there instead"
    )]
    BucketRename {
        /// Bucket id.
        id: String,
        /// Its name.
        current: String,
        /// The name in the request.
        requested: String,
    },
    /// Retention rules other than one `expire` rule with `everySeconds` ≥ 0.
    #[error("invalid retention rules: {0}")]
    InvalidRetentionRules(String),
    /// A field Quiver has no equivalent for.
    #[error("{field} is not supported: {reason}")]
    UnsupportedField {
        /// The JSON field.
        field: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// No token with this id.
    #[error("authorization {0:?} not found")]
    AuthorizationNotFound(String),
    /// A permission that does not map to read/write on buckets.
    #[error("invalid permission: {0}")]
    InvalidPermission(String),

    /// A DBRP mapping the catalog refused: an invalid name (400) or a (database, retention
    /// policy) pair mapped already (409). The message is the catalog's.
    #[error("{0}")]
    Dbrp(#[source] CatalogError),
    /// No DBRP mapping with this id.
    #[error("unable to find DBRP {0:?}")]
    DbrpNotFound(String),
    /// A bucket already named by the most mappings one bucket may have.
    #[error(
        "service limit reached: bucket {bucket} is already named by {limit} DBRP mappings, the most one bucket may have"
    )]
    DbrpLimit {
        /// Bucket id.
        bucket: String,
        /// The limit.
        limit: usize,
    },
    /// A query parameter that must be a boolean.
    #[error("invalid {name} parameter {value:?}: expected true or false")]
    InvalidBool {
        /// Parameter name.
        name: &'static str,
        /// What was sent.
        value: String,
    },

    /// A bug or an unexpected backend failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            RouteNotFound { .. }
            | DatabaseNotFound(_)
            | OrganizationNotFound(_)
            | BucketNotFound(_)
            | AuthorizationNotFound(_)
            | DbrpNotFound(_) => StatusCode::NOT_FOUND,
            BucketAlreadyExists(_) => StatusCode::CONFLICT,
            MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            QueryNotSupported | DeleteNotSupported => StatusCode::NOT_IMPLEMENTED,
            Overloaded => StatusCode::TOO_MANY_REQUESTS,
            InvalidQueryString(_)
            | MissingBucket
            | MissingOrg
            | InvalidV2Precision(_)
            | MissingDatabase
            | InvalidV1Precision(_)
            | InvalidAcceptPartial(_)
            | MissingV3Database
            | InvalidV3Precision(_)
            | InvalidNoSync(_)
            | WriteLpRejected { .. }
            | EmptyWrite
            | InvalidDatabaseName(_)
            | BodyRead(_)
            | Gzip(_)
            | NotUtf8(_)
            | LineProtocol { .. }
            | SchemaConflict(_)
            | NameTooLong(_)
            | InvalidId(_)
            | InvalidJsonBody(_)
            | BucketRename { .. }
            | InvalidRetentionRules(_)
            | UnsupportedField { .. }
            | InvalidPermission(_)
            | InvalidBool { .. } => StatusCode::BAD_REQUEST,
            MissingCredentials
            | MalformedCredentials(_)
            | InvalidToken
            | WriteNotPermitted { .. }
            | OperatorRequired => StatusCode::UNAUTHORIZED,
            UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BodyTooLarge { .. } | DecompressedBodyTooLarge { .. } | WriteTooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            OutsideRetention(_) | ServiceLimit(_) | DbrpLimit { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            CatalogUnavailable(_) | WriteLogUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Dbrp(e) => match e {
                CatalogError::DbrpAlreadyExists { .. } => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            },
            Internal(_) | WriteLogFailed(_) | WriteFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The InfluxDB error code for the status.
    pub fn code(&self) -> &'static str {
        code_for(self.status())
    }

    /// The first rejected line of a line protocol error.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::LineProtocol { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The response, with the v1 `X-Influxdb-Error` header when `v1` is set.
    pub fn into_response_for(self, v1: bool) -> Response {
        let message = self.to_string();
        let status = self.status();
        let json = match &self {
            Self::WriteLpRejected { partial, lines } => write_lp::error_body(*partial, lines),
            _ => {
                let body = ErrorBody {
                    code: self.code(),
                    message: &message,
                    line: self.line(),
                };
                serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec())
            }
        };
        let mut response =
            (status, [(header::CONTENT_TYPE, "application/json")], json).into_response();
        let headers = response.headers_mut();
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        if v1 {
            headers.insert("x-influxdb-error", header_safe(&message));
        }
        response
    }
}

/// Two errors are equal when they answer the same response: status (hence code), message and
/// line. (Sources are not compared: a client sees none of them.)
impl PartialEq for ApiError {
    fn eq(&self, other: &Self) -> bool {
        self.status() == other.status()
            && self.line() == other.line()
            && self.to_string() == other.to_string()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.into_response_for(false)
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        use CatalogError as C;
        match e {
            C::InvalidDatabaseName(e) => Self::InvalidDatabaseName(e),
            C::DatabaseNotFound { name } => Self::DatabaseNotFound(name),
            C::SchemaConflict { .. } => Self::SchemaConflict(e),
            C::TableLimit { .. } | C::ColumnLimit { .. } | C::SchemaChangeLimit { .. } => {
                Self::ServiceLimit(e)
            }
            C::NameTooLong { .. } => Self::NameTooLong(e),
            C::Unavailable(_) => Self::CatalogUnavailable(e),
            C::DatabaseAlreadyExists { name } => Self::BucketAlreadyExists(name),
            C::DatabaseIdNotFound { id } => Self::BucketNotFound(format!("{id:016x}")),
            C::TokenNotFound { id } => Self::AuthorizationNotFound(format!("{id:016x}")),
            C::InvalidDbrp { .. } | C::DbrpAlreadyExists { .. } => Self::Dbrp(e),
            C::DbrpNotFound { id } => Self::DbrpNotFound(format!("{id:016x}")),
            C::DbrpLimit { target, limit } => Self::DbrpLimit {
                bucket: format!("{target:016x}"),
                limit,
            },
            C::TokenAlreadyExists
            | C::OffsetConflict { .. }
            | C::FilesChanged { .. }
            | C::FileAlreadyExists { .. }
            | C::InvalidFileSwap { .. }
            | C::DatabaseNotDeleted { .. }
            | C::Corrupt { .. }
            | C::Internal(_) => Self::Internal(e.to_string()),
        }
    }
}

/// The one place a write step's error becomes a response (see the module doc).
impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Rejected { message, line } => Self::LineProtocol { message, line },
            WriteError::DatabaseNotFound(name) => Self::DatabaseNotFound(name),
            e @ WriteError::OutsideRetention { .. } => Self::OutsideRetention(e),
            WriteError::Catalog(e) => Self::from(e),
            WriteError::Append(e) => match e.log_error() {
                Some(log) if log.is_retryable() => Self::WriteLogUnavailable(e),
                Some(log) if log.is_too_large() => Self::WriteTooLarge(e),
                _ => Self::WriteLogFailed(e),
            },
            e @ (WriteError::Convert(_)
            | WriteError::NoTimeColumn { .. }
            | WriteError::ColumnType { .. }
            | WriteError::Shard(_)) => Self::WriteFailed(e),
        }
    }
}

/// The InfluxDB code text of an error status.
pub fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "invalid",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not found",
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "request too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported media type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable entity",
        StatusCode::TOO_MANY_REQUESTS => "too many requests",
        StatusCode::NOT_IMPLEMENTED => "not implemented",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ => "internal error",
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
}

/// A header value carrying `message`: control characters (newlines) become spaces.
fn header_safe(message: &str) -> HeaderValue {
    let cleaned: Vec<u8> = message
        .bytes()
        .map(|b| if b.is_ascii_control() { b' ' } else { b })
        .collect();
    HeaderValue::from_bytes(&cleaned).unwrap_or_else(|_| HeaderValue::from_static("error"))
}

#[cfg(test)]
mod tests;
