//! In-memory write log: one partition, bounded by a byte budget, dropping what is persisted; and
//! its reader. `quiver serve` without `--data-dir` runs on it, so it must not grow forever.
//!
//! ```text
//! append(0, write) ──► retained[offset − first] (Mutex; used_bytes += size, ≤ budget)
//!                  ──► watch(next offset) ──► MemLogReader::next_event (seek, pause, rebalance)
//! persisted(0, o)  ──► drop retained entries ≤ o (used_bytes −= their size); offsets go on
//! seek(0, o < first retained) ──► OffsetOutOfRange (as the file log once segments are gone)
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tokio::sync::{mpsc, watch};

use crate::{
    LogEvent, LogPartition, LogPosition, LogReader, LogRecord, LogWrite, WriteLog, WriteLogError,
};

/// One append, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendedWrite {
    /// Where it landed.
    pub position: LogPosition,
    /// What was appended.
    pub write: LogWrite,
}

/// A single-partition log in process memory. Appends beyond the budget fail with
/// [`WriteLogError::BudgetExceeded`]; the budget counts retained entries only.
/// `LogReader::persisted(0, o)` drops every entry ≤ `o` (unless built with
/// [`MemWriteLog::keeping_history`]); offsets keep growing, and a reader cannot seek below the
/// first retained one ([`WriteLogError::OffsetOutOfRange`]).
#[derive(Debug)]
pub struct MemWriteLog {
    budget_bytes: usize,
    /// Keep persisted entries (tests that inspect the whole history).
    keep_persisted: bool,
    state: Mutex<State>,
    /// The next offset, for readers to wake up on.
    next_offset: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct State {
    /// Bytes of the retained entries.
    used_bytes: usize,
    /// Retained entries; the first has offset `first_offset`.
    entries: VecDeque<Stored>,
    first_offset: u64,
    persisted: Option<u64>,
}

impl State {
    fn next_offset(&self) -> u64 {
        self.first_offset + self.entries.len() as u64
    }
}

#[derive(Debug)]
struct Stored {
    entry: AppendedWrite,
    /// `write.size_bytes()` at append, what `used_bytes` counted.
    size: usize,
}

impl MemWriteLog {
    /// A log that holds at most `budget_bytes` of batches and drops entries once persisted.
    pub fn new(budget_bytes: usize) -> Self {
        Self::build(budget_bytes, false)
    }

    /// A log that keeps every entry even after it is persisted (tests that read the whole
    /// history back); the budget then counts everything ever appended.
    pub fn keeping_history(budget_bytes: usize) -> Self {
        Self::build(budget_bytes, true)
    }

