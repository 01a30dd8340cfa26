//! The part of a WHERE clause DataFusion can apply while reading: a filter that keeps every row
//! 1.x's condition keeps (a superset), so the scan prunes files and row groups, the ingesters
//! get the predicate as they get SQL's, and fewer rows reach the evaluators — which still apply
//! the whole condition with 1.x's semantics.
//!
//! ```text
//! WHERE (minus time) ──► prefilter(measurement's schema)
//!   tag = 'v' (v ≠ '')            ──► tag = 'v'        (a missing tag is '' in 1.x: never 'v')
//!   tag =~ /re/ (re ∌ '')         ──► tag ~ 're'       (same pattern, same regex engine)
//!   numeric field <,<=,>,>=,= n   ──► field op n       (no value: false in both)
//!   a AND b                       ──► both, or the side that translates
//!   a OR b                        ──► both sides, or nothing
//!   anything else (!=, !~, casts, math, strings vs numbers) ──► nothing (keep every row)
//! ```

use datafusion::logical_expr::{Operator, binary_expr};
use datafusion::prelude::{Expr as DfExpr, ident, lit};
use influxql::ast::{BinaryOp, DataType, Expr};

use super::fields::{FieldKind, Schema};

/// A DataFusion filter keeping at least the rows `filter` keeps in a measurement of `schema`,
/// or `None` when no part of it translates. `fields`: numeric field comparisons may be pushed
/// too (not for aggregates: a series whose rows all fail a field condition still has its
/// iterator in 1.x, and the merge order of a float mean counts it).
pub(crate) fn prefilter(filter: &Expr, schema: &Schema, fields: bool) -> Option<DfExpr> {
    match filter {
        Expr::Paren(inner) => prefilter(inner, schema, fields),
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => match (
            prefilter(lhs, schema, fields),
            prefilter(rhs, schema, fields),
        ) {
            (Some(a), Some(b)) => Some(a.and(b)),
            (a, b) => a.or(b),
        },
        Expr::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => Some(prefilter(lhs, schema, fields)?.or(prefilter(rhs, schema, fields)?)),
        Expr::Binary { op, lhs, rhs } => both_ways(*op, lhs, rhs, schema)
            .filter(|(_, tag)| fields || *tag)
            .map(|(e, _)| e),
        _ => None,
    }
}

/// True when the prefilter of `filter` is the whole condition and reads tags only: the scan
/// keeps exactly the rows 1.x keeps, and every series keeps all its rows or none.
pub(crate) fn exact(filter: &Expr, schema: &Schema) -> bool {
    match filter {
        Expr::Paren(inner) => exact(inner, schema),
        Expr::Binary {
            op: BinaryOp::And | BinaryOp::Or,
            lhs,
            rhs,
        } => exact(lhs, schema) && exact(rhs, schema),
        Expr::Binary { op, lhs, rhs } => {
            matches!(both_ways(*op, lhs, rhs, schema), Some((_, true)))
        }
        _ => false,
    }
}

/// A comparison translated, with the name on either side; `true` when it compares a tag.
fn both_ways(op: BinaryOp, lhs: &Expr, rhs: &Expr, schema: &Schema) -> Option<(DfExpr, bool)> {
    comparison(op, lhs, rhs, schema).or_else(|| comparison(flip(op)?, rhs, lhs, schema))
}

/// The operator with its operands swapped (`5 < x` is `x > 5`).
fn flip(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Eq => BinaryOp::Eq,
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        _ => return None,
    })
}

/// What a name refers to in a condition.
enum Operand<'a> {
    Tag(&'a str),
    NumericField(&'a str),
}

fn operand<'a>(e: &'a Expr, schema: &Schema) -> Option<Operand<'a>> {
    let Expr::VarRef { name, data_type } = e else {
        return None;
    };
    let field = schema.fields.get(name);
    match (data_type, field) {
        // A name that is a field refers to the field unless cast to a tag.
        (Some(DataType::Tag), _) | (None, None) if schema.tags.contains(name) => {
            Some(Operand::Tag(name))
        }
        (None | Some(DataType::Field), Some(FieldKind::Float | FieldKind::Integer)) => {
            Some(Operand::NumericField(name))
        }
        _ => None,
    }
}

