//! The embedded disk backend: conformance, durability across reopen (with and without
//! compaction), torn-tail recovery, corruption detection, and the directory lock.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use auth::{Action, Permission, TokenHash};
use catalog::{
    Catalog, CatalogError, CatalogSnapshot, DatabaseId, DatabaseName, DatabaseOptions,
    DatabaseUpdate, DbrpUpdate, DiskCatalog, DiskOptions, NewDbrp, NewToken, ParquetFileRecord,
    PersistCommit, SchemaUpsert, TableId,
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

/// Everything a reopen must give back.
#[derive(Debug, PartialEq)]
struct Observed {
    snapshot: CatalogSnapshot,
    offsets: BTreeMap<u32, u64>,
    files: BTreeMap<String, Vec<ParquetFileRecord>>,
}

async fn observe(catalog: &DiskCatalog, db: DatabaseId, table: TableId) -> Observed {
    Observed {
        snapshot: catalog.snapshot().await.unwrap(),
        offsets: catalog.persisted_offsets().await.unwrap(),
        files: catalog.parquet_files(db, table).await.unwrap(),
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
