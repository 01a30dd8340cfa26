//! The error table, pinned: every row's status, code and message, and how write errors map.

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
            ApiError::from(CatalogError::InvalidDbrp {
                reason: "database \"a/b\" must not contain '/'".into(),
            }),
            400,
            "invalid",
            "DBRP provided is invalid: database \"a/b\" must not contain '/'",
        ),
        (
            ApiError::from(CatalogError::DbrpAlreadyExists {
                database: "db".into(),
                retention_policy: "rp".into(),
            }),
            409,
            "conflict",
            "a DBRP mapping of database \"db\" and retention policy \"rp\" already exists",
        ),
        (
            ApiError::from(CatalogError::DbrpNotFound { id: 42 }),
            404,
            "not found",
            "unable to find DBRP \"000000000000002a\"",
        ),
        (
            ApiError::from(CatalogError::DbrpLimit {
                target: 42,
                limit: 50,
            }),
            422,
            "unprocessable entity",
            "service limit reached: bucket 000000000000002a is already named by 50 DBRP mappings, the most one bucket may have",
        ),
        (
            ApiError::InvalidBool {
                name: "default",
                value: "yes".into(),
            },
            400,
            "invalid",
            "invalid default parameter \"yes\": expected true or false",
        ),
        (
            ApiError::MissingV3Database,
            400,
            "invalid",
            "missing query parameter 'db'",
        ),
        (
            ApiError::InvalidV3Precision("m".into()),
            400,
            "invalid",
            "invalid precision \"m\": expected one of `auto`, `nanosecond`, `microsecond`, `millisecond`, `second`, `ns`, `n`, `us`, `u`, `ms`, `s`",
        ),
        (
            ApiError::InvalidNoSync("1".into()),
            400,
            "invalid",
            "invalid no_sync value \"1\": expected `true` or `false`",
        ),
        (
            ApiError::WriteLpRejected {
                partial: true,
                lines: Vec::new(),
            },
            400,
            "invalid",
            "partial write of line protocol occurred",
        ),
        (
            ApiError::WriteLpRejected {
                partial: false,
                lines: Vec::new(),
            },
            400,
            "invalid",
            "line protocol parsing error",
        ),
        (
            ApiError::EmptyWrite,
            400,
            "invalid",
            "incoming write was empty",
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
