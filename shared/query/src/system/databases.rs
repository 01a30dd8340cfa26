//! `system.databases`: the session's database, read from the catalog when scanned.
//!
//! ```text
//! scan ──► catalog.database_by_id(session database id) ──► one row (none if deleted meanwhile)
//! ```
//!
//! Only the session's database is listed, never the others: a token that may read database A
//! must not learn which other databases exist.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampNanosecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use catalog::{Catalog, DatabaseId};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;

use super::provider::SystemTable;

/// See the module doc.
#[derive(Debug)]
pub(super) struct DatabasesTable {
    catalog: Arc<dyn Catalog>,
    database_id: DatabaseId,
    schema: SchemaRef,
}

impl DatabasesTable {
    pub(super) fn new(catalog: Arc<dyn Catalog>, database_id: DatabaseId) -> Self {
        Self {
            catalog,
            database_id,
            schema: Arc::new(Schema::new(vec![
                Field::new("database_name", DataType::Utf8, false),
                Field::new("database_id", DataType::UInt64, false),
                Field::new("retention_period_ns", DataType::UInt64, true),
                Field::new("max_tables", DataType::UInt64, false),
                Field::new("max_columns_per_table", DataType::UInt64, false),
                Field::new(
                    "created_at",
                    DataType::Timestamp(TimeUnit::Nanosecond, None),
                    false,
                ),
                Field::new("deleted", DataType::Boolean, false),
            ])),
        }
    }
}

#[async_trait]
impl SystemTable for DatabasesTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    async fn rows(&self, _filters: &[Expr]) -> Result<RecordBatch> {
        let db = self
            .catalog
            .database_by_id(self.database_id)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let dbs: Vec<_> = db.into_iter().collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                dbs.iter().map(|d| d.name.as_str()),
            )),
            Arc::new(UInt64Array::from_iter_values(dbs.iter().map(|d| d.id.0))),
            Arc::new(UInt64Array::from_iter(dbs.iter().map(|d| {
                d.retention_period
                    .map(|r| u64::try_from(r.as_nanos()).unwrap_or(u64::MAX))
            }))),
            Arc::new(UInt64Array::from_iter_values(
                dbs.iter().map(|d| d.limits.max_tables as u64),
            )),
            Arc::new(UInt64Array::from_iter_values(
                dbs.iter().map(|d| d.limits.max_columns_per_table as u64),
            )),
            Arc::new(TimestampNanosecondArray::from_iter_values(
                dbs.iter().map(|d| d.created_at_ns),
            )),
            Arc::new(BooleanArray::from_iter(
                dbs.iter().map(|d| Some(d.deleted_at_ns.is_some())),
            )),
        ];
        Ok(RecordBatch::try_new(self.schema(), columns)?)
    }
}
