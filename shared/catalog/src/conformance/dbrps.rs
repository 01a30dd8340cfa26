//! DBRP mappings: create and the default rule, lookups and filters, update, delete, the
//! mappings of a deleted database, the v1 resolution rule, the feed, and races.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::future::join_all;

use super::name;
use crate::{
    Catalog, CatalogChange, CatalogError, DatabaseId, DatabaseOptions, Dbrp, DbrpFilter, DbrpId,
    DbrpUpdate, MAX_DBRPS_PER_DATABASE, NewDbrp, V1Database, resolve_v1_database,
};

pub(super) async fn run(catalog: Arc<dyn Catalog>) {
    let c = catalog.as_ref();
    let a = create_db(c, "conf_dbrp_a").await;
    let b = create_db(c, "conf_dbrp_b").await;
    create_and_defaults(c, a, b).await;
    filters_and_lookups(c, a, b).await;
    update(c).await;
    delete(c).await;
    resolution(c, a, b).await;
    deleting_a_database_deletes_its_mappings(c, a, b).await;
    feed(c).await;
    limit(c).await;
    races(Arc::clone(&catalog)).await;
    for dbrp in c.list_dbrps(&DbrpFilter::default()).await.expect("list") {
        c.delete_dbrp(dbrp.id).await.expect("cleanup");
    }
}

async fn create_db(catalog: &dyn Catalog, n: &str) -> DatabaseId {
    catalog
        .create_database(&name(n), DatabaseOptions::default())
        .await
        .expect("create database")
        .id
}

fn new(db: &str, rp: &str, default: bool, target: DatabaseId) -> NewDbrp {
    NewDbrp {
        database: db.to_owned(),
        retention_policy: rp.to_owned(),
        default,
        target,
    }
}

async fn list(catalog: &dyn Catalog, filter: DbrpFilter) -> Vec<Dbrp> {
    catalog.list_dbrps(&filter).await.expect("list dbrps")
}

fn of(db: &str) -> DbrpFilter {
    DbrpFilter {
        database: Some(db.to_owned()),
        ..DbrpFilter::default()
    }
}

/// Ids of the defaults of v1 database `db`.
async fn defaults(catalog: &dyn Catalog, db: &str) -> Vec<DbrpId> {
    let filter = DbrpFilter {
        default: Some(true),
        ..of(db)
    };
    list(catalog, filter).await.iter().map(|d| d.id).collect()
}

async fn create_and_defaults(catalog: &dyn Catalog, a: DatabaseId, b: DatabaseId) {
    let first = catalog
        .create_dbrp(new("telegraf", "autogen", false, a))
        .await
        .expect("create");
    assert_eq!(
        (first.database.as_str(), first.retention_policy.as_str()),
        ("telegraf", "autogen")
    );
    assert_eq!(first.target, a);
    assert!(
        first.default,
        "the first mapping of a v1 database is its default"
    );
    let second = catalog
        .create_dbrp(new("telegraf", "weekly", false, b))
        .await
        .expect("create");
    assert!(
        !second.default,
        "a later mapping is not the default unless asked"
    );
    assert_ne!(second.id, first.id, "ids are unique");
    let third = catalog
        .create_dbrp(new("telegraf", "monthly", true, b))
        .await
        .expect("create");
    assert!(third.default);
    assert_eq!(
        defaults(catalog, "telegraf").await,
        [third.id],
        "a new default clears the old one: exactly one default"
    );
    let stored = catalog.dbrp_by_id(first.id).await.expect("get");
    assert_eq!(
        stored.map(|d| d.default),
        Some(false),
        "the old default is stored as cleared"
    );

    let dup = catalog
        .create_dbrp(new("telegraf", "weekly", true, a))
        .await;
    assert_eq!(
        dup,
        Err(CatalogError::DbrpAlreadyExists {
            database: "telegraf".into(),
            retention_policy: "weekly".into()
        }),
        "a (database, retention policy) pair is mapped once"
    );
    let bad = catalog.create_dbrp(new("a/b", "rp", false, a)).await;
    assert!(
        matches!(bad, Err(CatalogError::InvalidDbrp { .. })),
        "{bad:?}"
    );
    let bad = catalog.create_dbrp(new("db", "", false, a)).await;
    assert!(
        matches!(bad, Err(CatalogError::InvalidDbrp { .. })),
        "{bad:?}"
    );
    let gone = DatabaseId(a.0.wrapping_add(1_000_000_007));
    assert_eq!(
        catalog.create_dbrp(new("db", "rp", false, gone)).await,
        Err(CatalogError::DatabaseIdNotFound { id: gone.0 }),
        "a mapping names a live database"
    );
    assert_eq!(
        list(catalog, DbrpFilter::default()).await.len(),
        3,
        "refused mappings leave nothing behind"
    );
}

