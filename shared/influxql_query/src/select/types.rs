//! 1.x's type check of the SELECT fields (influxql's `TypeValuerEval`): a binary operator over
//! operands whose types it has no result for is the statement error
//! `type error: <expr with ::types>: incompatible types: <lhs> and <rhs>`.
//!
//! ```text
//! field expr ──► type_of (var refs: cast, else the schema's field type or tag; literals;
//!   calls: unknown) ──► binary: unknown side ⇒ the other; numeric ⊕ numeric ⇒ numeric;
//!   bool & | ^ bool ⇒ bool; anything else ⇒ TypeError
//! ```

use influxql::ast::{BinaryOp, DataType, Expr};

use super::compile::stmt_err;
use super::fields::{FieldKind, Schema};
use crate::ExecError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Unknown,
    Float,
    Integer,
    Unsigned,
    String,
    Boolean,
    Tag,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Unknown => "unknown",
            Type::Float => "float",
            Type::Integer => "integer",
            Type::Unsigned => "unsigned",
            Type::String => "string",
            Type::Boolean => "boolean",
            Type::Tag => "tag",
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Type::Float | Type::Integer | Type::Unsigned)
    }

    fn data_type(self) -> Option<DataType> {
        Some(match self {
            Type::Float => DataType::Float,
            Type::Integer => DataType::Integer,
            Type::Unsigned => DataType::Unsigned,
            Type::String => DataType::String,
            Type::Boolean => DataType::Boolean,
            Type::Tag => DataType::Tag,
            Type::Unknown => return None,
        })
    }
}

fn ref_type(name: &str, data_type: Option<DataType>, schema: &Schema) -> Type {
    match data_type {
        Some(DataType::Float) => Type::Float,
        Some(DataType::Integer) => Type::Integer,
        Some(DataType::Unsigned) => Type::Unsigned,
        Some(DataType::String) => Type::String,
        Some(DataType::Boolean) => Type::Boolean,
        Some(DataType::Tag) => Type::Tag,
        Some(DataType::Field) | None => match schema.fields.get(name) {
            Some(FieldKind::Float) => Type::Float,
            Some(FieldKind::Integer) => Type::Integer,
            Some(FieldKind::Unsigned) => Type::Unsigned,
            Some(FieldKind::String) => Type::String,
            Some(FieldKind::Boolean) => Type::Boolean,
            None if schema.tags.contains(name) && data_type.is_none() => Type::Tag,
            None => Type::Unknown,
        },
    }
}

/// `e` with every variable annotated with its type (as 1.x prints it in the error).
fn annotated(e: &Expr, schema: &Schema) -> Expr {
    match e {
        Expr::VarRef { name, data_type } => Expr::VarRef {
            name: name.clone(),
            data_type: ref_type(name, *data_type, schema)
                .data_type()
                .or(*data_type),
        },
        Expr::Binary { op, lhs, rhs } => Expr::Binary {
            op: *op,
            lhs: Box::new(annotated(lhs, schema)),
            rhs: Box::new(annotated(rhs, schema)),
        },
        Expr::Paren(inner) => Expr::Paren(Box::new(annotated(inner, schema))),
        other => other.clone(),
    }
}

fn type_of(e: &Expr, schema: &Schema) -> Result<Type, ExecError> {
    Ok(match e {
        Expr::VarRef { name, data_type } => ref_type(name, *data_type, schema),
        Expr::Integer(_) | Expr::Duration(_) => Type::Integer,
        Expr::Unsigned(_) => Type::Unsigned,
        Expr::Number(_) => Type::Float,
        Expr::String(_) => Type::String,
        Expr::Boolean(_) => Type::Boolean,
        Expr::Paren(inner) => type_of(inner, schema)?,
        Expr::Binary { op, lhs, rhs } => {
            let (l, r) = (type_of(lhs, schema)?, type_of(rhs, schema)?);
            if l == Type::Unknown {
                return Ok(r);
            }
            if r == Type::Unknown {
                return Ok(l);
            }
            let arithmetic = matches!(
                op,
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod
            );
            let bitwise = matches!(op, BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor);
            let ok = (arithmetic && l.numeric() && r.numeric())
                || (bitwise
                    && ((l == r && matches!(l, Type::Integer | Type::Unsigned | Type::Boolean))
                        || (l.numeric() && r.numeric() && l != Type::Float && r != Type::Float)))
                || !(arithmetic || bitwise);
            if !ok {
                return Err(stmt_err(format!(
                    "type error: {}: incompatible types: {} and {}",
                    annotated(e, schema),
                    l.name(),
                    r.name()
                )));
            }
            if l == Type::Float || r == Type::Float || matches!(op, BinaryOp::Div) {
                Type::Float
            } else {
                l
            }
        }
        _ => Type::Unknown,
    })
}

/// Checks every field expression as 1.x does before it runs a statement.
pub(crate) fn check(fields: &[influxql::ast::Field], schema: &Schema) -> Result<(), ExecError> {
    for f in fields {
        type_of(&f.expr, schema)?;
    }
    Ok(())
}
