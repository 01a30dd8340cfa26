//! SQL over Parquet files written with `parquet_store` and listed in a `MemCatalog`.
//!
//! ```text
//! line protocol ──► LinesConverter ──► sort_dedup ──► write_parquet (local dir)
//!   ──► catalog.upsert_schema + commit_persist ──► QueryDatabase::session ──► SQL ──► rows
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::sync::Arc;

use arrow::array::RecordBatch;
use catalog::{Catalog, SchemaUpsert};
use common::Fixture;
use object_store::ObjectStoreExt;
use query::QueryDatabase;

fn lines(table: &str) -> Vec<String> {
    table.lines().map(str::to_string).collect()
}

#[tokio::test]
async fn duplicates_across_files_come_back_once_with_last_values() {
    let f = Fixture::new().await;
    f.persist(
        "1970-01-01",
        "cpu,host=a usage=1,idle=10 1\ncpu,host=b usage=2 1\n",
    )
    .await;
    // Same keys later: usage overwritten for host=a, idle kept (null in the newer write).
    f.persist("1970-01-01", "cpu,host=a usage=5 1\ncpu,host=a usage=7 2\n")
        .await;
    let out = f
        .sql("SELECT host, idle, usage, time FROM cpu ORDER BY host, time")
        .await;
    assert_eq!(
        lines(&out),
        [
            "+------+------+-------+-------------------------------+",
            "| host | idle | usage | time                          |",
            "+------+------+-------+-------------------------------+",
            "| a    | 10.0 | 5.0   | 1970-01-01T00:00:00.000000001 |",
            "| a    |      | 7.0   | 1970-01-01T00:00:00.000000002 |",
            "| b    |      | 2.0   | 1970-01-01T00:00:00.000000001 |",
            "+------+------+-------+-------------------------------+",
        ]
    );
    // One partition key with two files: one deduplicating partition in the plan.
    let plan = f.sql("EXPLAIN SELECT * FROM cpu").await;
    assert!(
        plan.contains("DedupExec: partitions=1, deduplicated=1"),
        "{plan}"
    );
    // A field filter sees the deduplicated value, never the overwritten one.
    let out = f.sql("SELECT count(*) AS n FROM cpu WHERE usage = 1").await;
    assert!(out.contains("| 0 |"), "{out}");
}

#[tokio::test]
async fn aggregations_time_and_tag_filters() {
    let f = Fixture::new().await;
    let day = 86_400_000_000_000_i64;
    f.persist(
        "1970-01-01",
        "m,region=eu v=1 10\nm,region=us v=2 20\nm,region=eu v=3 30\n",
    )
    .await;
    f.persist(
        "1970-01-02",
        &format!(
            "m,region=eu v=10 {}\nm,region=us v=20 {}\n",
            day + 1,
            day + 2
        ),
    )
    .await;
    let out = f
        .sql("SELECT region, count(*) AS n, sum(v) AS s, max(v) AS mx FROM m GROUP BY region ORDER BY region")
        .await;
    assert_eq!(
        lines(&out)[3..5],
        [
            "| eu     | 3 | 14.0 | 10.0 |",
            "| us     | 2 | 22.0 | 20.0 |"
        ]
    );
    // Time filter that excludes the second day's file entirely.
    let out = f
        .sql("SELECT sum(v) AS s FROM m WHERE time < '1970-01-02T00:00:00Z'")
        .await;
    assert!(out.contains("| 6.0 |"), "{out}");
    let out = f
        .sql("SELECT sum(v) AS s FROM m WHERE time >= '1970-01-01T00:00:00.00000002Z' AND region = 'eu'")
        .await;
    assert!(out.contains("| 13.0 |"), "{out}");
    // Time range with no file at all.
    let out = f
        .sql("SELECT count(*) AS n FROM m WHERE time > '2000-01-01T00:00:00Z'")
        .await;
    assert!(out.contains("| 0 |"), "{out}");
}

