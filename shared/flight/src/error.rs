//! Errors of the Flight query service and their gRPC status codes (IOx's mapping).
//!
//! ```text
//! QueryServiceError ──► tonic::Status
//!   InvalidTicket / UnknownQueryType / InvalidDatabaseName / TooDeep ──► INVALID_ARGUMENT
//!   Flight SQL: Missing/Conflicting/InvalidDatabaseHeader, InvalidCommand, InvalidHandle,
//!     HandleDatabaseMismatch, InvalidParameters           ──► INVALID_ARGUMENT
//!   Unauthenticated / MalformedCredentials                  ──► UNAUTHENTICATED
//!   InvalidToken / NotAuthorized                            ──► PERMISSION_DENIED
//!   DatabaseNotFound                                        ──► NOT_FOUND
//!   Unimplemented / Unsupported / ReadOnly ──► UNIMPLEMENTED
//!   InfluxQl (parse or statement error) ──► INVALID_ARGUMENT; InfluxQlForbidden ──► PERMISSION_DENIED
//!   Catalog                                                 ──► UNAVAILABLE
//!   Arrow / Flight (building an answer)                     ──► INTERNAL
//!   Query(DataFusionError) ──► datafusion_error_to_status, by kind (through Context, Shared,
//!     Diagnostic, Collection and External wrappers):
//!     Plan / SQL / Schema / Configuration / Execution, Arrow cast / parse / compute /
//!       divide by zero / overflow / invalid argument   ──► INVALID_ARGUMENT (the query's fault)
//!     NotImplemented ──► UNIMPLEMENTED     ResourcesExhausted, Arrow memory ──► RESOURCE_EXHAUSTED
//!     ObjectStore, External(ingesters unreachable | catalog) ──► UNAVAILABLE (retry)
//!     Parquet / IO / Internal / join of a panicked task / other External ──► INTERNAL
//! ```

use arrow_flight::error::FlightError;
use catalog::CatalogError;
use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use query::unpersisted::UnpersistedError;
use tonic::{Code, Status};

use crate::TicketError;
use crate::sql::HandleError;

