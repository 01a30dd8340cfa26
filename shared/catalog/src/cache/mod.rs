//! [`CachedCatalog`]: a catalog in front of another, answering lookups from memory and kept
//! current by the backend's change feed (docs/architecture.md, "The catalog").
//!
//! ```text
//! reads (databases, schemas, tokens,  ──► View (memory)            ◄── sync task ◄── backend.watch
//!        DBRP mappings)
//! upsert_schema, nothing new         ──► View (no backend call)
//! other writes ──► backend ──► result applied to View at once (read-your-writes; a mapping's
//!                               default moves as `dbrp::plan` says, the backend's own rule)
//! write-path and file APIs (persist,  ──► backend
//!   swaps, retired files, purges),
//!   snapshot, watch
//! ```
//!
//! A cache `reading_through` (a querier's) reads database schemas, and databases it does not
//! know, from the backend every time (and keeps what it read): a query started right after a
//! write acknowledged elsewhere sees the tables, columns and database that write created, even
//! before the feed brings them. On a backend error it answers from memory.
//!
//! While the feed is down (backend unreachable) lookups keep being answered from the last state
//! (warm cache), writes of cached entities fail at once with [`CatalogError::Unavailable`], and
//! the sync task reconnects with bounded backoff and reloads a snapshot. [`CachedCatalog::is_connected`]
//! and [`CachedCatalog::sync_age`] report the feed's health.

mod sync;
mod view;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use auth::TokenHash;
use tokio::task::JoinHandle;

use crate::dbrp::plan;
use crate::{
    Catalog, CatalogChange, CatalogError, CatalogSnapshot, ChangeStream, Database, DatabaseId,
    DatabaseName, DatabaseOptions, DatabaseSchema, DatabaseUpdate, Dbrp, DbrpFilter, DbrpId,
    DbrpUpdate, FileSwap, IngesterInfo, IngesterLease, LogPartition, NewDbrp, NewToken,
    ParquetFileRecord, PersistCommit, RemovedFile, SchemaUpsert, TableId, TokenId, TokenRecord,
    TokenUpdate, plan_upsert,
};
use view::View;

/// State shared by the cache and its sync task.
#[derive(Debug)]
struct Shared {
    view: RwLock<View>,
    connected: AtomicBool,
    /// When the feed was lost (`None` while connected).
    disconnected_at: Mutex<Option<Instant>>,
}

fn poisoned() -> CatalogError {
    CatalogError::Internal("catalog cache lock poisoned".into())
}

impl Shared {
    fn read<T>(&self, f: impl FnOnce(&View) -> T) -> Result<T, CatalogError> {
        Ok(f(&*self.view.read().map_err(|_| poisoned())?))
    }

    fn write<T>(&self, f: impl FnOnce(&mut View) -> T) -> Result<T, CatalogError> {
        Ok(f(&mut *self.view.write().map_err(|_| poisoned())?))
    }

    fn replace(&self, view: View) -> Result<(), CatalogError> {
        self.write(|v| *v = view)
    }

    fn apply(&self, change: CatalogChange) -> Result<(), CatalogError> {
        self.write(|v| {
            v.apply(change);
        })
    }

    fn set_connected(&self, connected: bool) {
        let was = self.connected.swap(connected, Ordering::SeqCst);
        if let Ok(mut at) = self.disconnected_at.lock() {
            match (was, connected) {
                (true, false) => *at = Some(Instant::now()),
                (_, true) => *at = None,
                (false, false) => {}
            }
        }
    }
}

/// A catalog cache in front of `backend` (see the module docs). Dropping it stops its task.
#[derive(Debug)]
pub struct CachedCatalog {
    backend: Arc<dyn Catalog>,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
    /// Schemas and unknown databases are read from the backend (see the module docs).
    read_through: bool,
}

impl Drop for CachedCatalog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CachedCatalog {
    /// Loads the backend's snapshot, opens its feed and starts following it. Fails when the
    /// backend cannot be read now. Must be called within a Tokio runtime.
    pub async fn new(backend: Arc<dyn Catalog>) -> Result<Self, CatalogError> {
        let shared = Arc::new(Shared {
            view: RwLock::new(View::default()),
            connected: AtomicBool::new(false),
            disconnected_at: Mutex::new(None),
        });
        let stream = sync::connect(backend.as_ref(), &shared).await?;
        let task = tokio::spawn(sync::run(Arc::clone(&backend), Arc::clone(&shared), stream));
        Ok(Self {
            backend,
            shared,
            task,
            read_through: false,
        })
    }

    /// Reads database schemas, and databases not in the cache, from the backend (falling back
    /// to the cache when it fails), for read-after-write across processes: a querier's cache.
    pub fn reading_through(mut self) -> Self {
        self.read_through = true;
        self
    }

