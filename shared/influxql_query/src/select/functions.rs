//! The aggregate and selector functions of 1.x over one window's points of one group.
//!
//! ```text
//! [Pt { time, value, src }] (time order) + call ──► reduce ──► [Out { time?, value, src?, extra }]
//!   aggregates (count sum mean median mode spread stddev distinct count(distinct) integral):
//!     time = None (the window's start)
//!   selectors (first last min max percentile sample top bottom): the chosen point's time and
//!     source row (for auxiliary fields), ties broken as 1.x breaks them
//!   order-sensitive ones (stddev mode percentile top bottom) take the points in 1.x's stream
//!     order (aggregate.rs) and sort / heap them with Go's algorithms (gosort, order::GoHeap)
//! ```

use std::cmp::Ordering;
use std::collections::HashMap;

use influxql::ast::Expr;
use v1_query::result::Value;

use crate::ExecError;
use crate::gosort::go_sort;
use crate::select::compile::stmt_err;
use crate::select::order::GoHeap;

/// One input point: a field's value at a time, and where it came from (series, row).
#[derive(Debug, Clone)]
pub(crate) struct Pt {
    pub(crate) time: i64,
    pub(crate) value: Value,
    pub(crate) src: (usize, usize),
}

/// One output point of a call.
#[derive(Debug, Clone)]
pub(crate) struct Out {
    /// The point's own time (selectors), or `None` for the window's start.
    pub(crate) time: Option<i64>,
    pub(crate) value: Value,
    /// The row the value was selected from (selectors).
    pub(crate) src: Option<(usize, usize)>,
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        Value::Unsigned(u) => Some(*u as f64),
        _ => None,
    }
}

/// Orders two values of one field as 1.x's reducers compare them.
fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Unsigned(x), Value::Unsigned(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Boolean(x), Value::Boolean(y)) => x.cmp(y),
        _ => num(a)
            .zip(num(b))
            .and_then(|(x, y)| x.partial_cmp(&y))
            .unwrap_or(Ordering::Equal),
    }
}

/// 1.x's iterator type name of a field's values, for "unsupported … iterator type" errors.
fn iterator_type(points: &[Pt]) -> &'static str {
    value_iterator_type(points.first().map(|p| &p.value))
}

/// 1.x's iterator type name for values like `v`.
pub(crate) fn value_iterator_type(v: Option<&Value>) -> &'static str {
    match v {
        Some(Value::String(_)) => "*query.stringInterruptIterator",
        Some(Value::Boolean(_)) => "*query.booleanInterruptIterator",
        Some(Value::Integer(_)) => "*query.integerInterruptIterator",
        Some(Value::Unsigned(_)) => "*query.unsignedInterruptIterator",
        _ => "*query.floatInterruptIterator",
    }
}

fn require_numeric(name: &str, points: &[Pt]) -> Result<(), ExecError> {
    match points.first().map(|p| &p.value) {
        Some(Value::String(_) | Value::Boolean(_)) => Err(stmt_err(format!(
            "unsupported {name} iterator type: {}",
            iterator_type(points)
        ))),
        _ => Ok(()),
    }
}

fn agg(value: Value) -> Vec<Out> {
    vec![Out {
        time: None,
        value,
        src: None,
    }]
}

fn sel(p: &Pt, keep_time: bool) -> Out {
    Out {
        time: keep_time.then_some(p.time),
        value: p.value.clone(),
        src: Some(p.src),
    }
}

