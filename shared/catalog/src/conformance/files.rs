//! File swaps (compaction, retention) and what the garbage collector reads and purges: the
//! write order of `parquet_files`, `replace_files` with every refusal (none changes anything),
//! the largest swaps one etcd transaction takes, racing swaps, retired records and their purge,
//! deleted databases and the purge of their files.
//!
//! ```text
//! run ──► write_order      (levels 2, 1, 0; then log partition, offset, creation, object id)
//!     ──► swaps            (retire + add, removed_at_ns = now, FilesChanged, refusals, retention)
//!     ──► largest_swaps    (2 × retired + added = MAX_SWAP_OPS, both ways)
//!     ──► racing_swaps     (8 swaps retiring the same record: exactly one wins)
//!     ──► purges           (> 128 retired records at once; unknown ids ignored, live untouched)
//!     ──► deleted_databases (listed by id, still referenced, purged with their files)
//! ```
//!
//! Every check filters by its own database: the suite shares one catalog.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::future::join_all;

use super::name;
use super::schema::F64;
use crate::{
    Catalog, CatalogError, DatabaseId, DatabaseOptions, FileSwap, MAX_SWAP_OPS, ParquetFileRecord,
    PersistCommit, RemovedFile, SchemaUpsert, TableId,
};

pub(super) async fn run(catalog: Arc<dyn Catalog>) {
    write_order(catalog.as_ref()).await;
    swaps(catalog.as_ref()).await;
    let big = largest_swaps(catalog.as_ref()).await;
    racing_swaps(Arc::clone(&catalog)).await;
    purges(catalog.as_ref(), big).await;
    deleted_databases(catalog.as_ref()).await;
}

/// A database with one table `t`.
async fn setup(catalog: &dyn Catalog, db: &str) -> (DatabaseId, TableId) {
    let db = catalog
        .create_database(&name(db), DatabaseOptions::default())
        .await
        .expect("create");
    let mut up = SchemaUpsert::new();
    up.add("t", "v", F64).expect("add");
    let schema = catalog.upsert_schema(db.id, &up).await.expect("upsert");
    (db.id, schema.tables["t"].id)
}

/// A level-0 record of log `partition` from `offset`, created at `created`.
fn level0(
    (db, table): (DatabaseId, TableId),
    key: &str,
    object: &str,
    partition: u32,
    offset: u64,
    created: i64,
) -> ParquetFileRecord {
    ParquetFileRecord {
        object_id: object.to_owned(),
        database_id: db,
        table_id: table,
        partition_key: key.to_owned(),
        path: format!("{}/{}/{key}/{object}.parquet", db.0, table.0),
        size_bytes: 2048,
        row_count: 100,
        min_time_ns: 1_700_000_000_000_000_000,
        max_time_ns: 1_700_000_003_000_000_000,
        log_partition: partition,
        min_offset: offset,
        max_offset: offset + 1,
        created_at_ns: created,
        compaction_level: 0,
    }
}

/// A record the compactor wrote (log fields 0).
fn compacted(
    table: (DatabaseId, TableId),
    key: &str,
    object: &str,
    level: u8,
    created: i64,
) -> ParquetFileRecord {
    ParquetFileRecord {
        compaction_level: level,
        ..level0(table, key, object, 0, 0, created)
    }
}

/// Commits level-0 `files`, one commit per log partition, each from its current offset.
async fn commit(catalog: &dyn Catalog, files: Vec<ParquetFileRecord>) {
    let mut by_partition: BTreeMap<u32, Vec<ParquetFileRecord>> = BTreeMap::new();
    for file in files {
        by_partition
            .entry(file.log_partition)
            .or_default()
            .push(file);
    }
    for (partition, files) in by_partition {
        let expected = catalog
            .persisted_offsets()
            .await
            .expect("offsets")
            .get(&partition)
            .copied();
        let commit = PersistCommit {
            log_partition: partition,
            expected_offset: expected,
            new_offset: expected.map_or(0, |o| o + 1) + files.len() as u64,
            files,
        };
        catalog.commit_persist(commit).await.expect("commit");
    }
}

