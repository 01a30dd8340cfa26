//! GROUP BY time aggregates of count, min, max, first, last, sum and mean reduced by
//! DataFusion: one
//! GROUP BY over the scan gives the partial results 1.x's iterators would compute, and only
//! those (a few per series and window, not every row) reach the combine — the same combine
//! [`super::pushdown`] applies, so the answer is the slow path's to the last bit.
//!
//! ```text
//! eligible? aggregate, GROUP BY time (UTC), every field an expression over
//!   count|min|max|first|last|sum|mean(integer or float field), WHERE only tag comparisons
//!   the scan
//!   applies exactly (prefilter::exact)
//! DataFusion: scan (time range, prefilter)
//!   GROUP BY [series_id(every tag) + shard group, when a mean/sum needs 1.x's per-series
//!             partials | the GROUP BY tags otherwise], window = floor((t − offset) / every)
//!   ·every + offset (date_bin; the shard group follows from the window when the windows'
//!   grid refines the shard groups'), aggregates: count(f) of fields under count / sum / mean,
//!   min(f) / max(f) / sum(f) as called (a min / max has data where it is not null); a float
//!   sum depends on the order of its terms, so a float field's values come as
//!   array_agg((time, f)) (unordered: DataFusion's groups accumulator; its length is the
//!   count) and are added in 1.x's order (the series' time order, reversed for ORDER BY
//!   time DESC)
//! rows ──► output groups (GROUP BY tag values) ──► per call, per window:
//!   count Σ · min/max extreme · first/last: max of the struct (−time | time, value) —
//!   earliest / latest, ties the larger value, as 1.x's reducers · sum/mean: per (shard
//!   group, series, window) partials
//!   ──► pushdown::combine_windows (merge order, 1.x's levels)
//! ──► aggregate::windows + aggregate::finish (fill, rows, ORDER, OFFSET, LIMIT)
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, ListArray, StructArray, TimestampNanosecondArray,
    UInt32Array,
};
use datafusion::functions::core::expr_fn::named_struct;
use datafusion::functions_aggregate::expr_fn::{array_agg, count, max, min, sum};
use datafusion::logical_expr::ExprFunctionExt;
use datafusion::logical_expr::cast;
use datafusion::prelude::{Expr as DfExpr, SessionContext, col, ident, lit};
use datafusion::scalar::ScalarValue;
use futures::TryStreamExt;
use influxql::ast::{DataType, Expr, MeasurementName, Source};
use v1_query::result::Value;

use super::aggregate::{collect_calls, finish, windows};
use super::fields::{FieldKind, Schema};
use super::functions::Out;
use super::order::SHARD_ORIGIN_NS;
use super::pushdown::{Kind, Partial, combine_windows};
use super::series_id::{SeriesIds, series_id};
use super::{Plan, prefilter};
use crate::ExecError;
use crate::fetch::{SeriesData, scan, tag_key, to_strings};

/// The reduction a call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Count,
    Min,
    Max,
    /// The earliest point; at equal times the larger value (1.x's FirstReduce).
    First,
    /// The latest point; at equal times the larger value (1.x's LastReduce).
    Last,
    Sum,
    Mean,
}

/// One aggregate call of the statement, as this path computes it.
#[derive(Debug, Clone)]
pub(super) struct Call {
    func: Func,
    field: String,
}

