//! 1.x's administration statements that have a meaning in Quiver, answered as 1.6 answers them
//! on a server without users, continuous queries or subscriptions.
//!
//! ```text
//! SHOW USERS                 ──► columns user, admin; no rows (Quiver authenticates tokens)
//! SHOW GRANTS FOR u          ──► "user not found"
//! SHOW CONTINUOUS QUERIES    ──► one empty series (name, query) per database the token reads
//! SHOW SUBSCRIPTIONS         ──► no series
//! KILL QUERY n               ──► "no such query id: n" (queries cannot be killed by id)
//! ```
//!
//! User management (CREATE / DROP USER, GRANT, REVOKE, SET PASSWORD) and the statements about
//! 1.x's shards, statistics and diagnostics stay "statement is not supported": Quiver's
//! tokens are managed through `/api/v2/authorizations` and `quiver admin`.

use auth::Authorization;
use catalog::Catalog;
use influxql::ast::Statement;
use v1_query::result::Series;

use crate::{ExecError, meta};

/// True for the statements this module answers.
pub(crate) fn handles(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::ShowUsers
            | Statement::ShowGrantsForUser { .. }
            | Statement::ShowContinuousQueries
            | Statement::ShowSubscriptions
            | Statement::KillQuery { .. }
    )
}

/// Answers `stmt` (one of [`handles`]).
pub(crate) async fn run(
    catalog: &dyn Catalog,
    auth: &Authorization,
    stmt: &Statement,
) -> Result<Vec<Series>, ExecError> {
    match stmt {
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
                    Some(v1_query::result::Value::String(name)) => Some(Series {
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