    /// True while the change feed is live.
    pub fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::SeqCst)
    }

    /// How stale the cache may be: zero while the feed is live (changes arrive as they happen),
    /// otherwise the time since the feed was lost.
    pub fn sync_age(&self) -> Duration {
        self.shared
            .disconnected_at
            .lock()
            .ok()
            .and_then(|at| at.map(|t| t.elapsed()))
            .unwrap_or(Duration::ZERO)
    }

    fn require_connected(&self) -> Result<(), CatalogError> {
        if self.is_connected() {
            Ok(())
        } else {
            Err(CatalogError::Unavailable(format!(
                "the catalog cannot be reached (feed down for {:.1} s); retrying in the background",
                self.sync_age().as_secs_f64()
            )))
        }
    }

    /// The cached schema when it already answers `upsert` (nothing new, or a type conflict).
    fn answer_from_cache(
        &self,
        id: DatabaseId,
        upsert: &SchemaUpsert,
    ) -> Result<Option<Result<DatabaseSchema, CatalogError>>, CatalogError> {
        self.shared.read(|v| {
            let db = v.database_by_id(id)?;
            let schema = v.database_schema(id)?;
            match plan_upsert(db.name.as_str(), &schema, &db.limits, upsert) {
                Ok(plan) if plan.is_empty() => Some(Ok(schema)),
                // Columns never change type: a conflict with the cache is final.
                Err(e @ CatalogError::SchemaConflict { .. }) => Some(Err(e)),
                // New columns, or limits (which may have been raised since): ask the backend.
                Ok(_) | Err(_) => None,
            }
        })
    }
}

