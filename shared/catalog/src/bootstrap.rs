//! The operator token bootstrap: make sure the operator token a server was configured with
//! (`--operator-token`, `QUIVER_OPERATOR_TOKEN`, a Helm secret) is stored in the catalog.
//!
//! ```text
//! token value ──► TokenHash ──► token_by_hash ──► found, operator ──► that record (no write)
//!                                    │            found, not operator ──► TokenAlreadyExists
//!                                    └─ absent ──► create_token(operator) ──► new record
//!                                                   └─ lost a race (TokenAlreadyExists) ──► read again
//! ```
//!
//! Idempotent: every router of a cluster may call it at start with the same secret; one record
//! results. A stored operator token that was revoked stays revoked (the record is returned as
//! it is, so the caller can say so): restarting a server must not undo a revocation.

use auth::TokenHash;

use crate::{Catalog, CatalogError, NewToken, TokenRecord};

/// Description of the token records this module creates.
pub const BOOTSTRAP_TOKEN_DESCRIPTION: &str = "operator (bootstrap)";

/// Rounds of read-then-create; a second round only runs after losing a creation race.
const ATTEMPTS: usize = 3;

/// Stores `token_value` (by hash) as an operator token unless it is stored already; returns the
/// stored record. Fails with [`CatalogError::TokenAlreadyExists`] when the value is stored as a
/// non-operator token (it is never promoted silently). The caller rejects empty values.
pub async fn ensure_operator_token(
    catalog: &dyn Catalog,
    token_value: &str,
) -> Result<TokenRecord, CatalogError> {
    let hash = TokenHash::of(token_value);
    for _ in 0..ATTEMPTS {
        if let Some(record) = catalog.token_by_hash(&hash).await? {
            return if record.operator {
                Ok(record)
            } else {
                Err(CatalogError::TokenAlreadyExists)
            };
        }
        let new = NewToken {
            hash,
            description: BOOTSTRAP_TOKEN_DESCRIPTION.to_owned(),
            operator: true,
            permissions: Vec::new(),
        };
        match catalog.create_token(new).await {
            Ok(record) => return Ok(record),
            // Another process stored it between our read and our write: read theirs.
            Err(CatalogError::TokenAlreadyExists) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(CatalogError::Unavailable(format!(
        "the operator token record kept appearing and disappearing during {ATTEMPTS} attempts to store it"
    )))
}

#[cfg(test)]
mod tests {
    use auth::{Action, Permission};

    use super::*;
    use crate::{MemCatalog, TokenUpdate};

    #[tokio::test]
    async fn stores_once_and_returns_the_same_record_afterwards() {
        let catalog = MemCatalog::new();
        let first = ensure_operator_token(&catalog, "qvr_secret").await.unwrap();
        assert!(first.operator);
        assert!(!first.revoked);
        assert_eq!(first.hash, TokenHash::of("qvr_secret"));
        assert_eq!(first.description, BOOTSTRAP_TOKEN_DESCRIPTION);
        let second = ensure_operator_token(&catalog, "qvr_secret").await.unwrap();
        assert_eq!(second, first);
        assert_eq!(catalog.list_tokens().await.unwrap(), vec![first]);
    }

    #[tokio::test]
    async fn concurrent_callers_end_with_one_record() {
        let catalog = std::sync::Arc::new(MemCatalog::new());
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let catalog = catalog.clone();
                tokio::spawn(
                    async move { ensure_operator_token(catalog.as_ref(), "qvr_same").await },
                )
            })
            .collect();
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap().unwrap().id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(catalog.list_tokens().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_revoked_operator_token_stays_revoked() {
        let catalog = MemCatalog::new();
        let record = ensure_operator_token(&catalog, "qvr_old").await.unwrap();
        catalog.revoke_token(record.id).await.unwrap();
        let again = ensure_operator_token(&catalog, "qvr_old").await.unwrap();
        assert_eq!(again.id, record.id);
        assert!(again.revoked);
        let stored = catalog.token_by_id(record.id).await.unwrap().unwrap();
        assert!(stored.revoked);
        // Re-activation is an explicit operator action.
        let active = catalog
            .update_token(
                record.id,
                TokenUpdate {
                    description: None,
                    active: Some(true),
                },
            )
            .await
            .unwrap();
        assert!(!active.revoked);
    }

    #[tokio::test]
    async fn a_non_operator_token_with_that_value_is_not_promoted() {
        let catalog = MemCatalog::new();
        catalog
            .create_token(NewToken {
                hash: TokenHash::of("qvr_writer"),
                description: "writer".into(),
                operator: false,
                permissions: vec![Permission::database(Action::Write, "db")],
            })
            .await
            .unwrap();
        let err = ensure_operator_token(&catalog, "qvr_writer")
            .await
            .unwrap_err();
        assert_eq!(err, CatalogError::TokenAlreadyExists);
        let stored = catalog.list_tokens().await.unwrap();
        assert_eq!(stored.len(), 1);
        assert!(!stored[0].operator);
    }
}
