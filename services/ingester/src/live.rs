//! The log partitions the ingester owns, shared by the consume loop (the only writer) and the
//! queries: per partition its phase, the last applied offset, the snapshot a running persist
//! works on, and the buffer of rows applied since — under one lock held only to move `Arc`s,
//! so a query reads `applied` and the rows it covers together.
//!
//! ```text
//! consume loop ──► assigning(p)            Kafka assigned p; the catalog offset is being read
//!              ──► ready(p, persisted)     sought: applied = persisted offset, empty buffer
//!              ──► apply(p, offset, rows)  rows into the buffer, applied = offset ──► notify
//!                    (Full: the buffer would span > MAX_FILES_PER_PERSIST keys: persist first)
//!              ──► start_persist(p)        buffer ──► Arc snapshot ("persisting"), fresh buffer
//!              ──► persisted(p)            the snapshot is in the catalog: dropped here
//!              ──► stop_reading()          shutdown: nothing more will be applied ──► notify
//!              ──► remove(p) / clear()     revoked / stopped ──► notify
//! queries ──► views(partitions, db, table): per partition NotOwned | Assigning | Behind |
//!             Stopped (behind or assigning, and reading stopped: it will never get there) |
//!             Ready { applied, Arc of the snapshot, clones of the table's buffered batches }
//!             ──► waiters sleep on changed() and look again
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use arrow::record_batch::RecordBatch;
use catalog::LogPartition;
use tokio::sync::Notify;
use tokio::sync::futures::Notified;

use crate::buffer::{PartitionBuffer, PreparedWrite};

/// One owned partition.
#[derive(Debug, Default)]
struct LivePartition {
    /// False while the catalog's persisted offset is being read (nothing applied yet).
    ready: bool,
    /// Last applied offset (or the persisted offset the partition was sought from).
    applied: Option<u64>,
    /// The snapshot a running persist is writing (rows not in the catalog yet).
    persisting: Option<Arc<PartitionBuffer>>,
    /// Rows applied after the snapshot.
    buffer: PartitionBuffer,
}

/// What [`Live::apply`] did with a record.
#[derive(Debug)]
pub(crate) enum Apply {
    /// Buffered; `applied` is its offset now.
    Applied,
    /// At or below `applied` (already persisted or applied): ignored.
    Skipped,
    /// The partition is not owned (or not sought yet).
    NotOwned,
    /// The buffer would span more than the allowed number of (database, table, partition key)
    /// combinations: persist the buffer first, then apply the record again.
    Full(PreparedWrite),
}

/// Size and age of a partition's buffer (not counting a running persist's snapshot).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BufferStats {
    /// Rows.
    pub rows: usize,
    /// Arrow bytes.
    pub bytes: usize,
    /// When the oldest unpersisted record was applied (`None`: nothing pending).
    pub pending_since: Option<Instant>,
}

/// What a query sees of one partition.
#[derive(Debug)]
pub(crate) enum PartitionView {
    /// Not owned by this ingester.
    NotOwned,
    /// Owned, but the catalog's persisted offset is still being read: nothing to answer with.
    Assigning,
    /// Owned, but not applied up to the wanted offset yet.
    Behind {
        /// Last applied offset.
        applied: Option<u64>,
    },
    /// Not applied up to the wanted offset (or not sought), and the ingester stopped reading
    /// the log (it is shutting down): it never will be.
    Stopped,
    /// Owned and applied up to the wanted offset.
    Ready {
        /// Last applied offset; the rows below are exactly those of the records up to it.
        applied: Option<u64>,
        /// The snapshot a running persist is writing.
        persisting: Option<Arc<PartitionBuffer>>,
        /// The table's batches applied after the snapshot, `(partition key, batch)`.
        buffered: Vec<(String, RecordBatch)>,
    },
}

/// The shared state. Cheap to read; written by the consume loop only.
#[derive(Debug, Default)]
pub(crate) struct Live {
    partitions: Mutex<BTreeMap<LogPartition, LivePartition>>,
    /// The consume loop stopped reading the log (shutdown): nothing more will be applied.
    reading_stopped: AtomicBool,
    changed: Notify,
}

impl Live {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<LogPartition, LivePartition>> {
        // A panic while holding the lock leaves consistent data (every update is a few
        // assignments), so a poisoned lock is still usable.
        self.partitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Resolves at the next change after it was created (and `enable`d or first polled).
    pub(crate) fn changed(&self) -> Notified<'_> {
        self.changed.notified()
    }

    fn notify(&self) {
        self.changed.notify_waiters();
    }

    /// `p` is assigned; its rows are not known until [`Live::ready`]. Drops what was buffered.
    pub(crate) fn assigning(&self, p: LogPartition) {
        self.lock().insert(p, LivePartition::default());
        self.notify();
    }

