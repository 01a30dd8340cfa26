//! `PersistedTable`: a table's Parquet files (as listed in the catalog) merged with the rows the
//! ingesters have not persisted yet, as one deduplicated DataFusion table.
//!
//! ```text
//! scan(projection, filters)
//!   ├─ scan columns = projection ∪ tags ∪ time (the dedup key), in table order
//!   ├─ (query has ingesters) QueryUnpersisted::table_batches(scan columns, time bounds, tag
//!   │     values of `tag = 'v'` / `tag IN (…)` filters) ──► partition key → batches
//!   │     asked FIRST, so a row persisted meanwhile is in the file list read next
//!   ├─ catalog.parquet_files(db, table) ──► BTreeMap<partition key, files>
//!   ├─ drop files outside TimeBounds::from_filters(filters)
//!   ├─ per partition key (files ∪ ingester keys): overlap_groups ──► groups of files and
//!   │  batches whose time ranges overlap (files in write order, then batches); one input
//!   │  partition per group:
//!   │    DataSourceExec: ParquetSource(scan columns, predicate = key-only filters, footers
//!   │    from the runtime's metadata cache), one
//!   │    FileGroup per group (read sequentially, in order; empty for batches-only groups)
//!   ├─ DedupExec: a group with more than one file or any unpersisted rows is sorted and
//!   │    deduplicated (files, then the ingester's batches: last non-null value per field
//!   │    wins, so reading fewer fields changes no answer); a lone file passes through
//!   ├─ FilterExec(time ≥ now − retention period) when the database has one: rows past it
//!   │    are never returned, even before the compactor retires their files (files wholly
//!   │    older are not even read: the cutoff is a lower time bound)
//!   └─ ProjectionExec(projection)
//! ```

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use catalog::{Catalog, DatabaseId, TableId, TableSchema};
use datafusion::catalog::Session;
use datafusion::common::DFSchema;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Operator;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, Column, Literal};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::scalar::ScalarValue;
use schema::{InfluxColumnType, TIME_COLUMN_NAME, arrow_schema, sort_columns};

use crate::DedupExec;
use crate::filters::{TimeBounds, is_key_only, string_values};
use crate::overlap::overlap_groups;
use crate::session::objects_url;
use crate::unpersisted::QueryUnpersisted;

