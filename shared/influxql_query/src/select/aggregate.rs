//! Aggregate SELECT: per group, each call reduced per time window, gaps filled, rows joined
//! by time, and the field expressions evaluated over the calls' results.
//!
//! ```text
//! group's series ──► per call: its field's non-null points passing WHERE, in time order
//!   ──► windows: GROUP BY time(every, offset) ⇒ floor((t − offset) / every) · every + offset,
//!       from the range's first window (or the first point's) to the last (range end or now());
//!       no interval ⇒ one window starting at the range's start
//!   ──► functions::reduce | top_bottom per window; empty windows per fill()
//!   ──► rows: time (window start, or the selected point's own time for a lone selector),
//!       field expressions over the call values (auxiliary fields from the selected row)
//!   ──► ORDER BY time DESC reverses the windows (a window's rows keep their order)
//!   ──► OFFSET, LIMIT (per group)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use influxql::ast::{DataType, Expr, Field, Fill, MeasurementName, Source};
use v1_query::result::Value;

use super::compile::{is_selector, stmt_err};
use super::fields::top_bottom_extra;
use super::functions::{Out, Pt, reduce, top_bottom};
use super::percentile_end::Trace;
use super::pushdown::{
    Kind, first_last_candidates, integral_windows, merge_ordered, merge_ordered_with,
    reduce_windows, reduce_windows_copies,
};
use super::window::linear_fill;
use super::window::{window_start, zone_offset};
use super::{Data, Plan, SeriesRow, VarFill, out_time, passes};
use crate::ExecError;
use crate::condition::{MIN_TIME, TimeRange};
use crate::eval::{Row, eval, is_math_function};

/// The most windows one group may produce (1.x's `max-select-buckets` is unlimited by
/// default; an unbounded GROUP BY time over years of nanoseconds must not exhaust memory).
const MAX_WINDOWS: i64 = 10_000_000;

/// Collects the aggregate calls of `e` (math functions are looked through).
pub(super) fn collect_calls(e: &Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::Call { name, args } if is_math_function(name) => {
            args.iter().for_each(|a| collect_calls(a, out));
        }
        Expr::Call { .. } | Expr::Distinct(_) if !out.contains(e) => out.push(e.clone()),
        Expr::Binary { lhs, rhs, .. } => {
            collect_calls(lhs, out);
            collect_calls(rhs, out);
        }
        Expr::Paren(inner) => collect_calls(inner, out),
        _ => {}
    }
}

/// The field a call reads, with the type cast written on it.
fn call_input(call: &Expr) -> Option<(String, Option<DataType>)> {
    match call {
        Expr::Distinct(name) => Some((name.clone(), None)),
        Expr::Call { args, .. } => match args.first() {
            Some(Expr::VarRef { name, data_type }) => Some((name.clone(), *data_type)),
            Some(Expr::Distinct(name)) => Some((name.clone(), None)),
            Some(inner @ Expr::Call { .. }) => call_input(inner),
            _ => None,
        },
        _ => None,
    }
}

fn call_name(call: &Expr) -> &str {
    match call {
        Expr::Call { name, .. } => name,
        _ => "distinct",
    }
}

struct AggRow<'a> {
    calls: &'a [Expr],
    values: Vec<Value>,
    aux: Option<SeriesRow<'a>>,
}

impl Row for AggRow<'_> {
    fn get(&self, name: &str, data_type: Option<DataType>) -> Value {
        match &self.aux {
            Some(r) => r.get(name, data_type),
            None => Value::Null,
        }
    }

    fn call(&self, expr: &Expr) -> Value {
        self.calls
            .iter()
            .position(|c| c == expr)
            .map(|i| self.values[i].clone())
            .unwrap_or(Value::Null)
    }
}

fn in_range(r: &TimeRange, t: i64) -> bool {
    r.min.is_none_or(|m| t >= m) && r.max.is_none_or(|m| t <= m)
}

