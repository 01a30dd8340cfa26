//! Retention-policy statements over a catalog: what they do to Quiver's databases and DBRP
//! mappings, and 1.x's answers and error texts (1.6's `services/meta`).
//!
//! ```text
//! statement text ──► influxql::parser ──► Executor::authorize + execute (catalog in memory)
//!   ──► v1 JSON answer (compared whole)  +  the catalog afterwards (databases, retention,
//!       which database a v1 (db, rp) resolves to)
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use auth::Authorization;
use catalog::{Catalog, DatabaseName, resolve_v1_database};
use common::Fixture;
use influxql_query::{Executor, Request};
use line_protocol::Precision;
use query::QueryDatabase;
use serde_json::{Value, json};

const DAY: u64 = 86_400;

struct Env {
    f: Fixture,
    executor: Executor,
}

impl Env {
    async fn new() -> Self {
        let f = Fixture::new().await;
        let executor = Executor::new(Arc::new(QueryDatabase::new(
            f.catalog.clone(),
            Arc::clone(&f.store),
        )));
        Self { f, executor }
    }

    fn request(db: Option<&str>, rp: Option<&str>) -> Request {
        Request {
            database: db.map(str::to_owned),
            retention_policy: rp.map(str::to_owned),
            now: 1_800_000_000_000_000_000,
            authorization: Authorization::operator(),
        }
    }

    /// The JSON answer of `q` (db=`db`, no rp).
    async fn run(&self, q: &str) -> Value {
        self.run_with(q, Env::request(Some("db"), None)).await
    }

    async fn run_with(&self, q: &str, request: Request) -> Value {
        let query = influxql::parser::parse_query(q).unwrap();
        self.executor.authorize(&query, &request).unwrap();
        let results = self.executor.execute(&query, &request).await;
        let body = v1_query::encode_response(
            v1_query::Format::Json,
            &results,
            &v1_query::Options::default(),
        );
        serde_json::from_slice(&body).unwrap()
    }

    /// Runs `q`, which must succeed with no series.
    async fn ok(&self, q: &str) {
        assert_eq!(
            self.run(q).await,
            json!({"results": [{"statement_id": 0}]}),
            "{q}"
        );
    }

    /// Runs `q`, which must fail with `error`.
    async fn fails(&self, q: &str, error: &str) {
        assert_eq!(
            self.run(q).await,
            json!({"results": [{"statement_id": 0, "error": error}]}),
            "{q}"
        );
    }

    /// SHOW RETENTION POLICIES ON db: its rows.
    async fn policies(&self) -> Value {
        let answer = self.run("SHOW RETENTION POLICIES ON db").await;
        let series = &answer["results"][0]["series"][0];
        assert_eq!(
            series["columns"],
            json!([
                "name",
                "duration",
                "shardGroupDuration",
                "replicaN",
                "default"
            ]),
            "{answer}"
        );
        series["values"].clone()
    }

    async fn retention(&self, name: &str) -> Option<Option<Duration>> {
        let name = DatabaseName::new(name).unwrap();
        self.f
            .catalog
            .database_by_name(&name)
            .await
            .unwrap()
            .filter(|d| d.deleted_at_ns.is_none())
            .map(|d| d.retention_period)
    }

    /// The database a v1 write or query of (db, rp) goes to.
    async fn resolves(&self, rp: Option<&str>) -> String {
        resolve_v1_database(self.f.catalog.as_ref(), "db", rp)
            .await
            .unwrap()
            .name()
            .as_str()
            .to_owned()
    }
}

#[tokio::test]
async fn show_lists_autogen_with_its_duration() {
    let env = Env::new().await;
    env.f.database("db").await;
    assert_eq!(
        env.policies().await,
        json!([["autogen", "0s", "168h0m0s", 1, true]])
    );
    env.fails(
        "SHOW RETENTION POLICIES ON nodb",
        "database not found: nodb",
    )
    .await;
    // Without ON: the request's database.
    let answer = env.run("SHOW RETENTION POLICIES").await;
    assert_eq!(
        answer["results"][0]["series"][0]["values"],
        json!([["autogen", "0s", "168h0m0s", 1, true]])
    );
}

