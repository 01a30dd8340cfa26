//! The ingester query API as processes: etcd, a tansu broker and a `quiver ingester`; records
//! appended to Kafka directly, then asked for through the catalog's leases
//! (`CatalogIngesterDirectory`) and Flight (`FlightIngesterClient`, gRPC over plain TCP on the
//! ingester's HTTP port).
//!
//! ```text
//! KafkaWriteLog::append (2 partitions × 3 records) ──► high-water marks H
//! directory ──► ing-q owns [0, 1] ──► unpersisted(min = H − 1) ──► every row, applied = H − 1
//!   partition 7 ──► NotOwned · min = H + 5 ──► Timeout { applied: H − 1 }
//! 1 000 more rows per partition (≥ --persist-max-rows) ──► persisted up to H' − 1
//!   ──► unpersisted(min = H' − 1) ──► no rows, applied = H' − 1
//! SIGTERM ──► clean exit, lease released
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type, TimestampNanosecondType};
use catalog::{Catalog, DatabaseName, DatabaseOptions, EtcdCatalog, SchemaUpsert};
use end_to_end::QuiverProcess;
use flight::ingester::{CatalogIngesterDirectory, IngesterClientSettings};
use line_protocol::Precision;
use query::unpersisted::{
    IngesterDirectory, IngesterHandle, UnpersistedAnswer, UnpersistedError, UnpersistedRequest,
};
use test_support::{EtcdProcess, TansuProcess};
use write_log::kafka::{KafkaConfig, KafkaWriteLog};
use write_log::{LogWrite, WriteLog};

const TOPIC: &str = "ingester-query";
/// 2023-11-14T22:13:20Z.
const BASE: i64 = 1_700_000_000_000_000_000;

/// (partition, host, time, v)
type Row = (u32, String, i64, i64);

/// `n` distinct points of record `r` of partition `p`.
fn rows(p: u32, r: i64, n: i64) -> Vec<Row> {
    (0..n)
        .map(|i| {
            let t = BASE + i64::from(p) * 1_000_000 + r * 10_000 + i;
            (p, format!("p{p}r{r}"), t, r * 10_000 + i)
        })
        .collect()
}

/// The rows as one log write (columns added to the catalog first).
async fn write(catalog: &dyn Catalog, db: catalog::DatabaseId, rows: &[Row]) -> LogWrite {
    let lp: String = rows
        .iter()
        .map(|(_, host, t, v)| format!("cpu,host={host} v={v}i {t}\n"))
        .collect();
    let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(&lp);
    let converted = converter.finish().expect("convert");
    assert!(
        converted.rejections.is_empty(),
        "{:?}",
        converted.rejections
    );
    let mut upsert = SchemaUpsert::new();
    for t in &converted.tables {
        for f in t.batch.schema().fields() {
            let column_type = schema::influx_column_type(f).expect("typed column");
            upsert.add(&t.name, f.name(), column_type).expect("upsert");
        }
    }
    catalog.upsert_schema(db, &upsert).await.expect("schema");
    let tables = converted
        .tables
        .into_iter()
        .map(|t| (t.name, t.batch))
        .collect();
    LogWrite::new("db", tables)
}

fn request(partitions: &[(u32, Option<u64>)], wait: Duration) -> UnpersistedRequest {
    UnpersistedRequest::new("db", "cpu", partitions.iter().copied(), wait)
}

/// Asks `handle` for partitions 0 and 1 up to their high-water marks − 1 and checks that it
/// answered exactly up to them.
async fn ask_up_to(handle: &IngesterHandle, marks: &BTreeMap<u32, u64>) -> UnpersistedAnswer {
    let wanted: Vec<(u32, Option<u64>)> = (0..2).map(|p| (p, marks[&p].checked_sub(1))).collect();
    let answer = handle
        .source
        .unpersisted(request(&wanted, Duration::from_secs(30)))
        .await
        .expect("answer");
    let applied: Vec<(u32, Option<u64>)> = answer
        .partitions
        .iter()
        .map(|p| (p.partition, p.applied))
        .collect();
    assert_eq!(
        applied, wanted,
        "answered exactly up to the high-water marks"
    );
    answer
}

fn answer_rows(answer: &UnpersistedAnswer) -> Vec<Row> {
    let mut out = Vec::new();
    for p in &answer.partitions {
        for chunk in &p.chunks {
            assert_eq!(chunk.partition_key, "2023-11-14");
            out.extend(batch_rows(p.partition, &chunk.batch));
        }
    }
    out.sort();
    out
}

fn batch_rows(partition: u32, batch: &RecordBatch) -> Vec<Row> {
    let host =
        arrow::compute::cast(batch.column_by_name("host").unwrap(), &DataType::Utf8).unwrap();
    let host = host.as_string::<i32>();
    let v = batch
        .column_by_name("v")
        .unwrap()
        .as_primitive::<Int64Type>();
    let t = batch
        .column_by_name("time")
        .unwrap()
        .as_primitive::<TimestampNanosecondType>();
    (0..batch.num_rows())
        .map(|i| (partition, host.value(i).to_owned(), t.value(i), v.value(i)))
        .collect()
}