/// One table of one database, read from its persisted Parquet files.
#[derive(Debug)]
pub struct PersistedTable {
    catalog: Arc<dyn Catalog>,
    database_id: DatabaseId,
    database_name: String,
    table_name: String,
    table_id: TableId,
    unpersisted: Option<Arc<QueryUnpersisted>>,
    schema: SchemaRef,
    key_columns: HashSet<String>,
    /// Rows older than this (ns) are past the database's retention period: never returned.
    retention_cutoff_ns: Option<i64>,
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
            database_name: String::new(),
            table_name: name.to_owned(),
            table_id: table.id,
            unpersisted: None,
            schema: Arc::new(arrow_schema(name, columns)),
            key_columns,
            retention_cutoff_ns: None,
        }
    }

    /// Hides rows older than `cutoff_ns` (now − the database's retention period, taken when
    /// the query's session was made): their files are not read, the rest are filtered.
    pub fn with_retention_cutoff(mut self, cutoff_ns: Option<i64>) -> Self {
        self.retention_cutoff_ns = cutoff_ns;
        self
    }

    /// Also reads the ingesters' unpersisted rows of this table in database `database_name`,
    /// through the query's `unpersisted` view.
    pub fn with_unpersisted(
        mut self,
        database_name: &str,
        unpersisted: Arc<QueryUnpersisted>,
    ) -> Self {
        database_name.clone_into(&mut self.database_name);
        self.unpersisted = Some(unpersisted);
        self
    }

    /// Tag ──► the only values matching rows can have, from `tag = 'v'` / `tag IN (…)` filters.
    fn tag_values(&self, filters: &[Expr]) -> BTreeMap<String, Vec<String>> {
        self.key_columns
            .iter()
            .filter(|c| c.as_str() != TIME_COLUMN_NAME)
            .filter_map(|tag| string_values(filters, tag).map(|v| (tag.clone(), v)))
            .collect()
    }

    /// The table schema's columns a scan must read for `projection`: the projected ones plus
    /// every tag and `time` (the dedup key), in table order.
    fn scan_columns(&self, projection: Option<&Vec<usize>>) -> Vec<usize> {
        let Some(projection) = projection else {
            return (0..self.schema.fields().len()).collect();
        };
        (0..self.schema.fields().len())
            .filter(|i| {
                projection.contains(i) || self.key_columns.contains(self.schema.field(*i).name())
            })
            .collect()
    }

    /// The Parquet + unpersisted scan and dedup plan over `schema` (the table's, or a projection
    /// of it that keeps every key column); `None` when no row can match.
    async fn deduplicated_scan(
        &self,
        state: &dyn Session,
        schema: &SchemaRef,
        filters: &[Expr],
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let mut bounds = TimeBounds::from_filters(filters);
        if let Some(cutoff) = self.retention_cutoff_ns {
            bounds.min = Some(bounds.min.map_or(cutoff, |min| min.max(cutoff)));
            if bounds.max.is_some_and(|max| max < cutoff) {
                return Ok(None);
            }
        }
        let mut unpersisted = match &self.unpersisted {
            Some(u) => u
                .table_batches(
                    &self.database_name,
                    &self.table_name,
                    schema,
                    bounds,
                    &self.tag_values(filters),
                )
                .await
                .map_err(|e| DataFusionError::External(Box::new(e)))?,
            None => BTreeMap::new(),
        };
        let mut files = self
            .catalog
            .parquet_files(self.database_id, self.table_id)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        for records in files.values_mut() {
            records.retain(|r| bounds.overlaps(r.min_time_ns, r.max_time_ns));
        }
        files.retain(|_, records| !records.is_empty());
        let keys: BTreeSet<String> = files.keys().chain(unpersisted.keys()).cloned().collect();
        if keys.is_empty() {
            return Ok(None);
        }
        let mut groups = Vec::with_capacity(keys.len());
        let mut needs_dedup = Vec::with_capacity(keys.len());
        let mut buffered = Vec::with_capacity(keys.len());
        for key in keys {
            let records = files.remove(&key).unwrap_or_default();
            let batches = unpersisted.remove(&key).unwrap_or_default();
            for group in overlap_groups(records, batches) {
                needs_dedup.push(group.needs_dedup());
                groups.push(FileGroup::new(
                    group
                        .files
                        .into_iter()
                        .map(|r| PartitionedFile::new(r.path, r.size_bytes))
                        .collect(),
                ));
                buffered.push(group.batches);
            }
        }
        if groups.is_empty() {
            return Ok(None);
        }
        if groups.iter().all(|g| g.is_empty()) {
            let scan = EmptyExec::new(Arc::clone(schema)).with_partitions(groups.len());
            return Ok(Some(Arc::new(DedupExec::with_unpersisted(
                Arc::new(scan),
                needs_dedup,
                buffered,
            ))));
        }

        // The source's schema is the scan's: Parquet reads only those columns of each file.
        // Footers come from the session's (shared, bounded) metadata cache.
        let runtime = state.runtime_env();
        let store = runtime.object_store(objects_url())?;
        let readers = CachedParquetFileReaderFactory::new(
            store,
            runtime.cache_manager.get_file_metadata_cache(),
        );
        let mut source = ParquetSource::new(Arc::clone(schema))
            .with_parquet_file_reader_factory(Arc::new(readers));
        let key_filters: Vec<Expr> = filters
            .iter()
            .filter(|f| is_key_only(f, &self.key_columns))
            .cloned()
            .collect();
        if let Some(predicate) = conjunction(key_filters) {
            let df_schema = DFSchema::try_from(Arc::clone(schema))?;
            source = source.with_predicate(state.create_physical_expr(predicate, &df_schema)?);
        }
        let config = FileScanConfigBuilder::new(objects_url(), Arc::new(source))
            .with_file_groups(groups)
            .build();
        let scan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
        Ok(Some(Arc::new(DedupExec::with_unpersisted(
            scan,
            needs_dedup,
            buffered,
        ))))
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
        let columns = self.scan_columns(projection);
        let scan_schema = Arc::new(self.schema.project(&columns)?);
        let Some(mut plan) = self.deduplicated_scan(state, &scan_schema, filters).await? else {
            let schema = match projection {
                Some(p) => Arc::new(self.schema.project(p)?),
                None => Arc::clone(&self.schema),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        };
        if let Some(cutoff) = self.retention_cutoff_ns {
            // A file straddling the cutoff, and the ingesters' rows, still hold expired rows.
            let time = scan_schema.index_of(TIME_COLUMN_NAME)?;
            let predicate: Arc<dyn PhysicalExpr> = Arc::new(BinaryExpr::new(
                Arc::new(Column::new(TIME_COLUMN_NAME, time)),
                Operator::GtEq,
                Arc::new(Literal::new(ScalarValue::TimestampNanosecond(
                    Some(cutoff),
                    None,
                ))),
            ));
            plan = Arc::new(FilterExec::try_new(predicate, plan)?);
        }
        let Some(projection) = projection else {
            return Ok(plan);
        };
        // Table index ──► position in the scan schema (`columns` is sorted).
        let mut exprs = Vec::with_capacity(projection.len());
        for &i in projection {
            let position = columns.binary_search(&i).map_err(|_| {
                DataFusionError::Internal(format!("projected column {i} is not scanned"))
            })?;
            let name = self.schema.field(i).name();
            let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(name, position));
            exprs.push((column, name.clone()));
        }
        Ok(Arc::new(ProjectionExec::try_new(exprs, plan)?))
    }
}
