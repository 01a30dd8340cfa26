//! One small Flight query's latency at the client, over a real TCP socket: what a dashboard
//! panel waits for beyond the query itself.
//!
//! ```text
//! MemCatalog (db "db", a read token) ──► querier::serve on 127.0.0.1:0   (the shell: TCP_NODELAY)
//!                                    ──► axum::serve(querier::app) on 127.0.0.1:0 (no NODELAY:
//!                                        what every Quiver port did before issue #15)
//! arrow-flight FlightClient, one connection per server ──► N × DoGet `SELECT 1`, alternating
//!   servers ──► p50 / p90 / p99 / max per server
//! ```
//!
//! Run: `cargo bench -p querier --bench flight_roundtrip` (release), or a quick debug check:
//! `QUIVER_BENCH_ITERATIONS=20 cargo test -p querier --bench flight_roundtrip`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_flight::{FlightClient, Ticket};
use auth::{Action, Permission, TokenHash};
use catalog::{Catalog, DatabaseName, DatabaseOptions, MemCatalog, NewToken};
use config::{ObjectStoreArgs, ObjectStoreKind};
use futures::TryStreamExt;
use parquet_store::object_store_from;
use query::QueryDatabase;
use tokio::net::TcpListener;

const TOKEN: &str = "bench-token";

async fn query_database(dir: &std::path::Path) -> QueryDatabase {
    let args = ObjectStoreArgs {
        object_store: Some(ObjectStoreKind::File),
        ..Default::default()
    };
    let store = object_store_from(&args, Some(dir)).expect("object store");
    let catalog = Arc::new(MemCatalog::new());
    catalog
        .create_database(
            &DatabaseName::new("db").expect("name"),
            DatabaseOptions::default(),
        )
        .await
        .expect("database");
    catalog
        .create_token(NewToken {
            hash: TokenHash::of(TOKEN),
            description: "bench".into(),
            operator: false,
            permissions: vec![Permission::database(Action::Read, "db")],
        })
        .await
        .expect("token");
    QueryDatabase::new(catalog, store)
}

async fn client(addr: std::net::SocketAddr) -> FlightClient {
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut client = FlightClient::new(channel);
    client
        .add_header("authorization", &format!("Bearer {TOKEN}"))
        .expect("header");
    client
}

async fn select_one(client: &mut FlightClient) -> Duration {
    let ticket = r#"{"database":"db","sql_query":"SELECT 1","query_type":"sql"}"#;
    let start = Instant::now();
    let stream = client
        .do_get(Ticket::new(ticket.to_string()))
        .await
        .expect("do_get");
    let batches: Vec<_> = stream.try_collect().await.expect("batches");
    let elapsed = start.elapsed();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    elapsed
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1;
        times[i].as_secs_f64() * 1e3
    };
    println!(
        "{name:<28} n={:<5} p50 {:>7.2} ms   p90 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        times.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let iterations: usize = std::env::var("QUIVER_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = query_database(dir.path()).await;

    let shell = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let shell_addr = shell.local_addr().expect("addr");
    tokio::spawn(querier::serve(shell, db.clone(), std::future::pending()));

    let plain = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let plain_addr = plain.local_addr().expect("addr");
    let metrics = Arc::new(querier::QuerierMetrics::new());
    let app = querier::app(db, &querier::shell(&metrics), &metrics, None);
    tokio::spawn(async move { axum::serve(plain, app).await });

    let mut with_nodelay = client(shell_addr).await;
    let mut without = client(plain_addr).await;
    // Warm up both (first plans, connections).
    for _ in 0..5 {
        select_one(&mut with_nodelay).await;
        select_one(&mut without).await;
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..iterations {
        a.push(select_one(&mut with_nodelay).await);
        b.push(select_one(&mut without).await);
    }
    report("querier::serve (NODELAY)", a);
    report("axum::serve, no NODELAY", b);
}
