//! count, sum and mean as 1.x computes them: reduced per series (per shard group) first, the
//! partial results combined in the order 1.x's merge iterator hands them on, and re-reduced at
//! each level of its iterator tree — so a float `mean` or `sum` has 1.x's last bits. And the
//! candidates 1.x's `first()` / `last()` without GROUP BY time look at.
//!
//! ```text
//! points of one group ──► per shard group ──► per series (key order; reversed when DESC)
//!   ──► per window: partial (sum, count) in the series' time order
//!   ──► order::merge_order over the series' windows ──► combine per window (level 1)
//!   ──► merge_order over the shard groups ──► combine (level 2)
//!   ──► one more re-reduction per further level (sources; regex sources add one)
//! mean's combine: Σ (v·n if n ≥ 2 else v) / Σ n   (1.x's FloatMeanReducer)
//! first/last without interval: per shard group a sorted merge (first: ascending; last:
//!   descending over the reversed series), its first offset+2 points (1.x's limit iterator
//!   reads one past the limit) are the only candidates the reducer sees
//! ```

use std::collections::BTreeMap;

use v1_query::result::Value;

use super::functions::Pt;
use super::order::{merge_order, parallel_merge_order, shard_group, sorted_merge_order};

/// A partial result: value and the number of points behind it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Partial {
    Float(f64, u64),
    Integer(i64, u64),
}

/// Which reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Sum,
    Mean,
}

impl Kind {
    pub(super) fn of(name: &str) -> Option<Self> {
        match name {
            "sum" => Some(Self::Sum),
            "mean" => Some(Self::Mean),
            _ => None,
        }
    }
}

/// Level 0: one series' points of one window, in iteration order.
pub(super) fn reduce_points(kind: Kind, values: &[&Value]) -> Option<Partial> {
    let n = values.len() as u64;
    match values.first()? {
        Value::Float(_) => {
            let mut s = 0.0;
            for v in values {
                if let Value::Float(f) = v {
                    s += f;
                }
            }
            Some(match kind {
                Kind::Sum => Partial::Float(s, n),
                Kind::Mean => Partial::Float(s / n as f64, n),
            })
        }
        Value::Integer(_) => {
            let mut s: i64 = 0;
            for v in values {
                if let Value::Integer(i) = v {
                    s = s.wrapping_add(*i);
                }
            }
            Some(match kind {
                Kind::Sum => Partial::Integer(s, n),
                Kind::Mean => Partial::Float(s as f64 / n as f64, n),
            })
        }
        Value::Unsigned(_) => {
            let mut s: u64 = 0;
            for v in values {
                if let Value::Unsigned(u) = v {
                    s = s.wrapping_add(*u);
                }
            }
            Some(match kind {
                // 1.x has no unsigned partial here; the value is carried as a float mean or
                // an integer-like sum of the bits.
                Kind::Sum => Partial::Integer(s as i64, n),
                Kind::Mean => Partial::Float(s as f64 / n as f64, n),
            })
        }
        _ => None,
    }
}

/// Levels ≥ 1: partials combined in order.
pub(super) fn combine(kind: Kind, parts: &[Partial]) -> Option<Partial> {
    let first = parts.first()?;
    Some(match (kind, first) {
        (Kind::Sum, Partial::Integer(..)) => {
            let mut s: i64 = 0;
            let mut n = 0;
            for p in parts {
                if let Partial::Integer(v, c) = p {
                    s = s.wrapping_add(*v);
                    n += c;
                }
            }
            Partial::Integer(s, n)
        }
        (Kind::Sum, Partial::Float(..)) => {
            let mut s = 0.0;
            let mut n = 0;
            for p in parts {
                if let Partial::Float(v, c) = p {
                    s += v;
                    n += c;
                }
            }
            Partial::Float(s, n)
        }
        (Kind::Mean, _) => {
            let mut s = 0.0;
            let mut n = 0;
            for p in parts {
                if let Partial::Float(v, c) = p {
                    if *c >= 2 {
                        s += v * *c as f64;
                        n += c;
                    } else {
                        s += v;
                        n += 1;
                    }
                }
            }
            Partial::Float(s / n as f64, n)
        }
    })
}

