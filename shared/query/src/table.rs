//! `PersistedTable`: a table's Parquet files (as listed in the catalog) as a deduplicated
//! DataFusion table.
//!
//! ```text
//! scan(projection, filters)
//!   ├─ catalog.parquet_files(db, table) ──► BTreeMap<partition key, files>
//!   ├─ drop files outside TimeBounds::from_filters(filters); sort each key's files by
//!   │  (log partition, first offset) = write order
//!   ├─ DataSourceExec: ParquetSource(table schema, predicate = key-only filters),
//!   │  one FileGroup per partition key (read sequentially, in order)
//!   ├─ DedupExec(needs_dedup = key has more than one file)
//!   └─ ProjectionExec(projection)
//! ```
//!
//! Adding unpersisted rows later (ingester query API): build a second input per partition key
//! whose batches carry the same table schema, chain it AFTER the Parquet files of that key in
//! the same DedupExec input partition (e.g. a `UnionExec` per key, or a DataSource that yields
//! Parquet then ingester batches), and mark the key `needs_dedup`. Unpersisted rows are newer
//! than every persisted row of their series, so "input order = write order" still holds.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use catalog::{Catalog, DatabaseId, TableId, TableSchema};
use datafusion::catalog::Session;
use datafusion::common::DFSchema;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::projection::ProjectionExec;
use schema::{InfluxColumnType, arrow_schema, sort_columns};

use crate::filters::{TimeBounds, is_key_only};
use crate::{DedupExec, OBJECT_STORE_URL};

/// One table of one database, read from its persisted Parquet files.
#[derive(Debug)]
pub struct PersistedTable {
    catalog: Arc<dyn Catalog>,
    database_id: DatabaseId,
    table_id: TableId,
    schema: SchemaRef,
    key_columns: HashSet<String>,
}

impl PersistedTable {
    /// The table `name` of database `database_id`, with the columns of `table` in canonical
    /// order (tags, fields, `time`) and Influx metadata.
    pub fn new(
        catalog: Arc<dyn Catalog>,
        database_id: DatabaseId,
        name: &str,
        table: &TableSchema,
    ) -> Self {
        let mut columns: Vec<(&str, InfluxColumnType)> = table
            .columns
            .iter()
            .map(|(name, column)| (name.as_str(), column.column_type))
            .collect();
        sort_columns(&mut columns);
        let key_columns = columns
            .iter()
            .filter(|(_, t)| matches!(t, InfluxColumnType::Tag | InfluxColumnType::Timestamp))
            .map(|(name, _)| (*name).to_string())
            .collect();
        Self {
            catalog,
            database_id,
            table_id: table.id,
            schema: Arc::new(arrow_schema(name, columns)),
            key_columns,
        }
    }

    /// The Parquet scan + dedup plan over the full table schema; `None` when no file can match.
    async fn deduplicated_scan(
        &self,
        state: &dyn Session,
        filters: &[Expr],
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let files = self
            .catalog
            .parquet_files(self.database_id, self.table_id)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let bounds = TimeBounds::from_filters(filters);
        let mut groups = Vec::new();
        let mut needs_dedup = Vec::new();
        for (_partition_key, mut records) in files {
            records.retain(|r| bounds.overlaps(r.min_time_ns, r.max_time_ns));
            if records.is_empty() {
                continue;
            }
            records.sort_by_key(|r| (r.log_partition, r.min_offset, r.max_offset));
            needs_dedup.push(records.len() > 1);
            groups.push(FileGroup::new(
                records
                    .into_iter()
                    .map(|r| PartitionedFile::new(r.path, r.size_bytes))
                    .collect(),
            ));
        }
        if groups.is_empty() {
            return Ok(None);
        }

        let mut source = ParquetSource::new(Arc::clone(&self.schema));
        let key_filters: Vec<Expr> = filters
            .iter()
            .filter(|f| is_key_only(f, &self.key_columns))
            .cloned()
            .collect();
        if let Some(predicate) = conjunction(key_filters) {
            let df_schema = DFSchema::try_from(Arc::clone(&self.schema))?;
            source = source.with_predicate(state.create_physical_expr(predicate, &df_schema)?);
        }
        let config =
            FileScanConfigBuilder::new(ObjectStoreUrl::parse(OBJECT_STORE_URL)?, Arc::new(source))
                .with_file_groups(groups)
                .build();
        let scan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
        Ok(Some(Arc::new(DedupExec::new(scan, needs_dedup))))
    }
}

#[async_trait]
impl TableProvider for PersistedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Used for file and row-group pruning only; DataFusion re-applies every filter.
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(plan) = self.deduplicated_scan(state, filters).await? else {
            let schema = match projection {
                Some(p) => Arc::new(self.schema.project(p)?),
                None => Arc::clone(&self.schema),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        };
        let Some(projection) = projection else {
            return Ok(plan);
        };
        let exprs = projection.iter().map(|&i| {
            let name = self.schema.field(i).name();
            let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(name, i));
            (column, name.clone())
        });
        Ok(Arc::new(ProjectionExec::try_new(exprs, plan)?))
    }
}