/// One call's points over `range` as 1.x's call iterator hands them on: in the query's time
/// order, empty windows filled, no LIMIT / OFFSET (the caller applies them per call). The
/// input of a transformation, or a column beside one.
pub(super) fn call_points(
    plan: &Plan<'_>,
    data: &Data<'_>,
    members: &[usize],
    call: &Expr,
    range: TimeRange,
) -> Result<Vec<(i64, Value)>, ExecError> {
    let mut stmt = plan.stmt.clone();
    stmt.limit = 0;
    stmt.offset = 0;
    let sub = Plan {
        stmt: &stmt,
        compiled: plan.compiled,
        fields: vec![Field {
            expr: call.clone(),
            alias: None,
        }],
        columns: vec![plan.compiled.time_name.clone(), String::new()],
        filter: plan.filter.clone(),
        range,
        now: plan.now,
        series_cap: plan.series_cap,
        field_kinds: plan.field_kinds.clone(),
    };
    Ok(rows(&sub, data, members)?
        .into_iter()
        .filter_map(|r| match r.as_slice() {
            [Value::Time(t), v] => Some((*t, v.clone())),
            _ => None,
        })
        .collect())
}

/// The output rows of one group.
pub(super) fn rows(
    plan: &Plan<'_>,
    data: &Data<'_>,
    members: &[usize],
) -> Result<Vec<Vec<Value>>, ExecError> {
    Ok(rows_traced(plan, data, members)?.0)
}

