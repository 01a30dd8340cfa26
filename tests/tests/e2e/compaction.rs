//! Compaction, retention and garbage collection end to end: a real cluster (etcd, tansu,
//! router, ingester, querier, `quiver compactor`, S3 through moto) and `quiver serve`.
//!
//! ```text
//! 1 000 small writes, persist age 100 ms ──► hundreds of Parquet files
//!   ──► answers (InfluxQL /query, SQL /api/v3) ──► compactor ──► ≤ 2 files per (table, day)
//!   ──► identical answers ──► after the grace period: the bucket holds exactly the live files
//! retention 1 h (PATCH /api/v2/buckets) ──► old rows hidden at once ──► their files retired
//!   ──► their objects deleted;  DELETE the bucket ──► its objects gone after the grace period
//! serve: the same writes with --compaction=false, answers, restart with compaction on the
//!   same data dir ──► ≤ 2 files per (table, day), identical answers, objects = live files
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use catalog::{Catalog, DatabaseName};
use end_to_end::{CLUSTER_OPERATOR_TOKEN, Cluster, QuiverProcess, write_acked};
use futures::TryStreamExt;
use serde_json::Value;

/// 2026-01-05T00:00:00Z in ns: every small write lands on this day (or the next).
const DAY0: i64 = 1_767_571_200_000_000_000;
const HOUR: i64 = 3_600_000_000_000;

/// Write `i`: overwrites earlier keys (last write wins), leaves fields out, a second table and
/// a second day.
fn small_write(i: u64) -> String {
    let t =
        DAY0 + (i % 50) as i64 * 60_000_000_000 + if i.is_multiple_of(9) { 24 * HOUR } else { 0 };
    let mut lp = format!("cpu,host=h{} usage={i}.5,count={i}i {t}\n", i % 4);
    if i.is_multiple_of(5) {
        lp.push_str(&format!("cpu,host=h{} note=\"n{i}\" {t}\n", i % 4));
    }
    lp.push_str(&format!(
        "mem,host=h0 free={i}i {}\n",
        DAY0 + i as i64 * 1_000_000
    ));
    lp
}

const INFLUXQL: &[&str] = &[
    "SELECT * FROM cpu GROUP BY *",
    "SELECT count(usage), sum(usage), last(note) FROM cpu GROUP BY host",
    "SELECT mean(free) FROM mem WHERE time >= '2026-01-05T00:00:00Z' AND time < '2026-01-06T00:00:00Z' GROUP BY time(1h)",
];
const SQL: &[&str] = &[
    "SELECT host, time, usage, count, note FROM cpu ORDER BY host, time",
    "SELECT count(*) AS n, sum(free) AS s FROM mem",
];

