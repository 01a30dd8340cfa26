//! The change feed: snapshot contents, watch order/content/promptness for every change kind,
//! and replay of the changes made after a snapshot.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use auth::{Action, Permission, TokenHash};
use futures::StreamExt;

use super::name;
use super::schema::F64;
use crate::{
    Catalog, CatalogChange, ChangeStream, DatabaseOptions, DatabaseUpdate, NewToken, SchemaUpsert,
    TokenUpdate,
};

/// A change must reach a watcher within this time of its write being acknowledged.
const PROMPT: Duration = Duration::from_secs(1);

pub(super) async fn run(catalog: &dyn Catalog) {
    snapshot_contents(catalog).await;
    watch_every_kind(catalog).await;
    replay_after_revision(catalog).await;
}

fn token(seed: &str) -> NewToken {
    NewToken {
        hash: TokenHash::of(seed),
        description: seed.to_owned(),
        operator: false,
        permissions: vec![Permission::database(Action::Read, "conf_watch")],
    }
}

async fn next(stream: &mut ChangeStream, what: &str) -> CatalogChange {
    let start = Instant::now();
    match tokio::time::timeout(PROMPT, stream.next()).await {
        Ok(Some(Ok(change))) => change,
        Ok(Some(Err(e))) => panic!("watch failed while waiting for {what}: {e}"),
        Ok(None) => panic!("watch ended while waiting for {what}"),
        Err(_) => panic!(
            "{what} was not delivered within {PROMPT:?} (waited {:?})",
            start.elapsed()
        ),
    }
}

async fn snapshot_contents(catalog: &dyn Catalog) {
    let before = catalog.snapshot().await.expect("snapshot");
    let db = catalog
        .create_database(&name("conf_snap"), DatabaseOptions::default())
        .await
        .expect("create");
    let mut up = SchemaUpsert::new();
    up.add("snap_table", "v", F64).expect("add");
    let schema = catalog.upsert_schema(db.id, &up).await.expect("upsert");
    let tok = catalog
        .create_token(token("conf-snap"))
        .await
        .expect("token");
    let gone = catalog
        .create_database(&name("conf_snap_gone"), DatabaseOptions::default())
        .await
        .expect("create");
    catalog.delete_database(gone.id).await.expect("delete");

    let snap = catalog.snapshot().await.expect("snapshot");
    assert!(
        snap.revision > before.revision,
        "changes advance the revision ({} → {})",
        before.revision,
        snap.revision
    );
    assert_eq!(
        snap.databases,
        catalog.list_databases().await.expect("list"),
        "the snapshot holds exactly the live databases"
    );
    assert!(snap.databases.contains(&db));
    assert!(snap.databases.iter().all(|d| d.id != gone.id));
    let ids: BTreeSet<_> = snap.databases.iter().map(|d| d.id).collect();
    let schema_ids: BTreeSet<_> = snap.schemas.keys().copied().collect();
    assert_eq!(ids, schema_ids, "one schema per live database, no other");
    assert_eq!(snap.schemas[&db.id], schema);
    for (id, s) in &snap.schemas {
        assert_eq!(*s, catalog.database_schema(*id).await.expect("schema"));
    }
    assert_eq!(
        snap.tokens,
        catalog.list_tokens().await.expect("list"),
        "the snapshot holds every token"
    );
    assert!(snap.tokens.contains(&tok));
    catalog.delete_token(tok.id).await.expect("cleanup");
    catalog.delete_database(db.id).await.expect("cleanup");
}

