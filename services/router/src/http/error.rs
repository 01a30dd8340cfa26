//! THE error table of the HTTP API: every error any endpoint returns, with its status, its
//! InfluxDB `code` and its message. `tests/http_api/*_errors.rs` and `tests/manage_api/` pin
//! the rows over HTTP.
//!
//! Body: `{"code":"<code>","message":"<message>"}` plus `"line":<n>` for line protocol errors,
//! `Content-Type: application/json`. 429 and 503 carry `Retry-After: 1`. On the v1 `/write`
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

    // ---- 9. management API (/api/v2/orgs, /api/v2/buckets, /api/v2/authorizations)
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
            | AuthorizationNotFound(_) => StatusCode::NOT_FOUND,
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
            | InvalidPermission(_) => StatusCode::BAD_REQUEST,
            MissingCredentials
            | MalformedCredentials(_)
            | InvalidToken
            | WriteNotPermitted { .. }
            | OperatorRequired => StatusCode::UNAUTHORIZED,
            UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BodyTooLarge { .. } | DecompressedBodyTooLarge { .. } | WriteTooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            OutsideRetention(_) | ServiceLimit(_) => StatusCode::UNPROCESSABLE_ENTITY,
            CatalogUnavailable(_) | WriteLogUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
        let body = ErrorBody {
            code: self.code(),
            message: &message,
            line: self.line(),
        };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
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
            C::TokenAlreadyExists
            | C::OffsetConflict { .. }
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
mod tests {
    use std::error::Error as _;

    use schema::{InfluxColumnType, InfluxFieldType};
    use write_log::WriteLogError;

    use super::*;

    fn append_failure(first: WriteLogError) -> WriteError {
        WriteError::Append(AppendError::Log {
            first,
            failed: 1,
            touched: 2,
        })
    }

