//! Reading the catalog's persisted offsets for newly assigned partitions without blocking the
//! consume loop: while etcd is down the loop keeps serving events, persist results, queries and
//! shutdown; the read is retried in a background task.
//!
//! ```text
//! request(p) ──► p needs a read that STARTS after now: generation g + 1
//!   no read running ──► spawn: catalog.persisted_offsets(), retried every second until it
//!                       answers ──► (generation, offsets) ──► channel
//! next() ──► (generation, offsets) ──► complete(): the partitions whose needed generation is
//!            ≤ generation get their offset (seek to it + 1); the others start another read
//! forget(p): revoked meanwhile  ·  drop: aborts the running read
//! ```
//!
//! Why generations: the previous owner of a partition may commit a persist right before the
//! partition moves here, so its offset must be read after the assignment, never from a read
//! that was already running.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use catalog::{Catalog, LogPartition};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// Delay between attempts while the catalog is unreachable.
const CATALOG_BACKOFF: Duration = Duration::from_secs(1);

/// The result of one read.
type Fetched = (u64, BTreeMap<LogPartition, u64>);

/// Pending reads of persisted offsets.
#[derive(Debug)]
pub(crate) struct OffsetReads {
    catalog: Arc<dyn Catalog>,
    /// Partitions waiting, with the generation of the read they need.
    waiting: BTreeMap<LogPartition, u64>,
    /// Generation of the last read started.
    generation: u64,
    running: Option<AbortHandle>,
    tx: mpsc::UnboundedSender<Fetched>,
    rx: mpsc::UnboundedReceiver<Fetched>,
}

impl OffsetReads {
    /// No partition waiting.
    pub(crate) fn new(catalog: Arc<dyn Catalog>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            catalog,
            waiting: BTreeMap::new(),
            generation: 0,
            running: None,
            tx,
            rx,
        }
    }

    /// `p` needs its persisted offset, read from now on.
    pub(crate) fn request(&mut self, p: LogPartition) {
        self.waiting.insert(p, self.generation + 1);
        if self.running.is_none() {
            self.start();
        }
    }

    /// `p` no longer needs its offset (revoked).
    pub(crate) fn forget(&mut self, p: LogPartition) {
        self.waiting.remove(&p);
    }

    /// The next finished read. Cancel-safe; pending forever while no read runs.
    pub(crate) async fn next(&mut self) -> Fetched {
        match self.rx.recv().await {
            Some(fetched) => fetched,
            // Unreachable: `self` holds a sender.
            None => std::future::pending().await,
        }
    }

    /// Hands out the offsets of the partitions `fetched` serves (`None`: nothing persisted yet);
    /// starts another read for those that need a newer one.
    pub(crate) fn complete(&mut self, fetched: Fetched) -> Vec<(LogPartition, Option<u64>)> {
        let (generation, offsets) = fetched;
        if generation == self.generation {
            self.running = None;
        }
        let served: Vec<LogPartition> = self
            .waiting
            .iter()
            .filter(|&(_, &needed)| needed <= generation)
            .map(|(p, _)| *p)
            .collect();
        let out = served
            .into_iter()
            .map(|p| {
                self.waiting.remove(&p);
                (p, offsets.get(&p).copied())
            })
            .collect();
        if !self.waiting.is_empty() && self.running.is_none() {
            self.start();
        }
        out
    }

    fn start(&mut self) {
        self.generation += 1;
        let generation = self.generation;
        let catalog = Arc::clone(&self.catalog);
        let tx = self.tx.clone();
        let task = tokio::spawn(async move {
            loop {
                match catalog.persisted_offsets().await {
                    Ok(offsets) => {
                        let _ = tx.send((generation, offsets));
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "cannot read persisted offsets; retrying");
                        tokio::time::sleep(CATALOG_BACKOFF).await;
                    }
                }
            }
        });
        self.running = Some(task.abort_handle());
    }
}

impl Drop for OffsetReads {
    fn drop(&mut self) {
        if let Some(task) = self.running.take() {
            task.abort();
        }
    }
}
