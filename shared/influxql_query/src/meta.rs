//! SHOW statements and database management, answered as 1.x answers them.
//!
//! ```text
//! SHOW DATABASES            ──► catalog databases the token may read (creation order)
//! SHOW RETENTION POLICIES   ──► retention.rs
//! SHOW MEASUREMENTS | TAG KEYS | FIELD KEYS ──► the database's schema (FROM, WITH, LIMIT)
//!   with WHERE, or for TAG VALUES | SERIES | cardinalities ──► the distinct series of each
//!   measurement (fetch::distinct_series: DataFusion over the same tables as SELECT),
//!   filtered by the condition on their tags; first 1.x's limits: its rewriter refuses time
//!   in WHERE for some forms (check_rewrite), its index refuses comparisons other than
//!   = != =~ !~, and a cardinality that FROM/WHERE/GROUP BY/LIMIT/OFFSET narrows is counted
//!   exactly; with GROUP BY tags, one count per measurement and tag group (`grouped`)
//! CREATE DATABASE / DROP DATABASE ──► catalog (DROP also drops the DBRP mappings of `db`)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use auth::{Action, Authorization};
use catalog::{Catalog, DatabaseName, DatabaseOptions, TableSchema};
use datafusion::prelude::SessionContext;
use influxql::ast::{
    BinaryOp, CardinalityStatement, CreateDatabaseStatement, Expr, MeasurementName, Source,
    Statement, TagKeySelector,
};
use v1_query::result::{Series, Value};

use crate::ExecError;
use crate::condition::{self, TimeRange};
use crate::eval::{Row, eval_bool};
use crate::executor::database_name;
use crate::fetch::{SeriesData, distinct_series};
use crate::select::fields::Schema;

fn err(text: impl Into<String>) -> ExecError {
    ExecError::Statement(text.into())
}

/// `SHOW DATABASES`: the v1 database names (the part before `/`) the token may read.
pub(crate) async fn show_databases(
    catalog: &dyn Catalog,
    auth: &Authorization,
) -> Result<Vec<Series>, ExecError> {
    let mut dbs = catalog.list_databases().await?;
    dbs.retain(|d| d.deleted_at_ns.is_none());
    dbs.sort_by_key(|d| (d.created_at_ns, d.id.0));
    let mut names: Vec<String> = Vec::new();
    for d in &dbs {
        if !auth.allows(Action::Read, d.name.as_str()) {
            continue;
        }
        let v1 = d
            .name
            .as_str()
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        if !names.contains(&v1) {
            names.push(v1);
        }
    }
    Ok(vec![Series {
        name: Some("databases".to_owned()),
        columns: vec!["name".to_owned()],
        values: names.into_iter().map(|n| vec![Value::String(n)]).collect(),
        ..Series::default()
    }])
}

