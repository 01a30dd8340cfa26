//! The cluster harness of the end-to-end tests: real etcd, a real Kafka-protocol broker
//! (tansu), routers, ingesters and queriers as `quiver` processes, and a moto S3 server (or a
//! shared local directory) for the Parquet files — one type for every cluster shape.
//!
//! ```text
//! Cluster::start(n)                 etcd + tansu + n routers; the routers create the topic
//!                                   (--kafka-create-topic-partitions 4), no auto-create
//! Cluster::ingest(n, p, age)        etcd + tansu (topic of p partitions) + moto + 1 router
//!                                   (--auto-create-databases) + n ingesters (ing-<i>, S3)
//! Cluster::ingest_on_files(n, p, a) the same, Parquet in a shared local directory instead of S3
//! Cluster::query_only()             etcd + tansu (topic of 1 partition) + a local object store;
//!                                   persist_lp(db, lp) writes what an ingester would have
//!                                   (Parquet + commit); start_querier() reads it
//!   start_ingester(i) / stop_ingester(i) (SIGTERM) / kill_ingester(i) (kill -9), start_querier(),
//!   start_compactor(flags)
//!   (start_querier_with(flags): extra flags)
//!   (start_ingester(i) past the last slot adds one: a cluster grows)
//!   wait_rebalanced(t) ──► the running ingesters' leases and /metrics split the topic's
//!                          partitions between exactly them, each owning at least one
//!   wait_persisted(t) ──► Kafka high-water marks vs catalog persisted offsets
//!   wait_applied(i, t) ──► ingester i's applied offsets (its /metrics) vs high-water marks
//!   account(db) ──► every Parquet file of db.acct in the catalog, read from the store
//! write_lp(router, db, token, body) ──► POST /api/v2/write ──► (status, Retry-After, body)
//! write_acked(…) ──► the same, must be 204
//! ```
//!
//! Everything is killed by PID when the cluster is dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog::{Catalog, Database, EtcdCatalog, PersistCommit, SchemaUpsert};
use config::{ObjectStoreArgs, ObjectStoreKind};
use line_protocol::Precision;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use parquet_store::{FileMeta, write_parquet};
use test_support::{EtcdProcess, MotoProcess, TansuProcess};
use write_log::WriteLog;
use write_log::kafka::{KafkaConfig, KafkaWriteLog};

use crate::QuiverProcess;
use crate::accounting::{Accounting, account};

/// Operator token every router of a [`Cluster`] is started with.
pub const CLUSTER_OPERATOR_TOKEN: &str = "qvr_cluster-e2e-operator";

/// Partitions of the write log topic of [`Cluster::start`] (created by its routers).
pub const CLUSTER_LOG_PARTITIONS: u32 = 4;

/// The topic of every cluster.
pub const TOPIC: &str = "quiver-writes";

/// The bucket of every cluster with ingesters.
pub const BUCKET: &str = "quiver-e2e";

/// The processes of one cluster (see the module doc).
pub struct Cluster {
    // Fields drop in order: clients first, so nothing logs about a vanished broker at the end.
    /// Ingester slots (`None` while stopped).
    pub ingesters: Vec<Option<QuiverProcess>>,
    /// The routers, in start order.
    pub routers: Vec<QuiverProcess>,
    /// A catalog client on the cluster's etcd and prefix (the test's admin handle).
    pub catalog: EtcdCatalog,
    /// The Kafka-protocol broker holding the write log (kill/restart it to test outages).
    pub kafka: TansuProcess,
    /// The S3 server (clusters with ingesters).
    moto: Option<MotoProcess>,
    /// etcd (kill/restart it to test outages).
    pub etcd: EtcdProcess,
    persist_max_age: String,
    /// `Some(dir)`: ingesters and queriers share a local `file` object store in `dir` instead
    /// of moto's bucket (S3 through moto costs tens of ms per request).
    file_store: Option<tempfile::TempDir>,
    /// The next log offset `persist_lp` commits (log partition 0).
    next_offset: u64,
    /// Partitions of the topic.
    partitions: u32,
}