/// The value per window of a sum or mean over `pts` (sorted by time, then series), as 1.x
/// computes it. `series_order` is the group's series that have the field, in key order (1.x
/// gives each of them an iterator, with or without points in range, and the parallel merge
/// groups them by count).
pub(super) fn reduce_windows(
    kind: Kind,
    pts: &[Pt],
    series_order: &[usize],
    window: impl Fn(i64) -> i64,
    ascending: bool,
    levels: usize,
) -> BTreeMap<i64, Value> {
    to_values(reduce_windows_partial(
        kind,
        pts,
        series_order,
        window,
        ascending,
        levels,
    ))
}

/// [`reduce_windows`] over one source's copy of the points, the result of each of `copies`
/// sources naming the measurement combined once more (1.x merges one iterator per source).
pub(super) fn reduce_windows_copies(
    kind: Kind,
    pts: &[Pt],
    series_order: &[usize],
    window: impl Fn(i64) -> i64,
    ascending: bool,
    levels: usize,
    copies: usize,
) -> BTreeMap<i64, Value> {
    let one = reduce_windows_partial(kind, pts, series_order, window, ascending, levels);
    to_values(
        one.into_iter()
            .filter_map(|(w, p)| combine(kind, &vec![p; copies]).map(|p| (w, p)))
            .collect(),
    )
}

fn to_values(partials: Vec<(i64, Partial)>) -> BTreeMap<i64, Value> {
    partials
        .into_iter()
        .map(|(w, p)| {
            let v = match p {
                Partial::Float(v, _) => Value::Float(v),
                Partial::Integer(v, _) => Value::Integer(v),
            };
            (w, v)
        })
        .collect()
}

fn reduce_windows_partial(
    kind: Kind,
    pts: &[Pt],
    series_order: &[usize],
    window: impl Fn(i64) -> i64,
    ascending: bool,
    levels: usize,
) -> Vec<(i64, Partial)> {
    let mut series: Vec<usize> = series_order.to_vec();
    if !ascending {
        series.reverse();
    }
    // shard group → series → window → values (in iteration order).
    let mut by_shard: BTreeMap<i64, Vec<BTreeMap<i64, Vec<&Value>>>> = BTreeMap::new();
    let iter: Box<dyn Iterator<Item = &Pt>> = if ascending {
        Box::new(pts.iter())
    } else {
        Box::new(pts.iter().rev())
    };
    let position: std::collections::HashMap<usize, usize> = series
        .iter()
        .enumerate()
        .map(|(pos, &s)| (s, pos))
        .collect();
    for p in iter {
        let Some(&pos) = position.get(&p.src.0) else {
            continue;
        };
        let shard = by_shard
            .entry(shard_group(p.time))
            .or_insert_with(|| vec![BTreeMap::new(); series.len()]);
        shard[pos].entry(window(p.time)).or_default().push(&p.value);
    }

    let partials: BTreeMap<i64, Vec<BTreeMap<i64, Partial>>> = by_shard
        .into_iter()
        .map(|(shard, per_series)| {
            let per_series = per_series
                .iter()
                .map(|windows| {
                    windows
                        .iter()
                        .filter_map(|(w, vals)| reduce_points(kind, vals).map(|p| (*w, p)))
                        .collect()
                })
                .collect();
            (shard, per_series)
        })
        .collect();
    combine_windows_partial(kind, partials, ascending, levels)
}

/// Levels ≥ 1 of [`reduce_windows`]: `partials[shard group][series][window]` (the series in
/// the order the merge sees them: key order, reversed when descending) combined per window
/// in merge order, then over the shard groups, then re-reduced once per further level.
pub(super) fn combine_windows(
    kind: Kind,
    partials: BTreeMap<i64, Vec<BTreeMap<i64, Partial>>>,
    ascending: bool,
    levels: usize,
) -> BTreeMap<i64, Value> {
    to_values(combine_windows_partial(kind, partials, ascending, levels))
}

