//! Steps 6b–8 for a database already resolved: retention, schema upsert, shard, append. One
//! function, so the HTTP write (`http::write`) and the library writer ([`crate::LineWriter`],
//! InfluxQL's SELECT INTO) store rows exactly alike.

use catalog::{Catalog, Database};
use schema::TableBatch;
use write_log::WriteLog;

use super::{WriteError, append_sharded, check_retention, schema_upsert, shard_tables};
use crate::metrics::{StageTimes, WriteStage};
use crate::time::now_ns;

/// Stores `tables` in `database`: rows outside its retention reject the write, the schema is
/// upserted (conflicts and limits reject the write), then the rows are sharded onto the log's
/// partitions and appended; `Ok` only once every append is acknowledged. `times` records the
/// schema, shard and log stages when given.
pub(crate) async fn store_tables(
    catalog: &dyn Catalog,
    log: &dyn WriteLog,
    database: &Database,
    tables: Vec<TableBatch>,
    traceparent: Option<&str>,
    mut times: Option<&mut StageTimes>,
) -> Result<(), WriteError> {
    let mut end = |stage| {
        if let Some(t) = times.as_deref_mut() {
            t.end(stage);
        }
    };
    check_retention(&tables, database.retention_period_ns(), now_ns())?;

    // 7. Schema: additive, atomic upsert; conflicts and limits reject the whole write.
    let upsert = schema_upsert(&tables)?;
    catalog
        .upsert_schema(database.id, &upsert)
        .await
        .map_err(WriteError::Catalog)?;
    end(WriteStage::Schema);

    // 8. Shard rows by series onto the log's partitions; per partition one record (more for
    // requests of over 100 (table, day) groups, appended in order), partitions in parallel.
    let tables = tables.into_iter().map(|t| (t.name, t.batch)).collect();
    let sharded = shard_tables(database.name.as_ref(), tables, log.partition_count())
        .map_err(WriteError::Shard)?;
    end(WriteStage::Shard);
    append_sharded(log, database.name.as_ref(), sharded, traceparent)
        .await
        .map_err(WriteError::Append)?;
    end(WriteStage::Log);
    Ok(())
}
