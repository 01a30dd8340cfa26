//! SELECT: compiled as 1.x compiles it, data read through the query session, evaluated with
//! 1.x's semantics.
//!
//! ```text
//! SelectStatement ──► compile (1.x's checks) ──► sources → measurements (names, regexes)
//!   ──► Schema (union of their fields and tags) ──► fields::expand (wildcards, regexes)
//!   ──► condition::split (time range | row filter)
//!   per measurement (name order):
//!     partials (GROUP BY time count/min/max/sum/mean: DataFusion reduces, 1.x's combine)
//!     | fetch::fetch_series (DataFusion: time-pruned scan of tags + needed fields, filtered by
//!       prefilter: the WHERE's tag / numeric-field comparisons DataFusion can apply; the range
//!       narrowed first for a raw LIMIT 1: narrow)
//!     ──► groups by the GROUP BY tags ──► raw::rows | aggregate::rows | transform::rows
//!   ──► series (measurement, group tags) ──► SLIMIT / SOFFSET ──► [Series]
//! FROM (SELECT …) ──► subquery:: (the inner statements run as cursors, the outer over their
//!   rows; an inner statement over measurements runs here with the outer's options, `SubOpts`)
//! ```

mod aggregate;
mod analysis;
pub(crate) mod compile;
pub(crate) mod fields;
pub(crate) mod functions;
mod holt_winters;
mod narrow;
pub(crate) mod order;
mod partials;
mod percentile_end;
pub(crate) mod prefilter;
mod pushdown;
mod raw;
mod series_id;
pub(crate) mod subquery;
mod transform;
pub(crate) mod types;
mod var_fill;
mod window;

use std::collections::{BTreeMap, HashMap};

use datafusion::prelude::SessionContext;
use influxql::ast::{DataType, Expr, MeasurementName, SelectStatement, Source};
use v1_query::result::{Series, Value};

use crate::ExecError;
use crate::condition::{self, TimeRange};
use crate::eval::Row;
use crate::fetch::{SeriesData, fetch_series};
use compile::{Compiled, stmt_err};
use fields::Schema;
pub(crate) use var_fill::{VarFill, cursor_fill};

/// One measurement's data as the evaluators see it.
pub(crate) struct Data<'a> {
    /// Lifetime of the borrowed statement parts.
    pub(crate) _marker: std::marker::PhantomData<&'a ()>,
    /// Its series (series-key order).
    pub(crate) series: Vec<SeriesData>,
    /// Column position of each fetched field.
    pub(crate) field_index: HashMap<String, usize>,
    /// The measurement's own tags (a subquery's: its GROUP BY tags).
    pub(crate) tags: Vec<String>,
    /// Set when the series are the rows of subqueries (`subquery::Rows`).
    pub(crate) sub: Option<subquery::Rows>,
    /// Sources naming this measurement: `series` holds that many copies of its series, one
    /// after the other (`FROM cpu, cpu`: 1.x reads it once per source).
    pub(crate) copies: usize,
}

impl Data<'_> {
    /// The order in which 1.x's iterators hand row `i` of series `s` on, among rows of equal
    /// time: the series' key order, or for subquery rows their place in the cursor.
    pub(crate) fn seq(&self, s: usize, i: usize) -> usize {
        match &self.sub {
            Some(sub) => sub.pos[s][i],
            None => s,
        }
    }
}

/// A row of a series, for expression evaluation.
pub(crate) struct SeriesRow<'a> {
    pub(crate) data: &'a Data<'a>,
    pub(crate) series: usize,
    pub(crate) row: usize,
    /// In conditions a missing tag is the empty string (1.x); in output it is null.
    pub(crate) condition: bool,
}