/// `CREATE DATABASE name [WITH DURATION d …]`: creates `name` (and its policy `name/rp`
/// when `NAME rp` is not the default); an existing database is fine, as in 1.x.
pub(crate) async fn create_database(
    catalog: &dyn Catalog,
    c: &CreateDatabaseStatement,
) -> Result<(), ExecError> {
    let name = database_name(&c.name, c.retention_policy_name.as_deref());
    let db_name = DatabaseName::new(&name).map_err(|e| err(e.to_string()))?;
    let options = DatabaseOptions {
        retention_period: c
            .duration
            .filter(|d| *d > 0)
            .map(|d| std::time::Duration::from_nanos(d.unsigned_abs())),
        ..DatabaseOptions::default()
    };
    match catalog.create_database(&db_name, options).await {
        Ok(_) | Err(catalog::CatalogError::DatabaseAlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `DROP DATABASE name`: deletes it, its `name/rp` policies and the DBRP mappings of `name`
/// (a mapped v2 bucket stays); a missing one is fine.
pub(crate) async fn drop_database(catalog: &dyn Catalog, name: &str) -> Result<(), ExecError> {
    crate::retention::drop_mappings(catalog, name).await?;
    for d in catalog.list_databases().await? {
        let n = d.name.as_str();
        if d.deleted_at_ns.is_none() && (n == name || n.starts_with(&format!("{name}/"))) {
            catalog.delete_database(d.id).await?;
        }
    }
    Ok(())
}

/// For a SHOW statement answered from one database: its `ON db` (`Some(None)` = the
/// request's database); `None` for statements Quiver does not answer.
pub(crate) fn statement_database(stmt: &Statement) -> Option<Option<&str>> {
    Some(match stmt {
        Statement::ShowMeasurements(s) => s.database.as_deref(),
        Statement::ShowTagKeys(s) => s.database.as_deref(),
        Statement::ShowTagValues(s) => s.database.as_deref(),
        Statement::ShowFieldKeys(s) => s.database.as_deref(),
        Statement::ShowSeries(s) => s.database.as_deref(),
        Statement::ShowMeasurementCardinality(c)
        | Statement::ShowTagKeyCardinality(c)
        | Statement::ShowFieldKeyCardinality(c)
        | Statement::ShowSeriesCardinality(c) => c.database.as_deref(),
        Statement::ShowTagValuesCardinality(s) => s.common.database.as_deref(),
        _ => return None,
    })
}

/// Measurements named by FROM (all of them when empty), sorted.
fn from_measurements(sources: &[Source], tables: &BTreeMap<String, TableSchema>) -> Vec<String> {
    if sources.is_empty() {
        return tables.keys().cloned().collect();
    }
    let mut out = BTreeSet::new();
    for s in sources {
        if let Source::Measurement(m) = s {
            match &m.name {
                Some(MeasurementName::Name(n)) if tables.contains_key(n) => {
                    out.insert(n.clone());
                }
                Some(MeasurementName::Regex(r)) => {
                    out.extend(tables.keys().filter(|t| r.regex.is_match(t)).cloned());
                }
                _ => {}
            }
        }
    }
    out.into_iter().collect()
}

struct TagRow<'a>(&'a BTreeMap<String, String>, &'a str);

impl Row for TagRow<'_> {
    fn get(&self, name: &str, _: Option<influxql::ast::DataType>) -> Value {
        if name == "_name" {
            return Value::String(self.1.to_owned());
        }
        Value::String(self.0.get(name).cloned().unwrap_or_default())
    }
}

/// The series of `table` matching `cond` (tags only, as 1.x's index reads it:
/// [`index_leaves`]) within `range`.
async fn matching_series(
    ctx: &SessionContext,
    table: &str,
    schema: &TableSchema,
    cond: Option<&Expr>,
    range: TimeRange,
) -> Result<Vec<BTreeMap<String, String>>, ExecError> {
    filtered_series(ctx, table, schema, cond, range, true).await
}

/// The series of `table` matching `cond` within `range`; `index`: the comparisons 1.x's
/// index reads as "every series" count so ([`index_leaves`]) — not for an EXACT cardinality,
/// which 1.x rewrites into a counting SELECT.
async fn filtered_series(
    ctx: &SessionContext,
    table: &str,
    schema: &TableSchema,
    cond: Option<&Expr>,
    range: TimeRange,
    index: bool,
) -> Result<Vec<BTreeMap<String, String>>, ExecError> {
    let mut s = Schema::default();
    s.add(schema);
    let tags: Vec<String> = s.tags.iter().cloned().collect();
    let mut series = distinct_series(ctx, table, &tags, range).await?;
    if let Some(c) = cond {
        let c = if index {
            index_leaves(c, &s)
        } else {
            c.clone()
        };
        series.retain(|t| eval_bool(&c, &TagRow(t, table)));
    }
    Ok(series)
}

/// 1.x's series index (`tsdb/index/inmem/meta.go`, `Measurement.idsForExpr`) answers every
/// series of the measurement for a comparison on a field, and the comparison of a tag with
/// anything but a string or a regex (`host = 1`, `host = true`, `host = region`) selects
/// every series too: such leaves become `true`.
fn index_leaves(e: &Expr, schema: &Schema) -> Expr {
    match e {
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::And | BinaryOp::Or) => {
            Expr::Binary {
                op: *op,
                lhs: Box::new(index_leaves(lhs, schema)),
                rhs: Box::new(index_leaves(rhs, schema)),
            }
        }
        Expr::Paren(inner) => Expr::Paren(Box::new(index_leaves(inner, schema))),
        Expr::Binary { lhs, rhs, .. } => {
            let (var, value) = match (lhs.as_ref(), rhs.as_ref()) {
                (Expr::VarRef { name, .. }, v) => (name, v),
                (v, Expr::VarRef { name, .. }) => (name, v),
                _ => return e.clone(),
            };
            let field = !schema.tags.contains(var) && schema.fields.contains_key(var);
            let odd_value = !matches!(value, Expr::String(_) | Expr::Regex(_));
            if var != "_name" && (field || odd_value) {
                Expr::Boolean(true)
            } else {
                e.clone()
            }
        }
        _ => e.clone(),
    }
}

/// SHOW TAG VALUES' index lookup wants the tag key on the left of each comparison.
fn check_tag_key_left(e: Option<&Expr>) -> Result<(), ExecError> {
    match e {
        Some(Expr::Binary {
            op: BinaryOp::And | BinaryOp::Or,
            lhs,
            rhs,
        }) => {
            check_tag_key_left(Some(lhs))?;
            check_tag_key_left(Some(rhs))
        }
        Some(Expr::Paren(inner)) => check_tag_key_left(Some(inner)),
        Some(Expr::Binary { op, lhs, .. }) if !matches!(lhs.as_ref(), Expr::VarRef { .. }) => {
            Err(err(format!("left side of '{op}' must be a tag key")))
        }
        _ => Ok(()),
    }
}

/// Does measurement `name` answer SHOW MEASUREMENTS WHERE `e`? 1.x's index
/// (`tsdb/index/inmem/inmem.go`, `measurementNamesByExpr` / `measurementNamesByTagFilters`):
/// AND / OR intersect / unite; a comparison wants a tag key on the left and a string (a regex
/// for `=~` / `!~`) on the right; a measurement without that tag key never matches; else it
/// matches when "one of its values equals (matches) the right side" is true for `=` / `=~`
/// and false for `!=` / `!~` (so `host !~ /x/` drops a measurement having one such value).
fn measurement_matches(
    e: &Expr,
    name: &str,
    values: &BTreeMap<String, BTreeSet<String>>,
) -> Result<bool, ExecError> {
    match e {
        Expr::Paren(inner) => measurement_matches(inner, name, values),
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::And | BinaryOp::Or) => {
            let l = measurement_matches(lhs, name, values)?;
            let r = measurement_matches(rhs, name, values)?;
            Ok(if *op == BinaryOp::And { l && r } else { l || r })
        }
        Expr::Binary { op, lhs, rhs }
            if matches!(
                op,
                BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::EqRegex | BinaryOp::NotEqRegex
            ) =>
        {
            let Expr::VarRef { name: tag, .. } = lhs.as_ref() else {
                return Err(err(format!("left side of '{op}' must be a tag key")));
            };
            let regex = matches!(op, BinaryOp::EqRegex | BinaryOp::NotEqRegex);
            let test: Box<dyn Fn(&str) -> bool> = match (regex, rhs.as_ref()) {
                (true, Expr::Regex(r)) => {
                    let r = r.regex.clone();
                    Box::new(move |v: &str| r.is_match(v))
                }
                (true, _) => {
                    return Err(err(format!(
                        "right side of '{op}' must be a regular expression"
                    )));
                }
                (false, Expr::String(want)) => {
                    let want = want.clone();
                    Box::new(move |v: &str| v == want)
                }
                (false, _) => {
                    return Err(err(format!(
                        "right side of '{op}' must be a tag value string"
                    )));
                }
            };
            let positive = matches!(op, BinaryOp::Eq | BinaryOp::EqRegex);
            if tag == "_name" {
                return Ok(test(name) == positive);
            }
            if tag.starts_with('_') {
                return Ok(false);
            }
            let Some(vals) = values.get(tag) else {
                return Ok(false);
            };
            Ok(vals.iter().any(|v| test(v)) == positive)
        }
        _ => Ok(false),
    }
}

