//! Write-path records: persist commits (compare-and-swap on the partition offset, atomic with
//! the file records), file grouping by partition key, offsets, and ingester leases.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;

use super::name;
use super::schema::F64;
use crate::{
    Catalog, CatalogError, DatabaseId, DatabaseOptions, IngesterInfo, ParquetFileRecord,
    PersistCommit, SchemaUpsert, TableId,
};

pub(super) async fn run(catalog: Arc<dyn Catalog>) {
    persist_commits(catalog.as_ref()).await;
    concurrent_commits(Arc::clone(&catalog)).await;
    leases(catalog.as_ref()).await;
}

fn file(
    db: DatabaseId,
    table: TableId,
    key: &str,
    object: &str,
    offsets: (u64, u64),
) -> ParquetFileRecord {
    ParquetFileRecord {
        object_id: object.to_owned(),
        database_id: db,
        table_id: table,
        partition_key: key.to_owned(),
        path: format!("{}/{}/{key}/{object}.parquet", db.0, table.0),
        size_bytes: 1234,
        row_count: 10,
        min_time_ns: 1_700_000_000_000_000_000,
        max_time_ns: 1_700_000_001_000_000_000,
        log_partition: 0,
        min_offset: offsets.0,
        max_offset: offsets.1,
        created_at_ns: 1_700_000_002_000_000_000,
        compaction_level: 0,
    }
}

async fn persist_commits(catalog: &dyn Catalog) {
    assert!(
        catalog
            .persisted_offsets()
            .await
            .expect("offsets")
            .is_empty(),
        "a new catalog has no persisted offsets"
    );
    let db = catalog
        .create_database(&name("conf_persist"), DatabaseOptions::default())
        .await
        .expect("create");
    let mut up = SchemaUpsert::new();
    up.add("cpu", "v", F64).expect("add");
    up.add("mem", "v", F64).expect("add");
    let schema = catalog.upsert_schema(db.id, &up).await.expect("upsert");
    let (cpu, mem) = (schema.tables["cpu"].id, schema.tables["mem"].id);

    let day2 = file(db.id, cpu, "2024-01-02", "obj-b", (0, 10));
    let day1 = file(db.id, cpu, "2024-01-01", "obj-a", (0, 10));
    let mem_file = file(db.id, mem, "2024-01-01", "obj-m", (0, 10));
    let first = PersistCommit {
        log_partition: 0,
        expected_offset: None,
        new_offset: 10,
        files: vec![day2.clone(), day1.clone(), mem_file.clone()],
    };
    catalog.commit_persist(first).await.expect("first commit");
    let offsets = catalog.persisted_offsets().await.expect("offsets");
    assert_eq!(offsets.into_iter().collect::<Vec<_>>(), [(0, 10)]);
    let files = catalog.parquet_files(db.id, cpu).await.expect("files");
    let keys: Vec<&String> = files.keys().collect();
    assert_eq!(
        keys,
        ["2024-01-01", "2024-01-02"],
        "grouped by partition key, ascending"
    );
    assert_eq!(files["2024-01-01"], std::slice::from_ref(&day1));
    assert_eq!(files["2024-01-02"], std::slice::from_ref(&day2));
    let mem_files = catalog.parquet_files(db.id, mem).await.expect("files");
    assert_eq!(mem_files.len(), 1, "files are grouped by table");
    assert_eq!(mem_files["2024-01-01"], [mem_file]);

    // Lost compare-and-swaps change nothing.
    let late = file(db.id, cpu, "2024-01-01", "obj-late", (10, 20));
    for expected in [None, Some(5), Some(11)] {
        let stale = PersistCommit {
            log_partition: 0,
            expected_offset: expected,
            new_offset: 20,
            files: vec![late.clone()],
        };
        assert_eq!(
            catalog.commit_persist(stale).await,
            Err(CatalogError::OffsetConflict {
                partition: 0,
                expected,
                actual: Some(10)
            }),
            "a commit from offset {expected:?} must lose against 10"
        );
    }
    assert_eq!(
        catalog.parquet_files(db.id, cpu).await.expect("files"),
        files
    );
    let offsets = catalog.persisted_offsets().await.expect("offsets");
    assert_eq!(offsets.into_iter().collect::<Vec<_>>(), [(0, 10)]);

    let next = PersistCommit {
        log_partition: 0,
        expected_offset: Some(10),
        new_offset: 20,
        files: vec![late.clone()],
    };
    catalog.commit_persist(next).await.expect("second commit");
    let files = catalog.parquet_files(db.id, cpu).await.expect("files");
    assert_eq!(files["2024-01-01"].len(), 2, "files accumulate per key");
    assert!(files["2024-01-01"].contains(&late) && files["2024-01-01"].contains(&day1));

    let empty = PersistCommit {
        log_partition: 3,
        expected_offset: None,
        new_offset: 7,
        files: Vec::new(),
    };
    catalog
        .commit_persist(empty)
        .await
        .expect("commit without files");
    let offsets = catalog.persisted_offsets().await.expect("offsets");
    assert_eq!(offsets.into_iter().collect::<Vec<_>>(), [(0, 20), (3, 7)]);

    let unknown = TableId(cpu.0.wrapping_add(mem.0).wrapping_add(1_000_000_007));
    let none = catalog.parquet_files(db.id, unknown).await.expect("files");
    assert!(none.is_empty(), "a table without files has none");
}