    /// Every variant with its status, code and exact message: the table, pinned.
    #[test]
    fn the_error_table() {
        let name_err = catalog::DatabaseName::new("a b").unwrap_err();
        let cred_err = auth::CredentialError::UnsupportedScheme("Digest".into());
        let rows: Vec<(ApiError, u16, &str, &str)> = vec![
            (
                ApiError::RouteNotFound { path: "/x".into() },
                404,
                "not found",
                "route not found: /x",
            ),
            (
                ApiError::MethodNotAllowed {
                    method: "GET".into(),
                    path: "/write".into(),
                },
                405,
                "method not allowed",
                "method GET is not allowed on /write",
            ),
            (
                ApiError::QueryNotSupported,
                501,
                "not implemented",
                "Flux and /api/v2/query are not supported: query with SQL or InfluxQL over Arrow Flight, or with InfluxQL over the v1 /query endpoint",
            ),
            (
                ApiError::DeleteNotSupported,
                501,
                "not implemented",
                "deletes are not supported",
            ),
            (
                ApiError::Overloaded,
                429,
                "too many requests",
                "this service is overloaded, please try again later",
            ),
            (
                ApiError::InvalidQueryString("x".into()),
                400,
                "invalid",
                "invalid query string: x",
            ),
            (
                ApiError::MissingBucket,
                400,
                "invalid",
                "missing bucket value",
            ),
            (ApiError::MissingOrg, 400, "invalid", "missing org value"),
            (
                ApiError::InvalidV2Precision("u".into()),
                400,
                "invalid",
                "failed to deserialize org/bucket/precision in request: unknown variant `u`, expected one of `s`, `ms`, `us`, `ns`, `m`, `h`",
            ),
            (
                ApiError::MissingDatabase,
                400,
                "invalid",
                "database is required",
            ),
            (
                ApiError::InvalidV1Precision("x".into()),
                400,
                "invalid",
                "invalid precision \"x\": expected one of `ns`, `n`, `us`, `u`, `ms`, `s`, `m`, `h`",
            ),
            (
                ApiError::InvalidAcceptPartial("yes".into()),
                400,
                "invalid",
                "invalid accept_partial value \"yes\": expected `true` or `false`",
            ),
            (
                ApiError::InvalidDatabaseName(name_err),
                400,
                "invalid",
                "invalid database name \"a b\": character ' ' at position 1 is not allowed; use only A-Z, a-z, 0-9, '_', '-' and '/'",
            ),
            (
                ApiError::MissingCredentials,
                401,
                "unauthorized",
                "authorization required: send `Authorization: Token <token>` (or `Bearer <token>`, or HTTP Basic auth with the token as password), or the v1 `p=<token>` query parameter",
            ),
            (
                ApiError::MalformedCredentials(cred_err),
                401,
                "unauthorized",
                "unsupported authorization scheme \"Digest\": use `Token <token>`, `Bearer <token>` or `Basic base64(user:<token>)`",
            ),
            (
                ApiError::InvalidToken,
                401,
                "unauthorized",
                "unauthorized access",
            ),
            (
                ApiError::WriteNotPermitted {
                    database: "db".into(),
                },
                401,
                "unauthorized",
                "token is not authorized to write to database \"db\"",
            ),
            (
                ApiError::UnsupportedEncoding("br".into()),
                415,
                "unsupported media type",
                "unacceptable content-encoding: br",
            ),
            (
                ApiError::BodyTooLarge { limit: 10 },
                413,
                "request too large",
                "max request size (10 bytes) exceeded",
            ),
            (
                ApiError::DecompressedBodyTooLarge { limit: 10 },
                413,
                "request too large",
                "max request size (10 bytes) exceeded after decompression",
            ),
            (
                ApiError::BodyRead("eof".into()),
                400,
                "invalid",
                "error reading request body: eof",
            ),
            (
                ApiError::Gzip("bad".into()),
                400,
                "invalid",
                "error decoding gzip stream: bad",
            ),
            (
                ApiError::NotUtf8("bad".into()),
                400,
                "invalid",
                "body content is not valid utf8: bad",
            ),
            (
                ApiError::LineProtocol {
                    message: "m".into(),
                    line: 3,
                },
                400,
                "invalid",
                "m",
            ),
            (
                ApiError::DatabaseNotFound("db".into()),
                404,
                "not found",
                "database not found: \"db\"",
            ),
            (
                ApiError::from(WriteError::OutsideRetention {
                    table: "t".into(),
                    minimum: "a".into(),
                    observed: "b".into(),
                }),
                422,
                "unprocessable entity",
                "data in table t is outside of the retention period: minimum acceptable timestamp is a, but observed timestamp b is older",
            ),
            (
                ApiError::from(CatalogError::SchemaConflict {
                    table: "cpu".into(),
                    column: "v".into(),
                    existing: InfluxColumnType::Field(InfluxFieldType::Float),
                    write: InfluxColumnType::Field(InfluxFieldType::Integer),
                }),
                400,
                "invalid",
                "schema conflict: table cpu, column v is type f64 but write has type i64",
            ),
            (
                ApiError::from(CatalogError::ColumnLimit {
                    table: "cpu".into(),
                    existing: 3,
                    requested: 5,
                    limit: 4,
                }),
                422,
                "unprocessable entity",
                "service limit reached: couldn't create columns in table cpu; table contains 3 existing column(s), applying this write would result in 5 columns, limit is 4",
            ),
            (
                ApiError::from(CatalogError::Unavailable("etcd down".into())),
                503,
                "unavailable",
                "catalog unavailable: etcd down",
            ),
            (
                ApiError::from(append_failure(WriteLogError::Unavailable("x".into()))),
                503,
                "unavailable",
                "write log unavailable: x; 1 of 2 log partitions did not confirm the write, so part of it may already be in the log: retrying the whole write is safe (last write wins per point)",
            ),
            (
                ApiError::from(append_failure(WriteLogError::RecordTooLarge {
                    bytes: 20,
                    limit: "the Kafka write log's record limit of 10 bytes".into(),
                })),
                413,
                "request too large",
                "a write log record of 20 bytes is larger than the Kafka write log's record limit of 10 bytes: send smaller write requests; 1 of 2 log partitions did not take the write, so part of it may already be in the log",
            ),
            (
                ApiError::from(append_failure(WriteLogError::Encode("x".into()))),
                500,
                "internal error",
                "internal error: cannot encode write log record: x; 1 of 2 log partitions did not take the write, so part of it may already be in the log",
            ),
            (
                ApiError::from(WriteError::NoTimeColumn {
                    table: "cpu".into(),
                }),
                500,
                "internal error",
                "internal error: table cpu has no nanosecond time column",
            ),
            (
                ApiError::OperatorRequired,
                401,
                "unauthorized",
                "token is not authorized to manage buckets and tokens: an operator token is required",
            ),
            (
                ApiError::InvalidId("xyz".into()),
                400,
                "invalid",
                "invalid id \"xyz\": ids are 16 hexadecimal characters",
            ),
            (
                ApiError::InvalidJsonBody("expected value at line 1 column 1".into()),
                400,
                "invalid",
                "failed to decode request body: expected value at line 1 column 1",
            ),
            (
                ApiError::OrganizationNotFound("name \"acme\"".into()),
                404,
                "not found",
                "organization name \"acme\" not found",
            ),
            (
                ApiError::BucketNotFound("000000000000002a".into()),
                404,
                "not found",
                "bucket \"000000000000002a\" not found",
            ),
            (
                ApiError::BucketAlreadyExists("db".into()),
                409,
                "conflict",
                "bucket with name db already exists",
            ),
            (
                ApiError::BucketRename {
                    id: "000000000000002a".into(),
                    current: "a".into(),
                    requested: "b".into(),
                },
                400,
                "invalid",
                "buckets cannot be renamed: bucket 000000000000002a is named \"a\", the request names it \"b\"; create a new bucket and write there instead",
            ),
            (
                ApiError::InvalidRetentionRules("x".into()),
                400,
                "invalid",
                "invalid retention rules: x",
            ),
            (
                ApiError::UnsupportedField {
                    field: "userID".into(),
                    reason: "why".into(),
                },
                400,
                "invalid",
                "userID is not supported: why",
            ),
            (
                ApiError::AuthorizationNotFound("000000000000002a".into()),
                404,
                "not found",
                "authorization \"000000000000002a\" not found",
            ),
            (
                ApiError::InvalidPermission("x".into()),
                400,
                "invalid",
                "invalid permission: x",
            ),
            (
                ApiError::Internal("x".into()),
                500,
                "internal error",
                "internal error: x",
            ),
        ];
        for (error, status, code, message) in rows {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert_eq!(error.code(), code, "{error:?}");
            assert_eq!(error.to_string(), message, "{error:?}");
        }
    }

