//! Expression evaluation with InfluxDB 1.x's rules, over one row at a time.
//!
//! ```text
//! Expr + Row (name → Value: fields, tags, call results) ──► eval ──► Value
//!   arithmetic: int op int stays int (but `/` is float division, as 1.x's query engine sets),
//!               int op float is float; x / 0 = 0; mixed unsigned as 1.x; a null operand → null
//!   comparisons: numbers across types, strings, booleans; incomparable → false
//!   =~ / !~ on strings; AND / OR on booleans (a null next to a boolean counts as false)
//! ```

use crate::gomath::{
    GO_INV_LN10, go_acos, go_asin, go_atan, go_atan2, go_cos, go_exp, go_log, go_log2, go_pow,
    go_sin, go_tan,
};
use influxql::ast::{BinaryOp, DataType, Expr};
use v1_query::result::Value;

/// Where a row's variables come from.
pub(crate) trait Row {
    /// The value of `name` (as a `::type` cast asks, if given); `Value::Null` when absent.
    fn get(&self, name: &str, data_type: Option<DataType>) -> Value;
    /// The value computed for a call (aggregate rows); `Value::Null` when absent.
    fn call(&self, _expr: &Expr) -> Value {
        Value::Null
    }
}

/// Evaluates `expr` on `row`.
pub(crate) fn eval(expr: &Expr, row: &dyn Row) -> Value {
    match expr {
        Expr::VarRef { name, data_type } => row.get(name, *data_type),
        Expr::Call { name, args } => {
            if let Some(v) = math_call(name, args, row) {
                return v;
            }
            row.call(expr)
        }
        Expr::Distinct(_) => row.call(expr),
        Expr::Paren(inner) => eval(inner, row),
        Expr::Number(f) => Value::Float(*f),
        Expr::Integer(i) => Value::Integer(*i),
        Expr::Unsigned(u) => Value::Unsigned(*u),
        Expr::String(s) => Value::String(s.clone()),
        Expr::Boolean(b) => Value::Boolean(*b),
        Expr::Duration(d) => Value::Integer(*d),
        Expr::Binary { op, lhs, rhs } => {
            if matches!(op, BinaryOp::EqRegex | BinaryOp::NotEqRegex) {
                let Expr::Regex(re) = rhs.as_ref() else {
                    return Value::Boolean(false);
                };
                return match eval(lhs, row) {
                    Value::String(s) => {
                        Value::Boolean(re.regex.is_match(&s) == (*op == BinaryOp::EqRegex))
                    }
                    // 1.x: a missing tag is the empty string; a missing field never matches.
                    _ => Value::Boolean(false),
                };
            }
            binary(*op, eval(lhs, row), eval(rhs, row))
        }
        Expr::Regex(_) | Expr::Wildcard(_) | Expr::Nil => Value::Null,
    }
}

/// True when `expr` evaluates to boolean true on `row`.
pub(crate) fn eval_bool(expr: &Expr, row: &dyn Row) -> bool {
    matches!(eval(expr, row), Value::Boolean(true))
}

/// The math functions of 1.x (`abs`, `sin`, … `pow`, `log`): `None` if `name` is not one.
fn math_call(name: &str, args: &[Expr], row: &dyn Row) -> Option<Value> {
    if !is_math_function(name) {
        return None;
    }
    let vals: Vec<Value> = args.iter().map(|a| eval(a, row)).collect();
    Some(apply_math(name, &vals))
}

/// 1.x's math functions (usable on fields, on aggregates, and in conditions).
pub(crate) fn is_math_function(name: &str) -> bool {
    matches!(
        name,
        "abs"
            | "sin"
            | "cos"
            | "tan"
            | "asin"
            | "acos"
            | "atan"
            | "atan2"
            | "exp"
            | "log"
            | "ln"
            | "log2"
            | "log10"
            | "sqrt"
            | "pow"
            | "floor"
            | "ceil"
            | "round"
    )
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        Value::Unsigned(u) => Some(*u as f64),
        _ => None,
    }
}

