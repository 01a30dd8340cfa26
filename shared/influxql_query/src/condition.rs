//! A WHERE clause split as 1.x splits it: the time range, and the rest (a row filter).
//!
//! ```text
//! WHERE expr ──► split(expr, now) ──► (filter: Option<Expr>, TimeRange { min, max })
//!   AND / OR: both sides split, ranges intersected (1.x: "there is no such thing as using OR
//!             with a time range"), filters recombined
//!   time <op> v | v <op> time: v = RFC 3339 string | integer ns | duration literal | now() ± d
//!             > v ⇒ min = v+1, < v ⇒ max = v−1, >=, <=, = ; others are 1.x's errors
//!   anything else: kept in the filter, evaluated per row (eval::eval_bool)
//! ```

use influxql::ast::{BinaryOp, Expr};

use crate::ExecError;

/// 1.x's smallest usable time (`models.MinNanoTime`): `i64::MIN + 2`.
pub(crate) const MIN_TIME: i64 = i64::MIN + 2;
/// 1.x's largest usable time (`models.MaxNanoTime`): `i64::MAX - 1`.
pub(crate) const MAX_TIME: i64 = i64::MAX - 1;

/// An inclusive time range; `None` ends are unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TimeRange {
    /// Lower bound (inclusive).
    pub(crate) min: Option<i64>,
    /// Upper bound (inclusive).
    pub(crate) max: Option<i64>,
}

impl TimeRange {
    /// The range both allow.
    pub(crate) fn intersect(self, other: TimeRange) -> TimeRange {
        TimeRange {
            min: match (self.min, other.min) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
            max: match (self.max, other.max) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// Splits a WHERE clause into a row filter and a time range; `now` replaces `now()`.
pub(crate) fn split(cond: Option<&Expr>, now: i64) -> Result<(Option<Expr>, TimeRange), ExecError> {
    let Some(cond) = cond else {
        return Ok((None, TimeRange::default()));
    };
    let (mut expr, range) = split_expr(cond, now)?;
    if let Some(Expr::Paren(inner)) = expr {
        expr = Some(*inner);
    }
    if matches!(expr, Some(Expr::Boolean(true))) {
        expr = None;
    }
    Ok((expr, range))
}

fn is_time(e: &Expr) -> bool {
    matches!(e, Expr::VarRef { name, .. } if name.eq_ignore_ascii_case("time"))
}

fn split_expr(cond: &Expr, now: i64) -> Result<(Option<Expr>, TimeRange), ExecError> {
    match cond {
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::And | BinaryOp::Or) => {
            let (l, lt) = split_expr(lhs, now)?;
            let (r, rt) = split_expr(rhs, now)?;
            let range = lt.intersect(rt);
            let expr = match (l, r) {
                (l, None) => l,
                (None, r) => r,
                (Some(l), Some(r)) => Some(Expr::Binary {
                    op: *op,
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                }),
            };
            Ok((expr, range))
        }
        Expr::Binary { op, lhs, rhs } => {
            if is_time(lhs) {
                return Ok((None, time_range(*op, rhs, now)?));
            }
            if is_time(rhs) {
                let op = match op {
                    BinaryOp::Gt => BinaryOp::Lt,
                    BinaryOp::Lt => BinaryOp::Gt,
                    BinaryOp::GtEq => BinaryOp::LtEq,
                    BinaryOp::LtEq => BinaryOp::GtEq,
                    other => *other,
                };
                return Ok((None, time_range(op, lhs, now)?));
            }
            Ok((Some(cond.clone()), TimeRange::default()))
        }
        Expr::Paren(inner) => {
            let (e, range) = split_expr(inner, now)?;
            Ok((e.map(|e| Expr::Paren(Box::new(e))), range))
        }
        Expr::Boolean(_) => Ok((Some(cond.clone()), TimeRange::default())),
        other => Err(ExecError::Statement(format!(
            "invalid condition expression: {other}"
        ))),
    }
}

/// A time value: what `time` is compared with, after `now()` and arithmetic are reduced.
enum TimeOperand {
    Time(i64),
    Other(&'static str),
}

fn go_type_name(e: &Expr) -> &'static str {
    match e {
        Expr::VarRef { .. } => "*influxql.VarRef",
        Expr::Call { .. } => "*influxql.Call",
        Expr::Distinct(_) => "*influxql.Distinct",
        Expr::Binary { .. } => "*influxql.BinaryExpr",
        Expr::Paren(_) => "*influxql.ParenExpr",
        Expr::Number(_) => "*influxql.NumberLiteral",
        Expr::Integer(_) => "*influxql.IntegerLiteral",
        Expr::Unsigned(_) => "*influxql.UnsignedLiteral",
        Expr::String(_) => "*influxql.StringLiteral",
        Expr::Boolean(_) => "*influxql.BooleanLiteral",
        Expr::Duration(_) => "*influxql.DurationLiteral",
        Expr::Regex(_) => "*influxql.RegexLiteral",
        Expr::Wildcard(_) => "*influxql.Wildcard",
        Expr::Nil => "*influxql.NilLiteral",
    }
}

/// Reduces `e` to a time (ns) as 1.x's `Reduce` with a `NowValuer` would.
fn time_operand(e: &Expr, now: i64) -> Result<TimeOperand, ExecError> {
    Ok(match e {
        Expr::Call { name, args } if name == "now" && args.is_empty() => TimeOperand::Time(now),
        Expr::String(s) => match influxql::time::parse_time_literal(s) {
            Some(t) => TimeOperand::Time(t),
            None if looks_like_time(s) => {
                return Err(ExecError::Statement(format!(
                    "invalid timestamp string: {s}"
                )));
            }
            None => TimeOperand::Other("*influxql.StringLiteral"),
        },
        Expr::Integer(i) => TimeOperand::Time(*i),
        Expr::Duration(d) => TimeOperand::Time(*d),
        Expr::Number(f) => TimeOperand::Time(*f as i64),
        Expr::Paren(inner) => time_operand(inner, now)?,
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::Add | BinaryOp::Sub) => {
            match (time_operand(lhs, now)?, duration_of(rhs)) {
                (TimeOperand::Time(t), Some(d)) => TimeOperand::Time(if *op == BinaryOp::Add {
                    t.saturating_add(d)
                } else {
                    t.saturating_sub(d)
                }),
                _ => TimeOperand::Other("*influxql.BinaryExpr"),
            }
        }
        other => TimeOperand::Other(go_type_name(other)),
    })
}

fn duration_of(e: &Expr) -> Option<i64> {
    match e {
        Expr::Duration(d) | Expr::Integer(d) => Some(*d),
        Expr::Paren(inner) => duration_of(inner),
        _ => None,
    }
}

/// 1.x treats a string as a time literal when it parses as one of its layouts; a string that
/// starts like a date but does not parse is an error rather than a plain string.
fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-'
}

