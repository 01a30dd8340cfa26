//! Kafka backend: one topic, its partitions are the log partitions.
//!
//! ```text
//! router: KafkaWriteLog::append(p, write) ──codec──► FutureProducer (acks=all, idempotent,
//!         linger (0 by default), bounded queue, message.timeout bounded) ──► topic partition p ──► offset
//! ingester: KafkaLogReader (consumer group, cooperative-sticky, no auto commit)
//!         rebalance callback ──► Assigned / Revoked events; new partitions paused until seek
//!         recv ──► filter (assigned, sought, offset ≥ target) ──► decode thread (codec,
//!         at `decode_priority`) ──► LogEvent::Record
//! admin:  KafkaAdmin::ensure_topic(name, partitions, retention, replication)
//! ```
//!
//! Nothing here depends on a particular broker; tests run against the `tansu` broker.

mod admin;
mod consumer;
mod producer;

use std::time::Duration;

use cpu_pool::Priority;
use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;

pub use admin::{KafkaAdmin, TopicStatus};
pub use consumer::KafkaLogReader;
pub use producer::KafkaWriteLog;

use crate::WriteLogError;

/// Connection settings shared by producer, consumer and admin client.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `host:port[,host:port…]`.
    pub brokers: String,
    /// The topic whose partitions are the log partitions.
    pub topic: String,
    /// Longest time an append waits for the broker's acknowledgement (`message.timeout.ms`);
    /// past it the append fails (the router answers 503) instead of hanging.
    pub produce_timeout: Duration,
    /// Timeout of metadata, watermark and admin requests.
    pub request_timeout: Duration,
    /// Largest record (`message.max.bytes`); a larger append fails without being sent.
    pub max_record_bytes: usize,
    /// How long the producer batches records for a partition before sending (`linger.ms`).
    pub linger: Duration,
    /// Priority of the reader's decode thread (the CPU-heavy part of consuming).
    pub decode_priority: Priority,
}

impl KafkaConfig {
    /// Defaults: 10 s produce timeout, 10 s request timeout, 16 MiB records, no linger, decoding
    /// at the process's priority.
    pub fn new(brokers: impl Into<String>, topic: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            topic: topic.into(),
            produce_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            max_record_bytes: 16 << 20,
            linger: Duration::ZERO,
            decode_priority: Priority::NORMAL,
        }
    }

    fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", "quiver")
            .set("socket.keepalive.enable", "true")
            .set("socket.nagle.disable", "true")
            .set("reconnect.backoff.ms", "50")
            .set("reconnect.backoff.max.ms", "1000")
            .set("message.max.bytes", self.max_record_bytes.to_string());
        config
    }
}

/// Maps a client error to a log error; the Kafka text is kept.
fn unavailable(context: &str, e: &KafkaError) -> WriteLogError {
    WriteLogError::Unavailable(format!("{context}: {e}"))
}

/// Runs a blocking librdkafka call off the async workers.
async fn blocking<T, F>(f: F) -> Result<T, WriteLogError>
where
    F: FnOnce() -> Result<T, WriteLogError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WriteLogError::Unavailable(format!("Kafka client task failed: {e}")))?
}

/// Partition count of `topic` from cluster metadata; an error names the topic when it is
/// missing.
fn topic_partitions(
    client: &rdkafka::client::Client<impl rdkafka::ClientContext>,
    topic: &str,
    timeout: Duration,
) -> Result<u32, WriteLogError> {
    let metadata = client
        .fetch_metadata(Some(topic), timeout)
        .map_err(|e| unavailable(&format!("metadata of topic {topic}"), &e))?;
    let Some(t) = metadata.topics().iter().find(|t| t.name() == topic) else {
        return Err(WriteLogError::Unavailable(format!(
            "Kafka topic {topic} not found (create it with `quiver admin topic create`)"
        )));
    };
    if let Some(err) = t.error() {
        let code: rdkafka::types::RDKafkaErrorCode = err.into();
        return Err(WriteLogError::Unavailable(format!(
            "Kafka topic {topic}: {code} (create it with `quiver admin topic create`)"
        )));
    }
    let count = t.partitions().len();
    if count == 0 {
        return Err(WriteLogError::Unavailable(format!(
            "Kafka topic {topic} has no partitions"
        )));
    }
    u32::try_from(count)
        .map_err(|_| WriteLogError::Unavailable(format!("Kafka topic {topic}: {count} partitions")))
}