fn swap(
    (db, table): (DatabaseId, TableId),
    key: &str,
    remove: &[&ParquetFileRecord],
    add: &[&ParquetFileRecord],
) -> FileSwap {
    FileSwap {
        database_id: db,
        table_id: table,
        partition_key: key.to_owned(),
        remove: remove.iter().map(|r| (*r).clone()).collect(),
        add: add.iter().map(|r| (*r).clone()).collect(),
    }
}

fn ids(records: &[ParquetFileRecord]) -> Vec<&str> {
    records.iter().map(|r| r.object_id.as_str()).collect()
}

/// The retired records of one database.
async fn removed_of(catalog: &dyn Catalog, db: DatabaseId) -> Vec<RemovedFile> {
    let all = catalog.removed_files().await.expect("removed files");
    assert!(
        all.windows(2)
            .all(|w| w[0].removed_at_ns <= w[1].removed_at_ns),
        "removed_files is ordered by removed_at_ns"
    );
    all.into_iter()
        .filter(|r| r.record.database_id == db)
        .collect()
}

/// The live records of one database, as `all_parquet_files` lists them.
async fn all_of(catalog: &dyn Catalog, db: DatabaseId) -> Vec<ParquetFileRecord> {
    let all = catalog.all_parquet_files().await.expect("all files");
    let in_order = |a: &ParquetFileRecord, b: &ParquetFileRecord| {
        (a.database_id, a.table_id, &a.partition_key, a.write_order())
            <= (b.database_id, b.table_id, &b.partition_key, b.write_order())
    };
    assert!(
        all.windows(2).all(|w| in_order(&w[0], &w[1])),
        "all_parquet_files is ordered by database, table, partition key, write order"
    );
    all.into_iter().filter(|r| r.database_id == db).collect()
}

/// The live and retired records of one table's database.
async fn state(
    catalog: &dyn Catalog,
    (db, table): (DatabaseId, TableId),
) -> (BTreeMap<String, Vec<ParquetFileRecord>>, Vec<RemovedFile>) {
    (
        catalog.parquet_files(db, table).await.expect("files"),
        removed_of(catalog, db).await,
    )
}

fn now_ns() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_nanos()).expect("ns fit i64")
}

async fn write_order(catalog: &dyn Catalog) {
    let table = setup(catalog, "conf_files_order").await;
    let key = "2024-06-01";
    let a = level0(table, key, "o-a", 11, 5, 10);
    let b = level0(table, key, "o-b", 10, 9, 10);
    let c = level0(table, key, "o-c", 10, 2, 30);
    let d = level0(table, key, "o-d", 10, 2, 20);
    commit(catalog, vec![a.clone()]).await;
    commit(catalog, vec![b.clone(), c.clone(), d.clone()]).await;
    let files = catalog
        .parquet_files(table.0, table.1)
        .await
        .expect("files");
    assert_eq!(
        ids(&files[key]),
        ["o-d", "o-c", "o-b", "o-a"],
        "level-0 files in write order: log partition, first offset, creation time"
    );

    let l2 = compacted(table, key, "o-l2", 2, 50);
    let l1_late_y = compacted(table, key, "o-l1-y", 1, 40);
    let l1_late_x = compacted(table, key, "o-l1-x", 1, 40);
    let l1_early = compacted(table, key, "o-l1-early", 1, 5);
    let merge = swap(
        table,
        key,
        &[&d, &c],
        &[&l1_late_y, &l2, &l1_early, &l1_late_x],
    );
    catalog.replace_files(merge).await.expect("swap");
    let files = catalog
        .parquet_files(table.0, table.1)
        .await
        .expect("files");
    assert_eq!(
        ids(&files[key]),
        ["o-l2", "o-l1-early", "o-l1-x", "o-l1-y", "o-b", "o-a"],
        "level 2 before level 1 before level 0; compacted files by creation time, then object id"
    );
    let sorted = {
        let mut v = files[key].clone();
        v.sort_by(|x, y| x.write_order().cmp(&y.write_order()));
        v
    };
    assert_eq!(files[key], sorted, "parquet_files uses write_order");
    assert_eq!(
        all_of(catalog, table.0).await,
        files[key],
        "all_parquet_files lists the live records in the same order"
    );
}

