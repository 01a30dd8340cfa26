//! Queries on a real cluster — etcd, tansu, `quiver router`, two `quiver ingester`s and
//! a `quiver querier` as processes, Parquet on a shared local directory (S3 through moto costs
//! tens of ms per request: 1 000 queries over a growing file list took over 15 min) — through the
//! real Python clients: read-after-write over Kafka, dedup across Parquet and ingester buffers,
//! and an ingester killed under the querier.
//!
//! ```text
//! influxdb3-python: write (router) point i ──► SQL (querier, Flight) at once   ×1000, no miss
//! HTTP write 200 points v=1 ──► persisted ──► 100 of them v=2 (buffered) ──► pyarrow.flight:
//!   200 rows, 100 with v=2
//! ADBC Flight SQL on the querier; a read-A-only token denied on B (every query path)
//! kill -9 ingester 0 + restart ──► the querier waits for the partitions' new owner (UNAVAILABLE, retry,
//!   until the group rebalanced) ──► every row once, never a short count
//! ```

use std::time::{Duration, Instant};

use end_to_end::{
    CLUSTER_OPERATOR_TOKEN, Cluster, QuiverProcess, check_flight_clients, dup_body,
    python_script_env, write_acked,
};

fn query(
    cluster: &Cluster,
    querier: &QuiverProcess,
    db: &str,
    action: &str,
    args: &[&str],
) -> serde_json::Value {
    python_script_env(
        "query_clients.py",
        action,
        args,
        cluster.url(0),
        CLUSTER_OPERATOR_TOKEN,
        db,
        &[("QUIVER_QUERY_URL", querier.url.as_str())],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_queries_see_every_acknowledged_write_once() {
    // Persist age 10 s: the loop keeps both Parquet and buffers in play without one file per
    // write (every query reads every file: this cluster runs no compactor).
    let mut cluster = Cluster::ingest_on_files(2, 4, "10s").await;
    let querier = cluster.start_querier();

    let iterations = std::env::var("QUIVER_E2E_ITERATIONS").unwrap_or_else(|_| "1000".into());
    let args = [iterations.as_str(), "0"];
    let report = query(&cluster, &querier, "raw", "read_after_write", &args);
    println!("read-after-write: {report}");
    assert_eq!(report["miss_count"], 0, "{report}");

    // ADBC through the querier; a token for one database denied on another on every path.
    check_flight_clients(
        cluster.url(0),
        &querier.url,
        CLUSTER_OPERATOR_TOKEN,
        "adbc_a",
        "adbc_b",
    )
    .await;

    // Dedup across a persisted file and the ingesters' buffers.
    write_acked(
        cluster.url(0),
        "dups",
        CLUSTER_OPERATOR_TOKEN,
        &dup_body(0..200, 1),
    )
    .await;
    cluster.wait_persisted(Duration::from_secs(60)).await;
    write_acked(
        cluster.url(0),
        "dups",
        CLUSTER_OPERATOR_TOKEN,
        &dup_body(50..150, 2),
    )
    .await;
    let sql = "SELECT count(*) AS n, sum(CASE WHEN v = 2 THEN 1 ELSE 0 END) AS newer, \
               min(CASE WHEN v = 2 THEN k END) AS lo, max(CASE WHEN v = 2 THEN k END) AS hi FROM dup";
    let expected = serde_json::json!({"rows": [{"n": 200, "newer": 100, "lo": 50, "hi": 149}]});
    assert_eq!(
        query(&cluster, &querier, "dups", "flight_sql", &[sql]),
        expected
    );

    // An ingester dies with unpersisted rows and is restarted (as a supervisor would). Until
    // the consumer group has given its partitions an owner again, the querier waits up to its
    // deadline and then answers UNAVAILABLE "no ingester owns log partition … (retry)"; it
    // never answers a count that misses the dead ingester's rows. (Without the restart, tansu
    // 0.6 never gave the survivor the partitions back within 4 min: see the issue notes.)
    write_acked(
        cluster.url(0),
        "dups",
        CLUSTER_OPERATOR_TOKEN,
        &dup_body(200..300, 3),
    )
    .await;
    cluster.kill_ingester(0);
    cluster.start_ingester(0);
    let started = Instant::now();
    let mut retries = Vec::new();
    loop {
        let answer = query(&cluster, &querier, "dups", "try_count", &["dup"]);
        match answer["error"].as_str() {
            None => {
                assert_eq!(answer["n"], 300, "{answer}");
                break;
            }
            Some(error) => {
                assert!(
                    error.to_lowercase().contains("unavailable"),
                    "a retryable status, not a wrong answer: {error}"
                );
                assert!(error.contains("no ingester owns log partition"), "{error}");
                retries.push(started.elapsed().as_secs());
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the partitions found no owner in 4 min; retries at {retries:?} s"
        );
    }
    println!(
        "after kill -9: every row after {:.1} s (retried at {retries:?} s)",
        started.elapsed().as_secs_f64()
    );
    let n: u64 = iterations.parse().unwrap();
    let counted = query(&cluster, &querier, "raw", "count", &["raw"]);
    assert_eq!(
        counted,
        serde_json::json!({"n": n, "d": n, "lo": 0, "hi": n - 1})
    );
}
