//! Who may run a query: the `authorization` gRPC metadata against the catalog's tokens.
//!
//! ```text
//! metadata `authorization` ──► auth::extract_credentials (Bearer | Token | Basic)
//!   absent ──► Unauthenticated        malformed ──► MalformedCredentials
//!   candidates ──► TokenHash ──► catalog.token_by_hash ──► first live record
//!     none ──► InvalidToken
//!   authenticate() ──► Authenticated { token, authorization }
//!     .check_read(database): authorization.allows(Read, database)  no ──► NotAuthorized
//!   authorize() = authenticate() + check_read()
//! ```

use auth::{Action, Authorization, extract_credentials};
use catalog::Catalog;
use tonic::metadata::MetadataMap;

use crate::QueryServiceError;

/// The tokens the request presents (most specific first).
pub fn bearer_token(metadata: &MetadataMap) -> Result<Vec<auth::Token>, QueryServiceError> {
    let header = metadata.get("authorization").map(|v| v.as_bytes());
    match extract_credentials(header, None) {
        Ok(Some(credentials)) => Ok(credentials.candidates().to_vec()),
        Ok(None) => Err(QueryServiceError::Unauthenticated),
        Err(e) => Err(QueryServiceError::MalformedCredentials(e)),
    }
}

/// A request whose token is live in the catalog.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The presented token that matched (for Basic credentials: the password).
    pub token: auth::Token,
    /// What the token may do.
    pub authorization: Authorization,
}

impl Authenticated {
    /// Checks that the token may read `database`.
    pub fn check_read(&self, database: &str) -> Result<(), QueryServiceError> {
        if self.authorization.allows(Action::Read, database) {
            Ok(())
        } else {
            Err(QueryServiceError::NotAuthorized {
                database: database.to_string(),
            })
        }
    }
}

/// Finds the request's token in the catalog (unknown or revoked ──► `InvalidToken`).
pub async fn authenticate(
    catalog: &dyn Catalog,
    metadata: &MetadataMap,
) -> Result<Authenticated, QueryServiceError> {
    match catalog::live_token(catalog, &bearer_token(metadata)?).await? {
        Some((token, record)) => Ok(Authenticated {
            token,
            authorization: record.authorization(),
        }),
        None => Err(QueryServiceError::InvalidToken),
    }
}

/// Checks that the request's token may read `database`.
pub async fn authorize(
    catalog: &dyn Catalog,
    metadata: &MetadataMap,
    database: &str,
) -> Result<(), QueryServiceError> {
    authenticate(catalog, metadata).await?.check_read(database)
}
