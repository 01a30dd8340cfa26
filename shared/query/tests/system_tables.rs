//! The `system` schema over a `MemCatalog` (in a `FaultyCatalog`, to count catalog reads) and Parquet files
//! written with `parquet_store` into a local directory, for two databases.
//!
//! ```text
//! line protocol ──► LinesConverter ──► sort_dedup ──► write_parquet (local dir)
//!   ──► catalog.upsert_schema + commit_persist ──► QueryDatabase::session(db)
//!   ──► SELECT … FROM system.{databases,tables,parquet_files,queries} ──► rows as strings
//! query log: QueryLog::begin ──► planned(plan) ──► track(execute_stream) ──► finish / drop
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, TimeUnit};
use arrow::util::display::array_value_to_string;
use catalog::testing::{FaultyCatalog, Method};
use catalog::{
    Catalog, Database, DatabaseName, DatabaseOptions, MemCatalog, ParquetFileRecord, PersistCommit,
    SchemaUpsert,
};
use config::{ObjectStoreArgs, ObjectStoreKind};
use futures::TryStreamExt;
use line_protocol::Precision;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet_store::{FileMeta, object_store_from, write_parquet};
use query::datafusion::physical_plan::execute_stream;
use query::datafusion::prelude::SessionContext;
use query::{QueryDatabase, QueryLog, QueryLogEntry, QueryPhase, QueryType};

const DAY: i64 = 86_400_000_000_000;

/// The catalog reads the system tables make: database by id, database schema, Parquet files.
fn reads(catalog: &FaultyCatalog) -> [usize; 3] {
    [
        catalog.calls(Method::DatabaseById),
        catalog.calls(Method::DatabaseSchema),
        catalog.calls(Method::ParquetFiles),
    ]
}