fn page<T>(v: Vec<T>, limit: u64, offset: u64) -> Vec<T> {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let v: Vec<T> = v.into_iter().skip(offset).collect();
    if limit > 0 {
        v.into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect()
    } else {
        v
    }
}

fn strings(v: impl IntoIterator<Item = String>) -> Vec<Vec<Value>> {
    v.into_iter().map(|s| vec![Value::String(s)]).collect()
}

fn cardinality(n: usize) -> Vec<Series> {
    vec![Series {
        columns: vec!["cardinality estimation".to_owned()],
        values: vec![vec![Value::Integer(n as i64)]],
        ..Series::default()
    }]
}

fn count_series(name: &str, n: usize) -> Series {
    Series {
        name: Some(name.to_owned()),
        columns: vec!["count".to_owned()],
        values: vec![vec![Value::Integer(n as i64)]],
        ..Series::default()
    }
}

/// 1.x's `HasTimeExpr`: a comparison with `time` on its left, through AND, OR and parentheses.
fn has_time_expr(e: Option<&Expr>) -> bool {
    match e {
        Some(Expr::Binary {
            op: BinaryOp::And | BinaryOp::Or,
            lhs,
            rhs,
        }) => has_time_expr(Some(lhs)) || has_time_expr(Some(rhs)),
        Some(Expr::Binary { lhs, .. }) => {
            matches!(&**lhs, Expr::VarRef { name, .. } if name.eq_ignore_ascii_case("time"))
        }
        Some(Expr::Paren(inner)) => has_time_expr(Some(inner)),
        _ => false,
    }
}

