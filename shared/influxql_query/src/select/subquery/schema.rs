//! What a subquery's outer query sees before anything runs: the subqueries of a FROM checked
//! as 1.x's compile checks them, and each one's columns with their types.
//!
//! ```text
//! SelectStatement ──► subqueries / check_subqueries (nesting, intervals, 1.x's errors)
//!   ──► sub_schema per subquery: inner field names + expr_type (1.x's EvalType),
//!       dims = inner GROUP BY tags, top()/bottom() tag arguments as extra columns
//!   ──► union (the outer's Schema and tags) ──► name_types (a type per name for casts)
//! ```

use std::collections::{BTreeMap, HashMap};

use influxql::ast::{DataType, Expr, Fill, SelectStatement, Source};

use super::super::compile::{self, stmt_err};
use super::super::fields::{self, FieldKind, Schema, top_bottom_extra};
use crate::ExecError;
use crate::eval::is_math_function;

/// The type of a subquery column (1.x's `EvalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColType {
    Unknown,
    Field(FieldKind),
    Tag,
    /// A top()/bottom() tag argument's column: readable by name, not a field of the subquery.
    Extra,
}

/// A subquery's columns as its outer query sees them.
#[derive(Debug, Clone)]
pub(crate) struct SubSchema {
    /// Column names (time left out) and types.
    pub(super) columns: Vec<(String, ColType)>,
    /// Its GROUP BY tags (wildcards resolved).
    pub(super) dims: Vec<String>,
    /// The types of top()/bottom()'s tag arguments (readable by name, not listed by `*`).
    pub(super) extra: Vec<(String, ColType)>,
}

impl SubSchema {
    pub(super) fn index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }
}

/// True when a source of `stmt` is a subquery.
pub(crate) fn has_subquery(stmt: &SelectStatement) -> bool {
    stmt.sources
        .iter()
        .any(|s| matches!(s, Source::Subquery(_)))
}

pub(crate) fn subqueries(stmt: &SelectStatement) -> Result<Vec<&SelectStatement>, ExecError> {
    stmt.sources
        .iter()
        .map(|s| match s {
            Source::Subquery(inner) => Ok(inner.as_ref()),
            Source::Measurement(_) => Err(stmt_err(
                "mixing measurements and subqueries in FROM is not supported yet",
            )),
        })
        .collect()
}

/// 1.x compiles every subquery once the outer statement compiled (`interval`: the outer's
/// GROUP BY time, which a subquery without one inherits).
pub(crate) fn check_subqueries(
    stmt: &SelectStatement,
    ascending: bool,
    interval: Option<(i64, i64)>,
    now: i64,
) -> Result<(), ExecError> {
    for s in &stmt.sources {
        if let Source::Subquery(inner) = s {
            // 1.x compiles a subquery with GROUP BY time and fill(null) as fill(none).
            let mut probe = inner.as_ref().clone();
            if probe.fill == Fill::Null && has_interval(&probe) {
                probe.fill = Fill::None;
            }
            let compiled = compile::compile_with(&probe, now, interval)?;
            if !inner.order_by.is_empty() && inner.time_ascending() != ascending {
                return Err(stmt_err(
                    "subqueries must be ordered in the same direction as the query itself",
                ));
            }
            check_subqueries(inner, ascending, compiled.interval, now)?;
        }
    }
    Ok(())
}

/// True when `stmt` groups by a positive `time()` interval.
pub(super) fn has_interval(stmt: &SelectStatement) -> bool {
    stmt.dimensions.iter().any(|d| {
        matches!(&d.expr, Expr::Call { name, args } if name == "time"
            && matches!(args.first(), Some(Expr::Duration(d)) if *d > 0))
    })
}

