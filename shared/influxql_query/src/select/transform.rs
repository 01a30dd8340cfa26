//! Transformations (derivative, difference, moving_average, cumulative_sum, elapsed, the
//! technical-analysis functions, holt_winters): 1.x's stream iterators over a call's input,
//! one group at a time, and the rows of a statement that uses them.
//!
//! ```text
//! per call of the fields (math looked through):
//!   transformation of a field (no GROUP BY time):
//!     the field's non-null points passing WHERE, in 1.x's sorted-merge order (raw::merged)
//!   transformation of an aggregate (GROUP BY time):
//!     aggregate::call_points over the range — one interval earlier (DESC: later) for all but
//!     cumulative_sum and holt_winters, as 1.x reads one more window — fill applied,
//!     null windows skipped
//!   ──► the transformation (in the query's time order):
//!       derivative / difference: the first point of equal times only; unit: argument,
//!         else the GROUP BY interval, else 1s (derivative); elapsed: every point, unit 1ns
//!       moving_average, cumulative_sum: every point
//!       analysis::indicator, holt_winters::holt_winters
//!   other calls: aggregate::call_points over the range
//!   ──► OFFSET, LIMIT per call (1.x limits every call iterator)
//! ──► rows joined by time as 1.x's multi-scanner cursor (a call without a point at that time
//!     is null) ──► field expressions over the call values
//! ```

use influxql::ast::{DataType, Expr, Field};
use v1_query::result::Value;

use super::aggregate::{call_points, collect_calls};
use super::analysis::{self, Warmup};
use super::compile::stmt_err;
use super::functions::value_iterator_type;
use super::holt_winters;
use super::raw::merged;
use super::{Data, Plan, out_time};
use crate::ExecError;
use crate::eval::{Row, eval};

/// Calls that transform the points of their argument.
pub(crate) fn is_transform(name: &str) -> bool {
    matches!(
        name,
        "derivative"
            | "non_negative_derivative"
            | "difference"
            | "non_negative_difference"
            | "moving_average"
            | "cumulative_sum"
            | "elapsed"
            | "holt_winters"
            | "holt_winters_with_fit"
    ) || analysis::Kind::of(name).is_some()
}

/// Transformations whose aggregate input starts one interval early (1.x moves the start of
/// their input back by one GROUP BY interval).
fn reads_extra_window(name: &str) -> bool {
    is_transform(name)
        && !matches!(
            name,
            "cumulative_sum" | "holt_winters" | "holt_winters_with_fit"
        )
}

fn calls_of(fields: &[Field]) -> Vec<Expr> {
    let mut calls = Vec::new();
    for f in fields {
        collect_calls(&f.expr, &mut calls);
    }
    calls
}

fn name_of(call: &Expr) -> &str {
    match call {
        Expr::Call { name, .. } => name,
        _ => "",
    }
}

/// Does a field call a transformation?
pub(super) fn any(fields: &[Field]) -> bool {
    calls_of(fields).iter().any(|c| is_transform(name_of(c)))
}

/// Does some transformation read one window beyond the statement's range?
pub(super) fn extends_range(fields: &[Field]) -> bool {
    calls_of(fields)
        .iter()
        .any(|c| reads_extra_window(name_of(c)))
}

struct CallRow<'a> {
    calls: &'a [Expr],
    values: Vec<Value>,
}

impl Row for CallRow<'_> {
    fn get(&self, _name: &str, _data_type: Option<DataType>) -> Value {
        Value::Null
    }

    fn call(&self, expr: &Expr) -> Value {
        self.calls
            .iter()
            .position(|c| c == expr)
            .and_then(|i| self.values.get(i).cloned())
            .unwrap_or(Value::Null)
    }
}

