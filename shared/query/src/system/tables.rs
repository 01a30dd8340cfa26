//! `system.tables`: the tables of the session's database, read from the catalog when scanned.
//!
//! ```text
//! scan ──► catalog.database_schema(session database id) ──► one row per table, by name
//! ```

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use catalog::{Catalog, DatabaseId, TableSchema};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use schema::InfluxColumnType;

use super::provider::SystemTable;

/// See the module doc.
#[derive(Debug)]
pub(super) struct TablesTable {
    catalog: Arc<dyn Catalog>,
    database_id: DatabaseId,
    database_name: String,
    schema: SchemaRef,
}

impl TablesTable {
    pub(super) fn new(
        catalog: Arc<dyn Catalog>,
        database_id: DatabaseId,
        database_name: String,
    ) -> Self {
        Self {
            catalog,
            database_id,
            database_name,
            schema: Arc::new(Schema::new(vec![
                Field::new("database_name", DataType::Utf8, false),
                Field::new("table_name", DataType::Utf8, false),
                Field::new("table_id", DataType::UInt64, false),
                Field::new("column_count", DataType::UInt64, false),
                Field::new("tag_count", DataType::UInt64, false),
                Field::new("field_count", DataType::UInt64, false),
                Field::new("series_key_columns", DataType::Utf8, false),
            ])),
        }
    }
}

#[async_trait]
impl SystemTable for TablesTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    async fn rows(&self, _filters: &[Expr]) -> Result<RecordBatch> {
        let schema = self
            .catalog
            .database_schema(self.database_id)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let tables: Vec<_> = schema.tables.iter().collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                tables.iter().map(|_| self.database_name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                tables.iter().map(|(name, _)| name.as_str()),
            )),
            Arc::new(UInt64Array::from_iter_values(
                tables.iter().map(|(_, t)| t.id.0),
            )),
            Arc::new(UInt64Array::from_iter_values(
                tables.iter().map(|(_, t)| t.columns.len() as u64),
            )),
            Arc::new(UInt64Array::from_iter_values(
                tables.iter().map(|(_, t)| tags(t).len() as u64),
            )),
            Arc::new(UInt64Array::from_iter_values(
                tables.iter().map(|(_, t)| fields(t)),
            )),
            Arc::new(StringArray::from_iter_values(
                tables.iter().map(|(_, t)| tags(t).join(", ")),
            )),
        ];
        Ok(RecordBatch::try_new(self.schema(), columns)?)
    }
}

/// The table's tags; columns are kept by name, so they come out sorted (the series key order).
fn tags(table: &TableSchema) -> Vec<&str> {
    table
        .columns
        .iter()
        .filter(|(_, c)| c.column_type == InfluxColumnType::Tag)
        .map(|(name, _)| name.as_str())
        .collect()
}

fn fields(table: &TableSchema) -> u64 {
    table
        .columns
        .values()
        .filter(|c| matches!(c.column_type, InfluxColumnType::Field(_)))
        .count() as u64
}
