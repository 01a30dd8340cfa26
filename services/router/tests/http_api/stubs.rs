//! Backends that fail, to reach the 5xx rows of the error tables.

use async_trait::async_trait;
use auth::TokenHash;
use catalog::{
    Catalog, CatalogError, Database, DatabaseId, DatabaseName, DatabaseOptions, DatabaseSchema,
    NewToken, SchemaUpsert, TokenId, TokenRecord,
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
}

/// Every append fails with the same error.
#[derive(Debug)]
pub struct FailingLog(pub WriteLogError);

#[async_trait]
impl WriteLog for FailingLog {
    async fn append(&self, _: LogWrite) -> Result<LogPosition, WriteLogError> {
        Err(self.0.clone())
    }
}
