//! A cluster with the whole write path as real processes: etcd, a tansu Kafka broker, a moto
//! S3 server, one `quiver router` and N `quiver ingester`s (restartable one by one).
//!
//! ```text
//! IngestCluster::start(n, partitions)
//!   EtcdProcess ─┐  TansuProcess + topic `quiver-writes` (partitions)  MotoProcess + bucket
//!                └─► quiver router --etcd-endpoints --kafka-brokers --kafka-topic
//!                    quiver ingester ×n --ingester-id ing-<i> --object-store s3 --bucket …
//!                                       --persist-max-age 1s   (AWS_* from moto)
//! wait_persisted() ──► Kafka high-water marks (KafkaWriteLog) vs catalog persisted offsets
//! account(db)      ──► every Parquet file of db.acct in the catalog, read from S3
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog::{Catalog, EtcdCatalog};
use config::{ObjectStoreArgs, ObjectStoreKind};
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use test_support::{EtcdProcess, MotoProcess, TansuProcess};
use write_log::WriteLog;
use write_log::kafka::{KafkaConfig, KafkaWriteLog};

use crate::accounting::{Accounting, account};
use crate::{CLUSTER_OPERATOR_TOKEN, QuiverProcess};

/// The topic of every ingest cluster.
pub const TOPIC: &str = "quiver-writes";
/// The bucket of every ingest cluster.
pub const BUCKET: &str = "quiver-e2e";

/// The processes of the write path. Everything is killed by PID on drop.
pub struct IngestCluster {
    // Fields drop in order: clients first, so nothing logs about a vanished broker at the end.
    /// Ingester slots (`None` while stopped).
    pub ingesters: Vec<Option<QuiverProcess>>,
    /// The router.
    pub router: QuiverProcess,
    /// A catalog client on the cluster's etcd.
    pub catalog: EtcdCatalog,
    /// The Kafka broker (kill/restart it to test outages).
    pub tansu: TansuProcess,
    /// The S3 server.
    pub moto: MotoProcess,
    /// etcd.
    pub etcd: EtcdProcess,
    persist_max_age: String,
    /// `Some(dir)`: ingesters and queriers share a local `file` object store in `dir` instead
    /// of moto's bucket (S3 through moto costs tens of ms per request).
    file_store: Option<tempfile::TempDir>,
}

impl IngestCluster {
    /// Starts everything with `ingesters` ingesters and a topic of `partitions` partitions.
    pub async fn start(ingesters: usize, partitions: u32, persist_max_age: &str) -> Self {
        let etcd = EtcdProcess::start().expect("etcd starts");
        let tansu = TansuProcess::start().expect("tansu starts");
        tansu
            .create_topic(TOPIC, partitions)
            .expect("topic created");
        let moto = MotoProcess::start(BUCKET).expect("moto starts");
        let router = QuiverProcess::start(&[
            "router",
            "--bind",
            "127.0.0.1:0",
            "--etcd-endpoints",
            &etcd.endpoint(),
            "--operator-token",
            CLUSTER_OPERATOR_TOKEN,
            "--auto-create-databases",
            "--kafka-brokers",
            &tansu.bootstrap(),
            "--kafka-topic",
            TOPIC,
        ]);
        let catalog = EtcdCatalog::connect(&[etcd.endpoint()], catalog::DEFAULT_ETCD_PREFIX)
            .await
            .expect("catalog client");
        let mut cluster = Self {
            etcd,
            tansu,
            moto,
            router,
            ingesters: (0..ingesters).map(|_| None).collect(),
            catalog,
            persist_max_age: persist_max_age.to_owned(),
            file_store: None,
        };
        for i in 0..ingesters {
            cluster.start_ingester(i);
        }
        cluster
    }

    /// Like [`IngestCluster::start`], with a local `file` object store shared by the ingesters
    /// and queriers instead of moto's S3 bucket.
    pub async fn start_on_files(ingesters: usize, partitions: u32, persist_max_age: &str) -> Self {
        let mut cluster = Self::start(0, partitions, persist_max_age).await;
        cluster.file_store = Some(tempfile::tempdir().expect("object store dir"));
        cluster.ingesters = (0..ingesters).map(|_| None).collect();
        for i in 0..ingesters {
            cluster.start_ingester(i);
        }
        cluster
    }

    /// The object store flags of ingesters and queriers.
    fn store_args(&self) -> Vec<String> {
        match &self.file_store {
            Some(dir) => vec![
                "--object-store".into(),
                "file".into(),
                "--data-dir".into(),
                dir.path().display().to_string(),
            ],
            None => vec![
                "--object-store".into(),
                "s3".into(),
                "--bucket".into(),
                BUCKET.into(),
                "--s3-endpoint".into(),
                self.moto.endpoint(),
                "--s3-allow-http".into(),
            ],
        }
    }

