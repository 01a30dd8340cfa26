//! The record format (protobuf `quiver.write_log.v1.WriteRecord`, `proto/`), shared by every
//! backend: Kafka record values and file-log entries.
//!
//! ```text
//! LogWrite ──encode──► WriteRecord { format_version, database, tables: [name, Arrow IPC bytes],
//!                                    encoding, traceparent } ──prost──► bytes
//! bytes ──decode──► check version/encoding ──► Arrow IPC stream reader per table ──► LogWrite
//! ```
//!
//! The payload encoding was chosen by benchmark (`benches/payload_encoding.rs`, figures in
//! docs/benchmarks.md "Write log payload encoding"): [`DEFAULT_ENCODING`]. Readers accept every
//! encoding of the enum.

use std::io::Cursor;

use arrow::ipc::CompressionType;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow::record_batch::RecordBatch;
use prost::Message;

use crate::LogWrite;

mod compact;
mod narrow;

pub use narrow::{WIDE_TYPE_METADATA_KEY, WidenError, narrow_batch, widen_batch};

/// Generated from `proto/quiver/write_log/v1/record.proto`.
#[allow(missing_docs, clippy::all)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/quiver.write_log.v1.rs"));
}

pub use proto::PayloadEncoding;

/// The record format version this build writes (and the highest it reads).
pub const FORMAT_VERSION: u32 = 1;

/// Value of the Kafka `content-type` header.
pub const CONTENT_TYPE: &str =
    "application/x-protobuf; schema=\"quiver.write_log.v1.WriteRecord\"; version=1";

/// Kafka header names.
pub const HEADER_CONTENT_TYPE: &str = "content-type";
/// Kafka header carrying the database name (readable without decoding the value).
pub const HEADER_DATABASE: &str = "quiver-database";
/// Kafka header carrying the W3C trace context.
pub const HEADER_TRACEPARENT: &str = "traceparent";

/// The encoding writers use.
pub const DEFAULT_ENCODING: PayloadEncoding = PayloadEncoding::ArrowIpcNarrowZstdFrame;

/// zstd level of the one-frame encodings (chosen by benchmark, docs/benchmarks.md
/// "Write log payload encoding").
pub const FRAME_ZSTD_LEVEL: i32 = 1;

/// Largest decompressed table payload a reader accepts (a frame claiming more is refused, not
/// allocated): far above any record a router writes (request bodies are capped).
pub const MAX_DECOMPRESSED_PAYLOAD: u64 = 1 << 30;

/// Why a record could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// Arrow IPC failed.
    #[error("table {table}: Arrow IPC: {source}")]
    Ipc {
        /// Table name.
        table: String,
        /// The Arrow error.
        source: arrow::error::ArrowError,
    },
    /// Not a protobuf `WriteRecord`.
    #[error("not a quiver.write_log.v1.WriteRecord: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// Written by a newer Quiver.
    #[error("record format version {found} is newer than this build's {FORMAT_VERSION}")]
    UnsupportedVersion {
        /// Version in the record.
        found: u32,
    },
    /// Encoding value unknown to this build, or unspecified.
    #[error("unknown payload encoding {0}")]
    UnknownEncoding(i32),
    /// A zstd frame payload could not be decompressed.
    #[error("table {table}: zstd frame: {reason}")]
    Frame {
        /// Table name.
        table: String,
        /// What is wrong.
        reason: String,
    },
    /// A narrowed column could not be widened back.
    #[error("table {table}: {source}")]
    Widen {
        /// Table name.
        table: String,
        /// What is wrong.
        source: WidenError,
    },
    /// The IPC stream of a table holds no batch, or more than one.
    #[error("table {table}: expected exactly one record batch in the payload, found {found}")]
    BatchCount {
        /// Table name.
        table: String,
        /// Batches found.
        found: usize,
    },
}

impl CodecError {
    /// True when the record comes from a newer writer (a format version or payload encoding
    /// this build does not know), not from damage: an upgraded reader can decode it.
    pub fn is_newer_format(&self) -> bool {
        matches!(
            self,
            Self::UnsupportedVersion { .. } | Self::UnknownEncoding(_)
        )
    }
}