/// The fields and tags the sources of `stmt` offer, and the tags `GROUP BY *` means.
pub(super) fn source_schema(
    stmt: &SelectStatement,
    tables: &BTreeMap<String, catalog::TableSchema>,
    interval: Option<(i64, i64)>,
    now: i64,
) -> Result<(Schema, Vec<String>), ExecError> {
    if has_subquery(stmt) {
        let subs = subqueries(stmt)?
            .into_iter()
            .map(|s| sub_schema(s, tables, interval, now))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(union(&subs));
    }
    let mut schema = Schema::default();
    for n in super::super::measurements(stmt, tables)? {
        if let Some(t) = tables.get(&n) {
            schema.add(t);
        }
    }
    let tags = schema.tags.iter().cloned().collect();
    Ok((schema, tags))
}

/// The columns of subquery `stmt`: its expanded fields by output name, with their types.
pub(crate) fn sub_schema(
    stmt: &SelectStatement,
    tables: &BTreeMap<String, catalog::TableSchema>,
    interval: Option<(i64, i64)>,
    now: i64,
) -> Result<SubSchema, ExecError> {
    let compiled = compile::compile_with(stmt, now, interval)?;
    let (schema, avail) = source_schema(stmt, tables, compiled.interval, now)?;
    let dims = compiled.dims.resolve(avail.iter());
    let fields = fields::expand(&compiled.fields, &schema, &dims)?;
    // Named as 1.x's `Field.Name()` names them (repeated names not numbered: the first
    // column of a name is the one read), top()/bottom()'s tag arguments by their own names.
    let names: Vec<String> = fields
        .iter()
        .flat_map(|f| std::iter::once(fields::field_name(f)).chain(top_bottom_extra(f)))
        .collect();
    let mut columns = Vec::with_capacity(names.len());
    let mut extra = Vec::new();
    let mut names = names.into_iter();
    for f in &fields {
        if let Some(n) = names.next() {
            columns.push((n, expr_type(&f.expr, &schema)));
        }
        for arg in top_bottom_extra(f) {
            if let Some(n) = names.next() {
                let t = expr_type(
                    &Expr::VarRef {
                        name: arg.clone(),
                        data_type: None,
                    },
                    &schema,
                );
                extra.push((arg.clone(), t));
                columns.push((n, ColType::Extra));
            }
        }
    }
    Ok(SubSchema {
        columns,
        dims,
        extra,
    })
}

/// The subqueries' columns merged as 1.x's `FieldDimensions` merges them (a larger type wins):
/// fields, tag-typed columns and GROUP BY tags as tags; and the GROUP BY tags.
pub(crate) fn union(subs: &[SubSchema]) -> (Schema, Vec<String>) {
    let mut schema = Schema::default();
    let mut dims = Vec::new();
    for s in subs {
        for (name, t) in &s.columns {
            match t {
                ColType::Field(k) => {
                    let e = schema.fields.entry(name.clone()).or_insert(*k);
                    if *k > *e {
                        *e = *k;
                    }
                }
                ColType::Tag => {
                    schema.tags.insert(name.clone());
                }
                ColType::Unknown | ColType::Extra => {}
            }
        }
        for d in &s.dims {
            schema.tags.insert(d.clone());
            dims.push(d.clone());
        }
    }
    dims.sort();
    dims.dedup();
    (schema, dims)
}

pub(super) fn kind_of(t: DataType) -> ColType {
    match t {
        DataType::Float => ColType::Field(FieldKind::Float),
        DataType::Integer => ColType::Field(FieldKind::Integer),
        DataType::Unsigned => ColType::Field(FieldKind::Unsigned),
        DataType::String => ColType::Field(FieldKind::String),
        DataType::Boolean => ColType::Field(FieldKind::Boolean),
        DataType::Tag => ColType::Tag,
        DataType::Field => ColType::Unknown,
    }
}

