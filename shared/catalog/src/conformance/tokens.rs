//! Tokens: create by hash, lookups by hash and id, update (description, active), revoke, delete.

use auth::{Action, Permission, TokenHash};

use crate::{Catalog, CatalogError, NewToken, TokenId, TokenUpdate};

pub(super) async fn run(catalog: &dyn Catalog) {
    let hash = TokenHash::of("conformance-token");
    let record = catalog
        .create_token(NewToken {
            hash,
            description: "writer".into(),
            operator: false,
            permissions: vec![Permission::database(Action::Write, "conf_db")],
        })
        .await
        .expect("create token");
    assert!(!record.revoked);
    assert!(record.created_at_ns > 0);
    assert_eq!(record.hash, hash, "the hash is stored as given");
    assert!(record.authorization().allows(Action::Write, "conf_db"));
    assert!(!record.authorization().allows(Action::Write, "other"));

    let found = catalog.token_by_hash(&hash).await.expect("lookup");
    assert_eq!(found, Some(record.clone()));
    let found = catalog.token_by_id(record.id).await.expect("lookup by id");
    assert_eq!(found, Some(record.clone()));
    let absent = catalog.token_by_hash(&TokenHash::of("nope")).await;
    assert_eq!(absent.expect("lookup"), None);

    let dup = catalog
        .create_token(NewToken {
            hash,
            description: "dup".into(),
            operator: true,
            permissions: vec![],
        })
        .await;
    assert_eq!(dup, Err(CatalogError::TokenAlreadyExists));

    let revoked = catalog.revoke_token(record.id).await.expect("revoke");
    assert!(revoked.revoked);
    assert!(!revoked.authorization().allows(Action::Write, "conf_db"));
    let found = catalog
        .token_by_hash(&hash)
        .await
        .expect("lookup")
        .expect("still stored");
    assert!(found.revoked, "revocation is persisted");
    assert_eq!(catalog.list_tokens().await.expect("list").len(), 1);

    update(catalog, record.id).await;
    delete_and_list(catalog, record.id, hash).await;
}

async fn update(catalog: &dyn Catalog, id: TokenId) {
    let renamed = catalog
        .update_token(
            id,
            TokenUpdate {
                description: Some("renamed".into()),
                active: None,
            },
        )
        .await
        .expect("update description");
    assert_eq!(renamed.description, "renamed");
    assert!(
        renamed.revoked,
        "an update without `active` keeps the state"
    );

    let active = catalog
        .update_token(
            id,
            TokenUpdate {
                description: None,
                active: Some(true),
            },
        )
        .await
        .expect("re-activate");
    assert!(!active.revoked, "active: true re-activates");
    assert_eq!(active.description, "renamed", "description kept");
    assert!(active.authorization().allows(Action::Write, "conf_db"));
    let stored = catalog.token_by_id(id).await.expect("lookup");
    assert_eq!(stored, Some(active.clone()), "the update is stored");

    let inactive = catalog
        .update_token(
            id,
            TokenUpdate {
                description: None,
                active: Some(false),
            },
        )
        .await
        .expect("deactivate");
    assert!(inactive.revoked, "active: false revokes");
    let stored = catalog.token_by_hash(&inactive.hash).await.expect("lookup");
    assert_eq!(stored, Some(inactive));

    let unknown = TokenId(id.0.wrapping_add(1_000_000_007));
    let missing = catalog.update_token(unknown, TokenUpdate::default()).await;
    assert_eq!(missing, Err(CatalogError::TokenNotFound { id: unknown.0 }));
    let missing = catalog.revoke_token(unknown).await;
    assert_eq!(missing, Err(CatalogError::TokenNotFound { id: unknown.0 }));
}

async fn delete_and_list(catalog: &dyn Catalog, id: TokenId, hash: TokenHash) {
    let mut created = Vec::new();
    for i in 0..3 {
        let record = catalog
            .create_token(NewToken {
                hash: TokenHash::of(&format!("conformance-list-{i}")),
                description: format!("list {i}"),
                operator: i == 0,
                permissions: vec![Permission::all_databases(Action::Read)],
            })
            .await
            .expect("create");
        created.push(record);
    }
    let listed = catalog.list_tokens().await.expect("list");
    assert_eq!(listed.len(), 4);
    assert!(
        listed.windows(2).all(|w| w[0].id < w[1].id),
        "tokens are listed by id"
    );
    assert!(created.iter().all(|c| listed.contains(c)));
    created.sort_by_key(|c| c.id);

    catalog.delete_token(id).await.expect("delete");
    assert_eq!(catalog.token_by_id(id).await.expect("lookup"), None);
    assert_eq!(catalog.token_by_hash(&hash).await.expect("lookup"), None);
    assert_eq!(
        catalog.delete_token(id).await,
        Err(CatalogError::TokenNotFound { id: id.0 }),
        "deleting twice fails"
    );
    let listed = catalog.list_tokens().await.expect("list");
    assert_eq!(
        listed, created,
        "the deleted token is gone, the others stay"
    );
    for record in created {
        catalog.delete_token(record.id).await.expect("cleanup");
    }
    assert!(catalog.list_tokens().await.expect("list").is_empty());
}
