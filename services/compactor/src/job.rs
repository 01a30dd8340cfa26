//! Running one planned job: merge its inputs into new files, then swap the records.
//!
//! ```text
//! Job (inputs in write order, outputs n)
//!   ──► merge::union_schema (footers) ──► merge::merged (sorted stream + write order)
//!   ──► dedup::Dedup (last non-null value per field) ──► split::route (n time ranges)
//!   ──► ParquetStreamWriter per time range (level = the job's output level)
//!   ──► catalog.replace_files(remove = inputs, add = outputs)   ONE transaction
//!         FilesChanged (another compactor, retention) ──► delete the new objects, count a
//!         conflict; the inputs' owner of the change wins
//!   any error before the swap ──► abort / delete what was written; catalog unchanged
//! ```

use std::sync::Arc;

use catalog::{
    Catalog, CatalogError, DatabaseId, FileSwap, MAX_SWAP_OPS, ParquetFileRecord, TableId,
};
use datafusion::execution::TaskContext;
use datafusion::execution::object_store::ObjectStoreUrl;
use futures::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet_store::{FileMeta, ParquetStreamWriter, WriteOptions};

use crate::CompactError;
use crate::dedup::Dedup;
use crate::merge::{merged, output_schema, union_schema};
use crate::plan::Job;
use crate::split::{boundaries, route};

/// Where a job reads and writes.
#[derive(Debug, Clone)]
pub(crate) struct JobContext {
    pub(crate) catalog: Arc<dyn Catalog>,
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) task: Arc<TaskContext>,
    pub(crate) url: ObjectStoreUrl,
    pub(crate) write: WriteOptions,
}

/// The partition a job belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) database_id: DatabaseId,
    pub(crate) database_name: String,
    pub(crate) table_id: TableId,
    pub(crate) table_name: String,
    pub(crate) partition_key: String,
}

/// What a job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JobResult {
    /// The files written and swapped in.
    pub(crate) outputs: Vec<ParquetFileRecord>,
    /// Rows dropped as duplicates.
    pub(crate) duplicates: u64,
    /// The swap lost to a concurrent change (outputs deleted, nothing swapped).
    pub(crate) conflict: bool,
}

/// Merges the job's inputs into new files and swaps them in.
pub(crate) async fn run(
    ctx: &JobContext,
    target: &Target,
    job: &Job,
) -> Result<JobResult, CompactError> {
    let (outputs, duplicates) = write_outputs(ctx, target, job).await?;
    let swap = FileSwap {
        database_id: target.database_id,
        table_id: target.table_id,
        partition_key: target.partition_key.clone(),
        remove: job.inputs.clone(),
        add: outputs.clone(),
    };
    match ctx.catalog.replace_files(swap).await {
        Ok(()) => Ok(JobResult {
            outputs,
            duplicates,
            conflict: false,
        }),
        Err(CatalogError::FilesChanged { .. }) => {
            delete_unreferenced(ctx, &outputs).await;
            Ok(JobResult {
                outputs: Vec::new(),
                duplicates,
                conflict: true,
            })
        }
        Err(e) => {
            // The transaction may or may not have been applied (a timeout): the objects stay
            // for the garbage collector, which deletes them only if no record names them.
            Err(e.into())
        }
    }
}

/// Writes the merged, deduplicated rows of `job` as new objects (not yet in the catalog).
async fn write_outputs(
    ctx: &JobContext,
    target: &Target,
    job: &Job,
) -> Result<(Vec<ParquetFileRecord>, u64), CompactError> {
    if job.inputs.is_empty() {
        return Err(CompactError::Internal(
            "a compaction job without inputs".into(),
        ));
    }
    let schema = union_schema(&ctx.store, &target.table_name, &job.inputs).await?;
    let mut stream = merged(Arc::clone(&ctx.task), &ctx.url, &schema, &job.inputs)?;
    let output = output_schema(&stream.schema());
    // Every output is one more record in the swap's transaction.
    let room = MAX_SWAP_OPS.saturating_sub(2 * job.inputs.len()).max(1);
    let bounds = boundaries(&job.inputs, job.outputs.min(room));
    let meta = FileMeta {
        database_id: target.database_id,
        database_name: target.database_name.clone(),
        table_id: target.table_id,
        table_name: target.table_name.clone(),
        partition_key: target.partition_key.clone(),
        log_partition: 0,
        min_offset: 0,
        max_offset: 0,
    };
    let level = job.kind.output_level();
    let mut writers: Vec<Option<ParquetStreamWriter>> = (0..=bounds.len()).map(|_| None).collect();
    let mut dedup = Dedup::new(Arc::clone(&output))?;
    let result: Result<(), CompactError> = async {
        while let Some(batch) = stream.next().await {
            if let Some(rows) = dedup.push(&batch?)? {
                write(ctx, &meta, level, &output, &bounds, &mut writers, &rows).await?;
            }
        }
        if let Some(rows) = dedup.finish()? {
            write(ctx, &meta, level, &output, &bounds, &mut writers, &rows).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        for writer in writers.into_iter().flatten() {
            writer.abort().await;
        }
        return Err(e);
    }
    let mut records = Vec::new();
    let mut failed = None;
    for writer in writers.into_iter().flatten() {
        if failed.is_some() {
            writer.abort().await;
            continue;
        }
        match writer.finish().await {
            Ok(Some(record)) => records.push(record),
            Ok(None) => {}
            Err(e) => failed = Some(e),
        }
    }
    if let Some(e) = failed {
        delete_unreferenced(ctx, &records).await;
        return Err(e.into());
    }
    Ok((records, dedup.duplicates))
}

async fn write(
    ctx: &JobContext,
    meta: &FileMeta,
    level: u8,
    output: &arrow::datatypes::SchemaRef,
    bounds: &[i64],
    writers: &mut [Option<ParquetStreamWriter>],
    rows: &arrow::array::RecordBatch,
) -> Result<(), CompactError> {
    for (k, part) in route(rows, bounds)?.into_iter().enumerate() {
        let Some(part) = part else { continue };
        let slot = writers
            .get_mut(k)
            .ok_or_else(|| CompactError::Internal(format!("no output {k}")))?;
        if slot.is_none() {
            *slot = Some(ParquetStreamWriter::new(
                &ctx.store,
                meta,
                level,
                Arc::clone(output),
                ctx.write,
            )?);
        }
        if let Some(writer) = slot.as_mut() {
            writer.write(&part).await?;
        }
    }
    Ok(())
}

/// Deletes objects this job wrote that no record will ever name (best effort: what remains is
/// an orphan for the garbage collector).
async fn delete_unreferenced(ctx: &JobContext, records: &[ParquetFileRecord]) {
    for record in records {
        match parquet_store::parse_object_path(&record.path) {
            Ok(path) => {
                if let Err(e) = ctx.store.delete(&path).await {
                    tracing::warn!(path = %record.path, error = %e, "cannot delete an unused compaction output; the garbage collector will");
                }
            }
            Err(e) => tracing::warn!(path = %record.path, error = %e, "invalid output path"),
        }
    }
}
