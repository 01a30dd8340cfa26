//! The consume loop: log events in, buffers per log partition, persists out.
//!
//! ```text
//! LogReader::next_event ─┬─ Assigned(ps) ──► catalog persisted offsets ──► seek(p, offset + 1 | 0)
//!                        ├─ Revoked(ps)  ──► drop p's buffer, cancel its persist (new owner replays)
//!                        └─ Record(r)    ──► offset ≤ persisted/applied? skip
//!                                            else PartitionBuffer::apply (split by day)
//! after every event and on a timer: triggers
//!   rows ≥ --persist-max-rows | bytes ≥ --persist-max-bytes | age ≥ --persist-max-age
//!   memory > --memory-budget ──► persist the largest partitions; pause() until ≤ 3/4 budget
//!   └─► start_persist(p): snapshot = buffer.take() ──► task: Persister::persist ──► done channel
//! done: Committed ──► expected = new offset, reader.persisted(p, offset)
//!       Conflict  ──► drop p's buffer, re-read the catalog offset, seek(p, offset + 1)
//! shutdown: wait for running persists, persist every pending partition, return
//! ```
//!
//! One persist per partition runs at a time, in its own task, so consuming goes on while it
//! runs (until the memory budget says stop). Records that arrive meanwhile go to the fresh
//! buffer and are committed by the next persist.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use catalog::{Catalog, LogPartition};
use tokio::sync::{mpsc, watch};
use write_log::{LogEvent, LogReader, LogRecord, WriteLogError};

use crate::buffer::PartitionBuffer;
use crate::metrics::IngesterMetrics;
use crate::persist::{PersistJob, PersistOutcome, Persister};
use crate::settings::PersistSettings;

/// Delay before calling the reader again after an error.
const READ_ERROR_BACKOFF: Duration = Duration::from_millis(500);
/// Delay between attempts to read the persisted offsets while the catalog is unreachable.
const CATALOG_BACKOFF: Duration = Duration::from_secs(1);

/// A persist in flight for a partition.
#[derive(Debug)]
struct InFlight {
    id: u64,
    new_offset: u64,
    rows: usize,
    bytes: usize,
    cancel: Arc<AtomicBool>,
}

/// An owned log partition.
#[derive(Debug, Default)]
struct Owned {
    /// Persisted offset in the catalog that the next commit builds on.
    expected: Option<u64>,
    /// Last applied offset (≥ `expected`).
    applied: Option<u64>,
    /// Rows applied after the running persist's snapshot.
    buffer: PartitionBuffer,
    in_flight: Option<InFlight>,
}

impl Owned {
    fn cancel(&mut self) {
        if let Some(f) = self.in_flight.take() {
            f.cancel.store(true, Ordering::Release);
        }
    }

    fn bytes(&self) -> usize {
        self.buffer.bytes() + self.in_flight.as_ref().map_or(0, |f| f.bytes)
    }