/// Whether every comparison in `e` is one the series index answers (=, !=, =~, !~, AND, OR).
fn index_operators_only(e: Option<&Expr>) -> bool {
    match e {
        Some(Expr::Binary { op, lhs, rhs }) => {
            matches!(
                op,
                BinaryOp::Eq
                    | BinaryOp::NotEq
                    | BinaryOp::EqRegex
                    | BinaryOp::NotEqRegex
                    | BinaryOp::And
                    | BinaryOp::Or
            ) && index_operators_only(Some(lhs))
                && index_operators_only(Some(rhs))
        }
        Some(Expr::Paren(inner)) => index_operators_only(Some(inner)),
        _ => true,
    }
}

/// The index lookups of SHOW MEASUREMENTS | SERIES | TAG KEYS | TAG VALUES refuse other
/// comparisons.
fn check_index_operators(e: Option<&Expr>) -> Result<(), ExecError> {
    if index_operators_only(e) {
        Ok(())
    } else {
        Err(err("invalid tag comparison operator"))
    }
}

/// Whether 1.x estimates this cardinality from its sketches (`cardinality estimation`) rather
/// than rewriting it into a counting SELECT: nothing narrows, groups or pages it.
fn estimated(c: &CardinalityStatement) -> bool {
    !c.exact
        && c.sources.is_empty()
        && c.condition.is_none()
        && c.dimensions.is_empty()
        && c.limit == 0
        && c.offset == 0
}

/// 1.x's statement rewriter (run before the database is looked up): the SHOW statements it
/// turns into index-less SELECTs refuse `time` in WHERE.
pub(crate) fn check_rewrite(stmt: &Statement) -> Result<(), ExecError> {
    let refused = match stmt {
        Statement::ShowMeasurements(s) => {
            has_time_expr(s.condition.as_ref()).then_some("SHOW MEASUREMENTS")
        }
        Statement::ShowFieldKeyCardinality(c) => {
            has_time_expr(c.condition.as_ref()).then_some("SHOW FIELD KEY CARDINALITY")
        }
        Statement::ShowMeasurementCardinality(c) => (!estimated(c)
            && has_time_expr(c.condition.as_ref()))
        .then_some("SHOW MEASUREMENT EXACT CARDINALITY"),
        Statement::ShowSeriesCardinality(c) => (!estimated(c)
            && has_time_expr(c.condition.as_ref()))
        .then_some("SHOW SERIES EXACT CARDINALITY"),
        Statement::ShowTagKeyCardinality(c) => {
            has_time_expr(c.condition.as_ref()).then_some("SHOW TAG KEY EXACT CARDINALITY")
        }
        _ => None,
    };
    match refused {
        Some(what) => Err(err(format!("{what} doesn't support time in WHERE clause"))),
        None => Ok(()),
    }
}

