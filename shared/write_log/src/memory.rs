//! In-memory write log: keeps every append, bounded by a byte budget.

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::{LogPosition, LogWrite, WriteLog, WriteLogError};

/// One append, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendedWrite {
    /// Where it landed.
    pub position: LogPosition,
    /// What was appended.
    pub write: LogWrite,
}

/// A single-partition log in process memory. Appends beyond the budget fail with
/// [`WriteLogError::BudgetExceeded`]; nothing is ever evicted.
#[derive(Debug)]
pub struct MemWriteLog {
    budget_bytes: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    used_bytes: usize,
    entries: Vec<AppendedWrite>,
}

impl MemWriteLog {
    /// A log that holds at most `budget_bytes` of batches.
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            budget_bytes,
            state: Mutex::new(State::default()),
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
}

#[async_trait]
impl WriteLog for MemWriteLog {
    async fn append(&self, write: LogWrite) -> Result<LogPosition, WriteLogError> {
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
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;

    use super::*;

    fn write(db: &str, values: &[i64]) -> LogWrite {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values.to_vec()))])
            .unwrap();
        LogWrite {
            database: db.into(),
            tables: vec![("t".into(), batch)],
        }
    }

    #[tokio::test]
    async fn keeps_every_append_in_order() {
        let log = MemWriteLog::new(1 << 20);
        let a = log.append(write("a", &[1, 2])).await.unwrap();
        let b = log.append(write("b", &[3])).await.unwrap();
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
        log.append(one.clone()).await.unwrap();
        log.append(one.clone()).await.unwrap();
        let err = log.append(one.clone()).await.unwrap_err();
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
}