    /// Each write step's error lands on its row, keeps its source, and only retryable ones
    /// tell the client to retry.
    #[test]
    fn write_errors_map_once_with_their_sources() {
        let cases: Vec<(WriteError, u16, bool)> = vec![
            (
                WriteError::Rejected {
                    message: "no data written".into(),
                    line: 2,
                },
                400,
                false,
            ),
            (WriteError::DatabaseNotFound("db".into()), 404, false),
            (
                WriteError::Catalog(CatalogError::Unavailable("down".into())),
                503,
                true,
            ),
            (
                append_failure(WriteLogError::BudgetExceeded {
                    budget: 1,
                    used: 1,
                    requested: 1,
                }),
                503,
                true,
            ),
            (
                append_failure(WriteLogError::RecordTooLarge {
                    bytes: 2,
                    limit: "1 byte".into(),
                }),
                413,
                false,
            ),
            (
                append_failure(WriteLogError::UnknownPartition {
                    partition: 9,
                    partition_count: 2,
                }),
                500,
                false,
            ),
            (
                append_failure(WriteLogError::Storage("disk".into())),
                500,
                false,
            ),
            (
                WriteError::Shard(arrow::error::ArrowError::ComputeError("x".into())),
                500,
                false,
            ),
        ];
        for (write_error, status, retry) in cases {
            let label = format!("{write_error:?}");
            let api = ApiError::from(write_error);
            assert_eq!(api.status().as_u16(), status, "{label}");
            if matches!(status, 413 | 500 | 503) {
                assert!(api.source().is_some(), "{label}: source kept");
            }
            let response = api.into_response_for(false);
            assert_eq!(
                response.headers().contains_key(header::RETRY_AFTER),
                retry,
                "{label}"
            );
        }
    }

    #[test]
    fn header_value_has_no_newlines() {
        let v = header_safe("no data written:\nerror parsing line 1");
        assert_eq!(v.to_str().unwrap(), "no data written: error parsing line 1");
    }
}