/// Reduces one window's points (non-empty, in time order) with the call `name(args)`.
/// `interval` is the GROUP BY time interval (for integral's defaults and selectors' times).
pub(crate) fn reduce(
    name: &str,
    args: &[Expr],
    points: &[Pt],
    keep_time: bool,
) -> Result<Vec<Out>, ExecError> {
    if points.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match name {
        "count" => {
            if let Some(Expr::Call { name: inner, .. }) = args.first()
                && inner == "distinct"
            {
                return Ok(agg(Value::Integer(distinct(points).len() as i64)));
            }
            if let Some(Expr::Distinct(_)) = args.first() {
                return Ok(agg(Value::Integer(distinct(points).len() as i64)));
            }
            agg(Value::Integer(points.len() as i64))
        }
        "sum" => {
            require_numeric(name, points)?;
            agg(sum(points))
        }
        "mean" => {
            require_numeric(name, points)?;
            let s: f64 = points.iter().filter_map(|p| num(&p.value)).sum();
            agg(Value::Float(s / points.len() as f64))
        }
        "median" => {
            require_numeric(name, points)?;
            let mut v: Vec<f64> = points.iter().filter_map(|p| num(&p.value)).collect();
            v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
            let n = v.len();
            let m = if n % 2 == 1 {
                v[n / 2]
            } else {
                v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2.0
            };
            agg(Value::Float(m))
        }
        "mode" => {
            // 1.x's ModeReduceSlice over the points in its stream order: booleans by count
            // (true on a tie); other values sorted by Go's sort.Sort (unstable: equal values
            // end where its pdqsort leaves them); a run counts from its second point (a lone
            // value never displaces the first one); a later run of equal count wins unless
            // its first point is later than the current mode's last.
            if points.len() == 1 {
                return Ok(agg(points[0].value.clone()));
            }
            if let Value::Boolean(_) = points[0].value {
                let trues = points
                    .iter()
                    .filter(|p| p.value == Value::Boolean(true))
                    .count();
                return Ok(agg(Value::Boolean(2 * trues >= points.len())));
            }
            let mut v: Vec<&Pt> = points.iter().collect();
            go_sort(&mut v, |a, b| {
                cmp_values(&a.value, &b.value) == Ordering::Less
            });
            let (mut most_freq, mut curr_freq) = (0usize, 0usize);
            let (mut curr_mode, mut most_mode) = (&v[0].value, &v[0].value);
            let (mut most_time, mut curr_time) = (v[0].time, v[0].time);
            for p in &v {
                if cmp_values(&p.value, curr_mode) != Ordering::Equal {
                    curr_freq = 1;
                    curr_mode = &p.value;
                    curr_time = p.time;
                    continue;
                }
                curr_freq += 1;
                if most_freq > curr_freq || (most_freq == curr_freq && curr_time > most_time) {
                    continue;
                }
                most_freq = curr_freq;
                most_mode = &p.value;
                most_time = p.time;
            }
            agg(most_mode.clone())
        }
        "spread" => {
            require_numeric(name, points)?;
            let min = points
                .iter()
                .map(|p| &p.value)
                .min_by(|a, b| cmp_values(a, b));
            let max = points
                .iter()
                .map(|p| &p.value)
                .max_by(|a, b| cmp_values(a, b));
            agg(match (min, max) {
                (Some(Value::Integer(a)), Some(Value::Integer(b))) => {
                    Value::Integer(b.wrapping_sub(*a))
                }
                (Some(Value::Unsigned(a)), Some(Value::Unsigned(b))) => {
                    Value::Unsigned(b.wrapping_sub(*a))
                }
                (Some(a), Some(b)) => match (num(a), num(b)) {
                    (Some(a), Some(b)) => Value::Float(b - a),
                    _ => Value::Null,
                },
                _ => Value::Null,
            })
        }
        "stddev" => {
            require_numeric(name, points)?;
            // 1.x's StddevReduceSlice over the points in its stream order (the sorted merge:
            // aggregate.rs): a running mean, then the squared deviations (Go's Pow(d, 2) is
            // d·d); the order shows in the last bits.
            if points.len() < 2 {
                agg(Value::Null)
            } else {
                let v: Vec<f64> = points
                    .iter()
                    .filter_map(|p| num(&p.value))
                    .filter(|x| !x.is_nan())
                    .collect();
                let mut mean = 0.0;
                for (i, x) in v.iter().enumerate() {
                    mean += (x - mean) / (i + 1) as f64;
                }
                let mut variance = 0.0;
                for x in &v {
                    variance += (x - mean) * (x - mean);
                }
                agg(Value::Float((variance / (v.len() as f64 - 1.0)).sqrt()))
            }
        }
        "distinct" => distinct(points)
            .into_iter()
            .map(|v| Out {
                time: None,
                value: v,
                src: None,
            })
            .collect(),
        "first" => {
            // 1.x's FirstReduce: at equal times the greater value, but for booleans false
            // (BooleanFirstReduce; BooleanLastReduce keeps true, as the greater value).
            let mut best = &points[0];
            for p in points {
                let wins_tie = match (&p.value, &best.value) {
                    (Value::Boolean(a), Value::Boolean(b)) => !a && *b,
                    (a, b) => cmp_values(a, b) == Ordering::Greater,
                };
                if p.time < best.time || (p.time == best.time && wins_tie) {
                    best = p;
                }
            }
            vec![sel(best, keep_time)]
        }
        "last" => {
            let mut best = &points[0];
            for p in points {
                if p.time > best.time
                    || (p.time == best.time
                        && cmp_values(&p.value, &best.value) == Ordering::Greater)
                {
                    best = p;
                }
            }
            vec![sel(best, keep_time)]
        }
        "max" | "min" => {
            if matches!(points[0].value, Value::String(_)) {
                return Err(stmt_err(format!(
                    "unsupported {name} iterator type: {}",
                    iterator_type(points)
                )));
            }
            let want = if name == "max" {
                Ordering::Greater
            } else {
                Ordering::Less
            };
            let mut best = &points[0];
            for p in &points[1..] {
                let c = cmp_values(&p.value, &best.value);
                if c == want || (c == Ordering::Equal && p.time < best.time) {
                    best = p;
                }
            }
            vec![sel(best, keep_time)]
        }
        "percentile" => {
            require_numeric(name, points)?;
            let pct = match args.get(1) {
                Some(Expr::Integer(i)) => *i as f64,
                Some(Expr::Number(f)) => *f,
                _ => return Ok(Vec::new()),
            };
            // 1.x: Go's (unstable) sort.Sort by value of the points in stream order.
            let mut sorted: Vec<&Pt> = points.iter().collect();
            go_sort(&mut sorted, |a, b| {
                cmp_values(&a.value, &b.value) == Ordering::Less
            });
            let len = sorted.len() as f64;
            let i = (len * pct / 100.0 + 0.5).floor() as i64 - 1;
            if i < 0 || i as usize >= sorted.len() {
                return Ok(Vec::new());
            }
            vec![sel(sorted[i as usize], keep_time)]
        }
        "sample" => {
            // Deterministic sample: evenly spaced points (1.x draws at random).
            let n = match args.get(1) {
                Some(Expr::Integer(n)) => (*n).max(1) as usize,
                _ => 1,
            };
            if points.len() <= n {
                points.iter().map(|p| sel(p, true)).collect()
            } else {
                (0..n)
                    .map(|k| sel(&points[k * points.len() / n], true))
                    .collect()
            }
        }
        "integral" => {
            require_numeric(name, points)?;
            let unit = match args.get(1) {
                Some(Expr::Duration(d)) => *d as f64,
                _ => 1_000_000_000.0,
            };
            let mut total = 0.0;
            for w in points.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                if let (Some(x), Some(y)) = (num(&a.value), num(&b.value)) {
                    let dt = (b.time - a.time) as f64 / unit;
                    total += (x + y) / 2.0 * dt;
                }
            }
            agg(Value::Float(total))
        }
        _ => return Err(stmt_err(format!("unsupported call: {name}"))),
    })
}

