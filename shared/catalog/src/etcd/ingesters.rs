//! Ingester registrations: `ingester/<id>` → `IngesterInfo`, attached to an etcd lease.
//!
//! ```text
//! register: lease_grant(ttl) ──► put ingester/<id> with the lease ──► EtcdIngesterLease
//! keep_alive: keep-alive stream (opened lazily, reopened after an error) ──► ttl > 0 ?
//! update: put with the lease      release: lease_revoke (the key disappears)
//! ```

use std::time::Duration;

use async_trait::async_trait;
use etcd_client::{LeaseKeepAliveStream, LeaseKeeper, PutOptions};
use tokio::sync::Mutex;

use super::keys::Keys;
use super::kv::{Kv, bounded, decode, encode};
use crate::{CatalogError, IngesterInfo, IngesterLease};

pub(super) async fn register(
    kv: &Kv,
    keys: &Keys,
    info: IngesterInfo,
    ttl: Duration,
) -> Result<Box<dyn IngesterLease>, CatalogError> {
    let ttl_secs = i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX);
    let mut client = kv.client();
    let lease = bounded("lease grant", client.lease_grant(ttl_secs, None)).await?;
    let registration = EtcdIngesterLease {
        kv: kv.clone(),
        key: keys.ingester(&info.id),
        lease_id: lease.id(),
        keeper: Mutex::new(None),
    };
    registration.put(&info).await?;
    Ok(Box::new(registration))
}

pub(super) async fn list(kv: &Kv, keys: &Keys) -> Result<Vec<IngesterInfo>, CatalogError> {
    let (kvs, _) = kv.range(&keys.ingesters(), 0).await?;
    kvs.iter().map(decode::<IngesterInfo>).collect()
}

/// An ingester's key and the lease it lives under.
struct EtcdIngesterLease {
    kv: Kv,
    key: String,
    lease_id: i64,
    keeper: Mutex<Option<(LeaseKeeper, LeaseKeepAliveStream)>>,
}

impl std::fmt::Debug for EtcdIngesterLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdIngesterLease")
            .field("key", &self.key)
            .field("lease_id", &self.lease_id)
            .finish()
    }
}

impl EtcdIngesterLease {
    async fn put(&self, info: &IngesterInfo) -> Result<(), CatalogError> {
        let value = encode("ingester registration", info)?;
        let options = PutOptions::new().with_lease(self.lease_id);
        let mut client = self.kv.client();
        bounded(
            "put ingester",
            client.put(self.key.as_str(), value, Some(options)),
        )
        .await?;
        Ok(())
    }

    async fn refresh(
        &self,
        keeper: &mut Option<(LeaseKeeper, LeaseKeepAliveStream)>,
    ) -> Result<(), CatalogError> {
        if keeper.is_none() {
            let mut client = self.kv.client();
            let opened =
                bounded("lease keep-alive", client.lease_keep_alive(self.lease_id)).await?;
            *keeper = Some(opened);
        }
        let Some((sender, stream)) = keeper.as_mut() else {
            return Err(CatalogError::Internal("lease keep-alive not open".into()));
        };
        bounded("lease keep-alive", sender.keep_alive()).await?;
        match bounded("lease keep-alive", stream.message()).await? {
            Some(resp) if resp.ttl() > 0 => Ok(()),
            Some(_) => Err(CatalogError::Internal(format!(
                "ingester lease {:x} expired; register the ingester again",
                self.lease_id
            ))),
            None => Err(CatalogError::Unavailable(
                "etcd closed the lease keep-alive stream".into(),
            )),
        }
    }
}

#[async_trait]
impl IngesterLease for EtcdIngesterLease {
    async fn keep_alive(&self) -> Result<(), CatalogError> {
        let mut keeper = self.keeper.lock().await;
        let result = self.refresh(&mut keeper).await;
        if result.is_err() {
            // Reopen the stream on the next call.
            *keeper = None;
        }
        result
    }

    async fn update(&self, info: IngesterInfo) -> Result<(), CatalogError> {
        self.put(&info).await
    }

    async fn release(&self) -> Result<(), CatalogError> {
        *self.keeper.lock().await = None;
        let mut client = self.kv.client();
        bounded("lease revoke", client.lease_revoke(self.lease_id)).await?;
        Ok(())
    }
}
