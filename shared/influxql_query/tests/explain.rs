//! EXPLAIN and EXPLAIN ANALYZE against InfluxDB 1.6.7's recorded answers
//! (tests/fixtures/influxql_oracle/explain.jsonl, `record_explain.py`) and against the storage
//! the fixture wrote.
//!
//! ```text
//! dataset.lp ──► Parquet + catalog (one file per measurement, as the ingester persists)
//! explain.jsonl ──► Executor::execute ──► compared with 1.6.7's lines:
//!   EXPLAIN: per block EXPRESSION / AUXILIARY FIELDS and the line keys; NUMBER OF SHARDS /
//!            SERIES too (`counts`); blocks as a set when 1.x's order is its map order (several
//!            calls); errors as text
//!   EXPLAIN ANALYZE: the tree with values cut (times, ids, storage counts), but labels
//!            expr / auxiliary_fields / measurement / cond / statement and the cursors kept
//! storage counts ──► files / blocks / size equal the catalog's file and its footer
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use auth::Authorization;
use common::Fixture;
use influxql_query::{Executor, Request};
use line_protocol::Precision;
use object_store::ObjectStoreExt as _;
use query::QueryDatabase;
use v1_query::result::{StatementResult, Value};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/influxql_oracle")
}

async fn executor() -> (Executor, Fixture) {
    let mut f = Fixture::new().await;
    let dataset = std::fs::read_to_string(fixtures().join("dataset.lp")).unwrap();
    f.persist("testdb", &dataset, Precision::Seconds).await;
    let qdb = Arc::new(QueryDatabase::new(f.catalog.clone(), Arc::clone(&f.store)));
    (Executor::new(qdb), f)
}

async fn run(executor: &Executor, q: &str) -> StatementResult {
    let query = influxql::parser::parse_query(q).unwrap();
    let request = Request {
        database: Some("testdb".to_owned()),
        retention_policy: None,
        now: 1_795_240_000_000_000_000,
        authorization: Authorization::operator(),
    };
    executor.execute(&query, &request).await.remove(0)
}