struct Fixture {
    /// A `MemCatalog` that counts its calls.
    catalog: Arc<FaultyCatalog>,
    store: Arc<dyn ObjectStore>,
    qdb: QueryDatabase,
    /// Database "db", retention 100 years (the rows are of 1970: a shorter period would hide them).
    db: Database,
    /// Database "other", no retention.
    other: Database,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let args = ObjectStoreArgs {
            object_store: Some(ObjectStoreKind::File),
            ..Default::default()
        };
        let store = object_store_from(&args, Some(dir.path())).unwrap();
        let catalog = Arc::new(FaultyCatalog::new(Arc::new(MemCatalog::new())));
        let week = DatabaseOptions {
            retention_period: Some(Duration::from_secs(36_500 * 86_400)),
            limits: None,
        };
        let db = catalog
            .create_database(&DatabaseName::new("db").unwrap(), week)
            .await
            .unwrap();
        let other = catalog
            .create_database(
                &DatabaseName::new("other").unwrap(),
                DatabaseOptions::default(),
            )
            .await
            .unwrap();
        let qdb = QueryDatabase::new(catalog.clone(), Arc::clone(&store));
        Self {
            catalog,
            store,
            qdb,
            db,
            other,
            _dir: dir,
        }
    }

    /// Persists `lp` into `db` as one file per table in `partition_key`, from log partition 0 at
    /// the next offset; returns the committed file records.
    async fn persist(
        &self,
        db: &Database,
        partition_key: &str,
        lp: &str,
    ) -> Vec<ParquetFileRecord> {
        let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
        converter.write_lp(lp);
        let converted = converter.finish().unwrap();
        assert!(
            converted.rejections.is_empty(),
            "{:?}",
            converted.rejections
        );
        let expected = self
            .catalog
            .persisted_offsets()
            .await
            .unwrap()
            .get(&0)
            .copied();
        let offset = expected.map_or(0, |o| o + 1);
        let mut files = Vec::new();
        for table in &converted.tables {
            let mut upsert = SchemaUpsert::new();
            for field in table.batch.schema().fields() {
                let t = schema::influx_column_type(field).unwrap();
                upsert.add(&table.name, field.name(), t).unwrap();
            }
            let schema = self.catalog.upsert_schema(db.id, &upsert).await.unwrap();
            let batch = schema::dedup::sort_dedup(std::slice::from_ref(&table.batch)).unwrap();
            let meta = FileMeta {
                database_id: db.id,
                database_name: db.name.to_string(),
                table_id: schema.tables[&table.name].id,
                table_name: table.name.clone(),
                partition_key: partition_key.into(),
                log_partition: 0,
                min_offset: offset,
                max_offset: offset,
            };
            files.push(write_parquet(&self.store, &meta, &batch).await.unwrap());
        }
        let commit = PersistCommit {
            log_partition: 0,
            expected_offset: expected,
            new_offset: offset,
            files: files.clone(),
        };
        self.catalog.commit_persist(commit).await.unwrap();
        files
    }

    /// The standard data set: `db` has cpu (3 files over 2 days) and mem (1 file); `other` has
    /// disk (1 file).
    async fn with_data(self) -> Self {
        self.persist(
            &self.db,
            "1970-01-01",
            "cpu,host=a,region=eu usage=1,idle=9 1\ncpu,host=b,region=eu usage=2 2\nmem free=5u 1\n",
        )
        .await;
        self.persist(&self.db, "1970-01-01", "cpu,host=a,region=eu usage=3 1\n")
            .await;
        self.persist(
            &self.db,
            "1970-01-02",
            &format!("cpu,host=c,region=us usage=4 {}\n", DAY + 5),
        )
        .await;
        self.persist(&self.other, "1970-01-01", "disk,dev=sda used=1i 1\n")
            .await;
        self
    }

    async fn session(&self, db: &Database) -> SessionContext {
        self.qdb.session(db).await.unwrap()
    }

    /// The rows of `sql` in `db`'s session, each value formatted as text ("" = null).
    async fn rows(&self, db: &Database, sql: &str) -> Vec<Vec<String>> {
        let ctx = self.session(db).await;
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        rows(&batches)
    }

    /// Runs `sql` in `db` the way a Flight `do_get` does: log entry, session, plan, tracked
    /// stream. Returns the rows or the error text.
    async fn logged(&self, db: &Database, sql: &str, trace: Option<&str>) -> Result<usize, String> {
        let entry = self
            .qdb
            .query_log()
            .begin(db, QueryType::Sql, sql, trace.map(str::to_string));
        let ctx = self.session(db).await;
        let plan = match ctx.sql(sql).await {
            Ok(df) => df.create_physical_plan().await,
            Err(e) => Err(e),
        };
        let plan = match plan {
            Ok(plan) => plan,
            Err(e) => {
                entry.finish_err(e.to_string());
                return Err(e.to_string());
            }
        };
        entry.planned(&plan);
        let stream = match execute_stream(plan, ctx.task_ctx()) {
            Ok(stream) => stream,
            Err(e) => {
                entry.finish_err(e.to_string());
                return Err(e.to_string());
            }
        };
        // The tracked stream is Send: the Flight service drives it from another task.
        let tracked = entry.track(stream);
        let batches: Vec<RecordBatch> = tokio::spawn(tracked.try_collect::<Vec<_>>())
            .await
            .unwrap()
            .map_err(|e| e.to_string())?;
        Ok(batches.iter().map(RecordBatch::num_rows).sum())
    }

    /// (name, type, nullable) of each column of `system.<table>`.
    async fn columns(&self, table: &str) -> Vec<(String, DataType, bool)> {
        let ctx = self.session(&self.db).await;
        let df = ctx
            .sql(&format!("SELECT * FROM system.{table}"))
            .await
            .unwrap();
        df.schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
            .collect()
    }
}

fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            out.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| array_value_to_string(c, row).unwrap())
                    .collect(),
            );
        }
    }
    out
}

fn strings<const N: usize>(values: [&str; N]) -> Vec<String> {
    values.iter().map(|s| (*s).to_string()).collect()
}

