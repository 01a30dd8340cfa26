//! `quiver ingester`: consumes the Kafka topic in a consumer group and persists Parquet.
//!
//! ```text
//! flags ──► logging ──► EtcdCatalog (--etcd-endpoints, --etcd-prefix; lazy)
//!       ──► object store (--object-store …) ──► bind --bind: one port, HTTP/1.1 + HTTP/2
//!             shell: /health, /ready (consuming; etcd and object store checks), /metrics
//!             + gRPC Flight query API (queriers' DoGet)
//!       ──► KafkaLogReader (--kafka-brokers, --kafka-topic, group "quiver-ingesters";
//!             retried while Kafka comes up)
//!       ──► Ingester::run(reader, Registration { id, http://host:port }, SIGINT/SIGTERM)
//!             SIGTERM ──► persist every buffer (queries still answered) ──► release the lease
//!             ──► leave the group ──► stop serving (bounded)
//! ```
//!
//! The id defaults to `<hostname>-<port>`: stable across restarts of one instance, unique per
//! host and port. The published address is the one queriers dial for the Flight query API:
//! the bound IP and port, or — when bound to all interfaces — the host name and port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use catalog::{Catalog, DEFAULT_INGESTER_LEASE_TTL};
use config::IngesterConfig;
use ingester::{Identity, Ingester, Registration};
use parquet_store::object_store_from;
use service_shell::{Dependency, RetryPolicy, retry_start, shutdown_signal};
use write_log::WriteLogError;
use write_log::kafka::{KafkaConfig, KafkaLogReader};

use crate::common::{RunError, announce, cluster, listen, persist_settings, start_logging};

/// The Kafka consumer group every ingester of a cluster joins.
pub(crate) const CONSUMER_GROUP: &str = "quiver-ingesters";

/// How long the server may wait for open connections (queries) after the ingester stopped.
const HTTP_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the ingester until SIGINT or SIGTERM, then persists and leaves.
pub(crate) async fn run(config: IngesterConfig) -> Result<(), RunError> {
    start_logging(&config.logging)?;
    let backend = cluster::etcd("ingester", &config.etcd).await?;
    let brokers = config
        .kafka
        .bootstrap_servers()
        .ok_or_else(|| Dependency::Kafka.missing("ingester"))?;
    let catalog: Arc<dyn Catalog> = Arc::clone(&backend) as Arc<dyn Catalog>;
    let data_dir = config.storage.data_dir.as_deref();
    let store = object_store_from(&config.object_store, data_dir)?;
    let (listener, addr) = listen(&config.bind).await?;
    let identity = identity(config.ingester_id.clone(), addr);
    let mut kafka = KafkaConfig::new(brokers, config.kafka.kafka_topic.clone());
    kafka.decode_priority = config.consume_priority;
    let reader = retry_start(
        Dependency::Kafka,
        RetryPolicy::default(),
        || KafkaLogReader::connect(kafka.clone(), CONSUMER_GROUP),
        WriteLogError::is_retryable,
    )
    .await?;
    let ingester = Ingester::new(
        catalog,
        Arc::clone(&store),
        persist_settings(&config.ingester),
    )
    .map_err(RunError::PersistThreads)?;
    let state = ingester.http_state();
    let shell = state
        .shell()
        .with_check(cluster::etcd_check(&backend, true))
        .with_check(querier::store_check(store));
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let http = tokio::spawn(ingester::serve_http(listener, state, shell, async {
        let _ = http_stopped.await;
    }));
    announce("ingester", addr);
    tracing::info!(
        id = %identity.id,
        topic = %config.kafka.kafka_topic,
        group = CONSUMER_GROUP,
        "ingester started"
    );
    let registration = Registration {
        identity,
        ttl: DEFAULT_INGESTER_LEASE_TTL,
    };
    let (reader, report) = ingester
        .run(reader, Some(registration), shutdown_signal())
        .await;
    // Leaving the group hands the partitions to the other ingesters.
    drop(reader);
    if !report.unpersisted_partitions.is_empty() {
        tracing::warn!(
            partitions = ?report.unpersisted_partitions,
            "stopped with unpersisted data; the next owner replays it from Kafka"
        );
    }
    let _ = stop_http.send(());
    match tokio::time::timeout(HTTP_STOP_TIMEOUT, http).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => tracing::warn!(%error, "HTTP server error"),
        Ok(Err(error)) => tracing::warn!(%error, "HTTP server task failed"),
        Err(_) => tracing::warn!("open connections did not close in time; exiting anyway"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// The configured id, or `<hostname>-<port>`; the address queriers use.
fn identity(configured: Option<String>, addr: SocketAddr) -> Identity {
    let host = hostname();
    let id = configured.unwrap_or_else(|| format!("{host}-{}", addr.port()));
    let address = if addr.ip().is_unspecified() {
        format!("http://{host}:{}", addr.port())
    } else {
        // SocketAddr's Display brackets IPv6 hosts, as URIs need.
        format!("http://{addr}")
    };
    Identity { id, address }
}

/// The host name (Linux: the kernel's), else `localhost`.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_defaults_to_host_and_port() {
        let addr: SocketAddr = "127.0.0.1:9083".parse().unwrap();
        let id = identity(None, addr);
        assert_eq!(id.id, format!("{}-9083", hostname()));
        assert_eq!(id.address, "http://127.0.0.1:9083");
        let any: SocketAddr = "0.0.0.0:8083".parse().unwrap();
        let id = identity(Some("ing-a".into()), any);
        assert_eq!(id.id, "ing-a");
        assert_eq!(id.address, format!("http://{}:8083", hostname()));
        let v6: SocketAddr = "[::1]:8083".parse().unwrap();
        assert_eq!(identity(None, v6).address, "http://[::1]:8083");
    }
}
