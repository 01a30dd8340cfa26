//! etcd dies (SIGKILL) under a steady stream of writes to two routers: writes that only need
//! what the routers' caches know keep succeeding, schema changes get 503 + Retry-After, and
//! after etcd's restart everything recovers by itself.

use std::time::{Duration, Instant};

use catalog::{Catalog, DatabaseName, DatabaseOptions};
use end_to_end::{CLUSTER_OPERATOR_TOKEN, Cluster, write_lp};

async fn ready_status(client: &reqwest::Client, router: &str) -> Option<u16> {
    let resp = client
        .get(format!("{router}/ready"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    Some(resp.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_caches_keep_writing_while_etcd_is_down_and_recover_after() {
    let mut cluster = Cluster::start(2).await;
    cluster
        .catalog
        .create_database(
            &DatabaseName::new("steady").unwrap(),
            DatabaseOptions::default(),
        )
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let routers = [cluster.url(0).to_owned(), cluster.url(1).to_owned()];
    let write = |i: usize, body: String| {
        let client = client.clone();
        let router = routers[i % 2].clone();
        async move { write_lp(&client, &router, "steady", CLUSTER_OPERATOR_TOKEN, &body).await }
    };

    // Warm both routers: the token, the database, the table and its columns.
    for i in 0..2 {
        let (status, _, body) = write(i, format!("cpu,host=h{i} v=1 {i}")).await;
        assert_eq!(status, 204, "{body}");
    }
    for router in &routers {
        assert_eq!(ready_status(&client, router).await, Some(200));
    }

    // A steady stream: before, during and after the kill.
    let mut point = 10;
    for _ in 0..20 {
        point += 1;
        let (status, _, body) =
            write(point, format!("cpu,host=h{} v={point} {point}", point % 2)).await;
        assert_eq!(status, 204, "before the kill: {body}");
    }
    cluster.etcd.kill();
    let killed_at = Instant::now();
    let mut during = 0;
    while killed_at.elapsed() < Duration::from_secs(3) {
        point += 1;
        let (status, _, body) =
            write(point, format!("cpu,host=h{} v={point} {point}", point % 2)).await;
        assert_eq!(
            status, 204,
            "known token/table/columns while etcd is down: {body}"
        );
        during += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A schema change needs etcd: 503 with Retry-After, on both routers, within the bound.
    for i in 0..2 {
        let started = Instant::now();
        let (status, retry_after, body) = write(i, format!("cpu,host=h0 new{i}=1 {point}")).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert!(body.contains("catalog unavailable"), "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(7),
            "{:?}",
            started.elapsed()
        );
    }

    cluster.etcd.restart().unwrap();
    let restarted_at = Instant::now();
    // New columns are accepted again, and /ready is 200, on both routers — by themselves.
    for (i, router) in routers.iter().enumerate() {
        loop {
            let (status, _, body) = write(i, format!("cpu,host=h0 new{i}=1 {point}")).await;
            if status == 204 {
                break;
            }
            assert_eq!(status, 503, "{body}");
            assert!(
                restarted_at.elapsed() < Duration::from_secs(10),
                "router {} still refusing new columns: {body}",
                i + 1
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        loop {
            if ready_status(&client, router).await == Some(200) {
                break;
            }
            assert!(
                restarted_at.elapsed() < Duration::from_secs(10),
                "router {} not ready",
                i + 1
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let recovered = restarted_at.elapsed();
    // Both routers agree on the new columns.
    let (status, _, body) = write(1, format!("cpu,host=h0 new0=1 {point}")).await;
    assert_eq!(status, 204, "{body}");
    let (status, _, body) = write(0, format!("cpu,host=h0 new1=1.5 {point}")).await;
    assert_eq!(status, 204, "{body}");
    println!(
        "etcd outage: {during} warm writes answered 204 during 3 s without etcd; new columns and /ready recovered {recovered:?} after etcd's restart"
    );
}
