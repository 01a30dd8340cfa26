//! `KafkaWriteLog`: the router's side of the Kafka backend.
//!
//! ```text
//! append(p, write) ──codec::encode──► FutureRecord { partition p, key "db/table",
//!     headers content-type, quiver-database, traceparent } ──send (acks=all)──► Delivery ──► offset
//! append_each([(p, write)]) ──encode all (≥ 2 000 rows: one blocking task per record, in
//!     parallel) ──► queue all at once (one produce request per broker) ──► every Delivery
//! ```
//!
//! The producer is idempotent (`enable.idempotence=true`: retries after a leader change or a
//! reconnect never duplicate or reorder a partition's records), lingers `KafkaConfig::linger`
//! (0 by default: records queued while earlier produce requests are in flight still go out
//! together), holds at most 100 000 records / 256 MiB in its queue, and gives up on a record
//! after `produce_timeout` so a dead broker turns into errors (503), not hangs.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use futures::future::join_all;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::future_producer::Delivery;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;

use super::{KafkaConfig, blocking, topic_partitions, unavailable};
use crate::codec::{self, CONTENT_TYPE, DEFAULT_ENCODING};
use crate::{LogPartition, LogPosition, LogWrite, WriteLog, WriteLogError};

/// How long `append` waits for room in a full producer queue before failing.
const QUEUE_WAIT: Duration = Duration::from_secs(1);

/// A write log on a Kafka topic.
#[derive(Clone)]
pub struct KafkaWriteLog {
    producer: FutureProducer,
    config: KafkaConfig,
    partitions: u32,
}

impl std::fmt::Debug for KafkaWriteLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaWriteLog")
            .field("brokers", &self.config.brokers)
            .field("topic", &self.config.topic)
            .field("partitions", &self.partitions)
            .finish()
    }
}

impl KafkaWriteLog {
    /// Connects and reads the topic's partition count (the topic must exist).
    pub async fn connect(config: KafkaConfig) -> Result<Self, WriteLogError> {
        let producer: FutureProducer = config
            .client_config()
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("max.in.flight.requests.per.connection", "5")
            .set("linger.ms", config.linger.as_millis().to_string())
            .set("batch.size", config.max_record_bytes.to_string())
            .set("queue.buffering.max.messages", "100000")
            .set("queue.buffering.max.kbytes", "262144")
            .set(
                "message.timeout.ms",
                config.produce_timeout.as_millis().to_string(),
            )
            .set("compression.type", "none")
            .create()
            .map_err(|e| unavailable("creating Kafka producer", &e))?;
        let client_producer = producer.clone();
        let topic = config.topic.clone();
        let timeout = config.request_timeout;
        let partitions =
            blocking(move || topic_partitions(client_producer.client(), &topic, timeout)).await?;
        tracing::info!(
            brokers = %config.brokers,
            topic = %config.topic,
            partitions,
            "Kafka write log connected"
        );
        Ok(Self {
            producer,
            config,
            partitions,
        })
    }

    /// The topic written to.
    pub fn topic(&self) -> &str {
        &self.config.topic
    }
}

/// One write encoded for a partition, ready to be queued.
struct Prepared {
    partition: LogPartition,
    payload: Vec<u8>,
    key: String,
    database: String,
    traceparent: Option<String>,
}

impl Prepared {
    fn record<'a>(&'a self, log: &'a KafkaWriteLog) -> FutureRecord<'a, str, [u8]> {
        FutureRecord::to(log.config.topic.as_str())
            .partition(self.partition as i32)
            .key(self.key.as_str())
            .payload(self.payload.as_slice())
            .headers(headers(&self.database, self.traceparent.as_deref()))
    }
}

/// What encoding a record needs to know of the log (cheap to copy onto an encoding thread).
#[derive(Debug, Clone, Copy)]
struct Encoder {
    partitions: u32,
    max_record_bytes: usize,
}

impl Encoder {
    /// Checks the partition and encodes `write` (refusing records over the size limit).
    fn prepare(self, partition: LogPartition, write: &LogWrite) -> Result<Prepared, WriteLogError> {
        if partition >= self.partitions {
            return Err(WriteLogError::UnknownPartition {
                partition,
                partition_count: self.partitions,
            });
        }
        let payload = codec::encode(write, DEFAULT_ENCODING)
            .map_err(|e| WriteLogError::Encode(e.to_string()))?;
        if payload.len() > self.max_record_bytes {
            return Err(WriteLogError::RecordTooLarge {
                bytes: payload.len(),
                limit: format!(
                    "the Kafka write log's record limit of {} bytes",
                    self.max_record_bytes
                ),
            });
        }
        Ok(Prepared {
            partition,
            payload,
            key: record_key(write),
            database: write.database.clone(),
            traceparent: write.traceparent.clone(),
        })
    }
}

/// Rows from which `append_each` encodes a request's records on blocking threads, in parallel
/// and off the async workers (≈ 0.3 ms per 1 000 TSBS rows); smaller requests encode inline,
/// where handing off would cost more than it saves.
const PARALLEL_ENCODE_ROWS: usize = 2_000;

impl KafkaWriteLog {
    fn encoder(&self) -> Encoder {
        Encoder {
            partitions: self.partitions,
            max_record_bytes: self.config.max_record_bytes,
        }
    }

    /// Checks the partition and encodes `write` (refusing records over the size limit).
    fn prepare(
        &self,
        partition: LogPartition,
        write: &LogWrite,
    ) -> Result<Prepared, WriteLogError> {
        self.encoder().prepare(partition, write)
    }