/// The counting SELECT a cardinality statement becomes in 1.x answers one row per series:
/// an OFFSET skips it, and a comparison the index cannot answer yields nothing.
fn counted_nothing(c: &CardinalityStatement) -> bool {
    c.offset > 0 || !index_operators_only(c.condition.as_ref())
}

/// Answers the SHOW statements that read one database's schema or series.
pub(crate) async fn show(
    ctx: &SessionContext,
    tables: &BTreeMap<String, TableSchema>,
    stmt: &Statement,
    now: i64,
) -> Result<Vec<Series>, ExecError> {
    match stmt {
        Statement::ShowMeasurements(s) => {
            check_index_operators(s.condition.as_ref())?;
            let (cond, range) = condition::split(s.condition.as_ref(), now)?;
            let mut names = Vec::new();
            for name in tables.keys() {
                if let Some((op, m)) = &s.with_measurement {
                    let matched = match m {
                        MeasurementName::Name(n) => n == name,
                        MeasurementName::Regex(r) => r.regex.is_match(name),
                    };
                    let want = matches!(op, BinaryOp::Eq | BinaryOp::EqRegex);
                    if matched != want {
                        continue;
                    }
                }
                if let Some(c) = cond.as_ref().filter(|_| range == TimeRange::default()) {
                    let Some(schema) = tables.get(name) else {
                        continue;
                    };
                    let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                    for t in matching_series(ctx, name, schema, None, range).await? {
                        for (k, v) in t {
                            values.entry(k).or_default().insert(v);
                        }
                    }
                    if !measurement_matches(c, name, &values)? {
                        continue;
                    }
                } else if cond.is_some() || range != TimeRange::default() {
                    let Some(schema) = tables.get(name) else {
                        continue;
                    };
                    if matching_series(ctx, name, schema, cond.as_ref(), range)
                        .await?
                        .is_empty()
                    {
                        continue;
                    }
                }
                names.push(name.clone());
            }
            let names = page(names, s.limit, s.offset);
            if names.is_empty() {
                return Ok(Vec::new());
            }
            Ok(vec![Series {
                name: Some("measurements".to_owned()),
                columns: vec!["name".to_owned()],
                values: strings(names),
                ..Series::default()
            }])
        }
        Statement::ShowTagKeys(s) => {
            let (cond, range) = condition::split(s.condition.as_ref(), now)?;
            check_index_operators(cond.as_ref())?;
            let mut out = Vec::new();
            for name in from_measurements(&s.sources, tables) {
                let Some(schema) = tables.get(&name) else {
                    continue;
                };
                let mut sch = Schema::default();
                sch.add(schema);
                let keys: Vec<String> = if cond.is_some() || range != TimeRange::default() {
                    let series = matching_series(ctx, &name, schema, cond.as_ref(), range).await?;
                    let mut k = BTreeSet::new();
                    for t in series {
                        k.extend(t.into_keys());
                    }
                    k.into_iter().collect()
                } else {
                    sch.tags.iter().cloned().collect()
                };
                let keys = page(keys, s.limit, s.offset);
                if keys.is_empty() {
                    continue;
                }
                out.push(Series {
                    name: Some(name.clone()),
                    columns: vec!["tagKey".to_owned()],
                    values: strings(keys),
                    ..Series::default()
                });
            }
            // 1.x ignores SLIMIT and SOFFSET here.
            Ok(out)
        }
        Statement::ShowTagValues(s) => {
            let (cond, range) = condition::split(s.condition.as_ref(), now)?;
            check_index_operators(cond.as_ref())?;
            check_tag_key_left(cond.as_ref())?;
            let mut out = Vec::new();
            for name in from_measurements(&s.sources, tables) {
                let Some(schema) = tables.get(&name) else {
                    continue;
                };
                let pairs = tag_values(ctx, &name, schema, &s.key, cond.as_ref(), range).await?;
                let pairs = page(pairs, s.limit, s.offset);
                if pairs.is_empty() {
                    continue;
                }
                out.push(Series {
                    name: Some(name.clone()),
                    columns: vec!["key".to_owned(), "value".to_owned()],
                    values: pairs
                        .into_iter()
                        .map(|(k, v)| vec![Value::String(k), Value::String(v)])
                        .collect(),
                    ..Series::default()
                });
            }
            Ok(out)
        }
        Statement::ShowFieldKeys(s) => {
            let mut out = Vec::new();
            for name in from_measurements(&s.sources, tables) {
                let Some(schema) = tables.get(&name) else {
                    continue;
                };
                let mut sch = Schema::default();
                sch.add(schema);
                let fields: Vec<(String, &str)> = sch
                    .fields
                    .iter()
                    .map(|(n, k)| (n.clone(), k.name()))
                    .collect();
                let fields = page(fields, s.limit, s.offset);
                if fields.is_empty() {
                    continue;
                }
                out.push(Series {
                    name: Some(name.clone()),
                    columns: vec!["fieldKey".to_owned(), "fieldType".to_owned()],
                    values: fields
                        .into_iter()
                        .map(|(n, t)| vec![Value::String(n), Value::String(t.to_owned())])
                        .collect(),
                    ..Series::default()
                });
            }
            Ok(out)
        }
        Statement::ShowSeries(s) => {
            // Without time 1.x reads the series index, which refuses other comparisons.
            if !has_time_expr(s.condition.as_ref()) {
                check_index_operators(s.condition.as_ref())?;
            }
            let (cond, range) = condition::split(s.condition.as_ref(), now)?;
            let mut keys = Vec::new();
            for name in from_measurements(&s.sources, tables) {
                let Some(schema) = tables.get(&name) else {
                    continue;
                };
                for t in matching_series(ctx, &name, schema, cond.as_ref(), range).await? {
                    keys.push(series_key(&name, t));
                }
            }
            keys.sort();
            let keys = page(keys, s.limit, s.offset);
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            Ok(vec![Series {
                columns: vec!["key".to_owned()],
                values: strings(keys),
                ..Series::default()
            }])
        }
        Statement::ShowSeriesCardinality(c) => {
            if !estimated(c) && counted_nothing(c) {
                return Ok(Vec::new());
            }
            if !c.dimensions.is_empty() {
                return grouped(ctx, tables, c, Grouped::Series, now).await;
            }
            let per = per_measurement_series(ctx, tables, c, now).await?;
            // 1.x counts exactly, per measurement, unless it may estimate.
            if !estimated(c) {
                return Ok(per
                    .into_iter()
                    .filter(|(_, s)| !s.is_empty())
                    .map(|(n, s)| count_series(&n, s.len()))
                    .collect());
            }
            Ok(cardinality(per.iter().map(|(_, s)| s.len()).sum()))
        }
        Statement::ShowMeasurementCardinality(c) => {
            if !estimated(c) && counted_nothing(c) {
                return Ok(Vec::new());
            }
            if !c.dimensions.is_empty() {
                return grouped(ctx, tables, c, Grouped::Measurements, now).await;
            }
            let names = from_measurements(&c.sources, tables);
            let n = if c.condition.is_some() {
                per_measurement_series(ctx, tables, c, now)
                    .await?
                    .iter()
                    .filter(|(_, s)| !s.is_empty())
                    .count()
            } else {
                names.len()
            };
            if !estimated(c) {
                if n == 0 {
                    return Ok(Vec::new());
                }
                return Ok(vec![Series {
                    columns: vec!["count".to_owned()],
                    values: vec![vec![Value::Integer(n as i64)]],
                    ..Series::default()
                }]);
            }
            Ok(cardinality(n))
        }
        Statement::ShowTagKeyCardinality(c) => {
            if counted_nothing(c) {
                return Ok(Vec::new());
            }
            if !c.dimensions.is_empty() {
                return grouped(ctx, tables, c, Grouped::TagKeys, now).await;
            }
            let mut out = Vec::new();
            for (name, series) in per_measurement_series(ctx, tables, c, now).await? {
                let mut keys = BTreeSet::new();
                for t in series {
                    keys.extend(t.into_keys());
                }
                if !keys.is_empty() {
                    out.push(count_series(&name, keys.len()));
                }
            }
            Ok(out)
        }
        Statement::ShowFieldKeyCardinality(c) => {
            if counted_nothing(c) {
                return Ok(Vec::new());
            }
            if !c.dimensions.is_empty() {
                return grouped(ctx, tables, c, Grouped::FieldKeys, now).await;
            }
            let mut out = Vec::new();
            for name in from_measurements(&c.sources, tables) {
                let Some(schema) = tables.get(&name) else {
                    continue;
                };
                let mut sch = Schema::default();
                sch.add(schema);
                if !sch.fields.is_empty() {
                    out.push(count_series(&name, sch.fields.len()));
                }
            }
            Ok(out)
        }
        Statement::ShowTagValuesCardinality(s) => {
            let (cond, range) = condition::split(s.common.condition.as_ref(), now)?;
            if s.common.offset > 0 || !index_operators_only(cond.as_ref()) {
                return Ok(Vec::new());
            }
            // 1.x's counting SELECT reads the tag values as points at time 0: the WHERE time
            // range keeps all of them or none.
            if range.min.is_some_and(|t| t > 0) || range.max.is_some_and(|t| t < 0) {
                return Ok(Vec::new());
            }
            let range = TimeRange::default();
            if !s.common.dimensions.is_empty() {
                let c = CardinalityStatement {
                    condition: cond,
                    ..s.common.clone()
                };
                return grouped(ctx, tables, &c, Grouped::TagValues(&s.key), now).await;
            }
            let mut out = Vec::new();
            for name in from_measurements(&s.common.sources, tables) {
                let Some(schema) = tables.get(&name) else {
                    continue;
                };
                let pairs = tag_values(ctx, &name, schema, &s.key, cond.as_ref(), range).await?;
                if !pairs.is_empty() {
                    out.push(count_series(&name, pairs.len()));
                }
            }
            Ok(out)
        }
        other => Err(err(format!("statement is not supported: {other}"))),
    }
}