async fn filters_and_lookups(catalog: &dyn Catalog, a: DatabaseId, b: DatabaseId) {
    let all = list(catalog, DbrpFilter::default()).await;
    assert!(
        all.windows(2).all(|w| w[0].id < w[1].id),
        "mappings are listed by id"
    );
    let other = catalog
        .create_dbrp(new("my.db", "autogen", false, a))
        .await
        .expect("printable names other than / and \\ are fine");
    assert!(other.default, "defaults are per v1 database");
    let rp = |s: &str| DbrpFilter {
        retention_policy: Some(s.to_owned()),
        ..DbrpFilter::default()
    };
    let found = list(catalog, rp("autogen")).await;
    assert_eq!(found.len(), 2, "{found:?}");
    let by_target = DbrpFilter {
        target: Some(b),
        ..DbrpFilter::default()
    };
    let found = list(catalog, by_target).await;
    assert_eq!(
        found
            .iter()
            .map(|d| d.retention_policy.as_str())
            .collect::<Vec<_>>(),
        ["weekly", "monthly"]
    );
    let not_default = DbrpFilter {
        default: Some(false),
        ..of("telegraf")
    };
    assert_eq!(list(catalog, not_default).await.len(), 2);
    let by_id = DbrpFilter {
        id: Some(other.id),
        ..DbrpFilter::default()
    };
    assert_eq!(list(catalog, by_id).await, [other.clone()]);
    let nothing = DbrpFilter {
        id: Some(other.id),
        database: Some("telegraf".into()),
        ..DbrpFilter::default()
    };
    assert!(
        list(catalog, nothing).await.is_empty(),
        "every condition must hold"
    );
    assert_eq!(
        catalog.dbrp_by_id(other.id).await.expect("get"),
        Some(other.clone())
    );
    let unknown = DbrpId(other.id.0.wrapping_add(1_000_000_007));
    assert_eq!(catalog.dbrp_by_id(unknown).await.expect("get"), None);
    catalog.delete_dbrp(other.id).await.expect("cleanup");
}

async fn update(catalog: &dyn Catalog) {
    let telegraf = list(catalog, of("telegraf")).await;
    let [autogen, weekly, monthly] = telegraf.as_slice() else {
        panic!("three telegraf mappings expected, got {telegraf:?}");
    };
    let renamed = catalog
        .update_dbrp(
            weekly.id,
            DbrpUpdate {
                retention_policy: Some("seven_days".into()),
                default: None,
            },
        )
        .await
        .expect("rename");
    assert_eq!(renamed.retention_policy, "seven_days");
    assert_eq!((renamed.default, renamed.target), (false, weekly.target));
    assert_eq!(
        catalog.dbrp_by_id(weekly.id).await.expect("get"),
        Some(renamed.clone())
    );
    let clash = catalog
        .update_dbrp(
            weekly.id,
            DbrpUpdate {
                retention_policy: Some("autogen".into()),
                default: None,
            },
        )
        .await;
    assert!(
        matches!(clash, Err(CatalogError::DbrpAlreadyExists { .. })),
        "renaming onto a mapped pair fails: {clash:?}"
    );

    let promoted = catalog
        .update_dbrp(
            weekly.id,
            DbrpUpdate {
                retention_policy: None,
                default: Some(true),
            },
        )
        .await
        .expect("make default");
    assert!(promoted.default);
    assert_eq!(defaults(catalog, "telegraf").await, [weekly.id]);

    let demoted = catalog
        .update_dbrp(
            weekly.id,
            DbrpUpdate {
                retention_policy: None,
                default: Some(false),
            },
        )
        .await
        .expect("un-default");
    assert!(!demoted.default);
    assert_eq!(
        defaults(catalog, "telegraf").await,
        [autogen.id],
        "the default goes to the lowest id other than the demoted mapping"
    );
    let back = catalog
        .update_dbrp(
            monthly.id,
            DbrpUpdate {
                retention_policy: None,
                default: Some(true),
            },
        )
        .await
        .expect("make default");
    assert!(back.default);
    let unchanged = catalog
        .update_dbrp(monthly.id, DbrpUpdate::default())
        .await
        .expect("an empty update");
    assert_eq!(unchanged, back);

    let unknown = DbrpId(monthly.id.0.wrapping_add(1_000_000_007));
    assert_eq!(
        catalog.update_dbrp(unknown, DbrpUpdate::default()).await,
        Err(CatalogError::DbrpNotFound { id: unknown.0 })
    );
}