async fn watch_every_kind(catalog: &dyn Catalog) {
    let snap = catalog.snapshot().await.expect("snapshot");
    let mut stream = catalog.watch(snap.revision).await.expect("watch");
    let mut last = snap.revision;
    let mut check_revision = |change: &CatalogChange| {
        assert!(
            change.revision() > last,
            "revisions increase: {} after {last}",
            change.revision()
        );
        last = change.revision();
    };

    let db = catalog
        .create_database(&name("conf_watch"), DatabaseOptions::default())
        .await
        .expect("create");
    let change = next(&mut stream, "a database creation").await;
    check_revision(&change);
    assert!(
        matches!(&change, CatalogChange::DatabaseUpserted { database, .. } if *database == db),
        "creation delivers the new record, got {change:?}"
    );

    let update = DatabaseUpdate {
        retention_period: Some(Some(Duration::from_secs(7200))),
        limits: None,
    };
    let updated = catalog
        .update_database(db.id, update)
        .await
        .expect("update");
    let change = next(&mut stream, "a database update").await;
    check_revision(&change);
    assert!(
        matches!(&change, CatalogChange::DatabaseUpserted { database, .. } if *database == updated),
        "an update delivers the new record, got {change:?}"
    );

    let mut up = SchemaUpsert::new();
    up.add("watched", "v", F64).expect("add");
    let schema = catalog.upsert_schema(db.id, &up).await.expect("upsert");
    let change = next(&mut stream, "a schema change").await;
    check_revision(&change);
    assert!(
        matches!(&change, CatalogChange::SchemaChanged { schema: s, .. } if *s == schema),
        "a schema change delivers the full schema, got {change:?}"
    );
    // Repeating the upsert adds nothing and must not produce a change (checked at the end).
    catalog
        .upsert_schema(db.id, &up)
        .await
        .expect("no-op upsert");

    let tok = catalog
        .create_token(token("conf-watch"))
        .await
        .expect("token");
    let change = next(&mut stream, "a token creation").await;
    check_revision(&change);
    assert!(
        matches!(&change, CatalogChange::TokenUpserted { token, .. } if *token == tok),
        "a token creation delivers the record, got {change:?}"
    );

    let revoked = catalog
        .update_token(
            tok.id,
            TokenUpdate {
                description: None,
                active: Some(false),
            },
        )
        .await
        .expect("revoke");
    let change = next(&mut stream, "a token revocation").await;
    check_revision(&change);
    assert!(
        matches!(&change, CatalogChange::TokenUpserted { token, .. } if *token == revoked && token.revoked),
        "a revocation delivers the revoked record, got {change:?}"
    );

    catalog.delete_token(tok.id).await.expect("delete token");
    let change = next(&mut stream, "a token deletion").await;
    check_revision(&change);
    assert!(
        matches!(&change, CatalogChange::TokenDeleted { id, .. } if *id == tok.id),
        "a token deletion delivers its id, got {change:?}"
    );

    catalog
        .delete_database(db.id)
        .await
        .expect("delete database");
    let change = next(&mut stream, "a database deletion").await;
    check_revision(&change);
    assert!(
        matches!(&change, CatalogChange::DatabaseDeleted { id, .. } if *id == db.id),
        "a database deletion delivers its id, got {change:?}"
    );

    let extra = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(
        extra.is_err(),
        "no change beyond the seven made (a no-op upsert changes nothing), got {extra:?}"
    );
}

async fn replay_after_revision(catalog: &dyn Catalog) {
    let snap = catalog.snapshot().await.expect("snapshot");
    let db = catalog
        .create_database(&name("conf_replay"), DatabaseOptions::default())
        .await
        .expect("create");
    let mut up = SchemaUpsert::new();
    up.add("replayed", "v", F64).expect("add");
    let schema = catalog.upsert_schema(db.id, &up).await.expect("upsert");
    let tok = catalog
        .create_token(token("conf-replay"))
        .await
        .expect("token");

    // Watching from the snapshot replays what happened since, in order.
    let mut stream = catalog.watch(snap.revision).await.expect("watch");
    let first = next(&mut stream, "the replayed creation").await;
    assert!(
        matches!(&first, CatalogChange::DatabaseUpserted { database, .. } if *database == db),
        "replay starts with the first change after the snapshot, got {first:?}"
    );
    let second = next(&mut stream, "the replayed schema change").await;
    assert!(
        matches!(&second, CatalogChange::SchemaChanged { schema: s, .. } if *s == schema),
        "got {second:?}"
    );
    let third = next(&mut stream, "the replayed token").await;
    assert!(
        matches!(&third, CatalogChange::TokenUpserted { token, .. } if *token == tok),
        "got {third:?}"
    );
    assert!(first.revision() > snap.revision);
    assert!(first.revision() < second.revision() && second.revision() < third.revision());

    // Watching from a later revision skips what came before it.
    let mut later = catalog.watch(first.revision()).await.expect("watch");
    let change = next(&mut later, "the change after the given revision").await;
    assert_eq!(change, second, "watch(after) starts right after `after`");

    // A live change reaches both watchers.
    catalog.delete_token(tok.id).await.expect("cleanup");
    for s in [&mut stream, &mut later] {
        let mut change = next(s, "the live token deletion").await;
        if change == third {
            change = next(s, "the live token deletion").await;
        }
        assert!(
            matches!(&change, CatalogChange::TokenDeleted { id, .. } if *id == tok.id),
            "got {change:?}"
        );
    }
    catalog.delete_database(db.id).await.expect("cleanup");
}
