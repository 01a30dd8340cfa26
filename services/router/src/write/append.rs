//! Step 8c: append a request's rows to the write log and wait for every acknowledgement.
//!
//! ```text
//! { partition → [(table, batch)] } ──► split_into_records (≤ 100 (table, day) groups each;
//!                                       all partitions first, so a split error appends nothing)
//!   ──► round k: the k-th record of every partition, appended together (WriteLog::append_each:
//!       one produce request per broker on Kafka); a partition's record k+1 only after its
//!       record k was acknowledged (appends are ordered only when issued one after another)
//!   ──► every record acknowledged ──► Ok(records appended)
//!   └─► a failure ──► that partition stops; AppendError::Log names the first error and how
//!       many partitions did not confirm (part of the write may be in the log: retry is safe)
//! ```

use write_log::{LogPartition, LogWrite, WriteLog, WriteLogError};

use super::records::{RecordSplitError, Records, split_into_records};
use super::shard::ShardedTables;

/// Why a request's rows are not (all) in the log.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The rows could not be cut into records; nothing was appended.
    #[error("cutting rows into log records: {0}")]
    Split(#[from] RecordSplitError),
    /// At least one partition did not confirm all of its records.
    #[error("{first}; {failed} of {touched} log partitions {}", consequence(.first))]
    Log {
        /// The first error, in partition order.
        first: WriteLogError,
        /// Partitions with a failed record.
        failed: usize,
        /// Partitions the request touched.
        touched: usize,
    },
}

impl AppendError {
    /// The write log's error, when the log refused or failed (not for a split error).
    pub fn log_error(&self) -> Option<&WriteLogError> {
        match self {
            Self::Split(_) => None,
            Self::Log { first, .. } => Some(first),
        }
    }
}

/// What a failed append means for the client.
fn consequence(first: &WriteLogError) -> &'static str {
    if first.is_retryable() {
        "did not confirm the write, so part of it may already be in the log: retrying the whole \
         write is safe (last write wins per point)"
    } else {
        "did not take the write, so part of it may already be in the log"
    }
}

