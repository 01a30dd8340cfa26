//! Runs a parsed query statement by statement, as 1.x's query executor does.
//!
//! ```text
//! Query ──► authorize (every database a statement reads: read; SELECT INTO's target: write;
//!           CREATE/ALTER/DROP of a database or retention policy: operator)
//!       ──► for each statement i: resolve its database (ON / FROM db.rp.m / the request's
//!           db + rp) ──► select:: (INTO: into::, the points to the PointsWriter) |
//!           explain:: | meta:: | retention:: | catalog
//!       ──► StatementResult { statement_id: i }
//!           the first failure ends the query; as 1.6 answers it, a failed statement that is
//!           not the last reads "not executed" and no later statement answers
//! ```

use std::sync::Arc;

use auth::{Action, Authorization};
use catalog::{Database, DatabaseName, V1Database, resolve_v1_database};
use influxql::ast::{Measurement, Query, SelectStatement, Source, Statement};
use query::QueryDatabase;
use v1_query::result::{PANIC_STATEMENT_ID, Series, StatementResult};

use crate::into::{self, PointsWriter};
use crate::{ExecError, admin, explain, meta, retention, select};

/// The request around a query: the v1 `db` / `rp` parameters, the time `now()` means, and the
/// token's authorization.
#[derive(Debug, Clone)]
pub struct Request {
    /// `db=`
    pub database: Option<String>,
    /// `rp=`
    pub retention_policy: Option<String>,
    /// `now()`, in nanoseconds since the epoch.
    pub now: i64,
    /// What the request's token may do.
    pub authorization: Authorization,
}

/// The Quiver database a v1 `db` + `rp` name: `db` for the default policy (empty, `autogen`,
/// `default`), else `db/rp` — as the router's v1 `/write` names it.
pub fn database_name(db: &str, rp: Option<&str>) -> String {
    match rp {
        Some(rp)
            if !(rp.is_empty()
                || rp.eq_ignore_ascii_case("autogen")
                || rp.eq_ignore_ascii_case("default")
                || rp == "''") =>
        {
            format!("{db}/{rp}")
        }
        _ => db.to_owned(),
    }
}

/// Executes InfluxQL over a [`QueryDatabase`].
#[derive(Debug, Clone)]
pub struct Executor {
    db: Arc<QueryDatabase>,
    /// Where SELECT INTO writes (without one, SELECT INTO fails).
    points_writer: Option<Arc<dyn PointsWriter>>,
}

impl Executor {
    /// An executor over `db`'s catalog and sessions.
    pub fn new(db: Arc<QueryDatabase>) -> Self {
        Self {
            db,
            points_writer: None,
        }
    }

    /// SELECT INTO writes its points with `writer` (`None`: SELECT INTO fails).
    pub fn with_points_writer(mut self, writer: Option<Arc<dyn PointsWriter>>) -> Self {
        self.points_writer = writer;
        self
    }

    /// Checks the token may run every statement of `query`: read on each database a statement
    /// reads, operator rights for CREATE / DROP DATABASE and CREATE / ALTER / DROP RETENTION
    /// POLICY.
    pub fn authorize(&self, query: &Query, req: &Request) -> Result<(), String> {
        let auth = &req.authorization;
        for stmt in &query.statements {
            let needs_operator = matches!(
                stmt,
                Statement::CreateDatabase(_)
                    | Statement::DropDatabase { .. }
                    | Statement::CreateRetentionPolicy(_)
                    | Statement::DropRetentionPolicy { .. }
                    | Statement::AlterRetentionPolicy(_)
                    // 1.x's admin-only statements.
                    | Statement::ShowUsers
                    | Statement::ShowGrantsForUser { .. }
                    | Statement::ShowSubscriptions
                    | Statement::KillQuery { .. }
            );
            if needs_operator && !auth.operator {
                return Err(format!(
                    "error authorizing query: token not authorized to execute statement '{stmt}', requires admin privilege"
                ));
            }
            for db in read_databases(stmt, req) {
                if !auth.allows(Action::Read, &db) {
                    return Err(format!(
                        "error authorizing query: token not authorized to execute statement '{stmt}', requires READ on {db}"
                    ));
                }
            }
            if let Statement::Select(s) = stmt
                && let Some(db) = s.target.as_ref().and_then(|t| into_target(t, req))
                && !auth.allows(Action::Write, &db.name())
            {
                return Err(format!(
                    "error authorizing query: token not authorized to execute statement '{stmt}', requires WRITE on {}",
                    db.name()
                ));
            }
        }
        Ok(())
    }

