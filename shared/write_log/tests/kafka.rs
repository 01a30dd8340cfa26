//! The Kafka backend against a real broker process (tansu, SQLite storage, loopback): topic
//! creation, append/read in order on every partition (one by one and several partitions at
//! once), seek and pause, a consumer group that
//! rebalances, and a broker restart mid-stream with nothing acknowledged lost.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use line_protocol::Precision;
use schema::LinesConverter;
use test_support::TansuProcess;
use write_log::kafka::{KafkaAdmin, KafkaConfig, KafkaLogReader, KafkaWriteLog, TopicStatus};
use write_log::{LogEvent, LogPartition, LogReader, LogRecord, LogWrite, WriteLog};

const PARTITIONS: u32 = 4;

/// Values with this bit set make writes of [`WIDE_ROWS`] rows (a round of `append_each` with one
/// per partition then holds enough rows to be encoded on the blocking pool); others one row.
const WIDE: u64 = 1 << 40;
const WIDE_ROWS: u64 = 600;

fn write(value: u64) -> LogWrite {
    let rows = if value & WIDE != 0 { WIDE_ROWS } else { 1 };
    let body: String = (0..rows)
        .map(|i| format!("cpu,host=h{} v={value}i {}\n", (value + i) % 5, value + i))
        .collect();
    let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(&body);
    let converted = converter.finish().unwrap();
    let mut write = LogWrite::new(
        "db",
        converted
            .tables
            .into_iter()
            .map(|t| (t.name, t.batch))
            .collect(),
    );
    write.traceparent = Some(format!("00-{value:032x}-00f067aa0ba902b7-01"));
    write
}

fn config(broker: &TansuProcess, topic: &str) -> KafkaConfig {
    let mut config = KafkaConfig::new(broker.bootstrap(), topic);
    config.produce_timeout = Duration::from_secs(5);
    config
}

async fn broker_with_topic(topic: &str) -> TansuProcess {
    let broker = TansuProcess::start().unwrap();
    let admin = KafkaAdmin::new(config(&broker, topic)).unwrap();
    let created = admin
        .ensure_topic(PARTITIONS, Some(Duration::from_secs(3600)), Some(1))
        .await
        .unwrap();
    assert_eq!(created, TopicStatus::Created);
    broker
}

/// Drives `reader` until `want` records arrived or `timeout` passed; seeks every newly assigned
/// partition to `start(partition)`.
async fn collect(
    reader: &mut KafkaLogReader,
    want: usize,
    timeout: Duration,
    start: impl Fn(LogPartition) -> u64,
) -> (Vec<LogRecord>, Vec<LogEvent>) {
    let deadline = Instant::now() + timeout;
    let mut records = Vec::new();
    let mut changes = Vec::new();
    while records.len() < want {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(event) = tokio::time::timeout(left, reader.next_event()).await else {
            break;
        };
        match event.unwrap() {
            LogEvent::Record(r) => records.push(r),
            LogEvent::Assigned(ps) => {
                for p in &ps {
                    reader.seek(*p, start(*p)).await.unwrap();
                }
                changes.push(LogEvent::Assigned(ps));
            }
            other => changes.push(other),
        }
    }
    (records, changes)
}

