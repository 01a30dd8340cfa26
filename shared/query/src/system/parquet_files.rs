//! `system.parquet_files`: the Parquet file records of the session's database, read from the
//! catalog when scanned.
//!
//! ```text
//! scan(filters) ──► catalog.database_schema(db) ──► tables (only `T` when a filter says
//!   `table_name = 'T'`) ──► catalog.parquet_files(db, table) (≤ 8 tables at a time)
//!   ──► one row per file, by table name, partition key, then write order
//!       (log partition, first offset)
//! ```

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int64Array, RecordBatch, StringArray, TimestampNanosecondArray, UInt8Array,
    UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use catalog::{Catalog, DatabaseId, ParquetFileRecord};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use futures::{StreamExt, TryStreamExt};

use super::provider::SystemTable;
use crate::filters::string_values;

/// Catalog calls in flight at once while listing the files of many tables.
const CONCURRENT_LISTINGS: usize = 8;

/// See the module doc.
#[derive(Debug)]
pub(super) struct ParquetFilesTable {
    catalog: Arc<dyn Catalog>,
    database_id: DatabaseId,
    schema: SchemaRef,
}

impl ParquetFilesTable {
    pub(super) fn new(catalog: Arc<dyn Catalog>, database_id: DatabaseId) -> Self {
        Self {
            catalog,
            database_id,
            schema: Arc::new(Schema::new(vec![
                Field::new("table_name", DataType::Utf8, false),
                Field::new("table_id", DataType::UInt64, false),
                Field::new("partition_key", DataType::Utf8, false),
                Field::new("object_store_id", DataType::Utf8, false),
                Field::new("path", DataType::Utf8, false),
                Field::new("size_bytes", DataType::UInt64, false),
                Field::new("row_count", DataType::UInt64, false),
                Field::new("min_time", DataType::Int64, false),
                Field::new("max_time", DataType::Int64, false),
                Field::new("log_partition", DataType::UInt32, false),
                Field::new("min_offset", DataType::UInt64, false),
                Field::new("max_offset", DataType::UInt64, false),
                Field::new(
                    "created_at",
                    DataType::Timestamp(TimeUnit::Nanosecond, None),
                    false,
                ),
                Field::new("compaction_level", DataType::UInt8, false),
            ])),
        }
    }

    /// (table name, file) pairs in row order.
    async fn files(&self, filters: &[Expr]) -> Result<Vec<(String, ParquetFileRecord)>> {
        let external = |e: catalog::CatalogError| DataFusionError::External(Box::new(e));
        let schema = self
            .catalog
            .database_schema(self.database_id)
            .await
            .map_err(external)?;
        let only = string_values(filters, "table_name")
            .and_then(|v| <[String; 1]>::try_from(v).ok())
            .map(|[name]| name);
        let tables: Vec<_> = schema
            .tables
            .iter()
            .filter(|(name, _)| only.as_deref().is_none_or(|o| o == name.as_str()))
            .map(|(name, table)| (name.clone(), table.id))
            .collect();
        let per_table: Vec<Vec<(String, ParquetFileRecord)>> = futures::stream::iter(tables)
            .map(|(name, id)| async move {
                let by_key = self.catalog.parquet_files(self.database_id, id).await?;
                let mut files = Vec::new();
                // Each partition key's records come in write order.
                for (_key, records) in by_key {
                    files.extend(records.into_iter().map(|r| (name.clone(), r)));
                }
                Ok::<_, catalog::CatalogError>(files)
            })
            .buffered(CONCURRENT_LISTINGS)
            .try_collect()
            .await
            .map_err(external)?;
        Ok(per_table.into_iter().flatten().collect())
    }
}

#[async_trait]
impl SystemTable for ParquetFilesTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    async fn rows(&self, filters: &[Expr]) -> Result<RecordBatch> {
        let files = self.files(filters).await?;
        let f = files.as_slice();
        let text = |get: fn(&(String, ParquetFileRecord)) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(f.iter().map(get)))
        };
        let unsigned = |get: fn(&ParquetFileRecord) -> u64| -> ArrayRef {
            Arc::new(UInt64Array::from_iter_values(f.iter().map(|(_, r)| get(r))))
        };
        let columns: Vec<ArrayRef> = vec![
            text(|(name, _)| name),
            unsigned(|r| r.table_id.0),
            text(|(_, r)| &r.partition_key),
            text(|(_, r)| &r.object_id),
            text(|(_, r)| &r.path),
            unsigned(|r| r.size_bytes),
            unsigned(|r| r.row_count),
            Arc::new(Int64Array::from_iter_values(
                f.iter().map(|(_, r)| r.min_time_ns),
            )),
            Arc::new(Int64Array::from_iter_values(
                f.iter().map(|(_, r)| r.max_time_ns),
            )),
            Arc::new(UInt32Array::from_iter_values(
                f.iter().map(|(_, r)| r.log_partition),
            )),
            unsigned(|r| r.min_offset),
            unsigned(|r| r.max_offset),
            Arc::new(TimestampNanosecondArray::from_iter_values(
                f.iter().map(|(_, r)| r.created_at_ns),
            )),
            Arc::new(UInt8Array::from_iter_values(
                f.iter().map(|(_, r)| r.compaction_level),
            )),
        ];
        Ok(RecordBatch::try_new(self.schema(), columns)?)
    }
}
