//! The change feed of the in-process catalogs: a bounded history plus a broadcast channel.
//!
//! ```text
//! State::apply ──► CatalogChange ──► Feed::publish ──► history (last HISTORY changes)
//!                                                   └─► broadcast ──► every ChangeStream
//! watch(after) = history entries > after  ++  broadcast entries (subscribed under the same lock)
//! ```
//!
//! `publish` and `subscribe` run under the catalog's state lock, so a subscriber sees every
//! change exactly once and in order. A watcher that falls too far behind, or asks for a revision
//! older than the history, gets an error and reloads a snapshot.

use std::collections::VecDeque;

use futures::StreamExt;
use tokio::sync::broadcast;

use crate::{CatalogChange, CatalogError, ChangeStream};

/// Changes kept for `watch(after)` replays.
const HISTORY: usize = 4096;
/// Changes buffered per live watcher before it is cut off as lagging.
const CHANNEL: usize = 4096;

#[derive(Debug)]
pub struct Feed {
    history: VecDeque<CatalogChange>,
    /// Revision of the newest change dropped from the history (0: none dropped).
    dropped_up_to: u64,
    sender: broadcast::Sender<CatalogChange>,
}

impl Default for Feed {
    fn default() -> Self {
        Self {
            history: VecDeque::with_capacity(64),
            dropped_up_to: 0,
            sender: broadcast::channel(CHANNEL).0,
        }
    }
}

impl Feed {
    /// Records `change` and sends it to every watcher. Call under the state lock.
    pub fn publish(&mut self, change: CatalogChange) {
        if self.history.len() == HISTORY
            && let Some(dropped) = self.history.pop_front()
        {
            self.dropped_up_to = dropped.revision();
        }
        self.history.push_back(change.clone());
        // No receiver is fine: nobody watches.
        let _ = self.sender.send(change);
    }

    /// A stream of every change after `after`. Call under the state lock.
    pub fn subscribe(&self, after: u64) -> ChangeStream {
        if after < self.dropped_up_to {
            let err = CatalogError::Unavailable(format!(
                "catalog change history no longer reaches back to revision {after}; reload a snapshot"
            ));
            return futures::stream::iter([Err(err)]).boxed();
        }
        let replay: Vec<Result<CatalogChange, CatalogError>> = self
            .history
            .iter()
            .filter(|c| c.revision() > after)
            .cloned()
            .map(Ok)
            .collect();
        let live =
            futures::stream::unfold(Some(self.sender.subscribe()), move |receiver| async move {
                let mut receiver = receiver?;
                match receiver.recv().await {
                    // `after` may be ahead of the state: skip until past it.
                    Ok(change) if change.revision() <= after => Some((None, Some(receiver))),
                    Ok(change) => Some((Some(Ok(change)), Some(receiver))),
                    Err(broadcast::error::RecvError::Lagged(n)) => Some((
                        Some(Err(CatalogError::Unavailable(format!(
                            "catalog watcher fell {n} changes behind; reload a snapshot"
                        )))),
                        None,
                    )),
                    Err(broadcast::error::RecvError::Closed) => None,
                }
            })
            .filter_map(futures::future::ready);
        futures::stream::iter(replay).chain(live).boxed()
    }
}
