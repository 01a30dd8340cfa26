//! Produce round trip of the Kafka write log against a local tansu broker: per-append latency of
//! one request's records (one per partition, queued together with `append_each` as the router
//! does; `ONE_BY_ONE=1`: concurrent single appends), and the encode time of one record.
//!
//! `cargo build --profile bench -p write_log --example produce_latency`, then
//! `QUIVER_TANSU=… QUIVER_TANSU_STORAGE=memory://tansu/ target/release/examples/produce_latency
//! [ROWS_PER_RECORD] [REQUESTS] [PARTITIONS] [LINGER_MS]` (defaults 1250 200 4 0).
//! `CONSUME=1` runs the ingester's consumer (`KafkaLogReader`, decoding every record) on its own
//! thread meanwhile, as an ingester would (`READER_PRIORITY=idle|N`: its decode thread's priority);
//! `CONSUME=raw` a bare librdkafka consumer that only receives. Reported too: latency per quarter
//! of the run (does it grow with the log?) and how many slow round trips overlap the consumer
//! receiving records.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::future::join_all;
use line_protocol::Precision;
use schema::LinesConverter;
use test_support::TansuProcess;
use write_log::kafka::{KafkaConfig, KafkaLogReader, KafkaWriteLog};
use write_log::{LogEvent, LogReader, LogWrite, WriteLog};

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
    let log = KafkaWriteLog::connect(config.clone())
        .await
        .expect("connect");
    let consumed = Arc::new(AtomicU64::new(0));
    let epoch = Instant::now();
    match std::env::var("CONSUME").as_deref() {
        Ok("raw") => spawn_raw_consumer(&config, Arc::clone(&consumed), epoch),
        Ok(_) => spawn_reader(config.clone(), Arc::clone(&consumed), epoch),
        Err(_) => {}
    }

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
    let mut spans = Vec::with_capacity(requests);
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
            spans.push((started - epoch, started.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if !ARRIVALS.lock().expect("arrivals").is_empty() {
        report_overlap(&spans, &latencies);
    }
    let quarters: Vec<String> = latencies
        .chunks(latencies.len().div_ceil(4).max(1))
        .map(|q| {
            let mut q = q.to_vec();
            q.sort();
            format!("p50 {:.2} / p99 {:.2}", pct(&q, 0.5), pct(&q, 0.99))
        })
        .collect();
    println!(
        "per quarter: {}; records consumed meanwhile: {}",
        quarters.join(", "),
        consumed.load(Ordering::Relaxed)
    );
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

/// The ingester's consumer on its own thread and runtime: seeks each assigned partition to 0 and
/// takes every record (decoded on the reader's decode thread).
fn spawn_reader(config: KafkaConfig, consumed: Arc<AtomicU64>, epoch: Instant) {
    let mut config = config;
    if let Ok(how) = std::env::var("READER_PRIORITY") {
        config.decode_priority = how.parse().expect("READER_PRIORITY: idle or 0-19");
    }
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let mut reader = KafkaLogReader::connect(config, "lat-readers")
                .await
                .expect("reader");
            loop {
                match reader.next_event().await.expect("event") {
                    LogEvent::Assigned(parts) => {
                        for p in parts {
                            reader.seek(p, 0).await.expect("seek");
                        }
                    }
                    LogEvent::Revoked(_) => {}
                    LogEvent::Record(_) => {
                        consumed.fetch_add(1, Ordering::Relaxed);
                        arrived(epoch);
                    }
                }
            }
        });
    });
}

/// A bare librdkafka consumer that only receives (no decoding).
fn spawn_raw_consumer(config: &KafkaConfig, consumed: Arc<AtomicU64>, epoch: Instant) {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("group.id", "lat-raw")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "100")
        .create()
        .expect("raw consumer");
    consumer
        .subscribe(&[config.topic.as_str()])
        .expect("subscribe");
    std::thread::spawn(move || {
        loop {
            if let Some(Ok(_)) = consumer.poll(Duration::from_millis(100)) {
                consumed.fetch_add(1, Ordering::Relaxed);
                arrived(epoch);
            }
        }
    });
}

/// When the consumer received a record (since the start), for the overlap report.
static ARRIVALS: std::sync::Mutex<Vec<Duration>> = std::sync::Mutex::new(Vec::new());

fn arrived(epoch: Instant) {
    ARRIVALS.lock().expect("arrivals").push(epoch.elapsed());
}

/// How many of the slow produce round trips (over twice the median) overlap the consumer
/// receiving records, against the fast half.
fn report_overlap(spans: &[(Duration, Duration)], latencies: &[Duration]) {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    let arrivals = ARRIVALS.lock().expect("arrivals").clone();
    let overlaps = |(start, took): &(Duration, Duration)| {
        let i = arrivals.partition_point(|a| a < start);
        arrivals.get(i).is_some_and(|a| *a <= *start + *took)
    };
    let slow: Vec<_> = spans.iter().filter(|(_, t)| *t > median * 2).collect();
    let fast: Vec<_> = spans.iter().filter(|(_, t)| *t <= median).collect();
    let share = |v: &[&(Duration, Duration)]| {
        v.iter().filter(|s| overlaps(s)).count() as f64 / v.len().max(1) as f64 * 100.0
    };
    println!(
        "round trips over 2 × median ({:.2} ms): {}, {:.0} % overlap a record arriving at the \
         consumer; fast half: {:.0} %",
        median.as_secs_f64() * 1e3,
        slow.len(),
        share(&slow),
        share(&fast)
    );
}