/// Appends `sharded` (one request's rows of `database`) as records of at most
/// [`super::records::MAX_GROUPS_PER_RECORD`] (table, day) groups. Returns the number of records
/// appended once every one is acknowledged.
pub(crate) async fn append_sharded(
    log: &dyn WriteLog,
    database: &str,
    sharded: ShardedTables,
    traceparent: Option<&str>,
) -> Result<usize, AppendError> {
    let touched = sharded.len();
    let mut per_partition: Vec<(LogPartition, <Records as IntoIterator>::IntoIter)> =
        Vec::with_capacity(touched);
    for (partition, tables) in sharded {
        let records = split_into_records(tables)?;
        if records.len() > 1 {
            tracing::debug!(
                partition,
                records = records.len(),
                "rows of many (table, day) groups: several log records"
            );
        }
        per_partition.push((partition, records.into_iter()));
    }
    // Round k appends the k-th record of every partition that has one (and has not failed),
    // all together: one produce request per broker on Kafka. A partition's next record goes
    // out only after its previous one was acknowledged, so its records stay in order.
    let mut appended = 0;
    let mut errors: Vec<(LogPartition, WriteLogError)> = Vec::new();
    loop {
        let mut round = Vec::with_capacity(per_partition.len());
        for (partition, records) in &mut per_partition {
            if errors.iter().any(|(p, _)| p == partition) {
                continue;
            }
            if let Some(tables) = records.next() {
                let write = LogWrite {
                    database: database.to_owned(),
                    tables,
                    traceparent: traceparent.map(str::to_owned),
                };
                round.push((*partition, write));
            }
        }
        if round.is_empty() {
            break;
        }
        let partitions: Vec<LogPartition> = round.iter().map(|(p, _)| *p).collect();
        for (partition, result) in partitions.into_iter().zip(log.append_each(round).await) {
            match result {
                Ok(_) => appended += 1,
                Err(e) => errors.push((partition, e)),
            }
        }
    }
    let failed = errors.len();
    match errors.into_iter().min_by_key(|(partition, _)| *partition) {
        None => Ok(appended),
        Some((_, first)) => Err(AppendError::Log {
            first,
            failed,
            touched,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use arrow::array::TimestampNanosecondArray;
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use arrow::record_batch::RecordBatch;
    use async_trait::async_trait;
    use write_log::LogPosition;

    use super::*;

    const DAY_NS: i64 = 86_400_000_000_000;

    /// A log of `partitions` partitions that records appends and fails the appends whose
    /// sequence number (0-based, over all partitions) is in `fail`.
    #[derive(Debug, Default)]
    struct RecordingLog {
        partitions: u32,
        fail: Vec<usize>,
        appends: Mutex<Vec<(LogPartition, LogWrite)>>,
        calls: Mutex<usize>,
        /// Partitions of each `append_each` call.
        rounds: Mutex<Vec<Vec<LogPartition>>>,
    }

    #[async_trait]
    impl WriteLog for RecordingLog {
        fn partition_count(&self) -> u32 {
            self.partitions
        }
        async fn append(
            &self,
            partition: LogPartition,
            write: LogWrite,
        ) -> Result<LogPosition, WriteLogError> {
            let call = {
                let mut calls = self.calls.lock().unwrap();
                *calls += 1;
                *calls - 1
            };
            // Yield so concurrent partitions interleave.
            tokio::task::yield_now().await;
            if self.fail.contains(&call) {
                return Err(WriteLogError::Unavailable(format!("append {call} refused")));
            }
            let mut appends = self.appends.lock().unwrap();
            let offset = appends.iter().filter(|(p, _)| *p == partition).count() as u64;
            appends.push((partition, write));
            Ok(LogPosition { partition, offset })
        }
        async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, WriteLogError> {
            Ok(BTreeMap::new())
        }
        async fn flush(&self) -> Result<(), WriteLogError> {
            Ok(())
        }

        async fn append_each(
            &self,
            writes: Vec<(LogPartition, LogWrite)>,
        ) -> Vec<Result<LogPosition, WriteLogError>> {
            self.rounds
                .lock()
                .unwrap()
                .push(writes.iter().map(|(p, _)| *p).collect());
            let mut results = Vec::new();
            for (partition, write) in writes {
                results.push(self.append(partition, write).await);
            }
            results
        }
    }

    fn table(days: std::ops::Range<i64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            false,
        )]));
        let times: Vec<i64> = days.map(|d| d * DAY_NS).collect();
        RecordBatch::try_new(
            schema,
            vec![Arc::new(TimestampNanosecondArray::from(times))],
        )
        .unwrap()
    }

    fn days_of(write: &LogWrite) -> Vec<i64> {
        write
            .tables
            .iter()
            .flat_map(|(_, b)| {
                b.column(0)
                    .as_any()
                    .downcast_ref::<TimestampNanosecondArray>()
                    .unwrap()
                    .values()
                    .iter()
                    .map(|t| t.div_euclid(DAY_NS))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[tokio::test]
    async fn records_of_a_partition_follow_each_other_in_group_order() {
        let log = RecordingLog {
            partitions: 2,
            ..Default::default()
        };
        let sharded = ShardedTables::from([
            (0, vec![("a".to_owned(), table(0..250))]),
            (1, vec![("b".to_owned(), table(0..3))]),
        ]);
        let appended = append_sharded(&log, "db", sharded, Some("00-trace"))
            .await
            .unwrap();
        assert_eq!(appended, 4);
        let appends = log.appends.lock().unwrap();
        let zero: Vec<Vec<i64>> = appends
            .iter()
            .filter(|(p, _)| *p == 0)
            .map(|(_, w)| days_of(w))
            .collect();
        assert_eq!(
            zero,
            vec![
                (0..100).collect::<Vec<_>>(),
                (100..200).collect(),
                (200..250).collect()
            ]
        );
        let one: Vec<&LogWrite> = appends
            .iter()
            .filter(|(p, _)| *p == 1)
            .map(|(_, w)| w)
            .collect();
        assert_eq!(one.len(), 1);
        assert_eq!(
            *log.rounds.lock().unwrap(),
            vec![vec![0, 1], vec![0], vec![0]],
            "first records of both partitions together, then partition 0's next ones in order"
        );
        assert!(
            appends
                .iter()
                .all(|(_, w)| w.database == "db" && w.traceparent.as_deref() == Some("00-trace"))
        );
    }

    #[tokio::test]
    async fn a_failure_after_some_acks_stops_the_partition_and_reports_the_write() {
        // Partition 0 has 3 records; its second append (call 1 or later) fails.
        let log = RecordingLog {
            partitions: 1,
            fail: vec![1],
            ..Default::default()
        };
        let sharded = ShardedTables::from([(0, vec![("a".to_owned(), table(0..250))])]);
        let err = append_sharded(&log, "db", sharded, None).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "write log unavailable: append 1 refused; 1 of 1 log partitions did not confirm the \
             write, so part of it may already be in the log: retrying the whole write is safe \
             (last write wins per point)"
        );
        assert_eq!(
            log.appends.lock().unwrap().len(),
            1,
            "the first record was acked"
        );
        assert_eq!(*log.calls.lock().unwrap(), 2, "nothing after the failure");
        assert!(err.log_error().is_some_and(WriteLogError::is_retryable));
    }

    #[tokio::test]
    async fn a_partition_that_fails_stops_while_the_others_are_appended() {
        // Round 1 is partition 0's first record (call 0, refused) and partition 1's (call 1).
        let log = RecordingLog {
            partitions: 2,
            fail: vec![0],
            ..Default::default()
        };
        let sharded = ShardedTables::from([
            (0, vec![("a".to_owned(), table(0..250))]),
            (1, vec![("b".to_owned(), table(0..3))]),
        ]);
        let err = append_sharded(&log, "db", sharded, None).await.unwrap_err();
        assert!(
            err.to_string()
                .starts_with("write log unavailable: append 0 refused; 1 of 2 log partitions"),
            "{err}"
        );
        assert_eq!(*log.rounds.lock().unwrap(), vec![vec![0, 1]]);
        let appends = log.appends.lock().unwrap();
        assert_eq!(appends.len(), 1);
        assert_eq!(appends[0].0, 1, "partition 1 was appended");
    }

    #[tokio::test]
    async fn a_split_error_appends_nothing() {
        let log = RecordingLog {
            partitions: 2,
            ..Default::default()
        };
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let no_time = RecordBatch::try_new(
            schema,
            vec![Arc::new(arrow::array::Int64Array::from(vec![1]))],
        )
        .unwrap();
        let sharded = ShardedTables::from([
            (0, vec![("a".to_owned(), table(0..1))]),
            (1, vec![("b".to_owned(), no_time)]),
        ]);
        let err = append_sharded(&log, "db", sharded, None).await.unwrap_err();
        assert!(matches!(err, AppendError::Split(_)), "{err:?}");
        assert_eq!(*log.calls.lock().unwrap(), 0);
        assert!(err.log_error().is_none());
    }
}
