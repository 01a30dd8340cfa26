//! Databases: create, lookups, listing, update, soft delete with name reuse, creation race.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;

use super::name;
use crate::{
    Catalog, CatalogError, DatabaseOptions, DatabaseUpdate, Limits, SchemaUpsert,
    get_or_create_database,
};

pub(super) async fn run(catalog: Arc<dyn Catalog>) {
    create_and_lookup(catalog.as_ref()).await;
    update(catalog.as_ref()).await;
    soft_delete_and_name_reuse(catalog.as_ref()).await;
    concurrent_creation(catalog).await;
}

async fn create_and_lookup(catalog: &dyn Catalog) {
    let options = DatabaseOptions {
        retention_period: Some(Duration::from_secs(3600)),
        limits: Some(Limits {
            max_tables: 7,
            max_columns_per_table: 9,
        }),
    };
    let db = catalog
        .create_database(&name("conf_db"), options)
        .await
        .expect("create");
    assert_eq!(db.name.as_str(), "conf_db");
    assert_eq!(db.retention_period, Some(Duration::from_secs(3600)));
    assert_eq!(
        db.limits,
        Limits {
            max_tables: 7,
            max_columns_per_table: 9
        }
    );
    assert!(db.created_at_ns > 0, "creation time is set");
    assert_eq!(db.deleted_at_ns, None, "a new database is live");
    let by_name = catalog.database_by_name(&name("conf_db")).await;
    assert_eq!(by_name.expect("get"), Some(db.clone()));
    let by_id = catalog.database_by_id(db.id).await;
    assert_eq!(by_id.expect("get by id"), Some(db.clone()));
    let absent = catalog.database_by_name(&name("conf_absent")).await;
    assert_eq!(absent.expect("get"), None);

    let again = catalog
        .create_database(&name("conf_db"), DatabaseOptions::default())
        .await;
    assert_eq!(
        again,
        Err(CatalogError::DatabaseAlreadyExists {
            name: "conf_db".into()
        }),
        "a second create of the same name must fail"
    );

    let other = catalog
        .create_database(&name("conf_a/rp"), DatabaseOptions::default())
        .await;
    let other = other.expect("create with slash");
    assert_ne!(other.id, db.id, "ids are unique");
    assert_eq!(other.limits, Limits::default());
    assert_eq!(other.retention_period, None);
    assert_eq!(
        catalog.database_by_id(other.id).await.expect("get"),
        Some(other)
    );

    assert_eq!(
        names(catalog).await,
        ["conf_a/rp", "conf_db"],
        "list is ordered by name"
    );

    let schema = catalog
        .database_schema(db.id)
        .await
        .expect("schema of a new database");
    assert!(schema.tables.is_empty());
    assert_eq!(schema.database_id, db.id);
}

async fn names(catalog: &dyn Catalog) -> Vec<String> {
    catalog
        .list_databases()
        .await
        .expect("list")
        .into_iter()
        .map(|d| d.name.to_string())
        .collect()
}

async fn update(catalog: &dyn Catalog) {
    let db = catalog
        .database_by_name(&name("conf_db"))
        .await
        .expect("get")
        .expect("created by create_and_lookup");
    let limits = Limits {
        max_tables: 11,
        max_columns_per_table: 13,
    };
    let only_limits = DatabaseUpdate {
        retention_period: None,
        limits: Some(limits),
    };
    let updated = catalog
        .update_database(db.id, only_limits)
        .await
        .expect("update limits");
    assert_eq!(updated.limits, limits);
    assert_eq!(
        updated.retention_period,
        Some(Duration::from_secs(3600)),
        "an update without retention keeps it"
    );
    assert_eq!((updated.id, &updated.name), (db.id, &db.name));
    assert_eq!(updated.created_at_ns, db.created_at_ns);

    let infinite = DatabaseUpdate {
        retention_period: Some(None),
        limits: None,
    };
    let updated = catalog
        .update_database(db.id, infinite)
        .await
        .expect("update retention");
    assert_eq!(updated.retention_period, None, "Some(None) = infinite");
    assert_eq!(
        updated.limits, limits,
        "an update without limits keeps them"
    );
    let stored = catalog.database_by_id(db.id).await.expect("get");
    assert_eq!(stored, Some(updated.clone()), "the update is stored");
    let stored = catalog.database_by_name(&db.name).await.expect("get");
    assert_eq!(stored, Some(updated));

    let back = DatabaseUpdate {
        retention_period: Some(Some(Duration::from_secs(3600))),
        limits: None,
    };
    let updated = catalog.update_database(db.id, back).await.expect("update");
    assert_eq!(updated.retention_period, Some(Duration::from_secs(3600)));

    let gone = crate::DatabaseId(db.id.0.wrapping_add(1_000_000_007));
    let missing = catalog
        .update_database(gone, DatabaseUpdate::default())
        .await;
    assert_eq!(
        missing,
        Err(CatalogError::DatabaseIdNotFound { id: gone.0 }),
        "updating an unknown id fails"
    );
}