    /// Runs every statement of `query`.
    pub async fn execute(&self, query: &Query, req: &Request) -> Vec<StatementResult> {
        let mut out = Vec::with_capacity(query.statements.len());
        let last = query.statements.len().saturating_sub(1);
        for (i, stmt) in query.statements.iter().enumerate() {
            let r = match self.statement_result(stmt, i, req).await {
                Ok(r) => r,
                Err(panic) => {
                    out.push(panic_result(query, i, req, &panic));
                    break;
                }
            };
            if r.error.is_some() && i < last {
                // 1.6's answer when a statement other than the last fails: that statement
                // reads "not executed" and the answer ends there.
                out.push(StatementResult::error(i, "not executed"));
                break;
            }
            out.push(r);
        }
        out
    }

    /// Runs one statement (where 1.x panics: the panic's result, worded with this statement
    /// alone as the query).
    pub async fn execute_statement(
        &self,
        stmt: &Statement,
        statement_id: usize,
        req: &Request,
    ) -> StatementResult {
        match self.statement_result(stmt, statement_id, req).await {
            Ok(r) => r,
            Err(panic) => {
                let one = Query {
                    statements: vec![stmt.clone()],
                };
                panic_result(&one, 0, req, &panic)
            }
        }
    }

    /// Runs one statement; `Err`: where 1.x panics, the panic's text.
    async fn statement_result(
        &self,
        stmt: &Statement,
        statement_id: usize,
        req: &Request,
    ) -> Result<StatementResult, String> {
        let location = match stmt {
            Statement::Select(s) => s.location.clone(),
            _ => None,
        };
        Ok(match self.run(stmt, req).await {
            Ok(series) => StatementResult {
                statement_id,
                series,
                location,
                ..StatementResult::default()
            },
            Err(ExecError::Panic(text)) => return Err(text),
            Err(e) => {
                tracing::debug!(error = %e, "InfluxQL statement failed");
                StatementResult::error(statement_id, e.to_string())
            }
        })
    }

