//! 1.x's administration statements that have a meaning in Quiver, answered as 1.6 answers them
//! on a server without users, continuous queries or subscriptions.
//!
//! ```text
//! SHOW USERS                 ──► columns user, admin; no rows (Quiver authenticates tokens)
//! SHOW GRANTS FOR u          ──► "user not found"
//! SHOW CONTINUOUS QUERIES    ──► one empty series (name, query) per database the token reads
//! SHOW SUBSCRIPTIONS         ──► no series
//! SHOW QUERIES               ──► the query log's running queries of the databases the token
//!                                reads (qid = log id, duration as Go prints it), then this one
//! KILL QUERY n               ──► "no such query id: n" (queries cannot be killed by id)
//! ```
//!
//! User management (CREATE / DROP USER, GRANT, REVOKE, SET PASSWORD) and the statements about
//! 1.x's shards, statistics and diagnostics stay "statement is not supported": Quiver's
//! tokens are managed through `/api/v2/authorizations` and `quiver admin`.

use auth::{Action, Authorization};
use catalog::Catalog;
use influxql::ast::Statement;
use query::QueryLog;
use v1_query::result::{Series, Value};

use crate::{ExecError, meta};

/// True for the statements this module answers.
pub(crate) fn handles(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::ShowUsers
            | Statement::ShowGrantsForUser { .. }
            | Statement::ShowContinuousQueries
            | Statement::ShowSubscriptions
            | Statement::ShowQueries
            | Statement::KillQuery { .. }
    )
}

/// Answers `stmt` (one of [`handles`]); `database`: the request's `db` (SHOW QUERIES' own row).
pub(crate) async fn run(
    catalog: &dyn Catalog,
    log: &QueryLog,
    auth: &Authorization,
    database: Option<&str>,
    stmt: &Statement,
) -> Result<Vec<Series>, ExecError> {
    match stmt {
        Statement::ShowQueries => Ok(vec![show_queries(log, auth, database, stmt)]),
        Statement::ShowUsers => Ok(vec![Series {
            name: None,
            columns: vec!["user".to_owned(), "admin".to_owned()],
            ..Series::default()
        }]),
        Statement::ShowGrantsForUser { .. } => Err(ExecError::Statement("user not found".into())),
        Statement::ShowContinuousQueries => {
            let databases = meta::show_databases(catalog, auth).await?;
            Ok(databases
                .into_iter()
                .flat_map(|s| s.values)
                .filter_map(|row| match row.into_iter().next() {
                    Some(Value::String(name)) => Some(Series {
                        name: Some(name),
                        columns: vec!["name".to_owned(), "query".to_owned()],
                        ..Series::default()
                    }),
                    _ => None,
                })
                .collect())
        }
        Statement::ShowSubscriptions => Ok(Vec::new()),
        Statement::KillQuery { query_id, .. } => Err(ExecError::Statement(format!(
            "no such query id: {query_id}"
        ))),
        other => Err(ExecError::Statement(format!(
            "statement is not supported: {other}"
        ))),
    }
}

/// 1.x's SHOW QUERIES: `qid`, `query`, `database`, `duration`, `status` of the running queries
/// (InfluxQL SELECTs, SQL, Flight SQL of this process's log) on databases the token reads,
/// oldest first, then the SHOW QUERIES statement itself (as 1.x lists it) with the next id.
fn show_queries(
    log: &QueryLog,
    auth: &Authorization,
    database: Option<&str>,
    stmt: &Statement,
) -> Series {
    let started = std::time::Instant::now();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    let entries = log.entries();
    let next_id = entries.iter().map(|e| e.id).max().map_or(1, |m| m + 1);
    let mut running: Vec<_> = entries
        .into_iter()
        .filter(|e| e.running() && auth.allows(Action::Read, &e.database_name))
        .collect();
    running.sort_by_key(|e| e.id);
    let mut values: Vec<Vec<Value>> = running
        .into_iter()
        .map(|e| {
            vec![
                Value::Integer(i64::try_from(e.id).unwrap_or(i64::MAX)),
                Value::String(e.query_text),
                Value::String(e.database_name),
                Value::String(crate::retention::go_duration(
                    now.saturating_sub(e.issue_time_ns).max(0),
                )),
                Value::String("running".to_owned()),
            ]
        })
        .collect();
    values.push(vec![
        Value::Integer(i64::try_from(next_id).unwrap_or(i64::MAX)),
        Value::String(stmt.to_string()),
        Value::String(database.unwrap_or_default().to_owned()),
        Value::String(crate::retention::go_duration(
            i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX),
        )),
        Value::String("running".to_owned()),
    ]);
    Series {
        name: None,
        columns: ["qid", "query", "database", "duration", "status"]
            .map(str::to_owned)
            .to_vec(),
        values,
        ..Series::default()
    }
}