/// Encodes a write with `encoding`.
pub fn encode(write: &LogWrite, encoding: PayloadEncoding) -> Result<Vec<u8>, CodecError> {
    let tables = write
        .tables
        .iter()
        .map(|(name, batch)| {
            Ok(proto::TablePayload {
                name: name.clone(),
                payload: encode_batch(batch, encoding).map_err(|source| CodecError::Ipc {
                    table: name.clone(),
                    source,
                })?,
            })
        })
        .collect::<Result<Vec<_>, CodecError>>()?;
    let record = proto::WriteRecord {
        format_version: FORMAT_VERSION,
        database: write.database.clone(),
        tables,
        encoding: encoding as i32,
        traceparent: write.traceparent.clone().unwrap_or_default(),
    };
    Ok(record.encode_to_vec())
}

/// Decodes a record written by any version up to [`FORMAT_VERSION`].
pub fn decode(bytes: &[u8]) -> Result<LogWrite, CodecError> {
    let record = proto::WriteRecord::decode(bytes)?;
    if record.format_version > FORMAT_VERSION {
        return Err(CodecError::UnsupportedVersion {
            found: record.format_version,
        });
    }
    let encoding = match PayloadEncoding::try_from(record.encoding) {
        Ok(PayloadEncoding::Unspecified) | Err(_) => {
            return Err(CodecError::UnknownEncoding(record.encoding));
        }
        Ok(encoding) => encoding,
    };
    let tables = record
        .tables
        .into_iter()
        .map(|t| {
            let batch = decode_batch(&t.payload, &t.name, encoding)?;
            Ok((t.name, batch))
        })
        .collect::<Result<Vec<_>, CodecError>>()?;
    Ok(LogWrite {
        database: record.database,
        tables,
        traceparent: (!record.traceparent.is_empty()).then_some(record.traceparent),
    })
}

/// One batch as an Arrow IPC stream (schema + batch + end marker).
pub fn encode_batch(
    batch: &RecordBatch,
    encoding: PayloadEncoding,
) -> Result<Vec<u8>, arrow::error::ArrowError> {
    let compression = match encoding {
        PayloadEncoding::ArrowIpcLz4 => Some(CompressionType::LZ4_FRAME),
        PayloadEncoding::ArrowIpcZstd => Some(CompressionType::ZSTD),
        PayloadEncoding::ArrowIpc
        | PayloadEncoding::ArrowIpcZstdFrame
        | PayloadEncoding::ArrowIpcNarrowZstdFrame
        | PayloadEncoding::Unspecified => None,
    };
    let narrowed;
    let batch = if encoding == PayloadEncoding::ArrowIpcNarrowZstdFrame {
        narrowed = narrow_batch(batch)?;
        &narrowed
    } else {
        batch
    };
    let options = IpcWriteOptions::default().try_with_compression(compression)?;
    let mut out = Vec::with_capacity(batch.get_array_memory_size() / 2 + 256);
    let mut writer = StreamWriter::try_new_with_options(&mut out, &batch.schema(), options)?;
    writer.write(batch)?;
    writer.finish()?;
    drop(writer);
    if matches!(
        encoding,
        PayloadEncoding::ArrowIpcZstdFrame | PayloadEncoding::ArrowIpcNarrowZstdFrame
    ) {
        return compress_frame(&out);
    }
    Ok(out)
}

thread_local! {
    /// One compression context per thread, reused: creating a zstd context costs more than
    /// compressing a small batch.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// `bytes` as one zstd frame at [`FRAME_ZSTD_LEVEL`], its content size in the header.
fn compress_frame(bytes: &[u8]) -> Result<Vec<u8>, arrow::error::ArrowError> {
    let zstd_error = |e: std::io::Error| arrow::error::ArrowError::ExternalError(Box::new(e));
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = match slot.as_mut() {
            Some(compressor) => compressor,
            None => slot.insert(zstd::bulk::Compressor::new(FRAME_ZSTD_LEVEL).map_err(zstd_error)?),
        };
        compressor.compress(bytes).map_err(zstd_error)
    })
}