fn time_range(op: BinaryOp, rhs: &Expr, now: i64) -> Result<TimeRange, ExecError> {
    let value = match time_operand(rhs, now)? {
        TimeOperand::Time(t) => t,
        TimeOperand::Other(kind) => {
            return Err(ExecError::Statement(format!(
                "invalid operation: time and {kind} are not compatible"
            )));
        }
    };
    if value > MAX_TIME {
        return Err(ExecError::Statement(format!(
            "time {} overflows time literal",
            rfc3339_seconds(value)
        )));
    }
    if value < MIN_TIME + 1 {
        return Err(ExecError::Statement(format!(
            "time {} underflows time literal",
            rfc3339_seconds(value)
        )));
    }
    Ok(match op {
        BinaryOp::Gt => TimeRange {
            min: Some(value.saturating_add(1)),
            max: None,
        },
        BinaryOp::GtEq => TimeRange {
            min: Some(value),
            max: None,
        },
        BinaryOp::Lt => TimeRange {
            min: None,
            max: Some(value.saturating_sub(1)),
        },
        BinaryOp::LtEq => TimeRange {
            min: None,
            max: Some(value),
        },
        BinaryOp::Eq => TimeRange {
            min: Some(value),
            max: Some(value),
        },
        other => {
            return Err(ExecError::Statement(format!(
                "invalid time comparison operator: {other}"
            )));
        }
    })
}

fn rfc3339_seconds(ns: i64) -> String {
    chrono::DateTime::from_timestamp(ns.div_euclid(1_000_000_000), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Replaces `now()` in an expression (outside time comparisons) by its value in nanoseconds.
pub(crate) fn substitute_now(e: &Expr, now: i64) -> Expr {
    match e {
        Expr::Call { name, args } if name == "now" && args.is_empty() => Expr::Integer(now),
        Expr::Binary { op, lhs, rhs } => Expr::Binary {
            op: *op,
            lhs: Box::new(substitute_now(lhs, now)),
            rhs: Box::new(substitute_now(rhs, now)),
        },
        Expr::Paren(inner) => Expr::Paren(Box::new(substitute_now(inner, now))),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_where(text: &str) -> Expr {
        influxql::parser::parse_expr(text).unwrap()
    }

    #[test]
    fn time_bounds_and_filter() {
        let e = parse_where(
            "time >= '2026-11-21T00:00:00Z' AND time < '2026-11-21T00:05:00Z' AND host = 'a'",
        );
        let (f, r) = split(Some(&e), 0).unwrap();
        assert_eq!(r.min, Some(1_795_219_200_000_000_000));
        assert_eq!(r.max, Some(1_795_219_500_000_000_000 - 1));
        assert_eq!(f.unwrap().to_string(), "host = 'a'");
    }

    #[test]
    fn now_minus_duration() {
        let e = parse_where("time > now() - 1h");
        let (f, r) = split(Some(&e), 10_000_000_000_000).unwrap();
        assert!(f.is_none());
        assert_eq!(r.min, Some(10_000_000_000_000 - 3_600_000_000_000 + 1));
    }

    #[test]
    fn string_that_is_not_time() {
        let e = parse_where("time > 'abc'");
        let err = split(Some(&e), 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid operation: time and *influxql.StringLiteral are not compatible"
        );
    }
}