async fn delete(catalog: &dyn Catalog) {
    let default = defaults(catalog, "telegraf").await;
    let [default] = default.as_slice() else {
        panic!("one default expected, got {default:?}");
    };
    let deleted = catalog.delete_dbrp(*default).await.expect("delete");
    assert_eq!(deleted.id, *default);
    assert_eq!(catalog.dbrp_by_id(*default).await.expect("get"), None);
    let left = list(catalog, of("telegraf")).await;
    assert_eq!(left.len(), 2);
    assert_eq!(
        defaults(catalog, "telegraf").await,
        [left[0].id],
        "deleting the default hands it to the lowest id"
    );
    assert_eq!(
        catalog.delete_dbrp(*default).await,
        Err(CatalogError::DbrpNotFound { id: default.0 }),
        "deleting twice fails"
    );
}

async fn resolution(catalog: &dyn Catalog, a: DatabaseId, b: DatabaseId) {
    // telegraf: autogen → a (default), seven_days → b.
    let resolve = |db: &'static str, rp: Option<&'static str>| async move {
        resolve_v1_database(catalog, db, rp).await.expect("resolve")
    };
    let default_target = match resolve("telegraf", None).await {
        V1Database::Mapped { mapping, database } => {
            assert!(mapping.default);
            assert_eq!(database.id, mapping.target);
            database.id
        }
        other => panic!("the default mapping answers an empty rp, got {other:?}"),
    };
    assert_eq!(default_target, a);
    for rp in [Some(""), Some("''")] {
        let found = resolve("telegraf", rp).await;
        assert_eq!(found.name().as_str(), "conf_dbrp_a", "{rp:?}");
    }
    let found = resolve("telegraf", Some("seven_days")).await;
    assert!(
        matches!(&found, V1Database::Mapped { database, .. } if database.id == b),
        "{found:?}"
    );
    let found = resolve("telegraf", Some("yearly")).await;
    assert_eq!(
        found,
        V1Database::Named(name("telegraf/yearly")),
        "an unmapped pair keeps the db/rp naming"
    );
    let found = resolve("unmapped", Some("autogen")).await;
    assert_eq!(found, V1Database::Named(name("unmapped")));
    let found = resolve("unmapped", None).await;
    assert_eq!(found, V1Database::Named(name("unmapped")));
    let invalid = resolve_v1_database(catalog, "a b", None).await;
    assert!(
        matches!(invalid, Err(CatalogError::InvalidDatabaseName(_))),
        "{invalid:?}"
    );
}

async fn deleting_a_database_deletes_its_mappings(
    catalog: &dyn Catalog,
    a: DatabaseId,
    b: DatabaseId,
) {
    let on_b = catalog
        .create_dbrp(new("solo", "autogen", false, b))
        .await
        .expect("create");
    assert!(on_b.default);
    let on_a = catalog
        .create_dbrp(new("solo", "other", false, a))
        .await
        .expect("create");
    catalog.delete_database(b).await.expect("delete database");
    let target_b = DbrpFilter {
        target: Some(b),
        ..DbrpFilter::default()
    };
    assert!(
        list(catalog, target_b).await.is_empty(),
        "a deleted database's mappings are gone"
    );
    assert_eq!(catalog.dbrp_by_id(on_b.id).await.expect("get"), None);
    assert_eq!(
        defaults(catalog, "solo").await,
        [on_a.id],
        "a default that went with the database moves to what is left"
    );
    assert_eq!(
        defaults(catalog, "telegraf").await.len(),
        1,
        "telegraf kept one default"
    );
    let found = resolve_v1_database(catalog, "telegraf", Some("seven_days")).await;
    assert_eq!(
        found,
        Ok(V1Database::Named(name("telegraf/seven_days"))),
        "an unmapped pair falls back to naming"
    );
}

