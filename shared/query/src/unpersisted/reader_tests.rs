//! Tests of the querier's fan-out over fake ingesters (the real ones are tested end to end).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::array::{Array, Int64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use catalog::{Catalog, LogPartition, MemCatalog, PersistCommit};

use super::*;
use crate::TimeBounds;

#[derive(Debug, Default)]
struct Marks {
    marks: BTreeMap<LogPartition, u64>,
    calls: AtomicUsize,
}

#[async_trait]
impl HighWatermarks for Marks {
    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, UnpersistedError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(self.marks.clone())
    }
}

type Answerer =
    dyn Fn(&UnpersistedRequest) -> Result<UnpersistedAnswer, UnpersistedError> + Send + Sync;

struct Fake {
    answer: Box<Answerer>,
    requests: Mutex<Vec<UnpersistedRequest>>,
}

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fake")
    }
}

impl Fake {
    fn new(
        answer: impl Fn(&UnpersistedRequest) -> Result<UnpersistedAnswer, UnpersistedError>
        + Send
        + Sync
        + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            answer: Box::new(answer),
            requests: Mutex::new(Vec::new()),
        })
    }

    fn requests(&self) -> Vec<UnpersistedRequest> {
        self.requests.lock().unwrap().clone()
    }
}

#[async_trait]
impl UnpersistedSource for Fake {
    async fn unpersisted(
        &self,
        request: UnpersistedRequest,
    ) -> Result<UnpersistedAnswer, UnpersistedError> {
        self.requests.lock().unwrap().push(request.clone());
        (self.answer)(&request)
    }
}

/// A directory whose listing the test changes between attempts.
#[derive(Debug, Default)]
struct Directory {
    listings: Mutex<Vec<Vec<IngesterHandle>>>,
}

impl Directory {
    /// Answers each listing once, in order; the last one forever.
    fn new(listings: Vec<Vec<IngesterHandle>>) -> Arc<Self> {
        Arc::new(Self {
            listings: Mutex::new(listings),
        })
    }
}

#[async_trait]
impl IngesterDirectory for Directory {
    async fn ingesters(&self) -> Result<Vec<IngesterHandle>, UnpersistedError> {
        let mut listings = self.listings.lock().unwrap();
        Ok(if listings.len() > 1 {
            listings.remove(0)
        } else {
            listings.first().cloned().unwrap_or_default()
        })
    }
}

fn handle(id: &str, source: &Arc<Fake>, partitions: &[LogPartition]) -> IngesterHandle {
    IngesterHandle {
        id: id.into(),
        source: Arc::clone(source) as Arc<dyn UnpersistedSource>,
        partitions: partitions.to_vec(),
    }
}

fn table_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("host", DataType::Utf8, true),
        Field::new("v", DataType::Int64, true),
    ]))
}

fn chunk(key: &str, v: i64) -> UnpersistedChunk {
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, true)])),
        vec![Arc::new(Int64Array::from(vec![v]))],
    )
    .unwrap();
    UnpersistedChunk {
        partition_key: key.into(),
        batch,
    }
}

/// Answers every asked partition with one chunk per key in `keys`, value = partition.
fn answer_all(keys: &'static [&'static str]) -> Arc<Fake> {
    Fake::new(move |r| {
        Ok(UnpersistedAnswer {
            partitions: r
                .partitions
                .iter()
                .map(|w| PartitionAnswer {
                    partition: w.partition,
                    applied: w.min_offset,
                    chunks: keys.iter().map(|k| chunk(k, w.partition.into())).collect(),
                })
                .collect(),
        })
    })
}

fn settings(deadline_ms: u64) -> UnpersistedSettings {
    UnpersistedSettings {
        ingester_wait: Duration::from_secs(5),
        deadline: Duration::from_millis(deadline_ms),
        retry_backoff: Duration::from_millis(10),
    }
}

fn reader(
    marks: &[(LogPartition, u64)],
    directory: Arc<Directory>,
    catalog: Arc<dyn Catalog>,
    deadline_ms: u64,
) -> (UnpersistedReader, Arc<Marks>) {
    let marks = Arc::new(Marks {
        marks: marks.iter().copied().collect(),
        calls: AtomicUsize::new(0),
    });
    let reader = UnpersistedReader::new(
        Arc::clone(&marks) as Arc<dyn HighWatermarks>,
        directory,
        catalog,
        settings(deadline_ms),
    );
    (reader, marks)
}

fn values(groups: &BTreeMap<String, Vec<RecordBatch>>, key: &str) -> Vec<i64> {
    groups[key]
        .iter()
        .flat_map(|b| {
            let v = b.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
            v.values().to_vec()
        })
        .collect()
}

