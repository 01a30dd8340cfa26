//! The WHERE of SHOW statements as 1.x's in-memory index reads it (`tsdb/index/inmem`):
//! which series and measurements a condition selects, and the conditions it refuses.
//!
//! ```text
//! condition ──► index_leaves (a field, or a tag compared with a non-string: every series)
//!   ──► matching_series / filtered_series: eval over each distinct series' tags
//!   ──► measurement_matches: SHOW MEASUREMENTS WHERE (a measurement without the tag key never
//!       matches; AND / OR intersect / unite)
//! checks: check_tag_key_left, has_time_expr, index_operators_only, check_index_operators
//! ```

use super::*;

pub(super) struct TagRow<'a>(&'a BTreeMap<String, String>, &'a str);

impl Row for TagRow<'_> {
    fn get(&self, name: &str, _: Option<influxql::ast::DataType>) -> Value {
        if name == "_name" {
            return Value::String(self.1.to_owned());
        }
        Value::String(self.0.get(name).cloned().unwrap_or_default())
    }
}

/// The series of `table` matching `cond` (tags only, as 1.x's index reads it:
/// [`index_leaves`]) within `range`.
pub(super) async fn matching_series(
    ctx: &SessionContext,
    table: &str,
    schema: &TableSchema,
    cond: Option<&Expr>,
    range: TimeRange,
) -> Result<Vec<BTreeMap<String, String>>, ExecError> {
    filtered_series(ctx, table, schema, cond, range, true).await
}

/// The series of `table` matching `cond` within `range`; `index`: the comparisons 1.x's
/// index reads as "every series" count so ([`index_leaves`]) — not for an EXACT cardinality,
/// which 1.x rewrites into a counting SELECT.
pub(super) async fn filtered_series(
    ctx: &SessionContext,
    table: &str,
    schema: &TableSchema,
    cond: Option<&Expr>,
    range: TimeRange,
    index: bool,
) -> Result<Vec<BTreeMap<String, String>>, ExecError> {
    let mut s = Schema::default();
    s.add(schema);
    let tags: Vec<String> = s.tags.iter().cloned().collect();
    let mut series = distinct_series(ctx, table, &tags, range).await?;
    if let Some(c) = cond {
        let c = if index {
            index_leaves(c, &s)
        } else {
            c.clone()
        };
        series.retain(|t| eval_bool(&c, &TagRow(t, table)));
    }
    Ok(series)
}

/// 1.x's series index (`tsdb/index/inmem/meta.go`, `Measurement.idsForExpr`) answers every
/// series of the measurement for a comparison on a field, and the comparison of a tag with
/// anything but a string or a regex (`host = 1`, `host = true`, `host = region`) selects
/// every series too: such leaves become `true`.
pub(super) fn index_leaves(e: &Expr, schema: &Schema) -> Expr {
    match e {
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::And | BinaryOp::Or) => {
            Expr::Binary {
                op: *op,
                lhs: Box::new(index_leaves(lhs, schema)),
                rhs: Box::new(index_leaves(rhs, schema)),
            }
        }
        Expr::Paren(inner) => Expr::Paren(Box::new(index_leaves(inner, schema))),
        Expr::Binary { lhs, rhs, .. } => {
            let (var, value) = match (lhs.as_ref(), rhs.as_ref()) {
                (Expr::VarRef { name, .. }, v) => (name, v),
                (v, Expr::VarRef { name, .. }) => (name, v),
                _ => return e.clone(),
            };
            let field = !schema.tags.contains(var) && schema.fields.contains_key(var);
            let odd_value = !matches!(value, Expr::String(_) | Expr::Regex(_));
            if var != "_name" && (field || odd_value) {
                Expr::Boolean(true)
            } else {
                e.clone()
            }
        }
        _ => e.clone(),
    }
}

/// SHOW TAG VALUES' index lookup wants the tag key on the left of each comparison.
pub(super) fn check_tag_key_left(e: Option<&Expr>) -> Result<(), ExecError> {
    match e {
        Some(Expr::Binary {
            op: BinaryOp::And | BinaryOp::Or,
            lhs,
            rhs,
        }) => {
            check_tag_key_left(Some(lhs))?;
            check_tag_key_left(Some(rhs))
        }
        Some(Expr::Paren(inner)) => check_tag_key_left(Some(inner)),
        Some(Expr::Binary { op, lhs, .. }) if !matches!(lhs.as_ref(), Expr::VarRef { .. }) => {
            Err(err(format!("left side of '{op}' must be a tag key")))
        }
        _ => Ok(()),
    }
}