#[tokio::test]
async fn schema_metadata_and_information_schema() {
    let f = Fixture::new().await;
    f.persist("1970-01-01", "cpu,host=a usage=1i 1\nmem free=2u 1\n")
        .await;
    let batches = f.batches("SELECT * FROM cpu").await;
    let schema = batches[0].schema();
    let types: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| {
            (
                f.name().as_str(),
                f.metadata()["iox::column::type"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            ("host", "iox::column_type::tag"),
            ("usage", "iox::column_type::field::integer"),
            ("time", "iox::column_type::timestamp"),
        ]
    );
    let out = f
        .sql("SELECT table_catalog, table_schema, table_name FROM information_schema.tables WHERE table_schema = 'iox' ORDER BY table_name")
        .await;
    assert_eq!(
        lines(&out)[3..5],
        [
            "| public        | iox          | cpu        |",
            "| public        | iox          | mem        |"
        ]
    );
    let out = f
        .sql("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'mem' ORDER BY ordinal_position")
        .await;
    assert!(out.contains("| free        | UInt64"), "{out}");
}

#[tokio::test]
async fn table_without_files_is_empty() {
    let f = Fixture::new().await;
    let mut upsert = SchemaUpsert::new();
    upsert
        .add("empty", "time", schema::InfluxColumnType::Timestamp)
        .unwrap();
    upsert
        .add(
            "empty",
            "v",
            schema::InfluxColumnType::Field(schema::InfluxFieldType::Float),
        )
        .unwrap();
    f.catalog.upsert_schema(f.db.id, &upsert).await.unwrap();
    let out = f.sql("SELECT count(*) AS n, max(v) AS mx FROM empty").await;
    assert!(out.contains("| 0 |"), "{out}");
    let batches = f.batches("SELECT v FROM empty").await;
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 0);
}

#[tokio::test]
async fn time_filter_skips_files_outside_the_range() {
    let f = Fixture::new().await;
    let day = 86_400_000_000_000_i64;
    f.persist("1970-01-01", "m,region=eu v=1 10\n").await;
    f.persist("1970-01-02", &format!("m,region=eu v=2 {}\n", day + 1))
        .await;
    // Remove the second day's file: only a query that prunes it can still succeed.
    let schema = f.catalog.database_schema(f.db.id).await.unwrap();
    let files = f
        .catalog
        .parquet_files(f.db.id, schema.tables["m"].id)
        .await
        .unwrap();
    let day2 = &files["1970-01-02"][0];
    let path = parquet_store::parse_object_path(&day2.path).unwrap();
    f.store.delete(&path).await.unwrap();

    let out = f
        .sql("SELECT sum(v) AS s FROM m WHERE time <= '1970-01-01T23:59:59Z'")
        .await;
    assert!(out.contains("| 1.0 |"), "{out}");
    let qdb = QueryDatabase::new(f.catalog.clone(), Arc::clone(&f.store));
    let ctx = qdb.session(&f.db).await.unwrap();
    let err = ctx
        .sql("SELECT sum(v) FROM m")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
}

/// With several partition keys DataFusion may move files between scan partitions at run time
/// (file-stream work stealing); a key's files must stay together or its duplicates survive.
#[tokio::test]
async fn duplicates_stay_deduplicated_with_several_partition_keys() {
    let f = Fixture::new().await;
    for round in 0..3 {
        for (day, t) in [("1970-01-01", 1), ("1970-01-02", 86_400_000_000_001_i64)] {
            let lp = format!("cpu,host=a usage={round} {t}\ncpu,host=b usage={round} {t}\n");
            f.persist(day, &lp).await;
        }
    }
    for _ in 0..10 {
        let out = f
            .sql("SELECT count(*) AS n, min(usage) AS lo FROM cpu")
            .await;
        assert_eq!(
            lines(&out),
            [
                "+---+-----+",
                "| n | lo  |",
                "+---+-----+",
                "| 4 | 2.0 |",
                "+---+-----+"
            ]
        );
    }
}

