//! SQL over Parquet files merged with an ingester's unpersisted rows (a fake ingester in process;
//! the real one is tested end to end): dedup across both, keys only one side has, filters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arrow::record_batch::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use async_trait::async_trait;
use catalog::{Catalog, LogPartition};
use common::{Fixture, convert};
use query::QueryDatabase;
use query::unpersisted::{
    HighWatermarks, IngesterDirectory, IngesterHandle, PartitionAnswer, UnpersistedAnswer,
    UnpersistedChunk, UnpersistedError, UnpersistedReader, UnpersistedRequest, UnpersistedSettings,
    UnpersistedSource,
};

/// An ingester owning log partition 0 with `chunks` of (table, partition key, batch).
#[derive(Debug, Default)]
struct Ingester {
    chunks: Mutex<Vec<(String, String, RecordBatch)>>,
    /// The last request received.
    last: Mutex<Option<UnpersistedRequest>>,
}

#[async_trait]
impl UnpersistedSource for Ingester {
    async fn unpersisted(
        &self,
        request: UnpersistedRequest,
    ) -> Result<UnpersistedAnswer, UnpersistedError> {
        assert_eq!(request.database, "db");
        *self.last.lock().unwrap() = Some(request.clone());
        let chunks = self
            .chunks
            .lock()
            .unwrap()
            .iter()
            .filter(|(table, _, _)| *table == request.table)
            .map(|(_, key, batch)| UnpersistedChunk {
                partition_key: key.clone(),
                batch: batch.clone(),
            })
            .collect();
        Ok(UnpersistedAnswer {
            partitions: vec![PartitionAnswer {
                partition: 0,
                applied: request.partitions[0].min_offset,
                chunks,
            }],
        })
    }
}

#[derive(Debug)]
struct One(Arc<Ingester>);

#[async_trait]
impl IngesterDirectory for One {
    async fn ingesters(&self) -> Result<Vec<IngesterHandle>, UnpersistedError> {
        Ok(vec![IngesterHandle {
            id: "i".into(),
            source: Arc::clone(&self.0) as Arc<dyn UnpersistedSource>,
            partitions: vec![0],
        }])
    }
}

#[derive(Debug)]
struct Marks;

#[async_trait]
impl HighWatermarks for Marks {
    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, UnpersistedError> {
        Ok(BTreeMap::from([(0, 100)]))
    }
}

struct Setup {
    f: Fixture,
    ingester: Arc<Ingester>,
    qdb: QueryDatabase,
}

impl Setup {
    async fn new() -> Self {
        let f = Fixture::new().await;
        let ingester = Arc::new(Ingester::default());
        let reader = UnpersistedReader::new(
            Arc::new(Marks),
            Arc::new(One(Arc::clone(&ingester))),
            f.catalog.clone() as Arc<dyn Catalog>,
            UnpersistedSettings::default(),
        );
        let qdb =
            QueryDatabase::new(f.catalog.clone(), Arc::clone(&f.store)).with_unpersisted(reader);
        Self { f, ingester, qdb }
    }

    /// Buffers `lp` in the fake ingester under `partition_key` (after what it holds).
    async fn buffer(&self, partition_key: &str, lp: &str) {
        for (table, batch, _) in convert(&self.f.catalog, &self.f.db, lp).await {
            self.ingester
                .chunks
                .lock()
                .unwrap()
                .push((table, partition_key.into(), batch));
        }
    }

    async fn sql(&self, sql: &str) -> Vec<String> {
        let batches = self.f.batches_with(&self.qdb, sql).await;
        pretty_format_batches(&batches)
            .unwrap()
            .to_string()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[tokio::test]
async fn buffered_rows_win_over_persisted_ones_and_both_sides_show() {
    let s = Setup::new().await;
    s.f.persist(
        "1970-01-01",
        "cpu,host=a usage=1,idle=10 1\ncpu,host=b usage=2 1\n",
    )
    .await;
    s.buffer("1970-01-01", "cpu,host=a usage=5 1\ncpu,host=c usage=3 2\n")
        .await;
    // A second buffered write of the same point: the later one wins.
    s.buffer("1970-01-01", "cpu,host=c usage=4 2\n").await;
    // A key only the ingester has.
    s.buffer("1970-01-02", "cpu,host=d usage=7 86400000000001\n")
        .await;
    assert_eq!(
        s.sql("SELECT host, usage, idle FROM cpu ORDER BY host")
            .await,
        [
            "+------+-------+------+",
            "| host | usage | idle |",
            "+------+-------+------+",
            "| a    | 5.0   | 10.0 |",
            "| b    | 2.0   |      |",
            "| c    | 4.0   |      |",
            "| d    | 7.0   |      |",
            "+------+-------+------+",
        ]
    );
    assert_eq!(
        s.sql("SELECT count(*) AS n FROM cpu WHERE time > to_timestamp_nanos(1)")
            .await,
        ["+---+", "| n |", "+---+", "| 2 |", "+---+"],
        "filters apply to buffered rows too"
    );
    assert_eq!(
        s.sql("SELECT count(*) AS n FROM cpu WHERE usage > 4").await,
        ["+---+", "| n |", "+---+", "| 2 |", "+---+"],
        "field filters apply after dedup (a's old usage=1 does not resurface)"
    );
}

#[tokio::test]
async fn a_table_only_the_ingester_has_is_queryable() {
    let s = Setup::new().await;
    s.buffer("1970-01-01", "mem,host=a used=1i 1\nmem,host=a used=2i 1\n")
        .await;
    assert_eq!(
        s.sql("SELECT host, used FROM mem").await,
        [
            "+------+------+",
            "| host | used |",
            "+------+------+",
            "| a    | 2    |",
            "+------+------+",
        ]
    );
}

#[tokio::test]
async fn the_plan_shows_unpersisted_batches_in_the_dedup() {
    let s = Setup::new().await;
    s.f.persist("1970-01-01", "cpu,host=a usage=1 1\n").await;
    s.buffer("1970-01-01", "cpu,host=a usage=2 1\n").await;
    let plan = s.sql("EXPLAIN SELECT * FROM cpu").await.join("\n");
    assert!(
        plan.contains("DedupExec: partitions=1, deduplicated=1, unpersisted_batches=1"),
        "{plan}"
    );
}

/// The scan tells the ingester which columns, time range and tag values it needs.
#[tokio::test]
async fn the_ingester_is_asked_for_the_projection_time_range_and_tag_values() {
    let s = Setup::new().await;
    s.buffer(
        "1970-01-01",
        "cpu,host=a,region=eu usage=5,idle=1 10
cpu,host=c,region=us usage=3 20
",
    )
    .await;
    let out = s
        .sql("SELECT usage FROM cpu WHERE host IN ('a', 'b') AND region = 'eu' AND time >= to_timestamp_nanos(5)")
        .await;
    assert_eq!(
        out,
        [
            "+-------+",
            "| usage |",
            "+-------+",
            "| 5.0   |",
            "+-------+"
        ]
    );
    let request = s.ingester.last.lock().unwrap().clone().expect("asked");
    assert_eq!(
        request.columns.as_deref(),
        Some(
            &[
                "host".to_owned(),
                "region".to_owned(),
                "usage".to_owned(),
                "time".to_owned()
            ][..]
        ),
        "the projection plus the dedup key"
    );
    assert_eq!(request.time_bounds.min, Some(5));
    assert_eq!(
        request.tags,
        [
            ("host".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
            ("region".to_owned(), vec!["eu".to_owned()]),
        ]
        .into()
    );
}