impl Row for SeriesRow<'_> {
    fn get(&self, name: &str, data_type: Option<DataType>) -> Value {
        let s = &self.data.series[self.series];
        if let Some(sub) = &self.data.sub {
            return sub.get(
                self.data,
                self.series,
                self.row,
                name,
                data_type,
                self.condition,
            );
        }
        let tag = || match s.tags.get(name) {
            Some(v) => Value::String(v.clone()),
            None if self.condition => Value::String(String::new()),
            None => Value::Null,
        };
        let field = || match self.data.field_index.get(name) {
            Some(&c) => cast(s.columns[c][self.row].clone(), data_type),
            None => Value::Null,
        };
        match data_type {
            Some(DataType::Tag) => tag(),
            Some(_) => field(),
            None => {
                if self.data.field_index.contains_key(name) {
                    field()
                } else if self.data.tags.iter().any(|t| t == name) || self.condition {
                    tag()
                } else {
                    Value::Null
                }
            }
        }
    }
}

/// A field value read as `x::type`: 1.x's storage cursors convert between float and integer
/// (a float read as integer is truncated) and give nothing for any other type change.
fn cast(v: Value, data_type: Option<DataType>) -> Value {
    match (data_type, v) {
        (None | Some(DataType::Field), v) => v,
        (Some(DataType::Float), Value::Integer(i)) => Value::Float(i as f64),
        (Some(DataType::Float), Value::Unsigned(u)) => Value::Float(u as f64),
        (Some(DataType::Integer), Value::Float(f)) => Value::Integer(f as i64),
        (Some(DataType::Integer), Value::Unsigned(u)) => Value::Integer(u as i64),
        (Some(DataType::Unsigned), Value::Float(f)) => Value::Unsigned(f as u64),
        (Some(DataType::Unsigned), Value::Integer(i)) => Value::Unsigned(i as u64),
        (Some(DataType::Float), v @ Value::Float(_))
        | (Some(DataType::Integer), v @ Value::Integer(_))
        | (Some(DataType::Unsigned), v @ Value::Unsigned(_))
        | (Some(DataType::String), v @ Value::String(_))
        | (Some(DataType::Boolean), v @ Value::Boolean(_)) => v,
        _ => Value::Null,
    }
}

/// Everything a measurement's evaluation needs from the statement.
pub(crate) struct Plan<'a> {
    pub(crate) stmt: &'a SelectStatement,
    pub(crate) compiled: &'a Compiled,
    /// Fields after expansion.
    pub(crate) fields: Vec<influxql::ast::Field>,
    /// Column names (with the time column first).
    pub(crate) columns: Vec<String>,
    pub(crate) filter: Option<Expr>,
    pub(crate) range: TimeRange,
    pub(crate) now: i64,
    /// A subquery's raw rows: at most this many per series (1.x's storage-side limit when the
    /// outer query groups differently).
    pub(crate) series_cap: Option<usize>,
    /// The statement's field types (the type fill(N) is cast to for a variable).
    pub(crate) field_kinds: BTreeMap<String, fields::FieldKind>,
}

