//! The change feed of the in-process catalogs: one bounded history shared by every watcher,
//! plus a "latest revision" signal.
//!
//! ```text
//! State::apply ──► CatalogChanges (one revision) ──► Feed::publish ──► History (bounded by count
//!                                                                     and size)
//!                                                  └─► latest revision (tokio watch) ──► wake
//! ChangeStream: copy history entries > last delivered ──► yield them ──► sleep until woken
//! ```
//!
//! Each change is stored once, however many watchers there are. The history is bounded by
//! [`MAX_CHANGES`] entries and [`MAX_COST`] (a schema change costs one per column, since it
//! carries the full schema). A watcher asking for — or falling behind to — a revision the
//! history no longer reaches gets an error and reloads a snapshot.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::StreamExt;
use tokio::sync::watch;

use crate::{CatalogChange, CatalogError, ChangeStream};

/// Changes kept at most.
const MAX_CHANGES: usize = 4096;
/// Total cost kept at most (roughly: records plus schema columns).
const MAX_COST: usize = 200_000;

fn cost(change: &CatalogChange) -> usize {
    match change {
        CatalogChange::SchemaChanged { schema, .. } => {
            1 + schema
                .tables
                .values()
                .map(|t| 1 + t.columns.len())
                .sum::<usize>()
        }
        CatalogChange::DbrpsChanged { dbrps, .. } => 1 + dbrps.len(),
        _ => 1,
    }
}

#[derive(Debug, Default)]
struct History {
    changes: VecDeque<CatalogChange>,
    cost: usize,
    /// Revision of the newest change dropped (0: none dropped).
    dropped_up_to: u64,
}

impl History {
    /// Changes after `after`, or an error when the history no longer reaches back to it.
    fn after(&self, after: u64) -> Result<Vec<CatalogChange>, CatalogError> {
        if after < self.dropped_up_to {
            return Err(CatalogError::Unavailable(format!(
                "catalog change history no longer reaches back to revision {after}; reload a snapshot"
            )));
        }
        Ok(self
            .changes
            .iter()
            .filter(|c| c.revision() > after)
            .cloned()
            .collect())
    }
}

#[derive(Debug)]
pub(super) struct Feed {
    history: Arc<Mutex<History>>,
    latest: watch::Sender<u64>,
}

impl Default for Feed {
    fn default() -> Self {
        Self {
            history: Arc::default(),
            latest: watch::channel(0).0,
        }
    }
}

/// The history is never left half-updated (no panics while it is locked), so a poisoned lock
/// still guards consistent data.
fn lock(history: &Mutex<History>) -> MutexGuard<'_, History> {
    history.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Feed {
    /// Records the changes of one revision and wakes the watchers. Call in revision order
    /// (under the state lock). They are added together, so a watcher reading the history sees
    /// all or none of them.
    pub(super) fn publish(&self, changes: Vec<CatalogChange>) {
        let Some(revision) = changes.last().map(CatalogChange::revision) else {
            return;
        };
        {
            let mut h = lock(&self.history);
            for change in changes {
                h.cost += cost(&change);
                h.changes.push_back(change);
            }
            while h.changes.len() > 1 && (h.changes.len() > MAX_CHANGES || h.cost > MAX_COST) {
                if let Some(dropped) = h.changes.pop_front() {
                    h.cost -= cost(&dropped);
                    h.dropped_up_to = dropped.revision();
                }
            }
        }
        self.latest.send_replace(revision);
    }

    /// A stream of every change after `after`, as they are published.
    pub(super) fn subscribe(&self, after: u64) -> ChangeStream {
        let state = Watcher {
            history: Arc::clone(&self.history),
            latest: self.latest.subscribe(),
            last: after,
            pending: VecDeque::new(),
            failed: false,
        };
        futures::stream::unfold(state, Watcher::next).boxed()
    }
}

struct Watcher {
    history: Arc<Mutex<History>>,
    latest: watch::Receiver<u64>,
    last: u64,
    pending: VecDeque<CatalogChange>,
    failed: bool,
}

impl Watcher {
    async fn next(mut self) -> Option<(Result<CatalogChange, CatalogError>, Self)> {
        loop {
            if self.failed {
                return None;
            }
            if let Some(change) = self.pending.pop_front() {
                self.last = change.revision();
                return Some((Ok(change), self));
            }
            // Mark the current signal seen before reading, so a publish after the read wakes us.
            self.latest.borrow_and_update();
            let fresh = lock(&self.history).after(self.last);
            match fresh {
                Ok(changes) if changes.is_empty() => {
                    // The catalog was dropped: the feed ends.
                    self.latest.changed().await.ok()?;
                }
                Ok(changes) => self.pending = changes.into(),
                Err(e) => {
                    self.failed = true;
                    return Some((Err(e), self));
                }
            }
        }
    }
}