fn combine_windows_partial(
    kind: Kind,
    partials: BTreeMap<i64, Vec<BTreeMap<i64, Partial>>>,
    ascending: bool,
    levels: usize,
) -> Vec<(i64, Partial)> {
    // Level 1 per shard group: the series' partials in merge order.
    let mut shard_results: Vec<Vec<(i64, Partial)>> = Vec::new();
    let shard_iter: Vec<&Vec<BTreeMap<i64, Partial>>> = if ascending {
        partials.values().collect()
    } else {
        partials.values().rev().collect()
    };
    for per_series in shard_iter {
        let partials: Vec<Vec<(i64, Partial)>> = per_series
            .iter()
            .map(|windows| {
                let mut v: Vec<(i64, Partial)> = windows.iter().map(|(w, p)| (*w, *p)).collect();
                if !ascending {
                    v.reverse();
                }
                v
            })
            .collect();
        shard_results.push(combine_in_merge_order(kind, &partials, ascending, true));
    }
    // Level 2 over the shard groups, then single re-reductions.
    let mut result = combine_in_merge_order(kind, &shard_results, ascending, false);
    for _ in 2..levels {
        for (_, p) in result.iter_mut() {
            if let Some(q) = combine(kind, &[*p]) {
                *p = q;
            }
        }
    }
    result
}

/// Merges inputs of `(window, partial)` as 1.x's merge iterator does and combines each window's
/// partials in that order.
fn combine_in_merge_order(
    kind: Kind,
    inputs: &[Vec<(i64, Partial)>],
    ascending: bool,
    parallel: bool,
) -> Vec<(i64, Partial)> {
    let keys: Vec<Vec<i64>> = inputs
        .iter()
        .map(|v| v.iter().map(|(w, _)| *w).collect())
        .collect();
    let mut out: Vec<(i64, Vec<Partial>)> = Vec::new();
    let order = if parallel {
        parallel_merge_order(&keys, ascending)
    } else {
        merge_order(&keys, ascending)
    };
    for (i, p) in order {
        let (w, part) = inputs[i][p];
        match out.last_mut() {
            Some((lw, parts)) if *lw == w => parts.push(part),
            _ => out.push((w, vec![part])),
        }
    }
    out.into_iter()
        .filter_map(|(w, parts)| combine(kind, &parts).map(|p| (w, p)))
        .collect()
}

/// The points 1.x's `first()` / `last()` without GROUP BY time reduce: per shard group, the
/// first `offset + 2` points of the sorted merge of the group's series.
pub(super) fn first_last_candidates(
    pts: &[Pt],
    series_order: &[usize],
    last: bool,
    offset: usize,
    tie: impl Fn(&Pt, &Pt) -> Option<bool>,
) -> Vec<Pt> {
    let mut out: Vec<Pt> = shard_merges(pts, series_order, !last, tie)
        .into_iter()
        .flat_map(|merged| merged.into_iter().take(offset + 2).cloned())
        .collect();
    out.sort_by_key(|p| p.time);
    out
}

/// The group's points in 1.x's sorted-merge order (per shard group, series in key order,
/// reversed when descending; ties in Go's heap order, no auxiliary fields).
pub(super) fn merge_ordered(pts: &[Pt], series_order: &[usize], ascending: bool) -> Vec<Pt> {
    merge_ordered_with(pts, series_order, ascending, |_, _| None)
}

