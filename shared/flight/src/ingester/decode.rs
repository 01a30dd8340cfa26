//! The querier's side of the answer stream: FlightData of `quiver.ingester.v1` ──►
//! [`UnpersistedAnswer`].
//!
//! ```text
//! Stream<FlightData> ──► message without IPC payload? ──► the end (AnswerEnd), kept aside;
//!                        anything after it is a protocol error
//!                    ──► arrow_flight FlightDataDecoder (schema, dictionaries, batches)
//!                          RecordBatch + app_metadata ChunkOrigin ──► (partition, chunk)
//! stream over ──► no end? error (the ingester failed mid-answer)
//!             ──► one PartitionAnswer per AnswerEnd entry (in order), its chunks in arrival
//!                 order; a chunk of a partition the end does not list is a protocol error
//! errors: a status ──► status::from_status; anything else ──► Unavailable { ingester, … }
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use arrow_flight::FlightData;
use arrow_flight::decode::{DecodedPayload, FlightDataDecoder};
use arrow_flight::error::FlightError;
use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use query::unpersisted::{PartitionAnswer, UnpersistedAnswer, UnpersistedChunk, UnpersistedError};
use tonic::Status;

use super::proto::{self, answer_metadata::Kind};
use super::status::from_status;

/// Reads a whole answer of the ingester at `ingester` (its address, for error messages).
pub async fn decode_answer<S>(
    stream: S,
    ingester: &str,
) -> Result<UnpersistedAnswer, UnpersistedError>
where
    S: Stream<Item = Result<FlightData, Status>> + Send + 'static,
{
    let unavailable = |message: String| UnpersistedError::Unavailable {
        ingester: ingester.to_owned(),
        message,
    };
    let end: Arc<Mutex<Option<Bytes>>> = Arc::default();
    let seen_end = Arc::clone(&end);
    let data = stream
        .map_err(|status| FlightError::Tonic(Box::new(status)))
        .try_filter_map(move |message| {
            let mut end = seen_end.lock().unwrap_or_else(PoisonError::into_inner);
            let result = if end.is_some() {
                Err(FlightError::protocol(
                    "a message came after the end of the answer",
                ))
            } else if message.data_header.is_empty() {
                *end = Some(message.app_metadata);
                Ok(None)
            } else {
                Ok(Some(message))
            };
            futures::future::ready(result)
        });
    let mut decoder = FlightDataDecoder::new(data);
    let mut chunks = Vec::new();
    while let Some(decoded) = decoder.next().await {
        let decoded = decoded.map_err(|e| match e {
            FlightError::Tonic(status) => from_status(&status, ingester),
            other => unavailable(format!("invalid answer: {other}")),
        })?;
        if let DecodedPayload::RecordBatch(batch) = decoded.payload {
            let origin = match metadata(&decoded.inner.app_metadata) {
                Some(Kind::Chunk(origin)) => origin,
                _ => {
                    return Err(unavailable(
                        "invalid answer: a batch without its partition and partition key".into(),
                    ));
                }
            };
            chunks.push((
                origin.partition,
                UnpersistedChunk {
                    partition_key: origin.partition_key,
                    batch,
                },
            ));
        }
    }
    let end = end.lock().unwrap_or_else(PoisonError::into_inner).take();
    let Some(Kind::End(end)) = end.as_deref().and_then(metadata) else {
        return Err(unavailable(
            "the answer ended before its final message (the ingester failed mid-answer)".into(),
        ));
    };
    let mut partitions: Vec<PartitionAnswer> = end
        .partitions
        .into_iter()
        .map(|p| PartitionAnswer {
            partition: p.partition,
            applied: p.applied,
            chunks: Vec::new(),
        })
        .collect();
    for (partition, chunk) in chunks {
        match partitions.iter_mut().find(|p| p.partition == partition) {
            Some(answer) => answer.chunks.push(chunk),
            None => {
                return Err(unavailable(format!(
                    "invalid answer: rows of log partition {partition}, which the answer does not list"
                )));
            }
        }
    }
    Ok(UnpersistedAnswer { partitions })
}

/// The `AnswerMetadata` kind in `bytes` (`None`: absent or not decodable).
fn metadata(bytes: &[u8]) -> Option<Kind> {
    proto::AnswerMetadata::decode(bytes).ok()?.kind
}