/// The calls of `plan` when this path answers it for a measurement of `schema`, else `None`.
pub(super) fn eligible(plan: &Plan<'_>, schema: &Schema) -> Option<(Vec<Expr>, Vec<Call>)> {
    if !crate::PUSHDOWN.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    let compiled = plan.compiled;
    let (every, offset) = compiled.interval?;
    if !compiled.aggregate
        || plan.stmt.location.is_some()
        || plan.stmt.target.is_some()
        || super::transform::any(&plan.fields)
        || every <= 0
        || every > 1_000_000_000_000_000_000
        || offset.unsigned_abs() >= every.unsigned_abs()
        || plan
            .filter
            .as_ref()
            .is_some_and(|f| !prefilter::exact(f, schema))
        || !plan
            .stmt
            .sources
            .iter()
            .all(|s| matches!(s, Source::Measurement(_)))
    {
        return None;
    }
    // The fields are expressions over calls only (no auxiliary fields, no tags).
    for f in &plan.fields {
        if !over_calls_only(&f.expr) {
            return None;
        }
    }
    let mut exprs = Vec::new();
    for f in &plan.fields {
        collect_calls(&f.expr, &mut exprs);
    }
    let mut calls = Vec::with_capacity(exprs.len());
    for e in &exprs {
        let Expr::Call { name, args } = e else {
            return None;
        };
        let [
            Expr::VarRef {
                name: field,
                data_type: None | Some(DataType::Field),
            },
        ] = args.as_slice()
        else {
            return None;
        };
        let kind = *schema.fields.get(field)?;
        let func = match (name.as_str(), kind) {
            ("count", FieldKind::Float | FieldKind::Integer) => Func::Count,
            ("min", FieldKind::Float | FieldKind::Integer) => Func::Min,
            ("max", FieldKind::Float | FieldKind::Integer) => Func::Max,
            ("first", FieldKind::Float | FieldKind::Integer) => Func::First,
            ("last", FieldKind::Float | FieldKind::Integer) => Func::Last,
            ("sum", FieldKind::Float | FieldKind::Integer) => Func::Sum,
            ("mean", FieldKind::Float | FieldKind::Integer) => Func::Mean,
            _ => return None,
        };
        calls.push(Call {
            func,
            field: field.clone(),
        });
    }
    (!calls.is_empty()).then_some((exprs, calls))
}

/// True when `e` reads fields only through calls (math around them is fine).
fn over_calls_only(e: &Expr) -> bool {
    match e {
        Expr::Call { name, args } if crate::eval::is_math_function(name) => {
            args.iter().all(over_calls_only)
        }
        Expr::Call { .. } => true,
        Expr::Binary { lhs, rhs, .. } => over_calls_only(lhs) && over_calls_only(rhs),
        Expr::Paren(inner) => over_calls_only(inner),
        Expr::VarRef { .. } | Expr::Wildcard(_) | Expr::Distinct(_) => false,
        _ => true,
    }
}

/// The start of the `step`-long bucket holding `time`, buckets starting at `origin` (ns):
/// `origin + floor((t − origin) / step) · step` — DataFusion's date_bin.
fn bucket(step: i64, origin: i64) -> DfExpr {
    datafusion::functions::datetime::expr_fn::date_bin(
        lit(ScalarValue::IntervalMonthDayNano(Some(
            arrow::datatypes::IntervalMonthDayNano::new(0, 0, step),
        ))),
        col("time"),
        lit(ScalarValue::TimestampNanosecond(Some(origin), None)),
    )
}

/// Per-(series or group, shard group, window) partial results of one row of the GROUP BY.
struct PartialRow {
    /// Tag values (every tag, or the GROUP BY tags), `None` when absent.
    tags: Vec<Option<String>>,
    shard: i64,
    window: i64,
    /// Per field of `fields`: its count.
    counts: Vec<i64>,
    /// Per call: min / max / sum / first / last as read (`Value::Null` for count).
    values: Vec<Value>,
    /// Per call: the time of a first / last pick (0 for the others).
    times: Vec<i64>,
}