    fn build(budget_bytes: usize, keep_persisted: bool) -> Self {
        Self {
            budget_bytes,
            keep_persisted,
            state: Mutex::new(State::default()),
            next_offset: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, WriteLogError> {
        self.state
            .lock()
            .map_err(|_| WriteLogError::Unavailable("in-memory write log lock poisoned".into()))
    }

    /// The retained appends (every append unless persisted ones were dropped), in log order.
    pub fn entries(&self) -> Vec<AppendedWrite> {
        self.lock()
            .map(|s| s.entries.iter().map(|s| s.entry.clone()).collect())
            .unwrap_or_default()
    }

    /// Number of retained appends.
    pub fn len(&self) -> usize {
        self.lock().map(|s| s.entries.len()).unwrap_or(0)
    }

    /// True when no append is retained.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the retained appends.
    pub fn used_bytes(&self) -> usize {
        self.lock().map(|s| s.used_bytes).unwrap_or(0)
    }

    /// The budget in bytes.
    pub fn budget_bytes(&self) -> usize {
        self.budget_bytes
    }

    /// The offset of the first retained append (the next offset when none is retained): a
    /// reader may seek here or later.
    pub fn earliest_offset(&self) -> u64 {
        self.lock().map(|s| s.first_offset).unwrap_or(0)
    }

    /// The highest offset a reader reported as persisted, if any.
    pub fn persisted_offset(&self) -> Option<u64> {
        self.lock().ok().and_then(|s| s.persisted)
    }

    /// Records `offset` as persisted and drops the retained entries ≤ it.
    fn release_through(&self, offset: u64) -> Result<(), WriteLogError> {
        let mut state = self.lock()?;
        if state.persisted.is_some_and(|p| p >= offset) {
            return Ok(());
        }
        state.persisted = Some(offset);
        if self.keep_persisted {
            return Ok(());
        }
        let until = offset.saturating_add(1).min(state.next_offset());
        while state.first_offset < until {
            let Some(dropped) = state.entries.pop_front() else {
                break;
            };
            state.used_bytes = state.used_bytes.saturating_sub(dropped.size);
            state.first_offset += 1;
        }
        Ok(())
    }

    /// A reader of this log. It first delivers `Assigned([0])`, then records from the sought
    /// offset, following new appends. Use [`MemLogReader::assignment`] to simulate a rebalance.
    pub fn reader(self: &Arc<Self>) -> MemLogReader {
        let (tx, rx) = mpsc::unbounded_channel();
        MemLogReader {
            log: Arc::clone(self),
            next_offset: self.next_offset.subscribe(),
            control_tx: tx,
            control: rx,
            assigned: false,
            announced: false,
            next: None,
            paused: false,
        }
    }
}

#[async_trait]
impl WriteLog for MemWriteLog {
    fn partition_count(&self) -> u32 {
        1
    }

    async fn append(
        &self,
        partition: LogPartition,
        write: LogWrite,
    ) -> Result<LogPosition, WriteLogError> {
        if partition != 0 {
            return Err(WriteLogError::UnknownPartition {
                partition,
                partition_count: 1,
            });
        }
        let size = write.size_bytes();
        if size > self.budget_bytes {
            // Never fits, however much is persisted meanwhile: not worth a retry.
            return Err(WriteLogError::RecordTooLarge {
                bytes: size,
                limit: format!(
                    "the in-memory write log's budget of {} bytes",
                    self.budget_bytes
                ),
            });
        }
        let mut state = self.lock()?;
        if state.used_bytes.saturating_add(size) > self.budget_bytes {
            return Err(WriteLogError::BudgetExceeded {
                budget: self.budget_bytes,
                used: state.used_bytes,
                requested: size,
            });
        }
        let position = LogPosition {
            partition: 0,
            offset: state.next_offset(),
        };
        state.used_bytes += size;
        state.entries.push_back(Stored {
            entry: AppendedWrite { position, write },
            size,
        });
        self.next_offset.send_replace(state.next_offset());
        Ok(position)
    }

    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, WriteLogError> {
        let next = self.lock()?.next_offset();
        Ok(BTreeMap::from([(0, next)]))
    }

    async fn flush(&self) -> Result<(), WriteLogError> {
        Ok(())
    }
}

/// Simulated rebalances for a [`MemLogReader`] (tests of the consumer loop).
#[derive(Debug, Clone)]
pub struct MemAssignment(mpsc::UnboundedSender<Control>);

#[derive(Debug)]
enum Control {
    Revoke,
    Assign,
}

impl MemAssignment {
    /// The reader delivers `Revoked([0])` next (after the record it may be delivering).
    pub fn revoke(&self) {
        // The reader owns the receiver; if it is gone there is nobody to revoke from.
        let _ = self.0.send(Control::Revoke);
    }

    /// The reader delivers `Assigned([0])` next and waits for a new `seek`.
    pub fn assign(&self) {
        let _ = self.0.send(Control::Assign);
    }
}

/// Reader of a [`MemWriteLog`] (partition 0).
#[derive(Debug)]
pub struct MemLogReader {
    log: Arc<MemWriteLog>,
    next_offset: watch::Receiver<u64>,
    control_tx: mpsc::UnboundedSender<Control>,
    control: mpsc::UnboundedReceiver<Control>,
    /// Partition 0 is assigned (after the initial or a simulated assignment).
    assigned: bool,
    /// The initial `Assigned([0])` was delivered.
    announced: bool,
    /// Next offset to deliver, once sought.
    next: Option<u64>,
    paused: bool,
}

impl MemLogReader {
    /// A handle to revoke and re-assign partition 0.
    pub fn assignment(&self) -> MemAssignment {
        MemAssignment(self.control_tx.clone())
    }

    fn apply(&mut self, control: Control) -> LogEvent {
        match control {
            Control::Revoke => {
                self.assigned = false;
                self.next = None;
                LogEvent::Revoked(vec![0])
            }
            Control::Assign => {
                self.assigned = true;
                self.next = None;
                LogEvent::Assigned(vec![0])
            }
        }
    }

    /// The record at the cursor, if appended. A cursor below the first retained entry (dropped
    /// after `persisted` past it) is [`WriteLogError::OffsetOutOfRange`], as in the file log.
    fn ready_record(&mut self) -> Result<Option<LogRecord>, WriteLogError> {
        let Some(next) = self.next.filter(|_| self.assigned && !self.paused) else {
            return Ok(None);
        };
        let state = self.log.lock()?;
        if next < state.first_offset {
            return Err(WriteLogError::OffsetOutOfRange {
                partition: 0,
                offset: next,
                earliest: state.first_offset,
            });
        }
        let Some(stored) = usize::try_from(next - state.first_offset)
            .ok()
            .and_then(|i| state.entries.get(i))
        else {
            return Ok(None);
        };
        let record = LogRecord {
            position: stored.entry.position,
            write: stored.entry.write.clone(),
        };
        drop(state);
        self.next = Some(next + 1);
        Ok(Some(record))
    }
}

#[async_trait]
impl LogReader for MemLogReader {
    async fn next_event(&mut self) -> Result<LogEvent, WriteLogError> {
        if !self.announced {
            self.announced = true;
            self.assigned = true;
            return Ok(LogEvent::Assigned(vec![0]));
        }
        loop {
            if let Ok(control) = self.control.try_recv() {
                return Ok(self.apply(control));
            }
            if let Some(record) = self.ready_record()? {
                return Ok(LogEvent::Record(record));
            }
            // Wait for an append or a simulated rebalance; both wake-ups are cancel-safe.
            tokio::select! {
                changed = self.next_offset.changed() => {
                    if changed.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
                control = self.control.recv() => {
                    if let Some(control) = control {
                        return Ok(self.apply(control));
                    }
                }
            }
        }
    }

    async fn seek(&mut self, partition: LogPartition, offset: u64) -> Result<(), WriteLogError> {
        if partition != 0 || !self.assigned {
            return Err(WriteLogError::InvalidState(format!(
                "seek of partition {partition}, which is not assigned to this reader"
            )));
        }
        let earliest = self.log.lock()?.first_offset;
        if offset < earliest {
            return Err(WriteLogError::OffsetOutOfRange {
                partition,
                offset,
                earliest,
            });
        }
        self.next = Some(offset);
        Ok(())
    }

    fn pause(&mut self) -> Result<(), WriteLogError> {
        self.paused = true;
        Ok(())
    }

    fn resume(&mut self) -> Result<(), WriteLogError> {
        self.paused = false;
        Ok(())
    }

    async fn persisted(
        &mut self,
        partition: LogPartition,
        offset: u64,
    ) -> Result<(), WriteLogError> {
        if partition != 0 {
            return Err(WriteLogError::UnknownPartition {
                partition,
                partition_count: 1,
            });
        }
        self.log.release_through(offset)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;

    use super::*;

    fn write(db: &str, values: &[i64]) -> LogWrite {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values.to_vec()))])
            .unwrap();
        LogWrite::new(db, vec![("t".into(), batch)])
    }

