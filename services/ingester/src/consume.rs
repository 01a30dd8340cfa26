//! The consume loop: log events in, buffers per log partition, persists out.
//!
//! ```text
//! LogReader::next_event ─┬─ Assigned(ps) ──► Live: assigning ──► OffsetReads (background, retried
//!                        │                   while etcd is down) ──► seek(p, offset + 1 | 0) ──►
//!                        │                   Live: ready (applied = persisted offset)
//!                        ├─ Revoked(ps)  ──► drop p's buffer, cancel its persist (new owner replays)
//!                        └─ Record(r)    ──► split by day ──► p's queue ──► feed(p):
//!                                            offset ≤ applied? skip
//!                                            buffer would span > MAX_FILES_PER_PERSIST keys?
//!                                              persist it first (wait in the queue while a
//!                                              persist of p runs; other partitions go on)
//!                                            else Live::apply (rows + applied, one lock)
//! after every event and on a timer: triggers
//!   rows ≥ --persist-max-rows | bytes ≥ --persist-max-bytes | age ≥ --persist-max-age
//!   memory > --memory-budget ──► persist the largest partitions; pause() until ≤ 3/4 budget
//!   └─► start_persist(p): snapshot = Arc(buffer) (queries keep reading it) ──► task:
//!       Persister::persist ──► done channel
//! done: Committed ──► expected = new offset, drop the snapshot, reader.persisted(p, offset),
//!                     feed(p) (records queued behind the file cap)
//!       Conflict  ──► drop p's buffer, read the catalog offset again, seek(p, offset + 1)
//! shutdown: stop reading (Live::stop_reading: queries for records not applied are refused),
//!           wait for running persists, persist every pending partition, return
//! ```
//!
//! One persist per partition runs at a time, in its own task, so consuming goes on while it
//! runs (until the memory budget says stop). Records that arrive meanwhile go to the fresh
//! buffer and are committed by the next persist.
//!
//! The file cap: a persist commits one file per (database, table, partition key) of its
//! snapshot in ONE catalog transaction, which etcd limits (`catalog::MAX_FILES_PER_PERSIST`).
//! Before a record would take a buffer over that many keys, the buffer is persisted; if a
//! persist of the partition is already running, the partition's records wait in its queue (in
//! order, counted in the memory budget) while the other partitions keep being consumed — the
//! reader can only pause all partitions at once, so queueing is what keeps one busy partition
//! from stalling the rest. A single record spanning more keys than the cap on its own is
//! buffered anyway (data is never skipped): its commit is refused by etcd, logged and retried
//! until an operator steps in (routers split records to ≤ 100 (table, day) groups, so this
//! takes a hand-made record).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use catalog::{Catalog, LogPartition, MAX_FILES_PER_PERSIST};
use tokio::sync::{mpsc, watch};
use write_log::{LogEvent, LogPosition, LogReader, LogRecord, WriteLogError};

use crate::buffer::PreparedWrite;
use crate::live::{Apply, Live};
use crate::metrics::IngesterMetrics;
use crate::offsets::OffsetReads;
use crate::persist::{PersistJob, PersistOutcome, Persister};
use crate::settings::PersistSettings;

/// Delay before calling the reader again after an error.
const READ_ERROR_BACKOFF: Duration = Duration::from_millis(500);

/// A persist in flight for a partition.
#[derive(Debug)]
struct InFlight {
    id: u64,
    new_offset: u64,
    rows: usize,
    bytes: usize,
    cancel: Arc<AtomicBool>,
}

/// A record read but not applied yet.
#[derive(Debug)]
struct Queued {
    offset: u64,
    write: PreparedWrite,
}

/// An owned log partition whose persisted offset is known (its rows live in [`Live`]).
#[derive(Debug, Default)]
struct Owned {
    /// Persisted offset in the catalog that the next commit builds on.
    expected: Option<u64>,
    in_flight: Option<InFlight>,
    /// Records waiting for a persist to make room (the file cap), in offset order.
    queue: VecDeque<Queued>,
    queued_bytes: usize,
    /// The record at this offset came from a newer writer: records after it are dropped until
    /// it is read again (after the seek back to it).
    stalled_at: Option<u64>,
}

impl Owned {
    fn cancel(&mut self) {
        if let Some(f) = self.in_flight.take() {
            f.cancel.store(true, Ordering::Release);
        }
    }

    /// Bytes held besides the live buffer: the running persist's snapshot and the queue.
    fn other_bytes(&self) -> usize {
        self.queued_bytes + self.in_flight.as_ref().map_or(0, |f| f.bytes)
    }
}