/// Ingesters racing to commit from the same offset: exactly one wins.
async fn concurrent_commits(catalog: Arc<dyn Catalog>) {
    let db = catalog
        .database_by_name(&name("conf_persist"))
        .await
        .expect("get")
        .expect("created by persist_commits");
    let table = catalog.database_schema(db.id).await.expect("schema").tables["cpu"].id;
    let tasks = (0..8u64).map(|i| {
        let catalog = Arc::clone(&catalog);
        let record = file(
            db.id,
            table,
            "2024-02-01",
            &format!("race-{i}"),
            (20, 30 + i),
        );
        tokio::spawn(async move {
            let commit = PersistCommit {
                log_partition: 0,
                expected_offset: Some(20),
                new_offset: 30 + i,
                files: vec![record],
            };
            (i, catalog.commit_persist(commit).await)
        })
    });
    let mut winner = None;
    for result in join_all(tasks).await {
        match result.expect("task") {
            (i, Ok(())) => {
                assert!(winner.is_none(), "two commits from offset 20 both won");
                winner = Some(i);
            }
            (_, Err(CatalogError::OffsetConflict { expected, .. })) => {
                assert_eq!(expected, Some(20));
            }
            (_, Err(e)) => panic!("a racing commit failed with {e:?}"),
        }
    }
    let winner = winner.expect("one commit wins");
    let offsets = catalog.persisted_offsets().await.expect("offsets");
    assert_eq!(
        offsets.get(&0),
        Some(&(30 + winner)),
        "the winner's offset is stored"
    );
    let files = catalog.parquet_files(db.id, table).await.expect("files");
    let raced: Vec<&str> = files["2024-02-01"]
        .iter()
        .map(|f| f.object_id.as_str())
        .collect();
    assert_eq!(
        raced,
        [format!("race-{winner}")],
        "only the winner's files are stored"
    );
}

fn ingester(id: &str, partitions: Vec<u32>) -> IngesterInfo {
    IngesterInfo {
        id: id.to_owned(),
        address: format!("http://{id}.invalid:8083"),
        partitions,
    }
}

async fn listed(catalog: &dyn Catalog) -> Vec<IngesterInfo> {
    let mut all = catalog.ingesters().await.expect("ingesters");
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all
}

async fn leases(catalog: &dyn Catalog) {
    // etcd rounds TTLs to whole seconds: use 2 s and bounded waits.
    let ttl = Duration::from_secs(2);
    let a = catalog
        .register_ingester(ingester("conf-a", vec![0, 1]), ttl)
        .await
        .expect("register a");
    let b = catalog
        .register_ingester(ingester("conf-b", vec![2]), ttl)
        .await
        .expect("register b");
    assert_eq!(
        listed(catalog).await,
        [ingester("conf-a", vec![0, 1]), ingester("conf-b", vec![2])],
        "registered ingesters are listed"
    );

    a.update(ingester("conf-a", vec![0])).await.expect("update");
    b.release().await.expect("release");
    assert_eq!(
        listed(catalog).await,
        [ingester("conf-a", vec![0])],
        "an update replaces the info; a released lease is gone at once"
    );

    // Kept alive well past its TTL, it stays.
    let start = Instant::now();
    while start.elapsed() < ttl + Duration::from_millis(1500) {
        a.keep_alive().await.expect("keep alive");
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(
        listed(catalog).await,
        [ingester("conf-a", vec![0])],
        "a lease kept alive outlives its TTL"
    );

    // Without keep-alives it expires: bounded wait (TTL + 4 s of backend slack).
    let stopped = Instant::now();
    let deadline = stopped + ttl + Duration::from_secs(4);
    loop {
        if listed(catalog).await.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a lease not kept alive was still listed {:?} after its last keep-alive",
            stopped.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        stopped.elapsed() >= ttl.saturating_sub(Duration::from_millis(500)),
        "a lease must not expire long before its TTL (gone after {:?})",
        stopped.elapsed()
    );
}
