//! Writing one sorted, deduplicated batch as a Parquet object.
//!
//! ```text
//! FileMeta + RecordBatch (sorted by primary key, one row per key: schema::dedup output)
//!   ├─ check: rows > 0, non-null Timestamp(ns) `time` ──► min/max time
//!   ├─ object id = UUID v4 ──► ParquetFilePath <db>/<table>/<key>/<uuid>.parquet
//!   ├─ WriterProperties: ZSTD, page + column-chunk statistics, ≤ 1 Mi rows per row group,
//!   │   DELTA_BINARY_PACKED for `time` and integer fields (dictionaries for the rest),
//!   │   sorting columns (tags, time), key/value quiver:metadata (versioned JSON)
//!   └─ encode_parquet (synchronous, CPU only): ArrowWriter (embeds the Arrow schema with
//!      iox::column::type) into memory ──► EncodedParquet { path, bytes, record }
//! put_parquet (async, I/O only): object_store::buffered::BufWriter ──► one put, or a multipart
//!   upload completed at the end ──► ParquetFileRecord { object_id, path, size, rows, min/max
//!   time, offsets }
//! write_parquet = encode_parquet + put_parquet
//! ```
//!
//! Encoding and upload are separate so that a caller can encode on threads of its own (the
//! ingester's persist pool) and keep its async workers for I/O. The object becomes visible only
//! when the upload completes, never half written. A file written but never committed to the
//! catalog (crash before the ingester's transaction) is an orphan: nothing references it, and
//! it stays until the compactor's garbage collector deletes objects older than a grace period
//! that no file record names. The compactor writes with `ParquetStreamWriter` (stream_write.rs).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arrow::array::{Array, RecordBatch, TimestampNanosecondArray};
use arrow::datatypes::{DataType, Schema, TimeUnit};
use bytes::Bytes;
use catalog::ParquetFileRecord;
use object_store::ObjectStore;
use object_store::buffered::BufWriter;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesBuilder};
use parquet::schema::types::ColumnPath;
use schema::{InfluxColumnType, InfluxFieldType, TIME_COLUMN_NAME, influx_column_type};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::{FileMeta, ParquetFilePath, QUIVER_METADATA_VERSION, QuiverMetadata, StoreError};

/// Largest row group: 1 Mi rows (as IOx).
pub const DEFAULT_MAX_ROW_GROUP_ROWS: usize = 1024 * 1024;
/// ZSTD level (object_store-bound files are written once and read many times; level 3 is
/// zstd's own default and a good size/speed balance — see docs/benchmarks.md "Parquet size").
pub const DEFAULT_ZSTD_LEVEL: i32 = 3;

/// Knobs of the Parquet writer; [`Default`] is what Quiver uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Rows per row group at most.
    pub max_row_group_rows: usize,
    /// ZSTD compression level (1–22).
    pub zstd_level: i32,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            max_row_group_rows: DEFAULT_MAX_ROW_GROUP_ROWS,
            zstd_level: DEFAULT_ZSTD_LEVEL,
        }
    }
}

/// Writes `batch` — rows of one table and partition, sorted by primary key and deduplicated
/// (`schema::dedup::sort_dedup`) — as a new Parquet object, and returns the catalog record to
/// commit. Uses [`WriteOptions::default`].
pub async fn write_parquet(
    store: &Arc<dyn ObjectStore>,
    meta: &FileMeta,
    batch: &RecordBatch,
) -> Result<ParquetFileRecord, StoreError> {
    write_parquet_with(store, meta, batch, WriteOptions::default()).await
}

/// [`write_parquet`] with explicit writer options.
pub async fn write_parquet_with(
    store: &Arc<dyn ObjectStore>,
    meta: &FileMeta,
    batch: &RecordBatch,
    options: WriteOptions,
) -> Result<ParquetFileRecord, StoreError> {
    put_parquet(store, encode_parquet(meta, batch, options)?).await
}

