//! How much memory a record batch holds, for memory budgets.
//!
//! `RecordBatch::get_array_memory_size` counts the full capacity of every buffer a column
//! references. A batch read from an uncompressed Arrow IPC stream (the write log's payloads) has
//! every column slicing ONE allocation, the message body, so that count is the body's size times
//! the number of buffers — 20× too much for a TSBS row. [`batch_memory_bytes`] counts the bytes
//! each column actually references instead: the body's size for such a batch, the data (without
//! the builders' spare capacity) for any other.

use arrow::array::Array;
use arrow::record_batch::RecordBatch;

/// Bytes of Arrow data `batch` references (see the module documentation).
pub fn batch_memory_bytes(batch: &RecordBatch) -> usize {
    batch
        .columns()
        .iter()
        .map(|column| {
            column
                .to_data()
                .get_slice_memory_size()
                .unwrap_or_else(|_| column.get_array_memory_size())
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{DictionaryArray, Int64Array};
    use arrow::datatypes::{DataType, Field, Int32Type, Schema};

    use super::*;

    fn batch(rows: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "host",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                true,
            ),
            Field::new("v", DataType::Int64, false),
        ]));
        let hosts: DictionaryArray<Int32Type> = (0..rows)
            .map(|i| Some(if i % 2 == 0 { "a" } else { "b" }))
            .collect();
        let values = Int64Array::from_iter_values(0..rows as i64);
        RecordBatch::try_new(schema, vec![Arc::new(hosts), Arc::new(values)]).unwrap()
    }

    #[test]
    fn counts_referenced_bytes_not_shared_capacity() {
        let full = batch(10_000);
        // 10 000 i32 keys + 10 000 i64 values + the two-value dictionary.
        let bytes = batch_memory_bytes(&full);
        assert!((120_000..122_000).contains(&bytes), "{bytes}");
        // A slice of 10 rows references 10 rows; the capacity count still sees 10 000.
        let slice = full.slice(0, 10);
        let sliced = batch_memory_bytes(&slice);
        assert!(sliced < 1_000, "{sliced}");
        assert!(slice.get_array_memory_size() > 100_000);
    }
}
