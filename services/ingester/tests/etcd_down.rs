//! The ingester with its catalog (a real etcd) down when a partition is assigned: the persisted
//! offset cannot be read, yet queries are answered (Timeout, or an empty answer when there is
//! nothing to wait for), shutdown is prompt, and once etcd is back the partition is consumed and
//! a waiting query answered.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog::{Catalog, EtcdCatalog};
use ingester::{Ingester, PersistSettings};
use object_store::ObjectStore;
use object_store::memory::InMemory;
use query::unpersisted::{UnpersistedError, UnpersistedRequest, UnpersistedSource};
use support::{lazy, wait_until};
use test_support::EtcdProcess;
use write_log::{LogWrite, MemWriteLog, WriteLog};

fn request(min_offset: Option<u64>, wait_ms: u64) -> UnpersistedRequest {
    UnpersistedRequest::new(
        "db",
        "cpu",
        [(0, min_offset)],
        Duration::from_millis(wait_ms),
    )
}

/// A write of one row of table cpu (no catalog needed: nothing is persisted in these tests).
fn one_row() -> LogWrite {
    let mut converter = schema::LinesConverter::new(0, line_protocol::Precision::Nanoseconds);
    converter.write_lp("cpu,host=a v=1i 1\n");
    let table = converter.finish().unwrap().tables.remove(0);
    LogWrite::new("db", vec![(table.name, table.batch)])
}

struct Started {
    query: ingester::IngesterQuery,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<()>,
}

fn start(catalog: Arc<dyn Catalog>, log: &Arc<MemWriteLog>, settings: PersistSettings) -> Started {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let ingester = Ingester::new(catalog, store, settings).unwrap();
    let query = ingester.query_handle();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let reader = log.reader();
    let handle = tokio::spawn(async move {
        ingester
            .run(reader, None, async {
                let _ = stopped.await;
            })
            .await;
    });
    Started {
        query,
        stop,
        handle,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_and_shutdown_do_not_wait_for_a_dead_catalog() {
    let mut etcd = EtcdProcess::start().expect("etcd starts");
    let catalog: Arc<dyn Catalog> = Arc::new(
        EtcdCatalog::connect(&[etcd.endpoint()], catalog::DEFAULT_ETCD_PREFIX)
            .await
            .expect("catalog client"),
    );
    etcd.kill();
    let log = Arc::new(MemWriteLog::new(1 << 20));
    log.append(0, one_row()).await.unwrap();
    let running = start(Arc::clone(&catalog), &log, lazy());
    wait_until("partition 0 assigned", || async {
        running.query.partitions() == [0]
    })
    .await;

    // The offset cannot be read: nothing to answer with while waiting for record 0…
    let error = running.query.unpersisted(request(Some(0), 300)).await;
    assert!(
        matches!(
            error,
            Err(UnpersistedError::Timeout {
                partition: 0,
                wanted: 0,
                applied: None,
                ..
            })
        ),
        "{error:?}"
    );
    // …and nothing to wait for when the partition was empty at query start.
    let answer = running
        .query
        .unpersisted(request(None, 5_000))
        .await
        .unwrap();
    assert_eq!(answer.partitions[0].applied, None);
    assert!(answer.partitions[0].chunks.is_empty());

    // Shutdown does not wait for the catalog.
    let stopping = Instant::now();
    let _ = running.stop.send(());
    tokio::time::timeout(Duration::from_secs(5), running.handle)
        .await
        .expect("stops while etcd is down")
        .unwrap();
    assert!(
        stopping.elapsed() < Duration::from_secs(3),
        "{:?}",
        stopping.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_waiting_while_the_catalog_is_down_is_answered_once_it_is_back() {
    let mut etcd = EtcdProcess::start().expect("etcd starts");
    let catalog: Arc<dyn Catalog> = Arc::new(
        EtcdCatalog::connect(&[etcd.endpoint()], catalog::DEFAULT_ETCD_PREFIX)
            .await
            .expect("catalog client"),
    );
    etcd.kill();
    let log = Arc::new(MemWriteLog::new(1 << 20));
    log.append(0, one_row()).await.unwrap();
    let running = start(Arc::clone(&catalog), &log, lazy());
    wait_until("partition 0 assigned", || async {
        running.query.partitions() == [0]
    })
    .await;
    let query = running.query.clone();
    let waiting = tokio::spawn(async move { query.unpersisted(request(Some(0), 60_000)).await });
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(
        !waiting.is_finished(),
        "etcd is down: offset 0 cannot be applied yet"
    );
    etcd.restart().expect("etcd restarts");
    let answer = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("answered once etcd is back")
        .unwrap()
        .unwrap();
    assert_eq!(answer.partitions[0].applied, Some(0));
    assert_eq!(answer.partitions[0].chunks.len(), 1);
    assert_eq!(answer.partitions[0].chunks[0].batch.num_rows(), 1);
    let _ = running.stop.send(());
    // Persisting fails (the catalog knows no database "db"): the shutdown timeout bounds it.
    tokio::time::timeout(Duration::from_secs(30), running.handle)
        .await
        .expect("stops")
        .unwrap();
}