/// Waits (60 s) until the directory lists `id` owning `partitions`.
async fn wait_owner(
    directory: &CatalogIngesterDirectory,
    id: &str,
    partitions: &[u32],
) -> IngesterHandle {
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < Duration::from_secs(60) {
        match directory.ingesters().await {
            Ok(list) => {
                if let Some(h) = list
                    .iter()
                    .find(|h| h.id == id && h.partitions == partitions)
                {
                    return h.clone();
                }
                last = format!(
                    "{:?}",
                    list.iter()
                        .map(|h| (&h.id, &h.partitions))
                        .collect::<Vec<_>>()
                );
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{id} never owned {partitions:?}: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiver_ingester_answers_its_unpersisted_rows_over_flight() {
    let etcd = EtcdProcess::start().expect("etcd starts");
    let tansu = TansuProcess::start().expect("tansu starts");
    tansu.create_topic(TOPIC, 2).expect("topic created");
    let catalog: Arc<dyn Catalog> = Arc::new(
        EtcdCatalog::connect(&[etcd.endpoint()], catalog::DEFAULT_ETCD_PREFIX)
            .await
            .expect("catalog client"),
    );
    let db = catalog
        .create_database(
            &DatabaseName::new("db").unwrap(),
            DatabaseOptions::default(),
        )
        .await
        .expect("database")
        .id;
    let ingester = QuiverProcess::start(&[
        "ingester",
        "--bind",
        "127.0.0.1:0",
        "--ingester-id",
        "ing-q",
        "--etcd-endpoints",
        &etcd.endpoint(),
        "--kafka-brokers",
        &tansu.bootstrap(),
        "--kafka-topic",
        TOPIC,
        "--object-store",
        "memory",
        "--persist-max-age",
        "1h",
        "--persist-max-rows",
        "1000",
    ]);
    // HTTP/1.1 on the port that also speaks gRPC.
    let health = reqwest::get(format!("{}/health", ingester.url))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);

    let log = KafkaWriteLog::connect(KafkaConfig::new(tansu.bootstrap(), TOPIC))
        .await
        .expect("Kafka producer");
    let mut written = Vec::new();
    for p in 0..2 {
        for r in 0..3 {
            let rows = rows(p, r, 20);
            log.append(p, write(catalog.as_ref(), db, &rows).await)
                .await
                .expect("append");
            written.extend(rows);
        }
    }
    written.sort();
    let marks = log.high_watermarks().await.expect("high-water marks");
    let last = |marks: &BTreeMap<u32, u64>, p: u32| marks[&p].checked_sub(1);
    assert!(
        last(&marks, 0).is_some() && last(&marks, 1).is_some(),
        "{marks:?}"
    );

    let directory =
        CatalogIngesterDirectory::new(Arc::clone(&catalog), IngesterClientSettings::default());
    let handle = wait_owner(&directory, "ing-q", &[0, 1]).await;
    let answer = ask_up_to(&handle, &marks).await;
    assert_eq!(answer_rows(&answer), written, "every row, once");

    // Errors over the wire.
    let error = handle
        .source
        .unpersisted(request(&[(7, None)], Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(error, UnpersistedError::NotOwned { partition: 7 });
    let ahead = marks[&0] + 5;
    let error = handle
        .source
        .unpersisted(request(&[(0, Some(ahead))], Duration::from_millis(500)))
        .await
        .unwrap_err();
    assert!(
        matches!(error, UnpersistedError::Timeout { partition: 0, wanted, applied, waited_ms }
            if wanted == ahead && applied == last(&marks, 0) && waited_ms >= 500),
        "{error:?}"
    );

    // 1 000 more rows per partition reach --persist-max-rows: everything is persisted.
    for p in 0..2 {
        let rows = rows(p, 9, 1_000);
        log.append(p, write(catalog.as_ref(), db, &rows).await)
            .await
            .expect("append");
    }
    let marks = log.high_watermarks().await.expect("high-water marks");
    let started = Instant::now();
    loop {
        let persisted = catalog.persisted_offsets().await.unwrap_or_default();
        if (0..2).all(|p| persisted.get(&p).copied() == last(&marks, p)) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not persisted: {persisted:?} vs marks {marks:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let answer = ask_up_to(&handle, &marks).await;
    assert!(
        answer_rows(&answer).is_empty(),
        "persisted rows are no longer the ingester's"
    );

    let status = ingester.terminate();
    assert!(status.success(), "ingester exited with {status}");
    assert!(
        directory.ingesters().await.unwrap().is_empty(),
        "the lease is released on exit"
    );
}
