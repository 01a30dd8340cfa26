//! One DataFusion session per query, over one database's tables: persisted Parquet plus, when
//! the database has an `UnpersistedReader`, the ingesters' unpersisted rows.
//!
//! ```text
//! QueryDatabase { catalog, unpersisted reader?, one RuntimeEnv (the object store registered
//!                 under OBJECT_STORE_URL: file paths are catalog paths) }
//!   └─► session(&Database)   (every session shares the RuntimeEnv: its Parquet metadata cache
//!                              keeps the footers of the immutable files across queries)
//!         ├─ one QueryUnpersisted per session (high-water marks taken at the first scan)
//!         ├─ SessionConfig: information_schema, catalog `public`, schema `iox`,
//!         │  no file-scan repartitioning (DedupExec needs a partition key's files together)
//!         ├─ DataFusion's physical optimizer rules, then YieldPoints (a cancelled query stops)
//!         └─ catalog.database_schema(db.id) ──► register PersistedTable per table (rows
//!            older than now − the database's retention period hidden)
//! ```

use std::sync::Arc;

use catalog::{Catalog, Database};
use datafusion::common::TableReference;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::{SessionConfig, SessionContext};
use object_store::ObjectStore;

use crate::system::{QueryLog, register_system_schema};
use crate::unpersisted::UnpersistedReader;
use crate::{PersistedTable, QueryError, YieldPoints};

/// The URL under which the Parquet object store is registered in every session.
pub const OBJECT_STORE_URL: &str = "quiver://objects/";

/// DataFusion's default catalog name in Quiver sessions (as in InfluxDB 3).
pub(crate) const DEFAULT_CATALOG: &str = "public";
/// DataFusion's default schema name in Quiver sessions (as in InfluxDB 3).
pub(crate) const DEFAULT_SCHEMA: &str = "iox";

/// [`OBJECT_STORE_URL`] parsed.
#[expect(
    clippy::expect_used,
    reason = "a constant URL: it parses or every test of this crate fails"
)]
pub(crate) fn objects_url() -> ObjectStoreUrl {
    ObjectStoreUrl::parse(OBJECT_STORE_URL).expect("OBJECT_STORE_URL is a valid URL")
}

/// Builds query sessions over the catalog and the Parquet object store.
#[derive(Debug, Clone)]
pub struct QueryDatabase {
    catalog: Arc<dyn Catalog>,
    query_log: Arc<QueryLog>,
    unpersisted: Option<UnpersistedReader>,
    /// Shared by every session: memory pool, the object store (registered once, under
    /// [`OBJECT_STORE_URL`]), the Parquet metadata cache
    /// (DataFusion's default limit, 50 MB; files never change once written).
    runtime: Arc<RuntimeEnv>,
}

impl QueryDatabase {
    /// Sessions will list files in `catalog` and read them from `store`.
    pub fn new(catalog: Arc<dyn Catalog>, store: Arc<dyn ObjectStore>) -> Self {
        let query_log = Arc::new(QueryLog::default());
        let runtime = RuntimeEnv::default();
        runtime.register_object_store(objects_url().as_ref(), store);
        Self {
            catalog,
            query_log,
            unpersisted: None,
            runtime: Arc::new(runtime),
        }
    }

    /// Sessions also read the ingesters' unpersisted rows through `reader` (read-after-write).
    pub fn with_unpersisted(mut self, reader: UnpersistedReader) -> Self {
        self.unpersisted = Some(reader);
        self
    }

    /// The log behind `system.queries`, shared by every session (resize with `set_capacity`).
    pub fn query_log(&self) -> &Arc<QueryLog> {
        &self.query_log
    }

    /// The catalog sessions read from.
    pub fn catalog(&self) -> &Arc<dyn Catalog> {
        &self.catalog
    }

    /// A fresh session with every table of `database` registered (schema as of now).
    pub async fn session(&self, database: &Database) -> Result<SessionContext, QueryError> {
        let schema = self.catalog.database_schema(database.id).await?;
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema(DEFAULT_CATALOG, DEFAULT_SCHEMA)
            .with_create_default_catalog_and_schema(true)
            .with_repartition_file_scans(false)
            // Nor work stealing: a partition would read other partition keys' files.
            .set_bool(
                "datafusion.execution.enable_file_stream_work_stealing",
                false,
            );
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(Arc::clone(&self.runtime))
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(YieldPoints))
            .build();
        let ctx = SessionContext::new_with_state(state);
        let unpersisted = self.unpersisted.as_ref().map(|r| Arc::new(r.for_query()));
        // Taken once per session: every table of the query hides the same rows.
        let retention_cutoff = database
            .retention_period_ns()
            .map(|period| now_ns().saturating_sub(period));
        for (name, table) in &schema.tables {
            let mut provider =
                PersistedTable::new(Arc::clone(&self.catalog), database.id, name, table)
                    .with_retention_cutoff(retention_cutoff);
            if let Some(u) = &unpersisted {
                provider = provider.with_unpersisted(database.name.as_str(), Arc::clone(u));
            }
            ctx.register_table(TableReference::bare(name.as_str()), Arc::new(provider))?;
        }
        register_system_schema(
            &ctx,
            Arc::clone(&self.catalog),
            database,
            Arc::clone(&self.query_log),
        )?;
        Ok(ctx)
    }
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