/// 1.x's `EvalType` of a field expression over `schema` (with its function type mappers).
pub(crate) fn expr_type(e: &Expr, schema: &Schema) -> ColType {
    match e {
        Expr::VarRef { name, data_type } => match data_type {
            Some(DataType::Field) | None => match schema.fields.get(name) {
                Some(k) => ColType::Field(*k),
                None if schema.tags.contains(name) && data_type.is_none() => ColType::Tag,
                None => ColType::Unknown,
            },
            Some(t) => kind_of(*t),
        },
        Expr::Distinct(name) => expr_type(
            &Expr::VarRef {
                name: name.clone(),
                data_type: None,
            },
            schema,
        ),
        Expr::Integer(_) | Expr::Duration(_) => ColType::Field(FieldKind::Integer),
        Expr::Unsigned(_) => ColType::Field(FieldKind::Unsigned),
        Expr::Number(_) => ColType::Field(FieldKind::Float),
        Expr::String(_) => ColType::Field(FieldKind::String),
        Expr::Boolean(_) => ColType::Field(FieldKind::Boolean),
        Expr::Paren(inner) => expr_type(inner, schema),
        Expr::Call { name, args } => {
            let arg0 = args
                .first()
                .map_or(ColType::Unknown, |a| expr_type(a, schema));
            if is_math_function(name) {
                return match name.as_str() {
                    "abs" | "ceil" | "floor" | "round" => arg0,
                    _ => ColType::Field(FieldKind::Float),
                };
            }
            match name.as_str() {
                "mean"
                | "median"
                | "integral"
                | "stddev"
                | "derivative"
                | "non_negative_derivative"
                | "moving_average"
                | "holt_winters"
                | "holt_winters_with_fit" => ColType::Field(FieldKind::Float),
                "count" | "elapsed" => ColType::Field(FieldKind::Integer),
                n if super::super::analysis::Kind::of(n).is_some() => {
                    ColType::Field(FieldKind::Float)
                }
                _ => arg0,
            }
        }
        Expr::Binary { op, lhs, rhs } => {
            use influxql::ast::BinaryOp as Op;
            let (l, r) = (expr_type(lhs, schema), expr_type(rhs, schema));
            if l == ColType::Unknown {
                return r;
            }
            if r == ColType::Unknown {
                return l;
            }
            match op {
                Op::Add
                | Op::Sub
                | Op::Mul
                | Op::Div
                | Op::Mod
                | Op::BitAnd
                | Op::BitOr
                | Op::BitXor => match (l, r) {
                    (ColType::Field(FieldKind::Float), _)
                    | (_, ColType::Field(FieldKind::Float)) => ColType::Field(FieldKind::Float),
                    (ColType::Field(a), ColType::Field(b)) if a == b => l,
                    (ColType::Field(FieldKind::Integer), ColType::Field(FieldKind::Unsigned))
                    | (ColType::Field(FieldKind::Unsigned), ColType::Field(FieldKind::Integer)) => {
                        ColType::Field(FieldKind::Unsigned)
                    }
                    _ => ColType::Unknown,
                },
                _ => ColType::Field(FieldKind::Boolean),
            }
        }
        _ => ColType::Unknown,
    }
}

/// The outer's type of every name it can read (for 1.x's casts), top()/bottom()'s tag
/// arguments included.
pub(super) fn name_types(schema: &Schema, subs: &[SubSchema]) -> HashMap<String, DataType> {
    let mut out: HashMap<String, DataType> = HashMap::new();
    for s in subs {
        for (n, t) in &s.extra {
            let t = match t {
                ColType::Field(FieldKind::Float) => DataType::Float,
                ColType::Field(FieldKind::Integer) => DataType::Integer,
                ColType::Field(FieldKind::Unsigned) => DataType::Unsigned,
                ColType::Field(FieldKind::String) => DataType::String,
                ColType::Field(FieldKind::Boolean) => DataType::Boolean,
                ColType::Tag => DataType::Tag,
                ColType::Unknown | ColType::Extra => continue,
            };
            out.insert(n.clone(), t);
        }
    }
    out.extend(schema.tags.iter().map(|t| (t.clone(), DataType::Tag)));
    for (n, k) in &schema.fields {
        out.insert(n.clone(), k.data_type());
    }
    out
}
