//! InfluxQL SELECTs and EXPLAIN ANALYZE (which runs one) are logged in `system.queries` (as
//! `influxql`, with their rows or error),
//! whichever API carried them (/query, /api/v3/query_influxql and Flight all run the executor).
//!
//! ```text
//! Executor::execute(SELECT ok; SELECT failing; EXPLAIN; EXPLAIN ANALYZE)
//!   ──► QueryDatabase::query_log()
//!   ──► entries: query_type influxql, text, success + rows | error
//!   ──► SQL over a session: system.queries shows them
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use arrow::array::AsArray;
use auth::Authorization;
use common::Fixture;
use influxql_query::{Executor, Request};
use line_protocol::Precision;
use query::{QueryDatabase, QueryType};

#[tokio::test]
async fn influxql_selects_are_logged_in_system_queries() {
    let mut f = Fixture::new().await;
    f.persist(
        "db",
        "cpu,host=a v=1 1\ncpu,host=b v=2 2\n",
        Precision::Seconds,
    )
    .await;
    let qdb = Arc::new(QueryDatabase::new(f.catalog.clone(), Arc::clone(&f.store)));
    let executor = Executor::new(Arc::clone(&qdb));
    let request = Request {
        database: Some("db".into()),
        retention_policy: None,
        now: 10_000_000_000,
        authorization: Authorization::operator(),
    };
    let query = influxql::parser::parse_query(
        "SELECT v FROM cpu GROUP BY host; EXPLAIN SELECT v FROM cpu; \
         EXPLAIN ANALYZE SELECT max(v) FROM cpu; SELECT nope(v) FROM cpu",
    )
    .unwrap();
    let results = executor.execute(&query, &request).await;
    assert_eq!(results.len(), 4);

    let logged: Vec<_> = qdb
        .query_log()
        .entries()
        .into_iter()
        .filter(|r| r.query_type == QueryType::InfluxQl)
        .collect();
    // EXPLAIN only plans (not logged); EXPLAIN ANALYZE runs the query (logged, with the rows
    // of its answer: the plan's lines).
    assert_eq!(logged.len(), 3, "{logged:?}");
    assert_eq!(
        logged[1].query_text,
        "EXPLAIN ANALYZE SELECT max(v) FROM cpu"
    );
    assert!(logged[1].success());
    assert!(logged[1].rows.is_some_and(|n| n > 1), "{:?}", logged[1]);
    let logged = [&logged[0], &logged[2]];
    assert_eq!(logged[0].query_text, "SELECT v FROM cpu GROUP BY host");
    assert!(logged[0].success());
    assert_eq!(logged[0].rows, Some(2));
    assert_eq!(logged[1].query_text, "SELECT nope(v) FROM cpu");
    assert!(!logged[1].success() && !logged[1].running());
    assert_eq!(
        logged[1].error.as_deref(),
        Some("undefined function nope()")
    );

    // And in the table SQL reads.
    let db = f.database("db").await;
    let ctx = qdb.session(&db).await.unwrap();
    let batches = ctx
        .sql(
            "SELECT query_text, success FROM system.queries WHERE query_type = 'influxql' \
             ORDER BY issue_time",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let texts: Vec<String> = batches
        .iter()
        .flat_map(|b| {
            let c = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8).unwrap();
            c.as_string::<i32>()
                .iter()
                .map(|s| s.unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        texts,
        [
            "SELECT v FROM cpu GROUP BY host",
            "EXPLAIN ANALYZE SELECT max(v) FROM cpu",
            "SELECT nope(v) FROM cpu"
        ]
    );
}
