//! `quiver admin topic create`: the write log's Kafka topic.
//!
//! ```text
//! --kafka-brokers, --kafka-topic, --partitions, --retention, --replication-factor
//!   ──► KafkaAdmin::ensure_topic ──► created | exists (partitions) ──► Output
//! ```

use config::{Retention, TopicCommand, format_retention};
use serde_json::json;
use write_log::kafka::{KafkaAdmin, KafkaConfig, TopicStatus};

use super::error::AdminError;
use super::output::Output;

/// Runs `quiver admin topic …`.
pub(super) async fn run(command: TopicCommand) -> Result<Output, AdminError> {
    match command {
        TopicCommand::Create {
            kafka,
            partitions,
            retention,
            replication_factor,
            format: _,
        } => {
            let brokers = kafka.bootstrap_servers().ok_or(AdminError::NoKafka)?;
            let config = KafkaConfig::new(brokers, kafka.kafka_topic.clone());
            let admin = KafkaAdmin::new(config)?;
            let Retention(keep) = retention;
            let status = admin
                .ensure_topic(partitions, keep, replication_factor)
                .await?;
            let topic = kafka.kafka_topic;
            let retention = format_retention(keep);
            Ok(match status {
                TopicStatus::Created => Output {
                    json: json!({
                        "topic": topic, "created": true, "partitions": partitions,
                        "retention": retention,
                    }),
                    text: format!(
                        "created topic {topic}: {partitions} partitions, retention {retention}"
                    ),
                },
                TopicStatus::Existed { partitions: found } => Output {
                    json: json!({ "topic": topic, "created": false, "partitions": found }),
                    text: format!("topic {topic} exists with {found} partitions; left unchanged"),
                },
            })
        }
    }
}