#[async_trait]
impl Catalog for CachedCatalog {
    async fn create_database(
        &self,
        name: &DatabaseName,
        options: DatabaseOptions,
    ) -> Result<Database, CatalogError> {
        self.require_connected()?;
        match self.backend.create_database(name, options).await {
            Ok(db) => {
                self.shared.write(|v| v.local_database(db.clone()))?;
                Ok(db)
            }
            Err(e @ CatalogError::DatabaseAlreadyExists { .. }) => {
                // Another router created it and the feed has not brought it yet: learn it now
                // so the caller's next lookup (get_or_create_database) finds it.
                if let Ok(Some(db)) = self.backend.database_by_name(name).await {
                    self.shared.write(|v| v.learned_database(db))?;
                }
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    async fn database_by_name(
        &self,
        name: &DatabaseName,
    ) -> Result<Option<Database>, CatalogError> {
        let cached = self.shared.read(|v| v.database_by_name(name))?;
        if cached.is_some() || !self.read_through {
            return Ok(cached);
        }
        match self.backend.database_by_name(name).await {
            Ok(Some(db)) => {
                self.shared.write(|v| v.learned_database(db.clone()))?;
                Ok(Some(db))
            }
            Ok(None) => Ok(None),
            Err(error) => {
                tracing::debug!(%error, "reading a database through failed; answering from the cache");
                Ok(cached)
            }
        }
    }

    async fn list_databases(&self) -> Result<Vec<Database>, CatalogError> {
        self.shared.read(View::list_databases)
    }

    async fn database_schema(&self, id: DatabaseId) -> Result<DatabaseSchema, CatalogError> {
        if self.read_through {
            match self.backend.database_schema(id).await {
                Ok(schema) => {
                    self.shared.write(|v| v.local_schema(schema.clone()))?;
                    return Ok(schema);
                }
                Err(error @ CatalogError::DatabaseIdNotFound { .. }) => return Err(error),
                Err(error) => {
                    tracing::debug!(%error, "reading a schema through failed; answering from the cache");
                }
            }
        }
        self.shared
            .read(|v| v.database_schema(id))?
            .ok_or(CatalogError::DatabaseIdNotFound { id: id.0 })
    }

    async fn upsert_schema(
        &self,
        id: DatabaseId,
        upsert: &SchemaUpsert,
    ) -> Result<DatabaseSchema, CatalogError> {
        if let Some(answer) = self.answer_from_cache(id, upsert)? {
            return answer;
        }
        self.require_connected()?;
        let schema = self.backend.upsert_schema(id, upsert).await?;
        self.shared.write(|v| v.local_schema(schema.clone()))?;
        // Answer with the merged view: it may know columns the result does not show yet.
        Ok(self
            .shared
            .read(|v| v.database_schema(id))?
            .unwrap_or(schema))
    }

    async fn create_token(&self, token: NewToken) -> Result<TokenRecord, CatalogError> {
        self.require_connected()?;
        let record = self.backend.create_token(token).await?;
        self.shared.write(|v| v.local_token(record.clone()))?;
        Ok(record)
    }

    async fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, CatalogError> {
        self.shared.read(|v| v.token_by_hash(hash))
    }

    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError> {
        self.shared.read(View::list_tokens)
    }

    async fn revoke_token(&self, id: TokenId) -> Result<TokenRecord, CatalogError> {
        self.require_connected()?;
        let record = self.backend.revoke_token(id).await?;
        self.shared.write(|v| v.local_token(record.clone()))?;
        Ok(record)
    }

    async fn database_by_id(&self, id: DatabaseId) -> Result<Option<Database>, CatalogError> {
        self.shared.read(|v| v.database_by_id(id))
    }

    async fn update_database(
        &self,
        id: DatabaseId,
        update: DatabaseUpdate,
    ) -> Result<Database, CatalogError> {
        self.require_connected()?;
        let db = self.backend.update_database(id, update).await?;
        self.shared.write(|v| v.local_database(db.clone()))?;
        Ok(db)
    }

    async fn delete_database(&self, id: DatabaseId) -> Result<Database, CatalogError> {
        self.require_connected()?;
        let db = self.backend.delete_database(id).await?;
        self.shared.write(|v| {
            v.local_database_deleted(id);
            let gone = plan::delete_target(v.dbrps(), id);
            v.local_dbrps(&gone);
        })?;
        Ok(db)
    }

    async fn token_by_id(&self, id: TokenId) -> Result<Option<TokenRecord>, CatalogError> {
        self.shared.read(|v| v.token_by_id(id))
    }

    async fn update_token(
        &self,
        id: TokenId,
        update: TokenUpdate,
    ) -> Result<TokenRecord, CatalogError> {
        self.require_connected()?;
        let record = self.backend.update_token(id, update).await?;
        self.shared.write(|v| v.local_token(record.clone()))?;
        Ok(record)
    }

    async fn delete_token(&self, id: TokenId) -> Result<(), CatalogError> {
        self.require_connected()?;
        self.backend.delete_token(id).await?;
        self.shared.write(|v| v.local_token_deleted(id))
    }

    async fn create_dbrp(&self, new: NewDbrp) -> Result<Dbrp, CatalogError> {
        self.require_connected()?;
        let dbrp = self.backend.create_dbrp(new).await?;
        self.shared.write(|v| {
            let changes = plan::settle_written(v.dbrps(), &dbrp);
            v.local_dbrps(&changes);
        })?;
        Ok(dbrp)
    }

    async fn list_dbrps(&self, filter: &DbrpFilter) -> Result<Vec<Dbrp>, CatalogError> {
        self.shared.read(|v| v.list_dbrps(filter))
    }

    async fn dbrp_by_id(&self, id: DbrpId) -> Result<Option<Dbrp>, CatalogError> {
        self.shared.read(|v| v.dbrp_by_id(id))
    }

    async fn update_dbrp(&self, id: DbrpId, update: DbrpUpdate) -> Result<Dbrp, CatalogError> {
        self.require_connected()?;
        let dbrp = self.backend.update_dbrp(id, update).await?;
        self.shared.write(|v| {
            let changes = plan::settle_written(v.dbrps(), &dbrp);
            v.local_dbrps(&changes);
        })?;
        Ok(dbrp)
    }

    async fn delete_dbrp(&self, id: DbrpId) -> Result<Dbrp, CatalogError> {
        self.require_connected()?;
        let dbrp = self.backend.delete_dbrp(id).await?;
        self.shared.write(|v| {
            let changes = plan::settle_deleted(v.dbrps(), &dbrp);
            v.local_dbrps(&changes);
        })?;
        Ok(dbrp)
    }

    async fn snapshot(&self) -> Result<CatalogSnapshot, CatalogError> {
        self.backend.snapshot().await
    }

    async fn watch(&self, after_revision: u64) -> Result<ChangeStream, CatalogError> {
        self.backend.watch(after_revision).await
    }

    async fn persisted_offsets(&self) -> Result<BTreeMap<LogPartition, u64>, CatalogError> {
        self.backend.persisted_offsets().await
    }

    async fn commit_persist(&self, commit: PersistCommit) -> Result<(), CatalogError> {
        self.backend.commit_persist(commit).await
    }

    async fn parquet_files(
        &self,
        database_id: DatabaseId,
        table_id: TableId,
    ) -> Result<BTreeMap<String, Vec<ParquetFileRecord>>, CatalogError> {
        self.backend.parquet_files(database_id, table_id).await
    }

    async fn replace_files(&self, swap: FileSwap) -> Result<(), CatalogError> {
        self.backend.replace_files(swap).await
    }

    async fn removed_files(&self) -> Result<Vec<RemovedFile>, CatalogError> {
        self.backend.removed_files().await
    }

    async fn purge_removed_files(&self, object_ids: &[String]) -> Result<(), CatalogError> {
        self.backend.purge_removed_files(object_ids).await
    }

    async fn all_parquet_files(&self) -> Result<Vec<ParquetFileRecord>, CatalogError> {
        self.backend.all_parquet_files().await
    }

    async fn deleted_databases(&self) -> Result<Vec<Database>, CatalogError> {
        self.backend.deleted_databases().await
    }

    async fn purge_database_files(&self, id: DatabaseId) -> Result<(), CatalogError> {
        self.backend.purge_database_files(id).await
    }

    async fn register_ingester(
        &self,
        info: IngesterInfo,
        ttl: Duration,
    ) -> Result<Box<dyn IngesterLease>, CatalogError> {
        self.backend.register_ingester(info, ttl).await
    }

    async fn ingesters(&self) -> Result<Vec<IngesterInfo>, CatalogError> {
        self.backend.ingesters().await
    }
}