/// The content of one zstd frame whose header states its size (at most
/// [`MAX_DECOMPRESSED_PAYLOAD`]).
fn decompress_frame(payload: &[u8], table: &str) -> Result<Vec<u8>, CodecError> {
    let frame = |reason: String| CodecError::Frame {
        table: table.to_owned(),
        reason,
    };
    let size = match zstd::zstd_safe::get_frame_content_size(payload) {
        Ok(Some(size)) => size,
        Ok(None) => {
            return Err(frame(
                "the frame header does not state its content size".into(),
            ));
        }
        Err(_) => return Err(frame("not a zstd frame".into())),
    };
    if size > MAX_DECOMPRESSED_PAYLOAD {
        return Err(frame(format!(
            "content of {size} bytes exceeds the {MAX_DECOMPRESSED_PAYLOAD} byte limit"
        )));
    }
    // size ≤ 1 GiB fits usize on every supported target.
    zstd::bulk::decompress(payload, size as usize).map_err(|e| frame(e.to_string()))
}

/// One batch from a table payload in `encoding` (buffer compression inside an IPC stream is
/// read from the stream itself).
pub fn decode_batch(
    payload: &[u8],
    table: &str,
    encoding: PayloadEncoding,
) -> Result<RecordBatch, CodecError> {
    match encoding {
        PayloadEncoding::ArrowIpcZstdFrame => {
            read_one_batch(&decompress_frame(payload, table)?, table)
        }
        PayloadEncoding::ArrowIpcNarrowZstdFrame => {
            let narrowed = read_one_batch(&decompress_frame(payload, table)?, table)?;
            widen_batch(narrowed).map_err(|source| CodecError::Widen {
                table: table.to_owned(),
                source,
            })
        }
        _ => read_one_batch(payload, table),
    }
}