async fn swaps(catalog: &dyn Catalog) {
    let table = setup(catalog, "conf_files_swap").await;
    let (key, other_key) = ("2024-07-01", "2024-07-02");
    let x1 = level0(table, key, "s-x1", 20, 0, 1);
    let x2 = level0(table, key, "s-x2", 20, 1, 2);
    let x3 = level0(table, key, "s-x3", 20, 2, 3);
    let y1 = level0(table, other_key, "s-y1", 20, 3, 4);
    commit(
        catalog,
        vec![x1.clone(), x2.clone(), x3.clone(), y1.clone()],
    )
    .await;

    let c1 = compacted(table, key, "s-c1", 1, 10);
    let before = now_ns();
    catalog
        .replace_files(swap(table, key, &[&x1, &x2], &[&c1]))
        .await
        .expect("a swap of live records");
    let after = now_ns();
    let files = catalog
        .parquet_files(table.0, table.1)
        .await
        .expect("files");
    assert_eq!(ids(&files[key]), ["s-c1", "s-x3"], "retired out, added in");
    assert_eq!(
        files[other_key],
        std::slice::from_ref(&y1),
        "other keys untouched"
    );
    let removed = removed_of(catalog, table.0).await;
    let records: Vec<&ParquetFileRecord> = removed.iter().map(|r| &r.record).collect();
    assert_eq!(
        records,
        [&x1, &x2],
        "the retired records, as they were live"
    );
    for r in &removed {
        assert!(
            (before..=after).contains(&r.removed_at_ns),
            "removed_at_ns {} is the time of the swap, within [{before}, {after}]",
            r.removed_at_ns
        );
    }

    // Refusals: each changes nothing.
    let unchanged = state(catalog, table).await;
    let c2 = compacted(table, key, "s-c2", 1, 11);
    let stale = catalog
        .replace_files(swap(table, key, &[&x1], &[&c2]))
        .await;
    assert_eq!(
        stale,
        Err(CatalogError::FilesChanged {
            database_id: table.0.0,
            table_id: table.1.0,
            partition_key: key.to_owned(),
            object_id: "s-x1".to_owned(),
        }),
        "a retired record cannot be retired again"
    );
    assert_eq!(
        stale.unwrap_err().to_string(),
        format!(
            "file record s-x1 of database {}, table {}, partition key \"2024-07-01\" is no longer live (another swap or a retention drop retired it, or it was never committed); the file swap changed nothing: re-read the files and plan again",
            table.0.0, table.1.0
        )
    );
    let ghost = level0(table, key, "s-ghost", 20, 9, 9);
    let partly = catalog
        .replace_files(swap(table, key, &[&x3, &x2, &ghost], &[&c2]))
        .await;
    assert!(
        matches!(&partly, Err(CatalogError::FilesChanged { object_id, .. }) if object_id == "s-x2"),
        "FilesChanged names the first record that is not live: {partly:?}"
    );
    assert_eq!(
        state(catalog, table).await,
        unchanged,
        "a lost swap changes nothing"
    );

    let invalid = |r: Result<(), CatalogError>, what: &str| {
        assert!(
            matches!(r, Err(CatalogError::InvalidFileSwap { .. })),
            "{what} must be refused as an invalid swap, got {r:?}"
        );
    };
    let c3 = compacted(table, key, "s-c3", 1, 12);
    let cases: Vec<(FileSwap, &str)> = vec![
        (swap(table, key, &[], &[&c3]), "a swap retiring nothing"),
        (swap(table, key, &[], &[]), "an empty swap"),
        (
            swap(table, key, &[&x3, &x3], &[&c3]),
            "a record retired twice",
        ),
        (
            swap(table, key, &[&x3], &[&c3, &c3]),
            "a record added twice",
        ),
        (
            swap(table, key, &[&x3], &[&x3]),
            "a record retired and added",
        ),
        (
            swap(table, key, &[&y1], &[]),
            "a record of another partition key",
        ),
        (
            swap(table, other_key, &[&y1], &[&c3]),
            "an added record of another partition key",
        ),
        (
            swap((table.0, TableId(table.1.0 + 1)), key, &[&x3], &[]),
            "a record of another table",
        ),
    ];
    for (case, what) in cases {
        invalid(catalog.replace_files(case).await, what);
    }
    let many: Vec<ParquetFileRecord> = (0..MAX_SWAP_OPS / 2 + 1)
        .map(|i| level0(table, key, &format!("s-many-{i}"), 20, 100 + i as u64, 1))
        .collect();
    let too_many = FileSwap {
        remove: many,
        ..swap(table, key, &[], &[])
    };
    assert_eq!(too_many.ops(), MAX_SWAP_OPS + 2);
    invalid(
        catalog.replace_files(too_many).await,
        "a swap retiring 61 records",
    );
    let added: Vec<ParquetFileRecord> = (0..MAX_SWAP_OPS - 1)
        .map(|i| compacted(table, key, &format!("s-add-{i}"), 1, 1))
        .collect();
    let too_big = FileSwap {
        add: added,
        ..swap(table, key, &[&x3], &[])
    };
    assert_eq!(too_big.ops(), MAX_SWAP_OPS + 1);
    assert_eq!(
        catalog
            .replace_files(too_big)
            .await
            .unwrap_err()
            .to_string(),
        "invalid file swap: it retires 1 and adds 119 file records, 121 operations (2 per retired record, 1 per added one), more than the 120 of one swap; split it"
    );
    let live_again = catalog
        .replace_files(swap(table, key, &[&x3], &[&c1]))
        .await;
    assert_eq!(
        live_again,
        Err(CatalogError::FileAlreadyExists {
            database_id: table.0.0,
            table_id: table.1.0,
            partition_key: key.to_owned(),
            object_id: "s-c1".to_owned(),
        }),
        "an added object id that is live is refused"
    );
    let retired_again = catalog
        .replace_files(swap(table, key, &[&x3], &[&c3, &x1]))
        .await;
    assert!(
        matches!(&retired_again, Err(CatalogError::FileAlreadyExists { object_id, .. }) if object_id == "s-x1"),
        "an added object id that is retired is refused: {retired_again:?}"
    );
    assert_eq!(
        state(catalog, table).await,
        unchanged,
        "refused swaps change nothing"
    );

    // Retention: retire without replacement; the emptied partition key disappears.
    catalog
        .replace_files(swap(table, other_key, &[&y1], &[]))
        .await
        .expect("a drop");
    let files = catalog
        .parquet_files(table.0, table.1)
        .await
        .expect("files");
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        [key],
        "a partition key without live records is not listed"
    );
    let removed = removed_of(catalog, table.0).await;
    assert_eq!(
        removed
            .iter()
            .map(|r| r.record.object_id.as_str())
            .collect::<Vec<_>>(),
        ["s-x1", "s-x2", "s-y1"],
        "retired records accumulate, ordered by retirement"
    );
    assert_eq!(
        ids(&all_of(catalog, table.0).await),
        ["s-c1", "s-x3"],
        "all_parquet_files lists live records only"
    );
}

