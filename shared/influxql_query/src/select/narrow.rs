//! `LIMIT 1` of a raw SELECT (the last / first point per group, as TSBS's lastpoint asks)
//! without reading every row: DataFusion finds each series' newest (oldest) qualifying time
//! first, and only the rows that can be a group's first output row are read.
//!
//! ```text
//! eligible: raw, LIMIT 1, no OFFSET, WHERE only what the scan applies exactly (tags)
//! DataFusion: scan (range, prefilter, any field the output reads is not null — every line
//!   has a field, so no check when the output reads them all)
//!   GROUP BY every tag ──► max(time) (DESC) | min(time) (ASC) per series
//! per GROUP BY group: the best time and how many series have it
//!   one series ──► the group's first row is that point: read from its time on
//!   a tie      ──► 1.x's heap picks among the tied series by its state over the whole shard
//!                  group: read that whole shard group
//! ──► the fetch range narrowed to the union (DESC: [min of those, max]; ASC: [min, max of
//!     those]) ──► the row path answers exactly as over the whole range
//! ```

use std::collections::BTreeMap;

use datafusion::functions_aggregate::expr_fn::{max, min};
use datafusion::logical_expr::Expr as DfExpr;
use datafusion::prelude::{SessionContext, col, ident, lit};
use futures::TryStreamExt;

use super::Plan;
use super::order::shard_group;
use crate::ExecError;
use crate::condition::TimeRange;
use crate::fetch::{scan, tag_key, to_strings};

/// Shard groups are 7 days long.
const SHARD_GROUP_NS: i64 = 7 * 24 * 3600 * 1_000_000_000;

/// Whether [`narrow`] applies to `plan` (its filter, if any, being exact).
pub(super) fn eligible(plan: &Plan<'_>, exact_filter: bool) -> bool {
    crate::PUSHDOWN.load(std::sync::atomic::Ordering::Relaxed)
        && !plan.compiled.aggregate
        && plan.stmt.limit == 1
        && plan.stmt.offset == 0
        && (plan.filter.is_none() || exact_filter)
}

/// The part of `range` holding every row that can be a group's first output row of `table`.
/// `read`: the fields the output reads (a row exists where one has a value; every row has a
/// value when `read` is all of the measurement's fields); `dims`: the GROUP BY tags.
#[allow(clippy::too_many_arguments)]
pub(super) async fn narrow(
    ctx: &SessionContext,
    table: &str,
    tags: &[String],
    dims: &[String],
    read: &[String],
    all_fields: bool,
    range: TimeRange,
    prefilter: Option<DfExpr>,
    ascending: bool,
) -> Result<TimeRange, ExecError> {
    if read.is_empty() {
        return Ok(range);
    }
    crate::PUSHDOWN_STATEMENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut df = scan(ctx, table, range).await?;
    if let Some(f) = prefilter {
        df = df.filter(f)?;
    }
    if !all_fields {
        let any_value = read
            .iter()
            .map(|f| ident(f).is_not_null())
            .reduce(DfExpr::or)
            .unwrap_or(lit(true));
        df = df.filter(any_value)?;
    }
    let t = col("time");
    let best = if ascending { min(t) } else { max(t) };
    let df = df.aggregate(tags.iter().map(|t| tag_key(t)).collect(), vec![best])?;
    let mut stream = df.execute_stream().await?;

    // GROUP BY values ──► (best time, series having it).
    let dim_pos: Vec<Option<usize>> = dims
        .iter()
        .map(|d| tags.iter().position(|t| t == d))
        .collect();
    let mut groups: BTreeMap<Vec<String>, (i64, usize)> = BTreeMap::new();
    while let Some(batch) = stream.try_next().await? {
        let tag_cols = (0..tags.len())
            .map(|i| to_strings(batch.column(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let times =
            arrow::compute::cast(batch.column(tags.len()), &arrow::datatypes::DataType::Int64)?;
        let times = times
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .ok_or_else(|| ExecError::Internal("time is not an integer".into()))?;
        for r in 0..batch.num_rows() {
            if arrow::array::Array::is_null(times, r) {
                continue;
            }
            let t = times.value(r);
            let key: Vec<String> = dim_pos
                .iter()
                .map(|p| {
                    p.map(|p| &tag_cols[p])
                        .filter(|c| !arrow::array::Array::is_null(*c, r))
                        .map(|c| c.value(r).to_owned())
                        .unwrap_or_default()
                })
                .collect();
            let better = |a: i64, b: i64| if ascending { a < b } else { a > b };
            groups
                .entry(key)
                .and_modify(|(best, n)| {
                    if better(t, *best) {
                        *best = t;
                        *n = 1;
                    } else if t == *best {
                        *n += 1;
                    }
                })
                .or_insert((t, 1));
        }
    }
    if groups.is_empty() {
        return Ok(range);
    }
    let mut out = range;
    if ascending {
        let bound = groups
            .values()
            .map(|&(t, n)| {
                if n == 1 {
                    t
                } else {
                    shard_group(t).saturating_add(SHARD_GROUP_NS - 1)
                }
            })
            .max()
            .unwrap_or(i64::MAX);
        out.max = Some(out.max.map_or(bound, |m| m.min(bound)));
    } else {
        let bound = groups
            .values()
            .map(|&(t, n)| if n == 1 { t } else { shard_group(t) })
            .min()
            .unwrap_or(i64::MIN);
        out.min = Some(out.min.map_or(bound, |m| m.max(bound)));
    }
    Ok(out)
}
