//! The catalog: databases, tokens, tables and columns — behind one object-safe async trait.
//!
//! ```text
//! router ──► Arc<dyn Catalog> ──► MemCatalog            (this issue: tests, `quiver serve`)
//!                             ├─► etcd backend          (next issue; CAS transactions)
//!                             └─► embedded disk backend (next issue)
//!
//! write: DatabaseName::new ──► get_or_create_database ──► Database {id, retention, limits}
//!        columns of the write ──► SchemaUpsert ──► upsert_schema (additive, atomic)
//!                                                  └─ plan_upsert: conflicts / limits ──► CatalogError
//! ```
//!
//! Every backend answers the same [`conformance`] suite. Schema changes are planned by the pure
//! [`plan_upsert`] against a snapshot and applied only if the snapshot is still current
//! (compare-and-swap), so a backend never needs in-process locks to be correct.

mod error;
mod memory;
mod model;
mod name;
mod upsert;

pub mod conformance;

use async_trait::async_trait;

pub use error::CatalogError;
pub use memory::MemCatalog;
pub use model::{
    ColumnId, ColumnSchema, Database, DatabaseId, DatabaseOptions, DatabaseSchema, Limits,
    NewToken, TableId, TableSchema, TokenId, TokenRecord,
};
pub use name::{DatabaseName, DatabaseNameError};
pub use upsert::{SchemaUpsert, UpsertPlan, plan_upsert};

/// The catalog of a Quiver cluster. Object-safe: use it as `Arc<dyn Catalog>`.
///
/// Semantics every backend must keep (checked by [`conformance`]):
/// - names are unique; creating an existing database fails with
///   [`CatalogError::DatabaseAlreadyExists`] (the loser of a race sees that error);
/// - [`Catalog::upsert_schema`] is additive and atomic: either every new table and column of the
///   request is added or none is; existing columns never change type;
/// - tokens are stored by hash only.
#[async_trait]
pub trait Catalog: Send + Sync + std::fmt::Debug + 'static {
    /// Creates a database. Fails when the name is taken.
    async fn create_database(
        &self,
        name: &DatabaseName,
        options: DatabaseOptions,
    ) -> Result<Database, CatalogError>;

    /// Looks a database up by name.
    async fn database_by_name(&self, name: &DatabaseName)
    -> Result<Option<Database>, CatalogError>;

    /// All databases, ordered by name.
    async fn list_databases(&self) -> Result<Vec<Database>, CatalogError>;

    /// The tables and columns of a database.
    async fn database_schema(&self, id: DatabaseId) -> Result<DatabaseSchema, CatalogError>;

    /// Adds the tables and columns of `upsert` that do not exist yet, atomically, and returns the
    /// resulting schema. Type conflicts and limit violations reject the whole request.
    async fn upsert_schema(
        &self,
        id: DatabaseId,
        upsert: &SchemaUpsert,
    ) -> Result<DatabaseSchema, CatalogError>;

    /// Stores a token record (by hash). Fails when the hash is already stored.
    async fn create_token(&self, token: NewToken) -> Result<TokenRecord, CatalogError>;

    /// Looks a token up by the hash of its value (revoked tokens are returned too).
    async fn token_by_hash(
        &self,
        hash: &auth::TokenHash,
    ) -> Result<Option<TokenRecord>, CatalogError>;

    /// All token records, ordered by id.
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError>;

    /// Marks a token revoked; returns the updated record.
    async fn revoke_token(&self, id: TokenId) -> Result<TokenRecord, CatalogError>;
}

/// Returns the database `name`, creating it with `options` when absent. Safe against concurrent
/// creators: the loser of a creation race reads the winner's database. The flag is true when
/// this call created it.
pub async fn get_or_create_database(
    catalog: &dyn Catalog,
    name: &DatabaseName,
    options: DatabaseOptions,
) -> Result<(Database, bool), CatalogError> {
    if let Some(db) = catalog.database_by_name(name).await? {
        return Ok((db, false));
    }
    match catalog.create_database(name, options).await {
        Ok(db) => Ok((db, true)),
        Err(CatalogError::DatabaseAlreadyExists { .. }) => catalog
            .database_by_name(name)
            .await?
            .map(|db| (db, false))
            .ok_or_else(|| CatalogError::DatabaseNotFound {
                name: name.to_string(),
            }),
        Err(e) => Err(e),
    }
}