/// A finished persist, reported back to the loop.
#[derive(Debug)]
struct Done {
    partition: LogPartition,
    id: u64,
    outcome: PersistOutcome,
}

/// What the loop reports when it stops.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShutdownReport {
    /// Partitions whose pending data could not be persisted before the shutdown timeout (it
    /// stays in the log and is replayed by the next owner).
    pub unpersisted_partitions: Vec<LogPartition>,
}

/// The loop's state. Owns the reader.
pub(crate) struct Consumer<R: LogReader> {
    reader: R,
    persister: Arc<Persister>,
    metrics: Arc<IngesterMetrics>,
    settings: PersistSettings,
    ownership: watch::Sender<Vec<LogPartition>>,
    live: Arc<Live>,
    owned: BTreeMap<LogPartition, Owned>,
    offsets: OffsetReads,
    paused: bool,
    next_id: u64,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
    /// Records from a newer writer to read again, sent after [`READ_ERROR_BACKOFF`].
    retry_tx: mpsc::UnboundedSender<LogPosition>,
    retry_rx: mpsc::UnboundedReceiver<LogPosition>,
}

impl<R: LogReader> Consumer<R> {
    /// A loop over `reader`, publishing what it applies in `live`.
    pub(crate) fn new(
        reader: R,
        catalog: Arc<dyn Catalog>,
        persister: Arc<Persister>,
        metrics: Arc<IngesterMetrics>,
        settings: PersistSettings,
        ownership: watch::Sender<Vec<LogPartition>>,
        live: Arc<Live>,
    ) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let (retry_tx, retry_rx) = mpsc::unbounded_channel();
        Self {
            reader,
            persister,
            metrics,
            settings,
            ownership,
            live,
            owned: BTreeMap::new(),
            offsets: OffsetReads::new(catalog),
            paused: false,
            next_id: 0,
            done_tx,
            done_rx,
            retry_tx,
            retry_rx,
        }
    }

    /// Consumes until `shutdown` resolves, then persists everything pending (bounded by
    /// `shutdown_timeout`) and returns the reader (drop it to leave the consumer group).
    pub(crate) async fn run(mut self, shutdown: impl Future<Output = ()>) -> (R, ShutdownReport) {
        tokio::pin!(shutdown);
        let tick = self.tick();
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(done) = self.done_rx.recv() => self.on_done(done).await,
                Some(at) = self.retry_rx.recv() => self.read_again(at).await,
                fetched = self.offsets.next() => self.on_offsets(fetched).await,
                event = self.reader.next_event() => match event {
                    Ok(event) => self.on_event(event),
                    Err(error) => self.on_read_error(error).await,
                },
                () = tokio::time::sleep(tick) => {}
            }
            self.check_triggers(Instant::now());
        }
        // Queries waiting for records not read yet are sent on now (to the next owner), not
        // kept waiting through the drain.
        self.live.stop_reading();
        let report = self.drain().await;
        // Nothing is answered from this ingester any more (queries get NotOwned).
        self.live.clear();
        (self.reader, report)
    }

    /// Interval of the age check.
    fn tick(&self) -> Duration {
        (self.settings.max_age / 4).clamp(Duration::from_millis(10), Duration::from_millis(250))
    }

    fn on_event(&mut self, event: LogEvent) {
        match event {
            LogEvent::Assigned(partitions) => self.on_assigned(&partitions),
            LogEvent::Revoked(partitions) => self.on_revoked(&partitions),
            LogEvent::Record(record) => self.on_record(record),
        }
    }

    async fn on_read_error(&mut self, error: WriteLogError) {
        match error {
            WriteLogError::Malformed {
                partition, offset, ..
            } => {
                self.metrics.records_rejected.inc();
                tracing::error!(%error, "skipping an unreadable log record");
                // Applied without rows: queries waiting for this offset are answered, and the
                // next persist commits past it.
                self.enqueue(partition, offset, PreparedWrite::default());
            }
            WriteLogError::NewerFormat {
                partition, offset, ..
            } => {
                // Skipping it would lose its rows: this partition stands still (later records
                // are dropped) and reads it again until an upgraded ingester owns it. The other
                // partitions go on.
                self.metrics.records_newer_format.inc();
                tracing::error!(%error, "cannot read a log record; reading it again");
                if let Some(owned) = self.owned.get_mut(&partition) {
                    owned.stalled_at = Some(offset);
                    self.read_again_later(LogPosition { partition, offset });
                }
            }
            error if error.is_retryable() => {
                tracing::warn!(%error, "reading the write log failed; retrying");
                tokio::time::sleep(READ_ERROR_BACKOFF).await;
            }
            error => {
                tracing::error!(%error, "reading the write log failed; retrying");
                tokio::time::sleep(READ_ERROR_BACKOFF).await;
            }
        }
    }

    fn read_again_later(&self, at: LogPosition) {
        let retry = self.retry_tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(READ_ERROR_BACKOFF).await;
            let _ = retry.send(at);
        });
    }

    /// Seeks back to the record at `at` that a newer writer wrote, unless its partition moved on
    /// (revoked, or assigned afresh) meanwhile.
    async fn read_again(&mut self, at: LogPosition) {
        let stalled = self.owned.get(&at.partition).and_then(|o| o.stalled_at);
        if stalled != Some(at.offset) {
            return;
        }
        if let Err(error) = self.reader.seek(at.partition, at.offset).await {
            tracing::error!(partition = at.partition, offset = at.offset, %error, "cannot seek back to the record; trying again");
            self.read_again_later(at);
        }
    }

    fn on_assigned(&mut self, partitions: &[LogPartition]) {
        for &p in partitions {
            if let Some(mut old) = self.owned.remove(&p) {
                old.cancel();
            }
            self.live.assigning(p);
            self.offsets.request(p);
        }
        self.publish_ownership();
    }

    /// The catalog answered a read of persisted offsets: seek the partitions it serves.
    async fn on_offsets(&mut self, fetched: (u64, BTreeMap<LogPartition, u64>)) {
        for (p, persisted) in self.offsets.complete(fetched) {
            self.start_at(p, persisted).await;
        }
        self.publish_ownership();
    }

    /// Owns `p` from the persisted offset `expected`: seeks to the record after it.
    async fn start_at(&mut self, p: LogPartition, expected: Option<u64>) {
        let from = expected.map_or(0, |o| o + 1);
        match self.reader.seek(p, from).await {
            Ok(()) => {
                tracing::info!(partition = p, persisted = ?expected, from, "consuming partition");
                if let Some(o) = expected {
                    self.metrics.set_persisted(p, o);
                }
                self.owned.insert(
                    p,
                    Owned {
                        expected,
                        ..Owned::default()
                    },
                );
                self.live.ready(p, expected);
            }
            Err(error) => {
                tracing::error!(partition = p, from, %error, "cannot seek; not consuming it");
                self.live.remove(p);
                self.metrics.forget_partition(p);
            }
        }
    }

    fn on_revoked(&mut self, partitions: &[LogPartition]) {
        for &p in partitions {
            self.offsets.forget(p);
            let dropped_rows = self
                .live
                .buffer_stats()
                .into_iter()
                .find(|(q, _)| *q == p)
                .map_or(0, |(_, s)| s.rows);
            self.live.remove(p);
            if let Some(mut owned) = self.owned.remove(&p) {
                tracing::info!(
                    partition = p,
                    dropped_rows = dropped_rows + owned.in_flight.as_ref().map_or(0, |f| f.rows),
                    queued_records = owned.queue.len(),
                    "partition revoked; dropping its buffer (the new owner replays it)"
                );
                owned.cancel();
            }
            self.metrics.forget_partition(p);
        }
        self.publish_ownership();
    }

    fn publish_ownership(&self) {
        let partitions = self.live.owned();
        self.metrics.partitions_owned.set(partitions.len() as i64);
        self.ownership.send_replace(partitions);
    }

    fn on_record(&mut self, record: LogRecord) {
        let LogRecord { position, write } = record;
        let Some(owned) = self.owned.get_mut(&position.partition) else {
            self.metrics.records_skipped.inc();
            return;
        };
        if let Some(stalled) = owned.stalled_at {
            if position.offset != stalled {
                return; // read before the seek back to `stalled`: it comes again after it
            }
            owned.stalled_at = None;
        }
        let prepared = PreparedWrite::split(&write).unwrap_or_else(|error| {
            self.metrics.records_rejected.inc();
            tracing::error!(
                partition = position.partition,
                offset = position.offset,
                %error,
                "log record cannot be buffered; skipping its rows"
            );
            PreparedWrite::default()
        });
        let keys = prepared.key_count();
        if keys > MAX_FILES_PER_PERSIST {
            tracing::error!(
                partition = position.partition,
                offset = position.offset,
                keys,
                max = MAX_FILES_PER_PERSIST,
                "log record spans more (database, table, day) combinations than one catalog commit takes; buffering it anyway (its persist fails and is retried until the catalog takes it)"
            );
        }
        self.enqueue(position.partition, position.offset, prepared);
    }

    /// Queues the record at `offset` of `p` behind the ones already waiting and applies what
    /// can be applied.
    fn enqueue(&mut self, p: LogPartition, offset: u64, write: PreparedWrite) {
        let Some(owned) = self.owned.get_mut(&p) else {
            self.metrics.records_skipped.inc();
            return;
        };
        owned.queued_bytes += write.bytes();
        owned.queue.push_back(Queued { offset, write });
        self.feed(p);
    }

    /// Applies `p`'s queued records in order until the queue is empty or the next one must wait
    /// for the running persist (file cap).
    fn feed(&mut self, p: LogPartition) {
        let mut max_keys = MAX_FILES_PER_PERSIST;
        loop {
            let Some(owned) = self.owned.get_mut(&p) else {
                return;
            };
            let Some(Queued { offset, write }) = owned.queue.pop_front() else {
                return;
            };
            owned.queued_bytes -= write.bytes();
            match self.live.apply(p, offset, write, max_keys, Instant::now()) {
                Apply::Applied => {
                    self.metrics.records_applied.inc();
                    self.metrics.set_applied(p, offset);
                    max_keys = MAX_FILES_PER_PERSIST;
                }
                Apply::Skipped | Apply::NotOwned => {
                    // Already persisted (≤ the catalog offset) or already applied.
                    self.metrics.records_skipped.inc();
                }
                Apply::Full(write) => {
                    owned.queued_bytes += write.bytes();
                    owned.queue.push_front(Queued { offset, write });
                    if owned.in_flight.is_some() {
                        tracing::debug!(
                            partition = p,
                            offset,
                            "buffer at the file cap; waiting for the running persist"
                        );
                        return;
                    }
                    if !self.start_persist(p) {
                        // Cannot happen (a full buffer is pending); never stall on it.
                        max_keys = usize::MAX;
                    }
                }
            }
        }
    }

    /// Starts the persists the thresholds ask for; pauses or resumes consuming.
    fn check_triggers(&mut self, now: Instant) {
        let s = self.settings;
        let stats = self.live.buffer_stats();
        let due: Vec<LogPartition> = stats
            .iter()
            .filter(|(p, _)| self.is_idle(*p))
            .filter(|(_, b)| {
                b.rows >= s.max_rows
                    || b.bytes >= s.max_bytes
                    || b.pending_since
                        .is_some_and(|t| now.duration_since(t) >= s.max_age)
            })
            .map(|(p, _)| *p)
            .collect();
        for p in due {
            self.start_persist(p);
        }

        let stats = self.live.buffer_stats();
        let other: usize = self.owned.values().map(Owned::other_bytes).sum();
        let total: usize = stats.iter().map(|(_, b)| b.bytes).sum::<usize>() + other;
        if total > s.memory_budget {
            // Persist the largest buffers until what is not being persisted fits in half.
            let mut idle: Vec<(usize, LogPartition)> = stats
                .iter()
                .filter(|(p, b)| self.is_idle(*p) && b.bytes > 0)
                .map(|(p, b)| (b.bytes, *p))
                .collect();
            idle.sort_unstable_by(|a, b| b.cmp(a));
            let mut idle_bytes: usize = idle.iter().map(|(b, _)| b).sum();
            for (bytes, p) in idle {
                if idle_bytes <= s.memory_budget / 2 {
                    break;
                }
                self.start_persist(p);
                idle_bytes -= bytes;
            }
            if !self.paused {
                match self.reader.pause() {
                    Ok(()) => {
                        tracing::info!(
                            total,
                            budget = s.memory_budget,
                            "over the memory budget; pausing"
                        );
                        self.paused = true;
                        self.metrics.paused.set(1);
                    }
                    Err(error) => tracing::warn!(%error, "cannot pause the reader"),
                }
            }
        } else if self.paused && total <= s.memory_budget / 4 * 3 {
            match self.reader.resume() {
                Ok(()) => {
                    tracing::info!(
                        total,
                        budget = s.memory_budget,
                        "under the memory budget; resuming"
                    );
                    self.paused = false;
                    self.metrics.paused.set(0);
                }
                Err(error) => tracing::warn!(%error, "cannot resume the reader"),
            }
        }
        self.metrics.buffered_bytes.set(total as i64);
        let rows: usize = stats.iter().map(|(_, b)| b.rows).sum::<usize>()
            + self
                .owned
                .values()
                .filter_map(|o| o.in_flight.as_ref())
                .map(|f| f.rows)
                .sum::<usize>();
        self.metrics.buffered_rows.set(rows as i64);
    }

    /// True when `p` is owned and no persist of it runs.
    fn is_idle(&self, p: LogPartition) -> bool {
        self.owned.get(&p).is_some_and(|o| o.in_flight.is_none())
    }

    /// Snapshots `p`'s buffer and persists it in a task. False (nothing started) when nothing
    /// is pending or a persist of `p` is running.
    fn start_persist(&mut self, p: LogPartition) -> bool {
        let Some(owned) = self.owned.get_mut(&p) else {
            return false;
        };
        if owned.in_flight.is_some() {
            return false;
        }
        let Some((new_offset, snapshot)) = self.live.start_persist(p) else {
            return false;
        };
        let cancel = Arc::new(AtomicBool::new(false));
        self.next_id += 1;
        let id = self.next_id;
        owned.in_flight = Some(InFlight {
            id,
            new_offset,
            rows: snapshot.rows(),
            bytes: snapshot.bytes(),
            cancel: Arc::clone(&cancel),
        });
        tracing::debug!(
            partition = p,
            expected = ?owned.expected,
            new_offset,
            rows = snapshot.rows(),
            files = snapshot.tables().len(),
            "persisting"
        );
        let job = PersistJob {
            partition: p,
            expected_offset: owned.expected,
            new_offset,
            snapshot,
            cancel,
        };
        let persister = Arc::clone(&self.persister);
        let done = self.done_tx.clone();
        tokio::spawn(async move {
            let outcome = persister.persist(job).await;
            // The loop is gone only after shutdown gave up waiting; the data stays in the log.
            let _ = done.send(Done {
                partition: p,
                id,
                outcome,
            });
        });
        true
    }

    async fn on_done(&mut self, done: Done) {
        let Some(owned) = self.owned.get_mut(&done.partition) else {
            return;
        };
        let Some(in_flight) = owned.in_flight.take_if(|f| f.id == done.id) else {
            return;
        };
        let p = done.partition;
        match done.outcome {
            PersistOutcome::Committed { files, rows, .. } => {
                owned.expected = Some(in_flight.new_offset);
                self.live.persisted(p);
                self.metrics.set_persisted(p, in_flight.new_offset);
                tracing::debug!(
                    partition = p,
                    offset = in_flight.new_offset,
                    files,
                    rows,
                    "persisted"
                );
                if let Err(error) = self.reader.persisted(p, in_flight.new_offset).await {
                    tracing::warn!(partition = p, %error, "cannot report the persisted offset to the log");
                }
                // Records queued behind the file cap can go into the buffer now.
                self.feed(p);
            }
            PersistOutcome::Conflict => {
                tracing::warn!(
                    partition = p,
                    expected = ?owned.expected,
                    "another ingester moved the persisted offset; dropping the buffer and replaying from the catalog"
                );
                self.owned.remove(&p);
                self.live.assigning(p);
                self.offsets.request(p);
                self.publish_ownership();
            }
            PersistOutcome::Cancelled => {}
        }
    }

    /// Graceful shutdown: persist everything pending; bounded by the shutdown timeout.
    async fn drain(&mut self) -> ShutdownReport {
        let deadline = tokio::time::Instant::now() + self.settings.shutdown_timeout;
        loop {
            let pending: Vec<LogPartition> = self
                .owned
                .iter()
                .filter(|(p, o)| o.in_flight.is_none() && self.live.is_pending(**p))
                .map(|(p, _)| *p)
                .collect();
            for p in pending {
                self.start_persist(p);
            }
            // A queue is only ever non-empty behind a running persist.
            if self.owned.values().all(|o| o.in_flight.is_none()) {
                return ShutdownReport::default();
            }
            match tokio::time::timeout_at(deadline, self.done_rx.recv()).await {
                Ok(Some(done)) => self.on_done(done).await,
                Ok(None) | Err(_) => break,
            }
        }
        let live = Arc::clone(&self.live);
        let unpersisted: Vec<LogPartition> = self
            .owned
            .iter_mut()
            .filter(|(p, o)| o.in_flight.is_some() || !o.queue.is_empty() || live.is_pending(**p))
            .map(|(p, o)| {
                o.cancel();
                *p
            })
            .collect();
        tracing::warn!(
            partitions = ?unpersisted,
            "shutdown timeout: unpersisted data stays in the log for the next owner"
        );
        ShutdownReport {
            unpersisted_partitions: unpersisted,
        }
    }
}
