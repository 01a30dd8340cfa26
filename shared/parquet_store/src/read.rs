//! Reading Quiver Parquet files back from an object store.
//!
//! ```text
//! path ──► ObjectStoreReader (AsyncFileReader: ranged GETs, footer via one suffix GET)
//!   └─► ParquetRecordBatchStreamBuilder: Arrow schema restored from the footer
//!         ├─ quiver:metadata ──► QuiverMetadata (version checked)
//!         ├─ ReadOptions.time_range ──► keep row groups whose `time` statistics overlap,
//!         │                             then filter rows to the range
//!         └─ ReadOptions.columns ──► projection mask (plus `time` while filtering)
//!   ──► ParquetData { schema, batches, meta, parquet_metadata }
//! ```
//!
//! The querier and the compactor read through DataFusion's own Parquet source; this reader
//! serves tests and tools, and `read_schema` the compactor (an input's columns).

use std::ops::Range;
use std::sync::Arc;

use arrow::array::{RecordBatch, TimestampNanosecondArray};
use arrow::compute::kernels::cmp::{gt_eq, lt_eq};
use arrow::compute::{and, filter_record_batch};
use arrow::datatypes::{Field, Schema, SchemaRef};
use bytes::Bytes;
use catalog::ParquetFileRecord;
use futures::future::BoxFuture;
use futures::{FutureExt, TryFutureExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::{AsyncFileReader, MetadataSuffixFetch};
use parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::statistics::Statistics;
use schema::TIME_COLUMN_NAME;

use crate::{QUIVER_METADATA_KEY, QuiverMetadata, StoreError, parse_object_path};

/// What to read; [`Default`] reads every column of every row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Columns to return, in file order; `None` = all. Unknown names are an error.
    pub columns: Option<Vec<String>>,
    /// Only rows with `start <= time <= end` (ns, inclusive); row groups whose `time`
    /// statistics lie outside are not fetched at all.
    pub time_range: Option<(i64, i64)>,
}

/// A file's rows and metadata.
#[derive(Debug, Clone)]
pub struct ParquetData {
    /// Schema of `batches` (the embedded Arrow schema, projected).
    pub schema: SchemaRef,
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// The decoded `quiver:metadata`.
    pub meta: QuiverMetadata,
    /// The Parquet footer (row groups, statistics, key/value metadata).
    pub parquet_metadata: Arc<ParquetMetaData>,
}

impl ParquetData {
    /// Rows in `batches`.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// Reads the file a catalog record names, all columns and rows.
pub async fn read_parquet(
    store: &Arc<dyn ObjectStore>,
    record: &ParquetFileRecord,
) -> Result<ParquetData, StoreError> {
    let path = parse_object_path(&record.path)?;
    read_parquet_path(store, &path, &ReadOptions::default()).await
}

/// Reads one Parquet object with the given projection and time range.
pub async fn read_parquet_path(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
    options: &ReadOptions,
) -> Result<ParquetData, StoreError> {
    let path_text = path.to_string();
    let parquet_error = |source| StoreError::Parquet {
        path: path_text.clone(),
        source,
    };
    let reader = ObjectStoreReader {
        store: Arc::clone(store),
        path: path.clone(),
    };
    let mut builder = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(parquet_error)?;
    let parquet_metadata = Arc::clone(builder.metadata());
    let meta = QuiverMetadata::from_key_values(
        parquet_metadata
            .file_metadata()
            .key_value_metadata()
            .map(Vec::as_slice),
        &path_text,
    )?;
    let file_schema = canonical_schema(builder.schema());
    let time_index = file_schema.index_of(TIME_COLUMN_NAME).ok();

    if let Some((start, end)) = options.time_range {
        let index = time_index.ok_or_else(|| no_time_column(&path_text))?;
        let keep = row_groups_overlapping(&parquet_metadata, index, start, end);
        builder = builder.with_row_groups(keep);
    }
    // Column indices to read: the requested ones, plus `time` while it is needed for filtering.
    let wanted = match &options.columns {
        None => None,
        Some(names) => {
            let mut indices = Vec::with_capacity(names.len());
            for name in names {
                let index = file_schema.index_of(name).map_err(|_| {
                    parquet_error(ParquetError::General(format!("no column named {name:?}")))
                })?;
                indices.push(index);
            }
            Some(indices)
        }
    };
    if let Some(wanted) = &wanted {
        let mut read = wanted.clone();
        if options.time_range.is_some()
            && let Some(index) = time_index
        {
            read.push(index);
        }
        let mask = ProjectionMask::roots(builder.parquet_schema(), read);
        builder = builder.with_projection(mask);
    }
    let stream = builder.build().map_err(parquet_error)?;
    let mut batches: Vec<RecordBatch> = stream.try_collect().await.map_err(parquet_error)?;

    if let Some((start, end)) = options.time_range {
        let arrow_error = |source| StoreError::Arrow {
            path: path_text.clone(),
            source,
        };
        for batch in &mut batches {
            let filtered = filter_time(batch, start, end).map_err(arrow_error)?;
            *batch = filtered;
        }
        batches.retain(|b| b.num_rows() > 0);
    }
    // Final projection: requested columns only, in file order, under the canonical schema.
    let arrow_error = |source| StoreError::Arrow {
        path: path_text.clone(),
        source,
    };
    let mut schema = file_schema;
    if let Some(wanted) = &wanted {
        let mut sorted = wanted.clone();
        sorted.sort_unstable();
        sorted.dedup();
        let projected = schema
            .project(&sorted)
            .map_err(|source| StoreError::Arrow {
                path: path_text.clone(),
                source,
            })?;
        schema = Arc::new(projected);
        for batch in &mut batches {
            let names: Vec<usize> = schema
                .fields()
                .iter()
                .filter_map(|f| batch.schema().index_of(f.name()).ok())
                .collect();
            *batch = batch.project(&names).map_err(arrow_error)?;
        }
    }
    for batch in &mut batches {
        *batch = batch
            .clone()
            .with_schema(Arc::clone(&schema))
            .map_err(arrow_error)?;
    }
    Ok(ParquetData {
        schema,
        batches,
        meta,
        parquet_metadata,
    })
}

/// The Arrow schema of a stored file (tags, fields, `time` with Influx metadata), from its
/// footer alone: one suffix GET, no row group read.
pub async fn read_schema(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
) -> Result<SchemaRef, StoreError> {
    let reader = ObjectStoreReader {
        store: Arc::clone(store),
        path: path.clone(),
    };
    let builder = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(|source| StoreError::Parquet {
            path: path.to_string(),
            source,
        })?;
    Ok(canonical_schema(builder.schema()))
}

/// The schema as written: the reader adds the footer's key/value pairs to the schema metadata
/// (`quiver:metadata` is returned decoded instead) and numbers dictionary fields; both go.
fn canonical_schema(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            Field::new(f.name(), f.data_type().clone(), f.is_nullable())
                .with_metadata(f.metadata().clone())
        })
        .collect();
    let mut metadata = schema.metadata().clone();
    metadata.remove(QUIVER_METADATA_KEY);
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