fn assert_in_order_and_intact(records: &[LogRecord], expected: &BTreeMap<(u32, u64), u64>) {
    let mut last: BTreeMap<u32, u64> = BTreeMap::new();
    for r in records {
        let p = r.position.partition;
        if let Some(prev) = last.get(&p) {
            assert!(r.position.offset > *prev, "partition {p} out of order");
        }
        last.insert(p, r.position.offset);
        let value = expected
            .get(&(p, r.position.offset))
            .unwrap_or_else(|| panic!("unexpected record at {:?}", r.position));
        assert_eq!(r.write, write(*value), "content at {:?}", r.position);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_to_every_partition_read_back_in_order() {
    let topic = "order";
    let broker = broker_with_topic(topic).await;
    let admin = KafkaAdmin::new(config(&broker, topic)).unwrap();
    assert_eq!(
        admin.ensure_topic(8, None, Some(1)).await.unwrap(),
        TopicStatus::Existed { partitions: 4 },
        "an existing topic is left as it is"
    );

    let log = KafkaWriteLog::connect(config(&broker, topic))
        .await
        .unwrap();
    assert_eq!(log.partition_count(), PARTITIONS);
    let mut expected = BTreeMap::new();
    let tasks: Vec<_> = (0..PARTITIONS)
        .map(|p| {
            let log = log.clone();
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for n in 0..25u64 {
                    let value = u64::from(p) * 1000 + n;
                    let position = log.append(p, write(value)).await.unwrap();
                    assert_eq!(position.partition, p);
                    acked.push((position.offset, value));
                }
                (p, acked)
            })
        })
        .collect();
    for t in tasks {
        let (p, acked) = t.await.unwrap();
        let offsets: Vec<u64> = acked.iter().map(|(o, _)| *o).collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "acks in order on {p}"
        );
        for (offset, value) in acked {
            expected.insert((p, offset), value);
        }
    }
    // Then rounds of one write per partition queued together (append_each), with a partition
    // the topic does not have among them: it alone fails, the others are appended in order.
    // Even rounds are wide (encoded in parallel on the blocking pool), odd ones encoded inline.
    let round_value = |p: u32, round: u64| {
        let value = u64::from(p) * 1000 + 500 + round;
        if round.is_multiple_of(2) {
            value | WIDE
        } else {
            value
        }
    };
    for round in 0..10u64 {
        let mut writes: Vec<(LogPartition, LogWrite)> = (0..PARTITIONS)
            .map(|p| (p, write(round_value(p, round))))
            .collect();
        writes.insert(2, (PARTITIONS, write(9)));
        let results = log.append_each(writes.clone()).await;
        assert_eq!(results.len(), writes.len());
        for ((p, w), result) in writes.iter().zip(results) {
            if *p == PARTITIONS {
                assert!(
                    matches!(
                        result,
                        Err(write_log::WriteLogError::UnknownPartition { .. })
                    ),
                    "{result:?}"
                );
                continue;
            }
            let position = result.unwrap();
            assert_eq!((position.partition, position.offset), (*p, 25 + round));
            let value = round_value(*p, round);
            assert_eq!(w, &write(value));
            expected.insert((*p, position.offset), value);
        }
    }
    let marks = log.high_watermarks().await.unwrap();
    assert_eq!(marks.len(), PARTITIONS as usize);
    assert!(marks.values().all(|m| *m == 35), "{marks:?}");
    log.flush().await.unwrap();

    let mut reader = KafkaLogReader::connect(config(&broker, topic), "readers")
        .await
        .unwrap();
    let (records, changes) = collect(&mut reader, 140, Duration::from_secs(60), |_| 0).await;
    assert_eq!(records.len(), 140, "changes: {changes:?}");
    let assigned: BTreeSet<u32> = changes
        .iter()
        .flat_map(|e| match e {
            LogEvent::Assigned(ps) => ps.clone(),
            _ => vec![],
        })
        .collect();
    assert_eq!(assigned, (0..PARTITIONS).collect());
    assert_in_order_and_intact(&records, &expected);
    let positions: BTreeSet<_> = records
        .iter()
        .map(|r| (r.position.partition, r.position.offset))
        .collect();
    assert_eq!(positions, expected.keys().copied().collect());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_before_seek_then_from_the_sought_offset_and_pause_holds_records() {
    let topic = "seek";
    let broker = broker_with_topic(topic).await;
    let log = KafkaWriteLog::connect(config(&broker, topic))
        .await
        .unwrap();
    let mut expected = BTreeMap::new();
    for n in 0..20u64 {
        let position = log.append(1, write(n)).await.unwrap();
        expected.insert((1, position.offset), n);
    }

    let mut reader = KafkaLogReader::connect(config(&broker, topic), "seekers")
        .await
        .unwrap();
    // Take the assignment without seeking: no record may arrive.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut assigned = BTreeSet::new();
    while assigned.len() < PARTITIONS as usize && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(30), reader.next_event()).await {
            Ok(Ok(LogEvent::Assigned(ps))) => assigned.extend(ps),
            Ok(Ok(LogEvent::Record(r))) => panic!("record before seek: {:?}", r.position),
            other => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(assigned.len(), PARTITIONS as usize);
    let quiet = tokio::time::timeout(Duration::from_secs(2), reader.next_event()).await;
    assert!(quiet.is_err(), "nothing before seek: {quiet:?}");
    assert!(
        reader.seek(9, 0).await.is_err(),
        "partition 9 is not assigned"
    );

    reader.seek(1, 12).await.unwrap();
    let (records, _) = collect(&mut reader, 3, Duration::from_secs(30), |_| 0).await;
    let offsets: Vec<u64> = records.iter().map(|r| r.position.offset).collect();
    assert_eq!(offsets, [12, 13, 14]);
    assert_in_order_and_intact(&records, &expected);

    reader.pause().unwrap();
    for n in 20..25u64 {
        let position = log.append(1, write(n)).await.unwrap();
        expected.insert((1, position.offset), n);
    }
    let paused = tokio::time::timeout(Duration::from_secs(2), reader.next_event()).await;
    assert!(paused.is_err(), "nothing while paused: {paused:?}");
    reader.resume().unwrap();
    let (records, _) = collect(&mut reader, 10, Duration::from_secs(30), |_| 0).await;
    let offsets: Vec<u64> = records.iter().map(|r| r.position.offset).collect();
    assert_eq!(offsets, (15..25).collect::<Vec<_>>());
    assert_in_order_and_intact(&records, &expected);

    // Seeking back re-delivers from there.
    reader.seek(1, 5).await.unwrap();
    let (records, _) = collect(&mut reader, 2, Duration::from_secs(30), |_| 0).await;
    let offsets: Vec<u64> = records.iter().map(|r| r.position.offset).collect();
    assert_eq!(offsets, [5, 6]);
    reader.persisted(1, 14).await.unwrap();
}

