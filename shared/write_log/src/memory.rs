//! In-memory write log: one partition, keeps every append, bounded by a byte budget; and its
//! reader.
//!
//! ```text
//! append(0, write) ──► entries[offset] (Mutex) ──► watch(len) ──► MemLogReader::next_event
//!                                                    MemAssignment::{revoke, assign} ──┘
//! ```

use std::collections::BTreeMap;
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
/// [`WriteLogError::BudgetExceeded`]; nothing is ever evicted (`persisted` is only recorded).
#[derive(Debug)]
pub struct MemWriteLog {
    budget_bytes: usize,
    state: Mutex<State>,
    len: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct State {
    used_bytes: usize,
    entries: Vec<AppendedWrite>,
    persisted: Option<u64>,
}

impl MemWriteLog {
    /// A log that holds at most `budget_bytes` of batches.
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            budget_bytes,
            state: Mutex::new(State::default()),
            len: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, WriteLogError> {
        self.state
            .lock()
            .map_err(|_| WriteLogError::Unavailable("in-memory write log lock poisoned".into()))
    }

    /// Every append so far, in log order.
    pub fn entries(&self) -> Vec<AppendedWrite> {
        self.lock().map(|s| s.entries.clone()).unwrap_or_default()
    }

    /// Number of appends so far.
    pub fn len(&self) -> usize {
        self.lock().map(|s| s.entries.len()).unwrap_or(0)
    }

    /// True when nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held.
    pub fn used_bytes(&self) -> usize {
        self.lock().map(|s| s.used_bytes).unwrap_or(0)
    }

    /// The budget in bytes.
    pub fn budget_bytes(&self) -> usize {
        self.budget_bytes
    }

    /// The highest offset a reader reported as persisted, if any.
    pub fn persisted_offset(&self) -> Option<u64> {
        self.lock().ok().and_then(|s| s.persisted)
    }

    /// A reader of this log. It first delivers `Assigned([0])`, then records from the sought
    /// offset, following new appends. Use [`MemLogReader::assignment`] to simulate a rebalance.
    pub fn reader(self: &Arc<Self>) -> MemLogReader {
        let (tx, rx) = mpsc::unbounded_channel();
        MemLogReader {
            log: Arc::clone(self),
            len: self.len.subscribe(),
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
            offset: state.entries.len() as u64,
        };
        state.used_bytes += size;
        state.entries.push(AppendedWrite { position, write });
        self.len.send_replace(state.entries.len() as u64);
        Ok(position)
    }

    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, WriteLogError> {
        let len = self.lock()?.entries.len() as u64;
        Ok(BTreeMap::from([(0, len)]))
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
    len: watch::Receiver<u64>,
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

    fn ready_record(&mut self) -> Result<Option<LogRecord>, WriteLogError> {
        let Some(next) = self.next.filter(|_| self.assigned && !self.paused) else {
            return Ok(None);
        };
        let state = self.log.lock()?;
        let Some(entry) = usize::try_from(next)
            .ok()
            .and_then(|i| state.entries.get(i))
        else {
            return Ok(None);
        };
        let record = LogRecord {
            position: entry.position,
            write: entry.write.clone(),
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
                changed = self.len.changed() => {
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
        let mut state = self.log.lock()?;
        state.persisted = Some(state.persisted.map_or(offset, |p| p.max(offset)));
        Ok(())
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
}
