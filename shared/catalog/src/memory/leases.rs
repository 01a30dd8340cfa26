//! Process-local ingester leases: a deadline per registration.
//!
//! ```text
//! register_ingester(info, ttl) ──► Leases{id → (info, ttl, deadline)} ──► LocalLease handle
//! keep_alive: deadline = now + ttl      release: remove      ingesters(): deadline > now
//! ```
//!
//! Registering an ingester id that is already registered replaces the older registration (as a
//! put of the same key does in etcd).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{CatalogError, IngesterInfo, IngesterLease};

#[derive(Debug)]
struct Entry {
    lease: u64,
    info: IngesterInfo,
    ttl: Duration,
    deadline: Instant,
}

#[derive(Debug, Default)]
struct Table {
    next_lease: u64,
    by_ingester: BTreeMap<String, Entry>,
}

/// The lease table of one catalog.
#[derive(Debug, Clone, Default)]
pub(super) struct Leases {
    table: Arc<Mutex<Table>>,
}

fn lock(table: &Mutex<Table>) -> Result<MutexGuard<'_, Table>, CatalogError> {
    table
        .lock()
        .map_err(|_| CatalogError::Internal("ingester lease table lock poisoned".into()))
}

impl Leases {
    pub(super) fn register(
        &self,
        info: IngesterInfo,
        ttl: Duration,
    ) -> Result<Box<dyn IngesterLease>, CatalogError> {
        let mut table = lock(&self.table)?;
        table.next_lease += 1;
        let lease = table.next_lease;
        let ingester = info.id.clone();
        table.by_ingester.insert(
            ingester.clone(),
            Entry {
                lease,
                info,
                ttl,
                deadline: Instant::now() + ttl,
            },
        );
        Ok(Box::new(LocalLease {
            table: Arc::clone(&self.table),
            ingester: Mutex::new(ingester),
            lease,
        }))
    }

    pub(super) fn alive(&self) -> Result<Vec<IngesterInfo>, CatalogError> {
        let mut table = lock(&self.table)?;
        let now = Instant::now();
        table.by_ingester.retain(|_, e| e.deadline > now);
        Ok(table.by_ingester.values().map(|e| e.info.clone()).collect())
    }
}

#[derive(Debug)]
struct LocalLease {
    table: Arc<Mutex<Table>>,
    /// The ingester id the lease publishes (changes with `update`).
    ingester: Mutex<String>,
    lease: u64,
}

impl LocalLease {
    fn ingester(&self) -> Result<String, CatalogError> {
        self.ingester
            .lock()
            .map(|id| id.clone())
            .map_err(|_| CatalogError::Internal("ingester lease lock poisoned".into()))
    }

    /// The live entry of this lease, or an error when it expired, was released or replaced.
    fn with_entry<T>(&self, f: impl FnOnce(&mut Entry) -> T) -> Result<T, CatalogError> {
        let ingester = self.ingester()?;
        let mut table = lock(&self.table)?;
        let now = Instant::now();
        match table.by_ingester.get_mut(&ingester) {
            Some(entry) if entry.lease == self.lease && entry.deadline > now => Ok(f(entry)),
            _ => Err(CatalogError::Internal(format!(
                "lease of ingester {ingester:?} expired or was released; register again"
            ))),
        }
    }
}

#[async_trait]
impl IngesterLease for LocalLease {
    async fn keep_alive(&self) -> Result<(), CatalogError> {
        self.with_entry(|e| e.deadline = Instant::now() + e.ttl)
    }

    async fn update(&self, info: IngesterInfo) -> Result<(), CatalogError> {
        let old = self.ingester()?;
        let entry = self.with_entry(|e| Entry {
            lease: e.lease,
            info: info.clone(),
            ttl: e.ttl,
            deadline: e.deadline,
        })?;
        let mut table = lock(&self.table)?;
        table.by_ingester.remove(&old);
        table.by_ingester.insert(info.id.clone(), entry);
        drop(table);
        *self
            .ingester
            .lock()
            .map_err(|_| CatalogError::Internal("ingester lease lock poisoned".into()))? = info.id;
        Ok(())
    }

    async fn release(&self) -> Result<(), CatalogError> {
        let ingester = self.ingester()?;
        let mut table = lock(&self.table)?;
        if table
            .by_ingester
            .get(&ingester)
            .is_some_and(|e| e.lease == self.lease)
        {
            table.by_ingester.remove(&ingester);
        }
        Ok(())
    }
}