/// The output rows of one group of a statement that transforms.
pub(super) fn rows(
    plan: &Plan<'_>,
    data: &Data<'_>,
    members: &[usize],
) -> Result<Vec<Vec<Value>>, ExecError> {
    let calls = calls_of(&plan.fields);
    let offset = usize::try_from(plan.stmt.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(plan.stmt.limit).unwrap_or(usize::MAX);
    let mut outputs = Vec::with_capacity(calls.len());
    for c in &calls {
        let mut pts: Vec<(i64, Value)> = call_output(plan, data, members, c)?
            .into_iter()
            .skip(offset)
            .collect();
        if plan.stmt.limit > 0 {
            pts.truncate(limit);
        }
        outputs.push(pts);
    }

    let ascending = plan.stmt.time_ascending();
    let mut pos = vec![0usize; outputs.len()];
    let mut rows = Vec::new();
    loop {
        let heads = outputs
            .iter()
            .zip(&pos)
            .filter_map(|(o, &p)| o.get(p).map(|x| x.0));
        let next = if ascending { heads.min() } else { heads.max() };
        let Some(t) = next else { break };
        let mut values = Vec::with_capacity(outputs.len());
        for (o, p) in outputs.iter().zip(pos.iter_mut()) {
            match o.get(*p) {
                Some((pt, v)) if *pt == t => {
                    values.push(v.clone());
                    *p += 1;
                }
                _ => values.push(Value::Null),
            }
        }
        let row = CallRow {
            calls: &calls,
            values,
        };
        let mut out = Vec::with_capacity(plan.columns.len());
        out.push(out_time(t));
        for f in &plan.fields {
            out.push(eval(&f.expr, &row));
        }
        rows.push(out);
    }
    Ok(rows)
}

/// One call's points (before LIMIT / OFFSET).
fn call_output(
    plan: &Plan<'_>,
    data: &Data<'_>,
    members: &[usize],
    call: &Expr,
) -> Result<Vec<(i64, Value)>, ExecError> {
    let (name, args) = match call {
        Expr::Call { name, args } if is_transform(name) => (name.as_str(), args.as_slice()),
        _ => return call_points(plan, data, members, call, plan.range),
    };
    let Some(arg0) = args.first() else {
        return Ok(Vec::new());
    };
    let input: Vec<(i64, Value)> = match arg0 {
        Expr::Call { .. } | Expr::Distinct(_) => {
            let mut range = plan.range;
            if let Some((every, _)) = plan.compiled.interval
                && reads_extra_window(name)
            {
                if plan.stmt.time_ascending() {
                    range.min = range.min.map(|m| m.saturating_sub(every));
                } else {
                    range.max = Some(range.max.unwrap_or(plan.now).saturating_add(every));
                }
            }
            call_points(plan, data, members, arg0, range)?
                .into_iter()
                .filter(|(_, v)| *v != Value::Null)
                .collect()
        }
        Expr::VarRef {
            name: field,
            data_type,
        } => raw_points(plan, data, members, field, *data_type),
        _ => Vec::new(),
    };
    apply(plan, name, args, &input)
}

/// A field's points as 1.x's ordered call input hands them on.
fn raw_points(
    plan: &Plan<'_>,
    data: &Data<'_>,
    members: &[usize],
    field: &str,
    data_type: Option<DataType>,
) -> Vec<(i64, Value)> {
    if data_type == Some(DataType::Tag) {
        return Vec::new();
    }
    let Some(&col) = data.field_index.get(field) else {
        return Vec::new();
    };
    merged(plan, data, members, &[col], &[])
        .into_iter()
        .map(|(t, s, i)| (t, data.series[s].columns[col][i].clone()))
        .collect()
}

fn int_arg(args: &[Expr], i: usize) -> Option<i64> {
    match args.get(i) {
        Some(Expr::Integer(v)) => Some(*v),
        _ => None,
    }
}

fn duration_arg(args: &[Expr], i: usize) -> Option<i64> {
    match args.get(i) {
        Some(Expr::Duration(d)) => Some(*d),
        _ => None,
    }
}

/// 1.x's error for a transformation of values it has no iterator for.
fn require_numeric(words: &str, input: &[(i64, Value)]) -> Result<(), ExecError> {
    let first = input.first().map(|p| &p.1);
    match first {
        Some(Value::String(_) | Value::Boolean(_)) => Err(stmt_err(format!(
            "unsupported {words} iterator type: {}",
            value_iterator_type(first)
        ))),
        _ => Ok(()),
    }
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Float(f) => *f,
        Value::Integer(i) => *i as f64,
        Value::Unsigned(u) => *u as f64,
        _ => f64::NAN,
    }
}