/// Swaps of exactly MAX_SWAP_OPS both ways (etcd: one transaction each). Returns the database
/// and table, whose 61 retired records `purges` forgets.
async fn largest_swaps(catalog: &dyn Catalog) -> (DatabaseId, TableId) {
    let table = setup(catalog, "conf_files_big").await;
    let key = "2024-08-01";
    let files: Vec<ParquetFileRecord> = (0..MAX_SWAP_OPS as u64 / 2)
        .map(|i| level0(table, key, &format!("b-{i:03}"), 30, i, 1))
        .collect();
    commit(catalog, files.clone()).await;
    let all: Vec<&ParquetFileRecord> = files.iter().collect();
    let drop_all = swap(table, key, &all, &[]);
    assert_eq!(drop_all.ops(), MAX_SWAP_OPS);
    catalog
        .replace_files(drop_all)
        .await
        .expect("retiring 60 records in one swap");
    assert!(
        catalog
            .parquet_files(table.0, table.1)
            .await
            .expect("files")
            .is_empty()
    );

    let z = level0(table, key, "b-z", 30, 100, 2);
    commit(catalog, vec![z.clone()]).await;
    let added: Vec<ParquetFileRecord> = (0..MAX_SWAP_OPS - 2)
        .map(|i| compacted(table, key, &format!("b-c{i:03}"), 1, 3))
        .collect();
    let split = FileSwap {
        add: added.clone(),
        ..swap(table, key, &[&z], &[])
    };
    assert_eq!(split.ops(), MAX_SWAP_OPS);
    catalog
        .replace_files(split)
        .await
        .expect("retiring 1 record for 118 in one swap");
    let files = catalog
        .parquet_files(table.0, table.1)
        .await
        .expect("files");
    assert_eq!(files[key], added);
    assert_eq!(removed_of(catalog, table.0).await.len(), 61);
    table
}

