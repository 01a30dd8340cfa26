//! Which stored token a request presents: the query services' one lookup.
//!
//! ```text
//! credentials' candidate tokens (most specific first) ──► hash ──► token_by_hash
//!   ──► the first record that is not revoked | None
//! ```

use auth::Token;

use crate::{Catalog, CatalogError, TokenRecord};

/// The first candidate whose record exists and is not revoked, with that record.
pub async fn live_token(
    catalog: &dyn Catalog,
    candidates: &[Token],
) -> Result<Option<(Token, TokenRecord)>, CatalogError> {
    for token in candidates {
        if let Some(record) = catalog.token_by_hash(&token.hash()).await?
            && !record.revoked
        {
            return Ok(Some((token.clone(), record)));
        }
    }
    Ok(None)
}
