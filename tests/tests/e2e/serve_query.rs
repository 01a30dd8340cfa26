//! `quiver serve` answers writes and Flight queries on ONE port, read-after-write, with the
//! real Python clients; rows survive kill -9; duplicates across Parquet and the ingester's
//! buffer come back once with the last values.
//!
//! ```text
//! quiver serve --data-dir D --persist-max-rows 150 (persists often: queries merge both sides)
//!   influxdb3-python: write point i ──► query count/max at once  (×1000, no miss)
//!   HTTP v2 write 200 points v=1 ──► Parquet appears in D ──► same 100 points v=2 (buffered)
//!     ──► SQL: 200 rows, 100 with v=2  (pyarrow.flight DoGet)
//!   kill -9 ──► restart on D ──► every row once
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use end_to_end::{QuiverProcess, check_flight_clients, dup_body, python_script, write_acked};

fn serve(data: &str) -> QuiverProcess {
    QuiverProcess::start(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--persist-max-rows",
        "150",
        "--persist-max-age",
        "2s",
    ])
}

fn operator_token(process: &QuiverProcess) -> String {
    process
        .startup_output
        .iter()
        .filter(|l| l.starts_with("operator token:"))
        .flat_map(|l| l.split_whitespace())
        .find(|w| w.starts_with("qvr_"))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no operator token in {:?}", process.startup_output))
}

fn query(url: &str, token: &str, db: &str, action: &str, args: &[&str]) -> serde_json::Value {
    python_script("query_clients.py", action, args, url, token, db)
}

fn parquet_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                parquet_files(&path)
            } else {
                usize::from(path.extension().is_some_and(|x| x == "parquet"))
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_is_read_after_write_on_one_port_and_keeps_rows_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let first = serve(&data);
    let token = operator_token(&first);

    // 1 000 write-then-query round trips through influxdb3-python (HTTP write, Flight query).
    let report = query(
        &first.url,
        &token,
        "raw",
        "read_after_write",
        &["1000", "0"],
    );
    assert_eq!(report["miss_count"], 0, "{report}");
    assert!(
        parquet_files(dir.path()) > 0,
        "some rows were persisted during the loop (the queries merged Parquet and buffers)"
    );

    // Dedup: 200 points persisted, then 100 of them again with new values, buffered.
    let before = parquet_files(dir.path());
    write_acked(&first.url, "dups", &token, &dup_body(0..200, 1)).await;
    let started = Instant::now();
    while parquet_files(dir.path()) == before {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the 200 rows were not persisted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    write_acked(&first.url, "dups", &token, &dup_body(50..150, 2)).await;
    let sql = "SELECT count(*) AS n, sum(CASE WHEN v = 2 THEN 1 ELSE 0 END) AS newer, \
               min(CASE WHEN v = 2 THEN k END) AS lo, max(CASE WHEN v = 2 THEN k END) AS hi FROM dup";
    let expected = serde_json::json!({"rows": [{"n": 200, "newer": 100, "lo": 50, "hi": 149}]});
    assert_eq!(
        query(&first.url, &token, "dups", "flight_sql", &[sql]),
        expected
    );

    // kill -9 and restart: every row once, from Parquet and the replayed log.
    drop(first);
    let second = serve(&data);
    let counted = query(&second.url, &token, "raw", "count", &["raw"]);
    assert_eq!(
        counted,
        serde_json::json!({"n": 1000, "d": 1000, "lo": 0, "hi": 999})
    );
    assert_eq!(
        query(&second.url, &token, "dups", "flight_sql", &[sql]),
        expected
    );
    // And it goes on being read-after-write after the restart.
    let report = query(
        &second.url,
        &token,
        "raw",
        "read_after_write",
        &["50", "1000"],
    );
    assert_eq!(report["miss_count"], 0, "{report}");
    assert!(second.terminate().success());
}

/// ADBC Flight SQL end to end, and a token that may read one database only, denied on another
/// through influxdb3-python, pyarrow.flight and ADBC (statement, prepared, table schema).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_adbc_and_denies_a_database_the_token_may_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let process = serve(dir.path().to_str().unwrap());
    let token = operator_token(&process);
    check_flight_clients(&process.url, &process.url, &token, "adbc_a", "adbc_b").await;
    assert!(process.terminate().success());
}
