//! v1 `/write` through DBRP mappings: a mapping of (db, rp) — or db's default mapping when `rp`
//! is absent — names the database written to; tokens are checked against that database;
//! without a mapping the `db` / `db/rp` naming stays.

use catalog::{Catalog, DatabaseId, DatabaseName, DatabaseOptions, NewDbrp};

use crate::common::*;

async fn database(s: &TestServer, name: &str) -> DatabaseId {
    s.catalog
        .create_database(
            &DatabaseName::new(name).unwrap(),
            DatabaseOptions::default(),
        )
        .await
        .unwrap()
        .id
}

async fn map(s: &TestServer, db: &str, rp: &str, default: bool, target: DatabaseId) {
    s.catalog
        .create_dbrp(NewDbrp {
            database: db.into(),
            retention_policy: rp.into(),
            default,
            target,
        })
        .await
        .unwrap();
}

async fn write_v1(s: &TestServer, query: &str, token: &str) -> Answer {
    s.write(&format!("/write?{query}"), token, "cpu v=1 1")
        .await
}

#[tokio::test]
async fn a_mapping_routes_v1_writes_with_and_without_rp() {
    let s = TestServer::start().await;
    let metrics = database(&s, "metrics").await;
    let archive = database(&s, "archive").await;
    map(&s, "telegraf", "autogen", false, metrics).await; // the default: first mapping
    map(&s, "telegraf", "yearly", false, archive).await;

    for (query, bucket) in [
        ("db=telegraf", "metrics"),
        ("db=telegraf&rp=", "metrics"),
        ("db=telegraf&rp=%27%27", "metrics"),
        ("db=telegraf&rp=autogen", "metrics"),
        ("db=telegraf&rp=yearly", "archive"),
    ] {
        let before = s.rows(bucket).len();
        let a = write_v1(&s, query, OPERATOR).await;
        assert_eq!(a.status, 204, "{query}: {}", a.body);
        assert_eq!(
            s.rows(bucket).len(),
            before + 1,
            "{query} lands in {bucket}"
        );
    }
    assert!(s.rows("telegraf").is_empty() && s.rows("telegraf/yearly").is_empty());

    // Moving the default moves rp-less writes at once.
    let yearly = s
        .catalog
        .list_dbrps(&catalog::DbrpFilter {
            retention_policy: Some("yearly".into()),
            ..Default::default()
        })
        .await
        .unwrap()[0]
        .id;
    let update = catalog::DbrpUpdate {
        retention_policy: None,
        default: Some(true),
    };
    s.catalog.update_dbrp(yearly, update).await.unwrap();
    let before = s.rows("archive").len();
    assert_eq!(write_v1(&s, "db=telegraf", OPERATOR).await.status, 204);
    assert_eq!(s.rows("archive").len(), before + 1);
}

#[tokio::test]
async fn unmapped_names_behave_as_before() {
    let s = TestServer::start().await;
    let metrics = database(&s, "metrics").await;
    map(&s, "telegraf", "autogen", false, metrics).await;
    for (query, database) in [
        ("db=mydb", "mydb"),
        ("db=mydb&rp=autogen", "mydb"),
        ("db=mydb&rp=weekly", "mydb/weekly"),
        // A pair of a mapped v1 database with another rp is not mapped: named as before.
        ("db=telegraf&rp=weekly", "telegraf/weekly"),
    ] {
        let before = s.rows(database).len();
        let a = write_v1(&s, query, OPERATOR).await;
        assert_eq!(a.status, 204, "{query}: {}", a.body);
        assert_eq!(
            s.rows(database).len(),
            before + 1,
            "{query} lands in {database}"
        );
    }
    // An unmapped name must still be a valid database name.
    let a = write_v1(&s, "db=my%20db", OPERATOR).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(
        a.json()["message"],
        "invalid database name \"my db\": character ' ' at position 2 is not allowed; use only A-Z, a-z, 0-9, '_', '-' and '/'"
    );
    // v2 buckets and v3 databases are names, never mappings.
    let a = s
        .write("/api/v2/write?bucket=telegraf", OPERATOR, "cpu v=1 1")
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(s.rows("telegraf").len(), 1);
}

#[tokio::test]
async fn a_mapping_may_name_what_no_database_name_can() {
    let s = TestServer::start().await;
    let metrics = database(&s, "metrics").await;
    map(&s, "my db", "two weeks", false, metrics).await;
    let a = write_v1(&s, "db=my%20db&rp=two+weeks", OPERATOR).await;
    assert_eq!(a.status, 204, "{}", a.body);
    let a = write_v1(&s, "db=my%20db", OPERATOR).await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(s.rows("metrics").len(), 2);
}

#[tokio::test]
async fn tokens_are_checked_against_the_mapped_database() {
    let s = TestServer::start().await;
    let mydb = database(&s, "mydb").await;
    let other = database(&s, "other").await;
    map(&s, "legacy", "autogen", false, mydb).await;
    map(&s, "elsewhere", "autogen", false, other).await;
    // MYDB_WRITER may write to `mydb` only: through its mapping, yes; to `other`, no.
    let a = write_v1(&s, "db=legacy", MYDB_WRITER).await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(s.rows("mydb").len(), 1);
    let a = write_v1(&s, "db=elsewhere", MYDB_WRITER).await;
    assert_eq!(a.status, 401, "{}", a.body);
    assert_eq!(
        a.json(),
        error_body(
            "unauthorized",
            "token is not authorized to write to database \"other\"",
            None
        )
    );
    assert!(s.rows("other").is_empty());
}

#[tokio::test]
async fn a_mapped_database_is_written_even_without_auto_creation() {
    let s = TestServer::with_settings(router::RouterSettings::default()).await;
    let metrics = database(&s, "metrics").await;
    map(&s, "telegraf", "autogen", false, metrics).await;
    assert_eq!(write_v1(&s, "db=telegraf", OPERATOR).await.status, 204);
    let a = write_v1(&s, "db=unmapped", OPERATOR).await;
    assert_eq!(a.status, 404, "{}", a.body);
    assert_eq!(
        a.json(),
        error_body("not found", "database not found: \"unmapped\"", None)
    );
}
