//! Who may run a query: the `authorization` gRPC metadata against the catalog's tokens.
//!
//! ```text
//! metadata `authorization` ──► auth::extract_credentials (Bearer | Token | Basic)
//!   absent ──► Unauthenticated        malformed ──► MalformedCredentials
//!   candidates ──► TokenHash ──► catalog.token_by_hash ──► first live record
//!     none ──► InvalidToken ──► record.authorization().allows(Read, database)
//!                                 no ──► NotAuthorized
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

/// Checks that the request's token may read `database`.
pub async fn authorize(
    catalog: &dyn Catalog,
    metadata: &MetadataMap,
    database: &str,
) -> Result<(), QueryServiceError> {
    let mut authorization: Option<Authorization> = None;
    for token in bearer_token(metadata)? {
        if let Some(record) = catalog.token_by_hash(&token.hash()).await?
            && !record.revoked
        {
            authorization = Some(record.authorization());
            break;
        }
    }
    let authorization = authorization.ok_or(QueryServiceError::InvalidToken)?;
    if authorization.allows(Action::Read, database) {
        Ok(())
    } else {
        Err(QueryServiceError::NotAuthorized {
            database: database.to_string(),
        })
    }
}