#[tokio::test]
async fn create_makes_a_database_per_policy() {
    let env = Env::new().await;
    env.f.database("db").await;
    env.ok("CREATE RETENTION POLICY rp1 ON db DURATION 30d REPLICATION 1")
        .await;
    assert_eq!(
        env.retention("db/rp1").await,
        Some(Some(Duration::from_secs(30 * DAY)))
    );
    env.ok("CREATE RETENTION POLICY short ON db DURATION 1h REPLICATION 3 SHARD DURATION 30m")
        .await;
    env.ok("CREATE RETENTION POLICY long ON db DURATION 200d REPLICATION 1")
        .await;
    assert_eq!(
        env.policies().await,
        json!([
            ["autogen", "0s", "168h0m0s", 1, true],
            ["rp1", "720h0m0s", "24h0m0s", 1, false],
            ["short", "1h0m0s", "1h0m0s", 1, false],
            ["long", "4800h0m0s", "168h0m0s", 1, false],
        ])
    );
    // Writes and queries without rp still go to `db`.
    assert_eq!(env.resolves(None).await, "db");
    assert_eq!(env.resolves(Some("rp1")).await, "db/rp1");
}

#[tokio::test]
async fn create_again_and_its_errors_as_1x() {
    let env = Env::new().await;
    env.f.database("db").await;
    let create = "CREATE RETENTION POLICY rp1 ON db DURATION 30d REPLICATION 1";
    env.ok(create).await;
    // The same policy again: success.
    env.ok(create).await;
    env.ok("CREATE RETENTION POLICY rp1 ON db DURATION 720h REPLICATION 1 SHARD DURATION 1d")
        .await;
    env.fails(
        "CREATE RETENTION POLICY rp1 ON db DURATION 7d REPLICATION 1",
        "retention policy already exists",
    )
    .await;
    env.fails(
        "CREATE RETENTION POLICY rp1 ON db DURATION 30d REPLICATION 1 DEFAULT",
        "retention policy conflicts with an existing policy",
    )
    .await;
    // autogen is the database itself.
    env.ok("CREATE RETENTION POLICY autogen ON db DURATION INF REPLICATION 1 DEFAULT")
        .await;
    env.fails(
        "CREATE RETENTION POLICY autogen ON db DURATION 1d REPLICATION 1",
        "retention policy already exists",
    )
    .await;
    env.fails(
        "CREATE RETENTION POLICY rp ON nodb DURATION 1d REPLICATION 1",
        "database not found: nodb",
    )
    .await;
    env.fails(
        "CREATE RETENTION POLICY rp ON db DURATION 30m REPLICATION 1",
        "retention policy duration must be at least 1h0m0s",
    )
    .await;
    env.fails(
        "CREATE RETENTION POLICY rp ON db DURATION 1h REPLICATION 1 SHARD DURATION 2h",
        "retention policy duration must be greater than the shard duration",
    )
    .await;
}

#[tokio::test]
async fn create_default_maps_writes_without_rp() {
    let env = Env::new().await;
    env.f.database("db").await;
    env.ok("CREATE RETENTION POLICY rp1 ON db DURATION 30d REPLICATION 1")
        .await;
    env.ok("CREATE RETENTION POLICY rp2 ON db DURATION 7d REPLICATION 1 DEFAULT")
        .await;
    assert_eq!(
        env.policies().await,
        json!([
            ["autogen", "0s", "168h0m0s", 1, false],
            ["rp1", "720h0m0s", "24h0m0s", 1, false],
            ["rp2", "168h0m0s", "24h0m0s", 1, true],
        ])
    );
    assert_eq!(env.resolves(None).await, "db/rp2");
    assert_eq!(env.resolves(Some("autogen")).await, "db");
    // The default policy again with DEFAULT: success.
    env.ok("CREATE RETENTION POLICY rp2 ON db DURATION 7d REPLICATION 1 DEFAULT")
        .await;
    // ALTER … DEFAULT moves it.
    env.ok("ALTER RETENTION POLICY rp1 ON db DEFAULT").await;
    assert_eq!(env.resolves(None).await, "db/rp1");
    env.ok("ALTER RETENTION POLICY autogen ON db DEFAULT").await;
    assert_eq!(env.resolves(None).await, "db");
    assert_eq!(
        env.policies().await,
        json!([
            ["autogen", "0s", "168h0m0s", 1, true],
            ["rp1", "720h0m0s", "24h0m0s", 1, false],
            ["rp2", "168h0m0s", "24h0m0s", 1, false],
        ])
    );
}

