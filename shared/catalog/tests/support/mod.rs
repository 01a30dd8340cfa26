//! A backend that can be switched "down": every call fails with `Unavailable` and open watch
//! streams end with an error, as when etcd is unreachable. Counts the calls it receives.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use auth::TokenHash;
use catalog::{
    Catalog, CatalogError, CatalogSnapshot, ChangeStream, Database, DatabaseId, DatabaseName,
    DatabaseOptions, DatabaseSchema, DatabaseUpdate, IngesterInfo, IngesterLease, LogPartition,
    MemCatalog, NewToken, ParquetFileRecord, PersistCommit, SchemaUpsert, TableId, TokenId,
    TokenRecord, TokenUpdate,
};
use futures::StreamExt;
use tokio::sync::watch;

#[derive(Debug)]
pub struct Switch {
    pub inner: Arc<MemCatalog>,
    down: watch::Sender<bool>,
    calls: AtomicUsize,
}

impl Switch {
    pub fn new(inner: Arc<MemCatalog>) -> Self {
        Self {
            inner,
            down: watch::channel(false).0,
            calls: AtomicUsize::new(0),
        }
    }

    pub fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }

    /// Calls received so far (failed ones included), except the feed's `snapshot` and `watch`.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn check(&self) -> Result<(), CatalogError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.feed_check()
    }

    fn feed_check(&self) -> Result<(), CatalogError> {
        if *self.down.borrow() {
            Err(CatalogError::Unavailable(
                "switched down by the test".into(),
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Catalog for Switch {
    async fn create_database(
        &self,
        name: &DatabaseName,
        options: DatabaseOptions,
    ) -> Result<Database, CatalogError> {
        self.check()?;
        self.inner.create_database(name, options).await
    }
    async fn database_by_name(
        &self,
        name: &DatabaseName,
    ) -> Result<Option<Database>, CatalogError> {
        self.check()?;
        self.inner.database_by_name(name).await
    }
    async fn list_databases(&self) -> Result<Vec<Database>, CatalogError> {
        self.check()?;
        self.inner.list_databases().await
    }
    async fn database_schema(&self, id: DatabaseId) -> Result<DatabaseSchema, CatalogError> {
        self.check()?;
        self.inner.database_schema(id).await
    }
    async fn upsert_schema(
        &self,
        id: DatabaseId,
        upsert: &SchemaUpsert,
    ) -> Result<DatabaseSchema, CatalogError> {
        self.check()?;
        self.inner.upsert_schema(id, upsert).await
    }
    async fn create_token(&self, token: NewToken) -> Result<TokenRecord, CatalogError> {
        self.check()?;
        self.inner.create_token(token).await
    }
    async fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, CatalogError> {
        self.check()?;
        self.inner.token_by_hash(hash).await
    }
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError> {
        self.check()?;
        self.inner.list_tokens().await
    }
    async fn revoke_token(&self, id: TokenId) -> Result<TokenRecord, CatalogError> {
        self.check()?;
        self.inner.revoke_token(id).await
    }
    async fn database_by_id(&self, id: DatabaseId) -> Result<Option<Database>, CatalogError> {
        self.check()?;
        self.inner.database_by_id(id).await
    }
    async fn update_database(
        &self,
        id: DatabaseId,
        update: DatabaseUpdate,
    ) -> Result<Database, CatalogError> {
        self.check()?;
        self.inner.update_database(id, update).await
    }
    async fn delete_database(&self, id: DatabaseId) -> Result<Database, CatalogError> {
        self.check()?;
        self.inner.delete_database(id).await
    }
    async fn token_by_id(&self, id: TokenId) -> Result<Option<TokenRecord>, CatalogError> {
        self.check()?;
        self.inner.token_by_id(id).await
    }
    async fn update_token(
        &self,
        id: TokenId,
        update: TokenUpdate,
    ) -> Result<TokenRecord, CatalogError> {
        self.check()?;
        self.inner.update_token(id, update).await
    }
    async fn delete_token(&self, id: TokenId) -> Result<(), CatalogError> {
        self.check()?;
        self.inner.delete_token(id).await
    }
    async fn snapshot(&self) -> Result<CatalogSnapshot, CatalogError> {
        self.feed_check()?;
        self.inner.snapshot().await
    }
    async fn watch(&self, after_revision: u64) -> Result<ChangeStream, CatalogError> {
        self.feed_check()?;
        let inner = self.inner.watch(after_revision).await?;
        let mut down = self.down.subscribe();
        let went_down = async move {
            // Ends when the switch goes down (or the switch is dropped).
            let _ = down.wait_for(|d| *d).await;
        };
        let end = futures::stream::once(async {
            Err(CatalogError::Unavailable("watch cut: switched down".into()))
        });
        Ok(inner.take_until(went_down).chain(end).boxed())
    }
    async fn persisted_offsets(&self) -> Result<BTreeMap<LogPartition, u64>, CatalogError> {
        self.check()?;
        self.inner.persisted_offsets().await
    }
    async fn commit_persist(&self, commit: PersistCommit) -> Result<(), CatalogError> {
        self.check()?;
        self.inner.commit_persist(commit).await
    }
    async fn parquet_files(
        &self,
        database_id: DatabaseId,
        table_id: TableId,
    ) -> Result<BTreeMap<String, Vec<ParquetFileRecord>>, CatalogError> {
        self.check()?;
        self.inner.parquet_files(database_id, table_id).await
    }
    async fn register_ingester(
        &self,
        info: IngesterInfo,
        ttl: Duration,
    ) -> Result<Box<dyn IngesterLease>, CatalogError> {
        self.check()?;
        self.inner.register_ingester(info, ttl).await
    }
    async fn ingesters(&self) -> Result<Vec<IngesterInfo>, CatalogError> {
        self.check()?;
        self.inner.ingesters().await
    }
}