/// Applies a math function to evaluated arguments, with 1.x's result types (`abs`, `floor`,
/// `ceil`, `round` keep integers; the rest are floats).
pub(crate) fn apply_math(name: &str, args: &[Value]) -> Value {
    let Some(first) = args.first() else {
        return Value::Null;
    };
    match (name, first) {
        ("abs", Value::Integer(i)) => return Value::Integer(i.wrapping_abs()),
        ("abs" | "floor" | "ceil" | "round", Value::Unsigned(u)) => {
            return Value::Unsigned(*u);
        }
        ("floor" | "ceil" | "round", Value::Integer(i)) => return Value::Integer(*i),
        _ => {}
    }
    let Some(x) = as_f64(first) else {
        return Value::Null;
    };
    let second = args.get(1).and_then(as_f64);
    let r = match name {
        "abs" => x.abs(),
        "sin" => go_sin(x),
        "cos" => go_cos(x),
        "tan" => go_tan(x),
        "asin" => go_asin(x),
        "acos" => go_acos(x),
        "atan" => go_atan(x),
        "atan2" => match second {
            Some(y) => go_atan2(x, y),
            None => return Value::Null,
        },
        "exp" => go_exp(x),
        "ln" => go_log(x),
        "log" => match second {
            Some(b) => go_log(x) / go_log(b),
            None => return Value::Null,
        },
        "log2" => go_log2(x),
        "log10" => go_log(x) * GO_INV_LN10,
        "sqrt" => x.sqrt(),
        "pow" => match second {
            Some(y) => go_pow(x, y),
            None => return Value::Null,
        },
        "floor" => x.floor(),
        "ceil" => x.ceil(),
        // Go's math.Round: half away from zero.
        "round" => x.round(),
        _ => return Value::Null,
    };
    // 1.x answers a NaN result (sqrt of a negative, asin out of its domain) as null.
    if r.is_nan() {
        return Value::Null;
    }
    Value::Float(r)
}

/// A binary operator on two values, as 1.x's `ValuerEval.evalBinaryExpr` (with integer
/// division producing floats, as the 1.x query engine configures it).
pub(crate) fn binary(op: BinaryOp, lhs: Value, rhs: Value) -> Value {
    use BinaryOp::*;
    let (lhs, rhs) = match (lhs, rhs) {
        (Value::Null, r @ Value::Boolean(_)) => (Value::Boolean(false), r),
        (l @ Value::Boolean(_), Value::Null) => (l, Value::Boolean(false)),
        other => other,
    };
    let cmp_false = || match op {
        Eq | NotEq | Lt | LtEq | Gt | GtEq => Value::Boolean(false),
        _ => Value::Null,
    };
    match (lhs, rhs) {
        (Value::Boolean(l), r) => {
            let rb = match r {
                Value::Boolean(b) => Some(b),
                _ => None,
            };
            match op {
                And | BitAnd => Value::Boolean(rb.is_some_and(|r| l && r)),
                Or | BitOr => Value::Boolean(rb.is_some_and(|r| l || r)),
                BitXor => Value::Boolean(rb.is_some_and(|r| l != r)),
                Eq => Value::Boolean(rb.is_some_and(|r| l == r)),
                NotEq => Value::Boolean(rb.is_some_and(|r| l != r)),
                _ => cmp_false(),
            }
        }
        (Value::Float(l), r) => {
            let Some(r) = as_f64(&r) else {
                return cmp_false();
            };
            float_op(op, l, r)
        }
        (Value::Integer(l), Value::Float(r)) => float_op(op, l as f64, r),
        (Value::Integer(l), Value::Integer(r)) => match op {
            Eq => Value::Boolean(l == r),
            NotEq => Value::Boolean(l != r),
            Lt => Value::Boolean(l < r),
            LtEq => Value::Boolean(l <= r),
            Gt => Value::Boolean(l > r),
            GtEq => Value::Boolean(l >= r),
            Add => Value::Integer(l.wrapping_add(r)),
            Sub => Value::Integer(l.wrapping_sub(r)),
            Mul => Value::Integer(l.wrapping_mul(r)),
            Div => {
                if r == 0 {
                    Value::Float(0.0)
                } else {
                    Value::Float(l as f64 / r as f64)
                }
            }
            Mod => {
                if r == 0 {
                    Value::Integer(0)
                } else {
                    Value::Integer(l.wrapping_rem(r))
                }
            }
            BitAnd => Value::Integer(l & r),
            BitOr => Value::Integer(l | r),
            BitXor => Value::Integer(l ^ r),
            _ => Value::Null,
        },
        (Value::Integer(l), Value::Unsigned(r)) => match op {
            Lt | LtEq if l < 0 => Value::Boolean(true),
            Gt | GtEq if l < 0 => Value::Boolean(false),
            _ => unsigned_op(op, l as u64, r),
        },
        (Value::Unsigned(l), Value::Float(r)) => float_op(op, l as f64, r),
        (Value::Unsigned(l), Value::Integer(r)) => match op {
            Lt | LtEq if r < 0 => Value::Boolean(false),
            Gt | GtEq if r < 0 => Value::Boolean(true),
            _ => unsigned_op(op, l, r as u64),
        },
        (Value::Unsigned(l), Value::Unsigned(r)) => unsigned_op(op, l, r),
        (Value::String(l), r) => match (op, r) {
            (Eq, Value::String(r)) => Value::Boolean(l == r),
            (NotEq, Value::String(r)) => Value::Boolean(l != r),
            // Strings order lexically in conditions (1.x compares tags this way).
            (Lt, Value::String(r)) => Value::Boolean(l < r),
            (LtEq, Value::String(r)) => Value::Boolean(l <= r),
            (Gt, Value::String(r)) => Value::Boolean(l > r),
            (GtEq, Value::String(r)) => Value::Boolean(l >= r),
            _ => cmp_false(),
        },
        _ => cmp_false(),
    }
}

