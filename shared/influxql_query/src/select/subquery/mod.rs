//! Subqueries (`SELECT … FROM (SELECT …)`) as 1.x runs them: each inner statement is a cursor
//! built with options derived from the outer's, and its rows are the outer's points.
//!
//! ```text
//! outer SELECT ──► compile (the outer, then every subquery, recursively)
//!   ──► per subquery: its columns and their types (sub_schema: 1.x's FieldDimensions and
//!       EvalType of a subquery: inner field names; tags = inner GROUP BY tags)
//!   ──► outer fields expanded and type-checked against them
//!   per subquery source: stream(inner, SubOpts { outer's GROUP BY tags, time range, order,
//!       interval (compile::compile_with), SLIMIT }) ──► select::run (inner over
//!       measurements) | execute (nested)
//!     ──► rows (name, tags, time, values) in 1.x's cursor order: raw rows and streamed
//!         transformations merged over the outermost query's tag sets (split_rows: heap
//!         order); aggregates by name, the outermost GROUP BY tags, window, the inner's tags
//!     ──► inner LIMIT / OFFSET (restarting at every change of tags when regrouped)
//!   ──► outer WHERE per row (a column by name, else a tag) ──► sources merged by (name,
//!       tags, time) in heap order
//!   raw:       each row a point, the fields over its columns (unknown names null)
//!              ──► series per (name, outer's GROUP BY tags) ──► OFFSET / LIMIT per series
//!   aggregate: Data (a series per inner (name, tags), rows in cursor order)
//!              ──► aggregate:: | transform:: per outer group
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use datafusion::prelude::SessionContext;
use futures::FutureExt;
use futures::future::BoxFuture;
use influxql::ast::{DataType, Fill, SelectStatement, SortField};
use v1_query::result::{Series, Value};

use super::compile;
use super::fields::{self, Schema};
use super::functions::Pt;
use super::order::sorted_merge_order;
use super::pushdown::{Kind, Partial, combine, reduce_points};
use super::window::window_start;
use super::{Data, Plan, aggregate, group_series, has_call, transform, types, validate_condition};
use crate::ExecError;
use crate::condition::{self, TimeRange};
use crate::eval::{Row, eval, eval_bool};
use crate::fetch::SeriesData;

mod schema;

use schema::*;
pub(crate) use schema::{
    ColType, SubSchema, check_subqueries, expr_type, has_subquery, sub_schema, subqueries, union,
};

/// What an outer query hands its subqueries (1.x's `newIteratorOptionsSubstatement`).
#[derive(Debug, Clone, Default)]
pub(crate) struct SubOpts {
    /// The outermost query's GROUP BY tags (1.x's `Dimensions`): the cursor's series order.
    pub(crate) dims: Vec<String>,
    /// Every tag the outer queries group by (1.x's `GroupBy`), added to the inner's grouping.
    pub(crate) group_by: BTreeSet<String>,
    /// The outer's time range; the inner's is intersected with it.
    pub(crate) range: TimeRange,
    /// The outer's time order (the inner follows it).
    pub(crate) ascending: bool,
    /// The outer's SLIMIT / SOFFSET (added to the inner's).
    pub(crate) slimit: u64,
    pub(crate) soffset: u64,
    /// The outer's GROUP BY time (an aggregate inner without one inherits it).
    pub(crate) interval: Option<(i64, i64)>,
    /// Raw inner rows read per series (1.x's storage-side limit: offset + limit + 1).
    pub(crate) series_cap: Option<usize>,
    /// A raw inner grouped by more tags than the outer: its rows merged over the outer's
    /// tag sets, each carrying its own tags (`select::run` answers one series a row).
    pub(crate) split_rows: bool,
}

/// A row of an inner cursor.
#[derive(Debug, Clone)]
struct StreamRow {
    name: String,
    /// The inner's grouping tags (its own and the outer's).
    tags: BTreeMap<String, String>,
    time: i64,
    values: Vec<Value>,
}

