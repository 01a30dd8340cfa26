//! The compactor over a real catalog (MemCatalog) and object store (in memory), with the real
//! query engine reading before and after: answers identical across compaction, file counts
//! bounded, retention hiding then dropping, the garbage collector's grace period protecting a
//! query planned before a swap, orphans and deleted databases collected, two compactors never
//! compacting one file twice.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure is a panic

use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use catalog::{
    Catalog, Database, DatabaseName, DatabaseOptions, DatabaseUpdate, MemCatalog, PersistCommit,
    SchemaUpsert,
};
use compactor::{Compactor, CompactorMetrics, CompactorSettings, PlanSettings};
use datafusion::physical_plan::collect;
use futures::TryStreamExt;
use line_protocol::Precision;
use object_store::memory::InMemory;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet_store::{FileMeta, write_parquet};
use query::QueryDatabase;

const DAY_NS: i64 = 86_400_000_000_000;

struct Fixture {
    catalog: Arc<dyn Catalog>,
    store: Arc<dyn ObjectStore>,
    db: Database,
    offset: u64,
}

impl Fixture {
    async fn new(name: &str) -> Self {
        let catalog: Arc<dyn Catalog> = Arc::new(MemCatalog::new());
        let db = catalog
            .create_database(
                &DatabaseName::new(name).unwrap(),
                DatabaseOptions::default(),
            )
            .await
            .unwrap();
        Self {
            catalog,
            store: Arc::new(InMemory::new()),
            db,
            offset: 0,
        }
    }

    /// Persists `lp` as an ingester would: one file per (table, UTC day), committed at the
    /// next offset of log partition 0.
    async fn persist(&mut self, lp: &str) {
        persist_into(&self.catalog, &self.store, &self.db, self.offset, lp).await;
        self.offset += 1;
    }

    fn compactor(&self, settings: CompactorSettings) -> Compactor {
        Compactor::new(
            Arc::clone(&self.catalog),
            Arc::clone(&self.store),
            settings,
            Arc::new(CompactorMetrics::new()),
        )
        .unwrap()
    }

    async fn files(&self) -> Vec<catalog::ParquetFileRecord> {
        let schema = self.catalog.database_schema(self.db.id).await.unwrap();
        let mut out = Vec::new();
        for table in schema.tables.values() {
            for files in self
                .catalog
                .parquet_files(self.db.id, table.id)
                .await
                .unwrap()
                .into_values()
            {
                out.extend(files);
            }
        }
        out
    }

    async fn sql(&self, sql: &str) -> String {
        let db = self
            .catalog
            .database_by_id(self.db.id)
            .await
            .unwrap()
            .unwrap();
        let ctx = QueryDatabase::new(Arc::clone(&self.catalog), Arc::clone(&self.store))
            .session(&db)
            .await
            .unwrap();
        let batches: Vec<RecordBatch> = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        pretty_format_batches(&batches).unwrap().to_string()
    }

    async fn objects(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .store
            .list(None)
            .map_ok(|o| o.location.to_string())
            .try_collect()
            .await
            .unwrap();
        out.sort();
        out
    }

    /// Runs cycles until one does nothing (at most 20).
    async fn compact_fully(&self, compactor: &Compactor) -> usize {
        let mut jobs = 0;
        for _ in 0..20 {
            let report = compactor.cycle().await.unwrap();
            assert_eq!(report.errors, 0, "{report:?}");
            if report.jobs == 0 && report.expired_files == 0 {
                return jobs;
            }
            jobs += report.jobs;
        }
        panic!("compaction did not settle in 20 cycles");
    }
}

