//! `CachedCatalog`: conformance, propagation of every change kind between two caches (measured),
//! read-your-writes, answers without backend calls, warm cache while the backend is down, and
//! recovery.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod support;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth::{Action, Permission, TokenHash};
use catalog::{
    CachedCatalog, Catalog, CatalogError, DatabaseId, DatabaseName, DatabaseOptions,
    DatabaseUpdate, Dbrp, DbrpFilter, DbrpUpdate, MemCatalog, NewDbrp, NewToken, SchemaUpsert,
    TokenUpdate, V1Database, get_or_create_database, resolve_v1_database,
};
use schema::{InfluxColumnType, InfluxFieldType};
use support::Switch;

const F64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Float);
const I64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Integer);
const PROPAGATION_LIMIT: Duration = Duration::from_secs(1);

fn name(s: &str) -> DatabaseName {
    DatabaseName::new(s).unwrap()
}

fn token(seed: &str) -> NewToken {
    NewToken {
        hash: TokenHash::of(seed),
        description: seed.to_owned(),
        operator: false,
        permissions: vec![Permission::database(Action::Write, "prop")],
    }
}

/// Polls `check` every millisecond until it holds; panics after `limit`. Returns the wait.
async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what}: not seen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_conformance_suite() {
    let backend: Arc<dyn Catalog> = Arc::new(MemCatalog::new());
    let cache = CachedCatalog::new(backend).await.unwrap();
    catalog::conformance::run(Arc::new(cache)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_change_kind_reaches_another_cache_within_a_second() {
    let backend: Arc<dyn Catalog> = Arc::new(MemCatalog::new());
    let a = CachedCatalog::new(Arc::clone(&backend)).await.unwrap();
    let b = CachedCatalog::new(Arc::clone(&backend)).await.unwrap();
    let mut seen = Vec::new();
    let limit = PROPAGATION_LIMIT;

    let db = a
        .create_database(&name("prop"), DatabaseOptions::default())
        .await
        .unwrap();
    assert_eq!(
        a.database_by_name(&db.name).await.unwrap(),
        Some(db.clone())
    );
    let t = wait_until("new database", limit, || async {
        b.database_by_name(&db.name).await.unwrap() == Some(db.clone())
    })
    .await;
    seen.push(("database created", t));

    let update = DatabaseUpdate {
        retention_period: Some(Some(Duration::from_secs(60))),
        limits: None,
    };
    let updated = a.update_database(db.id, update).await.unwrap();
    assert_eq!(
        a.database_by_id(db.id).await.unwrap(),
        Some(updated.clone())
    );
    let t = wait_until("database update", limit, || async {
        b.database_by_id(db.id).await.unwrap() == Some(updated.clone())
    })
    .await;
    seen.push(("database updated", t));

    let mut up = SchemaUpsert::new();
    up.add("cpu", "usage", F64).unwrap();
    a.upsert_schema(db.id, &up).await.unwrap();
    assert_eq!(
        a.database_schema(db.id)
            .await
            .unwrap()
            .column_type("cpu", "usage"),
        Some(F64)
    );
    let t = wait_until("new column", limit, || async {
        b.database_schema(db.id)
            .await
            .unwrap()
            .column_type("cpu", "usage")
            == Some(F64)
    })
    .await;
    seen.push(("column added", t));

    let tok = a.create_token(token("prop-token")).await.unwrap();
    assert_eq!(a.token_by_hash(&tok.hash).await.unwrap(), Some(tok.clone()));
    let t = wait_until("new token", limit, || async {
        b.token_by_hash(&tok.hash).await.unwrap() == Some(tok.clone())
    })
    .await;
    seen.push(("token created", t));

    let revoked = a.revoke_token(tok.id).await.unwrap();
    assert!(a.token_by_hash(&tok.hash).await.unwrap().unwrap().revoked);
    let t = wait_until("revocation", limit, || async {
        b.token_by_hash(&tok.hash).await.unwrap() == Some(revoked.clone())
    })
    .await;
    seen.push(("token revoked", t));

    let renamed = a
        .update_token(
            tok.id,
            TokenUpdate {
                description: Some("renamed".into()),
                active: None,
            },
        )
        .await
        .unwrap();
    let t = wait_until("token update", limit, || async {
        b.token_by_id(tok.id).await.unwrap() == Some(renamed.clone())
    })
    .await;
    seen.push(("token updated", t));

    a.delete_token(tok.id).await.unwrap();
    assert_eq!(a.token_by_id(tok.id).await.unwrap(), None);
    let t = wait_until("token deletion", limit, || async {
        b.token_by_id(tok.id).await.unwrap().is_none()
    })
    .await;
    seen.push(("token deleted", t));

    // A change made by another process straight in the backend reaches both caches.
    let direct = backend.create_token(token("direct")).await.unwrap();
    let t = wait_until("token created elsewhere", limit, || async {
        a.token_by_hash(&direct.hash).await.unwrap().is_some()
            && b.token_by_hash(&direct.hash).await.unwrap().is_some()
    })
    .await;
    seen.push(("token created in the backend", t));

    a.delete_database(db.id).await.unwrap();
    assert_eq!(a.database_by_name(&db.name).await.unwrap(), None);
    let t = wait_until("database deletion", limit, || async {
        b.database_by_name(&db.name).await.unwrap().is_none()
            && b.database_by_id(db.id).await.unwrap().is_none()
    })
    .await;
    seen.push(("database deleted", t));

    let worst = seen.iter().map(|(_, t)| *t).max().unwrap();
    println!("propagation to another cache (worst {worst:?}): {seen:?}");
    assert!(worst < PROPAGATION_LIMIT);
}

fn mapping(db: &str, rp: &str, default: bool, target: DatabaseId) -> NewDbrp {
    NewDbrp {
        database: db.to_owned(),
        retention_policy: rp.to_owned(),
        default,
        target,
    }
}

/// `(retention policy, default)` of every mapping `catalog` lists, by id.
async fn mappings(catalog: &dyn Catalog) -> Vec<(String, bool)> {
    catalog
        .list_dbrps(&DbrpFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.retention_policy, d.default))
        .collect()
}

/// Every DBRP mapping change — made through one cache, straight in the backend, or taken along
/// by a database deletion — reaches another cache through the feed, defaults included.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dbrp_changes_reach_another_cache_within_a_second() {
    let backend: Arc<dyn Catalog> = Arc::new(MemCatalog::new());
    let a = CachedCatalog::new(Arc::clone(&backend)).await.unwrap();
    let b = CachedCatalog::new(Arc::clone(&backend)).await.unwrap();
    let limit = PROPAGATION_LIMIT;
    let db = a
        .create_database(&name("mapped"), DatabaseOptions::default())
        .await
        .unwrap();
    let other = a
        .create_database(&name("kept"), DatabaseOptions::default())
        .await
        .unwrap();

    let autogen = a
        .create_dbrp(mapping("v1db", "autogen", false, db.id))
        .await
        .unwrap();
    assert_eq!(mappings(&a).await, [("autogen".to_owned(), true)]);
    wait_until("new mapping", limit, || async {
        b.dbrp_by_id(autogen.id).await.unwrap() == Some(autogen.clone())
    })
    .await;

    let weekly = a
        .create_dbrp(mapping("v1db", "weekly", true, other.id))
        .await
        .unwrap();
    let expected = [("autogen".to_owned(), false), ("weekly".to_owned(), true)];
    assert_eq!(
        mappings(&a).await,
        expected,
        "read-your-writes, default moved"
    );
    wait_until("new default", limit, || async {
        mappings(&b).await == expected
    })
    .await;
    let resolved = resolve_v1_database(&b, "v1db", None).await.unwrap();
    assert!(
        matches!(&resolved, V1Database::Mapped { database, .. } if database.id == other.id),
        "{resolved:?}"
    );

    let renamed = a
        .update_dbrp(
            weekly.id,
            DbrpUpdate {
                retention_policy: Some("seven_days".into()),
                default: Some(false),
            },
        )
        .await
        .unwrap();
    let expected = [
        ("autogen".to_owned(), true),
        ("seven_days".to_owned(), false),
    ];
    assert_eq!(mappings(&a).await, expected);
    wait_until("update", limit, || async {
        mappings(&b).await == expected
            && b.dbrp_by_id(weekly.id).await.unwrap() == Some(renamed.clone())
    })
    .await;

    // A change made by another process straight in the backend reaches both caches.
    let direct = backend
        .create_dbrp(mapping("v1db", "direct", true, other.id))
        .await
        .unwrap();
    let expected = [
        ("autogen".to_owned(), false),
        ("seven_days".to_owned(), false),
        ("direct".to_owned(), true),
    ];
    wait_until("mapping created in the backend", limit, || async {
        mappings(&a).await == expected && mappings(&b).await == expected
    })
    .await;

    a.delete_dbrp(direct.id).await.unwrap();
    let expected = [
        ("autogen".to_owned(), true),
        ("seven_days".to_owned(), false),
    ];
    assert_eq!(
        mappings(&a).await,
        expected,
        "the default went to the lowest id"
    );
    wait_until("deletion", limit, || async {
        mappings(&b).await == expected
    })
    .await;

    // Deleting `mapped` takes `autogen` along; the default moves to what is left.
    a.delete_database(db.id).await.unwrap();
    let expected = [("seven_days".to_owned(), true)];
    assert_eq!(mappings(&a).await, expected);
    wait_until("mappings taken by a database deletion", limit, || async {
        mappings(&b).await == expected && b.database_by_id(db.id).await.unwrap().is_none()
    })
    .await;
    let left: Vec<Dbrp> = b.list_dbrps(&DbrpFilter::default()).await.unwrap();
    assert!(left.iter().all(|d| d.target == other.id), "{left:?}");
    assert_eq!(
        a.snapshot().await.unwrap().dbrps,
        left,
        "the backend's snapshot agrees with the caches"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn known_schema_and_conflicts_are_answered_without_the_backend() {
    let switch = Arc::new(Switch::new(Arc::new(MemCatalog::new())));
    let cache = CachedCatalog::new(switch.catalog.clone()).await.unwrap();
    let db = cache
        .create_database(&name("quiet"), DatabaseOptions::default())
        .await
        .unwrap();
    let mut up = SchemaUpsert::new();
    up.add("cpu", "host", InfluxColumnType::Tag).unwrap();
    up.add("cpu", "usage", F64).unwrap();
    let schema = cache.upsert_schema(db.id, &up).await.unwrap();
    cache
        .create_dbrp(mapping("v1", "autogen", false, db.id))
        .await
        .unwrap();

    let calls = switch.calls();
    for _ in 0..100 {
        // The v1 write path resolves (db, rp) on every request.
        let mapped = resolve_v1_database(&cache, "v1", None).await.unwrap();
        assert_eq!(mapped.name(), &db.name);
        let unmapped = resolve_v1_database(&cache, "v2", Some("rp")).await.unwrap();
        assert_eq!(unmapped, V1Database::Named(name("v2/rp")));
        assert_eq!(cache.upsert_schema(db.id, &up).await.unwrap(), schema);
        assert!(
            cache
                .token_by_hash(&TokenHash::of("unknown"))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            cache.database_by_name(&db.name).await.unwrap(),
            Some(db.clone())
        );
    }
    let mut conflict = SchemaUpsert::new();
    conflict.add("cpu", "usage", I64).unwrap();
    let err = cache.upsert_schema(db.id, &conflict).await.unwrap_err();
    assert!(matches!(err, CatalogError::SchemaConflict { .. }), "{err}");
    assert_eq!(
        switch.calls(),
        calls,
        "lookups, DBRP resolution and known schema never reach the backend"
    );

    let mut new = SchemaUpsert::new();
    new.add("cpu", "idle", F64).unwrap();
    cache.upsert_schema(db.id, &new).await.unwrap();
    assert_eq!(
        switch.calls(),
        calls + 1,
        "a new column is one backend call"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn get_or_create_finds_a_database_another_router_just_created() {
    let backend: Arc<dyn Catalog> = Arc::new(MemCatalog::new());
    let cache = CachedCatalog::new(Arc::clone(&backend)).await.unwrap();
    for i in 0..50 {
        let n = name(&format!("raced_{i}"));
        let theirs = backend
            .create_database(&n, DatabaseOptions::default())
            .await
            .unwrap();
        let (ours, created) = get_or_create_database(&cache, &n, DatabaseOptions::default())
            .await
            .unwrap();
        assert!(!created);
        assert_eq!(ours, theirs);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn warm_cache_serves_while_the_backend_is_down_and_recovers() {
    let inner = Arc::new(MemCatalog::new());
    let switch = Arc::new(Switch::new(Arc::clone(&inner)));
    let cache = CachedCatalog::new(switch.catalog.clone()).await.unwrap();
    let db = cache
        .create_database(&name("warm"), DatabaseOptions::default())
        .await
        .unwrap();
    let mut up = SchemaUpsert::new();
    up.add("cpu", "host", InfluxColumnType::Tag).unwrap();
    up.add("cpu", "usage", F64).unwrap();
    cache.upsert_schema(db.id, &up).await.unwrap();
    let tok = cache.create_token(token("warm-token")).await.unwrap();
    assert!(cache.is_connected());
    assert_eq!(cache.sync_age(), Duration::ZERO);

    switch.set_down(true);
    wait_until("disconnection noticed", Duration::from_secs(2), || async {
        !cache.is_connected()
    })
    .await;

    // Warm: lookups and known schema keep working.
    assert_eq!(
        cache.token_by_hash(&tok.hash).await.unwrap(),
        Some(tok.clone())
    );
    assert_eq!(
        cache.database_by_name(&db.name).await.unwrap(),
        Some(db.clone())
    );
    assert_eq!(cache.list_databases().await.unwrap(), vec![db.clone()]);
    assert!(cache.upsert_schema(db.id, &up).await.is_ok());
    let mut conflict = SchemaUpsert::new();
    conflict.add("cpu", "usage", I64).unwrap();
    assert!(matches!(
        cache.upsert_schema(db.id, &conflict).await,
        Err(CatalogError::SchemaConflict { .. })
    ));
    // Anything that needs the backend fails as unavailable (→ 503 + Retry-After).
    let mut new = SchemaUpsert::new();
    new.add("cpu", "idle", F64).unwrap();
    let unavailable = |r: Result<(), CatalogError>| matches!(r, Err(CatalogError::Unavailable(_)));
    assert!(unavailable(
        cache.upsert_schema(db.id, &new).await.map(drop)
    ));
    let other = cache
        .create_database(&name("other"), DatabaseOptions::default())
        .await;
    assert!(unavailable(other.map(drop)));
    assert!(unavailable(cache.create_token(token("x")).await.map(drop)));
    assert!(unavailable(cache.revoke_token(tok.id).await.map(drop)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(cache.sync_age() >= Duration::from_millis(300));

    // Meanwhile the catalog changes (another router still reaches it).
    inner.revoke_token(tok.id).await.unwrap();
    inner.upsert_schema(db.id, &new).await.unwrap();
    let elsewhere = inner
        .create_database(&name("elsewhere"), DatabaseOptions::default())
        .await
        .unwrap();

    switch.set_down(false);
    let up_at = Instant::now();
    // Backoff is at most 2 s: recovery within 3 s.
    wait_until("recovery", Duration::from_secs(3), || async {
        cache.is_connected()
    })
    .await;
    let recovered = up_at.elapsed();
    assert!(
        cache
            .token_by_hash(&tok.hash)
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    assert_eq!(
        cache
            .database_schema(db.id)
            .await
            .unwrap()
            .column_type("cpu", "idle"),
        Some(F64)
    );
    assert_eq!(
        cache.database_by_name(&elsewhere.name).await.unwrap(),
        Some(elsewhere)
    );
    assert_eq!(cache.sync_age(), Duration::ZERO);
    cache
        .create_database(&name("after"), DatabaseOptions::default())
        .await
        .expect("writes work again");
    println!("cache reconnected {recovered:?} after the backend came back");
}

/// A querier answers right after a write acknowledged by a router, before the change feed
/// brought that write's new table, column or database: a cache `reading_through` reads schemas
/// (and databases it does not know) from the backend, so the query sees them; a plain cache (a
/// router's) answers from memory. With the backend unreachable, it answers from memory too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cache_reading_through_sees_what_its_feed_has_not_brought_yet() {
    let inner = Arc::new(MemCatalog::new());
    let db = inner
        .create_database(&name("rw"), DatabaseOptions::default())
        .await
        .unwrap();
    let mut up = SchemaUpsert::new();
    up.add("cpu", "host", InfluxColumnType::Tag).unwrap();
    inner.upsert_schema(db.id, &up).await.unwrap();
    let switch = Arc::new(Switch::new(Arc::clone(&inner)));
    let plain = CachedCatalog::new(switch.catalog.clone()).await.unwrap();
    let querier = CachedCatalog::new(switch.catalog.clone())
        .await
        .unwrap()
        .reading_through();
    catalog::conformance::run(Arc::new(
        CachedCatalog::new(Arc::new(MemCatalog::new()))
            .await
            .unwrap()
            .reading_through(),
    ))
    .await;

    // The feed lags (cut here); another router writes a new column, table and database.
    switch.catalog.fail_with(|method| {
        method
            .is_feed()
            .then(|| CatalogError::Unavailable("feed held by the test".into()))
    });
    wait_until("the feed is cut", Duration::from_secs(2), || async {
        !plain.is_connected() && !querier.is_connected()
    })
    .await;
    let mut new = SchemaUpsert::new();
    new.add("cpu", "usage", F64).unwrap();
    new.add("probe", "n", I64).unwrap();
    inner.upsert_schema(db.id, &new).await.unwrap();
    let fresh = inner
        .create_database(&name("fresh"), DatabaseOptions::default())
        .await
        .unwrap();

    let seen = querier.database_schema(db.id).await.unwrap();
    assert_eq!(seen.column_type("cpu", "usage"), Some(F64));
    assert_eq!(seen.column_type("probe", "n"), Some(I64));
    assert_eq!(
        querier.database_by_name(&fresh.name).await.unwrap(),
        Some(fresh.clone())
    );
    assert_eq!(querier.database_by_id(fresh.id).await.unwrap(), Some(fresh));
    assert_eq!(
        querier.database_by_name(&name("absent")).await.unwrap(),
        None
    );
    let stale = plain.database_schema(db.id).await.unwrap();
    assert_eq!(stale.column_type("probe", "n"), None, "a router's cache");
    assert_eq!(plain.database_by_name(&name("fresh")).await.unwrap(), None);

    // The backend unreachable: what was read through is still answered (warm cache).
    switch.set_down(true);
    let warm = querier.database_schema(db.id).await.unwrap();
    assert_eq!(warm.column_type("probe", "n"), Some(I64));
    assert!(
        querier
            .database_by_name(&name("fresh"))
            .await
            .unwrap()
            .is_some()
    );
}