async fn soft_delete_and_name_reuse(catalog: &dyn Catalog) {
    let db = catalog
        .create_database(&name("conf_del"), DatabaseOptions::default())
        .await
        .expect("create");
    let mut up = SchemaUpsert::new();
    up.add("old_table", "v", super::schema::F64).expect("add");
    catalog.upsert_schema(db.id, &up).await.expect("upsert");

    let deleted = catalog.delete_database(db.id).await.expect("delete");
    assert_eq!((deleted.id, &deleted.name), (db.id, &db.name));
    assert!(
        deleted.deleted_at_ns.is_some_and(|t| t >= db.created_at_ns),
        "the deleted record carries its deletion time"
    );
    let by_name = catalog.database_by_name(&db.name).await.expect("get");
    assert_eq!(by_name, None, "a deleted database is not found by name");
    let by_id = catalog.database_by_id(db.id).await.expect("get");
    assert_eq!(by_id, None, "a deleted database is not found by id");
    assert!(
        !names(catalog).await.contains(&"conf_del".to_owned()),
        "a deleted database is not listed"
    );
    assert_eq!(
        catalog.database_schema(db.id).await,
        Err(CatalogError::DatabaseIdNotFound { id: db.id.0 }),
        "the schema of a deleted database is not served"
    );
    assert_eq!(
        catalog.upsert_schema(db.id, &up).await,
        Err(CatalogError::DatabaseIdNotFound { id: db.id.0 }),
        "a deleted database takes no schema change"
    );
    let update = DatabaseUpdate {
        retention_period: Some(None),
        limits: None,
    };
    assert_eq!(
        catalog.update_database(db.id, update).await,
        Err(CatalogError::DatabaseIdNotFound { id: db.id.0 }),
        "a deleted database takes no update"
    );
    assert_eq!(
        catalog.delete_database(db.id).await,
        Err(CatalogError::DatabaseIdNotFound { id: db.id.0 }),
        "deleting twice fails"
    );

    let reborn = catalog
        .create_database(&name("conf_del"), DatabaseOptions::default())
        .await
        .expect("the name of a deleted database is free again");
    assert_ne!(reborn.id, db.id, "a re-created database gets a new id");
    let schema = catalog.database_schema(reborn.id).await.expect("schema");
    assert!(
        schema.tables.is_empty(),
        "a re-created database does not inherit the old schema"
    );
    let by_name = catalog.database_by_name(&db.name).await.expect("get");
    assert_eq!(by_name, Some(reborn.clone()));
    assert_eq!(catalog.database_by_id(db.id).await.expect("get"), None);
    catalog.delete_database(reborn.id).await.expect("cleanup");
}

async fn concurrent_creation(catalog: Arc<dyn Catalog>) {
    let n = name("conf_race");
    let attempts = (0..8).map(|_| {
        let catalog = Arc::clone(&catalog);
        let n = n.clone();
        tokio::spawn(async move {
            get_or_create_database(catalog.as_ref(), &n, DatabaseOptions::default()).await
        })
    });
    let results = join_all(attempts).await;
    let mut created = 0;
    let mut ids = Vec::new();
    for r in results {
        let (db, was_created) = r
            .expect("task")
            .expect("get_or_create never fails on a race");
        created += usize::from(was_created);
        ids.push(db.id);
    }
    assert_eq!(created, 1, "exactly one creator wins");
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "everyone sees the same database"
    );
}
