//! Two real `quiver router` processes on one real etcd: concurrent schema changes, and how fast
//! catalog changes made elsewhere reach every router.

use std::time::{Duration, Instant};

use auth::{Action, Permission, TokenHash};
use catalog::{Catalog, DatabaseName, DatabaseOptions, NewToken};
use end_to_end::{CLUSTER_OPERATOR_TOKEN, Cluster, write_lp};

fn name(s: &str) -> DatabaseName {
    DatabaseName::new(s).unwrap()
}

/// The same new column, two types, two routers, released together: exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_new_column_with_two_types_on_two_routers_one_wins() {
    let cluster = Cluster::start(2).await;
    cluster
        .catalog
        .create_database(&name("race"), DatabaseOptions::default())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let (r1, r2) = (cluster.url(0), cluster.url(1));
    let mut winners = [0, 0];
    for round in 0..20 {
        let line_int = format!("t c{round}=1i 1");
        let line_float = format!("t c{round}=1.5 1");
        let barrier = tokio::sync::Barrier::new(2);
        let (a, b) = tokio::join!(
            async {
                barrier.wait().await;
                write_lp(&client, r1, "race", CLUSTER_OPERATOR_TOKEN, &line_int).await
            },
            async {
                barrier.wait().await;
                write_lp(&client, r2, "race", CLUSTER_OPERATOR_TOKEN, &line_float).await
            },
        );
        let statuses = [a.0, b.0];
        assert!(
            statuses == [204, 400] || statuses == [400, 204],
            "round {round}: {a:?} / {b:?}"
        );
        let loser = if a.0 == 400 { &a.2 } else { &b.2 };
        assert!(
            loser.contains(&format!(
                "schema conflict: table t, column c{round} is type"
            )),
            "round {round}: {loser}"
        );
        winners[usize::from(a.0 != 204)] += 1;
        // The stored type is the winner's.
        let db = cluster
            .catalog
            .database_by_name(&name("race"))
            .await
            .unwrap()
            .unwrap();
        let schema = cluster.catalog.database_schema(db.id).await.unwrap();
        let stored = schema.column_type("t", &format!("c{round}")).unwrap();
        let expected = if a.0 == 204 { "i64" } else { "f64" };
        assert_eq!(stored.to_string(), expected, "round {round}");
    }
    println!(
        "schema race: router 1 won {} rounds, router 2 won {}",
        winners[0], winners[1]
    );
}

/// Polls `check` every 5 ms until it returns true; the time since `started` (when the change
/// was made). Panics when that exceeds `limit`.
async fn time_until<F, Fut>(what: &str, started: Instant, limit: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{what}: not seen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Tokens, columns and database deletions made elsewhere reach both routers within 1 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_changes_reach_every_router_within_one_second() {
    let cluster = Cluster::start(2).await;
    let catalog = &cluster.catalog;
    let db = catalog
        .create_database(&name("prop"), DatabaseOptions::default())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let limit = Duration::from_secs(1);
    let mut report = Vec::new();

    // A new token, made directly in the catalog (as `quiver admin` does), works on both.
    let value = "qvr_propagation-test-token";
    let created_at = Instant::now();
    let record = catalog
        .create_token(NewToken {
            hash: TokenHash::of(value),
            description: "e2e".into(),
            operator: false,
            permissions: vec![Permission::database(Action::Write, "prop")],
        })
        .await
        .unwrap();
    for (i, router) in [cluster.url(0), cluster.url(1)].into_iter().enumerate() {
        let took = time_until("new token", created_at, limit, || async {
            write_lp(&client, router, "prop", value, "m v=1 1").await.0 == 204
        })
        .await;
        report.push(format!("new token usable on router {}: {took:?}", i + 1));
    }

    // Revoked: 401 on both.
    let revoked_at = Instant::now();
    catalog.revoke_token(record.id).await.unwrap();
    for (i, router) in [cluster.url(0), cluster.url(1)].into_iter().enumerate() {
        let took = time_until("revocation", revoked_at, limit, || async {
            write_lp(&client, router, "prop", value, "m v=1 2").await.0 == 401
        })
        .await;
        report.push(format!(
            "revoked token refused (401) by router {}: {took:?}",
            i + 1
        ));
    }

    // A column added through router 1 is enforced by router 2.
    let (status, _, body) = write_lp(
        &client,
        cluster.url(0),
        "prop",
        CLUSTER_OPERATOR_TOKEN,
        "m newcol=1i 3",
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let added_at = Instant::now();
    let took = time_until("new column", added_at, limit, || async {
        let (status, _, body) = write_lp(
            &client,
            cluster.url(1),
            "prop",
            CLUSTER_OPERATOR_TOKEN,
            "m newcol=1.5 4",
        )
        .await;
        status == 400 && body.contains("schema conflict: table m, column newcol is type i64")
    })
    .await;
    report.push(format!(
        "column added via router 1 enforced by router 2: {took:?}"
    ));

    // A deleted database is gone on router 2.
    let deleted_at = Instant::now();
    catalog.delete_database(db.id).await.unwrap();
    let took = time_until("deleted database", deleted_at, limit, || async {
        let (status, _, body) = write_lp(
            &client,
            cluster.url(1),
            "prop",
            CLUSTER_OPERATOR_TOKEN,
            "m v=1 5",
        )
        .await;
        status == 404 && body.contains("database not found")
    })
    .await;
    report.push(format!(
        "deleted database answered 404 by router 2: {took:?}"
    ));
    for line in report {
        println!("propagation: {line}");
    }
}

/// A router never runs on a private in-memory catalog: without etcd it refuses to start.
#[test]
fn a_router_without_etcd_endpoints_refuses_to_start() {
    let out = std::process::Command::new(end_to_end::quiver_binary())
        .args(["router", "--bind", "127.0.0.1:0"])
        .env_remove("QUIVER_ETCD_ENDPOINTS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("quiver router needs the cluster catalog: set --etcd-endpoints"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
}
