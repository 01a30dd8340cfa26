//! What the pushed-down filters tell the scan before dedup: the `time` bounds (to skip files) and
//! which filters touch only primary-key columns (safe for Parquet row-group pruning).
//!
//! ```text
//! filters (after DataFusion's coercion: time literals are TimestampNanosecond)
//!   ├─► TimeBounds::from_filters: `time <op> literal` conjuncts ──► [min, max] (inclusive)
//!   │     └─► overlaps(file.min_time_ns, file.max_time_ns) ──► keep / skip the file
//!   ├─► is_key_only(filter, tags + time) ──► predicate for DataFusion's Parquet pruning
//!   └─► string_values(filters, column): `column = 'v'` / `IN ('v', …)` / ORs of them ──► the
//!         only values a matching row can have (tags asked of the ingesters; system tables)
//! ```

use std::collections::HashSet;

use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use datafusion::scalar::ScalarValue;
use schema::TIME_COLUMN_NAME;

/// The string values `column` must have in every row matching all `filters`, from conjuncts
/// `column = 'v'`, `'v' = column`, `column IN ('v', …)` and ORs of those (the first such
/// conjunct); `None` when no conjunct restricts it that way.
pub(crate) fn string_values(filters: &[Expr], column: &str) -> Option<Vec<String>> {
    filters.iter().find_map(|f| conjunct_values(f, column))
}

fn conjunct_values(expr: &Expr, column: &str) -> Option<Vec<String>> {
    let is_column = |e: &Expr| matches!(e, Expr::Column(c) if c.name == column);
    let as_str = |e: &Expr| match e {
        Expr::Literal(v, _) => v.try_as_str().flatten().map(str::to_string),
        _ => None,
    };
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => {
                conjunct_values(left, column).or_else(|| conjunct_values(right, column))
            }
            // DataFusion rewrites short IN lists as ORs of equalities.
            Operator::Or => {
                let mut values = conjunct_values(left, column)?;
                values.extend(conjunct_values(right, column)?);
                Some(values)
            }
            Operator::Eq if is_column(left) => as_str(right).map(|v| vec![v]),
            Operator::Eq if is_column(right) => as_str(left).map(|v| vec![v]),
            _ => None,
        },
        Expr::InList(list) if !list.negated && is_column(&list.expr) => {
            list.list.iter().map(as_str).collect()
        }
        _ => None,
    }
}

/// Inclusive bounds on `time` implied by a conjunction of filters; `None` = unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeBounds {
    /// Smallest time a matching row can have.
    pub min: Option<i64>,
    /// Largest time a matching row can have.
    pub max: Option<i64>,
}

impl TimeBounds {
    /// The bounds every row matching all `filters` must be within. Filters that are not simple
    /// `time` comparisons with a timestamp literal are ignored (they cannot widen the bounds).
    pub fn from_filters(filters: &[Expr]) -> Self {
        let mut bounds = Self::default();
        for filter in filters {
            bounds.add(filter);
        }
        bounds
    }

    /// Whether rows with times in `[min_time, max_time]` can match.
    pub fn overlaps(&self, min_time: i64, max_time: i64) -> bool {
        self.min.is_none_or(|min| max_time >= min) && self.max.is_none_or(|max| min_time <= max)
    }

    fn add(&mut self, expr: &Expr) {
        let Expr::BinaryExpr(BinaryExpr { left, op, right }) = expr else {
            return;
        };
        if *op == Operator::And {
            self.add(left);
            self.add(right);
            return;
        }
        let (op, value) = match (time_column(left), timestamp_ns(right)) {
            (true, Some(v)) => (*op, v),
            _ => match (timestamp_ns(left), time_column(right)) {
                (Some(v), true) => match op.swap() {
                    Some(op) => (op, v),
                    None => return,
                },
                _ => return,
            },
        };
        match op {
            Operator::Eq => {
                self.raise_min(value);
                self.lower_max(value);
            }
            Operator::Gt => self.raise_min(value.saturating_add(1)),
            Operator::GtEq => self.raise_min(value),
            Operator::Lt => self.lower_max(value.saturating_sub(1)),
            Operator::LtEq => self.lower_max(value),
            _ => {}
        }
    }

    fn raise_min(&mut self, value: i64) {
        self.min = Some(self.min.map_or(value, |m| m.max(value)));
    }

