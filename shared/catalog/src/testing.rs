//! [`FaultyCatalog`]: the one delegating wrapper tests use to make a catalog fail or to count
//! its calls, instead of re-implementing every [`Catalog`] method (feature `testing`).
//!
//! ```text
//! FaultyCatalog::new(inner)
//!   every call ──► calls[method] += 1 ──► fault(method)? ──► Some(error) ──► Err(error)
//!                                                        └─► None ──► inner.method(…)
//!   watch streams ──► end with the fault's error as soon as a fault for `Watch` is set
//!                     (an etcd outage cuts open watches)
//! fail_all(error) | fail_with(|method| …) | heal()
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::watch;

use crate::{
    Catalog, CatalogError, CatalogSnapshot, ChangeStream, Database, DatabaseId, DatabaseName,
    DatabaseOptions, DatabaseSchema, DatabaseUpdate, Dbrp, DbrpFilter, DbrpId, DbrpUpdate,
    FileSwap, IngesterInfo, IngesterLease, LogPartition, NewDbrp, NewToken, ParquetFileRecord,
    PersistCommit, RemovedFile, SchemaUpsert, TableId, TokenId, TokenRecord, TokenUpdate,
};

/// A [`Catalog`] method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // the names say it
pub enum Method {
    CreateDatabase,
    DatabaseByName,
    ListDatabases,
    DatabaseSchema,
    UpsertSchema,
    CreateToken,
    TokenByHash,
    ListTokens,
    RevokeToken,
    DatabaseById,
    UpdateDatabase,
    DeleteDatabase,
    TokenById,
    UpdateToken,
    DeleteToken,
    CreateDbrp,
    ListDbrps,
    DbrpById,
    UpdateDbrp,
    DeleteDbrp,
    Snapshot,
    Watch,
    PersistedOffsets,
    CommitPersist,
    ParquetFiles,
    RegisterIngester,
    Ingesters,
    ReplaceFiles,
    RemovedFiles,
    PurgeRemovedFiles,
    AllParquetFiles,
    DeletedDatabases,
    PurgeDatabaseFiles,
}

impl Method {
    /// Every method.
    pub const ALL: [Self; 33] = [
        Self::CreateDatabase,
        Self::DatabaseByName,
        Self::ListDatabases,
        Self::DatabaseSchema,
        Self::UpsertSchema,
        Self::CreateToken,
        Self::TokenByHash,
        Self::ListTokens,
        Self::RevokeToken,
        Self::DatabaseById,
        Self::UpdateDatabase,
        Self::DeleteDatabase,
        Self::TokenById,
        Self::UpdateToken,
        Self::DeleteToken,
        Self::CreateDbrp,
        Self::ListDbrps,
        Self::DbrpById,
        Self::UpdateDbrp,
        Self::DeleteDbrp,
        Self::Snapshot,
        Self::Watch,
        Self::PersistedOffsets,
        Self::CommitPersist,
        Self::ParquetFiles,
        Self::RegisterIngester,
        Self::Ingesters,
        Self::ReplaceFiles,
        Self::RemovedFiles,
        Self::PurgeRemovedFiles,
        Self::AllParquetFiles,
        Self::DeletedDatabases,
        Self::PurgeDatabaseFiles,
    ];

    /// The change feed's methods (what a cache calls to follow the catalog).
    pub fn is_feed(self) -> bool {
        matches!(self, Self::Snapshot | Self::Watch)
    }
}

type Fault = Arc<dyn Fn(Method) -> Option<CatalogError> + Send + Sync>;

/// A catalog that delegates to another, fails where told to, and counts every call.
pub struct FaultyCatalog {
    inner: Arc<dyn Catalog>,
    fault: Arc<Mutex<Option<Fault>>>,
    /// Bumped on every fault change (open watch streams re-check).
    changed: watch::Sender<u64>,
    calls: [AtomicUsize; Method::ALL.len()],
}

