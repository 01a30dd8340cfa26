//! The conformance suite every [`Catalog`] backend must pass. Each check panics with a message
//! naming the broken rule. Call [`run`] from the backend's tests with a fresh, empty catalog.

use std::sync::Arc;
use std::time::Duration;

use auth::{Action, Permission, TokenHash};
use futures::future::join_all;
use schema::{InfluxColumnType, InfluxFieldType};

use crate::{
    Catalog, CatalogError, DatabaseName, DatabaseOptions, Limits, NewToken, SchemaUpsert,
    get_or_create_database,
};

const F64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Float);
const I64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Integer);

/// Runs every check against `catalog`, which must start empty.
pub async fn run(catalog: Arc<dyn Catalog>) {
    databases(catalog.as_ref()).await;
    concurrent_creation(Arc::clone(&catalog)).await;
    schema_is_additive_and_atomic(catalog.as_ref()).await;
    schema_limits(catalog.as_ref()).await;
    tokens(catalog.as_ref()).await;
}

fn name(s: &str) -> DatabaseName {
    DatabaseName::new(s).expect("conformance names are valid")
}

async fn databases(catalog: &dyn Catalog) {
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
    assert_eq!(
        catalog
            .database_by_name(&name("conf_db"))
            .await
            .expect("get"),
        Some(db.clone())
    );
    assert_eq!(
        catalog
            .database_by_name(&name("conf_absent"))
            .await
            .expect("get"),
        None
    );

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

    let names: Vec<String> = catalog
        .list_databases()
        .await
        .expect("list")
        .into_iter()
        .map(|d| d.name.to_string())
        .collect();
    assert_eq!(names, ["conf_a/rp", "conf_db"], "list is ordered by name");

    let schema = catalog
        .database_schema(db.id)
        .await
        .expect("schema of a new database");
    assert!(schema.tables.is_empty());
}

async fn concurrent_creation(catalog: Arc<dyn Catalog>) {
    let n = name("conf_race");
    let attempts = (0..8).map(|_| {
        let catalog = Arc::clone(&catalog);
        let n = n.clone();
        async move { get_or_create_database(catalog.as_ref(), &n, DatabaseOptions::default()).await }
    });
    let results = join_all(attempts).await;
    let mut created = 0;
    let mut ids = Vec::new();
    for r in results {
        let (db, was_created) = r.expect("get_or_create never fails on a race");
        created += usize::from(was_created);
        ids.push(db.id);
    }
    assert_eq!(created, 1, "exactly one creator wins");
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "everyone sees the same database"
    );
}

async fn schema_is_additive_and_atomic(catalog: &dyn Catalog) {
    let db = catalog
        .create_database(&name("conf_schema"), DatabaseOptions::default())
        .await;
    let db = db.expect("create");

    let mut first = SchemaUpsert::new();
    first
        .add("cpu", "host", InfluxColumnType::Tag)
        .expect("add");
    first.add("cpu", "usage", F64).expect("add");
    first
        .add("cpu", "time", InfluxColumnType::Timestamp)
        .expect("add");
    let schema = catalog
        .upsert_schema(db.id, &first)
        .await
        .expect("first upsert");
    assert_eq!(schema.column_type("cpu", "usage"), Some(F64));
    assert_eq!(schema.tables["cpu"].columns.len(), 3);

    // Repeating is a no-op that keeps ids.
    let same = catalog
        .upsert_schema(db.id, &first)
        .await
        .expect("repeat upsert");
    assert_eq!(
        same, schema,
        "an upsert of existing columns changes nothing"
    );

    // A conflict in one table rejects the new columns of every table of the request.
    let mut conflicting = SchemaUpsert::new();
    conflicting.add("cpu", "extra", I64).expect("add");
    conflicting.add("cpu", "usage", I64).expect("add");
    conflicting.add("mem", "free", I64).expect("add");
    let err = catalog
        .upsert_schema(db.id, &conflicting)
        .await
        .expect_err("conflict");
    assert_eq!(
        err.to_string(),
        "schema conflict: table cpu, column usage is type f64 but write has type i64"
    );
    let after = catalog.database_schema(db.id).await.expect("schema");
    assert_eq!(after, schema, "a rejected upsert adds nothing");

    let mut additive = SchemaUpsert::new();
    additive.add("cpu", "idle", F64).expect("add");
    additive.add("mem", "free", I64).expect("add");
    let grown = catalog
        .upsert_schema(db.id, &additive)
        .await
        .expect("additive upsert");
    assert_eq!(grown.tables["cpu"].columns.len(), 4);
    assert_eq!(
        grown.tables["cpu"].id, schema.tables["cpu"].id,
        "table ids are stable"
    );
    assert_eq!(grown.column_type("mem", "free"), Some(I64));
    assert_eq!(
        grown.column_type("cpu", "host"),
        Some(InfluxColumnType::Tag)
    );
}

async fn schema_limits(catalog: &dyn Catalog) {
    let options = DatabaseOptions {
        retention_period: None,
        limits: Some(Limits {
            max_tables: 2,
            max_columns_per_table: 3,
        }),
    };
    let db = catalog
        .create_database(&name("conf_limits"), options)
        .await
        .expect("create");
    let mut up = SchemaUpsert::new();
    up.add("a", "x", F64).expect("add");
    up.add("b", "x", F64).expect("add");
    catalog
        .upsert_schema(db.id, &up)
        .await
        .expect("within limits");

    let mut too_many_tables = SchemaUpsert::new();
    too_many_tables.add("c", "x", F64).expect("add");
    let err = catalog
        .upsert_schema(db.id, &too_many_tables)
        .await
        .expect_err("table limit");
    assert!(matches!(
        err,
        CatalogError::TableLimit {
            existing: 2,
            requested: 3,
            limit: 2,
            ..
        }
    ));

    let mut too_many_columns = SchemaUpsert::new();
    for c in ["y", "z", "w"] {
        too_many_columns.add("a", c, F64).expect("add");
    }
    let err = catalog
        .upsert_schema(db.id, &too_many_columns)
        .await
        .expect_err("column limit");
    assert!(matches!(
        err,
        CatalogError::ColumnLimit {
            existing: 1,
            requested: 4,
            limit: 3,
            ..
        }
    ));
    let schema = catalog.database_schema(db.id).await.expect("schema");
    assert_eq!(
        schema.tables["a"].columns.len(),
        1,
        "a rejected upsert adds nothing"
    );
}

async fn tokens(catalog: &dyn Catalog) {
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
    assert!(record.authorization().allows(Action::Write, "conf_db"));
    assert!(!record.authorization().allows(Action::Write, "other"));

    let found = catalog.token_by_hash(&hash).await.expect("lookup");
    assert_eq!(found, Some(record.clone()));
    assert_eq!(
        catalog
            .token_by_hash(&TokenHash::of("nope"))
            .await
            .expect("lookup"),
        None
    );

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
}