    fn rows(&self) -> usize {
        self.buffer.rows() + self.in_flight.as_ref().map_or(0, |f| f.rows)
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
pub struct Consumer<R: LogReader> {
    reader: R,
    catalog: Arc<dyn Catalog>,
    persister: Arc<Persister>,
    metrics: Arc<IngesterMetrics>,
    settings: PersistSettings,
    ownership: watch::Sender<Vec<LogPartition>>,
    owned: BTreeMap<LogPartition, Owned>,
    paused: bool,
    next_id: u64,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
}

impl<R: LogReader> Consumer<R> {
    /// A loop over `reader`.
    pub fn new(
        reader: R,
        catalog: Arc<dyn Catalog>,
        persister: Arc<Persister>,
        metrics: Arc<IngesterMetrics>,
        settings: PersistSettings,
        ownership: watch::Sender<Vec<LogPartition>>,
    ) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Self {
            reader,
            catalog,
            persister,
            metrics,
            settings,
            ownership,
            owned: BTreeMap::new(),
            paused: false,
            next_id: 0,
            done_tx,
            done_rx,
        }
    }

    /// Consumes until `shutdown` resolves, then persists everything pending (bounded by
    /// `shutdown_timeout`) and returns the reader (drop it to leave the consumer group).
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> (R, ShutdownReport) {
        tokio::pin!(shutdown);
        let tick = self.tick();
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(done) = self.done_rx.recv() => self.on_done(done).await,
                event = self.reader.next_event() => match event {
                    Ok(event) => self.on_event(event).await,
                    Err(error) => self.on_read_error(error).await,
                },
                () = tokio::time::sleep(tick) => {}
            }
            self.check_triggers(Instant::now());
        }
        let report = self.drain().await;
        (self.reader, report)
    }

    /// Interval of the age check.
    fn tick(&self) -> Duration {
        (self.settings.max_age / 4).clamp(Duration::from_millis(10), Duration::from_millis(250))
    }

    async fn on_event(&mut self, event: LogEvent) {
        match event {
            LogEvent::Assigned(partitions) => self.on_assigned(partitions).await,
            LogEvent::Revoked(partitions) => self.on_revoked(&partitions),
            LogEvent::Record(record) => self.on_record(record),
        }
    }

    async fn on_read_error(&mut self, error: WriteLogError) {
        match error {
            WriteLogError::Malformed { .. } => {
                self.metrics.records_rejected.inc();
                tracing::error!(%error, "skipping an unreadable log record");
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

    /// The catalog's persisted offsets, retried until the catalog answers. (Takes `&mut self`
    /// so the loop's future does not need `R: Sync`.)
    async fn persisted_offsets(&mut self) -> BTreeMap<LogPartition, u64> {
        loop {
            match self.catalog.persisted_offsets().await {
                Ok(offsets) => return offsets,
                Err(error) => {
                    tracing::warn!(%error, "cannot read persisted offsets; retrying");
                    tokio::time::sleep(CATALOG_BACKOFF).await;
                }
            }
        }
    }

    async fn on_assigned(&mut self, partitions: Vec<LogPartition>) {
        let offsets = self.persisted_offsets().await;
        for p in partitions {
            let expected = offsets.get(&p).copied();
            if let Some(mut old) = self.owned.remove(&p) {
                old.cancel();
            }
            self.start_at(p, expected).await;
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
                        applied: expected,
                        ..Owned::default()
                    },
                );
            }
            Err(error) => {
                tracing::error!(partition = p, from, %error, "cannot seek; not consuming it");
                self.metrics.forget_partition(p);
            }
        }
    }

    fn on_revoked(&mut self, partitions: &[LogPartition]) {
        for p in partitions {
            if let Some(mut owned) = self.owned.remove(p) {
                tracing::info!(
                    partition = p,
                    dropped_rows = owned.rows(),
                    "partition revoked; dropping its buffer (the new owner replays it)"
                );
                owned.cancel();
                self.metrics.forget_partition(*p);
            }
        }
        self.publish_ownership();
    }

    fn publish_ownership(&self) {
        let partitions: Vec<_> = self.owned.keys().copied().collect();
        self.metrics.partitions_owned.set(partitions.len() as i64);
        self.ownership.send_replace(partitions);
    }

    fn on_record(&mut self, record: LogRecord) {
        let LogRecord { position, write } = record;
        let Some(owned) = self.owned.get_mut(&position.partition) else {
            self.metrics.records_skipped.inc();
            return;
        };
        if owned.applied.is_some_and(|a| position.offset <= a) {
            // Already persisted (≤ the catalog offset) or already applied.
            self.metrics.records_skipped.inc();
            return;
        }
        if let Err(error) = owned.buffer.apply(position.offset, &write, Instant::now()) {
            self.metrics.records_rejected.inc();
            tracing::error!(
                partition = position.partition,
                offset = position.offset,
                %error,
                "log record cannot be buffered; skipping it"
            );
            owned.buffer.mark_pending(Instant::now());
        }
        owned.applied = Some(position.offset);
        self.metrics.records_applied.inc();
        self.metrics
            .set_applied(position.partition, position.offset);
    }

    /// Starts the persists the thresholds ask for; pauses or resumes consuming.
    fn check_triggers(&mut self, now: Instant) {
        let s = self.settings;
        let due: Vec<LogPartition> = self
            .owned
            .iter()
            .filter(|(_, o)| o.in_flight.is_none())
            .filter(|(_, o)| {
                o.buffer.rows() >= s.max_rows
                    || o.buffer.bytes() >= s.max_bytes
                    || o.buffer
                        .pending_since()
                        .is_some_and(|t| now.duration_since(t) >= s.max_age)
            })
            .map(|(p, _)| *p)
            .collect();
        for p in due {
            self.start_persist(p);
        }

        let total: usize = self.owned.values().map(Owned::bytes).sum();
        if total > s.memory_budget {
            // Persist the largest buffers until what is not being persisted fits in half.
            let mut idle: Vec<(usize, LogPartition)> = self
                .owned
                .iter()
                .filter(|(_, o)| o.in_flight.is_none() && o.buffer.bytes() > 0)
                .map(|(p, o)| (o.buffer.bytes(), *p))
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
        let rows: usize = self.owned.values().map(Owned::rows).sum();
        self.metrics.buffered_rows.set(rows as i64);
    }

    /// Snapshots `p`'s buffer and persists it in a task (no-op when nothing is pending or a
    /// persist of `p` is running).
    fn start_persist(&mut self, p: LogPartition) {
        let Some(owned) = self.owned.get_mut(&p) else {
            return;
        };
        let Some(new_offset) = owned.applied.filter(|_| owned.buffer.is_pending()) else {
            return;
        };
        if owned.in_flight.is_some() {
            return;
        }
        let snapshot = owned.buffer.take();
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
            }
            PersistOutcome::Conflict => {
                tracing::warn!(
                    partition = p,
                    expected = ?owned.expected,
                    "another ingester moved the persisted offset; dropping the buffer and replaying from the catalog"
                );
                self.owned.remove(&p);
                let offsets = self.persisted_offsets().await;
                self.start_at(p, offsets.get(&p).copied()).await;
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
                .filter(|(_, o)| o.buffer.is_pending() && o.in_flight.is_none())
                .map(|(p, _)| *p)
                .collect();
            for p in pending {
                self.start_persist(p);
            }
            if self.owned.values().all(|o| o.in_flight.is_none()) {
                return ShutdownReport::default();
            }
            match tokio::time::timeout_at(deadline, self.done_rx.recv()).await {
                Ok(Some(done)) => self.on_done(done).await,
                Ok(None) | Err(_) => break,
            }
        }
        let unpersisted: Vec<LogPartition> = self
            .owned
            .iter_mut()
            .filter(|(_, o)| o.in_flight.is_some() || o.buffer.is_pending())
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