fn col(name: &str, data_type: DataType, nullable: bool) -> (String, DataType, bool) {
    (name.to_string(), data_type, nullable)
}

#[tokio::test]
async fn databases_shows_the_session_database_only_as_of_the_scan() {
    let f = Fixture::new().await.with_data().await;
    let sql = "SELECT database_name, database_id, retention_period_ns, max_tables, \
               max_columns_per_table, CAST(created_at AS BIGINT), deleted FROM system.databases";
    let id = f.db.id.0.to_string();
    let created = f.db.created_at_ns.to_string();
    assert_eq!(
        f.rows(&f.db, sql).await,
        [strings([
            "db",
            &id,
            "3153600000000000000",
            "500",
            "200",
            &created,
            "false"
        ])]
    );
    let other_id = f.other.id.0.to_string();
    let other_created = f.other.created_at_ns.to_string();
    let other_ctx = f.session(&f.other).await;
    let out = rows(&other_ctx.sql(sql).await.unwrap().collect().await.unwrap());
    assert_eq!(
        out,
        [strings([
            "other",
            &other_id,
            "",
            "500",
            "200",
            &other_created,
            "false"
        ])]
    );
    // Read when scanned, not when the session was built: the deleted database disappears.
    f.catalog.delete_database(f.other.id).await.unwrap();
    let out = rows(&other_ctx.sql(sql).await.unwrap().collect().await.unwrap());
    assert!(out.is_empty(), "{out:?}");
}

#[tokio::test]
async fn tables_lists_the_session_database_tables_only() {
    let f = Fixture::new().await.with_data().await;
    let schema = f.catalog.database_schema(f.db.id).await.unwrap();
    let (cpu, mem) = (
        schema.tables["cpu"].id.0.to_string(),
        schema.tables["mem"].id.0.to_string(),
    );
    let out = f
        .rows(
            &f.db,
            "SELECT database_name, table_name, table_id, column_count, tag_count, field_count, \
             series_key_columns FROM system.tables ORDER BY table_name",
        )
        .await;
    assert_eq!(
        out,
        [
            strings(["db", "cpu", &cpu, "5", "2", "2", "host, region"]),
            strings(["db", "mem", &mem, "2", "0", "1", ""]),
        ]
    );
    let out = f
        .rows(
            &f.other,
            "SELECT database_name, table_name FROM system.tables",
        )
        .await;
    assert_eq!(out, [strings(["other", "disk"])]);
}

#[tokio::test]
async fn parquet_files_match_the_catalog_records() {
    let f = Fixture::new().await.with_data().await;
    let schema = f.catalog.database_schema(f.db.id).await.unwrap();
    let mut expected = Vec::new();
    for (name, table) in &schema.tables {
        for records in f
            .catalog
            .parquet_files(f.db.id, table.id)
            .await
            .unwrap()
            .values()
        {
            let mut records = records.clone();
            records.sort_by_key(|r| (r.log_partition, r.min_offset));
            for r in records {
                expected.push(vec![
                    name.clone(),
                    r.table_id.0.to_string(),
                    r.partition_key,
                    r.object_id,
                    r.path,
                    r.size_bytes.to_string(),
                    r.row_count.to_string(),
                    r.min_time_ns.to_string(),
                    r.max_time_ns.to_string(),
                    r.log_partition.to_string(),
                    r.min_offset.to_string(),
                    r.max_offset.to_string(),
                    r.created_at_ns.to_string(),
                ]);
            }
        }
    }
    assert_eq!(expected.len(), 4, "cpu: 3 files, mem: 1 file");
    let out = f
        .rows(
            &f.db,
            "SELECT table_name, table_id, partition_key, object_store_id, path, size_bytes, \
             row_count, min_time, max_time, log_partition, min_offset, max_offset, \
             CAST(created_at AS BIGINT) FROM system.parquet_files \
             ORDER BY table_name, partition_key, log_partition, min_offset",
        )
        .await;
    assert_eq!(out, expected);
    // Sizes are real: each path names an object of that size in the store.
    for row in &out {
        let path = parquet_store::parse_object_path(&row[4]).unwrap();
        let meta = f.store.head(&path).await.unwrap();
        assert_eq!(meta.size.to_string(), row[5]);
    }
    // The other database's file is invisible here, and its own session sees only it.
    assert!(out.iter().all(|r| r[0] != "disk"));
    let other = f
        .rows(
            &f.other,
            "SELECT table_name, row_count FROM system.parquet_files",
        )
        .await;
    assert_eq!(other, [strings(["disk", "1"])]);
}