impl std::fmt::Debug for FaultyCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyCatalog")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl FaultyCatalog {
    /// Delegates to `inner`, failing nothing yet.
    pub fn new(inner: Arc<dyn Catalog>) -> Self {
        Self {
            inner,
            fault: Arc::new(Mutex::new(None)),
            changed: watch::channel(0).0,
            calls: std::array::from_fn(|_| AtomicUsize::new(0)),
        }
    }

    /// The wrapped catalog.
    pub fn inner(&self) -> &Arc<dyn Catalog> {
        &self.inner
    }

    /// Every call fails with `error` (and open watch streams end with it) until [`Self::heal`].
    pub fn fail_all(&self, error: CatalogError) {
        self.fail_with(move |_| Some(error.clone()));
    }

    /// Calls fail with what `fault` answers for their method (`None`: delegated).
    pub fn fail_with(
        &self,
        fault: impl Fn(Method) -> Option<CatalogError> + Send + Sync + 'static,
    ) {
        *self.lock() = Some(Arc::new(fault));
        self.changed.send_modify(|n| *n += 1);
    }

    /// Nothing fails any more.
    pub fn heal(&self) {
        *self.lock() = None;
        self.changed.send_modify(|n| *n += 1);
    }

    /// Calls of `method` so far (failed ones included).
    pub fn calls(&self, method: Method) -> usize {
        self.calls[method as usize].load(Ordering::SeqCst)
    }

    /// Calls so far of every method `filter` accepts.
    pub fn calls_where(&self, filter: impl Fn(Method) -> bool) -> usize {
        Method::ALL
            .iter()
            .filter(|m| filter(**m))
            .map(|m| self.calls(*m))
            .sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Fault>> {
        self.fault.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fault_for(&self, method: Method) -> Option<CatalogError> {
        let fault = self.lock().clone();
        fault.and_then(|f| f(method))
    }

    /// Counts the call; the fault's error when there is one.
    fn enter(&self, method: Method) -> Result<(), CatalogError> {
        self.calls[method as usize].fetch_add(1, Ordering::SeqCst);
        match self.fault_for(method) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Catalog for FaultyCatalog {
    async fn create_database(
        &self,
        name: &DatabaseName,
        options: DatabaseOptions,
    ) -> Result<Database, CatalogError> {
        self.enter(Method::CreateDatabase)?;
        self.inner.create_database(name, options).await
    }

    async fn database_by_name(
        &self,
        name: &DatabaseName,
    ) -> Result<Option<Database>, CatalogError> {
        self.enter(Method::DatabaseByName)?;
        self.inner.database_by_name(name).await
    }

    async fn list_databases(&self) -> Result<Vec<Database>, CatalogError> {
        self.enter(Method::ListDatabases)?;
        self.inner.list_databases().await
    }

    async fn database_schema(&self, id: DatabaseId) -> Result<DatabaseSchema, CatalogError> {
        self.enter(Method::DatabaseSchema)?;
        self.inner.database_schema(id).await
    }

    async fn upsert_schema(
        &self,
        id: DatabaseId,
        upsert: &SchemaUpsert,
    ) -> Result<DatabaseSchema, CatalogError> {
        self.enter(Method::UpsertSchema)?;
        self.inner.upsert_schema(id, upsert).await
    }

    async fn create_token(&self, token: NewToken) -> Result<TokenRecord, CatalogError> {
        self.enter(Method::CreateToken)?;
        self.inner.create_token(token).await
    }

    async fn token_by_hash(
        &self,
        hash: &auth::TokenHash,
    ) -> Result<Option<TokenRecord>, CatalogError> {
        self.enter(Method::TokenByHash)?;
        self.inner.token_by_hash(hash).await
    }

    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError> {
        self.enter(Method::ListTokens)?;
        self.inner.list_tokens().await
    }

    async fn revoke_token(&self, id: TokenId) -> Result<TokenRecord, CatalogError> {
        self.enter(Method::RevokeToken)?;
        self.inner.revoke_token(id).await
    }

    async fn database_by_id(&self, id: DatabaseId) -> Result<Option<Database>, CatalogError> {
        self.enter(Method::DatabaseById)?;
        self.inner.database_by_id(id).await
    }

    async fn update_database(
        &self,
        id: DatabaseId,
        update: DatabaseUpdate,
    ) -> Result<Database, CatalogError> {
        self.enter(Method::UpdateDatabase)?;
        self.inner.update_database(id, update).await
    }

    async fn delete_database(&self, id: DatabaseId) -> Result<Database, CatalogError> {
        self.enter(Method::DeleteDatabase)?;
        self.inner.delete_database(id).await
    }

    async fn token_by_id(&self, id: TokenId) -> Result<Option<TokenRecord>, CatalogError> {
        self.enter(Method::TokenById)?;
        self.inner.token_by_id(id).await
    }

    async fn update_token(
        &self,
        id: TokenId,
        update: TokenUpdate,
    ) -> Result<TokenRecord, CatalogError> {
        self.enter(Method::UpdateToken)?;
        self.inner.update_token(id, update).await
    }

    async fn delete_token(&self, id: TokenId) -> Result<(), CatalogError> {
        self.enter(Method::DeleteToken)?;
        self.inner.delete_token(id).await
    }

    async fn create_dbrp(&self, new: NewDbrp) -> Result<Dbrp, CatalogError> {
        self.enter(Method::CreateDbrp)?;
        self.inner.create_dbrp(new).await
    }

    async fn list_dbrps(&self, filter: &DbrpFilter) -> Result<Vec<Dbrp>, CatalogError> {
        self.enter(Method::ListDbrps)?;
        self.inner.list_dbrps(filter).await
    }

    async fn dbrp_by_id(&self, id: DbrpId) -> Result<Option<Dbrp>, CatalogError> {
        self.enter(Method::DbrpById)?;
        self.inner.dbrp_by_id(id).await
    }

    async fn update_dbrp(&self, id: DbrpId, update: DbrpUpdate) -> Result<Dbrp, CatalogError> {
        self.enter(Method::UpdateDbrp)?;
        self.inner.update_dbrp(id, update).await
    }

    async fn delete_dbrp(&self, id: DbrpId) -> Result<Dbrp, CatalogError> {
        self.enter(Method::DeleteDbrp)?;
        self.inner.delete_dbrp(id).await
    }

    async fn snapshot(&self) -> Result<CatalogSnapshot, CatalogError> {
        self.enter(Method::Snapshot)?;
        self.inner.snapshot().await
    }

    async fn watch(&self, after_revision: u64) -> Result<ChangeStream, CatalogError> {
        self.enter(Method::Watch)?;
        let inner = self.inner.watch(after_revision).await?;
        // Ends, with the fault's error, once a fault for Watch is set (or the wrapper is gone).
        let mut changed = self.changed.subscribe();
        let fault = Arc::clone(&self.fault);
        let slot = Arc::new(Mutex::new(None::<CatalogError>));
        let filled = Arc::clone(&slot);
        let cut = async move {
            while changed.changed().await.is_ok() {
                let current = fault.lock().unwrap_or_else(PoisonError::into_inner).clone();
                if let Some(error) = current.and_then(|f| f(Method::Watch)) {
                    *filled.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
                    return;
                }
            }
        };
        let end = futures::stream::once(async move {
            slot.lock().unwrap_or_else(PoisonError::into_inner).take()
        })
        .filter_map(|error| futures::future::ready(error.map(Err)));
        Ok(inner.take_until(cut).chain(end).boxed())
    }

    async fn persisted_offsets(&self) -> Result<BTreeMap<LogPartition, u64>, CatalogError> {
        self.enter(Method::PersistedOffsets)?;
        self.inner.persisted_offsets().await
    }

    async fn commit_persist(&self, commit: PersistCommit) -> Result<(), CatalogError> {
        self.enter(Method::CommitPersist)?;
        self.inner.commit_persist(commit).await
    }

    async fn parquet_files(
        &self,
        database_id: DatabaseId,
        table_id: TableId,
    ) -> Result<BTreeMap<String, Vec<ParquetFileRecord>>, CatalogError> {
        self.enter(Method::ParquetFiles)?;
        self.inner.parquet_files(database_id, table_id).await
    }

    async fn replace_files(&self, swap: FileSwap) -> Result<(), CatalogError> {
        self.enter(Method::ReplaceFiles)?;
        self.inner.replace_files(swap).await
    }

    async fn removed_files(&self) -> Result<Vec<RemovedFile>, CatalogError> {
        self.enter(Method::RemovedFiles)?;
        self.inner.removed_files().await
    }

    async fn purge_removed_files(&self, object_ids: &[String]) -> Result<(), CatalogError> {
        self.enter(Method::PurgeRemovedFiles)?;
        self.inner.purge_removed_files(object_ids).await
    }

    async fn all_parquet_files(&self) -> Result<Vec<ParquetFileRecord>, CatalogError> {
        self.enter(Method::AllParquetFiles)?;
        self.inner.all_parquet_files().await
    }

    async fn deleted_databases(&self) -> Result<Vec<Database>, CatalogError> {
        self.enter(Method::DeletedDatabases)?;
        self.inner.deleted_databases().await
    }

    async fn purge_database_files(&self, id: DatabaseId) -> Result<(), CatalogError> {
        self.enter(Method::PurgeDatabaseFiles)?;
        self.inner.purge_database_files(id).await
    }

    async fn register_ingester(
        &self,
        info: IngesterInfo,
        ttl: Duration,
    ) -> Result<Box<dyn IngesterLease>, CatalogError> {
        self.enter(Method::RegisterIngester)?;
        self.inner.register_ingester(info, ttl).await
    }

    async fn ingesters(&self) -> Result<Vec<IngesterInfo>, CatalogError> {
        self.enter(Method::Ingesters)?;
        self.inner.ingesters().await
    }
}