/// What a grouped cardinality counts.
#[derive(Clone, Copy)]
enum Grouped<'a> {
    /// series
    Series,
    /// measurements having a series in the group (answered without a measurement name)
    Measurements,
    /// tag keys of the group's series
    TagKeys,
    /// the measurement's field keys
    FieldKeys,
    /// distinct (key, value) pairs of the selected keys among the group's series
    TagValues(&'a TagKeySelector),
}

/// A cardinality with GROUP BY tags, as 1.x's counting SELECT answers it: the matching series
/// of each measurement grouped by the named tags (`*`: every tag key of the sources; a regex:
/// the keys it matches; a tag a series lacks groups as ""), one count per measurement and group
/// (per group across measurements for measurement cardinality), sorted by name and tags.
async fn grouped(
    ctx: &SessionContext,
    tables: &BTreeMap<String, TableSchema>,
    c: &CardinalityStatement,
    what: Grouped<'_>,
    now: i64,
) -> Result<Vec<Series>, ExecError> {
    let names = from_measurements(&c.sources, tables);
    let mut all_keys = BTreeSet::new();
    for n in &names {
        if let Some(t) = tables.get(n) {
            let mut sch = Schema::default();
            sch.add(t);
            all_keys.extend(sch.tags);
        }
    }
    let mut keys = BTreeSet::new();
    for d in &c.dimensions {
        match &d.expr {
            Expr::VarRef { name, .. } => {
                keys.insert(name.clone());
            }
            Expr::Wildcard(_) => keys.extend(all_keys.iter().cloned()),
            Expr::Regex(r) => keys.extend(all_keys.iter().filter(|k| r.regex.is_match(k)).cloned()),
            _ => {}
        }
    }
    let group_of = |t: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        keys.iter()
            .map(|k| (k.clone(), t.get(k).cloned().unwrap_or_default()))
            .collect()
    };
    let mut out = Vec::new();
    let mut measurements: BTreeMap<BTreeMap<String, String>, BTreeSet<String>> = BTreeMap::new();
    for (name, series) in per_measurement_series(ctx, tables, c, now).await? {
        let mut groups: BTreeMap<BTreeMap<String, String>, Vec<BTreeMap<String, String>>> =
            BTreeMap::new();
        for t in series {
            groups.entry(group_of(&t)).or_default().push(t);
        }
        let fields = tables.get(&name).map_or(0, |t| {
            let mut sch = Schema::default();
            sch.add(t);
            sch.fields.len()
        });
        for (tags, members) in groups {
            let n = match what {
                Grouped::Series => members.len(),
                Grouped::Measurements => {
                    measurements.entry(tags).or_default().insert(name.clone());
                    continue;
                }
                Grouped::TagKeys => members
                    .iter()
                    .flat_map(|t| t.keys())
                    .collect::<BTreeSet<_>>()
                    .len(),
                Grouped::FieldKeys => fields,
                Grouped::TagValues(sel) => members
                    .iter()
                    .flat_map(|t| t.iter().filter(|(k, _)| selects(sel, k)))
                    .collect::<BTreeSet<_>>()
                    .len(),
            };
            if n > 0 {
                out.push(Series {
                    tags,
                    ..count_series(&name, n)
                });
            }
        }
    }
    for (tags, names) in measurements {
        out.push(Series {
            tags,
            columns: vec!["count".to_owned()],
            values: vec![vec![Value::Integer(names.len() as i64)]],
            ..Series::default()
        });
    }
    Ok(out)
}