#[tokio::test]
async fn parquet_files_where_table_name_lists_only_that_table() {
    let f = Fixture::new().await.with_data().await;
    let ctx = f.session(&f.db).await;
    let before = reads(&f.catalog);
    let batches = ctx
        .sql(
            "SELECT table_name, row_count FROM system.parquet_files WHERE table_name = 'cpu' \
             ORDER BY partition_key, min_offset",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(
        rows(&batches),
        [
            strings(["cpu", "2"]),
            strings(["cpu", "1"]),
            strings(["cpu", "1"])
        ]
    );
    let after = reads(&f.catalog);
    assert_eq!(after[2] - before[2], 1, "only cpu's files were listed");
    // Without the filter every table is listed; other predicates still apply.
    let out = f
        .rows(
            &f.db,
            "SELECT table_name, sum(row_count) FROM system.parquet_files \
             WHERE partition_key = '1970-01-01' GROUP BY table_name ORDER BY table_name",
        )
        .await;
    assert_eq!(out, [strings(["cpu", "3"]), strings(["mem", "1"])]);
    let out = f
        .rows(
            &f.db,
            "SELECT count(*) FROM system.parquet_files WHERE table_name = 'nope'",
        )
        .await;
    assert_eq!(out, [strings(["0"])]);
}

#[tokio::test]
async fn system_tables_read_nothing_until_scanned() {
    let f = Fixture::new().await.with_data().await;
    let start = reads(&f.catalog);
    let ctx = f.session(&f.db).await;
    // Building the session reads the schema once (for the user tables), nothing else.
    assert_eq!(reads(&f.catalog), [start[0], start[1] + 1, start[2]]);
    // A normal query lists its own table's files only; information_schema reads nothing.
    ctx.sql("SELECT count(*) FROM cpu")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    ctx.sql("SELECT * FROM information_schema.columns WHERE table_schema = 'system'")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(reads(&f.catalog), [start[0], start[1] + 1, start[2] + 1]);
    ctx.sql("SELECT * FROM system.databases")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(
        reads(&f.catalog),
        [start[0] + 1, start[1] + 1, start[2] + 1]
    );
    ctx.sql("SELECT * FROM system.parquet_files")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(
        reads(&f.catalog),
        [start[0] + 1, start[1] + 2, start[2] + 3]
    );
}

#[tokio::test]
async fn information_schema_lists_the_system_tables() {
    let f = Fixture::new().await.with_data().await;
    let out = f
        .rows(
            &f.db,
            "SELECT table_catalog, table_schema, table_name, table_type FROM information_schema.tables \
             WHERE table_schema IN ('system', 'iox') ORDER BY table_schema, table_name",
        )
        .await;
    assert_eq!(
        out,
        [
            strings(["public", "iox", "cpu", "BASE TABLE"]),
            strings(["public", "iox", "mem", "BASE TABLE"]),
            strings(["public", "system", "databases", "BASE TABLE"]),
            strings(["public", "system", "parquet_files", "BASE TABLE"]),
            strings(["public", "system", "queries", "BASE TABLE"]),
            strings(["public", "system", "tables", "BASE TABLE"]),
        ]
    );
    let out = f
        .rows(
            &f.db,
            "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_schema = 'system' AND table_name = 'queries' AND column_name LIKE '%duration' \
             ORDER BY ordinal_position",
        )
        .await;
    assert_eq!(
        out,
        [
            strings(["plan_duration", "Duration(ns)"]),
            strings(["execute_duration", "Duration(ns)"]),
            strings(["end2end_duration", "Duration(ns)"]),
        ]
    );
}

#[tokio::test]
async fn system_schema_is_read_only() {
    let f = Fixture::new().await;
    let ctx = f.session(&f.db).await;
    let err = match ctx.sql("CREATE TABLE system.mine (a INT)").await {
        Ok(df) => df.collect().await.unwrap_err(),
        Err(e) => e,
    };
    assert!(
        err.to_string()
            .contains("does not support registering tables"),
        "{err}"
    );
    // DataFusion reports the refused deregistration as "doesn't exist"; the table stays.
    let dropped = match ctx.sql("DROP TABLE system.queries").await {
        Ok(df) => df.collect().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(dropped.is_err(), "{dropped:?}");
    let still = ctx
        .sql("SELECT count(*) FROM system.queries")
        .await
        .unwrap();
    assert_eq!(rows(&still.collect().await.unwrap()), [strings(["0"])]);
    assert_eq!(
        f.rows(
            &f.db,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'system'"
        )
        .await,
        [strings(["4"])]
    );
}

#[tokio::test]
async fn schemas_of_the_system_tables() {
    let f = Fixture::new().await;
    let ts = DataType::Timestamp(TimeUnit::Nanosecond, None);
    let dur = DataType::Duration(TimeUnit::Nanosecond);
    let (u64_, i64_, u32_, s, b) = (
        DataType::UInt64,
        DataType::Int64,
        DataType::UInt32,
        DataType::Utf8,
        DataType::Boolean,
    );
    assert_eq!(
        f.columns("queries").await,
        [
            col("id", u64_.clone(), false),
            col("phase", s.clone(), false),
            col("issue_time", ts.clone(), false),
            col("database_name", s.clone(), false),
            col("query_type", s.clone(), false),
            col("query_text", s.clone(), false),
            col("partitions", i64_.clone(), true),
            col("parquet_files", i64_.clone(), true),
            col("plan_duration", dur.clone(), true),
            col("execute_duration", dur.clone(), true),
            col("end2end_duration", dur, true),
            col("rows", u64_.clone(), true),
            col("success", b.clone(), false),
            col("running", b.clone(), false),
            col("cancelled", b.clone(), false),
            col("error", s.clone(), true),
            col("trace_id", s.clone(), true),
        ]
    );
    assert_eq!(
        f.columns("databases").await,
        [
            col("database_name", s.clone(), false),
            col("database_id", u64_.clone(), false),
            col("retention_period_ns", u64_.clone(), true),
            col("max_tables", u64_.clone(), false),
            col("max_columns_per_table", u64_.clone(), false),
            col("created_at", ts.clone(), false),
            col("deleted", b, false),
        ]
    );
    assert_eq!(
        f.columns("tables").await,
        [
            col("database_name", s.clone(), false),
            col("table_name", s.clone(), false),
            col("table_id", u64_.clone(), false),
            col("column_count", u64_.clone(), false),
            col("tag_count", u64_.clone(), false),
            col("field_count", u64_.clone(), false),
            col("series_key_columns", s.clone(), false),
        ]
    );
    assert_eq!(
        f.columns("parquet_files").await,
        [
            col("table_name", s.clone(), false),
            col("table_id", u64_.clone(), false),
            col("partition_key", s.clone(), false),
            col("object_store_id", s.clone(), false),
            col("path", s, false),
            col("size_bytes", u64_.clone(), false),
            col("row_count", u64_.clone(), false),
            col("min_time", i64_.clone(), false),
            col("max_time", i64_, false),
            col("log_partition", u32_, false),
            col("min_offset", u64_.clone(), false),
            col("max_offset", u64_, false),
            col("created_at", ts, false),
            col("compaction_level", DataType::UInt8, false),
        ]
    );
}

const QUERY_COLUMNS: &str = "SELECT query_type, query_text, phase, partitions, parquet_files, \
    rows, success, running, cancelled, error, trace_id, \
    plan_duration IS NOT NULL, execute_duration IS NOT NULL, end2end_duration IS NOT NULL \
    FROM system.queries";

#[tokio::test]
async fn query_log_records_successes_with_plan_statistics_and_rows() {
    let f = Fixture::new().await.with_data().await;
    // Both days: 2 (table, partition key) groups, 3 files; 3 rows after dedup.
    let all = "SELECT * FROM cpu";
    assert_eq!(f.logged(&f.db, all, Some("4bf92f3577b34da6")).await, Ok(3));
    // The time filter prunes the second day's file.
    let first_day = "SELECT host FROM cpu WHERE time < '1970-01-02T00:00:00Z'";
    assert_eq!(f.logged(&f.db, first_day, None).await, Ok(2));
    // A system table scans no Parquet.
    let tables = "SELECT * FROM system.tables";
    assert_eq!(f.logged(&f.db, tables, None).await, Ok(2));
    let out = f.rows(&f.db, &format!("{QUERY_COLUMNS} ORDER BY id")).await;
    assert_eq!(
        out,
        [
            strings([
                "sql",
                all,
                "success",
                "2",
                "3",
                "3",
                "true",
                "false",
                "false",
                "",
                "4bf92f3577b34da6",
                "true",
                "true",
                "true"
            ]),
            strings([
                "sql", first_day, "success", "1", "2", "2", "true", "false", "false", "", "",
                "true", "true", "true"
            ]),
            strings([
                "sql", tables, "success", "0", "0", "2", "true", "false", "false", "", "", "true",
                "true", "true"
            ]),
        ]
    );
    // Timings are consistent: planning and execution fit in the end-to-end time, issue times
    // are real and in order.
    let records = f.qdb.query_log().entries_of(f.db.id);
    for r in &records {
        let (plan, exec, total) = (
            r.plan_duration.unwrap(),
            r.execute_duration.unwrap(),
            r.end2end_duration.unwrap(),
        );
        assert!(plan + exec <= total + Duration::from_micros(1), "{r:?}");
        assert!(r.issue_time_ns > 1_600_000_000_000_000_000, "{r:?}");
        assert_eq!(r.database_id, f.db.id);
        assert_eq!(r.database_name, "db");
    }
    assert!(
        records
            .windows(2)
            .all(|w| w[0].issue_time_ns <= w[1].issue_time_ns)
    );
    let out = f
        .rows(
            &f.db,
            "SELECT count(*) FROM system.queries WHERE issue_time > now() - INTERVAL '1 minute' \
             AND end2end_duration >= plan_duration",
        )
        .await;
    assert_eq!(out, [strings(["3"])]);
}

#[tokio::test]
async fn query_log_records_planning_and_execution_errors() {
    let f = Fixture::new().await.with_data().await;
    let bad = "SELECT nope FROM cpu";
    let err = f.logged(&f.db, bad, None).await.unwrap_err();
    assert!(err.contains("nope"), "{err}");
    // Execution error: the second day's file is gone from the store.
    let schema = f.catalog.database_schema(f.db.id).await.unwrap();
    let files = f
        .catalog
        .parquet_files(f.db.id, schema.tables["cpu"].id)
        .await
        .unwrap();
    let path = parquet_store::parse_object_path(&files["1970-01-02"][0].path).unwrap();
    f.store.delete(&path).await.unwrap();
    let sum = "SELECT sum(usage) FROM cpu";
    let exec_err = f.logged(&f.db, sum, None).await.unwrap_err();
    assert!(exec_err.contains("not found"), "{exec_err}");

    let out = f
        .rows(
            &f.db,
            "SELECT query_text, phase, success, running, cancelled, rows, \
             plan_duration IS NULL, execute_duration IS NULL, end2end_duration IS NULL \
             FROM system.queries ORDER BY id",
        )
        .await;
    assert_eq!(
        out,
        [
            strings([
                bad, "fail", "false", "false", "false", "", "true", "true", "false"
            ]),
            strings([
                sum, "fail", "false", "false", "false", "", "false", "false", "false"
            ]),
        ]
    );
    let records = f.qdb.query_log().entries_of(f.db.id);
    assert_eq!(records[0].error.as_deref(), Some(err.as_str()));
    assert_eq!(records[1].error.as_deref(), Some(exec_err.as_str()));
    assert_eq!(records[1].parquet_files, Some(3));
}

#[tokio::test]
async fn query_log_shows_running_and_cancelled_queries() {
    let f = Fixture::new().await.with_data().await;
    let log = f.qdb.query_log();
    // A query reading system.queries sees itself running.
    let me = "SELECT query_text, phase, running FROM system.queries";
    let entry = log.begin(&f.db, QueryType::FlightSql, me, None);
    let out = f.rows(&f.db, me).await;
    assert_eq!(out, [strings([me, "received", "true"])]);
    let ctx = f.session(&f.db).await;
    let plan = ctx
        .sql("SELECT * FROM mem")
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    entry.planned(&plan);
    assert_eq!(entry.record().phase, QueryPhase::Planned);
    assert_eq!(entry.record().parquet_files, Some(1));
    drop(entry);

    // A tracked stream dropped before its end (client went away) is cancelled too.
    let streamed = log.begin(&f.db, QueryType::InfluxQl, "SELECT * FROM cpu", None);
    let plan = ctx
        .sql("SELECT * FROM cpu")
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    streamed.planned(&plan);
    let stream = streamed.track(execute_stream(plan, ctx.task_ctx()).unwrap());
    drop(stream);

    // Finishing twice is impossible (finish consumes the entry); a finished entry stays finished.
    let done = log.begin(&f.db, QueryType::Sql, "SELECT 1", None);
    let id = done.id();
    done.finish_ok(None);

    let out = f
        .rows(
            &f.db,
            "SELECT query_type, phase, success, running, cancelled, error, rows, \
             execute_duration IS NOT NULL FROM system.queries ORDER BY id",
        )
        .await;
    assert_eq!(
        out,
        [
            strings([
                "flightsql",
                "cancel",
                "false",
                "false",
                "true",
                "",
                "",
                "true"
            ]),
            strings([
                "influxql", "cancel", "false", "false", "true", "", "", "true"
            ]),
            strings(["sql", "success", "true", "false", "false", "", "", "false"]),
        ]
    );
    let last = log.entries_of(f.db.id).pop().unwrap();
    assert_eq!(
        (last.id, last.success(), last.cancelled()),
        (id, true, false)
    );
}

#[tokio::test]
async fn query_log_keeps_the_most_recent_entries_only() {
    let f = Fixture::new().await;
    let log = f.qdb.query_log();
    assert_eq!(log.capacity(), query::system::DEFAULT_QUERY_LOG_SIZE);
    log.set_capacity(3);
    for i in 0..5 {
        log.begin(&f.db, QueryType::Sql, format!("SELECT {i}"), None)
            .finish_ok(Some(1));
    }
    let texts = "SELECT query_text FROM system.queries ORDER BY id";
    assert_eq!(
        f.rows(&f.db, texts).await,
        [
            strings(["SELECT 2"]),
            strings(["SELECT 3"]),
            strings(["SELECT 4"])
        ]
    );
    // The bound is per process, not per database: another database's query evicts too.
    log.begin(&f.other, QueryType::Sql, "SELECT 'o'", None)
        .finish_ok(None);
    assert_eq!(
        f.rows(&f.db, texts).await,
        [strings(["SELECT 3"]), strings(["SELECT 4"])]
    );
    // Shrinking evicts the oldest; an entry evicted while running can still be finished.
    let running = log.begin(&f.db, QueryType::Sql, "SELECT 5", None);
    log.set_capacity(1);
    assert_eq!(f.rows(&f.db, texts).await, [strings(["SELECT 5"])]);
    log.begin(&f.db, QueryType::Sql, "SELECT 6", None)
        .finish_ok(None);
    running.finish_ok(None);
    assert_eq!(f.rows(&f.db, texts).await, [strings(["SELECT 6"])]);
    // Capacity 0 logs nothing.
    log.set_capacity(0);
    log.begin(&f.db, QueryType::Sql, "SELECT 7", None)
        .finish_ok(None);
    assert!(log.entries().is_empty());
    assert!(f.rows(&f.db, texts).await.is_empty());
}

#[tokio::test]
async fn another_databases_queries_are_invisible() {
    let f = Fixture::new().await.with_data().await;
    let secret = "SELECT * FROM disk WHERE dev = 'secret-device'";
    assert_eq!(f.logged(&f.other, secret, None).await, Ok(0));
    assert_eq!(f.logged(&f.db, "SELECT * FROM mem", None).await, Ok(1));
    let mine = f
        .rows(
            &f.db,
            "SELECT database_name, query_text FROM system.queries",
        )
        .await;
    assert_eq!(mine, [strings(["db", "SELECT * FROM mem"])]);
    // No predicate reaches the hidden rows either.
    let out = f
        .rows(
            &f.db,
            "SELECT count(*) FROM system.queries WHERE query_text LIKE '%secret%' OR database_name = 'other'",
        )
        .await;
    assert_eq!(out, [strings(["0"])]);
    let theirs = f
        .rows(
            &f.other,
            "SELECT database_name, query_text FROM system.queries",
        )
        .await;
    assert_eq!(theirs, [strings(["other", secret])]);
    // Both are in the process-wide log.
    assert_eq!(f.qdb.query_log().entries().len(), 2);
}

#[tokio::test]
async fn a_re_created_database_does_not_inherit_query_texts() {
    let f = Fixture::new().await;
    f.qdb
        .query_log()
        .begin(&f.other, QueryType::Sql, "SELECT 'old'", None)
        .finish_ok(None);
    f.catalog.delete_database(f.other.id).await.unwrap();
    let again = f
        .catalog
        .create_database(
            &DatabaseName::new("other").unwrap(),
            DatabaseOptions::default(),
        )
        .await
        .unwrap();
    assert_ne!(again.id, f.other.id);
    assert!(
        f.rows(&again, "SELECT * FROM system.queries")
            .await
            .is_empty()
    );
}

#[test]
fn entries_and_logs_can_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<QueryLogEntry>();
    send_sync::<QueryLog>();
    send_sync::<QueryDatabase>();
}

#[tokio::test]
async fn the_observer_sees_every_query_finish_once_even_beyond_capacity() {
    let f = Fixture::new().await;
    let log = f.qdb.query_log();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    log.observe(Arc::new(move |r: &query::QueryRecord| {
        sink.lock()
            .unwrap()
            .push((r.query_text.clone(), r.phase, r.rows));
    }));
    log.set_capacity(0); // not kept in the ring: still observed
    log.begin(&f.db, QueryType::Sql, "SELECT 1", None)
        .finish_ok(Some(1));
    log.begin(&f.db, QueryType::Sql, "SELECT x", None)
        .finish_err("no column x");
    drop(log.begin(&f.db, QueryType::Sql, "SELECT 2", None));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("SELECT 1".to_owned(), QueryPhase::Success, Some(1)),
            ("SELECT x".to_owned(), QueryPhase::Fail, None),
            ("SELECT 2".to_owned(), QueryPhase::Cancel, None),
        ]
    );
}