/// Subquery rows as `Data` holds them: where each row stands in the cursor, and how names
/// resolve (a column of the row's subquery, else one of its GROUP BY tags).
#[derive(Debug, Clone)]
pub(crate) struct Rows {
    /// Per series, per row: its place in the merged cursors.
    pub(crate) pos: Vec<Vec<usize>>,
    /// Per series: the subquery (source) it comes from.
    source: Vec<usize>,
    /// Per source: its column names and GROUP BY tags.
    sources: Vec<(HashSet<String>, Vec<String>)>,
    /// The outer's type of every name (casts of 1.x's `FieldMap`).
    types: HashMap<String, DataType>,
}

impl Rows {
    /// The value of `name` on row `row` of series `series` (1.x's `FieldMap` / `TagMap` /
    /// `NullMap`; in a condition every unknown name is a tag).
    pub(crate) fn get(
        &self,
        data: &Data<'_>,
        series: usize,
        row: usize,
        name: &str,
        data_type: Option<DataType>,
        condition: bool,
    ) -> Value {
        let (columns, dims) = &self.sources[self.source[series]];
        let s = &data.series[series];
        if columns.contains(name)
            && let Some(&c) = data.field_index.get(name)
        {
            return cast(
                s.columns[c][row].clone(),
                data_type.or_else(|| self.types.get(name).copied()),
            );
        }
        if condition || dims.iter().any(|d| d == name) {
            return Value::String(s.tags.get(name).cloned().unwrap_or_default());
        }
        Value::Null
    }
}

/// 1.x's `castToType`: numbers converted to the asked numeric type, anything else unchanged.
fn cast(v: Value, data_type: Option<DataType>) -> Value {
    match (data_type, v) {
        (Some(DataType::Float), Value::Integer(i)) => Value::Float(i as f64),
        (Some(DataType::Float), Value::Unsigned(u)) => Value::Float(u as f64),
        (Some(DataType::Integer), Value::Float(f)) => Value::Integer(f as i64),
        (Some(DataType::Integer), Value::Unsigned(u)) => Value::Integer(u as i64),
        (Some(DataType::Unsigned), Value::Float(f)) => Value::Unsigned(f as u64),
        (Some(DataType::Unsigned), Value::Integer(i)) => Value::Unsigned(i as u64),
        (_, v) => v,
    }
}

/// A cursor row for expression evaluation (the outer's WHERE and raw fields).
struct RowView<'a> {
    row: &'a StreamRow,
    schema: &'a SubSchema,
    types: &'a HashMap<String, DataType>,
    condition: bool,
}

impl Row for RowView<'_> {
    fn get(&self, name: &str, data_type: Option<DataType>) -> Value {
        if let Some(c) = self.schema.index(name) {
            return cast(
                self.row.values.get(c).cloned().unwrap_or(Value::Null),
                data_type.or_else(|| self.types.get(name).copied()),
            );
        }
        if self.condition || self.schema.dims.iter().any(|d| d == name) {
            return Value::String(self.row.tags.get(name).cloned().unwrap_or_default());
        }
        Value::Null
    }
}

/// `tags` reduced to `keys` (a missing key reads as the empty string, as 1.x's `Subset`).
fn subset(tags: &BTreeMap<String, String>, keys: &BTreeSet<String>) -> BTreeMap<String, String> {
    keys.iter()
        .map(|k| (k.clone(), tags.get(k).cloned().unwrap_or_default()))
        .collect()
}