async fn persist_into(
    catalog: &Arc<dyn Catalog>,
    store: &Arc<dyn ObjectStore>,
    db: &Database,
    offset: u64,
    lp: &str,
) {
    let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(lp);
    let converted = converter.finish().unwrap();
    assert!(
        converted.rejections.is_empty(),
        "{:?}",
        converted.rejections
    );
    let mut files = Vec::new();
    for table in &converted.tables {
        let mut upsert = SchemaUpsert::new();
        for field in table.batch.schema().fields() {
            upsert
                .add(
                    &table.name,
                    field.name(),
                    schema::influx_column_type(field).unwrap(),
                )
                .unwrap();
        }
        let schema = catalog.upsert_schema(db.id, &upsert).await.unwrap();
        let batch = schema::dedup::sort_dedup(std::slice::from_ref(&table.batch)).unwrap();
        // One file per UTC day, as the ingester splits them.
        let times = batch
            .column_by_name("time")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow::array::TimestampNanosecondArray>()
            .unwrap()
            .clone();
        let mut days: Vec<i64> = times
            .values()
            .iter()
            .map(|t| t.div_euclid(DAY_NS))
            .collect();
        days.sort_unstable();
        days.dedup();
        for day in days {
            let mask: arrow::array::BooleanArray = times
                .values()
                .iter()
                .map(|t| Some(t.div_euclid(DAY_NS) == day))
                .collect();
            let part = arrow::compute::filter_record_batch(&batch, &mask).unwrap();
            let key = format!("day-{day}");
            let meta = FileMeta {
                database_id: db.id,
                database_name: db.name.as_str().into(),
                table_id: schema.tables[&table.name].id,
                table_name: table.name.clone(),
                partition_key: key,
                log_partition: 0,
                min_offset: offset,
                max_offset: offset,
            };
            files.push(write_parquet(store, &meta, &part).await.unwrap());
        }
    }
    catalog
        .commit_persist(PersistCommit {
            log_partition: 0,
            expected_offset: offset.checked_sub(1),
            new_offset: offset,
            files,
        })
        .await
        .unwrap();
}

fn settings(cold_after: Duration) -> CompactorSettings {
    CompactorSettings {
        plan: PlanSettings {
            min_files: 10,
            target_file_bytes: 100 * 1024 * 1024,
            max_input_files: 50,
            max_input_bytes: 1024 * 1024 * 1024,
            cold_after,
        },
        interval: Duration::from_millis(100),
        gc_interval: None,
        gc_grace: Duration::from_secs(3600),
        ..CompactorSettings::default()
    }
}

/// Write `i` of a stream of small writes: overwrites earlier keys (last write wins), leaves
/// fields out (an absent field keeps its earlier value), adds a tag late, spans two days.
fn small_write(i: u64) -> String {
    let t = (i % 40) as i64 * 1_000_000_000 + if i.is_multiple_of(7) { DAY_NS } else { 0 };
    let mut lp = format!("cpu,host=h{} usage={i}.5,count={i}i {t}\n", i % 3);
    if i.is_multiple_of(5) {
        lp.push_str(&format!("cpu,host=h{} note=\"n{i}\" {t}\n", i % 3));
    }
    if i > 150 {
        lp.push_str(&format!("cpu,host=h1,region=r{} usage=-{i}.0 {t}\n", i % 2));
    }
    lp.push_str(&format!("mem,host=h0 free={i}i {}\n", i as i64 * 1_000_000));
    lp
}

const QUERIES: &[&str] = &[
    "SELECT * FROM cpu ORDER BY host, region, time",
    "SELECT * FROM mem ORDER BY time",
    "SELECT host, count(*), sum(usage), max(count), count(note) FROM cpu GROUP BY host ORDER BY host",
];

