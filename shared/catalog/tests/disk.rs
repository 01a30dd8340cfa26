//! The embedded disk backend: conformance, durability across reopen (with and without
//! compaction; file swaps, retired records and purges included), torn-tail recovery, corruption
//! detection, and the directory lock.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use auth::{Action, Permission, TokenHash};
use catalog::{
    Catalog, CatalogError, CatalogSnapshot, Database, DatabaseId, DatabaseName, DatabaseOptions,
    DatabaseUpdate, DbrpUpdate, DiskCatalog, DiskOptions, FileSwap, NewDbrp, NewToken,
    ParquetFileRecord, PersistCommit, RemovedFile, SchemaUpsert, TableId,
};
use schema::{InfluxColumnType, InfluxFieldType};

const F64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Float);
const I64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Integer);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = DiskCatalog::open(dir.path()).unwrap();
    catalog::conformance::run(Arc::new(catalog)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_conformance_suite_while_compacting_constantly() {
    let dir = tempfile::tempdir().unwrap();
    let options = DiskOptions {
        compact_log_bytes: 256,
    };
    let catalog = DiskCatalog::open_with(dir.path(), options).unwrap();
    catalog::conformance::run(Arc::new(catalog)).await;
    assert!(dir.path().join("snapshot").exists(), "compaction ran");
}

fn name(s: &str) -> DatabaseName {
    DatabaseName::new(s).unwrap()
}

fn token(seed: &str, operator: bool) -> NewToken {
    NewToken {
        hash: TokenHash::of(seed),
        description: seed.to_owned(),
        operator,
        permissions: vec![Permission::database(Action::Write, "keep")],
    }
}

fn file(db: DatabaseId, table: TableId, object: &str) -> ParquetFileRecord {
    ParquetFileRecord {
        object_id: object.into(),
        database_id: db,
        table_id: table,
        partition_key: "2024-03-01".into(),
        path: format!("{}/{}/2024-03-01/{object}.parquet", db.0, table.0),
        size_bytes: 99,
        row_count: 3,
        min_time_ns: 1,
        max_time_ns: 2,
        log_partition: 0,
        min_offset: 0,
        max_offset: 4,
        created_at_ns: 5,
        compaction_level: 0,
    }
}

/// A record the compactor wrote: level 1, no log position.
fn compacted(db: DatabaseId, table: TableId, object: &str) -> ParquetFileRecord {
    ParquetFileRecord {
        log_partition: 0,
        min_offset: 0,
        max_offset: 0,
        compaction_level: 1,
        ..file(db, table, object)
    }
}

fn swap(remove: &[&ParquetFileRecord], add: &[&ParquetFileRecord]) -> FileSwap {
    let first = remove[0];
    FileSwap {
        database_id: first.database_id,
        table_id: first.table_id,
        partition_key: first.partition_key.clone(),
        remove: remove.iter().map(|r| (*r).clone()).collect(),
        add: add.iter().map(|r| (*r).clone()).collect(),
    }
}

/// Everything a reopen must give back.
#[derive(Debug, PartialEq)]
struct Observed {
    snapshot: CatalogSnapshot,
    offsets: BTreeMap<u32, u64>,
    files: BTreeMap<String, Vec<ParquetFileRecord>>,
    all_files: Vec<ParquetFileRecord>,
    removed: Vec<RemovedFile>,
    deleted: Vec<Database>,
}

async fn observe(catalog: &DiskCatalog, db: DatabaseId, table: TableId) -> Observed {
    Observed {
        snapshot: catalog.snapshot().await.unwrap(),
        offsets: catalog.persisted_offsets().await.unwrap(),
        files: catalog.parquet_files(db, table).await.unwrap(),
        all_files: catalog.all_parquet_files().await.unwrap(),
        removed: catalog.removed_files().await.unwrap(),
        deleted: catalog.deleted_databases().await.unwrap(),
    }
}

/// A catalog with one of everything; returns the kept database and its table.
async fn populate(catalog: &DiskCatalog) -> (DatabaseId, TableId) {
    let keep = catalog
        .create_database(&name("keep"), DatabaseOptions::default())
        .await
        .unwrap();
    let update = DatabaseUpdate {
        retention_period: Some(Some(Duration::from_secs(86_400))),
        limits: None,
    };
    catalog.update_database(keep.id, update).await.unwrap();
    let gone = catalog
        .create_database(&name("gone"), DatabaseOptions::default())
        .await
        .unwrap();
    // DBRP mappings: one updated, one deleted, one taken along by its database's deletion.
    let mapping = |rp: &str, target: DatabaseId| NewDbrp {
        database: "v1db".into(),
        retention_policy: rp.into(),
        default: false,
        target,
    };
    catalog
        .create_dbrp(mapping("autogen", keep.id))
        .await
        .unwrap();
    let weekly = catalog
        .create_dbrp(mapping("weekly", keep.id))
        .await
        .unwrap();
    let promote = DbrpUpdate {
        retention_policy: Some("seven_days".into()),
        default: Some(true),
    };
    catalog.update_dbrp(weekly.id, promote).await.unwrap();
    let dropped = catalog
        .create_dbrp(mapping("dropped", keep.id))
        .await
        .unwrap();
    catalog.delete_dbrp(dropped.id).await.unwrap();
    catalog
        .create_dbrp(mapping("on_gone", gone.id))
        .await
        .unwrap();
    catalog.delete_database(gone.id).await.unwrap();
    let mut up = SchemaUpsert::new();
    up.add("cpu", "host", InfluxColumnType::Tag).unwrap();
    up.add("cpu", "usage", F64).unwrap();
    let schema = catalog.upsert_schema(keep.id, &up).await.unwrap();
    let table = schema.tables["cpu"].id;
    catalog.create_token(token("operator", true)).await.unwrap();
    let revoked = catalog.create_token(token("revoked", false)).await.unwrap();
    catalog.revoke_token(revoked.id).await.unwrap();
    let deleted = catalog.create_token(token("deleted", false)).await.unwrap();
    catalog.delete_token(deleted.id).await.unwrap();
    let commit = PersistCommit {
        log_partition: 0,
        expected_offset: None,
        new_offset: 4,
        files: vec![file(keep.id, table, "obj-1")],
    };
    catalog.commit_persist(commit).await.unwrap();
    // Files of log partition 5, compacted into a level-1 file (log partition 0 of no commit);
    // one more retired by retention and purged; one retired and kept for the collector.
    let (two, three, four, five) = (
        file(keep.id, table, "obj-2"),
        file(keep.id, table, "obj-3"),
        file(keep.id, table, "obj-4"),
        file(keep.id, table, "obj-5"),
    );
    let commit = PersistCommit {
        log_partition: 5,
        expected_offset: None,
        new_offset: 8,
        files: vec![two.clone(), three.clone(), four.clone(), five.clone()],
    };
    catalog.commit_persist(commit).await.unwrap();
    let merged = compacted(keep.id, table, "obj-c");
    catalog
        .replace_files(swap(&[&two, &three], &[&merged]))
        .await
        .unwrap();
    catalog.replace_files(swap(&[&four], &[])).await.unwrap();
    catalog.replace_files(swap(&[&five], &[])).await.unwrap();
    catalog
        .purge_removed_files(&["obj-4".to_owned()])
        .await
        .unwrap();
    (keep.id, table)
}

#[tokio::test]
async fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = DiskCatalog::open(dir.path()).unwrap();
    let (db, table) = populate(&catalog).await;
    let before = observe(&catalog, db, table).await;
    drop(catalog);

    let catalog = DiskCatalog::open(dir.path()).unwrap();
    let after = observe(&catalog, db, table).await;
    assert_eq!(
        after, before,
        "databases, schema, tokens, offsets, files, revision"
    );
    assert_eq!(before.snapshot.tokens.len(), 2);
    let mappings: Vec<(&str, bool)> = before
        .snapshot
        .dbrps
        .iter()
        .map(|d| (d.retention_policy.as_str(), d.default))
        .collect();
    assert_eq!(mappings, [("autogen", false), ("seven_days", true)]);
    assert!(before.snapshot.tokens.iter().any(|t| t.revoked));
    assert_eq!(before.files.len(), 1);
    let live: Vec<&str> = before.files["2024-03-01"]
        .iter()
        .map(|f| f.object_id.as_str())
        .collect();
    assert_eq!(
        live,
        ["obj-c", "obj-1"],
        "the swap's result, in write order"
    );
    let retired: Vec<&str> = before
        .removed
        .iter()
        .map(|r| r.record.object_id.as_str())
        .collect();
    assert_eq!(
        retired,
        ["obj-2", "obj-3", "obj-5"],
        "retired, obj-4 purged"
    );
    assert_eq!(before.deleted.len(), 1, "the database \"gone\"");

    // The schema survived: a conflicting type is still rejected.
    let mut conflict = SchemaUpsert::new();
    conflict.add("cpu", "usage", I64).unwrap();
    let err = catalog.upsert_schema(db, &conflict).await.unwrap_err();
    assert!(matches!(err, CatalogError::SchemaConflict { .. }), "{err}");
    // Ids are never reused after a reopen, not even those of deleted records.
    let new_db = catalog
        .create_database(&name("new"), DatabaseOptions::default())
        .await
        .unwrap();
    let new_token = catalog.create_token(token("new", false)).await.unwrap();
    let max_old = before.snapshot.tokens.iter().map(|t| t.id.0).max().unwrap();
    assert!(new_db.id.0 > max_old + 1 && new_token.id.0 > new_db.id.0);
    // The persisted offset is still the compare-and-swap base.
    let stale = PersistCommit {
        log_partition: 0,
        expected_offset: None,
        new_offset: 9,
        files: vec![],
    };
    assert!(matches!(
        catalog.commit_persist(stale).await,
        Err(CatalogError::OffsetConflict {
            actual: Some(4),
            ..
        })
    ));
}

