//! A small Quiver cluster for end-to-end tests: one real etcd, one real Kafka-protocol broker
//! (tansu) and `n` real `quiver router` processes on them, plus a catalog client on the same
//! etcd for setting things up directly.
//!
//! ```text
//! Cluster::start(n) ──► EtcdProcess (free ports, temp dir), TansuProcess (free port, sqlite)
//!                   ──► n × `quiver router --bind 127.0.0.1:0 --etcd-endpoints … --operator-token …
//!                          --kafka-brokers … --kafka-create-topic-partitions 4`
//!                   ──► EtcdCatalog on the same endpoint and prefix (the test's admin handle)
//! write_lp(router, db, token, body) ──► POST /api/v2/write ──► (status, Retry-After, body)
//! write_acked(…) ──► the same, must be 204
//! ```

use catalog::EtcdCatalog;
use test_support::{EtcdProcess, TansuProcess};

use crate::QuiverProcess;

/// Operator token every router of a [`Cluster`] is started with.
pub const CLUSTER_OPERATOR_TOKEN: &str = "qvr_cluster-e2e-operator";

/// Partitions of the write log topic the routers create.
pub const CLUSTER_LOG_PARTITIONS: u32 = 4;

/// One etcd, one broker and the routers. Everything is killed by PID on drop.
pub struct Cluster {
    /// The etcd (kill/restart it to test outages).
    pub etcd: EtcdProcess,
    /// The Kafka-protocol broker holding the write log (topic `quiver-writes`).
    pub kafka: TansuProcess,
    /// The routers, in start order.
    pub routers: Vec<QuiverProcess>,
    /// A catalog client on the routers' etcd and prefix.
    pub catalog: EtcdCatalog,
}

impl Cluster {
    /// Starts etcd, the broker and `routers` routers (each with [`CLUSTER_OPERATOR_TOKEN`]).
    pub async fn start(routers: usize) -> Self {
        let etcd = EtcdProcess::start().expect("etcd starts");
        let kafka = TansuProcess::start().expect("tansu starts");
        let endpoint = etcd.endpoint();
        let brokers = kafka.bootstrap();
        let partitions = CLUSTER_LOG_PARTITIONS.to_string();
        let routers = (0..routers)
            .map(|_| {
                QuiverProcess::start(&[
                    "router",
                    "--bind",
                    "127.0.0.1:0",
                    "--etcd-endpoints",
                    &endpoint,
                    "--operator-token",
                    CLUSTER_OPERATOR_TOKEN,
                    "--kafka-brokers",
                    &brokers,
                    "--kafka-create-topic-partitions",
                    &partitions,
                ])
            })
            .collect();
        let catalog = EtcdCatalog::connect(&[endpoint], catalog::DEFAULT_ETCD_PREFIX)
            .await
            .expect("catalog client");
        Self {
            etcd,
            kafka,
            routers,
            catalog,
        }
    }

    /// Base URL of router `i`.
    pub fn url(&self, i: usize) -> &str {
        &self.routers[i].url
    }
}

/// `POST {router}/api/v2/write?bucket={db}` with `Authorization: Token {token}`; returns the
/// status, the `Retry-After` header and the body. Bounded by a 10 s client timeout.
pub async fn write_lp(
    client: &reqwest::Client,
    router: &str,
    db: &str,
    token: &str,
    body: &str,
) -> (u16, Option<String>, String) {
    let resp = client
        .post(format!("{router}/api/v2/write?bucket={db}&precision=ns"))
        .header("Authorization", format!("Token {token}"))
        .timeout(std::time::Duration::from_secs(10))
        .body(body.to_owned())
        .send()
        .await
        .expect("router answers");
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, retry_after, resp.text().await.unwrap_or_default())
}

/// [`write_lp`] that must be acknowledged: panics with the router's answer unless it is 204.
pub async fn write_acked(router: &str, db: &str, token: &str, body: &str) {
    let (status, _, text) = write_lp(&reqwest::Client::new(), router, db, token, body).await;
    assert_eq!(status, 204, "write to {db}: {text}");
}
