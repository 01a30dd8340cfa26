//! The ingester's registration in the catalog: id, address and owned partitions under a lease.
//!
//! ```text
//! ownership (watch, from the consume loop) ─┐
//! timer (ttl / 3) ──────────────────────────┼─► no lease? register_ingester(info, ttl)
//!                                           ├─► partitions changed? lease.update(info)
//!                                           └─► lease.keep_alive()  (error ⇒ register again)
//! LeaseTask::release ──► lease.release()  (the registration disappears at once)
//! ```

use std::sync::Arc;
use std::time::Duration;

use catalog::{Catalog, IngesterInfo, IngesterLease, LogPartition};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::settings::Identity;

/// How long [`LeaseTask::release`] waits for the catalog.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// The background task keeping the registration alive.
#[derive(Debug)]
pub(crate) struct LeaseTask {
    stop: oneshot::Sender<()>,
    handle: JoinHandle<()>,
}

impl LeaseTask {
    /// Registers `identity` with the partitions `ownership` reports, and keeps it alive.
    pub(crate) fn spawn(
        catalog: Arc<dyn Catalog>,
        identity: Identity,
        ownership: watch::Receiver<Vec<LogPartition>>,
        ttl: Duration,
    ) -> Self {
        let (stop, stopped) = oneshot::channel();
        let handle = tokio::spawn(keep(catalog, identity, ownership, ttl, stopped));
        Self { stop, handle }
    }

    /// Stops keeping the lease alive and releases it (bounded wait).
    pub(crate) async fn release(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(RELEASE_TIMEOUT, self.handle)
            .await
            .is_err()
        {
            tracing::warn!("releasing the ingester lease timed out; it expires with its TTL");
        }
    }
}

async fn keep(
    catalog: Arc<dyn Catalog>,
    identity: Identity,
    mut ownership: watch::Receiver<Vec<LogPartition>>,
    ttl: Duration,
    mut stopped: oneshot::Receiver<()>,
) {
    let info = |partitions: Vec<LogPartition>| IngesterInfo {
        id: identity.id.clone(),
        address: identity.address.clone(),
        partitions,
    };
    let mut lease: Option<Box<dyn IngesterLease>> = None;
    let mut published: Vec<LogPartition> = Vec::new();
    let mut owner_alive = true;
    let mut timer = tokio::time::interval((ttl / 3).max(Duration::from_millis(100)));
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut tick = false;
        tokio::select! {
            _ = &mut stopped => break,
            changed = ownership.changed(), if owner_alive => owner_alive = changed.is_ok(),
            _ = timer.tick() => tick = true,
        }
        let partitions = ownership.borrow_and_update().clone();
        match &lease {
            None => match catalog
                .register_ingester(info(partitions.clone()), ttl)
                .await
            {
                Ok(l) => {
                    tracing::info!(id = %identity.id, ?partitions, "registered in the catalog");
                    lease = Some(l);
                    published = partitions;
                }
                Err(error) => tracing::warn!(%error, "cannot register the ingester; retrying"),
            },
            Some(l) => {
                let mut result = Ok(());
                if partitions != published {
                    result = l.update(info(partitions.clone())).await;
                    if result.is_ok() {
                        published = partitions;
                    }
                }
                if result.is_ok() && tick {
                    result = l.keep_alive().await;
                }
                if let Err(error) = result {
                    tracing::warn!(%error, "ingester lease lost; registering again");
                    lease = None;
                }
            }
        }
    }
    if let Some(l) = lease {
        match l.release().await {
            Ok(()) => tracing::info!(id = %identity.id, "ingester lease released"),
            Err(error) => tracing::warn!(%error, "cannot release the ingester lease"),
        }
    }
}