    async fn run(&self, stmt: &Statement, req: &Request) -> Result<Vec<Series>, ExecError> {
        let catalog = self.db.catalog();
        match stmt {
            Statement::Select(s) if s.target.is_some() => self.select_into(s, req).await,
            Statement::Select(s) => {
                let db = self.select_database(s, req).await?;
                // Logged in system.queries as InfluxQL, whichever API it came from.
                let entry =
                    self.db
                        .query_log()
                        .begin(&db, query::QueryType::InfluxQl, s.to_string(), None);
                let result = async {
                    let session = self.db.session(&db).await?;
                    let schema = catalog.database_schema(db.id).await?;
                    select::execute(&session, &schema.tables, s, req.now).await
                }
                .await;
                match &result {
                    Ok(series) => {
                        entry.finish_ok(Some(series.iter().map(|s| s.values.len() as u64).sum()))
                    }
                    Err(e) => entry.finish_err(e.to_string()),
                }
                result
            }
            Statement::ShowDatabases => {
                meta::show_databases(catalog.as_ref(), &req.authorization).await
            }
            Statement::ShowRetentionPolicies { database } => {
                let name = on_database(database.as_deref(), req)?;
                retention::show_retention_policies(catalog.as_ref(), &name).await
            }
            Statement::CreateRetentionPolicy(c) => {
                retention::create_retention_policy(catalog.as_ref(), c).await?;
                Ok(Vec::new())
            }
            Statement::AlterRetentionPolicy(a) => {
                retention::alter_retention_policy(catalog.as_ref(), a).await?;
                Ok(Vec::new())
            }
            Statement::DropRetentionPolicy { name, database } => {
                retention::drop_retention_policy(catalog.as_ref(), name, database).await?;
                Ok(Vec::new())
            }
            Statement::CreateDatabase(c) => {
                meta::create_database(catalog.as_ref(), c).await?;
                Ok(Vec::new())
            }
            Statement::DropDatabase { name } => {
                meta::drop_database(catalog.as_ref(), name).await?;
                Ok(Vec::new())
            }
            Statement::Explain(e) => {
                let db = self.select_database(&e.statement, req).await?;
                let session = self.db.session(&db).await?;
                let schema = catalog.database_schema(db.id).await?;
                let (database, rp) = match db.name.as_str().split_once('/') {
                    Some((d, rp)) => (d.to_owned(), rp.to_owned()),
                    None => (db.name.as_str().to_owned(), "autogen".to_owned()),
                };
                let target = explain::Target {
                    database,
                    retention_policy: rp,
                };
                // EXPLAIN ANALYZE runs the SELECT: logged in system.queries like one.
                let entry = e.analyze.then(|| {
                    self.db.query_log().begin(
                        &db,
                        query::QueryType::InfluxQl,
                        format!("EXPLAIN ANALYZE {}", e.statement),
                        None,
                    )
                });
                let result = explain::explain(
                    &session,
                    &schema.tables,
                    &e.statement,
                    req.now,
                    e.analyze,
                    &target,
                )
                .await;
                match (entry, &result) {
                    (Some(entry), Ok(series)) => {
                        entry.finish_ok(Some(series.iter().map(|s| s.values.len() as u64).sum()))
                    }
                    (Some(entry), Err(e)) => entry.finish_err(e.to_string()),
                    (None, _) => {}
                }
                result
            }
            admin if admin::handles(admin) => {
                admin::run(
                    catalog.as_ref(),
                    self.db.query_log(),
                    &req.authorization,
                    req.database.as_deref(),
                    admin,
                )
                .await
            }
            other => {
                let Some(on) = meta::statement_database(other) else {
                    return Err(ExecError::Statement(format!(
                        "statement is not supported: {other}"
                    )));
                };
                meta::check_rewrite(other)?;
                let name = on_database(on, req)?;
                let db = match self.lookup(&name).await {
                    // 1.x answers SHOW MEASUREMENTS of a missing database with no series.
                    Err(ExecError::Statement(_))
                        if matches!(other, Statement::ShowMeasurements(_)) =>
                    {
                        return Ok(Vec::new());
                    }
                    r => r?,
                };
                let session = self.db.session(&db).await?;
                let schema = catalog.database_schema(db.id).await?;
                meta::show(&session, &schema.tables, other, req.now).await
            }
        }
    }

    async fn lookup(&self, name: &str) -> Result<Database, ExecError> {
        let not_found = || ExecError::Statement(format!("database not found: {name}"));
        let db_name = DatabaseName::new(name).map_err(|_| not_found())?;
        match self.db.catalog().database_by_name(&db_name).await? {
            Some(db) if db.deleted_at_ns.is_none() => Ok(db),
            _ => Err(not_found()),
        }
    }

    async fn select_database(
        &self,
        s: &SelectStatement,
        req: &Request,
    ) -> Result<Database, ExecError> {
        let target = select_target(s, req)
            .ok_or_else(|| ExecError::Statement("database name required".to_owned()))?;
        self.resolve(target, s, req, Action::Read).await
    }

