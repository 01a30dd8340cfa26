//! The background task that keeps a [`super::CachedCatalog`] in step with its backend.
//!
//! ```text
//! connect: backend.snapshot() ──► backend.watch(snapshot.revision) ──► View::from_snapshot
//!          └─ connected = true
//! follow:  stream ──► View::apply(change) ... until the stream errors or ends
//!          └─ connected = false, disconnected_at = now
//! retry:   sleep backoff (100 ms, doubling, ≤ 2 s) ──► connect ... (backoff reset on success)
//! ```
//!
//! While disconnected the view keeps serving what it has (warm cache).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use super::Shared;
use super::view::View;
use crate::{Catalog, CatalogError, ChangeStream};

/// First reconnection delay.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest reconnection delay.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Loads a snapshot and opens the feed after it; installs the snapshot in `shared`.
pub(super) async fn connect(
    backend: &dyn Catalog,
    shared: &Shared,
) -> Result<ChangeStream, CatalogError> {
    let snapshot = backend.snapshot().await?;
    let stream = backend.watch(snapshot.revision).await?;
    let revision = snapshot.revision;
    shared.replace(View::from_snapshot(snapshot))?;
    shared.set_connected(true);
    tracing::debug!(revision, "catalog cache loaded a snapshot");
    Ok(stream)
}

/// Follows `stream`, reconnecting forever; ends only when the task is aborted.
pub(super) async fn run(backend: Arc<dyn Catalog>, shared: Arc<Shared>, mut stream: ChangeStream) {
    loop {
        let reason = follow(&shared, &mut stream).await;
        shared.set_connected(false);
        tracing::warn!(%reason, "catalog feed lost; serving cached catalog, reconnecting");
        let mut backoff = MIN_BACKOFF;
        stream = loop {
            tokio::time::sleep(backoff).await;
            match connect(backend.as_ref(), &shared).await {
                Ok(stream) => break stream,
                Err(e) => {
                    tracing::debug!(error = %e, ?backoff, "catalog feed reconnection failed");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        };
        tracing::info!("catalog feed reconnected");
    }
}

/// Applies changes until the stream fails or ends; returns why it stopped.
async fn follow(shared: &Shared, stream: &mut ChangeStream) -> String {
    while let Some(item) = stream.next().await {
        match item {
            Ok(change) => {
                if let Err(e) = shared.apply(change) {
                    return e.to_string();
                }
            }
            Err(e) => return e.to_string(),
        }
    }
    "the change stream ended".to_owned()
}
