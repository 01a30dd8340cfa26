//! Produce round trip of the Kafka write log against a local tansu broker: per-append latency of
//! one request's records (one per partition, queued together with `append_each` as the router
//! does; `ONE_BY_ONE=1`: concurrent single appends), and the encode time of one record.
//!
//! `cargo build --profile bench -p write_log --example produce_latency`, then
//! `QUIVER_TANSU=… QUIVER_TANSU_STORAGE=memory://tansu/ target/release/examples/produce_latency
//! [ROWS_PER_RECORD] [REQUESTS] [PARTITIONS] [LINGER_MS]` (defaults 1250 200 4 0).

use std::time::{Duration, Instant};

use futures::future::join_all;
use line_protocol::Precision;
use schema::LinesConverter;
use test_support::TansuProcess;
use write_log::kafka::{KafkaConfig, KafkaWriteLog};
use write_log::{LogWrite, WriteLog};

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let rows = arg(1, 1_250) as usize;
    let requests = arg(2, 200) as usize;
    let partitions = arg(3, 4) as u32;
    let linger = Duration::from_millis(arg(4, 0));
    let tansu = TansuProcess::start().expect("tansu");
    tansu.create_topic("lat", partitions).expect("topic");
    let mut config = KafkaConfig::new(tansu.bootstrap(), "lat");
    config.linger = linger;
    let log = KafkaWriteLog::connect(config).await.expect("connect");

    let text = tsbs::lines(42, 1_000, rows);
    let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(&text);
    let converted = converter.finish().expect("TSBS lines convert");
    let batch = converted.tables[0].batch.clone();
    let write = LogWrite {
        database: "db".into(),
        tables: vec![("cpu".into(), batch)],
        traceparent: None,
    };
    let encode_start = Instant::now();
    for _ in 0..20 {
        write_log::codec::encode(&write, write_log::codec::DEFAULT_ENCODING).expect("encode");
    }
    let encode = encode_start.elapsed() / 20;

    let mut latencies = Vec::with_capacity(requests);
    for i in 0..requests {
        let started = Instant::now();
        if std::env::var_os("ONE_BY_ONE").is_some() {
            let appends = (0..partitions).map(|p| log.append(p, write.clone()));
            for r in join_all(appends).await {
                r.expect("append");
            }
        } else {
            let writes = (0..partitions).map(|p| (p, write.clone())).collect();
            for r in log.append_each(writes).await {
                r.expect("append");
            }
        }
        if i >= 10 {
            latencies.push(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    latencies.sort();
    println!(
        "{rows} rows × {partitions} partitions, linger {linger:?}: encode {encode:?} per record; \
         request p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(&latencies, 0.5),
        pct(&latencies, 0.9),
        pct(&latencies, 0.99),
        pct(&latencies, 1.0)
    );
}
