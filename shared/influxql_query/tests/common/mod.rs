//! The catalog and object store the executor tests read: line protocol persisted as the
//! ingester persists it (sorted, deduplicated Parquet per table, committed in the catalog).
//!
//! ```text
//! Fixture::persist(db, lp, precision) ──► LinesConverter ──► schema upsert ──► sort_dedup
//!   ──► write_parquet (local store in a temp dir) ──► commit_persist (next offset)
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::Arc;

use catalog::{
    Catalog, Database, DatabaseName, DatabaseOptions, MemCatalog, PersistCommit, SchemaUpsert,
};
use config::{ObjectStoreArgs, ObjectStoreKind};
use line_protocol::Precision;
use parquet_store::{FileMeta, object_store_from, write_parquet};

pub(crate) struct Fixture {
    pub(crate) catalog: Arc<MemCatalog>,
    pub(crate) store: Arc<dyn object_store::ObjectStore>,
    offset: Option<u64>,
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
        Self {
            catalog: Arc::new(MemCatalog::new()),
            store,
            offset: None,
            _dir: dir,
        }
    }

    pub(crate) async fn database(&self, name: &str) -> Database {
        let n = DatabaseName::new(name).unwrap();
        match self.catalog.database_by_name(&n).await.unwrap() {
            Some(db) => db,
            None => self
                .catalog
                .create_database(&n, DatabaseOptions::default())
                .await
                .unwrap(),
        }
    }

    /// Persists `lp` (written with `precision`) into `db` as the ingester would.
    pub(crate) async fn persist(&mut self, db_name: &str, lp: &str, precision: Precision) {
        let db = self.database(db_name).await;
        let mut converter = schema::LinesConverter::new(0, precision);
        converter.write_lp(lp);
        let converted = converter.finish().unwrap();
        assert!(
            converted.rejections.is_empty(),
            "{:?}",
            converted.rejections
        );
        let offset = self.offset.map_or(0, |o| o + 1);
        let mut files = Vec::new();
        for table in converted.tables {
            let mut upsert = SchemaUpsert::new();
            for field in table.batch.schema().fields() {
                let t = schema::influx_column_type(field).unwrap();
                upsert.add(&table.name, field.name(), t).unwrap();
            }
            let schema = self.catalog.upsert_schema(db.id, &upsert).await.unwrap();
            let table_id = schema.tables[&table.name].id;
            let batch = schema::dedup::sort_dedup(std::slice::from_ref(&table.batch)).unwrap();
            let meta = FileMeta {
                database_id: db.id,
                database_name: db_name.into(),
                table_id,
                table_name: table.name.clone(),
                partition_key: "2026-11-21".into(),
                log_partition: 0,
                min_offset: offset,
                max_offset: offset,
            };
            files.push(write_parquet(&self.store, &meta, &batch).await.unwrap());
        }
        self.catalog
            .commit_persist(PersistCommit {
                log_partition: 0,
                expected_offset: self.offset,
                new_offset: offset,
                files,
            })
            .await
            .unwrap();
        self.offset = Some(offset);
    }
}
