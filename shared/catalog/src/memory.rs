//! In-memory catalog: one mutex over plain maps. For tests and single-process `quiver serve`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use auth::TokenHash;

use crate::{
    Catalog, CatalogError, ColumnId, ColumnSchema, Database, DatabaseId, DatabaseName,
    DatabaseOptions, DatabaseSchema, NewToken, SchemaUpsert, TableId, TableSchema, TokenId,
    TokenRecord, plan_upsert,
};

/// A catalog held in process memory; everything is lost on exit.
#[derive(Debug, Default)]
pub struct MemCatalog {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    databases: BTreeMap<DatabaseName, Database>,
    schemas: HashMap<DatabaseId, DatabaseSchema>,
    tokens: BTreeMap<TokenId, TokenRecord>,
}

impl State {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn database_by_id(&self, id: DatabaseId) -> Result<&Database, CatalogError> {
        self.databases
            .values()
            .find(|db| db.id == id)
            .ok_or(CatalogError::DatabaseIdNotFound { id: id.0 })
    }
}

impl MemCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, CatalogError> {
        self.state
            .lock()
            .map_err(|_| CatalogError::Internal("in-memory catalog lock poisoned".into()))
    }
}

#[async_trait]
impl Catalog for MemCatalog {
    async fn create_database(
        &self,
        name: &DatabaseName,
        options: DatabaseOptions,
    ) -> Result<Database, CatalogError> {
        let mut state = self.lock()?;
        if state.databases.contains_key(name) {
            return Err(CatalogError::DatabaseAlreadyExists {
                name: name.to_string(),
            });
        }
        let id = DatabaseId(state.next_id());
        let db = Database {
            id,
            name: name.clone(),
            retention_period: options.retention_period,
            limits: options.limits.unwrap_or_default(),
        };
        state.databases.insert(name.clone(), db.clone());
        state.schemas.insert(id, DatabaseSchema::empty(id));
        Ok(db)
    }

    async fn database_by_name(
        &self,
        name: &DatabaseName,
    ) -> Result<Option<Database>, CatalogError> {
        Ok(self.lock()?.databases.get(name).cloned())
    }

    async fn list_databases(&self) -> Result<Vec<Database>, CatalogError> {
        Ok(self.lock()?.databases.values().cloned().collect())
    }

    async fn database_schema(&self, id: DatabaseId) -> Result<DatabaseSchema, CatalogError> {
        self.lock()?
            .schemas
            .get(&id)
            .cloned()
            .ok_or(CatalogError::DatabaseIdNotFound { id: id.0 })
    }

    async fn upsert_schema(
        &self,
        id: DatabaseId,
        upsert: &SchemaUpsert,
    ) -> Result<DatabaseSchema, CatalogError> {
        let mut state = self.lock()?;
        let db = state.database_by_id(id)?.clone();
        let current = state
            .schemas
            .get(&id)
            .ok_or(CatalogError::DatabaseIdNotFound { id: id.0 })?;
        let plan = plan_upsert(db.name.as_str(), current, &db.limits, upsert)?;
        if plan.is_empty() {
            return Ok(current.clone());
        }
        // The plan was validated against the state we hold locked: apply it in full.
        let mut next = current.clone();
        for table in plan.new_tables {
            let table_id = TableId(state.next_id());
            next.tables.insert(
                table,
                TableSchema {
                    id: table_id,
                    columns: BTreeMap::new(),
                },
            );
        }
        for (table, column, column_type) in plan.new_columns {
            let column_id = ColumnId(state.next_id());
            if let Some(t) = next.tables.get_mut(&table) {
                t.columns.insert(
                    column,
                    ColumnSchema {
                        id: column_id,
                        column_type,
                    },
                );
            }
        }
        state.schemas.insert(id, next.clone());
        Ok(next)
    }

    async fn create_token(&self, token: NewToken) -> Result<TokenRecord, CatalogError> {
        let mut state = self.lock()?;
        if state.tokens.values().any(|t| t.hash == token.hash) {
            return Err(CatalogError::TokenAlreadyExists);
        }
        let id = TokenId(state.next_id());
        let record = TokenRecord {
            id,
            hash: token.hash,
            description: token.description,
            operator: token.operator,
            permissions: token.permissions,
            created_at_ns: now_ns(),
            revoked: false,
        };
        state.tokens.insert(id, record.clone());
        Ok(record)
    }

    async fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, CatalogError> {
        Ok(self
            .lock()?
            .tokens
            .values()
            .find(|t| t.hash == *hash)
            .cloned())
    }

    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError> {
        Ok(self.lock()?.tokens.values().cloned().collect())
    }

    async fn revoke_token(&self, id: TokenId) -> Result<TokenRecord, CatalogError> {
        let mut state = self.lock()?;
        let record = state
            .tokens
            .get_mut(&id)
            .ok_or(CatalogError::TokenNotFound { id: id.0 })?;
        record.revoked = true;
        Ok(record.clone())
    }
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::get_or_create_database;

    #[tokio::test]
    async fn passes_the_conformance_suite() {
        crate::conformance::run(Arc::new(MemCatalog::new())).await;
    }

    /// Hides databases from the first lookup, as if another router created it in between.
    #[derive(Debug)]
    struct LateLookup {
        inner: MemCatalog,
        hidden_once: AtomicBool,
    }

    #[async_trait]
    impl Catalog for LateLookup {
        async fn create_database(
            &self,
            name: &DatabaseName,
            options: DatabaseOptions,
        ) -> Result<Database, CatalogError> {
            self.inner.create_database(name, options).await
        }
        async fn database_by_name(
            &self,
            name: &DatabaseName,
        ) -> Result<Option<Database>, CatalogError> {
            if !self.hidden_once.swap(true, Ordering::SeqCst) {
                return Ok(None);
            }
            self.inner.database_by_name(name).await
        }
        async fn list_databases(&self) -> Result<Vec<Database>, CatalogError> {
            self.inner.list_databases().await
        }
        async fn database_schema(&self, id: DatabaseId) -> Result<DatabaseSchema, CatalogError> {
            self.inner.database_schema(id).await
        }
        async fn upsert_schema(
            &self,
            id: DatabaseId,
            upsert: &SchemaUpsert,
        ) -> Result<DatabaseSchema, CatalogError> {
            self.inner.upsert_schema(id, upsert).await
        }
        async fn create_token(&self, token: NewToken) -> Result<TokenRecord, CatalogError> {
            self.inner.create_token(token).await
        }
        async fn token_by_hash(
            &self,
            hash: &TokenHash,
        ) -> Result<Option<TokenRecord>, CatalogError> {
            self.inner.token_by_hash(hash).await
        }
        async fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError> {
            self.inner.list_tokens().await
        }
        async fn revoke_token(&self, id: TokenId) -> Result<TokenRecord, CatalogError> {
            self.inner.revoke_token(id).await
        }
    }

    #[tokio::test]
    async fn get_or_create_recovers_from_losing_the_creation_race() {
        let catalog = LateLookup {
            inner: MemCatalog::new(),
            hidden_once: AtomicBool::new(false),
        };
        let name = DatabaseName::new("raced").unwrap();
        let winner = catalog
            .inner
            .create_database(&name, DatabaseOptions::default())
            .await
            .unwrap();
        let (db, created) = get_or_create_database(&catalog, &name, DatabaseOptions::default())
            .await
            .unwrap();
        assert!(!created);
        assert_eq!(db, winner);
    }
}