/// Whether a WITH KEY selector selects tag key `k`.
fn selects(key: &TagKeySelector, k: &str) -> bool {
    match key {
        TagKeySelector::Eq(n) => k == n,
        TagKeySelector::NotEq(n) => k != n,
        TagKeySelector::EqRegex(r) => r.regex.is_match(k),
        TagKeySelector::NotEqRegex(r) => !r.regex.is_match(k),
        TagKeySelector::In(list) => list.iter().any(|n| n == k),
    }
}

fn series_key(name: &str, tags: BTreeMap<String, String>) -> String {
    let s = SeriesData {
        tags,
        times: Vec::new(),
        columns: Vec::new(),
    };
    s.key(name)
}

async fn per_measurement_series(
    ctx: &SessionContext,
    tables: &BTreeMap<String, TableSchema>,
    c: &CardinalityStatement,
    now: i64,
) -> Result<Vec<(String, Vec<BTreeMap<String, String>>)>, ExecError> {
    let (cond, range) = condition::split(c.condition.as_ref(), now)?;
    let mut out = Vec::new();
    for name in from_measurements(&c.sources, tables) {
        let Some(schema) = tables.get(&name) else {
            continue;
        };
        let series = filtered_series(ctx, &name, schema, cond.as_ref(), range, false).await?;
        out.push((name, series));
    }
    Ok(out)
}

/// (key, value) pairs of the selected tag keys among the matching series, sorted, distinct.
async fn tag_values(
    ctx: &SessionContext,
    table: &str,
    schema: &TableSchema,
    key: &TagKeySelector,
    cond: Option<&Expr>,
    range: TimeRange,
) -> Result<Vec<(String, String)>, ExecError> {
    let mut sch = Schema::default();
    sch.add(schema);
    let keys: Vec<&String> = sch
        .tags
        .iter()
        .filter(|k| match key {
            TagKeySelector::Eq(n) => *k == n,
            TagKeySelector::NotEq(n) => *k != n,
            TagKeySelector::EqRegex(r) => r.regex.is_match(k),
            TagKeySelector::NotEqRegex(r) => !r.regex.is_match(k),
            TagKeySelector::In(list) => list.contains(k),
        })
        .collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let series = matching_series(ctx, table, schema, cond, range).await?;
    let mut pairs = BTreeSet::new();
    for t in &series {
        for k in &keys {
            if let Some(v) = t.get(*k) {
                pairs.insert(((*k).clone(), v.clone()));
            }
        }
    }
    Ok(pairs.into_iter().collect())
}
