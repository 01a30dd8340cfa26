//! Errors of the Flight query service and their gRPC status codes (IOx's mapping).
//!
//! ```text
//! QueryServiceError ──► tonic::Status
//!   InvalidTicket / UnknownQueryType / InvalidDatabaseName ──► INVALID_ARGUMENT
//!   Unauthenticated / MalformedCredentials                  ──► UNAUTHENTICATED
//!   InvalidToken / NotAuthorized                            ──► PERMISSION_DENIED
//!   DatabaseNotFound                                        ──► NOT_FOUND
//!   InfluxQlNotImplemented / Unimplemented                  ──► UNIMPLEMENTED
//!   Catalog                                                 ──► UNAVAILABLE
//!   Query(DataFusionError) ──► datafusion_error_to_status (plan errors INVALID_ARGUMENT, …)
//! ```

use catalog::CatalogError;
use datafusion::error::DataFusionError;
use tonic::{Code, Status};

use crate::TicketError;

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
    /// InfluxQL over Flight.
    #[error(
        "InfluxQL queries are not implemented in this release of Quiver; send the query as SQL (\"query_type\": \"sql\")"
    )]
    InfluxQlNotImplemented,
    /// A Flight method this service does not offer.
    #[error("{0} is not implemented by the Quiver querier")]
    Unimplemented(&'static str),
    /// The catalog failed.
    #[error("catalog error: {0}")]
    Catalog(#[from] CatalogError),
    /// Session setup failed.
    #[error("{0}")]
    Session(#[from] query::QueryError),
    /// Planning or execution failed.
    #[error("{0}")]
    Query(#[from] DataFusionError),
}

impl From<QueryServiceError> for Status {
    fn from(e: QueryServiceError) -> Self {
        use QueryServiceError as E;
        let code = match &e {
            E::InvalidTicket(_) | E::UnknownQueryType(_) | E::InvalidDatabaseName(_) => {
                Code::InvalidArgument
            }
            E::Unauthenticated | E::MalformedCredentials(_) => Code::Unauthenticated,
            E::InvalidToken | E::NotAuthorized { .. } => Code::PermissionDenied,
            E::DatabaseNotFound(_) => Code::NotFound,
            E::InfluxQlNotImplemented | E::Unimplemented(_) => Code::Unimplemented,
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
        DataFusionError::Context(_, inner) => datafusion_code(inner),
        DataFusionError::Shared(inner) => datafusion_code(inner),
        DataFusionError::Diagnostic(_, inner) => datafusion_code(inner),
        DataFusionError::Plan(_)
        | DataFusionError::SQL(..)
        | DataFusionError::SchemaError(..)
        | DataFusionError::Configuration(_) => Code::InvalidArgument,
        DataFusionError::NotImplemented(_) => Code::Unimplemented,
        DataFusionError::ResourcesExhausted(_) => Code::ResourceExhausted,
        _ => Code::Internal,
    }
}
