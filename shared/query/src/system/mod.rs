//! System tables: schema `system` in every query session (docs/architecture.md, "System
//! tables"), shaped after InfluxDB 3 Core/Enterprise (`system.queries`, `databases`, `tables`,
//! `parquet_files`) and IOx (`SYSTEM_SCHEMA = "system"`).
//!
//! ```text
//! QueryDatabase::session(&db) ──► register_system_schema(ctx, catalog, &db, query_log)
//!   └─ catalog `public` ◄── schema `system` (SystemSchema, read-only; nothing is read yet)
//!        ├─ queries        ──► QueryLog::entries_of(db.id)            (in memory)
//!        ├─ databases      ──► catalog.database_by_id(db.id)
//!        ├─ tables         ──► catalog.database_schema(db.id)
//!        └─ parquet_files  ──► catalog.database_schema + parquet_files(db.id, table)
//!   each is a SystemTableProvider: rows are built when the table is scanned, so queries that do
//!   not name a system table never touch the catalog or the log for them
//! ```
//!
//! **Isolation**: a session belongs to one database (the one its token was checked against), and
//! every system table shows that database only — no other database's name, tables, files or
//! query texts. `information_schema` lists the four tables (as `BASE TABLE`, like IOx).
//!
//! Columns (times are `Timestamp(ns)` UTC, durations `Duration(ns)`; `?` = nullable):
//!
//! | table | columns |
//! |---|---|
//! | `queries` | `id` u64, `phase` (`received`/`planned`/`success`/`fail`/`cancel`), `issue_time`, `database_name`, `query_type` (`sql`/`influxql`/`flightsql`), `query_text`, `partitions` i64?, `parquet_files` i64?, `plan_duration`?, `execute_duration`?, `end2end_duration`?, `rows` u64?, `success`, `running`, `cancelled` bool, `error`?, `trace_id`? |
//! | `databases` | `database_name`, `database_id` u64, `retention_period_ns` u64? (null = infinite), `max_tables` u64, `max_columns_per_table` u64, `created_at`, `deleted` bool |
//! | `tables` | `database_name`, `table_name`, `table_id` u64, `column_count` u64 (tags, fields, `time`), `tag_count` u64, `field_count` u64, `series_key_columns` (tags by name, `", "`-joined) |
//! | `parquet_files` | `table_name`, `table_id` u64, `partition_key`, `object_store_id`, `path`, `size_bytes` u64, `row_count` u64, `min_time` i64 ns, `max_time` i64 ns, `log_partition` u32, `min_offset` u64, `max_offset` u64, `created_at`, `compaction_level` u8 (0: persisted by an ingester, 1–2: compacted) |
//!
//! Differences from InfluxDB 3: strings are `Utf8` (not `Utf8View`, for older Flight clients);
//! `queries.id` is a per-process sequence number, not a UUID; `queries` has no
//! `permit_duration`/`compute_duration`/`max_memory` (Quiver has no query permits or memory
//! accounting yet) but adds `database_name`, `rows` and `error`; `databases`/`tables` have no
//! `hard_deletion_time` and no cache counts (Quiver has neither) but add ids and limits;
//! `parquet_files` adds the partition key, object id, log offsets and creation time (the
//! exactly-once bookkeeping of docs/architecture.md, "The ingester"). `partitions` in `queries`
//! counts the (table, partition key) pairs whose Parquet files the plan scans.

mod databases;
mod logged_stream;
mod parquet_files;
mod provider;
mod queries;
mod query_log;
mod tables;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use catalog::{Catalog, Database};
use datafusion::catalog::SchemaProvider;
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::SessionContext;

pub use query_log::{
    DEFAULT_QUERY_LOG_SIZE, QueryLog, QueryLogEntry, QueryObserver, QueryPhase, QueryRecord,
    QueryType,
};

use crate::QueryError;
use databases::DatabasesTable;
use parquet_files::ParquetFilesTable;
use provider::SystemTableProvider;
use queries::QueriesTable;
use tables::TablesTable;

/// The schema holding the system tables.
pub const SYSTEM_SCHEMA: &str = "system";

/// The system tables, by name.
pub const SYSTEM_TABLES: [&str; 4] = ["databases", "parquet_files", "queries", "tables"];

/// Registers schema [`SYSTEM_SCHEMA`] in the session's default catalog, showing `database` only.
/// Reads nothing until a system table is scanned.
pub fn register_system_schema(
    ctx: &SessionContext,
    catalog: Arc<dyn Catalog>,
    database: &Database,
    log: Arc<QueryLog>,
) -> Result<(), QueryError> {
    let catalog_name = ctx
        .copied_config()
        .options()
        .catalog
        .default_catalog
        .clone();
    let provider = ctx.catalog(&catalog_name).ok_or_else(|| {
        DataFusionError::Plan(format!(
            "cannot register the system tables: the session has no catalog {catalog_name:?}"
        ))
    })?;
    provider.register_schema(
        SYSTEM_SCHEMA,
        Arc::new(SystemSchema::new(catalog, database, log)),
    )?;
    Ok(())
}

/// The read-only `system` schema of one session.
#[derive(Debug)]
struct SystemSchema {
    tables: BTreeMap<&'static str, Arc<dyn TableProvider>>,
}

impl SystemSchema {
    fn new(catalog: Arc<dyn Catalog>, database: &Database, log: Arc<QueryLog>) -> Self {
        let id = database.id;
        let tables: [(&'static str, Arc<dyn TableProvider>); 4] = [
            (
                "databases",
                Arc::new(SystemTableProvider(DatabasesTable::new(
                    Arc::clone(&catalog),
                    id,
                ))),
            ),
            (
                "parquet_files",
                Arc::new(SystemTableProvider(ParquetFilesTable::new(
                    Arc::clone(&catalog),
                    id,
                ))),
            ),
            (
                "queries",
                Arc::new(SystemTableProvider(QueriesTable::new(log, id))),
            ),
            (
                "tables",
                Arc::new(SystemTableProvider(TablesTable::new(
                    catalog,
                    id,
                    database.name.to_string(),
                ))),
            ),
        ];
        Self {
            tables: tables.into_iter().collect(),
        }
    }
}

#[async_trait]
impl SchemaProvider for SystemSchema {
    fn table_names(&self) -> Vec<String> {
        self.tables.keys().map(|name| (*name).to_string()).collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(self.tables.get(name).cloned())
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }
}
