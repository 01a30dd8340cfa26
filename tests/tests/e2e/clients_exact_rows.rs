//! The real Python clients write through an in-process router (real HTTP on 127.0.0.1); every
//! value that reaches the write log is checked against what the client was asked to write.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, TimestampNanosecondArray};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use end_to_end::{InProcessRouter, python};
use write_log::MemWriteLog;

const TOKEN: &str = "clients-operator";
const BASE_NS: i64 = 1_700_000_000_000_000_000;

struct Server {
    url: String,
    log: Arc<MemWriteLog>,
    _router: InProcessRouter,
}

async fn start() -> Server {
    let log = Arc::new(MemWriteLog::new(1 << 30));
    let router = InProcessRouter::start(TOKEN, log.clone()).await;
    Server {
        url: router.url.clone(),
        log,
        _router: router,
    }
}

/// Runs clients.py off the runtime's worker threads (the server needs them meanwhile).
async fn run(
    action: &'static str,
    args: Vec<String>,
    url: &str,
    db: &'static str,
) -> serde_json::Value {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        python(action, &args, &url, TOKEN, db)
    })
    .await
    .unwrap()
}

/// Point i as clients.py builds it (`point_fields`), rendered `column=value` sorted by column.
fn expected_row(i: i64, time: i64) -> String {
    let host = format!("host-{}", i % 7);
    let region = if i % 2 == 1 { "eu west" } else { "us,east" };
    let usage = i as f64 + 0.5;
    let mut cells = BTreeMap::new();
    cells.insert("count", i.to_string());
    cells.insert("host", host);
    cells.insert("note", format!("say \"{i}\""));
    cells.insert("ok", (i % 3 == 0).to_string());
    cells.insert("region", region.to_owned());
    cells.insert("time", time.to_string());
    cells.insert("usage", usage.to_string());
    cells
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every row in the log for (database, table), rendered like [`expected_row`], sorted.
fn logged_rows(log: &MemWriteLog, database: &str, table: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for entry in log.entries() {
        assert_eq!(entry.write.database, database);
        for (name, batch) in &entry.write.tables {
            assert_eq!(name, table);
            let schema = batch.schema();
            for row in 0..batch.num_rows() {
                let mut cells = BTreeMap::new();
                for (c, field) in schema.fields().iter().enumerate() {
                    let column = batch.column(c);
                    assert!(
                        !column.is_null(row),
                        "{} is null in row {row}",
                        field.name()
                    );
                    let value = match column.as_any().downcast_ref::<TimestampNanosecondArray>() {
                        Some(t) => t.value(row).to_string(),
                        None => ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())
                            .unwrap()
                            .value(row)
                            .to_string(),
                    };
                    cells.insert(field.name().clone(), value);
                }
                rows.push(
                    cells
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
        }
    }
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn influxdb_client_v2_rows_arrive_exactly() {
    for mode in ["sync", "batching", "gzip"] {
        let server = start().await;
        let out = run(
            "v2-write",
            vec![mode.into(), "1000".into()],
            &server.url,
            "clients",
        )
        .await;
        assert_eq!(out["errors"], serde_json::json!([]), "{mode}: {out}");
        let mut expected: Vec<String> = (0..1000).map(|i| expected_row(i, BASE_NS + i)).collect();
        expected.sort();
        assert_eq!(
            logged_rows(&server.log, "clients", "cpu"),
            expected,
            "{mode}"
        );
        // sync sends 400 points per request (3 requests); batching 250 per batch (4 requests)
        let requests = if mode == "batching" { 4 } else { 3 };
        assert_eq!(server.log.len(), requests, "{mode}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn influxdb_v1_client_rows_arrive_exactly_in_every_precision() {
    for (precision, unit) in [
        ("n", 1i64),
        ("u", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ] {
        let server = start().await;
        let out = run(
            "v1-write",
            vec![precision.into(), "250".into()],
            &server.url,
            "v1db",
        )
        .await;
        assert_eq!(out["ok"], true, "{precision}: {out}");
        let mut expected: Vec<String> = (0..250)
            .map(|i| expected_row(i, (BASE_NS / unit + i) * unit))
            .collect();
        expected.sort();
        assert_eq!(
            logged_rows(&server.log, "v1db", "mem"),
            expected,
            "precision {precision}"
        );
        // batch_size=100 → 3 requests
        assert_eq!(server.log.len(), 3, "{precision}");
    }
}
