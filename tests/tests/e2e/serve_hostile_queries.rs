//! Queries that used to hurt `quiver serve` (issue #15, the bad-input run), against the real
//! debug binary over a real socket with arrow-flight's Rust client:
//!
//! ```text
//! quiver serve (rows kept unpersisted: huge persist thresholds)
//!   SELECT 1+1+…+1 (1 900 terms), an OR chain of 2 000 terms ──► INVALID_ARGUMENT, still alive
//!   the same shapes at the nesting limit ──► answered (the engine is safe at the accepted depth)
//!   a 3-way self-join of 20 000 buffered rows, client gives up after 2 s
//!     ──► the process's CPU falls back to idle (the work stops with the stream)
//!   a table name of 300 bytes ──► 400 naming the limit; one of 256 bytes ──► 204
//! ```

use std::time::{Duration, Instant};

use end_to_end::{QuiverProcess, write_lp};
use flight::arrow_flight::{FlightClient, Ticket};
use futures::TryStreamExt;
use serde_json::json;
use tonic::Code;

fn operator_token(process: &QuiverProcess) -> String {
    process
        .startup_output
        .iter()
        .flat_map(|l| l.split_whitespace())
        .find(|w| w.starts_with("qvr_"))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no operator token in {:?}", process.startup_output))
}

async fn client(url: &str, token: &str) -> FlightClient {
    let channel = tonic::transport::Endpoint::from_shared(url.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = FlightClient::new(channel);
    client
        .add_header("authorization", &format!("Bearer {token}"))
        .unwrap();
    client
}

/// Runs `sql` on database `db`: the rows, or the status.
async fn sql(client: &mut FlightClient, db: &str, sql: &str) -> Result<usize, tonic::Status> {
    let ticket = json!({"database": db, "sql_query": sql, "query_type": "sql"}).to_string();
    let stream = client
        .do_get(Ticket::new(ticket))
        .await
        .map_err(tonic::Status::from)?;
    let batches: Vec<_> = stream.try_collect().await.map_err(tonic::Status::from)?;
    Ok(batches.iter().map(|b| b.num_rows()).sum())
}

/// CPU seconds (user + system) the process has used, from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY-free: sysconf(_SC_CLK_TCK) is 100 on Linux for every architecture we run on.
    ticks as f64 / 100.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_queries_are_refused_or_stopped_and_long_names_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let process = QuiverProcess::start(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        &data,
        "--persist-max-rows",
        "10000000",
        "--persist-max-age",
        "1h",
    ]);
    let token = operator_token(&process);
    let http = reqwest::Client::new();
    let body: String = (0..20_000)
        .map(|i| format!("t,h=h{} v={i}i {}\n", i % 10, 1_000 + i))
        .collect();
    let (status, _, text) = write_lp(&http, &process.url, "db", &token, &body).await;
    assert_eq!(status, 204, "{text}");
    let mut flight = client(&process.url, &token).await;
    assert_eq!(
        sql(&mut flight, "db", "SELECT * FROM t").await.unwrap(),
        20_000
    );

    // Deep nesting: refused with a clear INVALID_ARGUMENT, the process stays up.
    let ones = |terms: usize| format!("SELECT {}", vec!["1"; terms].join("+"));
    let ors = |terms: usize| {
        let chain: Vec<String> = (0..terms).map(|i| format!("v = {i}")).collect();
        format!("SELECT v FROM t WHERE {}", chain.join(" OR "))
    };
    for query in [ones(1_900), ors(2_000)] {
        let status = sql(&mut flight, "db", &query).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status}");
        assert!(
            status.message().contains("the statement nests too deeply"),
            "{status}"
        );
    }
    // At the limit (1 000 levels): answered, on a debug build's stacks.
    assert_eq!(sql(&mut flight, "db", &ones(1_001)).await.unwrap(), 1);
    assert_eq!(sql(&mut flight, "db", &ors(500)).await.unwrap(), 500);

    // A query the client gives up on stops: 20 000 rows joined three ways on 10 hosts is
    // 8·10¹⁰ rows, far more than 2 s of work.
    let join = "SELECT count(*) FROM t a JOIN t b ON a.h = b.h JOIN t c ON b.h = c.h";
    let gave_up = tokio::time::timeout(Duration::from_secs(2), sql(&mut flight, "db", join)).await;
    assert!(
        gave_up.is_err(),
        "the join finished within 2 s: {gave_up:?}"
    );
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let pid = process.pid();
    let before = cpu_seconds(pid);
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let used = cpu_seconds(pid) - before;
    let elapsed = window.elapsed().as_secs_f64();
    assert!(
        used < 0.5,
        "quiver used {used:.2} CPU seconds in the {elapsed:.1} s after the client gave up"
    );
    let mut fresh = client(&process.url, &token).await;
    assert_eq!(
        sql(&mut fresh, "db", "SELECT * FROM t").await.unwrap(),
        20_000
    );

    // Name lengths: 256 bytes fit, 257 do not (400 naming the limit), nothing else written.
    let long = "n".repeat(257);
    let (status, _, text) = write_lp(
        &http,
        &process.url,
        "db",
        &token,
        &format!("{long} v=1 1\n"),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("the table name of 257 bytes is longer than the limit of 256 bytes"),
        "{text}"
    );
    let (status, _, text) = write_lp(
        &http,
        &process.url,
        "db",
        &token,
        &format!("t,{long}=x v=1 1\n"),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("the tag name of 257 bytes"), "{text}");
    let fits = "n".repeat(256);
    let (status, _, text) = write_lp(
        &http,
        &process.url,
        "db",
        &token,
        &format!("{fits} v=1 1\n"),
    )
    .await;
    assert_eq!(status, 204, "{text}");
}
