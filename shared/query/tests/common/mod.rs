//! The test fixture shared by the query tests: a `MemCatalog` with database `db`, a local
//! object store, and Parquet files written the way the ingester writes them.
//!
//! ```text
//! line protocol ──► LinesConverter ──► sort_dedup ──► write_parquet (local dir)
//!   ──► catalog.upsert_schema + commit_persist ──► QueryDatabase::session ──► SQL ──► rows
//! ```

#![allow(dead_code)]

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use catalog::{
    Catalog, Database, DatabaseName, DatabaseOptions, MemCatalog, PersistCommit, SchemaUpsert,
};
use config::{ObjectStoreArgs, ObjectStoreKind};
use line_protocol::Precision;
use object_store::ObjectStore;
use parquet_store::{FileMeta, object_store_from, write_parquet};
use query::QueryDatabase;

/// Converts `lp` into one Arrow batch per table, registering the columns in the catalog.
pub(crate) async fn convert(
    catalog: &MemCatalog,
    db: &Database,
    lp: &str,
) -> Vec<(String, RecordBatch, catalog::TableId)> {
    let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(lp);
    let converted = converter.finish().unwrap();
    assert!(
        converted.rejections.is_empty(),
        "{:?}",
        converted.rejections
    );
    let mut out = Vec::new();
    for table in converted.tables {
        let mut upsert = SchemaUpsert::new();
        for field in table.batch.schema().fields() {
            let t = schema::influx_column_type(field).unwrap();
            upsert.add(&table.name, field.name(), t).unwrap();
        }
        let schema = catalog.upsert_schema(db.id, &upsert).await.unwrap();
        let id = schema.tables[&table.name].id;
        out.push((table.name, table.batch, id));
    }
    out
}

pub(crate) struct Fixture {
    pub catalog: Arc<MemCatalog>,
    pub store: Arc<dyn ObjectStore>,
    pub db: Database,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let args = ObjectStoreArgs {
            object_store: Some(ObjectStoreKind::File),
            ..Default::default()
        };
        let store = object_store_from(&args, Some(dir.path())).unwrap();
        let catalog = Arc::new(MemCatalog::new());
        let db = catalog
            .create_database(
                &DatabaseName::new("db").unwrap(),
                DatabaseOptions::default(),
            )
            .await
            .unwrap();
        Self {
            catalog,
            store,
            db,
            _dir: dir,
        }
    }

    /// Persists `lp` as one file per table in `partition_key`, from log partition 0 at the next
    /// offset (so later calls are later writes).
    pub(crate) async fn persist(&self, partition_key: &str, lp: &str) {
        let tables = convert(&self.catalog, &self.db, lp).await;
        let offsets = self.catalog.persisted_offsets().await.unwrap();
        let expected = offsets.get(&0).copied();
        let offset = expected.map_or(0, |o| o + 1);
        let mut files = Vec::new();
        for (name, batch, table_id) in &tables {
            let batch = schema::dedup::sort_dedup(std::slice::from_ref(batch)).unwrap();
            let meta = FileMeta {
                database_id: self.db.id,
                database_name: "db".into(),
                table_id: *table_id,
                table_name: name.clone(),
                partition_key: partition_key.into(),
                log_partition: 0,
                min_offset: offset,
                max_offset: offset,
            };
            files.push(write_parquet(&self.store, &meta, &batch).await.unwrap());
        }
        let commit = PersistCommit {
            log_partition: 0,
            expected_offset: expected,
            new_offset: offset,
            files,
        };
        self.catalog.commit_persist(commit).await.unwrap();
    }

    pub(crate) async fn sql(&self, sql: &str) -> String {
        let batches = self.batches(sql).await;
        pretty_format_batches(&batches).unwrap().to_string()
    }

    pub(crate) async fn batches(&self, sql: &str) -> Vec<RecordBatch> {
        let qdb = QueryDatabase::new(self.catalog.clone(), Arc::clone(&self.store));
        self.batches_with(&qdb, sql).await
    }

    /// Runs `sql` on a session of `qdb`.
    pub(crate) async fn batches_with(&self, qdb: &QueryDatabase, sql: &str) -> Vec<RecordBatch> {
        let ctx = qdb.session(&self.db).await.unwrap();
        ctx.sql(sql).await.unwrap().collect().await.unwrap()
    }
}