#[tokio::test]
async fn asks_each_owner_up_to_the_high_water_marks_once_per_query() {
    let a = answer_all(&["2026-01-01", "2026-01-02"]);
    let b = answer_all(&["2026-01-01"]);
    let directory = Directory::new(vec![vec![handle("a", &a, &[0, 2]), handle("b", &b, &[1])]]);
    let catalog: Arc<dyn Catalog> = Arc::new(MemCatalog::new());
    // Partition 3 never had a record: nobody needs to be asked about it.
    let (reader, marks) = reader(&[(0, 5), (1, 1), (2, 9), (3, 0)], directory, catalog, 2_000);
    let query = reader.for_query();
    let schema = table_schema();
    let groups = every_row(&query, "cpu", &schema).await.unwrap();
    assert_eq!(values(&groups, "2026-01-01"), [0, 1, 2]);
    assert_eq!(values(&groups, "2026-01-02"), [0, 2]);
    let batch = &groups["2026-01-01"][0];
    assert_eq!(batch.schema(), schema, "aligned to the table schema");
    assert_eq!(batch.column(0).null_count(), 1);

    let asked: Vec<_> = a.requests()[0]
        .partitions
        .iter()
        .map(|w| (w.partition, w.min_offset))
        .collect();
    assert_eq!(asked, [(0, Some(4)), (2, Some(8))]);
    assert_eq!(b.requests()[0].partitions[0].min_offset, Some(0));
    assert_eq!(
        (
            a.requests()[0].database.as_str(),
            a.requests()[0].table.as_str()
        ),
        ("db", "cpu")
    );

    every_row(&query, "mem", &schema).await.unwrap();
    assert_eq!(
        marks.calls.load(Ordering::SeqCst),
        1,
        "taken once per query"
    );
    every_row(&reader.for_query(), "cpu", &schema)
        .await
        .unwrap();
    assert_eq!(
        marks.calls.load(Ordering::SeqCst),
        2,
        "again for the next query"
    );
}

#[tokio::test]
async fn a_moved_partition_is_asked_of_its_new_owner() {
    let old = Fake::new(|_| Err(UnpersistedError::NotOwned { partition: 0 }));
    let new = answer_all(&["k"]);
    let directory = Directory::new(vec![
        vec![handle("old", &old, &[0])],
        vec![],
        vec![handle("new", &new, &[0])],
    ]);
    let (reader, _) = reader(&[(0, 3)], directory, Arc::new(MemCatalog::new()), 2_000);
    let groups = every_row(&reader.for_query(), "cpu", &table_schema())
        .await
        .unwrap();
    assert_eq!(values(&groups, "k"), [0]);
    assert_eq!(old.requests().len(), 1);
    assert_eq!(new.requests().len(), 1);
}

#[tokio::test]
async fn an_unowned_partition_is_fine_when_persisted_and_an_error_otherwise() {
    let catalog = Arc::new(MemCatalog::new());
    catalog
        .commit_persist(PersistCommit {
            log_partition: 0,
            expected_offset: None,
            new_offset: 6,
            files: vec![],
        })
        .await
        .unwrap();
    let catalog: Arc<dyn Catalog> = catalog;

    let directory = Directory::new(vec![vec![]]);
    let (done, _) = reader(&[(0, 7)], Arc::clone(&directory), Arc::clone(&catalog), 500);
    let groups = every_row(&done.for_query(), "cpu", &table_schema())
        .await
        .unwrap();
    assert!(groups.is_empty(), "everything up to offset 6 is in Parquet");

    let (missing, _) = reader(&[(0, 8)], directory, catalog, 300);
    let started = std::time::Instant::now();
    let error = every_row(&missing.for_query(), "cpu", &table_schema())
        .await
        .unwrap_err();
    assert_eq!(error, UnpersistedError::NoOwner { partition: 0 });
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "retried until the deadline"
    );
    assert!(started.elapsed() < Duration::from_secs(3), "bounded");
}

#[tokio::test]
async fn an_ingester_timeout_fails_the_query_at_once() {
    let lagging = Fake::new(|_| {
        Err(UnpersistedError::Timeout {
            partition: 0,
            wanted: 4,
            applied: Some(1),
            waited_ms: 10,
        })
    });
    let directory = Directory::new(vec![vec![handle("l", &lagging, &[0])]]);
    let (reader, _) = reader(&[(0, 5)], directory, Arc::new(MemCatalog::new()), 5_000);
    let error = every_row(&reader.for_query(), "cpu", &table_schema())
        .await
        .unwrap_err();
    assert!(matches!(error, UnpersistedError::Timeout { wanted: 4, .. }));
    assert_eq!(lagging.requests().len(), 1, "not retried");
}

#[tokio::test]
async fn an_unreachable_ingester_is_retried_then_reported() {
    let down = Fake::new(|_| {
        Err(UnpersistedError::Unavailable {
            ingester: "down".into(),
            message: "connection refused".into(),
        })
    });
    let directory = Directory::new(vec![vec![handle("down", &down, &[0])]]);
    let (reader, _) = reader(&[(0, 1)], directory, Arc::new(MemCatalog::new()), 300);
    let error = every_row(&reader.for_query(), "cpu", &table_schema())
        .await
        .unwrap_err();
    assert!(
        matches!(error, UnpersistedError::Unavailable { .. }),
        "{error}"
    );
    assert!(down.requests().len() > 1, "retried");
}

/// `query.table_batches` of database `db` with no time or tag restriction.
async fn every_row(
    query: &QueryUnpersisted,
    table: &str,
    schema: &SchemaRef,
) -> Result<BTreeMap<String, Vec<RecordBatch>>, UnpersistedError> {
    query
        .table_batches("db", table, schema, TimeBounds::default(), &BTreeMap::new())
        .await
}