/// Swaps racing to retire the same record: exactly one wins, the others change nothing.
async fn racing_swaps(catalog: Arc<dyn Catalog>) {
    let table = setup(catalog.as_ref(), "conf_files_race").await;
    let key = "2024-09-01";
    let contested = level0(table, key, "r-0", 40, 0, 1);
    commit(catalog.as_ref(), vec![contested.clone()]).await;
    let tasks = (0..8).map(|i| {
        let catalog = Arc::clone(&catalog);
        let s = swap(
            table,
            key,
            &[&contested],
            &[&compacted(table, key, &format!("r-c{i}"), 1, 5)],
        );
        tokio::spawn(async move { (i, catalog.replace_files(s).await) })
    });
    let mut winner = None;
    for result in join_all(tasks).await {
        match result.expect("task") {
            (i, Ok(())) => {
                assert!(winner.is_none(), "two swaps retired the same record");
                winner = Some(i);
            }
            (_, Err(CatalogError::FilesChanged { object_id, .. })) => {
                assert_eq!(object_id, "r-0");
            }
            (_, Err(e)) => panic!("a racing swap failed with {e:?}"),
        }
    }
    let winner = winner.expect("one swap wins");
    let files = catalog
        .parquet_files(table.0, table.1)
        .await
        .expect("files");
    assert_eq!(ids(&files[key]), [format!("r-c{winner}")]);
    let removed = removed_of(catalog.as_ref(), table.0).await;
    assert_eq!(removed.len(), 1, "the contested record is retired once");
}

/// Forgets more retired records than one etcd transaction deletes.
async fn purges(catalog: &dyn Catalog, table: (DatabaseId, TableId)) {
    let key = "2024-08-02";
    let files: Vec<ParquetFileRecord> = (0..MAX_SWAP_OPS as u64)
        .map(|i| level0(table, key, &format!("p-{i:03}"), 31, i, 1))
        .collect();
    commit(catalog, files.clone()).await;
    for half in files.chunks(MAX_SWAP_OPS / 2) {
        let half: Vec<&ParquetFileRecord> = half.iter().collect();
        catalog
            .replace_files(swap(table, key, &half, &[]))
            .await
            .expect("retire");
    }
    let retired = removed_of(catalog, table.0).await;
    assert_eq!(retired.len(), 61 + MAX_SWAP_OPS);
    let live_before = catalog.all_parquet_files().await.expect("all files");
    let removed_elsewhere: Vec<RemovedFile> = catalog
        .removed_files()
        .await
        .expect("removed")
        .into_iter()
        .filter(|r| r.record.database_id != table.0)
        .collect();
    assert!(
        !removed_elsewhere.is_empty(),
        "other checks retired records"
    );

    catalog.purge_removed_files(&[]).await.expect("no ids");
    let mut doomed: Vec<String> = retired.iter().map(|r| r.record.object_id.clone()).collect();
    doomed.push("p-unknown".to_owned());
    doomed.push(live_before[0].object_id.clone());
    catalog
        .purge_removed_files(&doomed)
        .await
        .expect("purge 181 retired records");
    assert!(
        removed_of(catalog, table.0).await.is_empty(),
        "every named retired record is forgotten"
    );
    assert_eq!(
        catalog.all_parquet_files().await.expect("all files"),
        live_before,
        "purging never touches live records, even when named"
    );
    let still: Vec<RemovedFile> = catalog
        .removed_files()
        .await
        .expect("removed")
        .into_iter()
        .filter(|r| r.record.database_id != table.0)
        .collect();
    assert_eq!(still, removed_elsewhere, "unnamed retired records stay");
    catalog
        .purge_removed_files(&doomed)
        .await
        .expect("purging again is harmless");
}