#[tokio::test]
async fn alter_changes_the_retention() {
    let env = Env::new().await;
    env.f.database("db").await;
    env.ok("CREATE RETENTION POLICY rp1 ON db DURATION 30d REPLICATION 1")
        .await;
    env.ok("ALTER RETENTION POLICY rp1 ON db DURATION 14d REPLICATION 2")
        .await;
    env.ok("ALTER RETENTION POLICY autogen ON db DURATION 1h SHARD DURATION 1h")
        .await;
    assert_eq!(
        env.retention("db").await,
        Some(Some(Duration::from_secs(3600)))
    );
    assert_eq!(
        env.policies().await,
        json!([
            ["autogen", "1h0m0s", "1h0m0s", 1, true],
            ["rp1", "336h0m0s", "24h0m0s", 1, false],
        ])
    );
    env.ok("ALTER RETENTION POLICY rp1 ON db DURATION INF")
        .await;
    assert_eq!(env.retention("db/rp1").await, Some(None));
    env.fails(
        "ALTER RETENTION POLICY nope ON db DURATION 1d",
        "retention policy not found: nope",
    )
    .await;
    env.fails(
        "ALTER RETENTION POLICY rp1 ON nodb DURATION 1d",
        "database not found: nodb",
    )
    .await;
    env.fails(
        "ALTER RETENTION POLICY rp1 ON db DURATION 10m",
        "retention policy duration must be at least 1h0m0s",
    )
    .await;
    env.fails(
        "ALTER RETENTION POLICY autogen ON db SHARD DURATION 2h",
        "retention policy duration must be greater than the shard duration",
    )
    .await;
}

#[tokio::test]
async fn drop_deletes_the_policy_database() {
    let mut env = Env::new().await;
    env.f.database("db").await;
    env.ok("CREATE RETENTION POLICY rp1 ON db DURATION 30d REPLICATION 1 DEFAULT")
        .await;
    env.f
        .persist("db/rp1", "m v=1 1700000000", Precision::Seconds)
        .await;
    env.ok("DROP RETENTION POLICY rp1 ON db").await;
    assert_eq!(env.retention("db/rp1").await, None);
    // Its default mapping went with it: writes without rp go to `db` again.
    assert_eq!(env.resolves(None).await, "db");
    assert_eq!(
        env.policies().await,
        json!([["autogen", "0s", "168h0m0s", 1, true]])
    );
    // Missing policy or database: no error (1.x).
    env.ok("DROP RETENTION POLICY rp1 ON db").await;
    env.ok("DROP RETENTION POLICY rp1 ON nodb").await;
    // Reading it afterwards: 1.x's unknown policy.
    env.fails("SELECT * FROM db.rp1.m", "retention policy not found: rp1")
        .await;
}

#[tokio::test]
async fn policies_read_their_own_data() {
    let mut env = Env::new().await;
    env.f.database("db").await;
    env.ok("CREATE RETENTION POLICY rp1 ON db DURATION INF REPLICATION 1")
        .await;
    env.f
        .persist("db/rp1", "m v=1 1700000000", Precision::Seconds)
        .await;
    env.f
        .persist("db", "m v=2 1700000000", Precision::Seconds)
        .await;
    let values = |v: Value| v["results"][0]["series"][0]["values"].clone();
    assert_eq!(
        values(env.run("SELECT v FROM db.rp1.m").await),
        json!([["2023-11-14T22:13:20Z", 1]])
    );
    assert_eq!(
        values(
            env.run_with("SELECT v FROM m", Env::request(Some("db"), Some("rp1")))
                .await
        ),
        json!([["2023-11-14T22:13:20Z", 1]])
    );
    assert_eq!(
        values(env.run("SELECT v FROM m").await),
        json!([["2023-11-14T22:13:20Z", 2]])
    );
}