/// Only the projected fields (plus the dedup key) are read from Parquet, and dedup over that
/// subset gives the same rows and values as over the whole table.
#[tokio::test]
async fn projections_read_only_their_fields_and_keep_every_row() {
    let f = Fixture::new().await;
    f.persist(
        "1970-01-01",
        "cpu,host=a usage=1,idle=10 1\ncpu,host=a idle=20 2\ncpu,host=b usage=2 1\n",
    )
    .await;
    // Overwrites usage of (a, 1) and adds (b, 3) with idle only: dedup runs on this key.
    f.persist("1970-01-01", "cpu,host=a usage=5 1\ncpu,host=b idle=30 3\n")
        .await;
    let out = f
        .sql("SELECT host, usage, time FROM cpu ORDER BY host, time")
        .await;
    assert_eq!(
        lines(&out),
        [
            "+------+-------+-------------------------------+",
            "| host | usage | time                          |",
            "+------+-------+-------------------------------+",
            "| a    | 5.0   | 1970-01-01T00:00:00.000000001 |",
            "| a    |       | 1970-01-01T00:00:00.000000002 |",
            "| b    | 2.0   | 1970-01-01T00:00:00.000000001 |",
            "| b    |       | 1970-01-01T00:00:00.000000003 |",
            "+------+-------+-------------------------------+",
        ]
    );
    let out = f
        .sql("SELECT count(*) AS n, count(usage) AS u, sum(idle) AS i FROM cpu")
        .await;
    assert!(out.contains("| 4 | 2 | 60.0 |"), "{out}");
    // The file scan reads usage and the key columns, never idle.
    let plan = f.sql("EXPLAIN SELECT usage FROM cpu").await;
    let scan = plan
        .lines()
        .find(|l| l.contains("DataSourceExec"))
        .unwrap_or_else(|| panic!("no DataSourceExec in {plan}"));
    assert!(scan.contains("usage"), "{scan}");
    assert!(!scan.contains("idle"), "{scan}");
}

/// Files of one partition key whose time ranges do not overlap cannot share a row: each is
/// read on its own without the sort + dedup; overlapping ones are still merged.
#[tokio::test]
async fn only_files_with_overlapping_time_ranges_are_deduplicated_together() {
    let f = Fixture::new().await;
    f.persist(
        "1970-01-01",
        "cpu,host=a usage=1 10\ncpu,host=b usage=2 20\n",
    )
    .await;
    f.persist(
        "1970-01-01",
        "cpu,host=a usage=3 30\ncpu,host=b usage=4 40\n",
    )
    .await;
    let plan = f.sql("EXPLAIN SELECT * FROM cpu").await;
    assert!(
        plan.contains("DedupExec: partitions=2, deduplicated=0"),
        "{plan}"
    );
    // A third file overlapping both merges the three into one deduplicated group.
    f.persist(
        "1970-01-01",
        "cpu,host=a usage=9 20\ncpu,host=b usage=8 30\n",
    )
    .await;
    let plan = f.sql("EXPLAIN SELECT * FROM cpu").await;
    assert!(
        plan.contains("DedupExec: partitions=1, deduplicated=1"),
        "{plan}"
    );
    let out = f
        .sql("SELECT host, usage, time FROM cpu ORDER BY time, host")
        .await;
    assert_eq!(
        lines(&out),
        [
            "+------+-------+-------------------------------+",
            "| host | usage | time                          |",
            "+------+-------+-------------------------------+",
            "| a    | 1.0   | 1970-01-01T00:00:00.000000010 |",
            "| a    | 9.0   | 1970-01-01T00:00:00.000000020 |",
            "| b    | 2.0   | 1970-01-01T00:00:00.000000020 |",
            "| a    | 3.0   | 1970-01-01T00:00:00.000000030 |",
            "| b    | 8.0   | 1970-01-01T00:00:00.000000030 |",
            "| b    | 4.0   | 1970-01-01T00:00:00.000000040 |",
            "+------+-------+-------------------------------+",
        ]
    );
}
