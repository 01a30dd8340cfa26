//! Raw SELECT (no aggregate): the group's series merged by time, one output row per point at
//! which any field the query reads has a value.
//!
//! ```text
//! group's series ──► rows where a field read has a value and WHERE holds
//!   ──► per 1.x shard group: sorted merge by time as 1.x's heap does it (ties: its heap
//!       order, then the first auxiliary column (sorted refs) when it is a string)
//!   (subquery rows: the inner cursor's order)
//!   ──► evaluate each field expression (tags, fields, math) ──► skip rows whose fields are all
//!       null ──► ORDER BY time DESC reverses ──► OFFSET, LIMIT (per group)
//! ```

use v1_query::result::Value;

use std::collections::BTreeMap;

use influxql::ast::{DataType, Expr};

use super::order::{shard_group, sorted_merge_order};
use super::{Data, Plan, SeriesRow, VarFill, field_refs, fields::Schema, passes};
use crate::eval::Row;
use crate::eval::eval;

/// The output rows of one group.
pub(super) fn rows(plan: &Plan<'_>, data: &Data<'_>, members: &[usize]) -> Vec<Vec<Value>> {
    rows_by_series(plan, data, members)
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

/// The output rows of one group, each with the series it comes from.
pub(super) fn rows_by_series(
    plan: &Plan<'_>,
    data: &Data<'_>,
    members: &[usize],
) -> Vec<(usize, Vec<Value>)> {
    let mut schema = Schema::default();
    for f in data.field_index.keys() {
        schema
            .fields
            .insert(f.clone(), super::fields::FieldKind::Float);
    }
    // For each output column, the fields it reads: a row exists where one of them has a value.
    let mut read: Vec<usize> = Vec::new();
    for f in &plan.fields {
        let mut names = Vec::new();
        field_refs(&f.expr, &schema, &mut names);
        for n in names {
            if let Some(&c) = data.field_index.get(&n)
                && !read.contains(&c)
            {
                read.push(c);
            }
        }
    }

    let offset = usize::try_from(plan.stmt.offset).unwrap_or(usize::MAX);
    // 1.x's storage-side limit iterator reads offset + limit + 1 points; without LIMIT that
    // leaves one row after the OFFSET.
    let limit = match (plan.stmt.limit, plan.stmt.offset) {
        (0, o) if o > 0 => 1,
        (l, _) => usize::try_from(l).unwrap_or(usize::MAX),
    };
    let mut out = Vec::new();
    let mut skipped = 0;
    let aux = aux_refs(&plan.fields);
    // Subquery rows keep their values (their fill ran in the inner statement's cursor).
    let mut var_fill = VarFill::new(plan);
    let fill_vars = var_fill.active() && data.sub.is_none();
    for (t, s, i) in merged(plan, data, members, &read, &aux) {
        if skipped < offset {
            skipped += 1;
            continue;
        }
        let row = SeriesRow {
            data,
            series: s,
            row: i,
            condition: false,
        };
        let mut values = Vec::with_capacity(plan.fields.len() + 1);
        values.push(Value::Time(t));
        if fill_vars {
            let filled = var_fill.fill_row(&aux, &row);
            for f in &plan.fields {
                values.push(eval(&f.expr, &filled));
            }
        } else {
            for f in &plan.fields {
                values.push(eval(&f.expr, &row));
            }
        }
        out.push((s, values));
        if (plan.stmt.limit > 0 || plan.stmt.offset > 0) && out.len() >= limit {
            break;
        }
    }
    out
}

/// A row of a series: `(time, series, row)`.
type RowRef = (i64, usize, usize);

/// The group's qualifying rows `(time, series, row)` in 1.x's output order; `aux` are the
/// auxiliary fields whose strings break ties (1.x's sorted merge).
pub(super) fn merged(
    plan: &Plan<'_>,
    data: &Data<'_>,
    members: &[usize],
    read: &[usize],
    aux: &[(String, Option<DataType>)],
) -> Vec<(i64, usize, usize)> {
    let ascending = plan.stmt.time_ascending();
    if data.sub.is_some() {
        // Subquery rows: the order of the inner cursor.
        let mut out: Vec<RowRef> = Vec::new();
        for &s in members {
            let sd = &data.series[s];
            out.extend(
                (0..sd.times.len())
                    .filter(|&i| read.iter().any(|&c| sd.columns[c][i] != Value::Null))
                    .filter(|&i| passes(plan, data, s, i))
                    .map(|i| (sd.times[i], s, i)),
            );
        }
        out.sort_by_key(|&(_, s, i)| data.seq(s, i));
        return out;
    }
    // Series in key order (reversed for descending time, as 1.x reverses its tag sets), each
    // with its qualifying rows in iteration order.
    let mut series: Vec<usize> = members.to_vec();
    if !ascending {
        series.reverse();
    }
    // shard group ──► per series (in `series` order): its qualifying rows, in one pass.
    let mut by_shard: BTreeMap<i64, Vec<Vec<RowRef>>> = BTreeMap::new();
    for (pos, &s) in series.iter().enumerate() {
        let sd = &data.series[s];
        let mut rows: Vec<usize> = (0..sd.times.len())
            .filter(|&i| read.iter().any(|&c| sd.columns[c][i] != Value::Null))
            .filter(|&i| passes(plan, data, s, i))
            .collect();
        if !ascending {
            rows.reverse();
        }
        if let Some(cap) = plan.series_cap {
            rows.truncate(cap);
        }
        for i in rows {
            let t = sd.times[i];
            by_shard
                .entry(shard_group(t))
                .or_insert_with(|| vec![Vec::new(); series.len()])[pos]
                .push((t, s, i));
        }
    }
    let shards: Vec<Vec<Vec<RowRef>>> = if ascending {
        by_shard.into_values().collect()
    } else {
        by_shard.into_values().rev().collect()
    };

    let aux_strings = |s: usize, i: usize| -> Vec<Option<String>> {
        let row = SeriesRow {
            data,
            series: s,
            row: i,
            condition: false,
        };
        aux.iter()
            .map(|(name, dt)| match row.get(name, *dt) {
                Value::String(v) => Some(v),
                _ => None,
            })
            .collect()
    };
    // 1.x's SortedMergeHeap.Less for points of one name and tag set.
    let less = |a: &(i64, usize, usize), b: &(i64, usize, usize)| -> bool {
        if a.0 != b.0 {
            return if ascending { a.0 < b.0 } else { a.0 > b.0 };
        }
        if aux.is_empty() {
            return false;
        }
        let (x, y) = (aux_strings(a.1, a.2), aux_strings(b.1, b.2));
        for (v1, v2) in x.iter().zip(&y) {
            match (v1, v2) {
                (Some(v1), Some(v2)) if v1 == v2 => continue,
                (Some(v1), Some(v2)) => return if ascending { v1 < v2 } else { v1 > v2 },
                _ => return false,
            }
        }
        false
    };

    let mut out = Vec::new();
    for inputs in shards {
        for (i, p) in sorted_merge_order(&inputs, less) {
            out.push(inputs[i][p]);
        }
    }
    out
}

/// The variables the fields read, sorted by name as 1.x sorts its auxiliary fields.
pub(super) fn aux_refs(fields: &[influxql::ast::Field]) -> Vec<(String, Option<DataType>)> {
    fn collect(e: &Expr, out: &mut Vec<(String, Option<DataType>)>) {
        match e {
            Expr::VarRef { name, data_type } => {
                let r = (name.clone(), *data_type);
                if !out.contains(&r) {
                    out.push(r);
                }
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| collect(a, out)),
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