fn apply(
    plan: &Plan<'_>,
    name: &str,
    args: &[Expr],
    input: &[(i64, Value)],
) -> Result<Vec<(i64, Value)>, ExecError> {
    let ascending = plan.stmt.time_ascending();
    let interval = plan.compiled.interval.map(|(every, _)| every);
    Ok(match name {
        "derivative" | "non_negative_derivative" => {
            require_numeric("derivative", input)?;
            let unit = duration_arg(args, 1).or(interval).unwrap_or(1_000_000_000);
            derivative(input, unit, name != "derivative", ascending)
        }
        "difference" | "non_negative_difference" => {
            require_numeric("difference", input)?;
            difference(input, name != "difference")
        }
        "elapsed" => elapsed(input, duration_arg(args, 1).unwrap_or(1)),
        "moving_average" => {
            require_numeric("moving average", input)?;
            let n = int_arg(args, 1).unwrap_or(2);
            moving_average(input, usize::try_from(n).unwrap_or(usize::MAX))
        }
        "cumulative_sum" => {
            require_numeric("cumulative sum", input)?;
            cumulative_sum(input)
        }
        "holt_winters" | "holt_winters_with_fit" => {
            // 1.x's Holt-Winters iterator names itself after elapsed in this error.
            let first = input.first().map(|p| &p.1);
            if !matches!(first, None | Some(Value::Float(_) | Value::Integer(_))) {
                return Err(stmt_err(format!(
                    "unsupported elapsed iterator type: {}",
                    value_iterator_type(first)
                )));
            }
            let h = int_arg(args, 1).unwrap_or(0);
            if h > holt_winters::HW_MAX_SLOTS {
                return Err(stmt_err(format!(
                    "{name} forecast of {h} points is more than {} points",
                    holt_winters::HW_MAX_SLOTS
                )));
            }
            let pts: Vec<(i64, f64)> = input.iter().map(|(t, v)| (*t, num(v))).collect();
            holt_winters::holt_winters(
                &pts,
                h,
                int_arg(args, 2).unwrap_or(0),
                name == "holt_winters_with_fit",
                interval.unwrap_or(0),
            )
            .into_iter()
            .map(|(t, v)| (t, Value::Float(v)))
            .collect()
        }
        _ => {
            let Some(kind) = analysis::Kind::of(name) else {
                return Err(stmt_err(format!("unsupported call: {name}")));
            };
            require_numeric(kind.words(), input)?;
            let period = int_arg(args, 1).unwrap_or(1);
            let hold = int_arg(args, 2).unwrap_or(-1);
            let warmup_arg = match args.get(3) {
                Some(Expr::String(s)) => Some(s.as_str()),
                _ => None,
            };
            let warmup = match (kind, warmup_arg) {
                (analysis::Kind::Cmo, None | Some("none")) => None,
                (_, Some(w)) => Some(
                    Warmup::parse(w)
                        .ok_or_else(|| stmt_err(format!("invalid warmup type '{w}'")))?,
                ),
                (_, None) => Some(Warmup::Exponential),
            };
            if kind == analysis::Kind::Cmo && warmup.is_none() && period < 2 && !input.is_empty() {
                // 1.x indexes an empty ring here (gota's CMO) and the query panics.
                return Err(crate::ExecError::Panic(
                    "runtime error: index out of range [1] with length 0".to_owned(),
                ));
            }
            let period = usize::try_from(period).unwrap_or(1).max(1);
            let pts: Vec<(i64, f64)> = input.iter().map(|(t, v)| (*t, num(v))).collect();
            analysis::indicator(kind, &pts, period, hold, warmup)
                .into_iter()
                .map(|(t, v)| (t, Value::Float(v)))
                .collect()
        }
    })
}

/// 1.x's derivative reducers: equal times keep their first point; `unit` in ns.
fn derivative(
    input: &[(i64, Value)],
    unit: i64,
    non_negative: bool,
    ascending: bool,
) -> Vec<(i64, Value)> {
    let mut out = Vec::new();
    let mut prev: Option<&(i64, Value)> = None;
    for p in input {
        if let Some(q) = prev {
            if q.0 == p.0 {
                continue;
            }
            let diff = match (&q.1, &p.1) {
                (Value::Integer(a), Value::Integer(b)) => b.wrapping_sub(*a) as f64,
                (Value::Unsigned(a), Value::Unsigned(b)) => {
                    if b > a {
                        (b - a) as f64
                    } else {
                        -((a - b) as f64)
                    }
                }
                (a, b) => num(b) - num(a),
            };
            let mut elapsed = p.0.wrapping_sub(q.0);
            if !ascending {
                elapsed = elapsed.wrapping_neg();
            }
            let value = diff / (elapsed as f64 / unit as f64);
            if !(non_negative && diff < 0.0) {
                out.push((p.0, Value::Float(value)));
            }
        }
        prev = Some(p);
    }
    out
}