async fn answers(f: &Fixture) -> Vec<String> {
    let mut out = Vec::new();
    for q in QUERIES {
        out.push(f.sql(q).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_small_files_compact_to_one_per_partition_with_identical_answers() {
    let mut f = Fixture::new("db").await;
    for i in 0..300 {
        f.persist(&small_write(i)).await;
    }
    let before = answers(&f).await;
    let files_before = f.files().await.len();
    assert!(files_before >= 600, "{files_before}");

    // Hot: levels keep the count bounded without waiting for the partitions to cool.
    let hot = f.compactor(settings(Duration::from_secs(3600)));
    f.compact_fully(&hot).await;
    let files = f.files().await;
    assert!(files.len() < 3 * 3 * 10, "{} files while hot", files.len());
    assert_eq!(answers(&f).await, before);

    // Cold: one file per (table, day).
    let cold = f.compactor(settings(Duration::ZERO));
    f.compact_fully(&cold).await;
    let files = f.files().await;
    let mut keys: Vec<(u64, String)> = files
        .iter()
        .map(|r| (r.table_id.0, r.partition_key.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(files.len(), keys.len(), "{files:#?}");
    // A partition left with one file keeps it at the level it reached.
    assert!(files.iter().all(|r| r.compaction_level >= 1), "{files:#?}");
    assert_eq!(answers(&f).await, before);
    // Every duplicate is gone: rows of the files = rows of the table.
    let rows: u64 = files.iter().map(|r| r.row_count).sum();
    let counted = f
        .sql("SELECT (SELECT count(*) FROM cpu) + (SELECT count(*) FROM mem) AS n")
        .await;
    assert!(
        counted.contains(&format!("| {rows} ")),
        "{counted} vs {rows}"
    );

    // The replaced objects stay until the garbage collector's grace period has passed.
    assert!(f.objects().await.len() > files.len());
    let collector = f.compactor(CompactorSettings {
        gc_grace: Duration::ZERO,
        ..settings(Duration::ZERO)
    });
    let report = collector.collect_garbage().await.unwrap();
    assert!(report.replaced >= files_before as u64, "{report:?}");
    let mut live: Vec<String> = files.iter().map(|r| r.path.clone()).collect();
    live.sort();
    assert_eq!(f.objects().await, live);
    assert!(f.catalog.removed_files().await.unwrap().is_empty());
    assert_eq!(answers(&f).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_planned_before_a_swap_reads_its_files_until_the_grace_period_ends() {
    let mut f = Fixture::new("db").await;
    for i in 0..30 {
        f.persist(&format!("cpu,host=a v={i} {i}\ncpu,host=b v={i} 1\n"))
            .await;
    }
    let db = f.catalog.database_by_id(f.db.id).await.unwrap().unwrap();
    let ctx = QueryDatabase::new(Arc::clone(&f.catalog), Arc::clone(&f.store))
        .session(&db)
        .await
        .unwrap();
    let sql = "SELECT host, count(*) AS n, sum(v) AS s FROM cpu GROUP BY host ORDER BY host";
    // Two plans (a plan runs once): each lists the 30 level-0 files now.
    let plan = ctx
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let late_plan = ctx
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();

    // The files the plan lists are swapped out, and a collector with a grace period runs.
    f.compact_fully(&f.compactor(settings(Duration::ZERO)))
        .await;
    assert_eq!(f.files().await.len(), 1);
    let report = f
        .compactor(settings(Duration::ZERO))
        .collect_garbage()
        .await
        .unwrap();
    assert_eq!(report.replaced, 0);
    let batches = collect(plan, ctx.task_ctx()).await.unwrap();
    let text = pretty_format_batches(&batches).unwrap().to_string();
    assert!(text.contains("| a    | 30 | 435.0 |"), "{text}");
    assert!(text.contains("| b    | 1  | 29.0  |"), "{text}");

    // Past the grace period the old objects are gone: the same plan cannot read them any more,
    // a new query reads the compacted file.
    let collector = f.compactor(CompactorSettings {
        gc_grace: Duration::ZERO,
        ..settings(Duration::ZERO)
    });
    assert_eq!(collector.collect_garbage().await.unwrap().replaced, 30);
    assert!(collect(late_plan, ctx.task_ctx()).await.is_err());
    let text = f.sql(sql).await;
    assert!(text.contains("| a    | 30 | 435.0 |"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_hides_old_rows_at_once_then_drops_their_files() {
    let mut f = Fixture::new("db").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    let old = now - 3 * 3_600_000_000_000;
    let straddling = now - 3_600_000_000_000 - 60_000_000_000; // 61 min ago
    f.persist(&format!("cpu,host=a v=1 {old}\n")).await;
    f.persist(&format!(
        "cpu,host=a v=2 {straddling}\ncpu,host=a v=3 {now}\n"
    ))
    .await;
    assert!(
        f.sql("SELECT count(*) AS n FROM cpu")
            .await
            .contains("| 3 ")
    );

    f.catalog
        .update_database(
            f.db.id,
            DatabaseUpdate {
                retention_period: Some(Some(Duration::from_secs(3600))),
                ..DatabaseUpdate::default()
            },
        )
        .await
        .unwrap();
    // Hidden at once (SQL through the same tables InfluxQL and Flight SQL read).
    let text = f.sql("SELECT v FROM cpu ORDER BY time").await;
    assert!(
        !text.contains("| 1.0 |") && !text.contains("| 2.0 |") && text.contains("| 3.0 |"),
        "{text}"
    );

    let before = f.files().await;
    let compactor = f.compactor(settings(Duration::from_secs(3600)));
    let report = compactor.cycle().await.unwrap();
    assert!(report.expired_files >= 1, "{report:?}");
    let after = f.files().await;
    assert!(
        after.iter().all(|r| r.max_time_ns >= straddling),
        "{after:#?}"
    );
    assert!(after.len() < before.len());
    let collector = f.compactor(CompactorSettings {
        gc_grace: Duration::ZERO,
        ..settings(Duration::from_secs(3600))
    });
    collector.collect_garbage().await.unwrap();
    let mut live: Vec<String> = after.iter().map(|r| r.path.clone()).collect();
    live.sort();
    assert_eq!(f.objects().await, live);
    assert!(f.sql("SELECT v FROM cpu").await.contains("| 3.0 |"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_and_deleted_databases_are_collected_live_files_never() {
    let mut f = Fixture::new("keep").await;
    f.persist("cpu,host=a v=1 1\n").await;
    let gone = f
        .catalog
        .create_database(
            &DatabaseName::new("gone").unwrap(),
            DatabaseOptions::default(),
        )
        .await
        .unwrap();
    persist_into(
        &f.catalog,
        &f.store,
        &gone,
        1,
        "mem,host=a v=1 1\nmem,host=a v=2 2\n",
    )
    .await;
    let orphan =
        object_store::path::Path::from("1/1/day-0/0e6f1a3c-58a2-4f43-9d57-3c0f6b1f2a10.parquet");
    f.store
        .put(&orphan, bytes_of("not really parquet"))
        .await
        .unwrap();
    let unrelated = object_store::path::Path::from("backups/readme.txt");
    f.store.put(&unrelated, bytes_of("keep me")).await.unwrap();
    let all = f.objects().await;
    assert_eq!(all.len(), 4, "{all:?}");

    // Within the grace period nothing goes.
    let patient = f.compactor(settings(Duration::ZERO));
    f.catalog.delete_database(gone.id).await.unwrap();
    assert_eq!(
        patient.collect_garbage().await.unwrap(),
        compactor::GcReport::default()
    );
    assert_eq!(f.objects().await, all);

    let collector = f.compactor(CompactorSettings {
        gc_grace: Duration::ZERO,
        ..settings(Duration::ZERO)
    });
    let report = collector.collect_garbage().await.unwrap();
    assert_eq!(
        (report.orphans, report.deleted_database),
        (1, 1),
        "{report:?}"
    );
    let left = f.objects().await;
    let keep = f.files().await;
    assert_eq!(keep.len(), 1);
    assert_eq!(left, {
        let mut v = vec![keep[0].path.clone(), "backups/readme.txt".to_string()];
        v.sort();
        v
    });
    assert!(
        f.catalog
            .all_parquet_files()
            .await
            .unwrap()
            .iter()
            .all(|r| r.database_id == f.db.id)
    );
    assert!(f.sql("SELECT v FROM cpu").await.contains("| 1.0 |"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_compactors_never_compact_one_file_twice() {
    let mut f = Fixture::new("db").await;
    for i in 0..200 {
        f.persist(&small_write(i)).await;
    }
    let before = answers(&f).await;
    let a = f.compactor(settings(Duration::ZERO));
    let b = f.compactor(settings(Duration::ZERO));
    for _ in 0..10 {
        let (ra, rb) = tokio::join!(a.cycle(), b.cycle());
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        assert_eq!(ra.errors + rb.errors, 0, "{ra:?} {rb:?}");
        if ra.jobs + rb.jobs == 0 {
            break;
        }
    }
    assert_eq!(answers(&f).await, before);
    // Every retired record was retired once; every output of a lost swap was deleted.
    let removed = f.catalog.removed_files().await.unwrap();
    let mut ids: Vec<&str> = removed
        .iter()
        .map(|r| r.record.object_id.as_str())
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
    let live = f.files().await;
    let objects = f.objects().await;
    assert_eq!(objects.len(), live.len() + removed.len(), "{objects:?}");
}

fn bytes_of(text: &str) -> object_store::PutPayload {
    object_store::PutPayload::from(text.as_bytes().to_vec())
}