    /// Starts ingester `i` (id `ing-<i>`: the same id across restarts).
    pub fn start_ingester(&mut self, i: usize) {
        assert!(self.ingesters[i].is_none(), "ingester {i} is running");
        let id = format!("ing-{i}");
        let args = [
            "ingester",
            "--bind",
            "127.0.0.1:0",
            "--ingester-id",
            &id,
            "--etcd-endpoints",
            &self.etcd.endpoint(),
            "--kafka-brokers",
            &self.tansu.bootstrap(),
            "--kafka-topic",
            TOPIC,
            "--persist-max-age",
            &self.persist_max_age,
        ];
        let store = self.store_args();
        let args: Vec<&str> = args
            .into_iter()
            .chain(store.iter().map(String::as_str))
            .collect();
        let env = self.moto.aws_env();
        self.ingesters[i] = Some(QuiverProcess::start_with_env(&args, &env));
    }

    /// Starts a `quiver querier` on the cluster (Flight + HTTP on one port).
    pub fn start_querier(&self) -> QuiverProcess {
        let args = [
            "querier",
            "--bind",
            "127.0.0.1:0",
            "--etcd-endpoints",
            &self.etcd.endpoint(),
            "--kafka-brokers",
            &self.tansu.bootstrap(),
            "--kafka-topic",
            TOPIC,
        ];
        let store = self.store_args();
        let args: Vec<&str> = args
            .into_iter()
            .chain(store.iter().map(String::as_str))
            .collect();
        QuiverProcess::start_with_env(&args, &self.moto.aws_env())
    }

    /// kill -9 of ingester `i`.
    pub fn kill_ingester(&mut self, i: usize) {
        drop(self.ingesters[i].take().expect("ingester running"));
    }

    /// SIGTERM to ingester `i`; waits for its exit and checks it was clean.
    pub fn stop_ingester(&mut self, i: usize) {
        let status = self.ingesters[i]
            .take()
            .expect("ingester running")
            .terminate();
        assert!(status.success(), "ingester {i} exited with {status}");
    }

    /// The bucket, as the ingesters see it.
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        if let Some(dir) = &self.file_store {
            let args = ObjectStoreArgs {
                object_store: Some(ObjectStoreKind::File),
                ..ObjectStoreArgs::default()
            };
            return parquet_store::object_store_from(&args, Some(dir.path())).expect("file store");
        }
        let args = ObjectStoreArgs {
            object_store: Some(ObjectStoreKind::S3),
            bucket: Some(BUCKET.to_owned()),
            s3_endpoint: Some(self.moto.endpoint()),
            s3_region: Some(self.moto.region().to_owned()),
            s3_allow_http: true,
        };
        let base = AmazonS3Builder::new()
            .with_access_key_id(self.moto.access_key_id())
            .with_secret_access_key(self.moto.secret_access_key());
        parquet_store::s3_store(&args, base).expect("S3 store")
    }

    /// Waits (up to `timeout`) until every partition's persisted offset reached the topic's
    /// high-water mark; returns how long it took.
    pub async fn wait_persisted(&self, timeout: Duration) -> Duration {
        let started = Instant::now();
        let log = KafkaWriteLog::connect(KafkaConfig::new(self.tansu.bootstrap(), TOPIC))
            .await
            .expect("Kafka client");
        let mut last = String::new();
        while started.elapsed() < timeout {
            let (marks, persisted) = match (
                log.high_watermarks().await,
                self.catalog.persisted_offsets().await,
            ) {
                (Ok(m), Ok(p)) => (m, p),
                (m, p) => {
                    last = format!("{m:?} / {p:?}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            let done = marks.iter().all(|(part, &next)| {
                next == 0 || persisted.get(part).is_some_and(|&o| o + 1 >= next)
            });
            if done {
                return started.elapsed();
            }
            last = format!("high-water marks {marks:?}, persisted {persisted:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("not persisted within {timeout:?}: {last}");
    }

    /// Waits (up to `timeout`) until ingester `i` — the only one running — reports (on
    /// `/metrics`) every record below the topic's high-water marks as applied.
    pub async fn wait_applied(&self, i: usize, timeout: Duration) {
        let url = &self.ingesters[i].as_ref().expect("ingester running").url;
        let log = KafkaWriteLog::connect(KafkaConfig::new(self.tansu.bootstrap(), TOPIC))
            .await
            .expect("Kafka client");
        let client = reqwest::Client::new();
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < timeout {
            let marks = log.high_watermarks().await.unwrap_or_default();
            let text = match client.get(format!("{url}/metrics")).send().await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(e) => e.to_string(),
            };
            let applied: Vec<(u32, u64)> = text
                .lines()
                .filter_map(|l| {
                    let rest = l.strip_prefix("quiver_ingester_applied_offset{partition=\"")?;
                    let (p, v) = rest.split_once("\"} ")?;
                    Some((p.parse().ok()?, v.trim().parse().ok()?))
                })
                .collect();
            let caught_up = !marks.is_empty()
                && marks.iter().all(|(&p, &next)| {
                    next == 0 || applied.iter().any(|&(q, o)| q == p && o + 1 >= next)
                });
            if caught_up {
                return;
            }
            last = format!("marks {marks:?}, applied {applied:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("ingester {i} did not catch up within {timeout:?}: {last}");
    }

    /// Counts the points of `db`.acct in Parquet.
    pub async fn account(&self, db: &str) -> Accounting {
        account(&self.catalog as &dyn Catalog, &self.store(), db).await
    }
}