/// Runs a SELECT whose sources are subqueries; `sub`: the options of its own outer query when
/// it is itself a subquery (then its series carry every tag the outer queries group by).
pub(crate) fn execute<'a>(
    ctx: &'a SessionContext,
    tables: &'a BTreeMap<String, catalog::TableSchema>,
    stmt: &'a SelectStatement,
    now: i64,
    sub: Option<&'a SubOpts>,
) -> BoxFuture<'a, Result<Vec<Series>, ExecError>> {
    async move {
        let compiled = compile::compile_with(stmt, now, sub.and_then(|s| s.interval))?;
        let inners = subqueries(stmt)?;
        let ascending = stmt.time_ascending();
        check_subqueries(stmt, ascending, compiled.interval, now)?;
        let (filter, mut range) = condition::split(stmt.condition.as_ref(), now)?;
        let filter = filter.map(|f| condition::substitute_now(&f, now));
        if let Some(f) = &filter {
            validate_condition(f)?;
            if has_call(f) {
                return Ok(Vec::new());
            }
        }
        if compiled.interval.is_some() && range.max.is_none() {
            range.max = Some(now);
        }
        if let Some(s) = sub {
            range = range.intersect(s.range);
        }

        let schemas = inners
            .iter()
            .map(|s| sub_schema(s, tables, compiled.interval, now))
            .collect::<Result<Vec<_>, _>>()?;
        let (schema, avail) = union(&schemas);
        let dim_tags = compiled.dims.resolve(avail.iter());
        let fields = fields::expand(&compiled.fields, &schema, &dim_tags)?;
        types::check(&fields, &schema)?;
        if fields.is_empty() {
            return Ok(Vec::new());
        }
        let mut columns = vec![compiled.time_name.clone()];
        columns.extend(fields::column_names(&fields));
        let types = name_types(&schema, &schemas);

        let mut group_by: BTreeSet<String> = dim_tags.iter().cloned().collect();
        if let Some(s) = sub {
            group_by.extend(s.group_by.iter().cloned());
        }
        let opts = SubOpts {
            dims: sub.map_or_else(|| dim_tags.clone(), |s| s.dims.clone()),
            group_by,
            range,
            ascending,
            slimit: stmt.slimit,
            soffset: stmt.soffset,
            interval: compiled.interval,
            series_cap: None,
            split_rows: false,
        };

        // The inner cursors, filtered by the outer's WHERE.
        let mut rows: Vec<(usize, StreamRow)> = Vec::new();
        for (i, inner) in inners.iter().enumerate() {
            for r in stream(ctx, tables, inner, now, &opts, &schemas[i]).await? {
                let keep = filter.as_ref().is_none_or(|f| {
                    eval_bool(
                        f,
                        &RowView {
                            row: &r,
                            schema: &schemas[i],
                            types: &types,
                            condition: true,
                        },
                    )
                });
                if keep {
                    rows.push((i, r));
                }
            }
        }
        if inners.len() > 1 {
            // 1.x's sorted merge of the subqueries' iterators: name, tags, time, then the
            // outer's auxiliary strings; other ties in its heap's order.
            let aux = super::raw::aux_refs(&fields);
            let mut inputs: Vec<Vec<(usize, StreamRow, Vec<Value>)>> =
                (0..inners.len()).map(|_| Vec::new()).collect();
            for (i, r) in rows {
                let view = RowView {
                    row: &r,
                    schema: &schemas[i],
                    types: &types,
                    condition: false,
                };
                let a: Vec<Value> = aux.iter().map(|(n, dt)| view.get(n, *dt)).collect();
                inputs[i].push((i, r, a));
            }
            let less = |x: &(usize, StreamRow, Vec<Value>), y: &(usize, StreamRow, Vec<Value>)| {
                heap_less((&x.1, &x.2), (&y.1, &y.2), &opts.group_by, ascending)
            };
            rows = sorted_merge_order(&inputs, less)
                .into_iter()
                .map(|(i, p)| (inputs[i][p].0, inputs[i][p].1.clone()))
                .collect();
        }

        if compiled.aggregate {
            aggregate_rows(
                stmt, &compiled, fields, columns, range, now, &opts, &schemas, types, rows,
            )
        } else {
            Ok(raw_rows(
                stmt, &fields, &columns, &opts, &schemas, &types, &schema, &rows,
            ))
        }
    }
    .boxed()
}