/// The one batch of an Arrow IPC stream.
fn read_one_batch(payload: &[u8], table: &str) -> Result<RecordBatch, CodecError> {
    let ipc = |source| CodecError::Ipc {
        table: table.to_owned(),
        source,
    };
    let reader = StreamReader::try_new(Cursor::new(payload), None).map_err(ipc)?;
    let mut batches = reader.collect::<Result<Vec<_>, _>>().map_err(ipc)?;
    if batches.len() != 1 {
        return Err(CodecError::BatchCount {
            table: table.to_owned(),
            found: batches.len(),
        });
    }
    batches.pop().ok_or_else(|| CodecError::BatchCount {
        table: table.to_owned(),
        found: 0,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{DictionaryArray, Float64Array, TimestampNanosecondArray};
    use arrow::datatypes::{DataType, Field, Int32Type, Schema, TimeUnit};

    use super::*;

    fn batch() -> RecordBatch {
        let meta = |v: &str| {
            std::collections::HashMap::from([("iox::column::type".to_owned(), v.to_owned())])
        };
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "host",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                true,
            )
            .with_metadata(meta("iox::column_type::tag")),
            Field::new("usage", DataType::Float64, true)
                .with_metadata(meta("iox::column_type::field::float")),
            Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                false,
            )
            .with_metadata(meta("iox::column_type::timestamp")),
        ]));
        let host: DictionaryArray<Int32Type> =
            vec![Some("a"), None, Some("a")].into_iter().collect();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(host),
                Arc::new(Float64Array::from(vec![Some(1.5), Some(2.0), None])),
                Arc::new(TimestampNanosecondArray::from(vec![1, 2, 3])),
            ],
        )
        .unwrap()
    }

    #[test]
    fn round_trips_in_every_encoding() {
        let mut write = LogWrite::new("db", vec![("cpu".into(), batch()), ("mem".into(), batch())]);
        write.traceparent = Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into());
        for encoding in [
            PayloadEncoding::ArrowIpc,
            PayloadEncoding::ArrowIpcLz4,
            PayloadEncoding::ArrowIpcZstd,
            PayloadEncoding::ArrowIpcZstdFrame,
            PayloadEncoding::ArrowIpcNarrowZstdFrame,
        ] {
            let bytes = encode(&write, encoding).unwrap();
            let back = decode(&bytes).unwrap();
            assert_eq!(back, write, "{encoding:?}");
            assert_eq!(
                back.tables[0].1.schema().field(0).metadata()["iox::column::type"],
                "iox::column_type::tag"
            );
        }
        let plain = LogWrite::new("db", vec![]);
        assert_eq!(
            decode(&encode(&plain, DEFAULT_ENCODING).unwrap()).unwrap(),
            plain
        );
    }

    #[test]
    fn decoded_frames_count_the_bytes_their_columns_reference() {
        // Columns of a batch read from one zstd frame slice one allocation (the IPC body):
        // capacity-based counting sees it once per buffer, schema::batch_memory_bytes once.
        let big = arrow::compute::concat_batches(&batch().schema(), &vec![batch(); 500]).unwrap();
        let write = LogWrite::new("db", vec![("cpu".into(), big.clone())]);
        let back = decode(&encode(&write, PayloadEncoding::ArrowIpcZstdFrame).unwrap()).unwrap();
        let decoded = &back.tables[0].1;
        assert_eq!(decoded, &big);
        assert_eq!(
            schema::batch_memory_bytes(decoded),
            schema::batch_memory_bytes(&big)
        );
        assert!(
            decoded.get_array_memory_size() > 3 * schema::batch_memory_bytes(decoded),
            "shared body counted per buffer: {} vs {}",
            decoded.get_array_memory_size(),
            schema::batch_memory_bytes(decoded)
        );
    }

    #[test]
    fn refuses_newer_versions_unknown_encodings_and_garbage() {
        let mut record = proto::WriteRecord {
            format_version: FORMAT_VERSION + 1,
            database: "db".into(),
            tables: vec![],
            encoding: PayloadEncoding::ArrowIpc as i32,
            traceparent: String::new(),
        };
        let err = decode(&record.encode_to_vec()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "record format version 2 is newer than this build's 1"
        );
        assert!(err.is_newer_format());
        assert_eq!(
            crate::unreadable_record(3, 7, &err).to_string(),
            "write log record at partition 3 offset 7 was written by a newer Quiver (record format \
             version 2 is newer than this build's 1); upgrade this ingester: ingesters must be \
             upgraded before routers"
        );
        record.format_version = 1;
        record.encoding = 42;
        let err = decode(&record.encode_to_vec()).unwrap_err();
        assert_eq!(err.to_string(), "unknown payload encoding 42");
        assert!(matches!(
            crate::unreadable_record(0, 1, &err),
            crate::WriteLogError::NewerFormat {
                partition: 0,
                offset: 1,
                ..
            }
        ));
        record.encoding = PayloadEncoding::ArrowIpc as i32;
        record.tables.push(proto::TablePayload {
            name: "cpu".into(),
            payload: b"not arrow".to_vec(),
        });
        let err = decode(&record.encode_to_vec()).unwrap_err().to_string();
        assert!(err.starts_with("table cpu: Arrow IPC: "), "{err}");
        let garbage = decode(b"\xff\xff\xff").unwrap_err();
        assert!(!garbage.is_newer_format());
        assert!(matches!(
            crate::unreadable_record(0, 1, &garbage),
            crate::WriteLogError::Malformed { .. }
        ));

        // Frames: not zstd, no content size, a claimed size over the limit, corrupt content.
        record.encoding = PayloadEncoding::ArrowIpcZstdFrame as i32;
        let frame_error = |payload: Vec<u8>| {
            let mut record = record.clone();
            record.tables[0].payload = payload;
            decode(&record.encode_to_vec()).unwrap_err().to_string()
        };
        assert_eq!(
            frame_error(b"not arrow".to_vec()),
            "table cpu: zstd frame: not a zstd frame"
        );
        let mut unsized_frame = Vec::new();
        {
            // The streaming encoder does not know the size up front: no content size.
            let mut encoder = zstd::stream::Encoder::new(&mut unsized_frame, 1).unwrap();
            std::io::Write::write_all(&mut encoder, b"abc").unwrap();
            encoder.finish().unwrap();
        }
        assert_eq!(
            frame_error(unsized_frame),
            "table cpu: zstd frame: the frame header does not state its content size"
        );
        // A frame header claiming 2 GiB (single-segment frame, 8-byte content size field).
        let mut huge = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
        huge.extend_from_slice(&(2u64 << 30).to_le_bytes());
        assert_eq!(
            frame_error(huge),
            "table cpu: zstd frame: content of 2147483648 bytes exceeds the 1073741824 byte limit"
        );
        let mut corrupt = compress_frame(&[7u8; 4096]).unwrap();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xff;
        corrupt.truncate(last - 2);
        let err = frame_error(corrupt);
        assert!(err.starts_with("table cpu: zstd frame: "), "{err}");
        // A valid frame whose content is not an IPC stream.
        let err = frame_error(compress_frame(b"not arrow").unwrap());
        assert!(err.starts_with("table cpu: Arrow IPC: "), "{err}");
    }

    #[test]
    fn narrowed_records_are_smaller_widen_back_and_refuse_bad_markings() {
        // 1 000 rows of small integers: narrowed to Int8 in the payload, Int64 again when read.
        let values: Vec<i64> = (0..1_000).map(|i| i % 100).collect();
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, true)]));
        let ints = RecordBatch::try_new(
            schema,
            vec![Arc::new(arrow::array::Int64Array::from(values))],
        )
        .unwrap();
        let write = LogWrite::new("db", vec![("cpu".into(), ints)]);
        let narrow = encode(&write, PayloadEncoding::ArrowIpcNarrowZstdFrame).unwrap();
        let plain = encode(&write, PayloadEncoding::ArrowIpcZstdFrame).unwrap();
        assert!(
            narrow.len() < plain.len(),
            "{} vs {}",
            narrow.len(),
            plain.len()
        );
        assert_eq!(decode(&narrow).unwrap(), write);
        let record = proto::WriteRecord::decode(narrow.as_slice()).unwrap();
        let stream = decompress_frame(&record.tables[0].payload, "cpu").unwrap();
        let raw = read_one_batch(&stream, "cpu").unwrap();
        assert_eq!(raw.schema().field(0).data_type(), &DataType::Int8);

        // A payload whose marking names no known wide type.
        let marked =
            Field::new("v", DataType::Int8, true).with_metadata(std::collections::HashMap::from([
                (WIDE_TYPE_METADATA_KEY.into(), "Int128".into()),
            ]));
        let bad = RecordBatch::try_new(
            Arc::new(Schema::new(vec![marked])),
            vec![Arc::new(arrow::array::Int8Array::from(vec![1]))],
        )
        .unwrap();
        let record = proto::WriteRecord {
            format_version: FORMAT_VERSION,
            database: "db".into(),
            tables: vec![proto::TablePayload {
                name: "cpu".into(),
                payload: encode_batch(&bad, PayloadEncoding::ArrowIpcZstdFrame).unwrap(),
            }],
            encoding: PayloadEncoding::ArrowIpcNarrowZstdFrame as i32,
            traceparent: String::new(),
        };
        let err = decode(&record.encode_to_vec()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "table cpu: column v: unknown quiver::wide_type \"Int128\""
        );
        assert!(!err.is_newer_format());
    }

    #[test]
    fn a_widened_batch_is_one_allocation_holding_nothing_of_the_stream() {
        // Every column of `batch()` but the float and time ones is narrowed: if those two kept
        // slicing the decompressed stream, the narrowed parts of it would stay allocated unused.
        let big = arrow::compute::concat_batches(&batch().schema(), &vec![batch(); 500]).unwrap();
        let write = LogWrite::new("db", vec![("cpu".into(), big.clone())]);
        let back =
            decode(&encode(&write, PayloadEncoding::ArrowIpcNarrowZstdFrame).unwrap()).unwrap();
        let decoded = &back.tables[0].1;
        assert_eq!(decoded, &big);
        // Every buffer slices one allocation (the arena of `compact_batch`) of about the bytes
        // the batch references: nothing of the stream, no buffers of their own.
        let referenced = schema::batch_memory_bytes(decoded);
        let mut capacities = Vec::new();
        fn walk(data: &arrow::array::ArrayData, out: &mut Vec<usize>) {
            out.extend(data.buffers().iter().map(|b| b.capacity()));
            out.extend(data.nulls().map(|n| n.buffer().capacity()));
            data.child_data().iter().for_each(|c| walk(c, out));
        }
        for column in decoded.columns() {
            walk(&column.to_data(), &mut capacities);
        }
        assert!(capacities.len() > 3);
        assert!(
            capacities.iter().all(|&c| c == capacities[0]),
            "one allocation: {capacities:?}"
        );
        assert!(
            capacities[0] < 2 * referenced,
            "decoded batch holds {} bytes for {referenced} referenced",
            capacities[0]
        );
    }
}