/// The groups (GROUP BY tag values → rows) of measurement `table`, computed from DataFusion's
/// partial aggregates.
#[allow(clippy::too_many_arguments)]
pub(super) async fn groups(
    ctx: &SessionContext,
    table: &str,
    tags: &[String],
    dims: &[String],
    grouped: bool,
    plan: &Plan<'_>,
    exprs: &[Expr],
    calls: &[Call],
    plan_schema: &Schema,
    prefilter: Option<DfExpr>,
) -> Result<Vec<(BTreeMap<String, String>, Vec<Vec<Value>>)>, ExecError> {
    let Some((every, offset)) = plan.compiled.interval else {
        return Ok(Vec::new());
    };
    crate::PUSHDOWN_STATEMENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let per_series = calls
        .iter()
        .any(|c| matches!(c.func, Func::Sum | Func::Mean));
    let key_tags: Vec<String> = if per_series {
        tags.to_vec()
    } else {
        dims.to_vec()
    };
    // Fields whose count a call needs (count, and the n of sum / mean); min and max have a
    // value exactly where the field has one.
    let mut fields: Vec<String> = Vec::new();
    for c in calls {
        if matches!(c.func, Func::Count | Func::Sum | Func::Mean) && !fields.contains(&c.field) {
            fields.push(c.field.clone());
        }
    }

    let mut df = scan(ctx, table, plan.fetch_range()).await?;
    if let Some(f) = prefilter {
        df = df.filter(f)?;
    }
    // Per series: one number per series (series_id) instead of every tag column.
    let ids = Arc::new(SeriesIds::default());
    let numbered = per_series && !key_tags.is_empty();
    let mut group: Vec<DfExpr> = if numbered {
        vec![series_id(&ids, key_tags.iter().map(ident).collect()).alias("__series")]
    } else {
        key_tags.iter().map(|t| tag_key(t)).collect()
    };
    // A window inside one shard group (the windows' grid refines the shard groups' grid)
    // tells its shard group: no second date_bin per row.
    let shard_of_window = (SHARD_GROUP_STEP % every == 0
        && (SHARD_ORIGIN_NS - offset).rem_euclid(every) == 0)
        .then_some(|w: i64| {
            SHARD_ORIGIN_NS + (w - SHARD_ORIGIN_NS).div_euclid(SHARD_GROUP_STEP) * SHARD_GROUP_STEP
        });
    if per_series && shard_of_window.is_none() {
        group.push(bucket(SHARD_GROUP_STEP, SHARD_ORIGIN_NS).alias("__shard"));
    }
    group.push(bucket(every, offset).alias("__window"));
    let float_of = |f: &str| matches!(plan_schema.fields.get(f), Some(FieldKind::Float));
    let ascending = plan.stmt.time_ascending();
    // A float field under sum / mean comes as a list of its non-null values: the list's
    // length is its count (no count() over every row).
    let listed: Vec<Option<usize>> = fields
        .iter()
        .map(|f| {
            calls.iter().position(|c| {
                c.field == *f && matches!(c.func, Func::Sum | Func::Mean) && float_of(f)
            })
        })
        .collect();
    let mut aggs: Vec<DfExpr> = fields
        .iter()
        .enumerate()
        .filter(|(i, _)| listed[*i].is_none())
        .map(|(i, f)| count(ident(f)).alias(format!("__count{i}")))
        .collect();
    for (i, c) in calls.iter().enumerate() {
        let f = ident(&c.field);
        let a = match c.func {
            Func::Min => min(f),
            Func::Max => max(f),
            // 1.x's pick is the lexicographic maximum of (time, value) for last and of
            // (−time, value) for first: a struct max, whatever order the rows come in.
            Func::First | Func::Last => {
                let t = cast(col("time"), arrow::datatypes::DataType::Int64);
                let (name, t) = if c.func == Func::First {
                    ("nt", datafusion::logical_expr::Expr::Negative(Box::new(t)))
                } else {
                    ("t", t)
                };
                max(named_struct(vec![lit(name), t, lit("v"), f.clone()]))
                    .filter(f.is_not_null())
                    .build()?
            }
            // Unordered (DataFusion's array_agg groups accumulator; an ORDER BY would send
            // every row through a per-group accumulator): (time, value) pairs, put in time
            // order when read.
            Func::Sum | Func::Mean if float_of(&c.field) => array_agg(named_struct(vec![
                lit("t"),
                col("time"),
                lit("v"),
                f.clone(),
            ]))
            .filter(f.is_not_null())
            .build()?,
            Func::Sum | Func::Mean => sum(f),
            Func::Count => continue,
        };
        aggs.push(a.alias(format!("__call{i}")));
    }
    let df = df.aggregate(group, aggs)?;
    let schema = df.schema().clone();
    let mut stream = df.execute_stream().await?;
    let mut rows: Vec<PartialRow> = Vec::new();
    while let Some(batch) = stream.try_next().await? {
        let series = if numbered {
            Some(
                batch
                    .column(0)
                    .as_any()
                    .downcast_ref::<UInt32Array>()
                    .cloned()
                    .ok_or_else(|| ExecError::Internal("series number is not a UInt32".into()))?,
            )
        } else {
            None
        };
        let tag_cols = if numbered {
            Vec::new()
        } else {
            (0..key_tags.len())
                .map(|i| to_strings(batch.column(i)))
                .collect::<Result<Vec<_>, _>>()?
        };
        let int = |name: &str| -> Result<Int64Array, ExecError> {
            let i = schema
                .index_of_column_by_name(None, name)
                .ok_or_else(|| ExecError::Internal(format!("partial aggregate without {name}")))?;
            let a = arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Int64)?;
            a.as_any()
                .downcast_ref::<Int64Array>()
                .cloned()
                .ok_or_else(|| ExecError::Internal(format!("{name} is not an integer")))
        };
        let shard = if per_series && shard_of_window.is_none() {
            Some(int("__shard")?)
        } else {
            None
        };
        let window = int("__window")?;
        let counts = (0..fields.len())
            .map(|i| match listed[i] {
                Some(_) => Ok(None),
                None => int(&format!("__count{i}")).map(Some),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut call_cols: Vec<Option<ArrayRef>> = Vec::with_capacity(calls.len());
        for (i, c) in calls.iter().enumerate() {
            call_cols.push(if c.func == Func::Count {
                None
            } else {
                let name = format!("__call{i}");
                let idx = schema.index_of_column_by_name(None, &name).ok_or_else(|| {
                    ExecError::Internal(format!("partial aggregate without {name}"))
                })?;
                Some(Arc::clone(batch.column(idx)))
            });
        }
        for r in 0..batch.num_rows() {
            let tags = match &series {
                Some(ids_col) => ids
                    .tags(ids_col.value(r))
                    .ok_or_else(|| ExecError::Internal("series number without its tags".into()))?,
                None => tag_cols
                    .iter()
                    .map(|c| (!c.is_null(r)).then(|| c.value(r).to_owned()))
                    .collect(),
            };
            rows.push(PartialRow {
                tags,
                shard: match (&shard, shard_of_window) {
                    (Some(s), _) => s.value(r),
                    (None, Some(f)) if per_series => f(window.value(r)),
                    _ => 0,
                },
                window: window.value(r),
                counts: counts
                    .iter()
                    .zip(&listed)
                    .map(|(c, l)| match (c, l) {
                        (Some(c), _) => c.value(r),
                        (None, Some(ci)) => call_cols[*ci]
                            .as_ref()
                            .and_then(|a| a.as_any().downcast_ref::<ListArray>())
                            .map_or(0, |l| i64::from(l.value_length(r))),
                        (None, None) => 0,
                    })
                    .collect(),
                values: call_cols
                    .iter()
                    .map(|c| c.as_ref().map_or(Value::Null, |c| number(c, r, ascending)))
                    .collect(),
                times: call_cols
                    .iter()
                    .map(|c| c.as_ref().map_or(0, |c| pick_time(c, r)))
                    .collect(),
            });
        }
    }

    // Output groups by their GROUP BY tag values ('' when absent), as group_series orders them.
    let dim_pos: Vec<Option<usize>> = dims
        .iter()
        .map(|d| key_tags.iter().position(|k| k == d))
        .collect();
    let mut by_group: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let key: Vec<String> = dim_pos
            .iter()
            .map(|p| {
                p.and_then(|p| row.tags[p].clone())
                    .filter(|v| !v.is_empty())
                    .unwrap_or_default()
            })
            .collect();
        by_group.entry(key).or_default().push(i);
    }
    let regex_source = plan.stmt.sources.iter().any(|s| {
        matches!(s, Source::Measurement(m) if matches!(m.name, Some(MeasurementName::Regex(_))))
    });
    let levels = 3 + usize::from(regex_source);
    let field_of = |c: &Call| fields.iter().position(|f| *f == c.field).unwrap_or(0);
    // A row has data for call `ci` (its count > 0, or its min / max is not null).
    let has = |row: &PartialRow, ci: usize, c: &Call| match c.func {
        Func::Min | Func::Max | Func::First | Func::Last => row.values[ci] != Value::Null,
        _ => row.counts[field_of(c)] > 0,
    };

    let mut out = Vec::new();
    for (key, members) in by_group {
        let members: Vec<&PartialRow> = members.iter().map(|&i| &rows[i]).collect();
        let mut with_data = BTreeSet::new();
        for row in &members {
            if calls.iter().enumerate().any(|(ci, c)| has(row, ci, c)) {
                with_data.insert(row.window);
            }
        }
        if with_data.is_empty() {
            continue;
        }
        let mut per_call_values: Vec<BTreeMap<i64, Value>> = Vec::with_capacity(calls.len());
        for (ci, c) in calls.iter().enumerate() {
            let fi = field_of(c);
            let mut values: BTreeMap<i64, Value> = BTreeMap::new();
            match c.func {
                Func::Count => {
                    for row in members.iter().filter(|r| r.counts[fi] > 0) {
                        let v = values.entry(row.window).or_insert(Value::Integer(0));
                        if let Value::Integer(n) = v {
                            *n += row.counts[fi];
                        }
                    }
                }
                Func::Min | Func::Max => {
                    for row in members.iter().filter(|r| has(r, ci, c)) {
                        let v = &row.values[ci];
                        let better = match values.get(&row.window) {
                            None => true,
                            Some(cur) => {
                                let ord = compare(v, cur);
                                if c.func == Func::Min {
                                    ord == std::cmp::Ordering::Less
                                } else {
                                    ord == std::cmp::Ordering::Greater
                                }
                            }
                        };
                        if better {
                            values.insert(row.window, v.clone());
                        }
                    }
                }
                Func::First | Func::Last => {
                    // Several rows (series, shard groups) of one window: 1.x's rule again.
                    let mut best: BTreeMap<i64, (i64, Value)> = BTreeMap::new();
                    for row in members.iter().filter(|r| has(r, ci, c)) {
                        let (t, v) = (row.times[ci], &row.values[ci]);
                        let better = match best.get(&row.window) {
                            None => true,
                            Some((bt, bv)) => {
                                let before = if c.func == Func::First {
                                    t < *bt
                                } else {
                                    t > *bt
                                };
                                before
                                    || (t == *bt && compare(v, bv) == std::cmp::Ordering::Greater)
                            }
                        };
                        if better {
                            best.insert(row.window, (t, v.clone()));
                        }
                    }
                    values = best.into_iter().map(|(w, (_, v))| (w, v)).collect();
                }
                Func::Sum | Func::Mean => {
                    values = combined(c, ci, fi, &members, tags, table, ascending, levels);
                }
            }
            per_call_values.push(values);
        }
        let windows = windows(plan, None, with_data)?;
        let reduced: Vec<Vec<Vec<Out>>> = per_call_values
            .into_iter()
            .map(|values| {
                windows
                    .iter()
                    .map(|w| match values.get(w) {
                        Some(v) => vec![Out {
                            time: None,
                            value: v.clone(),
                            src: None,
                        }],
                        None => Vec::new(),
                    })
                    .collect()
            })
            .collect();
        let reads = vec![true; calls.len()];
        let rows = finish(plan, None, exprs, &reads, &windows, reduced);
        if rows.is_empty() {
            continue;
        }
        let group_tags = if grouped {
            dims.iter().cloned().zip(key).collect()
        } else {
            BTreeMap::new()
        };
        out.push((group_tags, rows));
    }
    Ok(out)
}