/// [`rows`], with the group's [`Trace`] (see `percentile_end`) when the statement's only call is a `percentile()`
/// over a field of the measurement.
pub(super) fn rows_traced(
    plan: &Plan<'_>,
    data: &Data<'_>,
    members: &[usize],
) -> Result<(Vec<Vec<Value>>, Option<Trace>), ExecError> {
    let mut calls = Vec::new();
    for f in &plan.fields {
        collect_calls(&f.expr, &mut calls);
    }
    let single_selector = calls.len() == 1 && is_selector(call_name(&calls[0]));
    let interval = plan.compiled.interval;
    let tz: Option<chrono_tz::Tz> = plan.stmt.location.as_deref().and_then(|l| l.parse().ok());
    let keep_time = single_selector && interval.is_none();

    // Each call's input points.
    let mut inputs: Vec<Vec<Pt>> = Vec::with_capacity(calls.len());
    for c in &calls {
        let mut pts = Vec::new();
        if let Some((field, dt)) = call_input(c)
            && dt != Some(DataType::Tag)
            && let Some(&col) = data.field_index.get(&field)
        {
            for &s in members {
                let series = &data.series[s];
                for (i, v) in series.columns[col].iter().enumerate() {
                    // The fetch may reach further back for a transformation's
                    // inputs (`super::transform`); other calls keep their range.
                    if *v == Value::Null
                        || (data.sub.is_none() && !in_range(&plan.range, series.times[i]))
                        || !passes(plan, data, s, i)
                    {
                        continue;
                    }
                    pts.push(Pt {
                        time: series.times[i],
                        value: v.clone(),
                        src: (s, i),
                    });
                }
            }
        }
        pts.sort_by_key(|p| (p.time, data.seq(p.src.0, p.src.1)));
        inputs.push(pts);
    }
    if inputs.iter().all(Vec::is_empty) {
        return Ok((Vec::new(), None));
    }

    // 1.x's iterator tree: first/last candidates, sum/mean partials combined in merge order.
    let ascending = plan.stmt.time_ascending();
    let start = plan.range.min.unwrap_or(MIN_TIME);
    let window_of = |t: i64| match interval {
        Some((every, offset)) => window_start(t, every, offset, tz),
        None => start,
    };
    let regex_source = plan.stmt.sources.iter().any(|s| {
        matches!(s, Source::Measurement(m) if matches!(m.name, Some(MeasurementName::Regex(_))))
    });
    let levels = 3 + usize::from(regex_source);
    let aux = aux_outside_calls(&plan.fields);
    let mut pushed: Vec<Option<BTreeMap<i64, Value>>> = Vec::with_capacity(calls.len());
    let mut integral_calls: Vec<bool> = Vec::with_capacity(calls.len());
    let mut integral_time: Vec<Option<i64>> = Vec::with_capacity(calls.len());
    for (c, pts) in calls.iter().zip(inputs.iter_mut()) {
        let plain = matches!(c, Expr::Call { args, .. } if matches!(args.first(), Some(Expr::VarRef { .. })));
        let name = call_name(c);
        if plain && interval.is_none() && (name == "first" || name == "last") && data.sub.is_none()
        {
            let tie = |a: &Pt, b: &Pt| aux_tie(&aux, data, a, b, name == "first");
            let offset = usize::try_from(plan.stmt.offset).unwrap_or(0);
            *pts = first_last_candidates(pts, members, name == "last", offset, tie);
        }
        if plain
            && data.sub.is_none()
            && matches!(name, "stddev" | "mode" | "percentile" | "top" | "bottom")
        {
            // 1.x reduces these over its sorted merge (time order, equal times in Go's heap
            // order), and their answers depend on that order: stddev's running mean, the
            // unstable sort of mode and percentile, the heap of top and bottom.
            let tie = |a: &Pt, b: &Pt| aux_tie(&aux, data, a, b, ascending);
            *pts = merge_ordered_with(pts, members, ascending, tie);
        }
        if plain && name == "integral" {
            // 1.x streams the points (sorted merge) through its integral reducer.
            let unit = match c {
                Expr::Call { args, .. } => match args.get(1) {
                    Some(Expr::Duration(d)) if *d > 0 => *d as f64,
                    _ => 1_000_000_000.0,
                },
                _ => 1_000_000_000.0,
            };
            let ordered = if data.sub.is_some() {
                let mut v = pts.clone();
                v.sort_by_key(|p| data.seq(p.src.0, p.src.1));
                v
            } else {
                merge_ordered(pts, members, ascending)
            };
            let windows_of = |t: i64| match interval {
                Some((every, offset)) => {
                    let ws = window_start(t, every, offset, tz);
                    (ws, ws.saturating_add(every))
                }
                None => (start, i64::MAX),
            };
            let w: Option<&dyn Fn(i64) -> (i64, i64)> = interval
                .is_some()
                .then_some(&windows_of as &dyn Fn(i64) -> (i64, i64));
            let areas = integral_windows(&ordered, w, unit);
            // Without GROUP BY time a float integral is stamped 0 (1.x's unset window), an
            // integer one the range's start.
            let float = matches!(ordered.first().map(|p| &p.value), Some(Value::Float(_)));
            integral_time.push((interval.is_none() && float).then_some(0));
            pushed.push(Some(
                areas
                    .into_iter()
                    .map(|(ws, a)| (if interval.is_some() { ws } else { start }, Value::Float(a)))
                    .collect(),
            ));
            integral_calls.push(true);
            continue;
        }
        integral_calls.push(false);
        integral_time.push(None);
        pushed.push(match Kind::of(name) {
            Some(kind) if plain && data.sub.is_some() => {
                Some(super::subquery::reduce_windows(kind, pts, data, window_of))
            }
            Some(kind) if plain => {
                let with_field: Vec<usize> = call_input(c)
                    .and_then(|(f, _)| data.field_index.get(&f).copied())
                    .map(|col| {
                        members
                            .iter()
                            .copied()
                            .filter(|&s| {
                                data.series[s].columns[col]
                                    .iter()
                                    .any(|v| *v != Value::Null)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if data.copies > 1 {
                    // Several sources name the measurement: 1.x reduces each source's copy
                    // on its own and combines the copies' partials once more at the top.
                    let per_copy = data.series.len() / data.copies;
                    let one: Vec<Pt> = pts.iter().filter(|p| p.src.0 < per_copy).cloned().collect();
                    let series: Vec<usize> = with_field
                        .iter()
                        .copied()
                        .filter(|&s| s < per_copy)
                        .collect();
                    Some(reduce_windows_copies(
                        kind,
                        &one,
                        &series,
                        window_of,
                        ascending,
                        levels,
                        data.copies,
                    ))
                } else {
                    Some(reduce_windows(
                        kind,
                        pts,
                        &with_field,
                        window_of,
                        ascending,
                        levels,
                    ))
                }
            }
            _ => None,
        });
    }

    // Windows.
    let mut with_data = BTreeSet::new();
    if let Some((every, offset)) = interval {
        for pts in &inputs {
            for p in pts {
                with_data.insert(window_start(p.time, every, offset, tz));
            }
        }
    }
    let windows = windows(plan, tz, with_data)?;

    // Per call, per window: the outputs.
    let mut per_call: Vec<Vec<Vec<Out>>> = Vec::with_capacity(calls.len());
    for (ci, (c, pts)) in calls.iter().zip(&inputs).enumerate() {
        let mut by_window: BTreeMap<i64, Vec<Pt>> = BTreeMap::new();
        match interval {
            None => {
                by_window.insert(start, pts.clone());
            }
            Some((every, offset)) => {
                for p in pts {
                    by_window
                        .entry(window_start(p.time, every, offset, tz))
                        .or_default()
                        .push(p.clone());
                }
            }
        }
        let mut reduced: Vec<Vec<Out>> = Vec::with_capacity(windows.len());
        for w in &windows {
            let window_pts = by_window.get(w).map(Vec::as_slice).unwrap_or(&[]);
            reduced.push(if window_pts.is_empty() {
                Vec::new()
            } else {
                let mut o = reduce_call(c, window_pts, keep_time, data)?;
                if integral_calls[ci] && pushed[ci].as_ref().is_some_and(|m| !m.contains_key(w)) {
                    // No area in this window (a lone point): 1.x emits nothing.
                    o.clear();
                }
                if let (Some(v), [only]) =
                    (pushed[ci].as_ref().and_then(|m| m.get(w)), o.as_mut_slice())
                {
                    only.value = v.clone();
                    if integral_calls[ci] {
                        only.time = integral_time[ci];
                    }
                }
                o
            });
        }
        per_call.push(reduced);
    }
    let reads: Vec<bool> = calls.iter().map(|c| reads_field(c, data)).collect();
    let trace = match (calls.as_slice(), per_call.first()) {
        ([Expr::Call { name, args }], Some(outs))
            if name == "percentile"
                && data.sub.is_none()
                && matches!(args.first(), Some(Expr::VarRef { .. }))
                && reads[0] =>
        {
            let fill_iterator = interval.is_some() && plan.stmt.fill != Fill::None;
            let mut order: Vec<usize> = (0..windows.len()).collect();
            if !ascending {
                order.reverse();
            }
            let with_points: BTreeSet<i64> = inputs[0].iter().map(|p| window_of(p.time)).collect();
            let mut items = Vec::new();
            for (at, &wi) in order.iter().enumerate() {
                if with_points.contains(&windows[wi]) {
                    items.push((
                        if fill_iterator { at } else { items.len() },
                        !outs[wi].is_empty(),
                    ));
                }
            }
            Some(Trace {
                fill_windows: if fill_iterator { windows.len() } else { 0 },
                items,
            })
        }
        _ => None,
    };
    Ok((
        finish(plan, Some(data), &calls, &reads, &windows, per_call),
        trace,
    ))
}

/// The windows a group's rows are made of: with GROUP BY time, those holding a point
/// (`with_data`) under fill(none), else every window from the range's start (or the first
/// point's) to its end (or now()); without, the one window at the range's start.
pub(super) fn windows(
    plan: &Plan<'_>,
    tz: Option<chrono_tz::Tz>,
    with_data: BTreeSet<i64>,
) -> Result<Vec<i64>, ExecError> {
    let interval = plan.compiled.interval;
    let start = plan.range.min.unwrap_or(MIN_TIME);
    Ok(match interval {
        None => vec![start],
        Some((every, offset)) => {
            if plan.stmt.fill == Fill::None {
                with_data.into_iter().collect()
            } else {
                let first = match plan.range.min {
                    Some(m) => window_start(m, every, offset, tz),
                    None => with_data.first().copied().unwrap_or(0),
                };
                let end = plan.range.max.unwrap_or(plan.now);
                let last = window_start(end, every, offset, tz);
                if last < first {
                    Vec::new()
                } else {
                    if (last - first) / every >= MAX_WINDOWS {
                        return Err(stmt_err(format!(
                            "max-select-buckets limit exceeded: ({}/{MAX_WINDOWS})",
                            (last - first) / every + 1
                        )));
                    }
                    // 1.x's fill iterator: one interval on, then corrected by a zone
                    // offset change smaller than the interval.
                    let mut out = Vec::new();
                    let mut w = first;
                    let mut zone = zone_offset(tz, w);
                    while w <= last {
                        out.push(w);
                        w = w.saturating_add(every);
                        if tz.is_some() {
                            let o = zone_offset(tz, w - 1);
                            if o != zone {
                                let diff = zone - o;
                                if diff.abs() < every {
                                    w += diff;
                                }
                                zone = o;
                            }
                        }
                    }
                    out
                }
            }
        }
    })
}

/// A group's rows from each call's outputs per window (`per_call[call][window]`): empty
/// windows filled as fill() says (`reads_field[call]`: the call reads a field of the
/// measurement — count()'s null fill is 0 then), one row per window (several for selectors
/// returning several points), field expressions evaluated over the call values (auxiliary
/// fields from the selected row of `data`), ORDER BY time DESC, OFFSET and LIMIT.
pub(super) fn finish(
    plan: &Plan<'_>,
    data: Option<&Data<'_>>,
    calls: &[Expr],
    reads_field: &[bool],
    windows: &[i64],
    reduced_per_call: Vec<Vec<Vec<Out>>>,
) -> Vec<Vec<Value>> {
    let interval = plan.compiled.interval;
    let mut per_call: Vec<Vec<Vec<Out>>> = Vec::with_capacity(calls.len());
    for (ci, reduced) in reduced_per_call.into_iter().enumerate() {
        // 1.x fills through an iterator of the call's output type: numbers are cast to it, and
        // fill(null) of count() is 0.
        let kind = reduced
            .iter()
            .flatten()
            .map(|o| &o.value)
            .find(|v| **v != Value::Null)
            .cloned()
            .unwrap_or(Value::Null);
        let cast = |n: f64| match kind {
            Value::Integer(_) => Value::Integer(n as i64),
            Value::Unsigned(_) => Value::Unsigned(n as u64),
            Value::String(_) => Value::String(String::new()),
            Value::Boolean(_) => Value::Boolean(false),
            _ => Value::Float(n),
        };
        let mut previous: Option<Value> = None;
        // 1.x builds integral()'s iterator without a fill iterator: its empty windows stay
        // empty whatever fill() says.
        // Nor does it fill the empty windows of a lone distinct(), top(), bottom() or
        // sample() (functions answering several points a window).
        // And 1.x's fill iterator learns a series from its input: a call that answers no point
        // at all in the group (percentile() out of range) is not filled either.
        let fills = call_name(&calls[ci]) != "integral"
            && reduced.iter().any(|o| !o.is_empty())
            && !(calls.len() == 1
                && matches!(
                    call_name(&calls[ci]),
                    "distinct" | "top" | "bottom" | "sample"
                ));
        // 1.x fills in the order it emits windows: fill(previous) under ORDER BY time DESC
        // takes the later window's value.
        let mut outs = reduced;
        let order: Vec<usize> = if plan.stmt.time_ascending() {
            (0..outs.len()).collect()
        } else {
            (0..outs.len()).rev().collect()
        };
        for wi in order {
            let o = &mut outs[wi];
            if o.is_empty() && interval.is_some() && fills {
                *o = match &plan.stmt.fill {
                    // 1.x fills count()'s empty windows with 0 under fill(null) (a call
                    // on a tag or a missing field has no iterator: null).
                    Fill::Null if call_name(&calls[ci]) == "count" && reads_field[ci] => {
                        vec![fill_out(Value::Integer(0))]
                    }
                    Fill::Null | Fill::Linear => vec![null_out()],
                    Fill::None => Vec::new(),
                    Fill::Integer(i) => vec![fill_out(cast(*i as f64))],
                    Fill::Float(f) => vec![fill_out(cast(*f))],
                    Fill::Previous => vec![fill_out(previous.clone().unwrap_or(Value::Null))],
                };
            }
            if let Some(last) = o.last()
                && last.value != Value::Null
            {
                previous = Some(last.value.clone());
            }
        }
        if plan.stmt.fill == Fill::Linear {
            linear_fill(windows, &mut outs);
        }
        per_call.push(outs);
    }

    // Rows, window by window.
    let mut blocks: Vec<Vec<PendingRow>> = Vec::with_capacity(windows.len());
    for (wi, w) in windows.iter().enumerate() {
        let mut rows = Vec::new();
        let n = per_call.iter().map(|c| c[wi].len()).max().unwrap_or(0);
        // 1.x joins the calls' points by time: without GROUP BY time a float integral is
        // stamped 0 and an integer one the range's start, so they make rows of their own.
        let split_integrals =
            interval.is_none() && calls.iter().any(|c| call_name(c) == "integral");
        for j in 0..n {
            let mut times: Vec<i64> = per_call
                .iter()
                .filter_map(|c| c[wi].get(j).map(|o| o.time.unwrap_or(*w)))
                .collect();
            times.sort_unstable();
            times.dedup();
            if !split_integrals || times.len() < 2 {
                times = vec![i64::MIN];
            }
            for at in times {
                let mut values = Vec::with_capacity(calls.len());
                let mut time = None;
                let mut src = None;
                for c in &per_call {
                    match c[wi]
                        .get(j)
                        .filter(|o| at == i64::MIN || o.time.unwrap_or(*w) == at)
                    {
                        Some(o) => {
                            if time.is_none() {
                                time = o.time;
                            }
                            if src.is_none() {
                                src = o.src;
                            }
                            values.push(o.value.clone());
                        }
                        None => values.push(Value::Null),
                    }
                }
                let t = if interval.is_some() && !keeps_point_time(calls) {
                    *w
                } else {
                    time.unwrap_or(*w)
                };
                rows.push((t, values, src));
            }
        }
        blocks.push(rows);
    }
    // ORDER BY time DESC: windows last first; within a window, rows stay in the order the
    // reducer emits them (1.x's reduce iterator stably sorts a window's points by ascending
    // time either way: distinct's values ascending, top/bottom/sample by time).
    if !plan.stmt.time_ascending() {
        blocks.reverse();
    }
    let rows = blocks.into_iter().flatten();
    let offset = usize::try_from(plan.stmt.offset).unwrap_or(usize::MAX);
    let mut rows: Vec<_> = rows.skip(offset).collect();
    if plan.stmt.limit > 0 {
        rows.truncate(usize::try_from(plan.stmt.limit).unwrap_or(usize::MAX));
    }
    // The cursor evaluates the fields over its map, in output order: an auxiliary variable
    // the row has no value for (a filled window's) is filled first (`super::VarFill`).
    let mut var_fill = VarFill::new(plan);
    let refs = aux_outside_calls(&plan.fields);
    let fill_vars = var_fill.active() && !refs.is_empty() && data.is_some_and(|d| d.sub.is_none());
    rows.into_iter()
        .map(|(t, values, src)| {
            let row = AggRow {
                calls,
                values,
                aux: src.zip(data).map(|((s, i), data)| SeriesRow {
                    data,
                    series: s,
                    row: i,
                    condition: false,
                }),
            };
            let filled = fill_vars.then(|| var_fill.fill_row(&refs, &row));
            let eval_row: &dyn Row = match &filled {
                Some(f) => f,
                None => &row,
            };
            let mut out = Vec::with_capacity(plan.columns.len());
            out.push(out_time(t));
            for f in &plan.fields {
                out.push(eval(&f.expr, eval_row));
                for extra in top_bottom_extra(f) {
                    out.push(row.get(&extra, None));
                }
            }
            out
        })
        .collect()
}

/// A row before evaluation: its time, the call values and the selected point.
type PendingRow = (i64, Vec<Value>, Option<(usize, usize)>);

/// Does `call` read a field of the measurement (1.x gives it an iterator)?
fn reads_field(call: &Expr, data: &Data<'_>) -> bool {
    call_input(call)
        .is_some_and(|(f, dt)| dt != Some(DataType::Tag) && data.field_index.contains_key(&f))
}

/// top(), bottom() and sample() keep their points' own times even with GROUP BY time.
fn keeps_point_time(calls: &[Expr]) -> bool {
    calls.len() == 1 && matches!(call_name(&calls[0]), "top" | "bottom" | "sample")
}

fn null_out() -> Out {
    fill_out(Value::Null)
}

fn fill_out(value: Value) -> Out {
    Out {
        time: None,
        value,
        src: None,
    }
}

fn reduce_call(
    call: &Expr,
    pts: &[Pt],
    keep_time: bool,
    data: &Data<'_>,
) -> Result<Vec<Out>, ExecError> {
    let (name, args): (&str, &[Expr]) = match call {
        Expr::Call { name, args } => (name, args),
        _ => ("distinct", &[]),
    };
    if name == "top" || name == "bottom" {
        let n = match args.last() {
            Some(Expr::Integer(n)) => usize::try_from(*n).unwrap_or(1),
            _ => 1,
        };
        let tag_args: Vec<String> = args[1..args.len().saturating_sub(1)]
            .iter()
            .filter_map(|a| match a {
                Expr::VarRef { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        // 1.x groups by the tag arguments as point tags (Tags.ID: values in the order of the
        // sorted tag names, a missing tag — or a field named there — empty).
        let mut sorted_tags = tag_args.clone();
        sorted_tags.sort();
        sorted_tags.dedup();
        let key = |p: &Pt| -> String {
            let row = SeriesRow {
                data,
                series: p.src.0,
                row: p.src.1,
                condition: false,
            };
            let values: Vec<String> = sorted_tags
                .iter()
                .map(|t| match row.get(t, Some(DataType::Tag)) {
                    Value::String(v) => v,
                    _ => String::new(),
                })
                .collect();
            values.join("\0")
        };
        return top_bottom(name, pts, n, &key, !tag_args.is_empty());
    }
    reduce(name, args, pts, keep_time)
}

/// The variables the fields read outside aggregate calls (1.x's auxiliary fields of a
/// selector query), sorted by name.
fn aux_outside_calls(fields: &[influxql::ast::Field]) -> Vec<(String, Option<DataType>)> {
    fn collect(e: &Expr, out: &mut Vec<(String, Option<DataType>)>) {
        match e {
            Expr::VarRef { name, data_type } => {
                let r = (name.clone(), *data_type);
                if !out.contains(&r) {
                    out.push(r);
                }
            }
            Expr::Call { name, args } if is_math_function(name) => {
                args.iter().for_each(|a| collect(a, out));
            }
            Expr::Binary { lhs, rhs, .. } => {
                collect(lhs, out);
                collect(rhs, out);
            }
            Expr::Paren(inner) => collect(inner, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for f in fields {
        collect(&f.expr, &mut out);
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// 1.x's sorted-merge tie rule on the auxiliary fields: the first differing string decides
/// (ascending: smaller first); a non-string ends the comparison (`None`: not less).
fn aux_tie(
    aux: &[(String, Option<DataType>)],
    data: &Data<'_>,
    a: &Pt,
    b: &Pt,
    ascending: bool,
) -> Option<bool> {
    let row = |p: &Pt| SeriesRow {
        data,
        series: p.src.0,
        row: p.src.1,
        condition: false,
    };
    let (ra, rb) = (row(a), row(b));
    for (name, dt) in aux {
        match (ra.get(name, *dt), rb.get(name, *dt)) {
            (Value::String(x), Value::String(y)) if x == y => continue,
            (Value::String(x), Value::String(y)) => {
                return Some(if ascending { x < y } else { x > y });
            }
            _ => return None,
        }
    }
    None
}