/// The outer raw query: a row per cursor row.
#[allow(clippy::too_many_arguments)]
fn raw_rows(
    stmt: &SelectStatement,
    fields: &[influxql::ast::Field],
    columns: &[String],
    opts: &SubOpts,
    schemas: &[SubSchema],
    types: &HashMap<String, DataType>,
    schema: &Schema,
    rows: &[(usize, StreamRow)],
) -> Vec<Series> {
    // No iterator when no variable read has a known type (1.x's null cursor).
    let refs = super::raw::aux_refs(fields);
    let known = refs.iter().any(|(name, dt)| match dt {
        Some(DataType::Field) => schema.fields.contains_key(name),
        None => types.contains_key(name),
        Some(_) => true,
    });
    if !known {
        return Vec::new();
    }
    let offset = usize::try_from(stmt.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(stmt.limit).unwrap_or(usize::MAX);
    let mut out: Vec<Series> = Vec::new();
    let mut current: Option<(String, BTreeMap<String, String>)> = None;
    let mut n = 0usize;
    for (src, r) in rows {
        let tags = subset(&r.tags, &opts.group_by);
        let key = (r.name.clone(), tags);
        if current.as_ref() != Some(&key) {
            n = 0;
        }
        n += 1;
        if n <= offset || (stmt.limit > 0 && n - offset > limit) {
            current = Some(key);
            continue;
        }
        let view = RowView {
            row: r,
            schema: &schemas[*src],
            types,
            condition: false,
        };
        let mut values = Vec::with_capacity(fields.len() + 1);
        values.push(Value::Time(r.time));
        for f in fields {
            values.push(match eval(&f.expr, &view) {
                Value::Float(x) if x.is_nan() => Value::Null,
                v => v,
            });
        }
        let same = current.as_ref() == Some(&key)
            && out
                .last()
                .is_some_and(|s| s.name.as_deref() == Some(key.0.as_str()) && s.tags == key.1);
        if same {
            if let Some(s) = out.last_mut() {
                s.values.push(values);
            }
        } else {
            out.push(Series {
                name: Some(key.0.clone()),
                tags: key.1.clone(),
                columns: columns.to_vec(),
                values: vec![values],
                partial: false,
            });
        }
        current = Some(key);
    }
    for s in &mut out {
        super::cursor_fill(&stmt.fill, fields, &mut s.values);
    }
    out
}

/// The outer aggregate query over the cursor rows.
#[allow(clippy::too_many_arguments)]
fn aggregate_rows(
    stmt: &SelectStatement,
    compiled: &compile::Compiled,
    fields: Vec<influxql::ast::Field>,
    columns: Vec<String>,
    range: TimeRange,
    now: i64,
    opts: &SubOpts,
    schemas: &[SubSchema],
    types: HashMap<String, DataType>,
    rows: Vec<(usize, StreamRow)>,
) -> Result<Vec<Series>, ExecError> {
    // Every column name of the subqueries, in order.
    let mut names: Vec<String> = Vec::new();
    for s in schemas {
        for (n, _) in &s.columns {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    let field_index: HashMap<String, usize> = names
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, n)| (n, i))
        .collect();
    let sources: Vec<(HashSet<String>, Vec<String>)> = schemas
        .iter()
        .map(|s| {
            (
                s.columns.iter().map(|(n, _)| n.clone()).collect(),
                s.dims.clone(),
            )
        })
        .collect();
    let (_, avail) = union(schemas);

    // measurement ──► (tags, source) ──► its rows (cursor position, row).
    type Key = (BTreeMap<String, String>, usize);
    let mut by_name: BTreeMap<String, BTreeMap<Key, Vec<(usize, StreamRow)>>> = BTreeMap::new();
    for (pos, (src, r)) in rows.into_iter().enumerate() {
        by_name
            .entry(r.name.clone())
            .or_default()
            .entry((r.tags.clone(), src))
            .or_default()
            .push((pos, r));
    }

    let dims: Vec<String> = opts.group_by.iter().cloned().collect();
    let plan = Plan {
        stmt,
        compiled,
        fields,
        columns,
        filter: None,
        range,
        now,
        series_cap: None,
        field_kinds: BTreeMap::new(),
    };
    let mut out = Vec::new();
    for (name, series) in by_name {
        let mut data_series = Vec::with_capacity(series.len());
        let mut pos = Vec::with_capacity(series.len());
        let mut source = Vec::with_capacity(series.len());
        for ((tags, src), rows) in series {
            let src_schema = &schemas[src];
            let mut cols: Vec<Vec<Value>> = vec![Vec::with_capacity(rows.len()); names.len()];
            let mut times = Vec::with_capacity(rows.len());
            let mut p = Vec::with_capacity(rows.len());
            for (at, r) in rows {
                times.push(r.time);
                p.push(at);
                for (c, n) in names.iter().enumerate() {
                    cols[c].push(
                        src_schema
                            .index(n)
                            .and_then(|i| r.values.get(i).cloned())
                            .unwrap_or(Value::Null),
                    );
                }
            }
            data_series.push(SeriesData {
                tags,
                times,
                columns: cols,
            });
            pos.push(p);
            source.push(src);
        }
        let data = Data {
            copies: 1,
            _marker: std::marker::PhantomData,
            series: data_series,
            field_index: field_index.clone(),
            tags: avail.clone(),
            sub: Some(Rows {
                pos,
                source,
                sources: sources.clone(),
                types: types.clone(),
            }),
        };
        for (group_tags, members) in group_series(&data, &dims, !dims.is_empty()) {
            let values = if transform::any(&plan.fields) {
                transform::rows(&plan, &data, &members)?
            } else {
                aggregate::rows(&plan, &data, &members)?
            };
            if values.is_empty() {
                continue;
            }
            let mut values = values;
            super::cursor_fill(&stmt.fill, &plan.fields, &mut values);
            out.push(Series {
                name: Some(name.clone()),
                tags: group_tags,
                columns: plan.columns.clone(),
                values,
                partial: false,
            });
        }
    }
    if !stmt.time_ascending() {
        out.reverse();
    }
    Ok(out)
}

/// Runs subquery `inner` under the outer's options: its rows in 1.x's cursor order.
async fn stream(
    ctx: &SessionContext,
    tables: &BTreeMap<String, catalog::TableSchema>,
    inner: &SelectStatement,
    now: i64,
    opts: &SubOpts,
    schema: &SubSchema,
) -> Result<Vec<StreamRow>, ExecError> {
    let compiled = compile::compile_with(inner, now, opts.interval)?;
    let raw = !compiled.aggregate;
    let mut stmt = inner.clone();
    stmt.order_by = if opts.ascending {
        Vec::new()
    } else {
        vec![SortField {
            name: "time".to_owned(),
            ascending: false,
        }]
    };
    // An aggregate subquery: fill(null) is fill(none) (1.x leaves the nulls out); without a
    // GROUP BY time of its own it takes the outer's (`compile::compile_with`).
    let interval = compiled.interval;
    if !raw && stmt.fill == Fill::Null {
        stmt.fill = Fill::None;
    }
    stmt.slimit = stmt.slimit.saturating_add(opts.slimit);
    stmt.soffset = stmt.soffset.saturating_add(opts.soffset);

    let mut group_by = opts.group_by.clone();
    group_by.extend(schema.dims.iter().cloned());
    // 1.x limits per series of the cursor; when the outer groups by fewer tags than the
    // inner's series carry, its limit iterator restarts at every change of tags.
    let regroup = opts.dims.len() != group_by.len();
    let (limit, offset) = (stmt.limit, stmt.offset);
    let stream_limit = regroup && (limit > 0 || offset > 0);
    let mut run_opts = opts.clone();
    run_opts.series_cap = None;
    // Raw rows, and transformations without GROUP BY time (1.x streams them), come out of
    // the merge of the outer's tag sets.
    let streamed = raw || (interval.is_none() && transform::any(&compiled.fields));
    run_opts.split_rows = streamed && regroup && !has_subquery(&stmt);
    if stream_limit {
        stmt.limit = 0;
        stmt.offset = 0;
        if raw {
            run_opts.series_cap =
                usize::try_from(offset.saturating_add(limit).saturating_add(1)).ok();
        }
    }
    let series = if has_subquery(&stmt) {
        execute(ctx, tables, &stmt, now, Some(&run_opts)).await?
    } else {
        super::run(ctx, tables, &stmt, now, Some(&run_opts)).await?
    };

    let tz: Option<chrono_tz::Tz> = stmt.location.as_deref().and_then(|l| l.parse().ok());
    let dims: BTreeSet<String> = opts.dims.iter().cloned().collect();
    let mut rows: Vec<(usize, StreamRow)> = Vec::new();
    for s in series {
        let name = s.name.unwrap_or_default();
        for v in s.values {
            let time = match v.first() {
                Some(Value::Time(t)) => *t,
                _ => 0,
            };
            rows.push((
                rows.len(),
                StreamRow {
                    name: name.clone(),
                    tags: s.tags.clone(),
                    time,
                    values: v.into_iter().skip(1).collect(),
                },
            ));
        }
    }
    let mut out: Vec<StreamRow> = if run_opts.split_rows || (raw && has_subquery(&stmt)) {
        // Already in 1.x's order (`SubOpts::split_rows`; a nested raw query keeps the order
        // of its own cursor).
        rows.into_iter().map(|(_, r)| r).collect()
    } else {
        // 1.x's cursor order: name, the outermost GROUP BY tags, window (aggregates; raw:
        // time), in the query's direction; then the inner's tags, ascending.
        let window = |t: i64| match (raw, interval) {
            (true, _) => t,
            (false, Some((every, offset))) => window_start(t, every, offset, tz),
            (false, None) => 0,
        };
        rows.sort_by(|(ia, a), (ib, b)| {
            let o = a
                .name
                .cmp(&b.name)
                .then_with(|| subset(&a.tags, &dims).cmp(&subset(&b.tags, &dims)))
                .then_with(|| window(a.time).cmp(&window(b.time)));
            let o = if opts.ascending { o } else { o.reverse() };
            o.then_with(|| a.tags.cmp(&b.tags)).then_with(|| ia.cmp(ib))
        });
        rows.into_iter().map(|(_, r)| r).collect()
    };
    if stream_limit {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut n = 0usize;
        let mut prev: Option<(String, BTreeMap<String, String>)> = None;
        out.retain(|r| {
            if prev
                .as_ref()
                .is_none_or(|(name, tags)| *name != r.name || *tags != r.tags)
            {
                prev = Some((r.name.clone(), r.tags.clone()));
                n = 0;
            }
            n += 1;
            n > offset && (limit == 0 || n - offset <= limit)
        });
    }
    Ok(out)
}

/// 1.x's sorted-merge heap order of two rows: name, tags (reduced to `dims`), time, then the
/// auxiliary values while both are equal strings.
fn heap_less(
    a: (&StreamRow, &[Value]),
    b: (&StreamRow, &[Value]),
    dims: &BTreeSet<String>,
    ascending: bool,
) -> bool {
    let (x, y) = (a.0, b.0);
    let ord = x.name.cmp(&y.name).then_with(|| {
        subset(&x.tags, dims)
            .cmp(&subset(&y.tags, dims))
            .then_with(|| x.time.cmp(&y.time))
    });
    if ord != std::cmp::Ordering::Equal {
        return (ord == std::cmp::Ordering::Less) == ascending;
    }
    for (v1, v2) in a.1.iter().zip(b.1) {
        match (v1, v2) {
            (Value::String(s1), Value::String(s2)) if s1 == s2 => continue,
            (Value::String(s1), Value::String(s2)) => return (s1 < s2) == ascending,
            _ => return false,
        }
    }
    false
}

/// sum() / mean() over subquery rows as 1.x computes them: per subquery, each window's values
/// reduced in cursor order, then the partials re-reduced once (the merge's call iterator).
pub(super) fn reduce_windows(
    kind: Kind,
    pts: &[Pt],
    data: &Data<'_>,
    window: impl Fn(i64) -> i64,
) -> BTreeMap<i64, Value> {
    let Some(sub) = &data.sub else {
        return BTreeMap::new();
    };
    let mut ordered: Vec<&Pt> = pts.iter().collect();
    ordered.sort_by_key(|p| data.seq(p.src.0, p.src.1));
    // window ──► per source (in source order) ──► values in cursor order.
    let mut by_window: BTreeMap<i64, BTreeMap<usize, Vec<&Value>>> = BTreeMap::new();
    for p in ordered {
        by_window
            .entry(window(p.time))
            .or_default()
            .entry(sub.source[p.src.0])
            .or_default()
            .push(&p.value);
    }
    by_window
        .into_iter()
        .filter_map(|(w, per_source)| {
            let parts: Vec<Partial> = per_source
                .values()
                .filter_map(|vals| reduce_points(kind, vals))
                .collect();
            let v = match combine(kind, &parts)? {
                Partial::Float(v, _) => Value::Float(v),
                Partial::Integer(v, _) => Value::Integer(v),
            };
            Some((w, v))
        })
        .collect()
}