/// A sum or mean per window from per-(series, shard group, window) partials, combined as 1.x
/// combines them: the group's series that have the field in key order (reversed when
/// descending), per shard group.
#[allow(clippy::too_many_arguments)]
fn combined(
    c: &Call,
    ci: usize,
    fi: usize,
    members: &[&PartialRow],
    tags: &[String],
    table: &str,
    ascending: bool,
    levels: usize,
) -> BTreeMap<i64, Value> {
    let kind = if c.func == Func::Sum {
        Kind::Sum
    } else {
        Kind::Mean
    };
    // Series keys of the rows that have the field.
    let key_of = |row: &PartialRow| {
        SeriesData {
            tags: tags
                .iter()
                .zip(&row.tags)
                .filter_map(|(k, v)| {
                    v.as_ref()
                        .filter(|v| !v.is_empty())
                        .map(|v| (k.clone(), v.clone()))
                })
                .collect(),
            times: Vec::new(),
            columns: Vec::new(),
        }
        .key(table)
    };
    let with_field: Vec<(String, &PartialRow)> = members
        .iter()
        .filter(|r| r.counts[fi] > 0)
        .map(|r| (key_of(r), *r))
        .collect();
    let mut series: Vec<&String> = with_field.iter().map(|(k, _)| k).collect();
    series.sort();
    series.dedup();
    if !ascending {
        series.reverse();
    }
    let position: BTreeMap<&String, usize> =
        series.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let mut partials: BTreeMap<i64, Vec<BTreeMap<i64, Partial>>> = BTreeMap::new();
    for (k, row) in &with_field {
        let n = row.counts[fi];
        let partial = match (&row.values[ci], kind) {
            (Value::Integer(s), Kind::Sum) => Partial::Integer(*s, n as u64),
            (Value::Integer(s), Kind::Mean) => Partial::Float(*s as f64 / n as f64, n as u64),
            (Value::Float(s), Kind::Sum) => Partial::Float(*s, n as u64),
            (Value::Float(s), Kind::Mean) => Partial::Float(*s / n as f64, n as u64),
            _ => continue,
        };
        partials
            .entry(row.shard)
            .or_insert_with(|| vec![BTreeMap::new(); series.len()])[position[k]]
            .insert(row.window, partial);
    }
    combine_windows(kind, partials, ascending, levels)
}