/// [`merge_ordered`] with the heap's tie-break on auxiliary fields (`tie(a, b)`: whether `a`
/// goes first at equal times, `None` when the heap does not tell them apart).
pub(super) fn merge_ordered_with(
    pts: &[Pt],
    series_order: &[usize],
    ascending: bool,
    tie: impl Fn(&Pt, &Pt) -> Option<bool>,
) -> Vec<Pt> {
    shard_merges(pts, series_order, ascending, tie)
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

/// Per shard group (in the query's time order), the sorted merge of the group's series as
/// 1.x's heap merges them: series in key order, reversed when descending, each series' points
/// in the query's time order; ties by `tie`, then the heap's own order.
fn shard_merges<'a>(
    pts: &'a [Pt],
    series_order: &[usize],
    ascending: bool,
    tie: impl Fn(&Pt, &Pt) -> Option<bool>,
) -> Vec<Vec<&'a Pt>> {
    let mut series: Vec<usize> = series_order.to_vec();
    if !ascending {
        series.reverse();
    }
    let position: std::collections::HashMap<usize, usize> = series
        .iter()
        .enumerate()
        .map(|(pos, &s)| (s, pos))
        .collect();
    let mut by_shard: BTreeMap<i64, Vec<Vec<&Pt>>> = BTreeMap::new();
    for p in pts {
        let Some(&pos) = position.get(&p.src.0) else {
            continue;
        };
        by_shard
            .entry(shard_group(p.time))
            .or_insert_with(|| vec![Vec::new(); series.len()])[pos]
            .push(p);
    }
    let shards: Vec<Vec<Vec<&Pt>>> = if ascending {
        by_shard.into_values().collect()
    } else {
        by_shard.into_values().rev().collect()
    };
    let less = |a: &&Pt, b: &&Pt| {
        if a.time != b.time {
            return if ascending {
                a.time < b.time
            } else {
                a.time > b.time
            };
        }
        tie(a, b).unwrap_or(false)
    };
    shards
        .into_iter()
        .map(|mut per_series| {
            if !ascending {
                per_series.iter_mut().for_each(|v| v.reverse());
            }
            sorted_merge_order(&per_series, less)
                .into_iter()
                .map(|(i, p)| per_series[i][p])
                .collect()
        })
        .collect()
}

/// 1.x's integral reducer over points in stream order: the trapezium rule, a later point at
/// the same time replacing the earlier one, and (with GROUP BY time) the area up to a window's
/// end interpolated into that window. Returns (window start, area) per window with area.
pub(super) fn integral_windows(
    pts: &[Pt],
    window: Option<&dyn Fn(i64) -> (i64, i64)>,
    unit: f64,
) -> Vec<(i64, f64)> {
    let num = |v: &Value| match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        Value::Unsigned(u) => Some(*u as f64),
        _ => None,
    };
    let mut out = Vec::new();
    let mut prev: Option<(i64, f64)> = None;
    let mut sum = 0.0;
    let (mut start, mut end) = (0, 0);
    for p in pts {
        let Some(v) = num(&p.value) else { continue };
        let Some((pt, pv)) = prev else {
            prev = Some((p.time, v));
            if let Some(w) = window {
                (start, end) = w(p.time);
            }
            continue;
        };
        if pt == p.time {
            prev = Some((p.time, v));
            continue;
        }
        let (mut pt, mut pv) = (pt, pv);
        if let Some(w) = window
            && p.time >= end
        {
            if pt != end {
                // 1.x's linearFloat: slope · (end - prev) + prev value.
                let m = (v - pv) / p.time.wrapping_sub(pt) as f64;
                let value = m * end.wrapping_sub(pt) as f64 + pv;
                let elapsed = end.wrapping_sub(pt) as f64 / unit;
                sum += 0.5 * (value + pv) * elapsed;
                (pt, pv) = (end, value);
            }
            out.push((start, sum));
            (start, end) = w(p.time);
            sum = 0.0;
        }
        let elapsed = p.time.wrapping_sub(pt) as f64 / unit;
        sum += 0.5 * (v + pv) * elapsed;
        prev = Some((p.time, v));
    }
    if let Some((pt, _)) = prev
        && pt != start
    {
        out.push((start, sum));
    }
    out
}