    /// `p` is consumed from the record after `persisted`.
    pub(crate) fn ready(&self, p: LogPartition, persisted: Option<u64>) {
        self.lock().insert(
            p,
            LivePartition {
                ready: true,
                applied: persisted,
                ..LivePartition::default()
            },
        );
        self.notify();
    }

    /// `p` is no longer owned: drops its rows.
    pub(crate) fn remove(&self, p: LogPartition) {
        self.lock().remove(&p);
        self.notify();
    }

    /// The consume loop stopped reading (shutdown: it persists what it holds, then lets go):
    /// no partition will be applied further.
    pub(crate) fn stop_reading(&self) {
        self.reading_stopped.store(true, Ordering::Release);
        self.notify();
    }

    /// Nothing is owned any more (the ingester stopped).
    pub(crate) fn clear(&self) {
        self.lock().clear();
        self.notify();
    }

    /// The owned partitions (sought or not).
    pub(crate) fn owned(&self) -> Vec<LogPartition> {
        self.lock().keys().copied().collect()
    }

    /// Buffers the record at `offset` of `p` (an empty `prepared` only advances `applied`), unless
    /// the buffer already spans keys and would then span more than `max_keys`.
    pub(crate) fn apply(
        &self,
        p: LogPartition,
        offset: u64,
        prepared: PreparedWrite,
        max_keys: usize,
        now: Instant,
    ) -> Apply {
        let mut partitions = self.lock();
        let Some(live) = partitions.get_mut(&p).filter(|l| l.ready) else {
            return Apply::NotOwned;
        };
        if live.applied.is_some_and(|a| offset <= a) {
            return Apply::Skipped;
        }
        if !live.buffer.tables().is_empty() && live.buffer.keys_after(&prepared) > max_keys {
            return Apply::Full(prepared);
        }
        live.buffer.insert(offset, prepared, now);
        live.applied = Some(offset);
        drop(partitions);
        self.notify();
        Apply::Applied
    }

    /// Moves `p`'s buffer into the persisting snapshot; returns the snapshot and the offset it
    /// covers up to. `None` when nothing is pending or a persist is running.
    pub(crate) fn start_persist(&self, p: LogPartition) -> Option<(u64, Arc<PartitionBuffer>)> {
        let mut partitions = self.lock();
        let live = partitions.get_mut(&p).filter(|l| l.ready)?;
        if live.persisting.is_some() || !live.buffer.is_pending() {
            return None;
        }
        let applied = live.applied?;
        let snapshot = Arc::new(live.buffer.take());
        live.persisting = Some(Arc::clone(&snapshot));
        Some((applied, snapshot))
    }

    /// `p`'s running persist committed: its snapshot is in the catalog now.
    pub(crate) fn persisted(&self, p: LogPartition) {
        if let Some(live) = self.lock().get_mut(&p) {
            live.persisting = None;
        }
    }

    /// Buffer sizes of the sought partitions (for the persist triggers).
    pub(crate) fn buffer_stats(&self) -> Vec<(LogPartition, BufferStats)> {
        self.lock()
            .iter()
            .filter(|(_, l)| l.ready)
            .map(|(p, l)| {
                let stats = BufferStats {
                    rows: l.buffer.rows(),
                    bytes: l.buffer.bytes(),
                    pending_since: l.buffer.pending_since(),
                };
                (*p, stats)
            })
            .collect()
    }

    /// True when `p`'s buffer holds records not persisted (or being persisted) yet.
    pub(crate) fn is_pending(&self, p: LogPartition) -> bool {
        self.lock().get(&p).is_some_and(|l| l.buffer.is_pending())
    }

    /// What a query for `database`.`table` sees of each `(partition, wanted offset)`, all read
    /// at one instant. Batches are only cloned for partitions that reached their offset.
    pub(crate) fn views(
        &self,
        partitions: impl IntoIterator<Item = (LogPartition, Option<u64>)>,
        database: &str,
        table: &str,
    ) -> Vec<(LogPartition, PartitionView)> {
        let owned = self.lock();
        let stopped = self.reading_stopped.load(Ordering::Acquire);
        partitions
            .into_iter()
            .map(|(p, wanted)| {
                let view = match owned.get(&p) {
                    None => PartitionView::NotOwned,
                    Some(l) if !l.ready && stopped && wanted.is_some() => PartitionView::Stopped,
                    Some(l) if !l.ready => PartitionView::Assigning,
                    Some(l) if wanted.is_some_and(|w| l.applied.is_none_or(|a| a < w)) => {
                        if stopped {
                            PartitionView::Stopped
                        } else {
                            PartitionView::Behind { applied: l.applied }
                        }
                    }
                    Some(l) => PartitionView::Ready {
                        applied: l.applied,
                        persisting: l.persisting.clone(),
                        buffered: l.buffer.table_batches(database, table),
                    },
                };
                (p, view)
            })
            .collect()
    }
}