#[tokio::test]
async fn reopen_after_compactions_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let options = DiskOptions {
        compact_log_bytes: 300,
    };
    let catalog = DiskCatalog::open_with(dir.path(), options).unwrap();
    let (db, table) = populate(&catalog).await;
    for i in 0..20 {
        let mut up = SchemaUpsert::new();
        up.add("cpu", &format!("c{i}"), F64).unwrap();
        catalog.upsert_schema(db, &up).await.unwrap();
    }
    let before = observe(&catalog, db, table).await;
    drop(catalog);
    let logs = log_files(dir.path());
    assert_eq!(logs.len(), 1, "one live log after compactions: {logs:?}");
    assert_ne!(logs[0], "log.0", "compaction moved to a later generation");

    let catalog = DiskCatalog::open_with(dir.path(), options).unwrap();
    assert_eq!(observe(&catalog, db, table).await, before);
    catalog
        .create_token(token("after-reopen", false))
        .await
        .unwrap();
    let before = observe(&catalog, db, table).await;
    drop(catalog);
    let catalog = DiskCatalog::open(dir.path()).unwrap();
    assert_eq!(observe(&catalog, db, table).await, before);
}

/// Compacted files name no log partition with an offset, and retired records belong to no
/// commit: a snapshot must still carry both (and the purges and swaps after it replay).
#[tokio::test]
async fn file_swaps_and_purges_survive_snapshots_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let options = DiskOptions {
        compact_log_bytes: 1,
    };
    let catalog = DiskCatalog::open_with(dir.path(), options).unwrap();
    let db = catalog
        .create_database(&name("files"), DatabaseOptions::default())
        .await
        .unwrap();
    let mut up = SchemaUpsert::new();
    up.add("cpu", "usage", F64).unwrap();
    let table = catalog.upsert_schema(db.id, &up).await.unwrap().tables["cpu"].id;
    let level0: Vec<ParquetFileRecord> = (0..4)
        .map(|i| ParquetFileRecord {
            log_partition: 3,
            min_offset: i,
            ..file(db.id, table, &format!("f-{i}"))
        })
        .collect();
    let commit = PersistCommit {
        log_partition: 3,
        expected_offset: None,
        new_offset: 4,
        files: level0.clone(),
    };
    catalog.commit_persist(commit).await.unwrap();
    let merged = compacted(db.id, table, "c-1");
    catalog
        .replace_files(swap(&[&level0[0], &level0[1]], &[&merged]))
        .await
        .unwrap();
    let merged_again = ParquetFileRecord {
        compaction_level: 2,
        ..compacted(db.id, table, "c-2")
    };
    catalog
        .replace_files(swap(&[&merged, &level0[2]], &[&merged_again]))
        .await
        .unwrap();
    // Small changes until a compaction writes the swaps' result into the snapshot.
    let snapshot = dir.path().join("snapshot");
    let in_snapshot = |what: &str| {
        let bytes = std::fs::read(&snapshot).unwrap_or_default();
        bytes.windows(what.len()).any(|w| w == what.as_bytes())
    };
    for i in 0..100 {
        if in_snapshot("\"c-2\"") {
            break;
        }
        catalog
            .create_token(token(&format!("filler-{i}"), false))
            .await
            .unwrap();
    }
    assert!(
        in_snapshot("\"c-2\"") && in_snapshot("\"f-0\""),
        "a snapshot holds the swaps"
    );
    let before = observe(&catalog, db.id, table).await;
    drop(catalog);

    let catalog = DiskCatalog::open(dir.path()).unwrap();
    assert_eq!(observe(&catalog, db.id, table).await, before);
    let live: Vec<&str> = before.files["2024-03-01"]
        .iter()
        .map(|f| f.object_id.as_str())
        .collect();
    assert_eq!(live, ["c-2", "f-3"]);
    let retired: Vec<&str> = before
        .removed
        .iter()
        .map(|r| r.record.object_id.as_str())
        .collect();
    assert_eq!(retired, ["f-0", "f-1", "c-1", "f-2"]);
    // Swaps are still checked against the reopened state.
    assert!(matches!(
        catalog.replace_files(swap(&[&level0[0]], &[])).await,
        Err(CatalogError::FilesChanged { .. })
    ));

    // Purges, then the database's deletion and the purge of its files, replayed from the log.
    catalog
        .purge_removed_files(&["f-0".to_owned(), "c-1".to_owned()])
        .await
        .unwrap();
    let before = observe(&catalog, db.id, table).await;
    assert_eq!(before.removed.len(), 2);
    drop(catalog);
    let catalog = DiskCatalog::open(dir.path()).unwrap();
    assert_eq!(observe(&catalog, db.id, table).await, before);
    catalog.delete_database(db.id).await.unwrap();
    catalog.purge_database_files(db.id).await.unwrap();
    let before = observe(&catalog, db.id, table).await;
    assert!(before.all_files.is_empty() && before.removed.is_empty());
    assert_eq!(before.deleted.len(), 1);
    drop(catalog);
    let catalog = DiskCatalog::open(dir.path()).unwrap();
    assert_eq!(observe(&catalog, db.id, table).await, before);
}