/// A Parquet file encoded in memory, not yet stored.
#[derive(Debug, Clone)]
pub struct EncodedParquet {
    path: ParquetFilePath,
    bytes: Bytes,
    record: ParquetFileRecord,
}

impl EncodedParquet {
    /// The file's size in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.record.size_bytes
    }
}

/// Encodes `batch` (see [`write_parquet`]) as a Parquet file in memory: CPU only, no I/O, so it
/// may run on any thread.
pub fn encode_parquet(
    meta: &FileMeta,
    batch: &RecordBatch,
    options: WriteOptions,
) -> Result<EncodedParquet, StoreError> {
    let invalid = |reason: String| StoreError::InvalidBatch {
        table: meta.table_name.clone(),
        reason,
    };
    let (props, sort_key) = writer_properties(&batch.schema(), options).map_err(invalid)?;
    if batch.num_rows() == 0 {
        return Err(invalid("no rows".into()));
    }
    let (min_time_ns, max_time_ns) = time_range(batch).map_err(invalid)?;

    let object_id = Uuid::new_v4();
    let path = ParquetFilePath::new(
        meta.database_id,
        meta.table_id,
        &meta.partition_key,
        object_id,
    )?;
    let created_at_ns = now_ns();
    let quiver = QuiverMetadata {
        version: QUIVER_METADATA_VERSION,
        object_id: object_id.to_string(),
        database_id: meta.database_id,
        database_name: meta.database_name.clone(),
        table_id: meta.table_id,
        table_name: meta.table_name.clone(),
        partition_key: meta.partition_key.clone(),
        log_partition: meta.log_partition,
        min_offset: meta.min_offset,
        max_offset: meta.max_offset,
        min_time_ns,
        max_time_ns,
        row_count: batch.num_rows() as u64,
        sort_key,
        created_at_ns,
        compaction_level: 0,
    };
    let props = props
        .set_key_value_metadata(Some(vec![quiver.to_key_value()]))
        .build();

    let parquet_error = |source| StoreError::Parquet {
        path: path.to_string(),
        source,
    };
    let mut writer =
        ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props)).map_err(parquet_error)?;
    writer.write(batch).map_err(parquet_error)?;
    let bytes = Bytes::from(writer.into_inner().map_err(parquet_error)?);

    let record = ParquetFileRecord {
        object_id: quiver.object_id,
        database_id: meta.database_id,
        table_id: meta.table_id,
        partition_key: meta.partition_key.clone(),
        path: path.as_str().to_string(),
        size_bytes: bytes.len() as u64,
        row_count: quiver.row_count,
        min_time_ns,
        max_time_ns,
        log_partition: meta.log_partition,
        min_offset: meta.min_offset,
        max_offset: meta.max_offset,
        created_at_ns,
        compaction_level: 0,
    };
    Ok(EncodedParquet {
        path,
        bytes,
        record,
    })
}

/// Stores an encoded file — one put, or a multipart upload for large files — and returns its
/// catalog record. Nothing becomes visible unless the upload completes.
pub async fn put_parquet(
    store: &Arc<dyn ObjectStore>,
    encoded: EncodedParquet,
) -> Result<ParquetFileRecord, StoreError> {
    let EncodedParquet {
        path,
        bytes,
        record,
    } = encoded;
    let upload_error = |source| StoreError::Upload {
        path: path.to_string(),
        source,
    };
    let mut sink = BufWriter::new(Arc::clone(store), path.object_path().clone());
    if let Err(source) = sink.put(bytes).await {
        // Not shut down yet, so aborting is allowed: releases a multipart upload in progress.
        let _ = sink.abort().await;
        return Err(upload_error(std::io::Error::from(source)));
    }
    // Completes the upload; on failure nothing became visible (a multipart upload left
    // incomplete is removed by the bucket's incomplete-upload expiry; local staging files are
    // deleted on drop).
    sink.shutdown().await.map_err(upload_error)?;
    Ok(record)
}

