//! In-process catalogs: [`MemCatalog`] (memory only) and, over the same engine, the embedded
//! disk backend (`DiskCatalog`, whose journal makes every change durable first).
//!
//! ```text
//! Catalog call ──► lock ──► State::plan_* ──► Fact ──► Journal::record (no-op | append+fsync)
//!                                                  ──► State::apply ──► changes ──► Feed::publish
//!                                                                                  ──► watchers
//! ```
//!
//! One mutex guards state, journal and feed, so changes are serialised: compare-and-swap rules
//! (schema, persisted offsets, unique names and hashes, DBRP defaults, file swaps) hold
//! trivially. Leases
//! live beside it, process-local.

mod feed;
mod leases;
mod state;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use auth::TokenHash;

use crate::{
    Catalog, CatalogError, CatalogSnapshot, ChangeStream, Database, DatabaseId, DatabaseName,
    DatabaseOptions, DatabaseSchema, DatabaseUpdate, Dbrp, DbrpFilter, DbrpId, DbrpUpdate,
    FileSwap, IngesterInfo, IngesterLease, LogPartition, NewDbrp, NewToken, ParquetFileRecord,
    PersistCommit, RemovedFile, SchemaUpsert, TableId, TokenId, TokenRecord, TokenUpdate,
};
use feed::Feed;
use leases::Leases;
pub(crate) use state::{Fact, State};

/// Makes a fact durable before it is applied. Implemented by the disk backend's log.
pub trait Journal: Send + std::fmt::Debug + 'static {
    /// Persists `fact`; `state` is the state before it (for compaction). On error the fact is
    /// not applied and the caller sees the error.
    fn record(&mut self, fact: &Fact, state: &State) -> Result<(), CatalogError>;
}

/// The journal of [`MemCatalog`]: nothing survives the process.
#[derive(Debug, Default)]
pub struct Volatile;

impl Journal for Volatile {
    fn record(&mut self, _fact: &Fact, _state: &State) -> Result<(), CatalogError> {
        Ok(())
    }
}

/// A catalog engine held in process memory, with journal `J`.
#[derive(Debug)]
pub struct LocalCatalog<J> {
    inner: Mutex<Inner<J>>,
    leases: Leases,
}

#[derive(Debug)]
struct Inner<J> {
    state: State,
    feed: Feed,
    journal: J,
}

/// A catalog held in process memory; everything is lost on exit.
pub type MemCatalog = LocalCatalog<Volatile>;

impl MemCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::with_state(State::default(), Volatile)
    }
}

impl Default for MemCatalog {
    fn default() -> Self {
        Self::new()
    }
}

