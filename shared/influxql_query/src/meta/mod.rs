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
//!
//! The WHERE of SHOW statements as 1.x's index reads it: `index`.

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

mod index;

use index::*;

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