fn lines(r: &StatementResult) -> Vec<String> {
    r.series[0]
        .values
        .iter()
        .map(|row| match &row[0] {
            Value::String(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

/// EXPLAIN's lines as compared: blocks of lines, storage-dependent values cut.
fn explain_blocks(lines: &[String], counts: bool) -> Vec<Vec<String>> {
    let mut blocks: Vec<Vec<String>> = vec![Vec::new()];
    for l in lines {
        if l.is_empty() {
            blocks.push(Vec::new());
            continue;
        }
        let keep_value = l.starts_with("EXPRESSION:")
            || l.starts_with("AUXILIARY FIELDS:")
            || (counts
                && (l.starts_with("NUMBER OF SHARDS:") || l.starts_with("NUMBER OF SERIES:")));
        let line = if keep_value {
            l.clone()
        } else {
            l.split(':').next().unwrap().to_owned()
        };
        blocks.last_mut().unwrap().push(line);
    }
    let calls: std::collections::BTreeSet<&String> = blocks
        .iter()
        .filter_map(|b| b.first())
        .filter(|e| *e != "EXPRESSION: <nil>")
        .collect();
    if calls.len() > 1 {
        // 1.x creates a call's iterators in Go's (random) map order.
        blocks.sort();
    }
    blocks
}

/// EXPLAIN ANALYZE's tree with measured and storage-dependent values cut.
fn analyze_shape(lines: &[String]) -> Vec<String> {
    const KEEP: [&str; 8] = [
        "expr",
        "auxiliary_fields",
        "measurement",
        "cond",
        "statement",
        "cursors_ref",
        "cursors_aux",
        "cursors_cond",
    ];
    lines
        .iter()
        .map(|l| match l.split_once(": ") {
            Some((k, _)) if KEEP.iter().any(|key| k.ends_with(&format!(" {key}"))) => l.clone(),
            Some((k, _)) => k.to_owned(),
            None => l.clone(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_matches_influxdb_1_6() {
    let (executor, _f) = executor().await;
    let text = std::fs::read_to_string(fixtures().join("explain.jsonl")).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = case["name"].as_str().unwrap();
        let q = case["q"].as_str().unwrap();
        let r = run(&executor, q).await;
        checked += 1;
        if let Some(want) = case["error"].as_str() {
            if r.error.as_deref() != Some(want) {
                failures.push(format!("{name}: error {:?}, want {want:?}", r.error));
            }
            continue;
        }
        if let Some(e) = &r.error {
            failures.push(format!("{name}: error {e}"));
            continue;
        }
        let want: Vec<String> = case["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let got = lines(&r);
        let column = &r.series[0].columns[0];
        let (g, w) = if case["analyze"].as_bool().unwrap() {
            assert_eq!(column, "EXPLAIN ANALYZE");
            (analyze_shape(&got), analyze_shape(&want))
        } else {
            assert_eq!(column, "QUERY PLAN");
            let counts = case["counts"].as_bool().unwrap();
            (
                explain_blocks(&got, counts)
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>(),
                explain_blocks(&want, counts)
                    .into_iter()
                    .flatten()
                    .collect(),
            )
        };
        if g != w {
            let first = g
                .iter()
                .zip(&w)
                .position(|(a, b)| a != b)
                .unwrap_or(g.len().min(w.len()));
            failures.push(format!(
                "{name}: {q}\n  first difference at line {first}: got {:?}, want {:?}\n  got:  {}\n  want: {}",
                g.get(first),
                w.get(first),
                g.join(" | "),
                w.join(" | ")
            ));
        }
    }
    assert!(checked > 80, "only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The storage counts are the catalog's: one Parquet file per measurement in the fixture, its
/// row groups overlapping the range, the compressed bytes of the column chunks read; nothing
/// outside the data's range; no cached values without ingesters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_counts_are_the_catalogs() {
    let (executor, f) = executor().await;
    let value = |lines: &[String], key: &str| -> u64 {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let r = run(
        &executor,
        "EXPLAIN SELECT usage_user FROM cpu WHERE time >= '2026-11-21T00:00:00Z'",
    )
    .await;
    let got = lines(&r);
    let db = f.database("testdb").await;
    let schema = catalog::Catalog::database_schema(f.catalog.as_ref(), db.id)
        .await
        .unwrap();
    let table = schema.tables["cpu"].id;
    let files: Vec<catalog::ParquetFileRecord> =
        catalog::Catalog::parquet_files(f.catalog.as_ref(), db.id, table)
            .await
            .unwrap()
            .into_values()
            .flatten()
            .collect();
    assert_eq!(value(&got, "NUMBER OF FILES:"), files.len() as u64);
    assert_eq!(value(&got, "CACHED VALUES:"), 0);
    assert_eq!(value(&got, "NUMBER OF SHARDS:"), 1);
    assert_eq!(value(&got, "NUMBER OF SERIES:"), 4);
    // Footers: row groups and the compressed size of the columns read (tags, field, time).
    let mut row_groups = 0;
    let mut bytes = 0;
    for file in &files {
        let data = f
            .store
            .get(&object_store::path::Path::from(file.path.as_str()))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let reader =
            datafusion::parquet::file::serialized_reader::SerializedFileReader::new(data).unwrap();
        let meta = datafusion::parquet::file::reader::FileReader::metadata(&reader);
        for rg in meta.row_groups() {
            row_groups += 1;
            for c in rg.columns() {
                let name = c.column_path().string();
                if ["dc", "host", "region", "usage_user", "time"].contains(&name.as_str()) {
                    bytes += c.compressed_size() as u64;
                }
            }
        }
    }
    assert_eq!(value(&got, "NUMBER OF BLOCKS:"), row_groups);
    assert_eq!(value(&got, "SIZE OF BLOCKS:"), bytes);
    assert!(bytes > 0 && bytes <= files.iter().map(|f| f.size_bytes).sum::<u64>());

    // A range without data: no shard group, no field type (1.x: a raw query of unknown
    // fields creates no iterator; mean() still does, over nothing).
    let r = run(
        &executor,
        "EXPLAIN SELECT usage_user FROM cpu WHERE time > '2030-01-01T00:00:00Z'",
    )
    .await;
    assert_eq!(lines(&r), [""]);
    let r = run(
        &executor,
        "EXPLAIN SELECT mean(usage_user) FROM cpu WHERE time > '2030-01-01T00:00:00Z'",
    )
    .await;
    assert_eq!(
        lines(&r),
        [
            "EXPRESSION: mean(usage_user)",
            "NUMBER OF SHARDS: 0",
            "NUMBER OF SERIES: 0",
            "CACHED VALUES: 0",
            "NUMBER OF FILES: 0",
            "NUMBER OF BLOCKS: 0",
            "SIZE OF BLOCKS: 0",
        ]
    );

    // EXPLAIN ANALYZE runs the query: its create_iterator reads the same bytes, by type.
    let r = run(
        &executor,
        "EXPLAIN ANALYZE SELECT mean(usage_user) FROM cpu WHERE time >= '2026-11-21T00:00:00Z'",
    )
    .await;
    let got = lines(&r);
    assert!(
        got.iter()
            .any(|l| l.ends_with("shard_id: 2026-11-16T00:00:00Z"))
    );
    assert!(
        got.iter()
            .any(|l| l.ends_with(&format!("float_blocks_decoded: {row_groups}")))
    );
    assert!(got.iter().any(|l| l.ends_with("integer_blocks_decoded: 0")));
}

/// A fake ingester holding unpersisted `cpu` rows of log partition 0.
#[derive(Debug, Default)]
struct Ingester {
    chunks: std::sync::Mutex<Vec<(String, arrow::record_batch::RecordBatch)>>,
}

#[async_trait::async_trait]
impl query::unpersisted::UnpersistedSource for Ingester {
    async fn unpersisted(
        &self,
        request: query::unpersisted::UnpersistedRequest,
    ) -> Result<query::unpersisted::UnpersistedAnswer, query::unpersisted::UnpersistedError> {
        let chunks = self
            .chunks
            .lock()
            .unwrap()
            .iter()
            .filter(|(table, _)| *table == request.table)
            .map(|(_, batch)| query::unpersisted::UnpersistedChunk {
                partition_key: "2026-11-21".into(),
                batch: batch.clone(),
            })
            .collect();
        Ok(query::unpersisted::UnpersistedAnswer {
            partitions: vec![query::unpersisted::PartitionAnswer {
                partition: 0,
                applied: request.partitions[0].min_offset,
                chunks,
            }],
        })
    }
}

#[derive(Debug)]
struct One(Arc<Ingester>);

#[async_trait::async_trait]
impl query::unpersisted::IngesterDirectory for One {
    async fn ingesters(
        &self,
    ) -> Result<Vec<query::unpersisted::IngesterHandle>, query::unpersisted::UnpersistedError> {
        Ok(vec![query::unpersisted::IngesterHandle {
            id: "i".into(),
            source: Arc::clone(&self.0) as Arc<dyn query::unpersisted::UnpersistedSource>,
            partitions: vec![0],
        }])
    }
}

#[derive(Debug)]
struct Marks;

#[async_trait::async_trait]
impl query::unpersisted::HighWatermarks for Marks {
    async fn high_watermarks(
        &self,
    ) -> Result<
        std::collections::BTreeMap<catalog::LogPartition, u64>,
        query::unpersisted::UnpersistedError,
    > {
        Ok(std::collections::BTreeMap::from([(0, 100)]))
    }
}

/// CACHED VALUES are the ingesters' unpersisted rows in the range; their series count (a new
/// host) and EXPLAIN ANALYZE reads them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_values_are_the_unpersisted_rows() {
    let mut f = Fixture::new().await;
    let dataset = std::fs::read_to_string(fixtures().join("dataset.lp")).unwrap();
    f.persist("testdb", &dataset, Precision::Seconds).await;
    let ingester = Arc::new(Ingester::default());
    let mut converter = schema::LinesConverter::new(0, Precision::Seconds);
    converter.write_lp(
        "cpu,dc=dc1,host=server05,region=us-west usage_user=1.5 1795233600\n\
         cpu,dc=dc1,host=server05,region=us-west usage_user=2.5 1795233660\n\
         cpu,dc=dc1,host=server01,region=us-west usage_user=3.5 1795233600\n",
    );
    for table in converter.finish().unwrap().tables {
        ingester
            .chunks
            .lock()
            .unwrap()
            .push((table.name.clone(), table.batch));
    }
    let reader = query::unpersisted::UnpersistedReader::new(
        Arc::new(Marks),
        Arc::new(One(Arc::clone(&ingester))),
        f.catalog.clone() as Arc<dyn catalog::Catalog>,
        query::unpersisted::UnpersistedSettings::default(),
    );
    let qdb = Arc::new(
        QueryDatabase::new(f.catalog.clone(), Arc::clone(&f.store)).with_unpersisted(reader),
    );
    let executor = Executor::new(qdb);
    let r = run(
        &executor,
        "EXPLAIN SELECT usage_user FROM cpu WHERE time >= '2026-11-21T00:00:00Z'",
    )
    .await;
    let got = lines(&r);
    assert!(got.contains(&"CACHED VALUES: 3".to_owned()), "{got:?}");
    assert!(got.contains(&"NUMBER OF SERIES: 5".to_owned()), "{got:?}");
    assert!(got.contains(&"NUMBER OF FILES: 1".to_owned()), "{got:?}");
    // Only the buffered rows in the range count.
    let r = run(
        &executor,
        "EXPLAIN SELECT usage_user FROM cpu WHERE time >= '2026-11-21T04:00:30Z'",
    )
    .await;
    assert!(
        lines(&r).contains(&"CACHED VALUES: 1".to_owned()),
        "{:?}",
        lines(&r)
    );
    let r = run(
        &executor,
        "EXPLAIN ANALYZE SELECT count(usage_user) FROM cpu WHERE time >= '2026-11-21T00:00:00Z'",
    )
    .await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert!(lines(&r).iter().any(|l| l.ends_with("cursors_ref: 5")));
}
