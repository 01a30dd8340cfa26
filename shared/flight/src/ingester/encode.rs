//! An [`UnpersistedAnswer`] as the FlightData stream of `quiver.ingester.v1` (see the proto):
//! one schema, every batch aligned to it and tagged with its origin, a final offsets message.
//!
//! ```text
//! answer ──► union of the chunks' columns (iox::column::type of each field; a type conflict is
//!            an error) ──► canonical order (schema::sort_columns) ──► the stream's schema
//!        ──► runs of chunks of one (partition, partition key), cut at COALESCE_ROWS /
//!            COALESCE_BYTES ──► lazily, per run: align each chunk to the schema (null-filled),
//!            concat, slice to ≤ MESSAGE_BYTES
//!            ──► dictionary messages + RecordBatch message (app_metadata: ChunkOrigin)
//!        ──► last: FlightData with only app_metadata = AnswerEnd (applied per partition)
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions, new_null_array};
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteContext, IpcWriteOptions};
use arrow_flight::FlightData;
use bytes::Bytes;
use catalog::LogPartition;
use prost::Message;
use query::unpersisted::UnpersistedAnswer;
use schema::{InfluxColumnType, SchemaError, influx_column_type, sort_columns};

use super::proto::{self, answer_metadata::Kind};

/// Consecutive chunks of one partition key are merged into batches of up to this many rows…
const COALESCE_ROWS: usize = 64 * 1024;
/// …and about this many Arrow bytes.
const COALESCE_BYTES: usize = 4 * 1024 * 1024;
/// Batches larger than this are sliced (gRPC messages stay well under clients' limits).
const MESSAGE_BYTES: usize = 8 * 1024 * 1024;

/// Why an answer cannot be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// A column lacks (or has wrong) Influx type metadata.
    #[error("cannot encode the answer: {0}")]
    Schema(#[from] SchemaError),
    /// Two chunks disagree on a column's type.
    #[error(
        "cannot encode the answer: column {column} is {first} in one batch and {second} in another"
    )]
    TypeConflict {
        /// Column name.
        column: String,
        /// Type in the earlier chunk.
        first: InfluxColumnType,
        /// Type in the later chunk.
        second: InfluxColumnType,
    },
    /// An Arrow kernel or the IPC writer failed.
    #[error("cannot encode the answer: {0}")]
    Arrow(#[from] ArrowError),
}

/// A run of chunks sent as one (or a few sliced) batches.
#[derive(Debug)]
struct Run {
    partition: LogPartition,
    partition_key: String,
    batches: Vec<RecordBatch>,
}

/// The answer's FlightData messages, produced one run at a time.
pub struct AnswerEncoder {
    schema: SchemaRef,
    runs: VecDeque<Run>,
    end: Option<FlightData>,
    queue: VecDeque<FlightData>,
    generator: IpcDataGenerator,
    tracker: DictionaryTracker,
    options: IpcWriteOptions,
    context: IpcWriteContext,
}

impl std::fmt::Debug for AnswerEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerEncoder")
            .field("schema", &self.schema)
            .field("runs", &self.runs.len())
            .finish_non_exhaustive()
    }
}

impl AnswerEncoder {
    /// Plans the stream of `answer` (rows of `table`); the schema message is queued first.
    pub fn new(table: &str, answer: UnpersistedAnswer) -> Result<Self, EncodeError> {
        let schema = union_schema(table, &answer)?;
        let end = end_message(&answer);
        let runs = runs(answer);
        let generator = IpcDataGenerator::default();
        let mut tracker = DictionaryTracker::new(false);
        let options = IpcWriteOptions::default();
        let schema_message =
            generator.schema_to_bytes_with_dictionary_tracker(&schema, &mut tracker, &options);
        Ok(Self {
            schema,
            runs,
            end: Some(end),
            queue: VecDeque::from([FlightData::from(schema_message)]),
            generator,
            tracker,
            options,
            context: IpcWriteContext::default(),
        })
    }

    /// The schema every batch of the stream has.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Queues the messages of the next run.
    fn encode_run(&mut self, run: Run) -> Result<(), EncodeError> {
        let aligned = run
            .batches
            .iter()
            .map(|b| align(&self.schema, b))
            .collect::<Result<Vec<_>, _>>()?;
        let batch = match aligned.as_slice() {
            [one] => one.clone(),
            _ => concat_batches(&self.schema, &aligned)?,
        };
        let origin = chunk_metadata(run.partition, &run.partition_key);
        for part in slices(&batch) {
            let (dictionaries, data) = self.generator.encode(
                &part,
                &mut self.tracker,
                &self.options,
                &mut self.context,
            )?;
            self.queue
                .extend(dictionaries.into_iter().map(FlightData::from));
            let mut message = FlightData::from(data);
            message.app_metadata = origin.clone();
            self.queue.push_back(message);
        }
        Ok(())
    }
}

