//! `DedupExec`: one output partition per input partition; partitions whose files can overlap are
//! collected, sorted by primary key and deduplicated with `schema::dedup::sort_dedup` (last write
//! wins per field), the others pass through.
//!
//! ```text
//! input partition i (batches in write order, full table schema), then unpersisted[i]
//! (the ingesters' rows of that partition key, newer than every file)
//!   ├─ needs_dedup[i] == false ──► as is (one file: already sorted and deduplicated)
//!   └─ needs_dedup[i] == true  ──► collect ──► sort_dedup ──► columns in table-schema order
//! ```
//!
//! Write order is the input order: the scan lists a partition's files by (log partition, first
//! offset), then the ingesters' batches in applied order; a series always maps to one log
//! partition, so its rows appear in offset order.

use std::fmt;
use std::sync::Arc;

use arrow::array::{RecordBatch, new_null_array};
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
    SendableRecordBatchStream,
};
use futures::TryStreamExt;

/// Deduplicates each input partition on tags + `time` (see the module doc).
#[derive(Debug)]
pub struct DedupExec {
    input: Arc<dyn ExecutionPlan>,
    needs_dedup: Vec<bool>,
    unpersisted: Vec<Vec<RecordBatch>>,
    properties: Arc<PlanProperties>,
}

impl DedupExec {
    /// Wraps `input`, whose output schema must be the full table schema (tags, fields, `time`
    /// with `iox::column::type` metadata). `needs_dedup[i]` says whether partition `i` may hold
    /// duplicates; missing entries count as `true`.
    pub fn new(input: Arc<dyn ExecutionPlan>, needs_dedup: Vec<bool>) -> Self {
        Self::with_unpersisted(input, needs_dedup, Vec::new())
    }

    /// Like [`DedupExec::new`], with `unpersisted[i]` (batches of the full table schema, in
    /// applied order) read after input partition `i`. A partition with unpersisted batches is
    /// always deduplicated.
    pub fn with_unpersisted(
        input: Arc<dyn ExecutionPlan>,
        mut needs_dedup: Vec<bool>,
        unpersisted: Vec<Vec<RecordBatch>>,
    ) -> Self {
        for (i, batches) in unpersisted.iter().enumerate() {
            if !batches.is_empty() {
                if needs_dedup.len() <= i {
                    needs_dedup.resize(i + 1, true);
                }
                needs_dedup[i] = true;
            }
        }
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(input.schema()),
            input.output_partitioning().clone(),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        Self {
            input,
            needs_dedup,
            unpersisted,
            properties,
        }
    }
}

impl DedupExec {
    /// The ingesters' unpersisted batches read after each input partition (what an InfluxQL
    /// `EXPLAIN` counts as cached values).
    pub fn unpersisted(&self) -> &[Vec<RecordBatch>] {
        &self.unpersisted
    }
}

impl DisplayAs for DedupExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dedup = self.needs_dedup.iter().filter(|d| **d).count();
        let batches: usize = self.unpersisted.iter().map(Vec::len).sum();
        write!(
            f,
            "DedupExec: partitions={}, deduplicated={dedup}, unpersisted_batches={batches}",
            self.needs_dedup.len()
        )
    }
}

impl ExecutionPlan for DedupExec {
    fn name(&self) -> &str {
        "DedupExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        // Repartitioning the scan would split a partition key's files across partitions.
        vec![false]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match <[_; 1]>::try_from(children) {
            Ok([input]) => Ok(Arc::new(Self::with_unpersisted(
                input,
                self.needs_dedup.clone(),
                self.unpersisted.clone(),
            ))),
            Err(children) => Err(DataFusionError::Internal(format!(
                "DedupExec takes one child, got {}",
                children.len()
            ))),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        if !self.needs_dedup.get(partition).copied().unwrap_or(true) {
            return Ok(input);
        }
        let schema = self.schema();
        let out_schema = Arc::clone(&schema);
        let unpersisted = self.unpersisted.get(partition).cloned().unwrap_or_default();
        let deduplicated = async move {
            let mut batches: Vec<RecordBatch> = input.try_collect().await?;
            batches.extend(unpersisted);
            dedup_batches(&out_schema, &batches)
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::once(deduplicated),
        )))
    }
}

/// Sorts and deduplicates `batches` (write order) into one batch of `schema`.
fn dedup_batches(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    // Re-attach the table schema: sort_dedup reads the Influx column types from field metadata.
    let batches = batches
        .iter()
        .filter(|b| b.num_rows() > 0)
        .map(|b| b.clone().with_schema(Arc::clone(schema)))
        .collect::<Result<Vec<_>, _>>()?;
    if batches.is_empty() {
        return Ok(RecordBatch::new_empty(Arc::clone(schema)));
    }
    let merged =
        schema::dedup::sort_dedup(&batches).map_err(|e| DataFusionError::External(Box::new(e)))?;
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            merged
                .column_by_name(field.name())
                .cloned()
                .unwrap_or_else(|| new_null_array(field.data_type(), merged.num_rows()))
        })
        .collect();
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