/// 1.x's difference reducers: equal times keep their first point; the input's type.
fn difference(input: &[(i64, Value)], non_negative: bool) -> Vec<(i64, Value)> {
    let mut out = Vec::new();
    let mut prev: Option<&(i64, Value)> = None;
    for p in input {
        if let Some(q) = prev {
            if q.0 == p.0 {
                continue;
            }
            let value = match (&q.1, &p.1) {
                (Value::Integer(a), Value::Integer(b)) => {
                    let d = b.wrapping_sub(*a);
                    (!(non_negative && d < 0)).then_some(Value::Integer(d))
                }
                (Value::Unsigned(a), Value::Unsigned(b)) => {
                    (!(non_negative && b < a)).then_some(Value::Unsigned(b.wrapping_sub(*a)))
                }
                (a, b) => {
                    let d = num(b) - num(a);
                    (!(non_negative && d < 0.0)).then_some(Value::Float(d))
                }
            };
            if let Some(v) = value {
                out.push((p.0, v));
            }
        }
        prev = Some(p);
    }
    out
}

/// 1.x's elapsed reducers: every point after the first, the time since the previous one in
/// whole `unit`s (equal times give 0).
fn elapsed(input: &[(i64, Value)], unit: i64) -> Vec<(i64, Value)> {
    let unit = unit.max(1);
    input
        .windows(2)
        .map(|w| {
            (
                w[1].0,
                Value::Integer(w[1].0.wrapping_sub(w[0].0).wrapping_div(unit)),
            )
        })
        .collect()
}

/// 1.x's moving-average reducers: a ring of `n` values and a running sum.
fn moving_average(input: &[(i64, Value)], n: usize) -> Vec<(i64, Value)> {
    let n = n.max(1);
    let mut buf: Vec<Value> = Vec::new();
    let mut pos = 0;
    let (mut fsum, mut isum, mut usum) = (0.0f64, 0i64, 0u64);
    let mut out = Vec::new();
    for (t, v) in input {
        if buf.len() < n {
            buf.push(v.clone());
        } else {
            match &buf[pos] {
                Value::Integer(i) => isum = isum.wrapping_sub(*i),
                Value::Unsigned(u) => usum = usum.wrapping_sub(*u),
                old => fsum -= num(old),
            }
            buf[pos] = v.clone();
        }
        match v {
            Value::Integer(i) => isum = isum.wrapping_add(*i),
            Value::Unsigned(u) => usum = usum.wrapping_add(*u),
            other => fsum += num(other),
        }
        pos += 1;
        if pos >= n {
            pos = 0;
        }
        if buf.len() == n {
            let len = buf.len() as f64;
            let avg = match v {
                Value::Integer(_) => isum as f64 / len,
                Value::Unsigned(_) => usum as f64 / len,
                _ => fsum / len,
            };
            out.push((*t, Value::Float(avg)));
        }
    }
    out
}