    /// SELECT INTO: the target database first (1.x: before anything is read), then the
    /// SELECT's rows as points written with the points writer (`into`).
    async fn select_into(
        &self,
        s: &SelectStatement,
        req: &Request,
    ) -> Result<Vec<Series>, ExecError> {
        let Some(writer) = &self.points_writer else {
            return Err(ExecError::Statement(
                "SELECT INTO is not supported here: this server has no points writer".to_owned(),
            ));
        };
        let target = s
            .target
            .as_ref()
            .and_then(|t| into_target(t, req))
            .ok_or_else(|| ExecError::Statement("database name required".to_owned()))?;
        let into_db = self.resolve(target, s, req, Action::Write).await?;
        let db = self.select_database(s, req).await?;
        let entry = self
            .db
            .query_log()
            .begin(&db, query::QueryType::InfluxQl, s.to_string(), None);
        let result = async {
            let session = self.db.session(&db).await?;
            let schema = self.db.catalog().database_schema(db.id).await?;
            let reading = into::reading_statement(s);
            let series = select::execute(&session, &schema.tables, &reading, req.now).await?;
            let points = into::points(s, &series, &schema.tables)?;
            into::write(writer.as_ref(), &into_db, &points).await
        }
        .await;
        match &result {
            Ok(_) => entry.finish_ok(Some(1)),
            Err(e) => entry.finish_err(e.to_string()),
        }
        Ok(into::result(result?))
    }

    /// The database `target` names: a DBRP mapping's (the token must have `action` on it
    /// too), else by name; a missing `db/rp` of an existing `db` is 1.x's unknown retention
    /// policy.
    async fn resolve(
        &self,
        target: SelectTarget,
        s: &SelectStatement,
        req: &Request,
        action: Action,
    ) -> Result<Database, ExecError> {
        if let SelectTarget::V1 { db, rp } = &target {
            // A DBRP mapping (CREATE RETENTION POLICY … DEFAULT makes one) names the
            // database, as for v1 /write and /query; the token needs `action` on that
            // database too.
            if let Ok(V1Database::Mapped { database, .. }) =
                resolve_v1_database(self.db.catalog().as_ref(), db, rp.as_deref()).await
            {
                if !req.authorization.allows(action, database.name.as_str()) {
                    let needs = match action {
                        Action::Read => "READ",
                        Action::Write => "WRITE",
                    };
                    return Err(ExecError::Statement(format!(
                        "error authorizing query: token not authorized to execute statement '{s}', requires {needs} on {}",
                        database.name
                    )));
                }
                return Ok(database);
            }
        }
        let name = target.name();
        match self.lookup(&name).await {
            // `db/rp` missing while `db` exists: 1.x's unknown retention policy.
            Err(ExecError::Statement(_))
                if name.contains('/')
                    && let Some((base, rp)) = name.split_once('/')
                    && self.lookup(base).await.is_ok() =>
            {
                Err(ExecError::Statement(format!(
                    "retention policy not found: {rp}"
                )))
            }
            r => r,
        }
    }
}

/// Where a SELECT reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SelectTarget {
    /// A v1 database and retention policy its FROM names (`db.rp.m`, `db..m`, `rp.m`).
    V1 { db: String, rp: Option<String> },
    /// The request's database (already resolved by the caller).
    Request(String),
}

impl SelectTarget {
    /// The database's name without DBRP mappings.
    fn name(&self) -> String {
        match self {
            Self::V1 { db, rp } => database_name(db, rp.as_deref()),
            Self::Request(name) => name.clone(),
        }
    }
}

/// The v1 database of the request's database name: the part before `/` (the caller passes a
/// mapped `db/rp`).
fn request_v1_database(req: &Request) -> Option<&str> {
    req.database
        .as_deref()
        .and_then(|db| db.split('/').next())
        .filter(|db| !db.is_empty())
}

/// The database a measurement qualified with `db.rp.` / `db..` / `rp.` names; `None` when it
/// is not qualified.
fn qualified_target(m: &Measurement, req: &Request) -> Option<SelectTarget> {
    if let Some(db) = &m.database
        && !db.is_empty()
    {
        let rp = m
            .retention_policy
            .as_deref()
            .filter(|rp| !rp.is_empty())
            .or(req.retention_policy.as_deref());
        return Some(SelectTarget::V1 {
            db: db.clone(),
            rp: rp.map(str::to_owned),
        });
    }
    // `rp.m`: the request's database under that retention policy.
    if let (Some(rp), Some(db)) = (&m.retention_policy, request_v1_database(req))
        && !rp.is_empty()
    {
        return Some(SelectTarget::V1 {
            db: db.to_owned(),
            rp: Some(rp.clone()),
        });
    }
    None
}

