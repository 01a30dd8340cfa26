//! Backends that fail, to reach the 5xx rows of the error tables.

use async_trait::async_trait;
use auth::TokenHash;
use std::collections::BTreeMap;
use std::time::Duration;

use catalog::{
    Catalog, CatalogError, CatalogSnapshot, ChangeStream, Database, DatabaseId, DatabaseName,
    DatabaseOptions, DatabaseSchema, DatabaseUpdate, IngesterInfo, IngesterLease, LogPartition,
    NewToken, ParquetFileRecord, PersistCommit, SchemaUpsert, TableId, TokenId, TokenRecord,
    TokenUpdate,
};
use write_log::{LogPosition, LogWrite, WriteLog, WriteLogError};

/// Every call fails with the same error.
#[derive(Debug)]
pub struct FailingCatalog(pub CatalogError);

#[async_trait]
impl Catalog for FailingCatalog {
    async fn create_database(
        &self,
        _: &DatabaseName,
        _: DatabaseOptions,
    ) -> Result<Database, CatalogError> {
        Err(self.0.clone())
    }
    async fn database_by_name(&self, _: &DatabaseName) -> Result<Option<Database>, CatalogError> {
        Err(self.0.clone())
    }
    async fn list_databases(&self) -> Result<Vec<Database>, CatalogError> {
        Err(self.0.clone())
    }
    async fn database_schema(&self, _: DatabaseId) -> Result<DatabaseSchema, CatalogError> {
        Err(self.0.clone())
    }
    async fn upsert_schema(
        &self,
        _: DatabaseId,
        _: &SchemaUpsert,
    ) -> Result<DatabaseSchema, CatalogError> {
        Err(self.0.clone())
    }
    async fn create_token(&self, _: NewToken) -> Result<TokenRecord, CatalogError> {
        Err(self.0.clone())
    }
    async fn token_by_hash(&self, _: &TokenHash) -> Result<Option<TokenRecord>, CatalogError> {
        Err(self.0.clone())
    }
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError> {
        Err(self.0.clone())
    }
    async fn revoke_token(&self, _: TokenId) -> Result<TokenRecord, CatalogError> {
        Err(self.0.clone())
    }
    async fn database_by_id(&self, _: DatabaseId) -> Result<Option<Database>, CatalogError> {
        Err(self.0.clone())
    }
    async fn update_database(
        &self,
        _: DatabaseId,
        _: DatabaseUpdate,
    ) -> Result<Database, CatalogError> {
        Err(self.0.clone())
    }
    async fn delete_database(&self, _: DatabaseId) -> Result<Database, CatalogError> {
        Err(self.0.clone())
    }
    async fn token_by_id(&self, _: TokenId) -> Result<Option<TokenRecord>, CatalogError> {
        Err(self.0.clone())
    }
    async fn update_token(&self, _: TokenId, _: TokenUpdate) -> Result<TokenRecord, CatalogError> {
        Err(self.0.clone())
    }
    async fn delete_token(&self, _: TokenId) -> Result<(), CatalogError> {
        Err(self.0.clone())
    }
    async fn snapshot(&self) -> Result<CatalogSnapshot, CatalogError> {
        Err(self.0.clone())
    }
    async fn watch(&self, _: u64) -> Result<ChangeStream, CatalogError> {
        Err(self.0.clone())
    }
    async fn persisted_offsets(&self) -> Result<BTreeMap<LogPartition, u64>, CatalogError> {
        Err(self.0.clone())
    }
    async fn commit_persist(&self, _: PersistCommit) -> Result<(), CatalogError> {
        Err(self.0.clone())
    }
    async fn parquet_files(
        &self,
        _: DatabaseId,
        _: TableId,
    ) -> Result<BTreeMap<String, Vec<ParquetFileRecord>>, CatalogError> {
        Err(self.0.clone())
    }
    async fn register_ingester(
        &self,
        _: IngesterInfo,
        _: Duration,
    ) -> Result<Box<dyn IngesterLease>, CatalogError> {
        Err(self.0.clone())
    }
    async fn ingesters(&self) -> Result<Vec<IngesterInfo>, CatalogError> {
        Err(self.0.clone())
    }
}

/// Every append fails with the same error.
#[derive(Debug)]
pub struct FailingLog(pub WriteLogError);

#[async_trait]
impl WriteLog for FailingLog {
    fn partition_count(&self) -> u32 {
        1
    }
    async fn append(&self, _: LogPartition, _: LogWrite) -> Result<LogPosition, WriteLogError> {
        Err(self.0.clone())
    }
    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, WriteLogError> {
        Err(self.0.clone())
    }
    async fn flush(&self) -> Result<(), WriteLogError> {
        Ok(())
    }
}