/// Does measurement `name` answer SHOW MEASUREMENTS WHERE `e`? 1.x's index
/// (`tsdb/index/inmem/inmem.go`, `measurementNamesByExpr` / `measurementNamesByTagFilters`):
/// AND / OR intersect / unite; a comparison wants a tag key on the left and a string (a regex
/// for `=~` / `!~`) on the right; a measurement without that tag key never matches; else it
/// matches when "one of its values equals (matches) the right side" is true for `=` / `=~`
/// and false for `!=` / `!~` (so `host !~ /x/` drops a measurement having one such value).
pub(super) fn measurement_matches(
    e: &Expr,
    name: &str,
    values: &BTreeMap<String, BTreeSet<String>>,
) -> Result<bool, ExecError> {
    match e {
        Expr::Paren(inner) => measurement_matches(inner, name, values),
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::And | BinaryOp::Or) => {
            let l = measurement_matches(lhs, name, values)?;
            let r = measurement_matches(rhs, name, values)?;
            Ok(if *op == BinaryOp::And { l && r } else { l || r })
        }
        Expr::Binary { op, lhs, rhs }
            if matches!(
                op,
                BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::EqRegex | BinaryOp::NotEqRegex
            ) =>
        {
            let Expr::VarRef { name: tag, .. } = lhs.as_ref() else {
                return Err(err(format!("left side of '{op}' must be a tag key")));
            };
            let regex = matches!(op, BinaryOp::EqRegex | BinaryOp::NotEqRegex);
            let test: Box<dyn Fn(&str) -> bool> = match (regex, rhs.as_ref()) {
                (true, Expr::Regex(r)) => {
                    let r = r.regex.clone();
                    Box::new(move |v: &str| r.is_match(v))
                }
                (true, _) => {
                    return Err(err(format!(
                        "right side of '{op}' must be a regular expression"
                    )));
                }
                (false, Expr::String(want)) => {
                    let want = want.clone();
                    Box::new(move |v: &str| v == want)
                }
                (false, _) => {
                    return Err(err(format!(
                        "right side of '{op}' must be a tag value string"
                    )));
                }
            };
            let positive = matches!(op, BinaryOp::Eq | BinaryOp::EqRegex);
            if tag == "_name" {
                return Ok(test(name) == positive);
            }
            if tag.starts_with('_') {
                return Ok(false);
            }
            let Some(vals) = values.get(tag) else {
                return Ok(false);
            };
            Ok(vals.iter().any(|v| test(v)) == positive)
        }
        _ => Ok(false),
    }
}

/// 1.x's `HasTimeExpr`: a comparison with `time` on its left, through AND, OR and parentheses.
pub(super) fn has_time_expr(e: Option<&Expr>) -> bool {
    match e {
        Some(Expr::Binary {
            op: BinaryOp::And | BinaryOp::Or,
            lhs,
            rhs,
        }) => has_time_expr(Some(lhs)) || has_time_expr(Some(rhs)),
        Some(Expr::Binary { lhs, .. }) => {
            matches!(&**lhs, Expr::VarRef { name, .. } if name.eq_ignore_ascii_case("time"))
        }
        Some(Expr::Paren(inner)) => has_time_expr(Some(inner)),
        _ => false,
    }
}

/// Whether every comparison in `e` is one the series index answers (=, !=, =~, !~, AND, OR).
pub(super) fn index_operators_only(e: Option<&Expr>) -> bool {
    match e {
        Some(Expr::Binary { op, lhs, rhs }) => {
            matches!(
                op,
                BinaryOp::Eq
                    | BinaryOp::NotEq
                    | BinaryOp::EqRegex
                    | BinaryOp::NotEqRegex
                    | BinaryOp::And
                    | BinaryOp::Or
            ) && index_operators_only(Some(lhs))
                && index_operators_only(Some(rhs))
        }
        Some(Expr::Paren(inner)) => index_operators_only(Some(inner)),
        _ => true,
    }
}

/// The index lookups of SHOW MEASUREMENTS | SERIES | TAG KEYS | TAG VALUES refuse other
/// comparisons.
pub(super) fn check_index_operators(e: Option<&Expr>) -> Result<(), ExecError> {
    if index_operators_only(e) {
        Ok(())
    } else {
        Err(err("invalid tag comparison operator"))
    }
}