#[tokio::test]
async fn the_default_policy_is_read_without_rp() {
    let mut env = Env::new().await;
    env.f.database("db").await;
    env.ok("CREATE RETENTION POLICY rp1 ON db DURATION INF REPLICATION 1")
        .await;
    env.ok("CREATE RETENTION POLICY rp2 ON db DURATION INF REPLICATION 1 DEFAULT")
        .await;
    env.f
        .persist("db", "m v=0 1700000000", Precision::Seconds)
        .await;
    env.f
        .persist("db/rp1", "m v=1 1700000000", Precision::Seconds)
        .await;
    env.f
        .persist("db/rp2", "m v=2 1700000000", Precision::Seconds)
        .await;
    let value = |v: Value| v["results"][0]["series"][0]["values"][0][1].clone();
    assert_eq!(value(env.run("SELECT v FROM db..m").await), json!(2));
    assert_eq!(value(env.run("SELECT v FROM db.autogen.m").await), json!(0));
    assert_eq!(value(env.run("SELECT v FROM db.rp1.m").await), json!(1));
    // The querier passes the default mapping's database as the request's (db=db, no rp).
    let mapped = Env::request(Some("db/rp2"), None);
    assert_eq!(
        value(env.run_with("SELECT v FROM m", mapped.clone()).await),
        json!(2)
    );
    assert_eq!(
        value(env.run_with("SELECT v FROM rp1.m", mapped.clone()).await),
        json!(1)
    );
    assert_eq!(
        value(env.run_with("SELECT v FROM autogen.m", mapped).await),
        json!(0)
    );
}

#[tokio::test]
async fn a_policy_mapped_onto_a_bucket() {
    let env = Env::new().await;
    let bucket = env.f.database("telemetry").await;
    env.f
        .catalog
        .create_dbrp(catalog::NewDbrp {
            database: "db".into(),
            retention_policy: "weekly".into(),
            default: true,
            target: bucket.id,
        })
        .await
        .unwrap();
    // `db` exists through its mapping only.
    assert_eq!(
        env.policies().await,
        json!([["weekly", "0s", "168h0m0s", 1, true]])
    );
    env.ok("ALTER RETENTION POLICY weekly ON db DURATION 7d")
        .await;
    assert_eq!(
        env.retention("telemetry").await,
        Some(Some(Duration::from_secs(7 * DAY)))
    );
    env.ok("CREATE RETENTION POLICY daily ON db DURATION 1d REPLICATION 1")
        .await;
    assert_eq!(
        env.policies().await,
        json!([
            ["weekly", "168h0m0s", "24h0m0s", 1, true],
            ["daily", "24h0m0s", "1h0m0s", 1, false],
        ])
    );
    // Dropping the mapped policy keeps the bucket; its mapping goes.
    env.ok("DROP RETENTION POLICY weekly ON db").await;
    assert!(env.retention("telemetry").await.is_some());
    assert_eq!(
        env.policies().await,
        json!([["daily", "24h0m0s", "1h0m0s", 1, false]])
    );
    // A policy name Quiver's database names cannot hold.
    let answer = env
        .run("CREATE RETENTION POLICY \"a b\" ON db DURATION 1d REPLICATION 1")
        .await;
    assert!(answer["results"][0]["error"].is_string(), "{answer}");
}

#[tokio::test]
async fn drop_database_drops_its_policies_and_mappings() {
    let env = Env::new().await;
    env.f.database("db").await;
    env.ok("CREATE RETENTION POLICY rp1 ON db DURATION 30d REPLICATION 1 DEFAULT")
        .await;
    env.ok("DROP DATABASE db").await;
    assert_eq!(env.retention("db").await, None);
    assert_eq!(env.retention("db/rp1").await, None);
    assert!(
        env.f
            .catalog
            .list_dbrps(&catalog::DbrpFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    env.fails("SHOW RETENTION POLICIES ON db", "database not found: db")
        .await;
}

#[tokio::test]
async fn management_needs_an_operator_token() {
    let env = Env::new().await;
    let request = Request {
        authorization: Authorization {
            operator: false,
            permissions: Vec::new(),
        },
        ..Env::request(Some("db"), None)
    };
    for q in [
        "CREATE RETENTION POLICY rp ON db DURATION 1d REPLICATION 1",
        "ALTER RETENTION POLICY rp ON db DURATION 1d",
        "DROP RETENTION POLICY rp ON db",
    ] {
        let query = influxql::parser::parse_query(q).unwrap();
        let e = env.executor.authorize(&query, &request).unwrap_err();
        assert_eq!(
            e,
            format!(
                "error authorizing query: token not authorized to execute statement '{}', requires admin privilege",
                query.statements[0]
            )
        );
    }
}