impl<J: Journal> LocalCatalog<J> {
    /// A catalog starting from `state` (e.g. replayed from disk), recording changes in `journal`.
    pub fn with_state(state: State, journal: J) -> Self {
        Self {
            inner: Mutex::new(Inner {
                state,
                feed: Feed::default(),
                journal,
            }),
            leases: Leases::default(),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner<J>>, CatalogError> {
        self.inner
            .lock()
            .map_err(|_| CatalogError::Internal("catalog state lock poisoned".into()))
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> Result<T, CatalogError> {
        Ok(f(&self.lock()?.state))
    }

    /// Plans under the lock, records and applies the fact, then reads the result.
    fn write<T>(
        &self,
        plan: impl FnOnce(&State) -> Result<Option<Fact>, CatalogError>,
        result: impl FnOnce(&State) -> Result<T, CatalogError>,
    ) -> Result<T, CatalogError> {
        let mut guard = self.lock()?;
        let inner = &mut *guard;
        if let Some(fact) = plan(&inner.state)? {
            inner.journal.record(&fact, &inner.state)?;
            let changes = inner.state.apply(fact);
            inner.feed.publish(changes);
        }
        result(&inner.state)
    }

    /// [`Self::write`] for an operation whose plan also yields its answer.
    fn write_planned<T>(
        &self,
        plan: impl FnOnce(&State) -> Result<(T, Option<Fact>), CatalogError>,
    ) -> Result<T, CatalogError> {
        let mut answer = None;
        self.write(
            |s| {
                let (value, fact) = plan(s)?;
                answer = Some(value);
                Ok(fact)
            },
            |_| Ok(()),
        )?;
        answer.ok_or_else(|| CatalogError::Internal("planned answer vanished".into()))
    }
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn live_db(state: &State, id: DatabaseId) -> Result<Database, CatalogError> {
    state
        .database_by_id(id)
        .ok_or(CatalogError::DatabaseIdNotFound { id: id.0 })
}

fn token(state: &State, id: TokenId) -> Result<TokenRecord, CatalogError> {
    state
        .token_by_id(id)
        .ok_or(CatalogError::TokenNotFound { id: id.0 })
}

#[async_trait]
impl<J: Journal> Catalog for LocalCatalog<J> {
    async fn create_database(
        &self,
        name: &DatabaseName,
        options: DatabaseOptions,
    ) -> Result<Database, CatalogError> {
        let now = now_ns();
        self.write(
            |s| s.plan_create_database(name, options, now).map(Some),
            |s| {
                s.database_by_name(name).ok_or_else(|| {
                    CatalogError::Internal(format!("database {name:?} vanished after creation"))
                })
            },
        )
    }

    async fn database_by_name(
        &self,
        name: &DatabaseName,
    ) -> Result<Option<Database>, CatalogError> {
        self.read(|s| s.database_by_name(name))
    }

    async fn list_databases(&self) -> Result<Vec<Database>, CatalogError> {
        self.read(State::list_databases)
    }

    async fn database_schema(&self, id: DatabaseId) -> Result<DatabaseSchema, CatalogError> {
        self.read(|s| s.database_schema(id))?
    }

    async fn upsert_schema(
        &self,
        id: DatabaseId,
        upsert: &SchemaUpsert,
    ) -> Result<DatabaseSchema, CatalogError> {
        self.write(
            |s| s.plan_upsert_schema(id, upsert),
            |s| s.database_schema(id),
        )
    }

    async fn create_token(&self, token: NewToken) -> Result<TokenRecord, CatalogError> {
        let hash = token.hash;
        let now = now_ns();
        self.write(
            |s| s.plan_create_token(token, now).map(Some),
            |s| {
                s.token_by_hash(&hash)
                    .ok_or_else(|| CatalogError::Internal("token vanished after creation".into()))
            },
        )
    }

    async fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, CatalogError> {
        self.read(|s| s.token_by_hash(hash))
    }

    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError> {
        self.read(State::list_tokens)
    }

    async fn revoke_token(&self, id: TokenId) -> Result<TokenRecord, CatalogError> {
        let update = TokenUpdate {
            description: None,
            active: Some(false),
        };
        self.update_token(id, update).await
    }

    async fn database_by_id(&self, id: DatabaseId) -> Result<Option<Database>, CatalogError> {
        self.read(|s| s.database_by_id(id))
    }

    async fn update_database(
        &self,
        id: DatabaseId,
        update: DatabaseUpdate,
    ) -> Result<Database, CatalogError> {
        self.write(
            |s| s.plan_update_database(id, update).map(Some),
            |s| live_db(s, id),
        )
    }

    async fn delete_database(&self, id: DatabaseId) -> Result<Database, CatalogError> {
        let now = now_ns();
        self.write_planned(|s| {
            let fact = s.plan_delete_database(id, now)?;
            let deleted = match &fact {
                Fact::DatabasePut(db) | Fact::DatabaseDeleted { database: db, .. } => db.clone(),
                other => {
                    return Err(CatalogError::Internal(format!(
                        "a database deletion planned {other:?}"
                    )));
                }
            };
            Ok((deleted, Some(fact)))
        })
    }

    async fn token_by_id(&self, id: TokenId) -> Result<Option<TokenRecord>, CatalogError> {
        self.read(|s| s.token_by_id(id))
    }

    async fn update_token(
        &self,
        id: TokenId,
        update: TokenUpdate,
    ) -> Result<TokenRecord, CatalogError> {
        self.write(
            |s| s.plan_update_token(id, update).map(Some),
            |s| token(s, id),
        )
    }

    async fn delete_token(&self, id: TokenId) -> Result<(), CatalogError> {
        self.write(|s| s.plan_delete_token(id).map(Some), |_| Ok(()))
    }

    async fn create_dbrp(&self, new: NewDbrp) -> Result<Dbrp, CatalogError> {
        self.write_planned(|s| {
            let (dbrp, fact) = s.plan_create_dbrp(new)?;
            Ok((dbrp, Some(fact)))
        })
    }

    async fn list_dbrps(&self, filter: &DbrpFilter) -> Result<Vec<Dbrp>, CatalogError> {
        self.read(|s| s.list_dbrps(filter))
    }

    async fn dbrp_by_id(&self, id: DbrpId) -> Result<Option<Dbrp>, CatalogError> {
        self.read(|s| s.dbrp_by_id(id))
    }

    async fn update_dbrp(&self, id: DbrpId, update: DbrpUpdate) -> Result<Dbrp, CatalogError> {
        self.write_planned(|s| s.plan_update_dbrp(id, &update))
    }

    async fn delete_dbrp(&self, id: DbrpId) -> Result<Dbrp, CatalogError> {
        self.write_planned(|s| {
            let (dbrp, fact) = s.plan_delete_dbrp(id)?;
            Ok((dbrp, Some(fact)))
        })
    }

    async fn snapshot(&self) -> Result<CatalogSnapshot, CatalogError> {
        self.read(State::snapshot)
    }

    async fn watch(&self, after_revision: u64) -> Result<ChangeStream, CatalogError> {
        Ok(self.lock()?.feed.subscribe(after_revision))
    }

    async fn persisted_offsets(&self) -> Result<BTreeMap<LogPartition, u64>, CatalogError> {
        self.read(State::persisted_offsets)
    }

    async fn commit_persist(&self, commit: PersistCommit) -> Result<(), CatalogError> {
        self.write(|s| s.plan_commit_persist(commit).map(Some), |_| Ok(()))
    }

    async fn parquet_files(
        &self,
        database_id: DatabaseId,
        table_id: TableId,
    ) -> Result<BTreeMap<String, Vec<ParquetFileRecord>>, CatalogError> {
        self.read(|s| s.parquet_files(database_id, table_id))
    }

    async fn replace_files(&self, swap: FileSwap) -> Result<(), CatalogError> {
        let now = now_ns();
        self.write(|s| s.plan_replace_files(swap, now).map(Some), |_| Ok(()))
    }

    async fn removed_files(&self) -> Result<Vec<RemovedFile>, CatalogError> {
        self.read(State::removed_files)
    }

    async fn purge_removed_files(&self, object_ids: &[String]) -> Result<(), CatalogError> {
        self.write(|s| Ok(s.plan_purge_removed_files(object_ids)), |_| Ok(()))
    }

    async fn all_parquet_files(&self) -> Result<Vec<ParquetFileRecord>, CatalogError> {
        self.read(State::all_parquet_files)
    }

    async fn deleted_databases(&self) -> Result<Vec<Database>, CatalogError> {
        self.read(State::deleted_databases)
    }

    async fn purge_database_files(&self, id: DatabaseId) -> Result<(), CatalogError> {
        self.write(|s| s.plan_purge_database_files(id), |_| Ok(()))
    }

    async fn register_ingester(
        &self,
        info: IngesterInfo,
        ttl: Duration,
    ) -> Result<Box<dyn IngesterLease>, CatalogError> {
        self.leases.register(info, ttl)
    }

    async fn ingesters(&self) -> Result<Vec<IngesterInfo>, CatalogError> {
        self.leases.alive()
    }
}
