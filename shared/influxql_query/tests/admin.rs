//! 1.x's administration statements that Quiver answers (select::admin): the bodies InfluxDB
//! 1.6.7 sends on a server without users, continuous queries or subscriptions (recorded with
//! curl against 1.6.7), and the admin privilege they need.
//!
//! ```text
//! statement ──► influxql::parser ──► Executor::authorize + execute ──► v1 JSON (compared whole)
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use auth::{Action, Authorization, Permission};
use common::Fixture;
use influxql_query::{Executor, Request};
use query::QueryDatabase;
use serde_json::{Value, json};

fn request(authorization: Authorization) -> Request {
    Request {
        database: Some("testdb".to_owned()),
        retention_policy: None,
        now: 1_800_000_000_000_000_000,
        authorization,
    }
}

async fn run(executor: &Executor, q: &str, req: &Request) -> Result<Value, String> {
    let query = influxql::parser::parse_query(q).unwrap();
    executor.authorize(&query, req)?;
    let results = executor.execute(&query, req).await;
    let body = v1_query::encode_response(
        v1_query::Format::Json,
        &results,
        &v1_query::Options::default(),
    );
    Ok(serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn admin_statements_answer_as_1x_without_users_or_continuous_queries() {
    let f = Fixture::new().await;
    f.database("testdb").await;
    f.database("scratch").await;
    let executor = Executor::new(Arc::new(QueryDatabase::new(
        f.catalog.clone(),
        Arc::clone(&f.store),
    )));
    let operator = request(Authorization::operator());
    let cases = [
        (
            "SHOW USERS",
            json!({"results":[{"statement_id":0,"series":[{"columns":["user","admin"]}]}]}),
        ),
        (
            "SHOW GRANTS FOR bob",
            json!({"results":[{"statement_id":0,"error":"user not found"}]}),
        ),
        (
            "SHOW SUBSCRIPTIONS",
            json!({"results":[{"statement_id":0}]}),
        ),
        (
            "KILL QUERY 99",
            json!({"results":[{"statement_id":0,"error":"no such query id: 99"}]}),
        ),
        (
            "SHOW CONTINUOUS QUERIES",
            json!({"results":[{"statement_id":0,"series":[
                {"name":"testdb","columns":["name","query"]},
                {"name":"scratch","columns":["name","query"]}]}]}),
        ),
    ];
    for (q, want) in cases {
        assert_eq!(run(&executor, q, &operator).await.unwrap(), want, "{q}");
    }

    // A reader of testdb only: continuous queries of what it reads; the rest is admin-only.
    let reader = request(Authorization {
        operator: false,
        permissions: vec![Permission::database(Action::Read, "testdb")],
    });
    assert_eq!(
        run(&executor, "SHOW CONTINUOUS QUERIES", &reader)
            .await
            .unwrap(),
        json!({"results":[{"statement_id":0,"series":[{"name":"testdb","columns":["name","query"]}]}]})
    );
    for q in [
        "SHOW USERS",
        "SHOW GRANTS FOR bob",
        "SHOW SUBSCRIPTIONS",
        "KILL QUERY 1",
    ] {
        let err = run(&executor, q, &reader).await.unwrap_err();
        assert!(err.ends_with("requires admin privilege"), "{q}: {err}");
    }
}

#[tokio::test]
async fn show_queries_lists_the_running_queries_a_token_may_see_then_itself() {
    let f = Fixture::new().await;
    let testdb = f.database("testdb").await;
    let scratch = f.database("scratch").await;
    let qdb = Arc::new(QueryDatabase::new(f.catalog.clone(), Arc::clone(&f.store)));
    let executor = Executor::new(Arc::clone(&qdb));
    // Two queries still running, one finished.
    let running = qdb.query_log().begin(
        &testdb,
        query::QueryType::Sql,
        "SELECT count(*) FROM cpu",
        None,
    );
    let other = qdb.query_log().begin(
        &scratch,
        query::QueryType::InfluxQl,
        "SELECT * FROM m",
        None,
    );
    qdb.query_log()
        .begin(&testdb, query::QueryType::Sql, "SELECT 1", None)
        .finish_ok(Some(1));

    let rows = |v: &Value| {
        v["results"][0]["series"][0]["values"]
            .as_array()
            .unwrap()
            .clone()
    };
    let all = run(
        &executor,
        "SHOW QUERIES",
        &request(Authorization::operator()),
    )
    .await
    .unwrap();
    assert_eq!(
        all["results"][0]["series"][0]["columns"],
        json!(["qid", "query", "database", "duration", "status"])
    );
    let listed = rows(&all);
    let texts: Vec<&str> = listed.iter().map(|r| r[1].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "SELECT count(*) FROM cpu",
            "SELECT * FROM m",
            "SHOW QUERIES"
        ]
    );
    assert_eq!(listed[0][0], json!(running.id()));
    assert_eq!(listed[1][2], json!("scratch"));
    assert_eq!(listed[2][0], json!(other.id() + 2), "the next id");
    assert_eq!(listed[2][2], json!("testdb"));
    for r in &listed {
        assert_eq!(r[4], json!("running"));
        let d = r[3].as_str().unwrap();
        assert!(d.ends_with('s') && d.len() > 1, "{d}");
    }

    // A reader of testdb sees testdb's queries only.
    let reader = request(Authorization {
        operator: false,
        permissions: vec![Permission::database(Action::Read, "testdb")],
    });
    let mine = rows(&run(&executor, "SHOW QUERIES", &reader).await.unwrap());
    let texts: Vec<&str> = mine.iter().map(|r| r[1].as_str().unwrap()).collect();
    assert_eq!(texts, ["SELECT count(*) FROM cpu", "SHOW QUERIES"]);
    drop((running, other));
}
