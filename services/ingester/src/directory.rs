//! The directory of `quiver serve`: one ingester in this process, owning whatever it owns now.
//!
//! ```text
//! LocalDirectory::ingesters() ──► [IngesterHandle { id, IngesterQuery, its partitions now }]
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use query::unpersisted::{IngesterDirectory, IngesterHandle, UnpersistedError};

use crate::query::IngesterQuery;

/// An [`IngesterDirectory`] listing one in-process ingester.
#[derive(Debug, Clone)]
pub struct LocalDirectory {
    id: String,
    query: IngesterQuery,
}

impl LocalDirectory {
    /// Lists the ingester behind `query` under `id`.
    pub fn new(id: impl Into<String>, query: IngesterQuery) -> Self {
        Self {
            id: id.into(),
            query,
        }
    }
}

#[async_trait]
impl IngesterDirectory for LocalDirectory {
    async fn ingesters(&self) -> Result<Vec<IngesterHandle>, UnpersistedError> {
        Ok(vec![IngesterHandle {
            id: self.id.clone(),
            source: Arc::new(self.query.clone()),
            partitions: self.query.partitions(),
        }])
    }
}
