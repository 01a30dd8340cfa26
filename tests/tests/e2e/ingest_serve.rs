//! `quiver serve` on a data directory survives kill -9 mid-load: after a restart on the same
//! directory every acknowledged point is in Parquet exactly once (embedded file log replayed
//! from the catalog's persisted offset + 1, file object store, disk catalog).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use catalog::DiskCatalog;
use config::{ObjectStoreArgs, ObjectStoreKind};
use end_to_end::QuiverProcess;
use end_to_end::accounting::{LoadSpec, account, write_load};

const TOKEN: &str = "qvr_serve-ingest-e2e";
const DB: &str = "acct_db";
const POINTS: u64 = 40_000;

fn start_serve(dir: &Path, port: u16) -> QuiverProcess {
    QuiverProcess::start(&[
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
        dir.to_str().unwrap(),
        "--operator-token",
        TOKEN,
        "--persist-max-age",
        "500ms",
    ])
}

/// serve's one `/metrics` holds the router's write metrics and its ingester's, with one `# EOF`.
async fn metrics_show_the_router_and_its_ingester(url: &str) {
    let text = end_to_end::metrics_text(url).await;
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{text}"))
    };
    // The restarted process replayed the log and took the rest of the load.
    assert!(value("quiver_ingester_records_applied_total") > 0.0);
    assert!(value("quiver_write_duration_seconds_count") > 0.0);
    assert!(value("quiver_write_stage_duration_seconds_count{stage=\"log\"}") > 0.0);
    assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    assert!(text.ends_with("# EOF\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_kill_9_mid_load_then_restart_keeps_every_acked_point_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = test_support::free_port().unwrap();
    let serve = start_serve(dir.path(), port);
    let spec = LoadSpec {
        urls: vec![serve.url.clone()],
        token: TOKEN.to_owned(),
        db: DB.to_owned(),
        ids: 0..POINTS,
        per_request: 200,
        concurrency: 4,
        pause: Duration::from_millis(100),
        retry_for: Duration::from_secs(60),
        progress: Default::default(),
        stop: Default::default(),
    };
    let writer = tokio::spawn(write_load(spec.clone()));
    for _ in 0..300 {
        if spec.acked() >= 8_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(serve); // SIGKILL
    let acked_at_kill = spec.acked();
    assert!(
        (8_000..POINTS).contains(&acked_at_kill),
        "killed mid-load: {acked_at_kill} acked"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let serve = start_serve(dir.path(), port);
    let report = writer.await.unwrap();
    assert!(report.gave_up.is_empty(), "{:?}", report.gave_up);
    metrics_show_the_router_and_its_ingester(&serve.url).await;
    // Graceful stop: persists the rest and unlocks the catalog.
    let status = serve.terminate();
    assert!(status.success(), "serve exited with {status}");

    let catalog = DiskCatalog::open(dir.path().join("catalog")).unwrap();
    let args = ObjectStoreArgs {
        object_store: Some(ObjectStoreKind::File),
        ..Default::default()
    };
    let store = parquet_store::object_store_from(&args, Some(dir.path())).unwrap();
    let acc = account(&catalog, &Arc::clone(&store), DB).await;
    eprintln!(
        "acked {} points, {} retried ids, errors {:?}; {} files, {} rows",
        report.acked_points,
        report.retried.len(),
        report.errors,
        acc.files,
        acc.rows
    );
    acc.assert_exact(0..POINTS, &report);
}