impl Cluster {
    /// etcd, the broker and `routers` routers (each with [`CLUSTER_OPERATOR_TOKEN`]); the
    /// routers create the topic with [`CLUSTER_LOG_PARTITIONS`] partitions.
    pub async fn start(routers: usize) -> Self {
        let etcd = EtcdProcess::start().expect("etcd starts");
        let kafka = TansuProcess::start().expect("tansu starts");
        let partitions = CLUSTER_LOG_PARTITIONS.to_string();
        let routers = (0..routers)
            .map(|_| {
                QuiverProcess::start(&[
                    "router",
                    "--bind",
                    "127.0.0.1:0",
                    "--etcd-endpoints",
                    &etcd.endpoint(),
                    "--operator-token",
                    CLUSTER_OPERATOR_TOKEN,
                    "--kafka-brokers",
                    &kafka.bootstrap(),
                    "--kafka-create-topic-partitions",
                    &partitions,
                ])
            })
            .collect();
        let catalog = catalog_client(&etcd).await;
        Self {
            ingesters: Vec::new(),
            routers,
            catalog,
            kafka,
            moto: None,
            etcd,
            persist_max_age: "1s".to_owned(),
            file_store: None,
            next_offset: 0,
            partitions: CLUSTER_LOG_PARTITIONS,
        }
    }

    /// etcd, the broker (a topic of one partition) and a local object store directory, no
    /// router and no ingester: for tests that write the catalog and the Parquet files
    /// themselves ([`Cluster::persist_lp`]) and query them through [`Cluster::start_querier`].
    pub async fn query_only() -> Self {
        let etcd = EtcdProcess::start().expect("etcd starts");
        let kafka = TansuProcess::start().expect("tansu starts");
        kafka.create_topic(TOPIC, 1).expect("topic created");
        let catalog = catalog_client(&etcd).await;
        Self {
            ingesters: Vec::new(),
            routers: Vec::new(),
            catalog,
            kafka,
            moto: None,
            etcd,
            persist_max_age: "1s".to_owned(),
            file_store: Some(tempfile::tempdir().expect("object store dir")),
            next_offset: 0,
            partitions: 1,
        }
    }

    /// Persists `lp` into `db` as an ingester would have: the schema upserted, one Parquet file
    /// per table (sorted and deduplicated) in partition key `1970-01-01`, committed for log
    /// partition 0 at the next offset.
    pub async fn persist_lp(&mut self, db: &Database, lp: &str) {
        let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
        converter.write_lp(lp);
        let converted = converter.finish().expect("line protocol converts");
        assert!(
            converted.rejections.is_empty(),
            "{:?}",
            converted.rejections
        );
        let offset = self.next_offset;
        let store = self.store();
        let mut files = Vec::new();
        for table in &converted.tables {
            let mut upsert = SchemaUpsert::new();
            for field in table.batch.schema().fields() {
                let column_type = schema::influx_column_type(field).expect("Influx column");
                upsert
                    .add(&table.name, field.name(), column_type)
                    .expect("one type per column");
            }
            let schema = self
                .catalog
                .upsert_schema(db.id, &upsert)
                .await
                .expect("schema upserted");
            let batch = schema::dedup::sort_dedup(std::slice::from_ref(&table.batch))
                .expect("sorted and deduplicated");
            let meta = FileMeta {
                database_id: db.id,
                database_name: db.name.as_str().into(),
                table_id: schema.tables[&table.name].id,
                table_name: table.name.clone(),
                partition_key: "1970-01-01".into(),
                log_partition: 0,
                min_offset: offset,
                max_offset: offset,
            };
            files.push(
                write_parquet(&store, &meta, &batch)
                    .await
                    .expect("Parquet written"),
            );
        }
        let commit = PersistCommit {
            log_partition: 0,
            expected_offset: offset.checked_sub(1),
            new_offset: offset,
            files,
        };
        self.catalog
            .commit_persist(commit)
            .await
            .expect("persist committed");
        self.next_offset += 1;
    }