impl Iterator for AnswerEncoder {
    type Item = Result<FlightData, EncodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(message) = self.queue.pop_front() {
                return Some(Ok(message));
            }
            match self.runs.pop_front() {
                Some(run) => {
                    if let Err(error) = self.encode_run(run) {
                        self.runs.clear();
                        self.end = None;
                        return Some(Err(error));
                    }
                }
                None => return self.end.take().map(Ok),
            }
        }
    }
}

/// The union of the chunks' columns, canonical order, canonical Arrow fields.
fn union_schema(table: &str, answer: &UnpersistedAnswer) -> Result<SchemaRef, EncodeError> {
    let mut columns: BTreeMap<String, InfluxColumnType> = BTreeMap::new();
    let chunks = answer.partitions.iter().flat_map(|p| &p.chunks);
    for chunk in chunks {
        for field in chunk.batch.schema().fields() {
            let column_type = influx_column_type(field)?;
            match columns.get(field.name()) {
                Some(&first) if first != column_type => {
                    return Err(EncodeError::TypeConflict {
                        column: field.name().clone(),
                        first,
                        second: column_type,
                    });
                }
                Some(_) => {}
                None => {
                    columns.insert(field.name().clone(), column_type);
                }
            }
        }
    }
    let mut ordered: Vec<(String, InfluxColumnType)> = columns.into_iter().collect();
    sort_columns(&mut ordered);
    Ok(Arc::new(schema::arrow_schema(
        table,
        ordered.iter().map(|(name, t)| (name.as_str(), *t)),
    )))
}

/// Consecutive chunks of one (partition, partition key), in answer order, cut into runs.
fn runs(answer: UnpersistedAnswer) -> VecDeque<Run> {
    let mut runs: VecDeque<Run> = VecDeque::new();
    let mut rows = 0;
    let mut bytes = 0;
    for partition in answer.partitions {
        for chunk in partition.chunks {
            if chunk.batch.num_rows() == 0 {
                continue;
            }
            let (chunk_rows, chunk_bytes) = (
                chunk.batch.num_rows(),
                schema::batch_memory_bytes(&chunk.batch),
            );
            let extend = runs.back().is_some_and(|run| {
                run.partition == partition.partition
                    && run.partition_key == chunk.partition_key
                    && rows + chunk_rows <= COALESCE_ROWS
                    && bytes + chunk_bytes <= COALESCE_BYTES
            });
            match runs.back_mut() {
                Some(run) if extend => {
                    run.batches.push(chunk.batch);
                    rows += chunk_rows;
                    bytes += chunk_bytes;
                }
                _ => {
                    runs.push_back(Run {
                        partition: partition.partition,
                        partition_key: chunk.partition_key,
                        batches: vec![chunk.batch],
                    });
                    rows = chunk_rows;
                    bytes = chunk_bytes;
                }
            }
        }
    }
    runs
}

/// `batch` with `schema`'s columns: its own by name, nulls for the others.
fn align(schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) => Arc::clone(column),
            None => new_null_array(field.data_type(), batch.num_rows()),
        })
        .collect();
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options)
}

/// `batch` cut into row ranges of about [`MESSAGE_BYTES`] each (zero-copy slices).
fn slices(batch: &RecordBatch) -> Vec<RecordBatch> {
    let rows = batch.num_rows();
    let bytes = schema::batch_memory_bytes(batch);
    let parts = bytes.div_ceil(MESSAGE_BYTES).clamp(1, rows.max(1));
    if parts == 1 {
        return vec![batch.clone()];
    }
    let per_part = rows.div_ceil(parts);
    (0..rows)
        .step_by(per_part)
        .map(|start| batch.slice(start, per_part.min(rows - start)))
        .collect()
}

/// The app_metadata of a RecordBatch message.
fn chunk_metadata(partition: LogPartition, partition_key: &str) -> Bytes {
    let kind = Kind::Chunk(proto::ChunkOrigin {
        partition,
        partition_key: partition_key.to_owned(),
    });
    Bytes::from(proto::AnswerMetadata { kind: Some(kind) }.encode_to_vec())
}

/// The last message of an answer: no IPC payload, the applied offsets in app_metadata.
fn end_message(answer: &UnpersistedAnswer) -> FlightData {
    let partitions = answer
        .partitions
        .iter()
        .map(|p| proto::PartitionApplied {
            partition: p.partition,
            applied: p.applied,
        })
        .collect();
    let kind = Kind::End(proto::AnswerEnd { partitions });
    FlightData {
        app_metadata: Bytes::from(proto::AnswerMetadata { kind: Some(kind) }.encode_to_vec()),
        ..FlightData::default()
    }
}