fn comparison(op: BinaryOp, lhs: &Expr, rhs: &Expr, schema: &Schema) -> Option<(DfExpr, bool)> {
    match (operand(lhs, schema)?, op, rhs) {
        (Operand::Tag(t), BinaryOp::Eq, Expr::String(v)) if !v.is_empty() => {
            Some((ident(t).eq(lit(v.as_str())), true))
        }
        (Operand::Tag(t), BinaryOp::EqRegex, Expr::Regex(r)) if !r.regex.is_match("") => Some((
            binary_expr(ident(t), Operator::RegexMatch, lit(r.regex.as_str())),
            true,
        )),
        (Operand::NumericField(f), _, Expr::Number(_) | Expr::Integer(_)) => {
            let op = match op {
                BinaryOp::Eq => Operator::Eq,
                BinaryOp::Lt => Operator::Lt,
                BinaryOp::LtEq => Operator::LtEq,
                BinaryOp::Gt => Operator::Gt,
                BinaryOp::GtEq => Operator::GtEq,
                _ => return None,
            };
            let value = match rhs {
                Expr::Number(n) => lit(*n),
                Expr::Integer(i) => lit(*i),
                _ => return None,
            };
            Some((binary_expr(ident(f), op, value), false))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        let mut s = Schema::default();
        s.tags.insert("host".into());
        s.tags.insert("both".into());
        s.fields.insert("usage".into(), FieldKind::Float);
        s.fields.insert("n".into(), FieldKind::Integer);
        s.fields.insert("both".into(), FieldKind::Float);
        s.fields.insert("s".into(), FieldKind::String);
        s
    }

    fn where_of(cond: &str) -> Expr {
        influxql::parser::parse_expr(cond).unwrap()
    }

    fn pushed(cond: &str) -> Option<String> {
        prefilter(&where_of(cond), &schema(), true).map(|e| e.to_string())
    }

    #[test]
    fn exact_only_for_whole_tag_conditions() {
        let s = schema();
        assert!(exact(&where_of("host = 'a' or host =~ /^b/"), &s));
        assert!(exact(&where_of("(host = 'a') and both::tag = 'x'"), &s));
        assert!(!exact(&where_of("host = 'a' and usage > 1"), &s));
        assert!(!exact(&where_of("host != 'a'"), &s));
        // Aggregates push tags only.
        assert_eq!(
            prefilter(&where_of("usage > 1 and host = 'a'"), &s, false).map(|e| e.to_string()),
            Some("host = Utf8(\"a\")".to_owned())
        );
    }

    #[test]
    fn tag_equality_and_regex_translate() {
        assert_eq!(pushed("host = 'a'").as_deref(), Some("host = Utf8(\"a\")"));
        assert_eq!(pushed("'a' = host").as_deref(), Some("host = Utf8(\"a\")"));
        assert_eq!(
            pushed("host =~ /^a.*/").as_deref(),
            Some("host ~ Utf8(\"^a.*\")")
        );
        assert_eq!(
            pushed("(host = 'a' or host = 'b')").as_deref(),
            Some("host = Utf8(\"a\") OR host = Utf8(\"b\")")
        );
    }

    #[test]
    fn what_could_drop_a_kept_row_stays_out() {
        // A missing tag is '' in 1.x: `host = ''`, `!=`, `!~` and regexes matching '' keep it.
        assert_eq!(pushed("host = ''"), None);
        assert_eq!(pushed("host != 'a'"), None);
        assert_eq!(pushed("host !~ /a/"), None);
        assert_eq!(pushed("host =~ /a*/"), None);
        // OR with an untranslatable side keeps everything.
        assert_eq!(pushed("host = 'a' or usage != 1"), None);
        // A name that is a field and a tag is the field; cast to tag, the tag.
        assert_eq!(pushed("both = 'a'"), None);
        assert_eq!(
            pushed("both::tag = 'a'").as_deref(),
            Some("both = Utf8(\"a\")")
        );
        // Strings, casts and math stay with the evaluator.
        assert_eq!(pushed("s = 'x'"), None);
        assert_eq!(pushed("usage::integer > 1"), None);
        assert_eq!(pushed("usage + 1 > 2"), None);
        assert_eq!(pushed("usage != 2"), None);
    }

    #[test]
    fn and_keeps_the_side_that_translates() {
        assert_eq!(
            pushed("usage > 90.0 and (host = 'a') and s = 'x'").as_deref(),
            Some("usage > Float64(90) AND host = Utf8(\"a\")")
        );
        assert_eq!(pushed("5 < n").as_deref(), Some("n > Int64(5)"));
    }
}