    #[tokio::test]
    async fn keeps_every_append_in_order() {
        let log = MemWriteLog::new(1 << 20);
        let a = log.append(0, write("a", &[1, 2])).await.unwrap();
        let b = log.append(0, write("b", &[3])).await.unwrap();
        assert_eq!(
            a,
            LogPosition {
                partition: 0,
                offset: 0
            }
        );
        assert_eq!(
            b,
            LogPosition {
                partition: 0,
                offset: 1
            }
        );
        let entries = log.entries();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].write, write("a", &[1, 2]));
        assert_eq!(entries[1].write.database, "b");
        assert_eq!(entries[1].write.row_count(), 1);
        assert_eq!(
            log.used_bytes(),
            write("a", &[1, 2]).size_bytes() + write("b", &[3]).size_bytes()
        );
    }

    #[tokio::test]
    async fn refuses_appends_over_budget_without_dropping_anything() {
        let one = write("a", &[1]);
        let size = one.size_bytes();
        let log = MemWriteLog::new(size * 2);
        log.append(0, one.clone()).await.unwrap();
        log.append(0, one.clone()).await.unwrap();
        let err = log.append(0, one.clone()).await.unwrap_err();
        assert_eq!(
            err,
            WriteLogError::BudgetExceeded {
                budget: size * 2,
                used: size * 2,
                requested: size
            }
        );
        assert!(err.is_retryable());
        assert_eq!(log.len(), 2, "earlier appends are kept");
    }

    #[tokio::test]
    async fn reader_delivers_from_the_sought_offset_and_follows_appends() {
        let log = Arc::new(MemWriteLog::new(1 << 20));
        for v in 0..3 {
            log.append(0, write("a", &[v])).await.unwrap();
        }
        let mut reader = log.reader();
        assert_eq!(
            reader.next_event().await.unwrap(),
            LogEvent::Assigned(vec![0])
        );
        // Nothing is delivered before the seek.
        let early = tokio::time::timeout(Duration::from_millis(50), reader.next_event()).await;
        assert!(early.is_err(), "no record before seek: {early:?}");
        reader.seek(0, 1).await.unwrap();
        for expected in 1..3u64 {
            match reader.next_event().await.unwrap() {
                LogEvent::Record(r) => {
                    assert_eq!(r.position.offset, expected);
                    assert_eq!(r.write, write("a", &[expected as i64]));
                }
                other => panic!("expected a record, got {other:?}"),
            }
        }
        let follower = tokio::spawn(async move {
            let event = reader.next_event().await.unwrap();
            (reader, event)
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        log.append(0, write("a", &[9])).await.unwrap();
        let (mut reader, event) = follower.await.unwrap();
        let LogEvent::Record(r) = event else {
            panic!("expected a record, got {event:?}")
        };
        assert_eq!(r.position.offset, 3);

        // Paused: nothing; resumed: the next one.
        log.append(0, write("a", &[10])).await.unwrap();
        reader.pause().unwrap();
        let paused = tokio::time::timeout(Duration::from_millis(50), reader.next_event()).await;
        assert!(paused.is_err(), "no record while paused: {paused:?}");
        reader.resume().unwrap();
        let LogEvent::Record(r) = reader.next_event().await.unwrap() else {
            panic!("expected a record")
        };
        assert_eq!(r.position.offset, 4);

        // Simulated rebalance.
        let assignment = reader.assignment();
        assignment.revoke();
        assert_eq!(
            reader.next_event().await.unwrap(),
            LogEvent::Revoked(vec![0])
        );
        assert!(reader.seek(0, 0).await.is_err(), "seek after revoke");
        assignment.assign();
        assert_eq!(
            reader.next_event().await.unwrap(),
            LogEvent::Assigned(vec![0])
        );
        reader.seek(0, 4).await.unwrap();
        let LogEvent::Record(r) = reader.next_event().await.unwrap() else {
            panic!("expected a record")
        };
        assert_eq!(r.position.offset, 4);

        reader.persisted(0, 2).await.unwrap();
        reader.persisted(0, 1).await.unwrap();
        assert_eq!(log.persisted_offset(), Some(2));
        assert_eq!(
            log.high_watermarks().await.unwrap(),
            BTreeMap::from([(0, 5)])
        );
        assert!(matches!(
            log.append(1, write("a", &[1])).await,
            Err(WriteLogError::UnknownPartition { partition: 1, .. })
        ));
    }

    fn offsets(log: &MemWriteLog) -> Vec<u64> {
        log.entries().iter().map(|e| e.position.offset).collect()
    }

    async fn next_offset(reader: &mut MemLogReader) -> u64 {
        match tokio::time::timeout(Duration::from_secs(5), reader.next_event()).await {
            Ok(Ok(LogEvent::Record(r))) => r.position.offset,
            other => panic!("expected a record, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn persisted_entries_are_dropped_and_offsets_continue() {
        let log = Arc::new(MemWriteLog::new(1 << 20));
        let writes: Vec<LogWrite> = (0..5)
            .map(|i| write("a", &vec![i; i as usize + 1]))
            .collect();
        for w in &writes {
            log.append(0, w.clone()).await.unwrap();
        }
        let size = |range: std::ops::Range<usize>| -> usize {
            writes[range].iter().map(LogWrite::size_bytes).sum()
        };
        assert_eq!(log.used_bytes(), size(0..5));
        let mut reader = log.reader();
        reader.next_event().await.unwrap();

        reader.persisted(0, 2).await.unwrap();
        assert_eq!(offsets(&log), [3, 4], "entries ≤ 2 dropped");
        assert_eq!(log.len(), 2);
        assert_eq!(log.used_bytes(), size(3..5), "only retained bytes count");
        assert_eq!(log.earliest_offset(), 3);
        assert_eq!(log.persisted_offset(), Some(2));
        assert_eq!(log.entries()[0].write, writes[3]);

        // Offsets go on from where they were; the watermark is unaffected by the drop.
        assert_eq!(
            log.high_watermarks().await.unwrap(),
            BTreeMap::from([(0, 5)])
        );
        let p = log.append(0, write("b", &[7])).await.unwrap();
        assert_eq!(p.offset, 5);

        // A lower or equal offset is ignored.
        reader.persisted(0, 1).await.unwrap();
        reader.persisted(0, 2).await.unwrap();
        assert_eq!(offsets(&log), [3, 4, 5]);
        assert_eq!(log.persisted_offset(), Some(2));

        // Past the end: everything goes, the next append still gets the next offset.
        reader.persisted(0, 100).await.unwrap();
        assert!(log.is_empty());
        assert_eq!(log.used_bytes(), 0);
        assert_eq!(log.earliest_offset(), 6);
        assert_eq!(log.persisted_offset(), Some(100));
        assert_eq!(log.append(0, write("c", &[8])).await.unwrap().offset, 6);
        assert_eq!(offsets(&log), [6]);
        assert_eq!(log.earliest_offset(), 6);
        assert_eq!(
            log.high_watermarks().await.unwrap(),
            BTreeMap::from([(0, 7)])
        );
    }

    #[tokio::test]
    async fn the_budget_counts_only_what_is_not_persisted() {
        let one = write("a", &[1, 2, 3]);
        let size = one.size_bytes();
        let log = Arc::new(MemWriteLog::new(size * 3));
        let mut reader = log.reader();
        reader.next_event().await.unwrap();
        reader.seek(0, 0).await.unwrap();
        // Like `quiver serve` without --data-dir: append, read, persist, far past the budget.
        for offset in 0..100u64 {
            let p = log
                .append(0, one.clone())
                .await
                .unwrap_or_else(|e| panic!("append {offset}: {e}"));
            assert_eq!(p.offset, offset);
            assert_eq!(next_offset(&mut reader).await, offset);
            reader.persisted(0, offset).await.unwrap();
            assert_eq!(log.used_bytes(), 0);
        }
        // Unpersisted data still fills it.
        for _ in 0..3 {
            log.append(0, one.clone()).await.unwrap();
        }
        assert_eq!(
            log.append(0, one.clone()).await.unwrap_err(),
            WriteLogError::BudgetExceeded {
                budget: size * 3,
                used: size * 3,
                requested: size
            }
        );
        reader.persisted(0, 100).await.unwrap();
        assert_eq!(log.used_bytes(), size * 2);
        assert_eq!(log.append(0, one.clone()).await.unwrap().offset, 103);
    }

    #[tokio::test]
    async fn a_seek_below_the_first_retained_offset_is_out_of_range() {
        let log = Arc::new(MemWriteLog::new(1 << 20));
        for v in 0..6 {
            log.append(0, write("a", &[v])).await.unwrap();
        }
        let mut behind = log.reader();
        behind.next_event().await.unwrap();
        behind.seek(0, 0).await.unwrap();
        assert_eq!(next_offset(&mut behind).await, 0);

        let mut reader = log.reader();
        reader.next_event().await.unwrap();
        reader.seek(0, 0).await.unwrap();
        for expected in 0..4 {
            assert_eq!(next_offset(&mut reader).await, expected);
        }
        reader.persisted(0, 3).await.unwrap();
        let out_of_range = |offset| WriteLogError::OffsetOutOfRange {
            partition: 0,
            offset,
            earliest: 4,
        };
        assert!(!out_of_range(0).is_retryable());
        // The reader that persisted goes on.
        assert_eq!(next_offset(&mut reader).await, 4);
        // A seek below the first retained offset fails and leaves the cursor as it was.
        assert_eq!(reader.seek(0, 3).await.unwrap_err(), out_of_range(3));
        assert_eq!(next_offset(&mut reader).await, 5);
        reader.seek(0, 4).await.unwrap();
        assert_eq!(next_offset(&mut reader).await, 4);
        // A reader whose cursor fell below it is told so, as the file log does.
        assert_eq!(behind.next_event().await.unwrap_err(), out_of_range(1));
        behind.seek(0, 4).await.unwrap();
        assert_eq!(next_offset(&mut behind).await, 4);
    }

    #[tokio::test]
    async fn a_write_larger_than_the_whole_budget_is_too_large_not_retryable() {
        let two = write("a", &[1, 2]);
        let log = MemWriteLog::new(two.size_bytes() - 1);
        let err = log.append(0, two.clone()).await.unwrap_err();
        assert_eq!(
            err,
            WriteLogError::RecordTooLarge {
                bytes: two.size_bytes(),
                limit: format!(
                    "the in-memory write log's budget of {} bytes",
                    two.size_bytes() - 1
                ),
            }
        );
        assert!(err.is_too_large() && !err.is_retryable());
        assert!(log.entries().is_empty());
    }

    #[tokio::test]
    async fn keeping_history_keeps_persisted_entries() {
        let one = write("a", &[1]);
        let log = Arc::new(MemWriteLog::keeping_history(one.size_bytes() * 2));
        log.append(0, one.clone()).await.unwrap();
        log.append(0, one.clone()).await.unwrap();
        let mut reader = log.reader();
        reader.next_event().await.unwrap();
        reader.persisted(0, 1).await.unwrap();
        assert_eq!(log.persisted_offset(), Some(1));
        assert_eq!(offsets(&log), [0, 1]);
        assert_eq!(log.earliest_offset(), 0);
        reader.seek(0, 0).await.unwrap();
        assert_eq!(next_offset(&mut reader).await, 0);
        assert!(matches!(
            log.append(0, one).await,
            Err(WriteLogError::BudgetExceeded { .. })
        ));
    }
}
