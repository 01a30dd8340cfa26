//! The etcd backend against a real etcd (Debian's 3.4, started by `test_support::EtcdProcess`
//! on free loopback ports): the conformance suite, then what only etcd has — value size limit,
//! concurrent clients, the watch, leases, an etcd that dies and comes back, the key layout of
//! file swaps.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog::{
    CachedCatalog, Catalog, CatalogChange, CatalogError, DatabaseName, DatabaseOptions, DbrpFilter,
    EtcdCatalog, FileSwap, IngesterInfo, Limits, NewDbrp, NewToken, ParquetFileRecord,
    PersistCommit, RemovedFile, SchemaUpsert, V1Database, resolve_v1_database,
};
use futures::StreamExt;
use schema::{InfluxColumnType, InfluxFieldType};
use test_support::EtcdProcess;

const F64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Float);
const I64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Integer);

async fn catalog(etcd: &EtcdProcess, prefix: &str) -> EtcdCatalog {
    EtcdCatalog::connect(&[etcd.endpoint()], prefix)
        .await
        .unwrap()
}

fn name(s: &str) -> DatabaseName {
    DatabaseName::new(s).unwrap()
}

fn upsert(table: &str, column: &str, t: InfluxColumnType) -> SchemaUpsert {
    let mut up = SchemaUpsert::new();
    up.add(table, column, t).unwrap();
    up
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_suite() {
    let etcd = EtcdProcess::start().unwrap();
    catalog::conformance::run(Arc::new(catalog(&etcd, "/conformance/").await)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_isolate_catalogs() {
    let etcd = EtcdProcess::start().unwrap();
    let a = catalog(&etcd, "/a").await;
    let b = catalog(&etcd, "/b/").await;
    assert_eq!(a.prefix(), "/a/");
    a.create_database(&name("only_in_a"), DatabaseOptions::default())
        .await
        .unwrap();
    assert!(b.list_databases().await.unwrap().is_empty());
    assert_eq!(a.list_databases().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_over_64_kib_are_rejected_and_nothing_is_written() {
    let etcd = EtcdProcess::start().unwrap();
    let c = catalog(&etcd, "/quiver/").await;
    let options = DatabaseOptions {
        retention_period: None,
        limits: Some(Limits {
            max_tables: 10,
            max_columns_per_table: 10_000,
        }),
    };
    let db = c.create_database(&name("wide"), options).await.unwrap();
    let mut up = SchemaUpsert::new();
    for i in 0..300 {
        up.add("t", &format!("{i:0>250}"), F64).unwrap();
    }
    let err = c.upsert_schema(db.id, &up).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("schema of table \"t\" would take") && text.contains("64 KiB limit"),
        "{text}"
    );
    assert!(c.database_schema(db.id).await.unwrap().tables.is_empty());
}

/// Many tables in one write: more than one transaction's worth of keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_touching_more_tables_than_one_txn_takes_is_applied_in_full() {
    let etcd = EtcdProcess::start().unwrap();
    let c = catalog(&etcd, "/quiver/").await;
    let db = c
        .create_database(&name("many"), DatabaseOptions::default())
        .await
        .unwrap();
    let mut up = SchemaUpsert::new();
    for i in 0..300 {
        up.add(&format!("m{i}"), "v", F64).unwrap();
        up.add(&format!("m{i}"), "time", InfluxColumnType::Timestamp)
            .unwrap();
    }
    let schema = c.upsert_schema(db.id, &up).await.unwrap();
    assert_eq!(schema.tables.len(), 300);
    assert_eq!(c.database_schema(db.id).await.unwrap(), schema);
}

/// Two clients (as two routers would be) add the same new column with different types at
/// the same moment: exactly one type wins, the other gets the schema conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_clients_one_type_wins() {
    let etcd = EtcdProcess::start().unwrap();
    let a = Arc::new(catalog(&etcd, "/quiver/").await);
    let b = Arc::new(catalog(&etcd, "/quiver/").await);
    let db = a
        .create_database(&name("race"), DatabaseOptions::default())
        .await
        .unwrap();
    for round in 0..20 {
        let column = format!("c{round}");
        let (up_a, up_b) = (upsert("t", &column, I64), upsert("t", &column, F64));
        let (ra, rb) = tokio::join!(a.upsert_schema(db.id, &up_a), b.upsert_schema(db.id, &up_b),);
        let conflicts = [&ra, &rb]
            .iter()
            .filter(|r| matches!(r, Err(CatalogError::SchemaConflict { .. })))
            .count();
        assert_eq!(conflicts, 1, "round {round}: {ra:?} / {rb:?}");
        let stored = a.database_schema(db.id).await.unwrap();
        let winner = if ra.is_ok() { I64 } else { F64 };
        assert_eq!(stored.column_type("t", &column), Some(winner));
    }
}

/// Next change from the feed, waiting at most 5 s.
async fn next_change(feed: &mut catalog::ChangeStream) -> CatalogChange {
    tokio::time::timeout(Duration::from_secs(5), feed.next())
        .await
        .expect("a change within 5 s")
        .expect("the feed is open")
        .expect("no feed error")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_then_watch_sees_every_cache_relevant_change_in_order() {
    let etcd = EtcdProcess::start().unwrap();
    let c = catalog(&etcd, "/quiver/").await;
    let before = c
        .create_database(&name("before"), DatabaseOptions::default())
        .await
        .unwrap();
    let snap = c.snapshot().await.unwrap();
    assert_eq!(snap.databases, vec![before.clone()]);
    assert!(snap.schemas[&before.id].tables.is_empty());
    let mut feed = c.watch(snap.revision).await.unwrap();

    let token = c
        .create_token(NewToken {
            hash: auth::TokenHash::of("qvr_watch"),
            description: "w".into(),
            operator: false,
            permissions: vec![],
        })
        .await
        .unwrap();
    let db = c
        .create_database(&name("watched"), DatabaseOptions::default())
        .await
        .unwrap();
    let schema = c
        .upsert_schema(db.id, &upsert("cpu", "usage", F64))
        .await
        .unwrap();
    c.revoke_token(token.id).await.unwrap();
    c.delete_database(db.id).await.unwrap();
    c.delete_token(token.id).await.unwrap();

    let mut last_revision = snap.revision;
    let mut check = |change: &CatalogChange| {
        assert!(change.revision() > last_revision, "{change:?}");
        last_revision = change.revision();
    };
    let change = next_change(&mut feed).await;
    check(&change);
    assert!(matches!(&change, CatalogChange::TokenUpserted { token: t, .. } if t == &token));
    let change = next_change(&mut feed).await;
    check(&change);
    assert!(matches!(&change, CatalogChange::DatabaseUpserted { database, .. } if database == &db));
    let change = next_change(&mut feed).await;
    check(&change);
    assert!(matches!(&change, CatalogChange::SchemaChanged { schema: s, .. } if s == &schema));
    let change = next_change(&mut feed).await;
    check(&change);
    assert!(
        matches!(&change, CatalogChange::TokenUpserted { token: t, .. } if t.id == token.id && t.revoked)
    );
    let change = next_change(&mut feed).await;
    check(&change);
    assert!(matches!(&change, CatalogChange::DatabaseDeleted { id, .. } if *id == db.id));
    let change = next_change(&mut feed).await;
    check(&change);
    assert!(matches!(&change, CatalogChange::TokenDeleted { id, .. } if *id == token.id));

    // The snapshot at the end agrees with what the feed said.
    let end = c.snapshot().await.unwrap();
    assert_eq!(end.databases, vec![before]);
    assert!(end.tokens.is_empty());
    assert!(end.revision >= last_revision);
}

/// `(retention policy, default)` of every mapping, by id.
async fn rps(c: &dyn Catalog) -> Vec<(String, bool)> {
    c.list_dbrps(&DbrpFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.retention_policy, d.default))
        .collect()
}

/// Waits (≤ 2 s) until `c` lists exactly `expected`.
async fn wait_for_mappings(c: &dyn Catalog, expected: &[(&str, bool)]) {
    let expected: Vec<(String, bool)> = expected
        .iter()
        .map(|(r, d)| ((*r).to_owned(), *d))
        .collect();
    let start = Instant::now();
    loop {
        let got = rps(c).await;
        if got == expected {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "expected {expected:?}, the cache has {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Routers keep a `CachedCatalog` over etcd: mappings made by one router (or by `quiver
/// admin`, straight in etcd) and the mappings a database deletion takes along reach another
/// router's cache through the watch, and v1 names resolve there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dbrp_changes_reach_a_cache_over_etcd() {
    let etcd = EtcdProcess::start().unwrap();
    let admin: Arc<dyn Catalog> = Arc::new(catalog(&etcd, "/quiver/").await);
    let backend: Arc<dyn Catalog> = Arc::new(catalog(&etcd, "/quiver/").await);
    let a = CachedCatalog::new(Arc::clone(&backend)).await.unwrap();
    let b = CachedCatalog::new(backend).await.unwrap();
    let db = a
        .create_database(&name("mapped"), DatabaseOptions::default())
        .await
        .unwrap();
    let kept = a
        .create_database(&name("kept"), DatabaseOptions::default())
        .await
        .unwrap();
    let new = |rp: &str, default: bool, target| NewDbrp {
        database: "telegraf".into(),
        retention_policy: rp.into(),
        default,
        target,
    };
    a.create_dbrp(new("autogen", false, db.id)).await.unwrap();
    wait_for_mappings(&b, &[("autogen", true)]).await;
    admin
        .create_dbrp(new("weekly", true, kept.id))
        .await
        .unwrap();
    wait_for_mappings(&a, &[("autogen", false), ("weekly", true)]).await;
    wait_for_mappings(&b, &[("autogen", false), ("weekly", true)]).await;
    let found = resolve_v1_database(&b, "telegraf", None).await.unwrap();
    assert!(
        matches!(&found, V1Database::Mapped { database, .. } if database.id == kept.id),
        "{found:?}"
    );

    // The deletion of `kept` takes `weekly` (the default) along: `autogen` becomes the default.
    b.delete_database(kept.id).await.unwrap();
    wait_for_mappings(&b, &[("autogen", true)]).await;
    wait_for_mappings(&a, &[("autogen", true)]).await;
    let found = resolve_v1_database(&a, "telegraf", Some("weekly"))
        .await
        .unwrap();
    assert_eq!(found, V1Database::Named(name("telegraf/weekly")));
    assert_eq!(
        admin.snapshot().await.unwrap().dbrps,
        a.list_dbrps(&DbrpFilter::default()).await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_from_a_compacted_revision_fails_and_ends() {
    let etcd = EtcdProcess::start().unwrap();
    let c = catalog(&etcd, "/quiver/").await;
    for i in 0..3 {
        c.create_database(&name(&format!("d{i}")), DatabaseOptions::default())
            .await
            .unwrap();
    }
    let revision = c.snapshot().await.unwrap().revision;
    let mut raw = etcd_client::Client::connect([etcd.endpoint()], None)
        .await
        .unwrap();
    raw.compact(i64::try_from(revision).unwrap(), None)
        .await
        .unwrap();
    let mut feed = c.watch(1).await.unwrap();
    let item = tokio::time::timeout(Duration::from_secs(5), feed.next())
        .await
        .unwrap();
    let err = item.unwrap().unwrap_err();
    assert!(err.to_string().contains("compacted"), "{err}");
    let end = tokio::time::timeout(Duration::from_secs(5), feed.next())
        .await
        .unwrap();
    assert!(end.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_etcd_is_unavailable_within_the_timeout_and_recovers_after_restart() {
    let mut etcd = EtcdProcess::start().unwrap();
    let c = catalog(&etcd, "/quiver/").await;
    let db = c
        .create_database(&name("survives"), DatabaseOptions::default())
        .await
        .unwrap();
    let snap = c.snapshot().await.unwrap();
    let mut feed = c.watch(snap.revision).await.unwrap();

    etcd.kill();
    // The watch reports the loss and ends.
    let item = tokio::time::timeout(Duration::from_secs(15), feed.next())
        .await
        .expect("the feed reacts to the dead etcd");
    assert!(
        matches!(item, Some(Err(CatalogError::Unavailable(_)))),
        "{item:?}"
    );

    for _ in 0..3 {
        let started = Instant::now();
        let err = c.database_by_name(&name("survives")).await.unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err, CatalogError::Unavailable(_)), "{err:?}");
        assert!(
            took <= catalog::ETCD_CALL_TIMEOUT + Duration::from_secs(1),
            "took {took:?}"
        );
        let err = c
            .upsert_schema(db.id, &upsert("t", "v", F64))
            .await
            .unwrap_err();
        assert!(matches!(err, CatalogError::Unavailable(_)), "{err:?}");
    }

    etcd.restart().unwrap();
    let started = Instant::now();
    let found = loop {
        match c.database_by_name(&name("survives")).await {
            Ok(found) => break found,
            Err(CatalogError::Unavailable(_)) if started.elapsed() < Duration::from_secs(15) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("no recovery after {:?}: {e}", started.elapsed()),
        }
    };
    println!(
        "catalog answered again {:?} after etcd's restart",
        started.elapsed()
    );
    assert_eq!(found, Some(db.clone()));
    let schema = c
        .upsert_schema(db.id, &upsert("t", "v", F64))
        .await
        .unwrap();
    assert_eq!(schema.column_type("t", "v"), Some(F64));
    // A new watch works again.
    let mut feed = c.watch(c.snapshot().await.unwrap().revision).await.unwrap();
    c.upsert_schema(db.id, &upsert("t", "w", I64))
        .await
        .unwrap();
    assert!(matches!(
        next_change(&mut feed).await,
        CatalogChange::SchemaChanged { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingester_leases_expire_unless_kept_alive() {
    let etcd = EtcdProcess::start().unwrap();
    let c = catalog(&etcd, "/quiver/").await;
    let info = |id: &str| IngesterInfo {
        id: id.into(),
        address: format!("http://{id}:8083"),
        partitions: vec![0, 1],
    };
    let kept = c
        .register_ingester(info("kept"), Duration::from_secs(2))
        .await
        .unwrap();
    let _dropped = c
        .register_ingester(info("forgotten"), Duration::from_secs(2))
        .await
        .unwrap();
    let mut ids: Vec<_> = c
        .ingesters()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["forgotten", "kept"]);

    // Keep one alive for 6 s (3 TTLs): the other expires, this one stays.
    let started = Instant::now();
    let mut gone = false;
    while started.elapsed() < Duration::from_secs(6) {
        kept.keep_alive().await.unwrap();
        let ids: Vec<_> = c
            .ingesters()
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert!(ids.contains(&"kept".to_owned()));
        gone |= !ids.contains(&"forgotten".to_owned());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(gone, "an ingester that is not kept alive must disappear");

    let mut moved = info("kept");
    moved.partitions = vec![3];
    kept.update(moved.clone()).await.unwrap();
    assert_eq!(c.ingesters().await.unwrap(), vec![moved]);
    kept.release().await.unwrap();
    assert!(c.ingesters().await.unwrap().is_empty());
}

fn file(object_id: &str, partition_key: &str, offset: u64) -> ParquetFileRecord {
    ParquetFileRecord {
        object_id: object_id.into(),
        database_id: catalog::DatabaseId(1),
        table_id: catalog::TableId(2),
        partition_key: partition_key.into(),
        path: format!("1/2/{partition_key}/{object_id}.parquet"),
        size_bytes: 100,
        row_count: 10,
        min_time_ns: 0,
        max_time_ns: 1,
        log_partition: 0,
        min_offset: offset,
        max_offset: offset,
        created_at_ns: 0,
        compaction_level: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persist_commits_are_compare_and_swap_on_the_offset() {
    let etcd = EtcdProcess::start().unwrap();
    let c = catalog(&etcd, "/quiver/").await;
    let commit = |expected, new, files| PersistCommit {
        log_partition: 0,
        expected_offset: expected,
        new_offset: new,
        files,
    };
    c.commit_persist(commit(None, 10, vec![file("z", "2024-01-01", 5)]))
        .await
        .unwrap();
    let err = c
        .commit_persist(commit(None, 11, vec![file("y", "2024-01-01", 11)]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        CatalogError::OffsetConflict {
            partition: 0,
            expected: None,
            actual: Some(10)
        }
    );
    c.commit_persist(commit(
        Some(10),
        20,
        vec![file("a", "2024-01-01", 15), file("b", "2024-01-02", 16)],
    ))
    .await
    .unwrap();
    let files = c
        .parquet_files(catalog::DatabaseId(1), catalog::TableId(2))
        .await
        .unwrap();
    let ids = |k: &str| {
        files[k]
            .iter()
            .map(|f| f.object_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("2024-01-01"), ["z", "a"]);
    assert_eq!(ids("2024-01-02"), ["b"]);
    assert_eq!(c.persisted_offsets().await.unwrap()[&0], 20);

    let too_many: Vec<_> = (0..130).map(|i| file(&format!("f{i}"), "k", 30)).collect();
    let err = c
        .commit_persist(commit(Some(20), 30, too_many))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("130 file records"), "{err}");
    assert_eq!(c.persisted_offsets().await.unwrap()[&0], 20);
}

/// Live records under `files/`, retired ones under `removed/` (as the key table in
/// `etcd/mod.rs` says); records stored before compaction levels existed read as level 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_swaps_move_records_from_files_to_removed() {
    let etcd = EtcdProcess::start().unwrap();
    let c = catalog(&etcd, "/layout/").await;
    let db = c
        .create_database(&name("layout"), DatabaseOptions::default())
        .await
        .unwrap();
    let table = c
        .upsert_schema(db.id, &upsert("cpu", "v", F64))
        .await
        .unwrap()
        .tables["cpu"]
        .id;
    let mut raw = etcd_client::Client::connect([etcd.endpoint()], None)
        .await
        .unwrap();
    let dir = format!("{}/{}/2024-01-01", db.id.0, table.0);
    let live_key = format!("/layout/files/{dir}/old");
    // As an ingester of the previous version stored it: no compaction_level.
    let old_json = format!(
        r#"{{"object_id":"old","database_id":{},"table_id":{},"partition_key":"2024-01-01","path":"{dir}/old.parquet","size_bytes":10,"row_count":1,"min_time_ns":0,"max_time_ns":1,"log_partition":0,"min_offset":0,"max_offset":3,"created_at_ns":7}}"#,
        db.id.0, table.0
    );
    raw.put(live_key.as_str(), old_json, None).await.unwrap();
    let files = c.parquet_files(db.id, table).await.unwrap();
    let old = files["2024-01-01"][0].clone();
    assert_eq!((old.object_id.as_str(), old.compaction_level), ("old", 0));

    let new = ParquetFileRecord {
        object_id: "new".into(),
        path: format!("{dir}/new.parquet"),
        compaction_level: 1,
        max_offset: 0,
        ..old.clone()
    };
    let swap = FileSwap {
        database_id: db.id,
        table_id: table,
        partition_key: "2024-01-01".into(),
        remove: vec![old.clone()],
        add: vec![new.clone()],
    };
    c.replace_files(swap).await.unwrap();
    let get = |key: String| {
        let mut raw = raw.clone();
        async move {
            let resp = raw.get(key.as_str(), None).await.unwrap();
            resp.kvs().first().map(|kv| kv.value().to_vec())
        }
    };
    assert_eq!(get(live_key.clone()).await, None, "the live key is gone");
    let retired = get(format!("/layout/removed/{dir}/old")).await.unwrap();
    let retired: RemovedFile = serde_json::from_slice(&retired).unwrap();
    assert_eq!(retired.record, old);
    let added = get(format!("/layout/files/{dir}/new")).await.unwrap();
    assert_eq!(
        serde_json::from_slice::<ParquetFileRecord>(&added).unwrap(),
        new
    );

    c.delete_database(db.id).await.unwrap();
    c.purge_database_files(db.id).await.unwrap();
    for prefix in ["/layout/files/", "/layout/removed/"] {
        let options = etcd_client::GetOptions::new()
            .with_prefix()
            .with_count_only();
        let count = raw.get(prefix, Some(options)).await.unwrap().count();
        assert_eq!(count, 0, "{prefix} is empty after the purge");
    }
}