async fn answers(url: &str, token: &str, db: &str) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for q in INFLUXQL {
        let resp = client
            .get(format!("{url}/query"))
            .query(&[("db", db), ("q", q)])
            .header("Authorization", format!("Token {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        out.push(resp.text().await.unwrap());
    }
    for q in SQL {
        let resp = client
            .get(format!("{url}/api/v3/query_sql"))
            .query(&[("db", db), ("q", q), ("format", "jsonl")])
            .header("Authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        out.push(resp.text().await.unwrap());
    }
    for a in &out {
        assert!(!a.contains("\"error\""), "{a}");
    }
    out
}

/// Live files per (table, partition key) of `db`.
async fn files_per_partition(catalog: &dyn Catalog, db: &str) -> BTreeMap<(u64, String), usize> {
    let db = catalog
        .database_by_name(&DatabaseName::new(db).unwrap())
        .await
        .unwrap()
        .unwrap();
    let schema = catalog.database_schema(db.id).await.unwrap();
    let mut out = BTreeMap::new();
    for table in schema.tables.values() {
        for (key, files) in catalog.parquet_files(db.id, table.id).await.unwrap() {
            out.insert((table.id.0, key), files.len());
        }
    }
    out
}

async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < timeout {
        match check().await {
            Ok(()) => return,
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{what} not reached within {timeout:?}: {last}");
}

/// The id of bucket `name` (`GET /api/v2/buckets?name=`).
async fn bucket_id(router: &str, name: &str) -> String {
    let buckets: Value = reqwest::Client::new()
        .get(format!("{router}/api/v2/buckets?name={name}"))
        .header("Authorization", format!("Token {CLUSTER_OPERATOR_TOKEN}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    buckets["buckets"][0]["id"].as_str().unwrap().to_owned()
}

const COMPACTOR_FLAGS: &[&str] = &[
    "--compaction-interval",
    "1s",
    "--compaction-cold-after",
    "3s",
    "--gc-interval",
    "1s",
    "--gc-grace",
    "4s",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_compaction_bounds_files_keeps_answers_retention_and_gc_clean_up() {
    let cluster = Cluster::ingest(1, 2, "100ms").await;
    let querier = cluster.start_querier();
    let router = cluster.url(0).to_owned();
    for i in 0..1000 {
        write_acked(&router, "cmp", CLUSTER_OPERATOR_TOKEN, &small_write(i)).await;
    }
    cluster.wait_persisted(Duration::from_secs(60)).await;
    let before_files: usize = files_per_partition(&cluster.catalog, "cmp")
        .await
        .values()
        .sum();
    assert!(
        before_files >= 20,
        "only {before_files} files: the test needs many"
    );
    let before = answers(&querier.url, CLUSTER_OPERATOR_TOKEN, "cmp").await;

    let compactor = cluster.start_compactor(COMPACTOR_FLAGS);
    eventually(
        "≤ 2 files per (table, day)",
        Duration::from_secs(120),
        || async {
            let files = files_per_partition(&cluster.catalog, "cmp").await;
            if files.values().all(|&n| n <= 2) {
                Ok(())
            } else {
                Err(format!("{files:?}"))
            }
        },
    )
    .await;
    let after_files = files_per_partition(&cluster.catalog, "cmp").await;
    println!("files: {before_files} before, {after_files:?} after");
    assert_eq!(
        answers(&querier.url, CLUSTER_OPERATOR_TOKEN, "cmp").await,
        before
    );

    // The replaced objects are collected after the grace period: the bucket holds exactly the
    // live files.
    let store = cluster.store();
    eventually(
        "replaced objects deleted",
        Duration::from_secs(60),
        || async {
            let live: Vec<String> = cluster
                .catalog
                .all_parquet_files()
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|r| r.path)
                .collect();
            let mut objects: Vec<String> = store
                .list(None)
                .map_ok(|o| o.location.to_string())
                .try_collect()
                .await
                .map_err(|e| e.to_string())?;
            let mut live = live;
            live.sort();
            objects.sort();
            if objects == live {
                Ok(())
            } else {
                Err(format!("{} objects, {} live", objects.len(), live.len()))
            }
        },
    )
    .await;
    let metrics = end_to_end::metrics_text(&compactor.url).await;
    assert!(
        metrics.contains("quiver_compactor_jobs_total{kind=\"l0_to_l1\",outcome=\"ok\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("quiver_compactor_gc_objects_total{reason=\"replaced\"}"),
        "{metrics}"
    );
    assert_eq!(
        answers(&querier.url, CLUSTER_OPERATOR_TOKEN, "cmp").await,
        before
    );

    // Retention: recent rows stay, the January rows are hidden at once, then dropped.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    write_acked(
        &router,
        "cmp",
        CLUSTER_OPERATOR_TOKEN,
        &format!("cpu,host=recent usage=1 {now}\n"),
    )
    .await;
    let client = reqwest::Client::new();
    let auth = format!("Token {CLUSTER_OPERATOR_TOKEN}");
    let bucket = bucket_id(&router, "cmp").await;
    let patched = client
        .patch(format!("{router}/api/v2/buckets/{bucket}"))
        .header("Authorization", &auth)
        .json(&serde_json::json!({"retentionRules": [{"type": "expire", "everySeconds": 3600}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200, "{}", patched.text().await.unwrap());
    eventually("old rows hidden", Duration::from_secs(10), || async {
        let a = answers(&querier.url, CLUSTER_OPERATOR_TOKEN, "cmp").await;
        // SQL and InfluxQL alike.
        let influxql_hidden = a[0].contains("\"recent\"") && !a[0].contains("\"h0\"");
        if a[3].lines().count() == 1
            && a[3].contains("recent")
            && a[4].contains("\"n\":0")
            && influxql_hidden
        {
            Ok(())
        } else {
            Err(format!("{} / {}", a[3], a[4]))
        }
    })
    .await;
    eventually(
        "expired files retired and deleted",
        Duration::from_secs(60),
        || async {
            let files = files_per_partition(&cluster.catalog, "cmp").await;
            let objects: Vec<_> = store
                .list(None)
                .try_collect()
                .await
                .map_err(|e| e.to_string())?;
            // Only today's file (its write may still be unpersisted: ≤ 1 file) is left.
            if files.values().sum::<usize>() <= 1 && objects.len() <= 1 {
                Ok(())
            } else {
                Err(format!("{files:?}, {} objects", objects.len()))
            }
        },
    )
    .await;

    // Deleting the database removes its data after the grace period.
    write_acked(&router, "gone", CLUSTER_OPERATOR_TOKEN, &small_write(1)).await;
    cluster.wait_persisted(Duration::from_secs(30)).await;
    let gone = cluster
        .catalog
        .database_by_name(&DatabaseName::new("gone").unwrap())
        .await
        .unwrap()
        .unwrap();
    let prefix = object_store::path::Path::from(gone.id.0.to_string());
    let objects: Vec<_> = store.list(Some(&prefix)).try_collect().await.unwrap();
    assert!(!objects.is_empty());
    let gone_bucket = bucket_id(&router, "gone").await;
    let deleted = client
        .delete(format!("{router}/api/v2/buckets/{gone_bucket}"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    eventually(
        "deleted database's objects gone",
        Duration::from_secs(60),
        || async {
            let objects: Vec<_> = store
                .list(Some(&prefix))
                .try_collect()
                .await
                .map_err(|e| e.to_string())?;
            if objects.is_empty() {
                Ok(())
            } else {
                Err(format!("{} objects", objects.len()))
            }
        },
    )
    .await;
    assert_eq!(compactor.terminate().code(), Some(0));
}

fn serve(dir: &std::path::Path, compaction: bool) -> QuiverProcess {
    let mut args = vec![
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        dir.to_str().unwrap(),
        "--operator-token",
        SERVE_TOKEN,
        "--persist-max-age",
        "100ms",
        "--compaction",
        if compaction { "true" } else { "false" },
    ];
    args.extend_from_slice(COMPACTOR_FLAGS);
    QuiverProcess::start(&args)
}

const SERVE_TOKEN: &str = "qvr_compaction-serve";

/// (live files per (table, day) from system.parquet_files, .parquet objects on disk).
async fn serve_files(url: &str, dir: &std::path::Path) -> (BTreeMap<String, usize>, usize) {
    let resp = reqwest::Client::new()
        .get(format!("{url}/api/v3/query_sql"))
        .query(&[
            ("db", "cmp"),
            ("q", "SELECT table_name, partition_key, count(*) AS n FROM system.parquet_files GROUP BY table_name, partition_key"),
            ("format", "json"),
        ])
        .header("Authorization", format!("Bearer {SERVE_TOKEN}"))
        .send()
        .await
        .unwrap();
    let rows: Vec<Value> = resp.json().await.unwrap();
    let files = rows
        .iter()
        .map(|r| {
            (
                format!(
                    "{}/{}",
                    r["table_name"].as_str().unwrap_or(""),
                    r["partition_key"].as_str().unwrap_or("")
                ),
                r["n"].as_u64().unwrap_or(0) as usize,
            )
        })
        .collect();
    let objects = walk(&dir.join("objects"));
    (files, objects)
}

fn walk(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                walk(&p)
            } else {
                usize::from(p.extension().is_some_and(|x| x == "parquet"))
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_compacts_in_process_with_identical_answers() {
    let dir = tempfile::tempdir().unwrap();
    let first = serve(dir.path(), false);
    for i in 0..1000 {
        write_acked(&first.url, "cmp", SERVE_TOKEN, &small_write(i)).await;
    }
    // Everything persisted (the persist age is 100 ms), then the answers over many files.
    eventually("rows persisted", Duration::from_secs(30), || async {
        let (files, _) = serve_files(&first.url, dir.path()).await;
        let a = answers(&first.url, SERVE_TOKEN, "cmp").await;
        let n: usize = files.values().sum();
        if n >= 20 && a[4].contains("\"n\":1000") {
            Ok(())
        } else {
            Err(format!("{files:?} {}", a[4]))
        }
    })
    .await;
    let before = answers(&first.url, SERVE_TOKEN, "cmp").await;
    let (files, objects) = serve_files(&first.url, dir.path()).await;
    assert_eq!(files.values().sum::<usize>(), objects);
    assert_eq!(first.terminate().code(), Some(0));

    let second = serve(dir.path(), true);
    eventually(
        "≤ 2 files per (table, day), replaced objects deleted",
        Duration::from_secs(90),
        || async {
            let (files, objects) = serve_files(&second.url, dir.path()).await;
            let n: usize = files.values().sum();
            if files.values().all(|&n| n <= 2) && objects == n {
                Ok(())
            } else {
                Err(format!("{files:?}, {objects} objects"))
            }
        },
    )
    .await;
    assert_eq!(answers(&second.url, SERVE_TOKEN, "cmp").await, before);
    let metrics = end_to_end::metrics_text(&second.url).await;
    assert!(
        metrics.contains("quiver_compactor_cycles_total"),
        "{metrics}"
    );
    assert_eq!(second.terminate().code(), Some(0));
}

/// `quiver compactor` refuses flags that cannot work, naming them, before touching etcd.
#[test]
fn compactor_refuses_flags_that_cannot_work() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(end_to_end::quiver_binary())
            .arg("compactor")
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} started");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let etcd = [
        "--etcd-endpoints",
        "http://127.0.0.1:1",
        "--object-store",
        "memory",
    ];
    let mut args = etcd.to_vec();
    args.extend([
        "--compaction-shard-id",
        "3",
        "--compaction-shard-count",
        "3",
    ]);
    let stderr = run(&args);
    assert!(
        stderr.contains("--compaction-shard-id 3 must be below --compaction-shard-count 3"),
        "{stderr}"
    );
    let mut args = etcd.to_vec();
    args.extend(["--compaction-max-input-files", "100"]);
    assert!(run(&args).contains("must be between 2 and 55"));
    // Without an etcd endpoint: the dependency is named.
    let stderr = run(&["--object-store", "memory"]);
    assert!(stderr.contains("etcd"), "{stderr}");
}