/// Why a Flight request failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryServiceError {
    /// The ticket could not be decoded.
    #[error("Invalid ticket. Error: {0}")]
    InvalidTicket(TicketError),
    /// The ticket names a query type other than sql/influxql.
    #[error("{0}")]
    UnknownQueryType(TicketError),
    /// The database name is not a valid name.
    #[error("Invalid database name: {0}")]
    InvalidDatabaseName(catalog::DatabaseNameError),
    /// No `authorization` metadata.
    #[error("Unauthenticated: no token in the 'authorization' header (use 'Bearer <token>')")]
    Unauthenticated,
    /// An `authorization` header that cannot be parsed.
    #[error("Unauthenticated: {0}")]
    MalformedCredentials(auth::CredentialError),
    /// The token is unknown or revoked.
    #[error("Permission denied: invalid token")]
    InvalidToken,
    /// The token may not read the database.
    #[error("Permission denied: token may not read database '{database}'")]
    NotAuthorized {
        /// Database name.
        database: String,
    },
    /// The database does not exist.
    #[error("Database '{0}' not found")]
    DatabaseNotFound(String),
    /// An InfluxQL query that does not parse or whose statement fails (its 1.x error text).
    #[error("{0}")]
    InfluxQl(String),
    /// An InfluxQL statement reading a database the token may not read.
    #[error("Permission denied: {0}")]
    InfluxQlForbidden(String),
    /// A Flight method this service does not offer.
    #[error("{0} is not implemented by the Quiver querier")]
    Unimplemented(&'static str),
    /// A Flight SQL request without a database header.
    #[error(
        "no 'database' header in request (send the gRPC header 'database: <name>'; 'bucket', 'bucket-name' and 'iox-namespace-name' are accepted too)"
    )]
    MissingDatabaseHeader,
    /// Database headers naming different databases.
    #[error("More than one headers are found in request: {0}")]
    ConflictingDatabaseHeaders(String),
    /// A database header that is empty or not UTF-8.
    #[error("Invalid '{0}' header: the database name must be a non-empty UTF-8 string")]
    InvalidDatabaseHeader(&'static str),
    /// A descriptor or ticket that is not a Flight SQL command.
    #[error("Invalid Flight SQL command: {0}")]
    InvalidCommand(String),
    /// A statement handle that Quiver did not issue or that is damaged.
    #[error("Invalid prepared statement handle: {0}")]
    InvalidHandle(HandleError),
    /// A statement handle used with another database than the one it was prepared for.
    #[error(
        "the statement was prepared for database '{handle}' but the request's header names database '{header}'"
    )]
    HandleDatabaseMismatch {
        /// Database in the handle.
        handle: String,
        /// Database in the header.
        header: String,
    },
    /// Bound parameters that do not fit the statement.
    #[error("Invalid parameters: {0}")]
    InvalidParameters(String),
    /// A Flight SQL command or action this querier does not offer.
    #[error("{0} is not supported by the Quiver querier")]
    Unsupported(String),
    /// Writes, transactions and other changes over Flight SQL.
    #[error("{0} are not supported: Quiver's Flight SQL interface is read-only (queries only)")]
    ReadOnly(&'static str),
    /// An Arrow answer could not be built.
    #[error("cannot build the Flight SQL answer: {0}")]
    Arrow(#[from] ArrowError),
    /// A Flight SQL metadata answer could not be built.
    #[error("cannot build the Flight SQL answer: {0}")]
    Flight(#[from] FlightError),
    /// The catalog failed.
    #[error("catalog error: {0}")]
    Catalog(#[from] CatalogError),
    /// Session setup failed.
    #[error("{0}")]
    Session(#[from] query::QueryError),
    /// The statement nests more deeply than the engine accepts.
    #[error("{0}")]
    TooDeep(#[from] query::nesting::NestingError),
    /// Planning or execution failed.
    #[error("{0}")]
    Query(#[from] DataFusionError),
}

impl From<QueryServiceError> for Status {
    fn from(e: QueryServiceError) -> Self {
        use QueryServiceError as E;
        let code = match &e {
            E::InvalidTicket(_)
            | E::UnknownQueryType(_)
            | E::InvalidDatabaseName(_)
            | E::MissingDatabaseHeader
            | E::ConflictingDatabaseHeaders(_)
            | E::InvalidDatabaseHeader(_)
            | E::InvalidCommand(_)
            | E::InvalidHandle(_)
            | E::HandleDatabaseMismatch { .. }
            | E::InvalidParameters(_)
            | E::TooDeep(_)
            | E::InfluxQl(_) => Code::InvalidArgument,
            E::InfluxQlForbidden(_) => Code::PermissionDenied,
            E::Unauthenticated | E::MalformedCredentials(_) => Code::Unauthenticated,
            E::InvalidToken | E::NotAuthorized { .. } => Code::PermissionDenied,
            E::DatabaseNotFound(_) => Code::NotFound,
            E::Unimplemented(_) | E::Unsupported(_) | E::ReadOnly(_) => Code::Unimplemented,
            E::Arrow(_) | E::Flight(_) => Code::Internal,
            E::Catalog(_) | E::Session(query::QueryError::Catalog(_)) => Code::Unavailable,
            E::Session(query::QueryError::DataFusion(d)) | E::Query(d) => datafusion_code(d),
        };
        Status::new(code, e.to_string())
    }
}

/// The status of a planning or execution error.
pub fn datafusion_error_to_status(e: &DataFusionError) -> Status {
    Status::new(datafusion_code(e), e.to_string())
}

fn datafusion_code(e: &DataFusionError) -> Code {
    match e {
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            datafusion_code(inner)
        }
        DataFusionError::Shared(inner) => datafusion_code(inner),
        DataFusionError::Collection(errors) => {
            errors.first().map_or(Code::Internal, datafusion_code)
        }
        // The query's own mistakes: syntax, names, types, and what its functions refuse while
        // running (`to_timestamp('x')`, a zero `date_bin` stride, …).
        DataFusionError::Plan(_)
        | DataFusionError::SQL(..)
        | DataFusionError::SchemaError(..)
        | DataFusionError::Configuration(_)
        | DataFusionError::Execution(_) => Code::InvalidArgument,
        DataFusionError::ArrowError(inner, _) => arrow_code(inner),
        DataFusionError::NotImplemented(_) => Code::Unimplemented,
        DataFusionError::ResourcesExhausted(_) => Code::ResourceExhausted,
        // The object store did not answer (or a file went away): a retry may succeed.
        DataFusionError::ObjectStore(_) => Code::Unavailable,
        DataFusionError::External(inner) => external_code(inner.as_ref()),
        DataFusionError::ParquetError(_)
        | DataFusionError::IoError(_)
        | DataFusionError::Internal(_)
        | DataFusionError::ExecutionJoin(_)
        | DataFusionError::Substrait(_)
        | DataFusionError::Ffi(_) => Code::Internal,
    }
}

/// Errors of Arrow kernels: the ones a query's values cause (`1/0`, `CAST('abc' AS INT)`, a
/// regular expression that does not compile) are the client's; the rest are Quiver's.
fn arrow_code(e: &ArrowError) -> Code {
    match e {
        ArrowError::CastError(_)
        | ArrowError::ParseError(_)
        | ArrowError::ComputeError(_)
        | ArrowError::DivideByZero
        | ArrowError::ArithmeticOverflow(_)
        | ArrowError::InvalidArgumentError(_)
        | ArrowError::SchemaError(_) => Code::InvalidArgument,
        ArrowError::NotYetImplemented(_) => Code::Unimplemented,
        ArrowError::MemoryError(_)
        | ArrowError::DictionaryKeyOverflowError
        | ArrowError::RunEndIndexOverflowError
        | ArrowError::OffsetOverflowError(_) => Code::ResourceExhausted,
        ArrowError::ExternalError(inner) => external_code(inner.as_ref()),
        _ => Code::Internal,
    }
}

/// An error DataFusion or Arrow carries for someone else.
fn external_code(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> Code {
    if let Some(e) = inner.downcast_ref::<DataFusionError>() {
        return datafusion_code(e);
    }
    if let Some(e) = inner.downcast_ref::<ArrowError>() {
        return arrow_code(e);
    }
    // A scan that could not reach the ingesters (no owner yet, timeout, unreachable) or the
    // catalog: the query may succeed when retried.
    if inner.is::<UnpersistedError>() || inner.is::<CatalogError>() {
        return Code::Unavailable;
    }
    // A pattern that does not compile (the optimizer parses constant patterns first).
    if inner.is::<query::nesting::NestingError>()
        || inner.is::<regex::Error>()
        || inner.is::<regex_syntax::Error>()
    {
        return Code::InvalidArgument;
    }
    Code::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_that_cannot_reach_ingesters_or_the_catalog_are_unavailable() {
        let no_owner =
            DataFusionError::External(Box::new(UnpersistedError::NoOwner { partition: 3 }));
        let status = datafusion_error_to_status(&no_owner);
        assert_eq!(status.code(), Code::Unavailable);
        assert!(
            status
                .message()
                .contains("no ingester owns log partition 3"),
            "{}",
            status.message()
        );
        let catalog =
            DataFusionError::External(Box::new(CatalogError::Unavailable("etcd down".into())));
        assert_eq!(
            datafusion_error_to_status(&catalog).code(),
            Code::Unavailable
        );
        let other = DataFusionError::External("boom".into());
        assert_eq!(datafusion_error_to_status(&other).code(), Code::Internal);
        let plan = DataFusionError::Plan("no such column".into());
        assert_eq!(
            datafusion_error_to_status(&plan).code(),
            Code::InvalidArgument
        );
    }
}