async fn feed(catalog: &dyn Catalog) {
    let target = create_db(catalog, "conf_dbrp_feed").await;
    let snap = catalog.snapshot().await.expect("snapshot");
    assert_eq!(
        snap.dbrps,
        list(catalog, DbrpFilter::default()).await,
        "the snapshot holds every mapping"
    );
    let mut stream = catalog.watch(snap.revision).await.expect("watch");
    let mapping = catalog
        .create_dbrp(new("fed", "autogen", false, target))
        .await
        .expect("create");
    let change = next(&mut stream, "a mapping creation").await;
    assert!(
        matches!(&change, CatalogChange::DbrpsChanged { dbrps, .. } if dbrps.contains(&mapping)),
        "a mapping change delivers every mapping, got {change:?}"
    );
    let created_at = change.revision();
    catalog.delete_database(target).await.expect("delete");
    let deleted = next(&mut stream, "the database deletion").await;
    assert!(
        matches!(&deleted, CatalogChange::DatabaseDeleted { id, .. } if *id == target),
        "got {deleted:?}"
    );
    let taken = next(&mut stream, "the mappings it took along").await;
    assert!(
        matches!(&taken, CatalogChange::DbrpsChanged { dbrps, .. }
            if dbrps.iter().all(|d| d.target != target)),
        "got {taken:?}"
    );
    assert!(deleted.revision() > created_at);
    assert_eq!(
        taken.revision(),
        deleted.revision(),
        "one atomic change: one revision"
    );
    let extra = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(extra.is_err(), "nothing else changed, got {extra:?}");
}

async fn next(stream: &mut crate::ChangeStream, what: &str) -> CatalogChange {
    match tokio::time::timeout(Duration::from_secs(1), stream.next()).await {
        Ok(Some(Ok(change))) => change,
        other => panic!("{what} was not delivered within 1 s: {other:?}"),
    }
}

async fn limit(catalog: &dyn Catalog) {
    let target = create_db(catalog, "conf_dbrp_full").await;
    for i in 0..MAX_DBRPS_PER_DATABASE {
        catalog
            .create_dbrp(new("full", &format!("rp{i}"), false, target))
            .await
            .expect("within the limit");
    }
    assert_eq!(
        catalog
            .create_dbrp(new("full", "one_more", false, target))
            .await,
        Err(CatalogError::DbrpLimit {
            target: target.0,
            limit: MAX_DBRPS_PER_DATABASE
        })
    );
    catalog
        .delete_database(target)
        .await
        .expect("a database at the limit can be deleted (one atomic change)");
    assert!(list(catalog, of("full")).await.is_empty());
}

async fn races(catalog: Arc<dyn Catalog>) {
    let target = create_db(catalog.as_ref(), "conf_dbrp_race").await;
    let same_pair = (0..8).map(|_| {
        let catalog = Arc::clone(&catalog);
        tokio::spawn(async move { catalog.create_dbrp(new("race", "rp", true, target)).await })
    });
    let results: Vec<_> = join_all(same_pair)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "exactly one creator of a pair wins: {results:?}");
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || matches!(r, Err(CatalogError::DbrpAlreadyExists { .. }))),
        "the losers see DbrpAlreadyExists: {results:?}"
    );
    let defaults_race = (0..6).map(|i| {
        let catalog = Arc::clone(&catalog);
        tokio::spawn(async move {
            catalog
                .create_dbrp(new("race2", &format!("rp{i}"), i % 2 == 0, target))
                .await
        })
    });
    for r in join_all(defaults_race).await {
        r.expect("task").expect("distinct pairs all succeed");
    }
    assert_eq!(
        defaults(catalog.as_ref(), "race2").await.len(),
        1,
        "concurrent creations leave exactly one default"
    );
    catalog.delete_database(target).await.expect("cleanup");
}
