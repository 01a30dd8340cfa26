//! The write path as real processes (etcd, tansu, moto S3, `quiver router`, two
//! `quiver ingester`s) with exact accounting: every point written is found in the Parquet files
//! the catalog lists, once, with its values — under steady load, an ingester killed with -9 and
//! restarted, an ingester stopped (rebalance) and started again, and a broker restart.

use std::time::Duration;

use end_to_end::accounting::{LoadReport, LoadSpec, body, write_load};
use end_to_end::{CLUSTER_OPERATOR_TOKEN, Cluster, write_lp};

const DB: &str = "acct_db";
const PARTITIONS: u32 = 4;

fn load(cluster: &Cluster, points: u64, pause_ms: u64) -> LoadSpec {
    LoadSpec {
        urls: vec![cluster.url(0).to_owned()],
        token: CLUSTER_OPERATOR_TOKEN.to_owned(),
        db: DB.to_owned(),
        ids: 0..points,
        per_request: 250,
        concurrency: 4,
        pause: Duration::from_millis(pause_ms),
        retry_for: Duration::from_secs(60),
        progress: Default::default(),
        stop: Default::default(),
    }
}

/// Waits until the load acknowledged at least `points` (bounded: 60 s).
async fn wait_acked(spec: &LoadSpec, points: u64) {
    for _ in 0..600 {
        if spec.acked() >= points {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the load did not reach {points} acked points in 60 s");
}

/// Asserts the load was still running: the disruption happened mid-load.
fn assert_mid_load(spec: &LoadSpec, total: u64) {
    let acked = spec.acked();
    assert!(
        acked < total,
        "the load had finished ({acked} acked) before the disruption"
    );
}

async fn finish(cluster: &Cluster, points: u64, report: &LoadReport) {
    assert!(
        report.gave_up.is_empty(),
        "requests never acked: {:?}",
        report.gave_up
    );
    let took = cluster.wait_persisted(Duration::from_secs(60)).await;
    let acc = cluster.account(DB).await;
    eprintln!(
        "acked {} points in {} requests ({} retried ids, errors {:?}); persisted {took:?} after the load; {} files, {} rows",
        report.acked_points,
        report.acked_requests,
        report.retried.len(),
        report.errors,
        acc.files,
        acc.rows
    );
    acc.assert_exact(0..points, report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_load_every_point_once() {
    let cluster = Cluster::ingest(2, PARTITIONS, "1s").await;
    let report = write_load(load(&cluster, 20_000, 10)).await;
    assert!(
        report.retried.is_empty(),
        "steady load needs no retry: {:?}",
        report.errors
    );
    finish(&cluster, 20_000, &report).await;

    // Both ingesters are registered and own disjoint partitions covering the topic.
    let mut owned: Vec<u32> = Vec::new();
    for _ in 0..50 {
        let infos = catalog::Catalog::ingesters(&cluster.catalog).await.unwrap();
        owned = infos.iter().flat_map(|i| i.partitions.clone()).collect();
        owned.sort_unstable();
        if infos.len() == 2 && owned == (0..PARTITIONS).collect::<Vec<_>>() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("ingester registrations do not cover the topic: {owned:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_an_ingester_mid_load_loses_and_duplicates_nothing() {
    let mut cluster = Cluster::ingest(2, PARTITIONS, "1s").await;
    let spec = load(&cluster, 30_000, 150);
    let writer = tokio::spawn(write_load(spec.clone()));
    wait_acked(&spec, 5_000).await;
    cluster.kill_ingester(0);
    assert_mid_load(&spec, 30_000);
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.start_ingester(0);
    let report = writer.await.unwrap();
    finish(&cluster, 30_000, &report).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_and_starting_an_ingester_rebalances_without_loss() {
    let mut cluster = Cluster::ingest(2, PARTITIONS, "1s").await;
    let spec = load(&cluster, 50_000, 150);
    let writer = tokio::spawn(write_load(spec.clone()));
    wait_acked(&spec, 5_000).await;
    cluster.stop_ingester(1);
    assert_mid_load(&spec, 50_000);
    tokio::time::sleep(Duration::from_secs(3)).await;
    cluster.start_ingester(1);
    assert_mid_load(&spec, 50_000);
    let report = writer.await.unwrap();
    finish(&cluster, 50_000, &report).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_mid_load_loses_nothing_acked() {
    let mut cluster = Cluster::ingest(2, PARTITIONS, "1s").await;
    let spec = load(&cluster, 30_000, 150);
    let writer = tokio::spawn(write_load(spec.clone()));
    wait_acked(&spec, 5_000).await;
    cluster.kafka.restart().expect("tansu restarts");
    assert_mid_load(&spec, 30_000);
    let report = writer.await.unwrap();
    finish(&cluster, 30_000, &report).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_points_written_twice_are_stored_once() {
    // A long persist age: both copies are in the same persist (at SIGTERM), where dedup applies.
    let mut cluster = Cluster::ingest(1, 2, "1h").await;
    let client = reqwest::Client::new();
    let points = body(0..2_000);
    for _ in 0..2 {
        let (status, _, text) =
            write_lp(&client, cluster.url(0), DB, CLUSTER_OPERATOR_TOKEN, &points).await;
        assert_eq!(status, 204, "{text}");
    }
    cluster.wait_applied(0, Duration::from_secs(30)).await;
    cluster.stop_ingester(0);
    cluster.wait_persisted(Duration::from_secs(10)).await;
    let acc = cluster.account(DB).await;
    assert_eq!(acc.rows, 2_000, "4 000 rows written, 2 000 distinct points");
    acc.assert_exact(0..2_000, &LoadReport::default());
}