    /// The whole write path: a topic of `partitions` partitions, one router (auto-creating
    /// databases) and `ingesters` ingesters persisting to moto's S3 bucket after
    /// `persist_max_age`.
    pub async fn ingest(ingesters: usize, partitions: u32, persist_max_age: &str) -> Self {
        Self::ingest_with(ingesters, partitions, persist_max_age, None).await
    }

    /// Like [`Cluster::ingest`], with a local `file` object store shared by the ingesters and
    /// queriers instead of moto's S3 bucket.
    pub async fn ingest_on_files(ingesters: usize, partitions: u32, persist_max_age: &str) -> Self {
        let dir = tempfile::tempdir().expect("object store dir");
        Self::ingest_with(ingesters, partitions, persist_max_age, Some(dir)).await
    }

    async fn ingest_with(
        ingesters: usize,
        partitions: u32,
        persist_max_age: &str,
        file_store: Option<tempfile::TempDir>,
    ) -> Self {
        let etcd = EtcdProcess::start().expect("etcd starts");
        let kafka = TansuProcess::start().expect("tansu starts");
        kafka
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
            &kafka.bootstrap(),
            "--kafka-topic",
            TOPIC,
        ]);
        let catalog = catalog_client(&etcd).await;
        let mut cluster = Self {
            ingesters: (0..ingesters).map(|_| None).collect(),
            routers: vec![router],
            catalog,
            kafka,
            moto: Some(moto),
            etcd,
            persist_max_age: persist_max_age.to_owned(),
            file_store,
            next_offset: 0,
            partitions,
        };
        for i in 0..ingesters {
            cluster.start_ingester(i);
        }
        cluster
    }

    /// Base URL of router `i`.
    pub fn url(&self, i: usize) -> &str {
        &self.routers[i].url
    }

    /// The S3 server of a cluster with ingesters.
    pub fn moto(&self) -> &MotoProcess {
        self.moto
            .as_ref()
            .expect("a cluster started with Cluster::ingest has an S3 server")
    }

    /// The S3 credentials of moto for the processes (none without an S3 server).
    fn aws_env(&self) -> Vec<(&'static str, String)> {
        self.moto
            .as_ref()
            .map(|moto| moto.aws_env().to_vec())
            .unwrap_or_default()
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
                self.moto().endpoint(),
                "--s3-allow-http".into(),
            ],
        }
    }

    /// Starts ingester `i` (id `ing-<i>`: the same id across restarts); an `i` past the last
    /// slot adds slots.
    pub fn start_ingester(&mut self, i: usize) {
        if i >= self.ingesters.len() {
            self.ingesters.resize_with(i + 1, || None);
        }
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
            &self.kafka.bootstrap(),
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
        let env = self.aws_env();
        self.ingesters[i] = Some(QuiverProcess::start_with_env(&args, &env));
    }

    /// Starts a `quiver querier` on the cluster (Flight + HTTP on one port).
    pub fn start_querier(&self) -> QuiverProcess {
        self.start_querier_with(&[])
    }

    /// [`Cluster::start_querier`] with extra flags (e.g. `--query-ingester-deadline 60s`).
    pub fn start_querier_with(&self, extra: &[&str]) -> QuiverProcess {
        let args = [
            "querier",
            "--bind",
            "127.0.0.1:0",
            "--etcd-endpoints",
            &self.etcd.endpoint(),
            "--kafka-brokers",
            &self.kafka.bootstrap(),
            "--kafka-topic",
            TOPIC,
        ];
        let store = self.store_args();
        let args: Vec<&str> = args
            .into_iter()
            .chain(store.iter().map(String::as_str))
            .chain(extra.iter().copied())
            .collect();
        QuiverProcess::start_with_env(&args, &self.aws_env())
    }

    /// Starts a `quiver compactor` on the cluster's catalog and object store, with `extra`
    /// flags (intervals, grace period, shard).
    pub fn start_compactor(&self, extra: &[&str]) -> QuiverProcess {
        let args = [
            "compactor",
            "--bind",
            "127.0.0.1:0",
            "--etcd-endpoints",
            &self.etcd.endpoint(),
        ];
        let store = self.store_args();
        let args: Vec<&str> = args
            .into_iter()
            .chain(store.iter().map(String::as_str))
            .chain(extra.iter().copied())
            .collect();
        QuiverProcess::start_with_env(&args, &self.aws_env())
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
            s3_endpoint: Some(self.moto().endpoint()),
            s3_region: Some(self.moto().region().to_owned()),
            s3_allow_http: true,
        };
        let base = AmazonS3Builder::new()
            .with_access_key_id(self.moto().access_key_id())
            .with_secret_access_key(self.moto().secret_access_key());
        parquet_store::s3_store(&args, base).expect("S3 store")
    }

    /// Waits (up to `timeout`) until every partition's persisted offset reached the topic's
    /// high-water mark; returns how long it took.
    pub async fn wait_persisted(&self, timeout: Duration) -> Duration {
        let started = Instant::now();
        let log = KafkaWriteLog::connect(KafkaConfig::new(self.kafka.bootstrap(), TOPIC))
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
        let log = KafkaWriteLog::connect(KafkaConfig::new(self.kafka.bootstrap(), TOPIC))
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

    /// Waits (up to `timeout`) until the group settled on the running ingesters: their leases
    /// are the only ones, list disjoint partitions covering the topic, each running ingester
    /// owns at least one (when there are enough partitions) and reports as many on `/metrics`
    /// (`quiver_ingester_partitions_owned`).
    pub async fn wait_rebalanced(&self, timeout: Duration) -> Settled {
        let running: Vec<(usize, &QuiverProcess)> = self
            .ingesters
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, p.as_ref()?)))
            .collect();
        let client = reqwest::Client::new();
        let started = Instant::now();
        let mut shared: Option<(Duration, Duration)> = None;
        let mut last = String::new();
        while started.elapsed() < timeout {
            let leases = self.catalog.ingesters().await.unwrap_or_default();
            let mut listed: Vec<u32> = leases.iter().flat_map(|l| l.partitions.clone()).collect();
            listed.sort_unstable();
            if listed.windows(2).any(|w| w[0] == w[1]) {
                let now = started.elapsed();
                shared = Some((shared.map_or(now, |(first, _)| first), now));
            }
            let mut split = Vec::new();
            let mut settled = leases.len() == running.len();
            for &(i, process) in &running {
                let Some(lease) = leases.iter().find(|l| l.id == format!("ing-{i}")) else {
                    settled = false;
                    continue;
                };
                let metrics = match client.get(format!("{}/metrics", process.url)).send().await {
                    Ok(r) => r.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                };
                let reported = metrics.lines().find_map(|l| {
                    l.strip_prefix("quiver_ingester_partitions_owned ")?
                        .trim()
                        .parse::<usize>()
                        .ok()
                });
                let enough =
                    !lease.partitions.is_empty() || running.len() > self.partitions as usize;
                settled &= enough && reported == Some(lease.partitions.len());
                split.push((i, lease.partitions.clone()));
            }
            if settled && listed == (0..self.partitions).collect::<Vec<_>>() {
                return Settled {
                    took: started.elapsed(),
                    split,
                    shared: shared.map(|(first, last)| last - first),
                };
            }
            last = format!("leases {leases:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the group did not settle within {timeout:?}: {last}");
    }

    /// Counts the points of `db`.acct in Parquet.
    pub async fn account(&self, db: &str) -> Accounting {
        account(&self.catalog as &dyn Catalog, &self.store(), db).await
    }
}

/// What [`Cluster::wait_rebalanced`] saw.
#[derive(Debug, Clone)]
pub struct Settled {
    /// How long the group took to settle.
    pub took: Duration,
    /// The partitions of each running ingester (by slot).
    pub split: Vec<(usize, Vec<u32>)>,
    /// `Some(d)`: while settling, a partition was listed by two leases at once (two ingesters
    /// claimed it), for `d` from the first to the last time seen (polled every 100 ms).
    pub shared: Option<Duration>,
}

async fn catalog_client(etcd: &EtcdProcess) -> EtcdCatalog {
    EtcdCatalog::connect(&[etcd.endpoint()], catalog::DEFAULT_ETCD_PREFIX)
        .await
        .expect("catalog client")
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
