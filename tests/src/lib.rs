//! End-to-end harness: real `quiver` processes and real client programs.
//!
//! ```text
//! test ──► quiver_binary()            cargo-built `quiver`, once per test process
//!      ──► QuiverProcess::start(args) spawn on 127.0.0.1:0, parse "quiver listening on …",
//!                                     killed (by PID) when dropped
//!      ──► InProcessRouter::start     the router in this process (tests that read its log)
//!      ──► Cluster::start(n)          one etcd + one tansu (test_support) + n `quiver router`s
//!      ──► Cluster::ingest(n, p, age) etcd + tansu + moto + `quiver router` + n `quiver ingester`
//!                                     (+ `start_querier`); `ingest_on_files`: Parquet on disk
//!      ──► accounting::{write_load, account}  known points in, each found once in Parquet
//!      ──► python(action, args, env)  tests/python/clients.py with the real InfluxDB clients
//!                                     (influxdb-client, influxdb) → one JSON document back
//!      ──► python_script(script, …)   another script of tests/python (manage.py: management API)
//!      ──► check_flight_clients(…)     ADBC and a one-database token through every query path
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

pub mod accounting;
mod cluster;
mod flight_clients;
mod in_process;
mod process;
mod python;

pub use cluster::{
    BUCKET, CLUSTER_LOG_PARTITIONS, CLUSTER_OPERATOR_TOKEN, Cluster, Settled, TOPIC, write_acked,
    write_lp,
};
pub use flight_clients::{check_adbc_session, check_flight_clients, dup_body};
pub use in_process::InProcessRouter;
pub use process::{QuiverProcess, quiver_binary};
pub use python::{python, python_interpreter, python_script, python_script_env};

/// The workspace root (the directory holding the top-level `Cargo.toml`).
///
/// Found from the manifest dir cargo/nextest give the running test (the one baked in at compile
/// time only when run without them, e.g. a bench binary started by hand): a binary reused from
/// a target dir shared by checkouts at other paths must not reach into another checkout.
pub fn workspace_root() -> std::path::PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        std::path::PathBuf::from,
    );
    manifest_dir
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or_else(|| manifest_dir.parent().unwrap_or(&manifest_dir))
        .to_path_buf()
}

/// The text of `GET {url}/metrics` (Prometheus / OpenMetrics).
pub async fn metrics_text(url: &str) -> String {
    reqwest::get(format!("{url}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("/metrics body")
}