fn float_op(op: BinaryOp, l: f64, r: f64) -> Value {
    use BinaryOp::*;
    match op {
        Eq => Value::Boolean(l == r),
        NotEq => Value::Boolean(l != r),
        Lt => Value::Boolean(l < r),
        LtEq => Value::Boolean(l <= r),
        Gt => Value::Boolean(l > r),
        GtEq => Value::Boolean(l >= r),
        Add => Value::Float(l + r),
        Sub => Value::Float(l - r),
        Mul => Value::Float(l * r),
        Div => Value::Float(if r == 0.0 { 0.0 } else { l / r }),
        Mod => Value::Float(l % r),
        _ => Value::Null,
    }
}

fn unsigned_op(op: BinaryOp, l: u64, r: u64) -> Value {
    use BinaryOp::*;
    match op {
        Eq => Value::Boolean(l == r),
        NotEq => Value::Boolean(l != r),
        Lt => Value::Boolean(l < r),
        LtEq => Value::Boolean(l <= r),
        Gt => Value::Boolean(l > r),
        GtEq => Value::Boolean(l >= r),
        Add => Value::Unsigned(l.wrapping_add(r)),
        Sub => Value::Unsigned(l.wrapping_sub(r)),
        Mul => Value::Unsigned(l.wrapping_mul(r)),
        Div => Value::Unsigned(l.checked_div(r).unwrap_or(0)),
        Mod => Value::Unsigned(l.checked_rem(r).unwrap_or(0)),
        BitAnd => Value::Unsigned(l & r),
        BitOr => Value::Unsigned(l | r),
        BitXor => Value::Unsigned(l ^ r),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_division_is_float_and_by_zero_is_zero() {
        assert_eq!(
            binary(BinaryOp::Div, Value::Integer(7), Value::Integer(2)),
            Value::Float(3.5)
        );
        assert_eq!(
            binary(BinaryOp::Div, Value::Float(7.0), Value::Integer(0)),
            Value::Float(0.0)
        );
        assert_eq!(
            binary(BinaryOp::Mod, Value::Integer(7), Value::Integer(0)),
            Value::Integer(0)
        );
    }

    #[test]
    fn mixed_comparisons() {
        assert_eq!(
            binary(BinaryOp::Gt, Value::Integer(3), Value::Float(2.5)),
            Value::Boolean(true)
        );
        assert_eq!(
            binary(BinaryOp::Eq, Value::String("a".into()), Value::Integer(1)),
            Value::Boolean(false)
        );
        assert_eq!(
            binary(BinaryOp::Add, Value::Null, Value::Float(1.0)),
            Value::Null
        );
        assert_eq!(
            binary(BinaryOp::And, Value::Null, Value::Boolean(true)),
            Value::Boolean(false)
        );
        assert_eq!(
            binary(BinaryOp::Lt, Value::Integer(-1), Value::Unsigned(0)),
            Value::Boolean(true)
        );
    }
}