/// The request's database (`db` + `rp`), if it names one.
fn request_target(req: &Request) -> Option<SelectTarget> {
    req.database
        .as_deref()
        .map(|db| SelectTarget::Request(database_name(db, req.retention_policy.as_deref())))
}

/// The database SELECT INTO writes: its target's qualification as for a source, else the
/// request's (1.x's default database and retention policy of the target).
fn into_target(m: &Measurement, req: &Request) -> Option<SelectTarget> {
    qualified_target(m, req).or_else(|| request_target(req))
}

/// The database a SELECT reads: the first qualified source, else the request's.
fn select_target(s: &SelectStatement, req: &Request) -> Option<SelectTarget> {
    for src in &s.sources {
        match src {
            Source::Measurement(m) => {
                if let Some(t) = qualified_target(m, req) {
                    return Some(t);
                }
            }
            Source::Subquery(inner) => {
                if let Some(t) = select_target(inner, req) {
                    return Some(t);
                }
            }
        }
    }
    request_target(req)
}

/// The database name a SELECT reads, for authorization (without DBRP mappings; a mapped
/// database is checked again when the statement runs).
fn select_database_name(s: &SelectStatement, req: &Request) -> Option<String> {
    select_target(s, req).map(|t| t.name())
}

/// `ON db` if given, else the request's database.
fn on_database(on: Option<&str>, req: &Request) -> Result<String, ExecError> {
    match on {
        Some(db) => Ok(database_name(db, req.retention_policy.as_deref())),
        None => req
            .database
            .as_deref()
            .map(|db| database_name(db, req.retention_policy.as_deref()))
            .ok_or_else(|| ExecError::Statement("database name required".to_owned())),
    }
}

/// The databases a statement reads (for authorization).
fn read_databases(stmt: &Statement, req: &Request) -> Vec<String> {
    match stmt {
        Statement::Select(s) => select_database_name(s, req).into_iter().collect(),
        Statement::Explain(e) => select_database_name(&e.statement, req)
            .into_iter()
            .collect(),
        Statement::ShowDatabases
        | Statement::CreateDatabase(_)
        | Statement::DropDatabase { .. } => Vec::new(),
        Statement::ShowRetentionPolicies { database } => {
            on_database(database.as_deref(), req).into_iter().collect()
        }
        other => match meta::statement_database(other) {
            Some(on) => on_database(on, req).into_iter().collect(),
            None => Vec::new(),
        },
    }
}

/// 1.x's answer when statement `at` of `query` panics (`query/executor.go`, `executeQuery`'s
/// recover): `statement_id: -1`, the error the query's text — statements joined by `;\n`, those
/// up to `at` as 1.x rewrote them before running (a SELECT's measurements qualified with the
/// database and retention policy) — followed by ` [panic:<text>]`.
fn panic_result(query: &Query, at: usize, req: &Request, text: &str) -> StatementResult {
    let statements: Vec<String> = query
        .statements
        .iter()
        .enumerate()
        .map(|(i, stmt)| match stmt {
            Statement::Select(s) if i <= at => {
                let mut s = s.clone();
                qualify_sources(&mut s, req);
                s.to_string()
            }
            other => other.to_string(),
        })
        .collect();
    StatementResult::error(
        PANIC_STATEMENT_ID,
        format!("{} [panic:{text}]", statements.join(";\n")),
    )
}

/// 1.x's `NormalizeStatement` on a SELECT's sources: each measurement gets the request's
/// database and the retention policy (`rp=`, else `autogen`) where it names none.
fn qualify_sources(s: &mut SelectStatement, req: &Request) {
    for source in &mut s.sources {
        match source {
            Source::Measurement(m) => {
                if m.database.as_deref().is_none_or(str::is_empty) {
                    m.database = req.database.clone();
                }
                if m.retention_policy.as_deref().is_none_or(str::is_empty) {
                    m.retention_policy = Some(
                        req.retention_policy
                            .clone()
                            .filter(|rp| !rp.is_empty())
                            .unwrap_or_else(|| "autogen".to_owned()),
                    );
                }
            }
            Source::Subquery(inner) => qualify_sources(inner, req),
        }
    }
}