    /// [`Self::prepare`] for every write: on the blocking pool, one task per record, when the
    /// writes hold at least [`PARALLEL_ENCODE_ROWS`] rows and there are several; inline
    /// otherwise. Results in the order of `writes`.
    async fn prepare_all(
        &self,
        writes: Vec<(LogPartition, LogWrite)>,
    ) -> Vec<Result<Prepared, WriteLogError>> {
        let rows: usize = writes.iter().map(|(_, write)| write.row_count()).sum();
        if writes.len() < 2 || rows < PARALLEL_ENCODE_ROWS {
            return writes
                .iter()
                .map(|(partition, write)| self.prepare(*partition, write))
                .collect();
        }
        let encoder = self.encoder();
        join_all(writes.into_iter().map(|(partition, write)| async move {
            tokio::task::spawn_blocking(move || encoder.prepare(partition, &write))
                .await
                .unwrap_or_else(|e| {
                    Err(WriteLogError::Encode(format!(
                        "encoding the record for partition {partition} failed: {e}"
                    )))
                })
        }))
        .await
    }

    /// The position of an acknowledged record, or why it was not acknowledged.
    fn delivered(
        &self,
        partition: LogPartition,
        bytes: usize,
        result: Result<Delivery, KafkaError>,
    ) -> Result<LogPosition, WriteLogError> {
        let topic = self.config.topic.as_str();
        let delivery = result.map_err(|e| produce_error(topic, partition, bytes, &e))?;
        let offset = u64::try_from(delivery.offset).map_err(|_| {
            WriteLogError::Unavailable(format!(
                "Kafka {topic}[{partition}] acknowledged with invalid offset {}",
                delivery.offset
            ))
        })?;
        Ok(LogPosition { partition, offset })
    }
}

/// The record key: `database/first-table` (partitions are explicit; the key is for tools).
fn record_key(write: &LogWrite) -> String {
    match write.tables.first() {
        Some((table, _)) => format!("{}/{table}", write.database),
        None => write.database.clone(),
    }
}

fn headers(database: &str, traceparent: Option<&str>) -> OwnedHeaders {
    let mut headers = OwnedHeaders::new_with_capacity(3)
        .insert(Header {
            key: codec::HEADER_CONTENT_TYPE,
            value: Some(CONTENT_TYPE),
        })
        .insert(Header {
            key: codec::HEADER_DATABASE,
            value: Some(database),
        });
    if let Some(traceparent) = traceparent {
        headers = headers.insert(Header {
            key: codec::HEADER_TRACEPARENT,
            value: Some(traceparent),
        });
    }
    headers
}

fn produce_error(
    topic: &str,
    partition: LogPartition,
    bytes: usize,
    e: &KafkaError,
) -> WriteLogError {
    match e {
        // The broker's (or the topic's) `message.max.bytes` / `max.message.bytes` is lower than
        // the producer's: the same record is refused again, whatever the retry.
        KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge) => {
            WriteLogError::RecordTooLarge {
                bytes,
                limit: format!(
                    "what the Kafka broker accepts for {topic}[{partition}] (the topic's \
                     max.message.bytes)"
                ),
            }
        }
        _ => unavailable(&format!("producing to Kafka {topic}[{partition}]"), e),
    }
}

#[async_trait]
impl WriteLog for KafkaWriteLog {
    fn partition_count(&self) -> u32 {
        self.partitions
    }

    async fn append(
        &self,
        partition: LogPartition,
        write: LogWrite,
    ) -> Result<LogPosition, WriteLogError> {
        let prepared = self.prepare(partition, &write)?;
        let result = self
            .producer
            .send(prepared.record(self), QUEUE_WAIT)
            .await
            .map_err(|(e, _)| e);
        self.delivered(partition, prepared.payload.len(), result)
    }

    async fn append_each(
        &self,
        writes: Vec<(LogPartition, LogWrite)>,
    ) -> Vec<Result<LogPosition, WriteLogError>> {
        // Encode everything first (in parallel when large), then queue every record at once:
        // the producer's broker thread wakes to all of them and sends one produce request per
        // broker, not one per partition.
        let prepared = self.prepare_all(writes).await;
        let deliveries = prepared.iter().map(|prepared| async move {
            let prepared = prepared.as_ref().map_err(Clone::clone)?;
            let result = match self.producer.send_result(prepared.record(self)) {
                Ok(delivery) => match delivery.await {
                    Ok(result) => result.map_err(|(e, _)| e),
                    // The producer dropped the delivery report (it is shutting down).
                    Err(_) => Err(KafkaError::Canceled),
                },
                // Queue full: wait for room as `append` does.
                Err((_, record)) => self
                    .producer
                    .send(record, QUEUE_WAIT)
                    .await
                    .map_err(|(e, _)| e),
            };
            self.delivered(prepared.partition, prepared.payload.len(), result)
        });
        join_all(deliveries).await
    }

    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, WriteLogError> {
        let producer = self.producer.clone();
        let topic = self.config.topic.clone();
        let timeout = self.config.request_timeout;
        let partitions = self.partitions;
        blocking(move || {
            let mut marks = BTreeMap::new();
            for p in 0..partitions {
                let (_, high) = producer
                    .client()
                    .fetch_watermarks(&topic, p as i32, timeout)
                    .map_err(|e| unavailable(&format!("watermarks of {topic}[{p}]"), &e))?;
                marks.insert(p, u64::try_from(high).unwrap_or(0));
            }
            Ok(marks)
        })
        .await
    }

    async fn flush(&self) -> Result<(), WriteLogError> {
        let producer = self.producer.clone();
        let timeout = self.config.produce_timeout;
        blocking(move || {
            producer
                .flush(timeout)
                .map_err(|e| unavailable("flushing the Kafka producer", &e))
        })
        .await
    }
}