fn no_time_column(path: &str) -> StoreError {
    StoreError::Parquet {
        path: path.to_string(),
        source: ParquetError::General(format!("no {TIME_COLUMN_NAME} column")),
    }
}

/// Row groups whose `time` column statistics overlap `[start, end]` (groups without statistics
/// are kept).
fn row_groups_overlapping(
    metadata: &ParquetMetaData,
    time_index: usize,
    start: i64,
    end: i64,
) -> Vec<usize> {
    let mut keep = Vec::new();
    for (index, group) in metadata.row_groups().iter().enumerate() {
        let overlaps = match group.column(time_index).statistics() {
            Some(Statistics::Int64(stats)) => match (stats.min_opt(), stats.max_opt()) {
                (Some(min), Some(max)) => *min <= end && *max >= start,
                _ => true,
            },
            _ => true,
        };
        if overlaps {
            keep.push(index);
        }
    }
    keep
}

fn filter_time(
    batch: &RecordBatch,
    start: i64,
    end: i64,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let Some(time) = batch.column_by_name(TIME_COLUMN_NAME) else {
        return Ok(batch.clone());
    };
    let start = TimestampNanosecondArray::new_scalar(start);
    let end = TimestampNanosecondArray::new_scalar(end);
    let mask = and(&gt_eq(time, &start)?, &lt_eq(time, &end)?)?;
    filter_record_batch(batch, &mask)
}

/// `AsyncFileReader` over an object store: data pages by ranged GETs (coalesced by
/// `get_ranges`), the footer by a single suffix GET (no HEAD needed).
#[derive(Debug, Clone)]
struct ObjectStoreReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
}

fn to_parquet_error(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for ObjectStoreReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        self.store
            .get_range(&self.path, range)
            .map_err(to_parquet_error)
            .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            self.store
                .get_ranges(&self.path, &ranges)
                .await
                .map_err(to_parquet_error)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let metadata = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .load_via_suffix_and_finish(self)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

impl MetadataSuffixFetch for &mut ObjectStoreReader {
    fn fetch_suffix(&mut self, suffix: usize) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        let options = GetOptions {
            range: Some(GetRange::Suffix(suffix as u64)),
            ..Default::default()
        };
        async move {
            let result = self
                .store
                .get_opts(&self.path, options)
                .await
                .map_err(to_parquet_error)?;
            result.bytes().await.map_err(to_parquet_error)
        }
        .boxed()
    }
}