/// The time of a first / last pick (a struct of ±time and value; see `groups`), else 0.
fn pick_time(a: &ArrayRef, r: usize) -> i64 {
    let Some(pick) = a.as_any().downcast_ref::<StructArray>() else {
        return 0;
    };
    if pick.is_null(r) {
        return 0;
    }
    let t = pick
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .map_or(0, |t| t.value(r));
    // first() stored −time (its pick is the maximum of (−time, value)).
    let first = pick.column_names().first() == Some(&"nt");
    if first { t.wrapping_neg() } else { t }
}

/// Row `r` of a min / max / sum column as a value of its type; a float field's values (a
/// list in the order 1.x adds them) as their sum, added one after the other; a first / last
/// pick as its value.
fn number(a: &ArrayRef, r: usize, ascending: bool) -> Value {
    if a.is_null(r) {
        return Value::Null;
    }
    if let Some(pick) = a.as_any().downcast_ref::<StructArray>() {
        return number(pick.column(1), r, ascending);
    }
    if let Some(list) = a.as_any().downcast_ref::<ListArray>() {
        return ordered_sum(&list.value(r), ascending);
    }
    if let Some(x) = a.as_any().downcast_ref::<Int64Array>() {
        Value::Integer(x.value(r))
    } else if let Some(x) = a.as_any().downcast_ref::<Float64Array>() {
        Value::Float(x.value(r))
    } else {
        Value::Null
    }
}

