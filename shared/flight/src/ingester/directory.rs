//! `CatalogIngesterDirectory`: who owns which log partition, from the ingesters' leases in the
//! catalog, with one [`FlightIngesterClient`] per address kept across calls (so connections are
//! reused).
//!
//! ```text
//! ingesters() ──► catalog.ingesters() (live leases: id, address, partitions)
//!               (error ──► UnpersistedError::Directory)
//!             ──► per lease: the cached client of its address (new one for a new address;
//!                 clients of addresses no longer listed are dropped)
//!             ──► [IngesterHandle { id, source: client, partitions }]
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use catalog::Catalog;
use query::unpersisted::{IngesterDirectory, IngesterHandle, UnpersistedError};

use super::client::{FlightIngesterClient, IngesterClientSettings};

/// The ingesters of a cluster, as their leases publish them.
#[derive(Debug)]
pub struct CatalogIngesterDirectory {
    catalog: Arc<dyn Catalog>,
    settings: IngesterClientSettings,
    clients: Mutex<HashMap<String, Arc<FlightIngesterClient>>>,
}

impl CatalogIngesterDirectory {
    /// Lists the ingesters registered in `catalog`; dials them with `settings`.
    pub fn new(catalog: Arc<dyn Catalog>, settings: IngesterClientSettings) -> Self {
        Self {
            catalog,
            settings,
            clients: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl IngesterDirectory for CatalogIngesterDirectory {
    async fn ingesters(&self) -> Result<Vec<IngesterHandle>, UnpersistedError> {
        let infos = self
            .catalog
            .ingesters()
            .await
            .map_err(|e| UnpersistedError::Directory(e.to_string()))?;
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        clients.retain(|address, _| infos.iter().any(|i| &i.address == address));
        Ok(infos
            .into_iter()
            .map(|info| {
                let client = clients.entry(info.address.clone()).or_insert_with(|| {
                    Arc::new(FlightIngesterClient::new(&info.address, self.settings))
                });
                IngesterHandle {
                    id: info.id,
                    source: Arc::clone(client) as _,
                    partitions: info.partitions,
                }
            })
            .collect())
    }
}