/// A reader in its own task: seeks new partitions to 0, records everything it sees.
#[derive(Default)]
struct Seen {
    owned: BTreeSet<u32>,
    events: Vec<String>,
    records: Vec<(u32, u64)>,
}

fn spawn_member(
    mut reader: KafkaLogReader,
    seen: Arc<Mutex<Seen>>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stop = stop;
        loop {
            let event = tokio::select! {
                _ = stop.changed() => break,
                event = reader.next_event() => event.unwrap(),
            };
            let to_seek = {
                let mut s = seen.lock().unwrap();
                match event {
                    LogEvent::Assigned(ps) => {
                        s.events.push(format!("assigned {ps:?}"));
                        s.owned.extend(ps.iter().copied());
                        ps
                    }
                    LogEvent::Revoked(ps) => {
                        s.events.push(format!("revoked {ps:?}"));
                        for p in ps {
                            s.owned.remove(&p);
                        }
                        vec![]
                    }
                    LogEvent::Record(r) => {
                        assert!(
                            s.owned.contains(&r.position.partition),
                            "record of a partition not owned"
                        );
                        s.records.push((r.position.partition, r.position.offset));
                        vec![]
                    }
                }
            };
            for p in to_seek {
                reader.seek(p, 0).await.unwrap();
            }
        }
        // Dropping the reader leaves the group.
        drop(reader);
    })
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Records are decoded on the reader's own thread (here at `SCHED_IDLE`, as the ingester runs
/// it). A caller that gives up waiting while one is being decoded — the ingester's loop drops
/// `next_event` whenever a timer or a persist finishes — gets it on its next call: nothing lost,
/// nothing twice. (A seek drops a record of its partition still being decoded; no test forces
/// that interleaving, since librdkafka decides when fetched records reach the reader.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_decoded_while_the_caller_gives_up_waiting_are_kept() {
    let topic = "decode";
    let broker = broker_with_topic(topic).await;
    let log = KafkaWriteLog::connect(config(&broker, topic))
        .await
        .unwrap();
    let mut expected = BTreeMap::new();
    for n in 0..8u64 {
        for p in 0..PARTITIONS {
            let value = WIDE | (n * 10 + u64::from(p));
            let position = log.append(p, write(value)).await.unwrap();
            expected.insert((p, position.offset), value);
        }
    }
    let mut config = config(&broker, topic);
    config.decode_priority = cpu_pool::Priority::Idle;
    let mut reader = KafkaLogReader::connect(config, "impatient").await.unwrap();

    // Short waits (Tokio rounds them up to its 1 ms tick): many end while a record is being
    // decoded.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut records, mut gave_up) = (Vec::new(), 0u32);
    while records.len() < expected.len() && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_micros(50), reader.next_event()).await {
            Err(_) => gave_up += 1,
            Ok(event) => match event.unwrap() {
                LogEvent::Record(r) => records.push(r),
                LogEvent::Assigned(ps) => {
                    for p in ps {
                        reader.seek(p, 0).await.unwrap();
                    }
                }
                other => panic!("unexpected {other:?}"),
            },
        }
    }
    assert!(gave_up > 0, "no wait was cut short");
    assert_eq!(records.len(), expected.len(), "every record once");
    assert_in_order_and_intact(&records, &expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_readers_split_the_partitions_and_rebalance_when_one_leaves() {
    let topic = "group";
    let broker = broker_with_topic(topic).await;
    let log = KafkaWriteLog::connect(config(&broker, topic))
        .await
        .unwrap();
    for p in 0..PARTITIONS {
        log.append(p, write(u64::from(p))).await.unwrap();
    }

    let a_seen = Arc::new(Mutex::new(Seen::default()));
    let (a_stop_tx, a_stop) = tokio::sync::watch::channel(false);
    let a = KafkaLogReader::connect(config(&broker, topic), "group")
        .await
        .unwrap();
    let a_task = spawn_member(a, Arc::clone(&a_seen), a_stop);
    wait_for("A to own every partition", Duration::from_secs(60), || {
        a_seen.lock().unwrap().owned.len() == PARTITIONS as usize
    })
    .await;

    let b_seen = Arc::new(Mutex::new(Seen::default()));
    let (b_stop_tx, b_stop) = tokio::sync::watch::channel(false);
    let b = KafkaLogReader::connect(config(&broker, topic), "group")
        .await
        .unwrap();
    let b_task = spawn_member(b, Arc::clone(&b_seen), b_stop);
    wait_for(
        "A and B to split the partitions",
        Duration::from_secs(90),
        || {
            let a = a_seen.lock().unwrap().owned.clone();
            let b = b_seen.lock().unwrap().owned.clone();
            !a.is_empty()
                && !b.is_empty()
                && a.is_disjoint(&b)
                && a.len() + b.len() == PARTITIONS as usize
        },
    )
    .await;
    let b_owned = b_seen.lock().unwrap().owned.clone();
    assert!(
        a_seen
            .lock()
            .unwrap()
            .events
            .iter()
            .any(|e| e.starts_with("revoked")),
        "A was told about the partitions it gave up: {:?}",
        a_seen.lock().unwrap().events
    );
    // B replays its partitions from 0.
    wait_for("B to read its partitions", Duration::from_secs(30), || {
        b_seen.lock().unwrap().records.len() >= b_owned.len()
    })
    .await;

    // B leaves: A gets everything back.
    b_stop_tx.send(true).unwrap();
    b_task.await.unwrap();
    wait_for(
        "A to own every partition again",
        Duration::from_secs(90),
        || a_seen.lock().unwrap().owned.len() == PARTITIONS as usize,
    )
    .await;
    println!(
        "A: {:?}\nB: {:?}",
        a_seen.lock().unwrap().events,
        b_seen.lock().unwrap().events
    );
    a_stop_tx.send(true).unwrap();
    a_task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_loses_nothing_acknowledged_and_the_reader_continues() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("write_log=debug")
        .with_test_writer()
        .try_init();
    let topic = "restart";
    let mut broker = broker_with_topic(topic).await;
    let log = KafkaWriteLog::connect(config(&broker, topic))
        .await
        .unwrap();
    let acked = Arc::new(Mutex::new(BTreeMap::new()));
    let failed = Arc::new(Mutex::new(Vec::new()));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let writer = {
        let (log, acked, failed) = (log.clone(), Arc::clone(&acked), Arc::clone(&failed));
        tokio::spawn(async move {
            let mut n = 0u64;
            while !*stop.borrow() {
                let p = (n % u64::from(PARTITIONS)) as u32;
                match log.append(p, write(n)).await {
                    Ok(position) => {
                        acked.lock().unwrap().insert((p, position.offset), n);
                    }
                    Err(e) => {
                        assert!(e.is_retryable(), "{e}");
                        failed.lock().unwrap().push(e.to_string());
                    }
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut reader = KafkaLogReader::connect(config(&broker, topic), "restart")
        .await
        .unwrap();
    let (mut records, _) = collect(&mut reader, 50, Duration::from_secs(60), |_| 0).await;
    assert_eq!(records.len(), 50);
    eprintln!("restart test: 50 records read, killing the broker");

    broker.kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    broker.restart().unwrap();
    eprintln!("restart test: broker restarted");
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop_tx.send(true).unwrap();
    writer.await.unwrap();
    eprintln!("restart test: writer stopped");
    log.flush().await.unwrap();
    eprintln!("restart test: flushed");

    let acked = acked.lock().unwrap().clone();
    let acked_after_restart = acked.len();
    // Read until every acknowledged record is back (not until a count: appends that failed
    // around the restart may still have reached the log, and are read too).
    let mut delivered: BTreeSet<(u32, u64)> = records
        .iter()
        .map(|r| (r.position.partition, r.position.offset))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.keys().any(|k| !delivered.contains(k)) && Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        let (more, _) = collect(&mut reader, 1, left, |_| 0).await;
        for r in &more {
            delivered.insert((r.position.partition, r.position.offset));
        }
        records.extend(more);
    }
    let missing: Vec<_> = acked.keys().filter(|k| !delivered.contains(k)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not read back: {missing:?}"
    );
    for r in &records {
        if let Some(value) = acked.get(&(r.position.partition, r.position.offset)) {
            assert_eq!(r.write, write(*value));
        }
    }
    let failed = failed.lock().unwrap().clone();
    println!(
        "broker restart: {acked_after_restart} appends acked, {} failed cleanly ({:?}), {} records read back",
        failed.len(),
        failed.first(),
        records.len()
    );
}