async fn deleted_databases(catalog: &dyn Catalog) {
    let table = setup(catalog, "conf_files_gone").await;
    let key = "2024-10-01";
    let g1 = level0(table, key, "g-1", 50, 0, 1);
    let g2 = level0(table, key, "g-2", 50, 1, 2);
    commit(catalog, vec![g1.clone(), g2.clone()]).await;
    let g3 = compacted(table, key, "g-3", 1, 3);
    catalog
        .replace_files(swap(table, key, &[&g1], &[&g3]))
        .await
        .expect("swap");

    assert_eq!(
        catalog.purge_database_files(table.0).await,
        Err(CatalogError::DatabaseNotDeleted { id: table.0.0 }),
        "the files of a live database are never purged"
    );
    assert_eq!(
        catalog
            .purge_database_files(table.0)
            .await
            .unwrap_err()
            .to_string(),
        format!(
            "database id {} is not deleted: only the file records of a deleted database can be purged",
            table.0.0
        )
    );
    let unknown = DatabaseId(table.0.0 + 1_000_000);
    assert_eq!(
        catalog.purge_database_files(unknown).await,
        Err(CatalogError::DatabaseIdNotFound { id: unknown.0 })
    );
    assert_eq!(ids(&all_of(catalog, table.0).await), ["g-3", "g-2"]);
    assert!(
        !catalog
            .deleted_databases()
            .await
            .expect("deleted")
            .iter()
            .any(|db| db.id == table.0),
        "a live database is not listed as deleted"
    );

    let deleted = catalog.delete_database(table.0).await.expect("delete");
    let listed = catalog.deleted_databases().await.expect("deleted");
    assert!(listed.contains(&deleted), "the deleted record is listed");
    assert!(
        listed.windows(2).all(|w| w[0].id < w[1].id),
        "ordered by id"
    );
    assert!(listed.iter().all(|db| db.deleted_at_ns.is_some()));
    let live = catalog.list_databases().await.expect("list");
    assert!(
        !listed.iter().any(|d| live.iter().any(|l| l.id == d.id)),
        "no live database is listed as deleted"
    );
    assert_eq!(
        ids(&all_of(catalog, table.0).await),
        ["g-3", "g-2"],
        "the live records of a deleted database still count as references"
    );
    assert_eq!(removed_of(catalog, table.0).await.len(), 1);

    let others_live: Vec<ParquetFileRecord> = catalog
        .all_parquet_files()
        .await
        .expect("all")
        .into_iter()
        .filter(|r| r.database_id != table.0)
        .collect();
    let others_removed: Vec<RemovedFile> = catalog
        .removed_files()
        .await
        .expect("removed")
        .into_iter()
        .filter(|r| r.record.database_id != table.0)
        .collect();
    catalog
        .purge_database_files(table.0)
        .await
        .expect("purge a deleted database's files");
    assert!(
        all_of(catalog, table.0).await.is_empty(),
        "live records gone"
    );
    assert!(
        removed_of(catalog, table.0).await.is_empty(),
        "retired records gone"
    );
    assert_eq!(
        catalog.all_parquet_files().await.expect("all"),
        others_live,
        "other databases keep their live records"
    );
    assert_eq!(
        catalog.removed_files().await.expect("removed"),
        others_removed,
        "other databases keep their retired records"
    );
    catalog
        .purge_database_files(table.0)
        .await
        .expect("purging again is harmless");
    assert!(
        catalog
            .deleted_databases()
            .await
            .expect("deleted")
            .contains(&deleted),
        "the database record stays"
    );
}
