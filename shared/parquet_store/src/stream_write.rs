//! Writing one Parquet object from a stream of batches, without holding the file in memory (the
//! compactor's output: millions of rows merged from many files).
//!
//! ```text
//! ParquetStreamWriter::new(store, FileMeta, level, schema, options)
//!   ├─ object id = UUID v4 ──► <db>/<table>/<key>/<uuid>.parquet
//!   └─ AsyncArrowWriter (same properties as write.rs: ZSTD, statistics, delta `time`, sorting
//!      columns) over object_store::buffered::BufWriter (a multipart
//!      upload once past its buffer: memory = one row group in progress + one part)
//! write(batch)*   batches sorted by primary key, deduplicated, all of `schema`; time range and
//!                 rows counted as they pass
//! finish()        quiver:metadata (now that rows and times are known) ──► footer ──► upload
//!                 completes ──► ParquetFileRecord { compaction_level, offsets 0 when level > 0 }
//! abort()         the upload is abandoned; nothing becomes visible
//! ```

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use catalog::ParquetFileRecord;
use object_store::ObjectStore;
use object_store::buffered::BufWriter;
use parquet::arrow::AsyncArrowWriter;
use uuid::Uuid;

use crate::write::{now_ns, time_range, writer_properties};
use crate::{
    FileMeta, ParquetFilePath, QUIVER_METADATA_VERSION, QuiverMetadata, StoreError, WriteOptions,
};

/// A Parquet object being written batch by batch (see the module doc).
pub struct ParquetStreamWriter {
    meta: FileMeta,
    compaction_level: u8,
    path: ParquetFilePath,
    object_id: String,
    sort_key: Vec<String>,
    writer: AsyncArrowWriter<BufWriter>,
    rows: u64,
    time_range: Option<(i64, i64)>,
}

impl std::fmt::Debug for ParquetStreamWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetStreamWriter")
            .field("path", &self.path.as_str())
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl ParquetStreamWriter {
    /// Starts a new object for rows of `schema` (tags, fields, `time`, with Influx metadata).
    /// `compaction_level` > 0 marks a compacted file: its record carries no log offsets.
    pub fn new(
        store: &Arc<dyn ObjectStore>,
        meta: &FileMeta,
        compaction_level: u8,
        schema: SchemaRef,
        options: WriteOptions,
    ) -> Result<Self, StoreError> {
        let invalid = |reason: String| StoreError::InvalidBatch {
            table: meta.table_name.clone(),
            reason,
        };
        let (props, sort_key) = writer_properties(&schema, options).map_err(invalid)?;
        let object_id = Uuid::new_v4();
        let path = ParquetFilePath::new(
            meta.database_id,
            meta.table_id,
            &meta.partition_key,
            object_id,
        )?;
        let sink = BufWriter::new(Arc::clone(store), path.object_path().clone());
        let writer =
            AsyncArrowWriter::try_new(sink, schema, Some(props.build())).map_err(|source| {
                StoreError::Parquet {
                    path: path.to_string(),
                    source,
                }
            })?;
        let mut meta = meta.clone();
        if compaction_level > 0 {
            meta.log_partition = 0;
            meta.min_offset = 0;
            meta.max_offset = 0;
        }
        Ok(Self {
            meta,
            compaction_level,
            path,
            object_id: object_id.to_string(),
            sort_key,
            writer,
            rows: 0,
            time_range: None,
        })
    }

    /// Appends rows (sorted after every row written before, no key repeated).
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let (min, max) = time_range(batch).map_err(|reason| StoreError::InvalidBatch {
            table: self.meta.table_name.clone(),
            reason,
        })?;
        self.time_range = Some(match self.time_range {
            Some((lo, hi)) => (lo.min(min), hi.max(max)),
            None => (min, max),
        });
        self.rows += batch.num_rows() as u64;
        let path = &self.path;
        self.writer
            .write(batch)
            .await
            .map_err(|source| StoreError::Parquet {
                path: path.to_string(),
                source,
            })
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Bytes written so far, counting the row group in progress at its encoded size.
    pub fn bytes(&self) -> usize {
        self.writer.bytes_written() + self.writer.in_progress_size()
    }

    /// Writes the footer and completes the upload; returns the record to commit. A writer that
    /// received no rows is aborted and returns `None`.
    pub async fn finish(mut self) -> Result<Option<ParquetFileRecord>, StoreError> {
        let Some((min_time_ns, max_time_ns)) = self.time_range else {
            self.abort().await;
            return Ok(None);
        };
        let created_at_ns = now_ns();
        let quiver = QuiverMetadata {
            version: QUIVER_METADATA_VERSION,
            object_id: self.object_id.clone(),
            database_id: self.meta.database_id,
            database_name: self.meta.database_name.clone(),
            table_id: self.meta.table_id,
            table_name: self.meta.table_name.clone(),
            partition_key: self.meta.partition_key.clone(),
            log_partition: self.meta.log_partition,
            min_offset: self.meta.min_offset,
            max_offset: self.meta.max_offset,
            min_time_ns,
            max_time_ns,
            row_count: self.rows,
            sort_key: std::mem::take(&mut self.sort_key),
            created_at_ns,
            compaction_level: self.compaction_level,
        };
        self.writer.append_key_value_metadata(quiver.to_key_value());
        let path = self.path.to_string();
        // finish() writes the footer and completes the sink, which completes the upload.
        // On failure the sink may already be completing, where aborting is not allowed: a
        // multipart upload left incomplete goes to the bucket's incomplete-upload expiry (as in
        // put_parquet), a local staging file is deleted on drop.
        if let Err(source) = self.writer.finish().await {
            return Err(StoreError::Parquet { path, source });
        }
        let size_bytes = self.writer.bytes_written() as u64;
        Ok(Some(ParquetFileRecord {
            object_id: self.object_id,
            database_id: self.meta.database_id,
            table_id: self.meta.table_id,
            partition_key: self.meta.partition_key,
            path: self.path.as_str().to_string(),
            size_bytes,
            row_count: self.rows,
            min_time_ns,
            max_time_ns,
            log_partition: self.meta.log_partition,
            min_offset: self.meta.min_offset,
            max_offset: self.meta.max_offset,
            created_at_ns,
            compaction_level: self.compaction_level,
        }))
    }

    /// Abandons the object: a multipart upload in progress is aborted, nothing becomes visible.
    pub async fn abort(self) {
        let mut sink = self.writer.into_inner();
        let _ = sink.abort().await;
    }
}