fn sum(points: &[Pt]) -> Value {
    match points[0].value {
        Value::Integer(_) => Value::Integer(
            points
                .iter()
                .filter_map(|p| match p.value {
                    Value::Integer(i) => Some(i),
                    _ => None,
                })
                .fold(0i64, i64::wrapping_add),
        ),
        Value::Unsigned(_) => Value::Unsigned(
            points
                .iter()
                .filter_map(|p| match p.value {
                    Value::Unsigned(u) => Some(u),
                    _ => None,
                })
                .fold(0u64, u64::wrapping_add),
        ),
        _ => Value::Float(points.iter().filter_map(|p| num(&p.value)).sum()),
    }
}

/// Distinct values in order of first appearance by time, ties by value (1.x sorts the
/// first point of every value by time, then value).
fn distinct(points: &[Pt]) -> Vec<Value> {
    let mut first: Vec<(i64, Value)> = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    for p in points {
        let key = format!("{:?}", p.value);
        if seen.insert(key, ()).is_none() {
            first.push((p.time, p.value.clone()));
        }
    }
    first.sort_by(|a, b| a.0.cmp(&b.0).then(cmp_values(&a.1, &b.1)));
    first.into_iter().map(|(_, v)| v).collect()
}

/// top() / bottom() as 1.x's reducers: the points (in 1.x's stream order) go through a Go
/// heap of the `n` best kept (its top the worst of them, replaced by a better point); the
/// kept points are then sorted best first by Go's `sort.Sort` and stably by time, so equal
/// values at equal times come out where Go leaves them. With tag arguments, 1.x first
/// reduces each combination of those tags' values (`group_key`; a name that is no tag counts
/// as the empty value) to its max (min) and feeds those to the heap in the order of the
/// combinations.
pub(crate) fn top_bottom(
    name: &str,
    points: &[Pt],
    n: usize,
    group_key: &dyn Fn(&Pt) -> String,
    by_tags: bool,
) -> Result<Vec<Out>, ExecError> {
    require_numeric(name, points)?;
    let top = name == "top";
    // 1.x's heap order: is `a` a worse pick than `b` (lower for top, higher for bottom; at
    // equal values the later one)?
    let worse = |a: &&Pt, b: &&Pt| -> bool {
        match cmp_values(&a.value, &b.value) {
            Ordering::Equal => a.time > b.time,
            c => (c == Ordering::Less) == top,
        }
    };
    let candidates: Vec<&Pt> = if by_tags {
        // Max (top) / min (bottom) per combination: the greater (smaller) value, at equal
        // values the earlier point, at equal times the one read first.
        let mut best: std::collections::BTreeMap<String, &Pt> = std::collections::BTreeMap::new();
        for p in points {
            let slot = best.entry(group_key(p)).or_insert(p);
            let c = cmp_values(&p.value, &slot.value);
            if (c != Ordering::Equal && (c == Ordering::Greater) == top)
                || (c == Ordering::Equal && p.time < slot.time)
            {
                *slot = p;
            }
        }
        best.into_values().collect()
    } else {
        points.iter().collect()
    };
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut heap = GoHeap::new(Vec::with_capacity(n), &worse);
    for p in candidates {
        if heap.len() == n {
            if heap.peek().is_some_and(|w| worse(w, &p)) {
                heap.replace_top(p, &worse);
            }
            continue;
        }
        heap.push(p, &worse);
    }
    let mut kept = heap.into_vec();
    go_sort(&mut kept, |a, b| worse(b, a));
    kept.sort_by_key(|p| p.time);
    Ok(kept.into_iter().map(|p| sel(p, true)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(time: i64, value: Value, series: usize) -> Pt {
        Pt {
            time,
            value,
            src: (series, 0),
        }
    }

    #[test]
    fn bottom_ties_come_out_as_go_leaves_them() {
        // Four series (cores 4, 8, 16, 8) at two times, in 1.x's stream order; 1.x answers
        // (sel_bottom_int_ties) 4 s0, 8 s3, 8 s1 at t0, then 4 s0, 8 s1 at t1.
        let cores = [4, 8, 16, 8];
        let points: Vec<Pt> = (0..2)
            .flat_map(|t| (0..4).map(move |s| pt(t, Value::Integer(cores[s]), s)))
            .collect();
        let out = top_bottom("bottom", &points, 5, &|_| String::new(), false).unwrap();
        let got: Vec<(Option<i64>, Value, usize)> = out
            .iter()
            .map(|o| (o.time, o.value.clone(), o.src.unwrap().0))
            .collect();
        let want = [(0, 4, 0), (0, 8, 3), (0, 8, 1), (1, 4, 0), (1, 8, 1)];
        let want: Vec<(Option<i64>, Value, usize)> = want
            .iter()
            .map(|&(t, v, s)| (Some(t), Value::Integer(v), s))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn top_with_a_non_tag_argument_is_one_group() {
        // Every point has the same (empty) value for a "tag" that is a field: one max.
        let points = vec![
            pt(0, Value::Float(1.0), 0),
            pt(1, Value::Float(3.0), 1),
            pt(2, Value::Float(2.0), 0),
        ];
        let out = top_bottom("top", &points, 2, &|_| String::new(), true).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].value, Value::Float(3.0));
    }

    #[test]
    fn first_of_booleans_at_equal_times_is_false() {
        let points = vec![
            pt(5, Value::Boolean(true), 0),
            pt(5, Value::Boolean(false), 1),
            pt(5, Value::Boolean(true), 2),
        ];
        let out = reduce("first", &[], &points, true).unwrap();
        assert_eq!(out[0].value, Value::Boolean(false));
        let out = reduce("last", &[], &points, true).unwrap();
        assert_eq!(out[0].value, Value::Boolean(true));
    }

    #[test]
    fn mode_of_booleans_counts() {
        let points = vec![
            pt(1, Value::Boolean(false), 0),
            pt(2, Value::Boolean(true), 0),
        ];
        let out = reduce("mode", &[], &points, false).unwrap();
        assert_eq!(out[0].value, Value::Boolean(true));
    }
}
