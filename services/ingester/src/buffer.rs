//! The in-memory buffer of one log partition: rows per (database, table, partition key), in the
//! order their records were applied.
//!
//! ```text
//! LogRecord { offset, LogWrite { database, tables: [(table, batch)] } }
//!   └─► split_by_day(batch) ──► (day, rows) ──► TableBuffer of (database, table, day)
//!                                                 batches (write order), rows, bytes,
//!                                                 min/max offset
//! PartitionBuffer::take() ──► the snapshot a persist works on; a fresh empty buffer stays
//! PartitionBuffer::table_batches(db, table) ──► what a query gets (Arc'd batches, cloned)
//! ```
//!
//! [`PreparedWrite::split`] does the splitting (the costly part) so the consume loop can do it
//! before taking the lock queries share, and [`PartitionBuffer::insert`] only moves batches in.

use std::collections::BTreeMap;
use std::time::Instant;

use arrow::record_batch::RecordBatch;
use write_log::LogWrite;

use crate::partition_key::{PartitionKeyError, split_by_day};

/// What one Parquet file holds: the rows of one table on one partition key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BufferKey {
    /// Database name.
    pub database: String,
    /// Table name.
    pub table: String,
    /// Partition key (UTC day).
    pub partition_key: String,
}

/// Buffered rows of one [`BufferKey`].
#[derive(Debug, Default, Clone)]
pub struct TableBuffer {
    /// Batches in the order their records were applied (the order dedup needs).
    pub batches: Vec<RecordBatch>,
    /// Rows over all batches.
    pub rows: usize,
    /// Arrow memory of the batches.
    pub bytes: usize,
    /// Smallest log offset that contributed rows.
    pub min_offset: u64,
    /// Largest log offset that contributed rows.
    pub max_offset: u64,
}

/// The buffer of one log partition.
#[derive(Debug, Default)]
pub struct PartitionBuffer {
    tables: BTreeMap<BufferKey, TableBuffer>,
    rows: usize,
    bytes: usize,
    /// When the oldest record not yet persisted was applied (`None`: nothing pending).
    pending_since: Option<Instant>,
}

/// A log record's rows split by (database, table, partition key), ready to be buffered (the
/// split is done before taking any lock).
#[derive(Debug, Default)]
pub struct PreparedWrite {
    parts: Vec<(BufferKey, RecordBatch)>,
    bytes: usize,
}

impl PreparedWrite {
    /// Splits every table batch of `write` by day. On error (a batch without a usable `time`
    /// column) nothing of the write is kept.
    pub fn split(write: &LogWrite) -> Result<Self, PartitionKeyError> {
        let mut parts = Vec::with_capacity(write.tables.len());
        for (table, batch) in &write.tables {
            for (partition_key, rows) in split_by_day(table, batch)? {
                let key = BufferKey {
                    database: write.database.clone(),
                    table: table.clone(),
                    partition_key,
                };
                parts.push((key, rows));
            }
        }
        let bytes = parts
            .iter()
            .map(|(_, batch)| schema::batch_memory_bytes(batch))
            .sum();
        Ok(Self { parts, bytes })
    }

    /// Arrow memory of the rows.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Distinct (database, table, partition key) combinations of the rows.
    pub fn key_count(&self) -> usize {
        let mut keys: Vec<&BufferKey> = self.parts.iter().map(|(key, _)| key).collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len()
    }
}

impl PartitionBuffer {
    /// Applies the write of the record at `offset`. On error (a batch without a usable `time`
    /// column) nothing of the write is buffered.
    pub fn apply(
        &mut self,
        offset: u64,
        write: &LogWrite,
        now: Instant,
    ) -> Result<(), PartitionKeyError> {
        let prepared = PreparedWrite::split(write)?;
        self.insert(offset, prepared, now);
        Ok(())
    }

    /// Buffers the rows of a split record (`offset` is its log offset) and marks it pending.
    pub fn insert(&mut self, offset: u64, prepared: PreparedWrite, now: Instant) {
        for (key, batch) in prepared.parts {
            let rows = batch.num_rows();
            let bytes = schema::batch_memory_bytes(&batch);
            let buffer = self.tables.entry(key).or_insert_with(|| TableBuffer {
                min_offset: offset,
                max_offset: offset,
                ..TableBuffer::default()
            });
            buffer.batches.push(batch);
            buffer.rows += rows;
            buffer.bytes += bytes;
            buffer.min_offset = buffer.min_offset.min(offset);
            buffer.max_offset = buffer.max_offset.max(offset);
            self.rows += rows;
            self.bytes += bytes;
        }
        self.pending_since.get_or_insert(now);
    }

    /// How many (database, table, partition key) combinations — files of the next persist —
    /// the buffer would span after inserting `prepared`.
    pub fn keys_after(&self, prepared: &PreparedWrite) -> usize {
        let mut new_keys: Vec<&BufferKey> = prepared
            .parts
            .iter()
            .map(|(key, _)| key)
            .filter(|key| !self.tables.contains_key(*key))
            .collect();
        new_keys.sort_unstable();
        new_keys.dedup();
        self.tables.len() + new_keys.len()
    }

