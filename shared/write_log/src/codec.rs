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
pub const DEFAULT_ENCODING: PayloadEncoding = PayloadEncoding::ArrowIpcZstd;

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
    /// The IPC stream of a table holds no batch, or more than one.
    #[error("table {table}: expected exactly one record batch in the payload, found {found}")]
    BatchCount {
        /// Table name.
        table: String,
        /// Batches found.
        found: usize,
    },
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
    match PayloadEncoding::try_from(record.encoding) {
        Ok(PayloadEncoding::Unspecified) | Err(_) => {
            return Err(CodecError::UnknownEncoding(record.encoding));
        }
        Ok(_) => {}
    }
    let tables = record
        .tables
        .into_iter()
        .map(|t| {
            let batch = decode_batch(&t.payload, &t.name)?;
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
        PayloadEncoding::ArrowIpc | PayloadEncoding::Unspecified => None,
    };
    let options = IpcWriteOptions::default().try_with_compression(compression)?;
    let mut out = Vec::with_capacity(batch.get_array_memory_size() / 2 + 256);
    let mut writer = StreamWriter::try_new_with_options(&mut out, &batch.schema(), options)?;
    writer.write(batch)?;
    writer.finish()?;
    drop(writer);
    Ok(out)
}

/// One batch from an Arrow IPC stream (compression is read from the stream itself).
pub fn decode_batch(payload: &[u8], table: &str) -> Result<RecordBatch, CodecError> {
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
        record.format_version = 1;
        record.encoding = 42;
        assert_eq!(
            decode(&record.encode_to_vec()).unwrap_err().to_string(),
            "unknown payload encoding 42"
        );
        record.encoding = PayloadEncoding::ArrowIpc as i32;
        record.tables.push(proto::TablePayload {
            name: "cpu".into(),
            payload: b"not arrow".to_vec(),
        });
        let err = decode(&record.encode_to_vec()).unwrap_err().to_string();
        assert!(err.starts_with("table cpu: Arrow IPC: "), "{err}");
        assert!(decode(b"\xff\xff\xff").is_err());
    }
}