/// Resolves the sources of `stmt` to measurement names of the session's database, sorted.
pub(crate) fn measurements(
    stmt: &SelectStatement,
    tables: &BTreeMap<String, catalog::TableSchema>,
) -> Result<Vec<String>, ExecError> {
    let mut out = Vec::new();
    for s in &stmt.sources {
        match s {
            Source::Measurement(m) => match &m.name {
                Some(MeasurementName::Name(n)) if tables.contains_key(n) => out.push(n.clone()),
                Some(MeasurementName::Regex(r)) => {
                    out.extend(tables.keys().filter(|t| r.regex.is_match(t)).cloned());
                }
                Some(MeasurementName::Name(_)) | None => {}
            },
            Source::Subquery(_) => {
                return Err(stmt_err(
                    "mixing measurements and subqueries in FROM is not supported yet",
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// How many of `stmt`'s sources name measurement `name` (1.x creates an iterator per source:
/// `FROM cpu, cpu` reads cpu twice, every point twice).
fn source_count(stmt: &SelectStatement, name: &str) -> usize {
    stmt.sources
        .iter()
        .filter(|s| match s {
            Source::Measurement(m) => match &m.name {
                Some(MeasurementName::Name(n)) => n == name,
                Some(MeasurementName::Regex(r)) => r.regex.is_match(name),
                None => false,
            },
            Source::Subquery(_) => false,
        })
        .count()
}

/// Names of fields (not tags) `e` reads, with their requested type.
pub(crate) fn field_refs(e: &Expr, schema: &Schema, out: &mut Vec<String>) {
    match e {
        Expr::VarRef { name, data_type } => {
            let is_field = match data_type {
                Some(DataType::Tag) => false,
                Some(_) => true,
                None => schema.fields.contains_key(name),
            };
            if is_field && schema.fields.contains_key(name) && !out.contains(name) {
                out.push(name.clone());
            }
        }
        Expr::Call { args, .. } => args.iter().for_each(|a| field_refs(a, schema, out)),
        Expr::Distinct(name) if schema.fields.contains_key(name) && !out.contains(name) => {
            out.push(name.clone());
        }
        Expr::Binary { lhs, rhs, .. } => {
            field_refs(lhs, schema, out);
            field_refs(rhs, schema, out);
        }
        Expr::Paren(inner) => field_refs(inner, schema, out),
        _ => {}
    }
}

/// Runs a SELECT over `ctx` (a session of the statement's database).
pub(crate) async fn execute(
    ctx: &SessionContext,
    tables: &BTreeMap<String, catalog::TableSchema>,
    stmt: &SelectStatement,
    now: i64,
) -> Result<Vec<Series>, ExecError> {
    if stmt.target.is_some() {
        return Err(stmt_err("SELECT INTO is not supported yet"));
    }
    if subquery::has_subquery(stmt) {
        return subquery::execute(ctx, tables, stmt, now, None).await;
    }
    run(ctx, tables, stmt, now, None).await
}

/// Runs a SELECT over measurements; `sub`: the options of the outer query when it is a
/// subquery (its range intersected, the outer's GROUP BY tags added to its grouping).
pub(crate) async fn run(
    ctx: &SessionContext,
    tables: &BTreeMap<String, catalog::TableSchema>,
    stmt: &SelectStatement,
    now: i64,
    sub: Option<&subquery::SubOpts>,
) -> Result<Vec<Series>, ExecError> {
    let compiled = compile::compile_with(stmt, now, sub.and_then(|s| s.interval))?;
    let names = measurements(stmt, tables)?;
    let (filter, mut range) = condition::split(stmt.condition.as_ref(), now)?;
    if let Some(sub) = sub {
        range = range.intersect(sub.range);
    }
    let filter = filter.map(|f| condition::substitute_now(&f, now));
    if let Some(f) = &filter {
        validate_condition(f)?;
        // 1.6 accepts math functions in WHERE and matches no row with them.
        if has_call(f) {
            return Ok(Vec::new());
        }
    }

    let mut schema = Schema::default();
    for n in &names {
        if let Some(t) = tables.get(n) {
            schema.add(t);
        }
    }
    let dim_tags = compiled.dims.resolve(schema.tags.iter());
    let fields = fields::expand(&compiled.fields, &schema, &dim_tags)?;
    types::check(&fields, &schema)?;
    if fields.is_empty() {
        return Ok(Vec::new());
    }
    let mut columns = vec![compiled.time_name.clone()];
    columns.extend(fields::column_names(&fields));

    let mut needed = Vec::new();
    for f in &fields {
        field_refs(&f.expr, &schema, &mut needed);
    }
    let output_fields = needed.clone();
    if let Some(f) = &filter {
        field_refs(f, &schema, &mut needed);
    }
    // A query that reads no field at all answers nothing (1.x: no field iterator).
    if output_fields.is_empty() {
        return Ok(Vec::new());
    }

    let plan = Plan {
        stmt,
        compiled: &compiled,
        fields,
        columns,
        filter,
        range,
        now,
        series_cap: sub.and_then(|s| s.series_cap),
        field_kinds: schema.fields.clone(),
    };
    let mut out = Vec::new();
    // A lone percentile()'s groups (index in `out` when they answered rows), in `out` order.
    let mut traces: Vec<(Option<usize>, percentile_end::Trace)> = Vec::new();
    for name in &names {
        let Some(table) = tables.get(name) else {
            continue;
        };
        let mut table_schema = Schema::default();
        table_schema.add(table);
        let tags: Vec<String> = table_schema.tags.iter().cloned().collect();
        let fetch: Vec<String> = needed
            .iter()
            .filter(|f| table_schema.fields.contains_key(*f))
            .cloned()
            .collect();
        if !output_fields
            .iter()
            .any(|f| table_schema.fields.contains_key(f))
        {
            continue;
        }
        let prefilter = plan
            .filter
            .as_ref()
            .and_then(|f| prefilter::prefilter(f, &table_schema, !compiled.aggregate));
        // A measurement named by several sources is read once per source; the shortcuts
        // answer a measurement read once.
        let copies = source_count(stmt, name).max(1);
        // The shortcuts answer a statement of its own (a subquery's inner statement takes
        // its outer's grouping and limits: the row path).
        if let Some((exprs, calls)) =
            partials::eligible(&plan, &table_schema).filter(|_| sub.is_none() && copies == 1)
        {
            let dims = compiled.dims.resolve(tags.iter());
            let groups = partials::groups(
                ctx,
                name,
                &tags,
                &dims,
                compiled.dims.any(),
                &plan,
                &exprs,
                &calls,
                &table_schema,
                prefilter,
            )
            .await?;
            for (group_tags, rows) in groups {
                out.push(Series {
                    name: Some(name.clone()),
                    tags: group_tags,
                    columns: plan.columns.clone(),
                    values: rows,
                    partial: false,
                });
            }
            continue;
        }
        let mut range = plan.fetch_range();
        let exact = plan
            .filter
            .as_ref()
            .is_some_and(|f| prefilter::exact(f, &table_schema));
        if sub.is_none() && copies == 1 && narrow::eligible(&plan, exact) {
            let read: Vec<String> = output_fields
                .iter()
                .filter(|f| table_schema.fields.contains_key(*f))
                .cloned()
                .collect();
            range = narrow::narrow(
                ctx,
                name,
                &tags,
                &compiled.dims.resolve(tags.iter()),
                &read,
                read.len() == table_schema.fields.len(),
                range,
                prefilter.clone(),
                stmt.time_ascending(),
            )
            .await?;
        }
        let mut series = fetch_series(ctx, name, &tags, &fetch, range, prefilter).await?;
        if copies > 1 {
            let once = series.clone();
            for _ in 1..copies {
                series.extend(once.iter().cloned());
            }
        }
        if let Some(sub) = sub
            && (stmt.slimit > 0 || stmt.soffset > 0)
        {
            // 1.x's SLIMIT / SOFFSET under an outer query: over the tag sets of the
            // outermost query's GROUP BY tags.
            let key = |s: &SeriesData| -> Vec<String> {
                sub.dims
                    .iter()
                    .map(|d| s.tags.get(d).cloned().unwrap_or_default())
                    .collect()
            };
            let keys: std::collections::BTreeSet<Vec<String>> = series.iter().map(key).collect();
            let keep: std::collections::BTreeSet<Vec<String>> = keys
                .into_iter()
                .skip(usize::try_from(stmt.soffset).unwrap_or(usize::MAX))
                .take(if stmt.slimit > 0 {
                    usize::try_from(stmt.slimit).unwrap_or(usize::MAX)
                } else {
                    usize::MAX
                })
                .collect();
            series.retain(|s| keep.contains(&key(s)));
        }
        let data = Data {
            field_index: fetch
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, f)| (f, i))
                .collect(),
            series,
            tags,
            sub: None,
            copies,
            _marker: std::marker::PhantomData,
        };
        let mut dims = compiled.dims.resolve(data.tags.iter());
        if let Some(sub) = sub {
            dims.extend(sub.group_by.iter().cloned());
            dims.sort();
            dims.dedup();
        }
        let grouped = compiled.dims.any() || sub.is_some_and(|s| !s.group_by.is_empty());
        if let Some(sub) = sub.filter(|s| s.split_rows && !compiled.aggregate) {
            // A raw subquery grouped by more tags than its outer query: 1.x reads the tag sets
            // of the outer's GROUP BY tags, each row keeping its own tags (one series a row).
            let order_dims: Vec<String> = sub.dims.clone();
            for (_, members) in group_series(&data, &order_dims, true) {
                for (s, row) in raw::rows_by_series(&plan, &data, &members) {
                    let tags = dims
                        .iter()
                        .map(|d| {
                            let v = data.series[s].tags.get(d).cloned().unwrap_or_default();
                            (d.clone(), v)
                        })
                        .collect();
                    out.push(Series {
                        name: Some(name.clone()),
                        tags,
                        columns: plan.columns.clone(),
                        values: vec![row],
                        partial: false,
                    });
                }
            }
            continue;
        }
        if let Some(sub) = sub.filter(|s| s.split_rows && compiled.aggregate) {
            // A transformation without GROUP BY time, grouped by more tags than its outer
            // query: 1.x streams it over the merged points of the outer's tag sets, so its
            // rows come out in the order of the points that produced them.
            let mut rows: Vec<(BTreeMap<String, String>, Vec<Value>)> = Vec::new();
            for (group_tags, members) in group_series(&data, &dims, true) {
                for r in transform::rows(&plan, &data, &members)? {
                    rows.push((group_tags.clone(), r));
                }
            }
            let read: Vec<usize> = data.field_index.values().copied().collect();
            let mut rank: HashMap<(Vec<String>, i64), usize> = HashMap::new();
            for (_, members) in group_series(&data, &sub.dims, true) {
                for (t, s, _) in raw::merged(&plan, &data, &members, &read, &[]) {
                    let key = dims
                        .iter()
                        .map(|d| data.series[s].tags.get(d).cloned().unwrap_or_default())
                        .collect();
                    let n = rank.len();
                    rank.entry((key, t)).or_insert(n);
                }
            }
            let place = |(tags, row): &(BTreeMap<String, String>, Vec<Value>)| {
                let t = match row.first() {
                    Some(Value::Time(t)) => *t,
                    _ => 0,
                };
                let key: Vec<String> = tags.values().cloned().collect();
                rank.get(&(key, t)).copied().unwrap_or(usize::MAX)
            };
            rows.sort_by_key(place);
            for (tags, row) in rows {
                out.push(Series {
                    name: Some(name.clone()),
                    tags,
                    columns: plan.columns.clone(),
                    values: vec![row],
                    partial: false,
                });
            }
            continue;
        }
        let groups = group_series(&data, &dims, grouped);
        for (group_tags, members) in groups {
            let rows = if compiled.aggregate && transform::any(&plan.fields) {
                transform::rows(&plan, &data, &members)?
            } else if compiled.aggregate {
                let (rows, trace) = aggregate::rows_traced(&plan, &data, &members)?;
                if let Some(t) = trace {
                    traces.push(((!rows.is_empty()).then_some(out.len()), t));
                }
                rows
            } else {
                raw::rows(&plan, &data, &members)
            };
            if rows.is_empty() {
                continue;
            }
            let mut rows = rows;
            cursor_fill(&plan.stmt.fill, &plan.fields, &mut rows);
            out.push(Series {
                name: Some(name.clone()),
                tags: group_tags,
                columns: plan.columns.clone(),
                values: rows,
                partial: false,
            });
        }
    }
    if !traces.is_empty() {
        out = percentile_end::end_percentile_stream(out, traces, stmt);
    }
    // 1.x applies SLIMIT / SOFFSET to each measurement's tag sets, in ascending order
    // whatever the ORDER BY (a subquery's inner statement was limited above).
    if sub.is_none() && (stmt.slimit > 0 || stmt.soffset > 0) {
        out = limit_series_per_measurement(out, stmt.slimit, stmt.soffset);
    }
    // Descending time also walks the series (and measurements) in descending order (rows
    // answered one series a row are in order already).
    let split = sub.is_some_and(|s| s.split_rows);
    if !stmt.time_ascending() && !split {
        out.reverse();
    }
    Ok(out)
}

/// SLIMIT / SOFFSET over each measurement's series (`out` holds them measurement by
/// measurement, each in ascending tag order). As in 1.x, an SOFFSET without SLIMIT keeps
/// no series.
fn limit_series_per_measurement(out: Vec<Series>, slimit: u64, soffset: u64) -> Vec<Series> {
    let soffset = usize::try_from(soffset).unwrap_or(usize::MAX);
    let slimit = usize::try_from(slimit).unwrap_or(usize::MAX);
    let mut kept = Vec::with_capacity(out.len());
    let mut current: Option<Option<String>> = None;
    let mut index = 0usize;
    for series in out {
        if current.as_ref() != Some(&series.name) {
            current = Some(series.name.clone());
            index = 0;
        }
        if index >= soffset && index - soffset < slimit {
            kept.push(series);
        }
        index += 1;
    }
    kept
}

impl Plan<'_> {
    /// The range read from storage: the statement's, bounded above by now() for GROUP BY time,
    /// one interval wider when a transformation reads an extra window (`transform`).
    fn fetch_range(&self) -> TimeRange {
        let mut r = self.range;
        if self.compiled.interval.is_some() && r.max.is_none() {
            r.max = Some(self.now);
        }
        if let Some((every, _)) = self.compiled.interval
            && transform::extends_range(&self.fields)
        {
            if self.stmt.time_ascending() {
                r.min = r.min.map(|m| m.saturating_sub(every));
            } else {
                r.max = r.max.map(|m| m.saturating_add(every));
            }
        }
        r
    }
}

/// True when `e` calls a function.
pub(crate) fn has_call(e: &Expr) -> bool {
    match e {
        Expr::Call { .. } => true,
        Expr::Binary { lhs, rhs, .. } => has_call(lhs) || has_call(rhs),
        Expr::Paren(inner) => has_call(inner),
        _ => false,
    }
}

/// Function calls are not allowed in a WHERE clause, except math functions.
pub(crate) fn validate_condition(e: &Expr) -> Result<(), ExecError> {
    match e {
        Expr::Binary { lhs, rhs, .. } => {
            validate_condition(lhs)?;
            validate_condition(rhs)
        }
        Expr::Paren(inner) => validate_condition(inner),
        Expr::Call { name, args } => {
            if !crate::eval::is_math_function(name) {
                return Err(stmt_err(format!("invalid function call in condition: {e}")));
            }
            let nargs = if matches!(name.as_str(), "atan2" | "pow") {
                2
            } else {
                1
            };
            if args.len() != nargs {
                return Err(stmt_err(format!(
                    "invalid number of arguments for {name}, expected {nargs}, got {}",
                    args.len()
                )));
            }
            args.iter().try_for_each(validate_condition)
        }
        _ => Ok(()),
    }
}

/// Splits a measurement's series into GROUP BY groups, in the order of their tag values.
pub(crate) fn group_series(
    data: &Data<'_>,
    dims: &[String],
    grouped: bool,
) -> Vec<(BTreeMap<String, String>, Vec<usize>)> {
    let mut groups: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    for (i, s) in data.series.iter().enumerate() {
        let key: Vec<String> = dims
            .iter()
            .map(|d| s.tags.get(d).cloned().unwrap_or_default())
            .collect();
        groups.entry(key).or_default().push(i);
    }
    groups
        .into_iter()
        .map(|(key, members)| {
            let tags = if grouped {
                dims.iter().cloned().zip(key).collect()
            } else {
                BTreeMap::new()
            };
            (tags, members)
        })
        .collect()
}

/// Does row `row` of series `series` pass the WHERE filter?
pub(crate) fn passes(plan: &Plan<'_>, data: &Data<'_>, series: usize, row: usize) -> bool {
    match &plan.filter {
        None => true,
        Some(f) => crate::eval::eval_bool(
            f,
            &SeriesRow {
                data,
                series,
                row,
                condition: true,
            },
        ),
    }
}

/// The time of a row in the output: 1.x prints its smallest time sentinel as the epoch.
pub(crate) fn out_time(t: i64) -> Value {
    if t == condition::MIN_TIME {
        Value::Time(0)
    } else {
        Value::Time(t)
    }
}
