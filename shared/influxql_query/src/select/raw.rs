//! Raw SELECT (no aggregate): the group's series merged by time, one output row per point at
//! which any field the query reads has a value.
//!
//! ```text
//! group's series ──► merge by time (ties: series-key order) ──► WHERE filter
//!   ──► evaluate each field expression (tags, fields, math) ──► skip rows whose fields are all
//!       null ──► ORDER BY time DESC reverses ──► OFFSET, LIMIT (per group)
//! ```

use v1_query::result::Value;

use super::{Data, Plan, SeriesRow, field_refs, fields::Schema, passes};
use crate::eval::eval;

/// The output rows of one group.
pub(super) fn rows(plan: &Plan<'_>, data: &Data<'_>, members: &[usize]) -> Vec<Vec<Value>> {
    // Merge the members' rows by time.
    let mut points: Vec<(i64, usize, usize)> = Vec::new();
    for &s in members {
        for (i, &t) in data.series[s].times.iter().enumerate() {
            points.push((t, s, i));
        }
    }
    points.sort_by_key(|&(t, s, _)| (t, s));
    if !plan.stmt.time_ascending() {
        points.reverse();
        // Within one time, keep series order.
        let mut i = 0;
        while i < points.len() {
            let mut j = i;
            while j < points.len() && points[j].0 == points[i].0 {
                j += 1;
            }
            points[i..j].reverse();
            i = j;
        }
    }

    let mut schema = Schema::default();
    for f in data.field_index.keys() {
        schema.fields.insert(f.clone(), super::fields::FieldKind::Float);
    }
    // For each output column, the fields it reads: a row exists where one of them has a value.
    let mut read: Vec<usize> = Vec::new();
    for f in &plan.fields {
        let mut names = Vec::new();
        field_refs(&f.expr, &schema, &mut names);
        for n in names {
            if let Some(&c) = data.field_index.get(&n) {
                if !read.contains(&c) {
                    read.push(c);
                }
            }
        }
    }

    let offset = usize::try_from(plan.stmt.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(plan.stmt.limit).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let mut skipped = 0;
    for (t, s, i) in points {
        let series = &data.series[s];
        if !read.iter().any(|&c| series.columns[c][i] != Value::Null) {
            continue;
        }
        if !passes(plan, data, s, i) {
            continue;
        }
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
        for f in &plan.fields {
            values.push(eval(&f.expr, &row));
        }
        out.push(values);
        if plan.stmt.limit > 0 && out.len() >= limit {
            break;
        }
    }
    out
}
