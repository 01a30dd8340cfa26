//! The cluster's dependencies as the router and the ingester open them (the querier's are in
//! `querier::connect`), each with the service shell's retry while it is not up yet and a
//! readiness check.
//!
//! ```text
//! --etcd-endpoints, --etcd-prefix ──► EtcdCatalog::connect (lazy) ──► etcd_check (ping)
//!   router:   ──► CachedCatalog (snapshot + watch), first snapshot retried (RetryPolicy)
//!   ingester: ──► the backend itself (commits go straight to etcd)
//! --operator-token ──► ensure_operator_token (hash only, idempotent; retried in the
//!                      background while etcd is unreachable)
//! --kafka-brokers, --kafka-topic ──► [KafkaAdmin::ensure_topic when --kafka-create-topic-
//!                      partitions N] ──► KafkaWriteLog::connect, retried (RetryPolicy)
//!                      ──► kafka_check (high-water marks)
//! no flag ──► Dependency::missing(service): a service never runs on a private in-memory
//!             catalog or log
//! ```

use std::sync::Arc;
use std::time::Duration;

use auth::Token;
use catalog::{CachedCatalog, Catalog, CatalogError, EtcdCatalog, ensure_operator_token};
use config::{EtcdArgs, KafkaArgs};
use service_shell::{Check, Dependency, RetryPolicy, StartError, retry_start};
use write_log::kafka::{KafkaAdmin, KafkaConfig, KafkaWriteLog};
use write_log::{WriteLog, WriteLogError};

use super::RunError;

/// Delay between operator-token bootstrap attempts while etcd is unreachable.
const BOOTSTRAP_RETRY: Duration = Duration::from_secs(1);
/// Retention of a topic created at router start.
const CREATED_TOPIC_RETENTION: Duration = Duration::from_secs(7 * 86_400);

/// The etcd backend for `service` (the connection is lazy: etcd may still be down).
pub(crate) async fn etcd(
    service: &'static str,
    etcd: &EtcdArgs,
) -> Result<Arc<EtcdCatalog>, RunError> {
    if etcd.etcd_endpoints.is_empty() {
        return Err(Dependency::Etcd.missing(service).into());
    }
    let store = EtcdCatalog::connect(&etcd.etcd_endpoints, &etcd.etcd_prefix)
        .await
        .map_err(|error| StartError::Failed {
            dependency: Dependency::Etcd,
            error,
        })?;
    tracing::info!(
        endpoints = ?etcd.etcd_endpoints,
        prefix = store.prefix(),
        "cluster catalog on etcd"
    );
    Ok(Arc::new(store))
}

/// `backend` behind the watch-fed cache, its first snapshot retried while etcd comes up.
pub(crate) async fn cached(backend: &Arc<EtcdCatalog>) -> Result<Arc<dyn Catalog>, RunError> {
    let cache = retry_start(
        Dependency::Etcd,
        RetryPolicy::default(),
        || CachedCatalog::new(Arc::clone(backend) as Arc<dyn Catalog>),
        |e| matches!(e, CatalogError::Unavailable(_)),
    )
    .await?;
    Ok(Arc::new(cache))
}

/// `/ready`'s etcd check: one read.
pub(crate) fn etcd_check(backend: &Arc<EtcdCatalog>, required: bool) -> Check {
    let backend = Arc::clone(backend);
    let probe = move || {
        let backend = Arc::clone(&backend);
        async move { backend.ping().await.map_err(|e| e.to_string()) }
    };
    if required {
        Check::required(Dependency::Etcd.name(), probe)
    } else {
        Check::optional(Dependency::Etcd.name(), probe)
    }
}

/// The Kafka write log of `service` (the topic created first when `create_partitions` is
/// given), retried while the brokers or the topic are not there yet.
pub(crate) async fn kafka_log(
    service: &'static str,
    kafka: &KafkaArgs,
    create_partitions: Option<u32>,
) -> Result<Arc<dyn WriteLog>, RunError> {
    let brokers = kafka
        .bootstrap_servers()
        .ok_or_else(|| Dependency::Kafka.missing(service))?;
    let mut config = KafkaConfig::new(brokers, kafka.kafka_topic.clone());
    config.linger = kafka.kafka_linger;
    let log = retry_start(
        Dependency::Kafka,
        RetryPolicy::default(),
        || open_topic(config.clone(), create_partitions),
        WriteLogError::is_retryable,
    )
    .await?;
    Ok(Arc::new(log))
}

async fn open_topic(
    config: KafkaConfig,
    create_partitions: Option<u32>,
) -> Result<KafkaWriteLog, WriteLogError> {
    if let Some(partitions) = create_partitions {
        let admin = KafkaAdmin::new(config.clone())?;
        let status = admin
            .ensure_topic(partitions, Some(CREATED_TOPIC_RETENTION), None)
            .await?;
        tracing::info!(topic = %config.topic, ?status, "write log topic");
    }
    KafkaWriteLog::connect(config).await
}

/// Stores the configured operator token (by hash) in the cluster catalog. When etcd is
/// unreachable, keeps trying in the background; any other failure stops the start.
pub(crate) async fn bootstrap_operator_token(
    catalog: Arc<dyn Catalog>,
    token: Token,
) -> Result<(), RunError> {
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
        Err(e) => Err(RunError::OperatorToken(e)),
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