/// 1.x's cumulative-sum reducers: the running sum at every point, in the input's type.
fn cumulative_sum(input: &[(i64, Value)]) -> Vec<(i64, Value)> {
    let (mut fsum, mut isum, mut usum) = (0.0f64, 0i64, 0u64);
    input
        .iter()
        .map(|(t, v)| {
            let out = match v {
                Value::Integer(i) => {
                    isum = isum.wrapping_add(*i);
                    Value::Integer(isum)
                }
                Value::Unsigned(u) => {
                    usum = usum.wrapping_add(*u);
                    Value::Unsigned(usum)
                }
                other => {
                    fsum += num(other);
                    Value::Float(fsum)
                }
            };
            (*t, out)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(pts: &[(i64, f64)]) -> Vec<(i64, Value)> {
        pts.iter().map(|(t, v)| (*t, Value::Float(*v))).collect()
    }

    const S: i64 = 1_000_000_000;

    #[test]
    fn derivative_uses_the_first_point_of_equal_times() {
        // Recorded trans_derivative: 61.11 → 4.0 over a minute, per second.
        let input = floats(&[(0, 61.11), (0, 99.0), (60 * S, 3.99)]);
        let out = derivative(&input, S, false, true);
        assert_eq!(out, vec![(60 * S, Value::Float((3.99 - 61.11) / 60.0))]);
        assert!(derivative(&input, S, true, true).is_empty());
        // Descending: the elapsed time is negated.
        let desc = floats(&[(60 * S, 2.0), (0, 1.0)]);
        assert_eq!(
            derivative(&desc, 60 * S, false, false),
            vec![(0, Value::Float(-1.0))]
        );
    }

    #[test]
    fn difference_keeps_integers() {
        let input = vec![
            (0, Value::Integer(4)),
            (1, Value::Integer(9)),
            (2, Value::Integer(i64::MIN)),
        ];
        assert_eq!(
            difference(&input, false),
            vec![
                (1, Value::Integer(5)),
                (2, Value::Integer(i64::MIN.wrapping_sub(9)))
            ]
        );
        assert_eq!(
            difference(&input, true),
            vec![
                (1, Value::Integer(5)),
                (2, Value::Integer(i64::MIN.wrapping_sub(9)))
            ]
        );
        let fl = floats(&[(0, 5.0), (1, 2.0), (2, 3.0)]);
        assert_eq!(difference(&fl, true), vec![(2, Value::Float(1.0))]);
    }

    #[test]
    fn elapsed_counts_ties_as_zero() {
        let input = floats(&[(0, 1.0), (0, 2.0), (60 * S, 3.0)]);
        assert_eq!(
            elapsed(&input, S),
            vec![(0, Value::Integer(0)), (60 * S, Value::Integer(60))]
        );
        assert_eq!(elapsed(&input, 3600 * S)[1], (60 * S, Value::Integer(0)));
    }

    #[test]
    fn moving_average_over_a_ring() {
        let input = floats(&[(1, 1.0), (2, 2.0), (3, 6.0), (4, 1.0)]);
        assert_eq!(
            moving_average(&input, 3),
            vec![(3, Value::Float(3.0)), (4, Value::Float(3.0))]
        );
        let ints = vec![(1, Value::Integer(1)), (2, Value::Integer(2))];
        assert_eq!(moving_average(&ints, 2), vec![(2, Value::Float(1.5))]);
        assert!(moving_average(&ints, 10).is_empty());
    }

    /// 1.x's compile error for `q`, or "ok".
    fn compile_error(q: &str) -> String {
        let query = influxql::parser::parse_query(q).expect("parses");
        let Some(influxql::ast::Statement::Select(stmt)) = query.statements.first() else {
            return "not a select".into();
        };
        match super::super::compile::compile_with(stmt, 0, None) {
            Ok(_) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn compile_checks_as_1x() {
        let cases = [
            (
                "SELECT triple_exponential_derivative(x, 3, 0) FROM m",
                "triple_exponential_derivative hold period must be greater than or equal to 1",
            ),
            (
                "SELECT exponential_moving_average(x, 3, -2) FROM m",
                "exponential_moving_average hold period must be greater than or equal to 0",
            ),
            (
                "SELECT chande_momentum_oscillator(x, 3, -1, 'bogus') FROM m",
                "chande_momentum_oscillator warmup type must be one of: 'none' 'exponential' 'simple'",
            ),
            (
                "SELECT chande_momentum_oscillator(x, 3, -1, 'none') FROM m",
                "ok",
            ),
            (
                "SELECT exponential_moving_average(x, 3, -1, 'none') FROM m",
                "exponential_moving_average warmup type must be one of: 'exponential' 'simple'",
            ),
            (
                "SELECT kaufmans_efficiency_ratio(x, 3, 1, 'simple') FROM m",
                "invalid number of arguments for kaufmans_efficiency_ratio, expected at least 2 but no more than 3, got 4",
            ),
            (
                "SELECT relative_strength_index(x, 2.5) FROM m",
                "relative_strength_index period must be an integer",
            ),
            (
                "SELECT exponential_moving_average(mean(x), 3) FROM m",
                "exponential_moving_average aggregate requires a GROUP BY interval",
            ),
            (
                "SELECT exponential_moving_average(x, 3) FROM m GROUP BY time(1m)",
                "aggregate function required inside the call to exponential_moving_average",
            ),
            (
                "SELECT holt_winters(mean(x), 3, -1) FROM m GROUP BY time(1m)",
                "third arg to holt_winters cannot be negative, got -1",
            ),
            (
                "SELECT holt_winters_with_fit(mean(x), 3) FROM m GROUP BY time(1m)",
                "invalid number of arguments for holt_winters_with_fit, expected 3, got 2",
            ),
            ("SELECT derivative(*) FROM m", "ok"),
            ("SELECT derivative(mean(*)) FROM m GROUP BY time(1m)", "ok"),
            (
                "SELECT derivative(mean(x)) FROM m",
                "derivative aggregate requires a GROUP BY interval",
            ),
        ];
        for (q, want) in cases {
            assert_eq!(compile_error(q), want, "{q}");
        }
    }

    #[test]
    fn cumulative_sum_in_the_input_type() {
        let ints = vec![(1, Value::Integer(4)), (2, Value::Integer(4))];
        assert_eq!(
            cumulative_sum(&ints),
            vec![(1, Value::Integer(4)), (2, Value::Integer(8))]
        );
        // Recorded trans_cumulative_sum: 61.11 + 3.99.
        let fl = floats(&[(1, 61.11), (2, 3.99)]);
        assert_eq!(cumulative_sum(&fl)[1], (2, Value::Float(61.11 + 3.99)));
    }
}
