//! The catalog of `quiver router`: etcd (cluster mode), read through a watch-fed cache, and the
//! operator token bootstrap.
//!
//! ```text
//! --etcd-endpoints, --etcd-prefix ──► EtcdCatalog::connect (lazy: etcd may still be down)
//!                                      └─► CachedCatalog (snapshot + watch, reloads on loss;
//!                                          first snapshot retried for up to 30 s)
//! --operator-token ──► ensure_operator_token (hash only, idempotent; retried in the
//!                      background while etcd is unreachable)
//! no --etcd-endpoints ──► error: a router never runs on a private in-memory catalog
//! --kafka-brokers, --kafka-topic ──► [KafkaAdmin::ensure_topic when --kafka-create-topic-
//!                      partitions N] ──► KafkaWriteLog::connect (reads the partition count;
//!                      retried for up to 30 s while Kafka is unreachable)
//! no --kafka-brokers ──► error: a router never acks writes into a private in-memory log
//! ```

use std::sync::Arc;
use std::time::Duration;

use auth::Token;
use catalog::{CachedCatalog, Catalog, CatalogError, EtcdCatalog, ensure_operator_token};
use config::{EtcdArgs, KafkaArgs};
use write_log::WriteLog;
use write_log::kafka::{KafkaAdmin, KafkaConfig, KafkaWriteLog};

use crate::start::StartError;

/// Delay between operator-token bootstrap attempts while etcd is unreachable.
const BOOTSTRAP_RETRY: Duration = Duration::from_secs(1);
/// Attempts (one per second) to load the first catalog snapshot before giving up.
const FIRST_SYNC_ATTEMPTS: u32 = 30;

/// The router's catalog: etcd behind the cache.
pub async fn router_catalog(etcd: &EtcdArgs) -> Result<Arc<dyn Catalog>, StartError> {
    if etcd.etcd_endpoints.is_empty() {
        return Err(StartError::NoClusterCatalog);
    }
    let store = EtcdCatalog::connect(&etcd.etcd_endpoints, &etcd.etcd_prefix)
        .await
        .map_err(StartError::ClusterCatalog)?;
    tracing::info!(
        endpoints = ?etcd.etcd_endpoints,
        prefix = store.prefix(),
        "cluster catalog on etcd"
    );
    let store: Arc<dyn Catalog> = Arc::new(store);
    let mut attempt = 1;
    loop {
        match CachedCatalog::new(Arc::clone(&store)).await {
            Ok(cache) => return Ok(Arc::new(cache)),
            Err(CatalogError::Unavailable(reason)) if attempt < FIRST_SYNC_ATTEMPTS => {
                tracing::warn!(%reason, attempt, "cannot load the catalog yet; retrying");
                attempt += 1;
                tokio::time::sleep(BOOTSTRAP_RETRY).await;
            }
            Err(e) => return Err(StartError::ClusterCatalog(e)),
        }
    }
}

/// Retention of a topic created at router start.
const CREATED_TOPIC_RETENTION: Duration = Duration::from_secs(7 * 86_400);

/// The router's write log: the Kafka topic (created first when asked).
pub async fn router_write_log(
    kafka: &KafkaArgs,
    create_partitions: Option<u32>,
) -> Result<Arc<dyn WriteLog>, StartError> {
    let brokers = kafka.bootstrap_servers().ok_or(StartError::NoWriteLog)?;
    let mut config = KafkaConfig::new(brokers, kafka.kafka_topic.clone());
    config.linger = kafka.kafka_linger;
    let mut attempt = 1;
    loop {
        let opened = async {
            if let Some(partitions) = create_partitions {
                let admin = KafkaAdmin::new(config.clone())?;
                let status = admin
                    .ensure_topic(partitions, Some(CREATED_TOPIC_RETENTION), None)
                    .await?;
                tracing::info!(topic = %config.topic, ?status, "write log topic");
            }
            KafkaWriteLog::connect(config.clone()).await
        }
        .await;
        match opened {
            Ok(log) => return Ok(Arc::new(log)),
            Err(e) if e.is_retryable() && attempt < FIRST_SYNC_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "cannot open the Kafka write log yet; retrying");
                attempt += 1;
                tokio::time::sleep(BOOTSTRAP_RETRY).await;
            }
            Err(e) => return Err(StartError::WriteLog(e)),
        }
    }
}

/// Stores the configured operator token (by hash) in the cluster catalog. When etcd is
/// unreachable, keeps trying in the background; any other failure stops the start.
pub async fn bootstrap_operator_token(
    catalog: Arc<dyn Catalog>,
    token: Token,
) -> Result<(), StartError> {
    match ensure_operator_token(catalog.as_ref(), token.expose()).await {
        Ok(record) => {
            report(&record);
            Ok(())
        }
        Err(CatalogError::Unavailable(reason)) => {
            tracing::warn!(%reason, "catalog unavailable; storing the operator token in the background");
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(BOOTSTRAP_RETRY).await;
                    match ensure_operator_token(catalog.as_ref(), token.expose()).await {
                        Ok(record) => {
                            report(&record);
                            break;
                        }
                        Err(CatalogError::Unavailable(_)) => continue,
                        Err(e) => {
                            tracing::error!(error = %e, "cannot store the operator token");
                            break;
                        }
                    }
                }
            });
            Ok(())
        }
        Err(e) => Err(StartError::Catalog(e)),
    }
}

fn report(record: &catalog::TokenRecord) {
    if record.revoked {
        tracing::warn!(
            token_id = record.id.0,
            "the configured operator token is revoked"
        );
    } else {
        tracing::info!(
            token_id = record.id.0,
            "operator token present in the catalog"
        );
    }
}
