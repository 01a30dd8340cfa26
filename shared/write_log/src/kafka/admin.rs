//! Topic creation: `KafkaAdmin::ensure_topic`, used by `quiver admin topic create` and, when
//! asked, at router start.
//!
//! ```text
//! ensure_topic(partitions, retention, replication (default min(3, brokers)))
//!   ──► CreateTopics { partitions, replication, retention.ms (-1 = forever), max.message.bytes }
//!   ──► Created | already exists ──► metadata ──► Existed { partitions }
//! ```

use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use super::{KafkaConfig, blocking, topic_partitions, unavailable};
use crate::WriteLogError;

/// What `ensure_topic` found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicStatus {
    /// The topic was created with the requested partitions.
    Created,
    /// The topic existed already, with this many partitions (left as they are).
    Existed {
        /// Its partition count.
        partitions: u32,
    },
}

/// A Kafka admin client.
pub struct KafkaAdmin {
    client: Arc<AdminClient<DefaultClientContext>>,
    config: KafkaConfig,
}

impl std::fmt::Debug for KafkaAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaAdmin")
            .field("brokers", &self.config.brokers)
            .finish()
    }
}

impl KafkaAdmin {
    /// An admin client for `config.brokers` (connects lazily).
    pub fn new(config: KafkaConfig) -> Result<Self, WriteLogError> {
        let client = config
            .client_config()
            .create()
            .map_err(|e| unavailable("creating Kafka admin client", &e))?;
        Ok(Self {
            client: Arc::new(client),
            config,
        })
    }

    /// Creates `config.topic` with `partitions` partitions, `replication` replicas (default
    /// min(3, brokers in the cluster)) and `retention` (`None` = keep forever) unless it
    /// exists. An existing topic is not changed.
    pub async fn ensure_topic(
        &self,
        partitions: u32,
        retention: Option<Duration>,
        replication: Option<u16>,
    ) -> Result<TopicStatus, WriteLogError> {
        let topic = self.config.topic.as_str();
        if partitions == 0 || partitions > i32::MAX as u32 {
            return Err(WriteLogError::InvalidState(format!(
                "topic {topic}: partitions must be between 1 and {}, got {partitions}",
                i32::MAX
            )));
        }
        let replication = match replication {
            Some(r) => r,
            None => self.broker_count().await?.clamp(1, 3),
        };
        let retention_ms = retention.map_or_else(|| "-1".to_owned(), |r| r.as_millis().to_string());
        let max_bytes = self.config.max_record_bytes.to_string();
        let new_topic = NewTopic::new(
            topic,
            partitions as i32,
            TopicReplication::Fixed(i32::from(replication)),
        )
        .set("retention.ms", &retention_ms)
        .set("max.message.bytes", &max_bytes);
        let options = AdminOptions::new()
            .request_timeout(Some(self.config.request_timeout))
            .operation_timeout(Some(self.config.request_timeout));
        let results = self
            .client
            .create_topics([&new_topic], &options)
            .await
            .map_err(|e| unavailable(&format!("creating Kafka topic {topic}"), &e))?;
        for result in results {
            match result {
                Ok(_) => {
                    tracing::info!(
                        topic,
                        partitions,
                        replication,
                        retention_ms,
                        "created Kafka topic"
                    );
                    return Ok(TopicStatus::Created);
                }
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => {
                    return Err(WriteLogError::Unavailable(format!(
                        "creating Kafka topic {name}: {code}"
                    )));
                }
            }
        }
        let client = Arc::clone(&self.client);
        let name = topic.to_owned();
        let timeout = self.config.request_timeout;
        let existing = blocking(move || topic_partitions(client.inner(), &name, timeout)).await?;
        Ok(TopicStatus::Existed {
            partitions: existing,
        })
    }

    /// Number of brokers in the cluster metadata.
    pub async fn broker_count(&self) -> Result<u16, WriteLogError> {
        let client = Arc::clone(&self.client);
        let timeout = self.config.request_timeout;
        blocking(move || {
            let metadata = client
                .inner()
                .fetch_metadata(None, timeout)
                .map_err(|e| unavailable("Kafka cluster metadata", &e))?;
            Ok(u16::try_from(metadata.brokers().len()).unwrap_or(u16::MAX))
        })
        .await
    }
}
