//! The inputs of one job read as one stream sorted by primary key, duplicates adjacent and in
//! write order — DataFusion's sort-preserving merge over the files' own order.
//!
//! ```text
//! footers of the inputs ──► union schema (tags, fields by name, time; Influx metadata)
//! input i (write order) ──► DataSourceExec: ParquetSource(union schema) over that one file
//!                            (absent columns read as nulls; rows in the file's order: tags by
//!                            name with nulls first, then time — schema::dedup's order)
//!                       ──► ProjectionExec: + `__quiver_write_order` = i
//! UnionExec ──► SortPreservingMergeExec(tags ASC NULLS FIRST, time, write order)
//!   ──► batches of ≤ 8 192 rows; memory: one batch and one row group reader per input
//! ```
//!
//! A file's order under the union schema is the same as under its own columns: a tag it lacks
//! is null in every row, so it never decides a comparison.

use std::sync::Arc;

use arrow::compute::SortOptions;
use arrow::datatypes::{Field, Schema, SchemaRef};
use catalog::ParquetFileRecord;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::TaskContext;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::physical_expr::{LexOrdering, PhysicalExpr, PhysicalSortExpr};
use datafusion::physical_plan::expressions::{Column, Literal};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};
use datafusion::scalar::ScalarValue;
use object_store::ObjectStore;
use schema::{InfluxColumnType, TIME_COLUMN_NAME, arrow_schema, influx_column_type, sort_columns};

use crate::CompactError;

/// Name of the column carrying each row's input index (write order) through the merge.
pub(crate) const WRITE_ORDER_COLUMN: &str = "__quiver_write_order";

/// The union of the inputs' columns, in canonical order, read from their footers.
pub(crate) async fn union_schema(
    store: &Arc<dyn ObjectStore>,
    table_name: &str,
    inputs: &[ParquetFileRecord],
) -> Result<SchemaRef, CompactError> {
    let mut columns: Vec<(String, InfluxColumnType)> = Vec::new();
    for file in inputs {
        let path = parquet_store::parse_object_path(&file.path)?;
        let file_schema = parquet_store::read_schema(store, &path).await?;
        for field in file_schema.fields() {
            let column_type = influx_column_type(field).map_err(|e| CompactError::Schema {
                path: file.path.clone(),
                reason: e.to_string(),
            })?;
            match columns.iter().find(|(name, _)| name == field.name()) {
                Some((_, known)) if *known != column_type => {
                    return Err(CompactError::Schema {
                        path: file.path.clone(),
                        reason: format!(
                            "column {} is {column_type:?} here and {known:?} in another input",
                            field.name()
                        ),
                    });
                }
                Some(_) => {}
                None => columns.push((field.name().clone(), column_type)),
            }
        }
    }
    sort_columns(&mut columns);
    Ok(Arc::new(arrow_schema(
        table_name,
        columns.iter().map(|(n, t)| (n.as_str(), *t)),
    )))
}

/// The merged stream of `inputs` (write order) under `schema`, plus the write-order column
/// last. `url` is where the object store is registered in `task`'s runtime.
pub(crate) fn merged(
    task: Arc<TaskContext>,
    url: &ObjectStoreUrl,
    schema: &SchemaRef,
    inputs: &[ParquetFileRecord],
) -> Result<SendableRecordBatchStream, CompactError> {
    let mut plans: Vec<Arc<dyn ExecutionPlan>> = Vec::with_capacity(inputs.len());
    for (ordinal, file) in inputs.iter().enumerate() {
        let source = ParquetSource::new(Arc::clone(schema));
        let config = FileScanConfigBuilder::new(url.clone(), Arc::new(source))
            .with_file_groups(vec![FileGroup::new(vec![PartitionedFile::new(
                file.path.clone(),
                file.size_bytes,
            )])])
            .build();
        let scan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
        let mut exprs: Vec<(Arc<dyn PhysicalExpr>, String)> = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (
                    Arc::new(Column::new(f.name(), i)) as Arc<dyn PhysicalExpr>,
                    f.name().clone(),
                )
            })
            .collect();
        let ordinal = u32::try_from(ordinal).map_err(|_| CompactError::TooManyInputs)?;
        exprs.push((
            Arc::new(Literal::new(ScalarValue::UInt32(Some(ordinal)))),
            WRITE_ORDER_COLUMN.to_string(),
        ));
        plans.push(Arc::new(ProjectionExec::try_new(exprs, scan)?));
    }
    let union = UnionExec::try_new(plans)?;
    let merged_schema = union.schema();
    let mut order = Vec::new();
    for (i, field) in merged_schema.fields().iter().enumerate() {
        if field.name() == WRITE_ORDER_COLUMN || field.name() == TIME_COLUMN_NAME {
            continue;
        }
        if is_tag(field) {
            order.push(sort_expr(field.name(), i));
        }
    }
    for name in [TIME_COLUMN_NAME, WRITE_ORDER_COLUMN] {
        let i = merged_schema.index_of(name)?;
        order.push(sort_expr(name, i));
    }
    let ordering = LexOrdering::new(order).ok_or(CompactError::TooManyInputs)?;
    let merge = SortPreservingMergeExec::new(ordering, union);
    Ok(merge.execute(0, task)?)
}

fn sort_expr(name: &str, index: usize) -> PhysicalSortExpr {
    PhysicalSortExpr::new(
        Arc::new(Column::new(name, index)),
        SortOptions {
            descending: false,
            nulls_first: true,
        },
    )
}

/// Whether a column of the union schema is a tag.
pub(crate) fn is_tag(field: &Field) -> bool {
    matches!(influx_column_type(field), Ok(InfluxColumnType::Tag))
}

/// The merged stream's schema without the write-order column: what the outputs hold.
pub(crate) fn output_schema(merged: &Schema) -> SchemaRef {
    let fields: Vec<_> = merged
        .fields()
        .iter()
        .filter(|f| f.name() != WRITE_ORDER_COLUMN)
        .cloned()
        .collect();
    Arc::new(Schema::new_with_metadata(fields, merged.metadata().clone()))
}