/// `time` and the integer fields: sorted by series then time, their deltas are small (constant
/// for `time`), so DELTA_BINARY_PACKED halves them against dictionary encoding (TSBS cpu-only:
/// 0.46 instead of 0.97 bytes per field value, docs/benchmarks.md "Parquet size").
fn delta_encoded_columns(schema: &Schema) -> Vec<String> {
    schema
        .fields()
        .iter()
        .filter(|field| {
            matches!(
                influx_column_type(field),
                Ok(InfluxColumnType::Timestamp
                    | InfluxColumnType::Field(
                        InfluxFieldType::Integer | InfluxFieldType::UInteger
                    ))
            )
        })
        .map(|field| field.name().clone())
        .collect()
}

/// The writer properties of every Quiver Parquet file of `schema` (ZSTD, page statistics, row
/// group bound, delta-encoded `time` and integers, sorting columns) — the caller adds the
/// key/value metadata — and the file's sort key.
pub(crate) fn writer_properties(
    schema: &Schema,
    options: WriteOptions,
) -> Result<(WriterPropertiesBuilder, Vec<String>), String> {
    if options.max_row_group_rows == 0 {
        return Err("max_row_group_rows must be at least 1".into());
    }
    let zstd = ZstdLevel::try_new(options.zstd_level)
        .map_err(|e| format!("zstd level {}: {e}", options.zstd_level))?;
    let (sort_key, sorting_columns) = sort_key(schema)?;
    let mut props = WriterProperties::builder();
    for name in delta_encoded_columns(schema) {
        let column = ColumnPath::new(vec![name]);
        props = props
            .set_column_dictionary_enabled(column.clone(), false)
            .set_column_encoding(column, Encoding::DELTA_BINARY_PACKED);
    }
    let props = props
        .set_compression(Compression::ZSTD(zstd))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(options.max_row_group_rows))
        .set_sorting_columns(Some(sorting_columns));
    Ok((props, sort_key))
}

/// Smallest and largest value of the non-null `time` column.
pub(crate) fn time_range(batch: &RecordBatch) -> Result<(i64, i64), String> {
    let column = batch
        .column_by_name(TIME_COLUMN_NAME)
        .ok_or_else(|| format!("no {TIME_COLUMN_NAME} column"))?;
    let times = column
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .filter(|_| {
            matches!(
                column.data_type(),
                DataType::Timestamp(TimeUnit::Nanosecond, None)
            )
        })
        .ok_or_else(|| {
            format!(
                "{TIME_COLUMN_NAME} column is {}, expected Timestamp(Nanosecond)",
                column.data_type()
            )
        })?;
    if times.null_count() > 0 {
        return Err(format!(
            "{TIME_COLUMN_NAME} column has {} null values",
            times.null_count()
        ));
    }
    let min = arrow::compute::min(times);
    let max = arrow::compute::max(times);
    min.zip(max).ok_or_else(|| "no rows".to_string())
}

/// The sort key (tag columns by name, then `time`) and its Parquet sorting columns. Each Arrow
/// column of a Quiver table is one Parquet leaf, so leaf index = Arrow column index.
fn sort_key(schema: &Schema) -> Result<(Vec<String>, Vec<SortingColumn>), String> {
    let mut key = Vec::new();
    for (index, field) in schema.fields().iter().enumerate() {
        match influx_column_type(field).map_err(|e| e.to_string())? {
            InfluxColumnType::Tag => key.push((field.name().clone(), index)),
            InfluxColumnType::Field(_) | InfluxColumnType::Timestamp => {}
        }
    }
    key.sort();
    let time_index = schema
        .index_of(TIME_COLUMN_NAME)
        .map_err(|_| format!("no {TIME_COLUMN_NAME} column"))?;
    key.push((TIME_COLUMN_NAME.to_string(), time_index));
    let mut sorting = Vec::with_capacity(key.len());
    for (_, index) in &key {
        let column_idx = i32::try_from(*index).map_err(|_| "too many columns".to_string())?;
        sorting.push(SortingColumn {
            column_idx,
            descending: false,
            nulls_first: true,
        });
    }
    Ok((key.into_iter().map(|(name, _)| name).collect(), sorting))
}

pub(crate) fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