/// The sum of a list of (time, value) structs, added in time order (newest first when
/// `ascending` is false), as 1.x's reducer adds a series' points.
fn ordered_sum(pairs: &ArrayRef, ascending: bool) -> Value {
    let Some(pairs) = pairs.as_any().downcast_ref::<StructArray>() else {
        return Value::Null;
    };
    let (Some(times), Some(values)) = (
        pairs
            .column(0)
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>(),
        pairs.column(1).as_any().downcast_ref::<Float64Array>(),
    ) else {
        return Value::Null;
    };
    let times = times.values();
    let values = values.values();
    let mut s = 0.0;
    if times.windows(2).all(|w| w[0] <= w[1]) {
        // As read (the scan's rows are in series and time order): no sort.
        if ascending {
            for v in values.iter() {
                s += v;
            }
        } else {
            for v in values.iter().rev() {
                s += v;
            }
        }
    } else {
        let mut order: Vec<usize> = (0..times.len()).collect();
        order.sort_by_key(|&i| times[i]);
        if !ascending {
            order.reverse();
        }
        for i in order {
            s += values[i];
        }
    }
    Value::Float(s)
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal),
        _ => std::cmp::Ordering::Equal,
    }
}

/// Shard groups are 7 days long.
const SHARD_GROUP_STEP: i64 = 7 * 24 * 3600 * 1_000_000_000;
