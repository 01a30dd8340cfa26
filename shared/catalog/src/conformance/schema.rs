//! Schema: additive, atomic, limits, and concurrent upserts of one new column with different
//! types (exactly one type wins, every other writer gets a schema conflict).

use std::sync::Arc;

use futures::future::join_all;
use schema::{InfluxColumnType, InfluxFieldType};

use super::name;
use crate::{Catalog, CatalogError, DatabaseOptions, Limits, SchemaUpsert};

pub(super) const F64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Float);
pub(super) const I64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Integer);

pub(super) async fn run(catalog: Arc<dyn Catalog>) {
    schema_is_additive_and_atomic(catalog.as_ref()).await;
    schema_limits(catalog.as_ref()).await;
    concurrent_conflicting_columns(catalog).await;
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

/// Many tasks add the same new column at once, each with one of several types.
async fn concurrent_conflicting_columns(catalog: Arc<dyn Catalog>) {
    let db = catalog
        .create_database(&name("conf_column_race"), DatabaseOptions::default())
        .await
        .expect("create");
    let types = [
        F64,
        I64,
        InfluxColumnType::Field(InfluxFieldType::String),
        InfluxColumnType::Field(InfluxFieldType::Boolean),
        InfluxColumnType::Field(InfluxFieldType::UInteger),
        InfluxColumnType::Tag,
    ];
    let tasks = (0..24).map(|i| {
        let catalog = Arc::clone(&catalog);
        let column_type = types[i % types.len()];
        tokio::spawn(async move {
            let mut up = SchemaUpsert::new();
            up.add("race", "contested", column_type).expect("add");
            up.add("race", &format!("own_{i}"), F64).expect("add");
            (column_type, catalog.upsert_schema(db.id, &up).await)
        })
    });
    let results = join_all(tasks).await;
    let stored = catalog
        .database_schema(db.id)
        .await
        .expect("schema")
        .column_type("race", "contested")
        .expect("one upsert created the contested column");
    let mut winners = 0;
    for result in results {
        let (column_type, result) = result.expect("task");
        match result {
            Ok(schema) => {
                assert_eq!(
                    column_type, stored,
                    "only writers of the winning type succeed"
                );
                assert_eq!(schema.column_type("race", "contested"), Some(stored));
                winners += 1;
            }
            Err(CatalogError::SchemaConflict {
                table,
                column,
                existing,
                write,
            }) => {
                assert_eq!((table.as_str(), column.as_str()), ("race", "contested"));
                assert_eq!(existing, stored, "the conflict names the winning type");
                assert_eq!(write, column_type);
                assert_ne!(write, stored);
            }
            Err(other) => panic!("a concurrent upsert failed with {other:?}"),
        }
    }
    assert_eq!(
        winners,
        24 / types.len(),
        "every writer of the winning type succeeds, no other"
    );
    let schema = catalog.database_schema(db.id).await.expect("schema");
    let own = schema.tables["race"]
        .columns
        .keys()
        .filter(|c| c.starts_with("own_"))
        .count();
    assert_eq!(
        own, winners,
        "the losers' other new columns were not added (atomic upsert)"
    );
}