    /// The batches of `database`.`table`, as `(partition key, batch)` in partition key order, each
    /// key's batches in the order their records were applied. (Cheap: batches are `Arc`s.)
    pub fn table_batches(&self, database: &str, table: &str) -> Vec<(String, RecordBatch)> {
        let from = BufferKey {
            database: database.to_owned(),
            table: table.to_owned(),
            partition_key: String::new(),
        };
        self.tables
            .range(from..)
            .take_while(|(key, _)| key.database == database && key.table == table)
            .flat_map(|(key, buffer)| {
                buffer
                    .batches
                    .iter()
                    .map(|batch| (key.partition_key.clone(), batch.clone()))
            })
            .collect()
    }

    /// Marks a record applied without rows (e.g. one that could not be buffered) so the next
    /// persist commits its offset.
    pub fn mark_pending(&mut self, now: Instant) {
        self.pending_since.get_or_insert(now);
    }

    /// Moves everything out, leaving an empty buffer (the persist snapshot).
    pub fn take(&mut self) -> PartitionBuffer {
        std::mem::take(self)
    }

    /// Buffered rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Arrow memory of the buffered batches.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// True when a record was applied since the last snapshot (possibly one without rows).
    pub fn is_pending(&self) -> bool {
        self.pending_since.is_some()
    }

    /// When the oldest pending record was applied.
    pub fn pending_since(&self) -> Option<Instant> {
        self.pending_since
    }

    /// The buffered tables, by key.
    pub fn tables(&self) -> &BTreeMap<BufferKey, TableBuffer> {
        &self.tables
    }

    /// Consumes the buffer into its tables.
    pub fn into_tables(self) -> BTreeMap<BufferKey, TableBuffer> {
        self.tables
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, TimestampNanosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    use super::*;

    const DAY: i64 = 86_400_000_000_000;

    fn write(db: &str, table: &str, times: &[i64]) -> LogWrite {
        let schema = Arc::new(Schema::new(vec![
            Field::new("v", DataType::Int64, true),
            Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                false,
            ),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1; times.len()])),
                Arc::new(TimestampNanosecondArray::from(times.to_vec())),
            ],
        )
        .unwrap();
        LogWrite::new(db, vec![(table.into(), batch)])
    }

    fn key(db: &str, table: &str, day: &str) -> BufferKey {
        BufferKey {
            database: db.into(),
            table: table.into(),
            partition_key: day.into(),
        }
    }

    #[test]
    fn rows_go_to_their_table_and_day_with_offsets() {
        let mut buf = PartitionBuffer::default();
        let now = Instant::now();
        buf.apply(3, &write("db", "cpu", &[1, DAY + 1]), now)
            .unwrap();
        buf.apply(4, &write("db", "cpu", &[2]), now).unwrap();
        buf.apply(5, &write("db", "mem", &[DAY]), now).unwrap();
        assert_eq!(buf.rows(), 4);
        let t = buf.tables();
        assert_eq!(
            t.keys().cloned().collect::<Vec<_>>(),
            [
                key("db", "cpu", "1970-01-01"),
                key("db", "cpu", "1970-01-02"),
                key("db", "mem", "1970-01-02")
            ]
        );
        let day1 = &t[&key("db", "cpu", "1970-01-01")];
        assert_eq!((day1.rows, day1.min_offset, day1.max_offset), (2, 3, 4));
        assert_eq!(day1.batches.len(), 2);
        assert_eq!(t[&key("db", "mem", "1970-01-02")].min_offset, 5);
        assert_eq!(
            buf.bytes(),
            t.values().map(|b| b.bytes).sum::<usize>(),
            "partition bytes = sum of table bytes"
        );
        assert_eq!(buf.pending_since(), Some(now));
    }

    #[test]
    fn take_leaves_an_empty_buffer() {
        let mut buf = PartitionBuffer::default();
        buf.apply(0, &write("db", "cpu", &[1]), Instant::now())
            .unwrap();
        let snap = buf.take();
        assert_eq!(snap.rows(), 1);
        assert!(snap.is_pending());
        assert_eq!((buf.rows(), buf.bytes(), buf.is_pending()), (0, 0, false));
        assert!(buf.tables().is_empty());
    }

    #[test]
    fn a_record_without_rows_is_pending_and_a_bad_one_buffers_nothing() {
        let mut buf = PartitionBuffer::default();
        let empty = LogWrite::new("db", vec![]);
        buf.apply(0, &empty, Instant::now()).unwrap();
        assert!(buf.is_pending());
        assert_eq!(buf.rows(), 0);

        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, true)]));
        let no_time =
            RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))]).unwrap();
        let mut bad = write("db", "cpu", &[1]);
        bad.tables.push(("mem".into(), no_time));
        assert!(buf.apply(1, &bad, Instant::now()).is_err());
        assert_eq!(buf.rows(), 0, "nothing of a bad write is buffered");
    }
}