fn log_files(dir: &Path) -> Vec<String> {
    let mut logs: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("log."))
        .collect();
    logs.sort();
    logs
}

#[tokio::test]
async fn a_torn_last_record_is_dropped_and_what_precedes_it_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = DiskCatalog::open(dir.path()).unwrap();
    let (db, table) = populate(&catalog).await;
    let before_last = observe(&catalog, db, table).await;
    catalog.create_token(token("last", false)).await.unwrap();
    drop(catalog);

    let log = dir.path().join("log.0");
    let len = std::fs::metadata(&log).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    file.set_len(len - 3).unwrap();
    drop(file);

    let catalog = DiskCatalog::open(dir.path()).unwrap();
    assert_eq!(observe(&catalog, db, table).await, before_last);
    // The tail was cut for good: new records follow valid ones and survive a reopen.
    catalog.create_token(token("after", false)).await.unwrap();
    let expected = observe(&catalog, db, table).await;
    drop(catalog);
    let catalog = DiskCatalog::open(dir.path()).unwrap();
    assert_eq!(observe(&catalog, db, table).await, expected);
    let hash = TokenHash::of("after");
    assert!(catalog.token_by_hash(&hash).await.unwrap().is_some());
    assert!(
        catalog
            .token_by_hash(&TokenHash::of("last"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_damaged_record_in_the_middle_is_a_corruption_error() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = DiskCatalog::open(dir.path()).unwrap();
    populate(&catalog).await;
    drop(catalog);

    let log = dir.path().join("log.0");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[12] ^= 0x01; // inside the first record's payload
    std::fs::write(&log, &bytes).unwrap();
    let err = DiskCatalog::open(dir.path()).unwrap_err();
    let CatalogError::Corrupt { key, reason } = &err else {
        panic!("expected Corrupt, got {err:?}");
    };
    assert!(key.ends_with("log.0 at byte 0"), "{key}");
    assert!(reason.starts_with("checksum mismatch"), "{reason}");
    // Nothing was "repaired": the damaged file is left as it was.
    assert_eq!(std::fs::read(&log).unwrap(), bytes);
}

#[tokio::test]
async fn a_damaged_snapshot_is_a_corruption_error() {
    let dir = tempfile::tempdir().unwrap();
    let options = DiskOptions {
        compact_log_bytes: 200,
    };
    let catalog = DiskCatalog::open_with(dir.path(), options).unwrap();
    populate(&catalog).await;
    drop(catalog);

    let snapshot = dir.path().join("snapshot");
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 0x20;
    std::fs::write(&snapshot, &bytes).unwrap();
    let err = DiskCatalog::open(dir.path()).unwrap_err();
    assert!(
        matches!(&err, CatalogError::Corrupt { key, .. } if key.contains("snapshot")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_second_opener_is_refused_while_the_first_holds_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let first = DiskCatalog::open(dir.path()).unwrap();
    let err = DiskCatalog::open(dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "catalog unavailable: catalog directory {} is in use by another process (a running `quiver serve`?); stop it, or manage the catalog through that server's HTTP API",
            dir.path().display()
        )
    );
    drop(first);
    DiskCatalog::open(dir.path()).expect("free again once the first is closed");
}