    fn lower_max(&mut self, value: i64) {
        self.max = Some(self.max.map_or(value, |m| m.min(value)));
    }
}

fn time_column(expr: &Expr) -> bool {
    matches!(expr, Expr::Column(c) if c.name == TIME_COLUMN_NAME)
}

fn timestamp_ns(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Literal(ScalarValue::TimestampNanosecond(Some(v), _), _) => Some(*v),
        _ => None,
    }
}

/// Whether `filter` references only columns in `key_columns` (tags and `time`) and at least
/// one of them: such a filter gives the same answer for every duplicate of a row.
pub(crate) fn is_key_only(filter: &Expr, key_columns: &HashSet<String>) -> bool {
    let refs = filter.column_refs();
    !refs.is_empty() && refs.iter().all(|c| key_columns.contains(&c.name))
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{col, lit};

    use super::*;

    fn ts(v: i64) -> Expr {
        lit(ScalarValue::TimestampNanosecond(Some(v), None))
    }

    #[test]
    fn bounds_from_comparisons_and_conjunctions() {
        let filters = [
            col("time").gt_eq(ts(10)).and(col("time").lt(ts(20))),
            ts(5).lt(col("time")),
            col("host").eq(lit("a")),
        ];
        let b = TimeBounds::from_filters(&filters);
        assert_eq!(
            b,
            TimeBounds {
                min: Some(10),
                max: Some(19)
            }
        );
        assert!(b.overlaps(0, 10));
        assert!(b.overlaps(19, 30));
        assert!(!b.overlaps(0, 9));
        assert!(!b.overlaps(20, 30));
    }

    #[test]
    fn equality_and_unbounded() {
        let b = TimeBounds::from_filters(&[col("time").eq(ts(7))]);
        assert_eq!(
            b,
            TimeBounds {
                min: Some(7),
                max: Some(7)
            }
        );
        let open = TimeBounds::from_filters(&[col("time").gt(ts(1)).or(col("time").lt(ts(0)))]);
        assert_eq!(open, TimeBounds::default());
        assert!(open.overlaps(i64::MIN, i64::MAX));
    }

    #[test]
    fn key_only_filters() {
        let keys: HashSet<String> = ["host".to_string(), "time".to_string()].into();
        assert!(is_key_only(&col("host").eq(lit("a")), &keys));
        assert!(is_key_only(&col("time").gt(ts(3)), &keys));
        assert!(!is_key_only(&col("usage").gt(lit(1.0)), &keys));
        assert!(!is_key_only(&col("host").eq(col("usage")), &keys));
        assert!(!is_key_only(&lit(true), &keys));
    }

    #[test]
    fn string_values_from_equalities_in_lists_and_their_ors() {
        let eq = col("table_name").eq(lit("cpu"));
        let one = |filters: &[Expr], c: &str| string_values(filters, c);
        assert_eq!(
            one(std::slice::from_ref(&eq), "table_name"),
            Some(vec!["cpu".into()])
        );
        assert_eq!(
            one(&[lit("mem").eq(col("table_name"))], "table_name"),
            Some(vec!["mem".into()])
        );
        let and = col("row_count").gt(lit(1_u64)).and(eq.clone());
        assert_eq!(one(&[and], "table_name"), Some(vec!["cpu".into()]));
        let list = col("host").in_list(vec![lit("a"), lit("b")], false);
        assert_eq!(one(&[list], "host"), Some(vec!["a".into(), "b".into()]));
        let negated = col("host").in_list(vec![lit("a")], true);
        assert_eq!(one(&[negated], "host"), None);
        let mixed = col("host").in_list(vec![lit("a"), lit(1_i64)], false);
        assert_eq!(one(&[mixed], "host"), None);
        let or = col("table_name")
            .eq(lit("a"))
            .or(col("table_name").eq(lit("b")));
        assert_eq!(one(&[or], "table_name"), Some(vec!["a".into(), "b".into()]));
        let or_other = col("table_name").eq(lit("a")).or(col("path").eq(lit("b")));
        assert_eq!(one(&[or_other], "table_name"), None);
        assert_eq!(one(&[eq], "path"), None);
        assert_eq!(one(&[col("table_name").eq(lit(1_i64))], "table_name"), None);
    }
}
