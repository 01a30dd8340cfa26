//! 1.x's cursor map: the variables of each output row (fields, tags, calls) read into a map
//! kept for the whole series, so fill(N) / fill(previous) reach the field expressions.
//!
//! ```text
//! output row ──► VarFill::fill_row (missing variable → fill(N) cast to its type | the
//!   series' previous value | null) ──► Filled (a Row whose variables come first) ──► eval
//! series rows ──► cursor_fill (columns that are a variable or a non-math call)
//! ```

use std::collections::BTreeMap;

use influxql::ast::{DataType, Expr};
use v1_query::result::Value;

use super::{Plan, fields};
use crate::eval::Row;

/// 1.x's cursor map (`query/cursor.go`, `scannerCursorBase.Scan`; the iterator scanners'
/// `ScanAt` / `useDefaults` in `query/iterator.gen.go`): each output row's variables are read
/// into a map kept for the whole series, and the field expressions are evaluated over it. A
/// variable the row has no value for gets fill(N)'s number cast to the variable's type
/// (`castToType`: an integer field truncates a float), or under fill(previous) keeps the
/// series' previous value; other fills leave it null. So `free * 2` under fill(0) is 0 where
/// the row has no `free`.
pub(crate) struct VarFill<'a> {
    fill: &'a influxql::ast::Fill,
    kinds: &'a BTreeMap<String, fields::FieldKind>,
    previous: Vec<(VarKey, Value)>,
}

/// A variable: its name and `::type`.
type VarKey = (String, Option<DataType>);

/// A row whose variables come from [`VarFill::fill_row`] first.
pub(crate) struct Filled<'a> {
    pub(crate) inner: &'a dyn Row,
    pub(crate) vars: Vec<(VarKey, Value)>,
}

impl Row for Filled<'_> {
    fn get(&self, name: &str, data_type: Option<DataType>) -> Value {
        match self
            .vars
            .iter()
            .find(|((n, dt), _)| n == name && *dt == data_type)
        {
            Some((_, v)) => v.clone(),
            None => self.inner.get(name, data_type),
        }
    }

    fn call(&self, expr: &Expr) -> Value {
        self.inner.call(expr)
    }
}

impl<'a> VarFill<'a> {
    /// A map for one series of `plan`'s statement.
    pub(crate) fn new(plan: &'a Plan<'_>) -> Self {
        VarFill {
            fill: &plan.stmt.fill,
            kinds: &plan.field_kinds,
            previous: Vec::new(),
        }
    }

    /// Does the fill put anything into the map?
    pub(crate) fn active(&self) -> bool {
        use influxql::ast::Fill;
        matches!(
            self.fill,
            Fill::Previous | Fill::Integer(_) | Fill::Float(_)
        )
    }

    /// The values of `refs` for `row`, filled, in a row that evaluates over them.
    pub(crate) fn fill_row<'r>(
        &mut self,
        refs: &[(String, Option<DataType>)],
        row: &'r dyn Row,
    ) -> Filled<'r> {
        use fields::FieldKind;
        use influxql::ast::Fill;
        let mut vars = Vec::with_capacity(refs.len());
        for (name, dt) in refs {
            let key = (name.clone(), *dt);
            let mut v = row.get(name, *dt);
            if v == Value::Null {
                let kind = match dt {
                    Some(DataType::Float) => Some(FieldKind::Float),
                    Some(DataType::Integer) => Some(FieldKind::Integer),
                    Some(DataType::Unsigned) => Some(FieldKind::Unsigned),
                    Some(DataType::Tag | DataType::String | DataType::Boolean) => None,
                    _ => self.kinds.get(name).copied(),
                };
                v = match (self.fill, kind) {
                    (Fill::Previous, _) => self
                        .previous
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, v)| v.clone())
                        .unwrap_or(Value::Null),
                    (Fill::Integer(i), Some(FieldKind::Float)) => Value::Float(*i as f64),
                    (Fill::Integer(i), Some(FieldKind::Unsigned)) => Value::Unsigned(*i as u64),
                    (Fill::Integer(i), _) => Value::Integer(*i),
                    // Go's int64(float64) / uint64(float64): truncation toward zero.
                    (Fill::Float(x), Some(FieldKind::Integer)) => Value::Integer(*x as i64),
                    (Fill::Float(x), Some(FieldKind::Unsigned)) => Value::Unsigned(*x as u64),
                    (Fill::Float(x), _) => Value::Float(*x),
                    _ => Value::Null,
                };
            } else {
                match self.previous.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, p)) => *p = v.clone(),
                    None => self.previous.push((key.clone(), v.clone())),
                }
            }
            vars.push((key, v));
        }
        Filled { inner: row, vars }
    }
}

/// 1.x's cursor reads each output row's variables (fields, tags, calls) into a map kept for
/// the whole series: a null there becomes fill(N)'s number (cast to the column's integer
/// type) or, with fill(previous), keeps the series' previous value — raw and aggregate
/// queries alike, in output order (after ORDER BY, OFFSET and LIMIT); a subquery's statement
/// runs through a cursor too. Applied to the columns that are a variable or a non-math call;
/// a math expression stays as evaluated.
pub(crate) fn cursor_fill(
    fill: &influxql::ast::Fill,
    fields: &[influxql::ast::Field],
    rows: &mut [Vec<Value>],
) {
    use influxql::ast::Fill;
    if !matches!(fill, Fill::Previous | Fill::Integer(_) | Fill::Float(_)) {
        return;
    }
    fn bare(e: &Expr) -> bool {
        match e {
            Expr::Paren(inner) => bare(inner),
            Expr::VarRef { .. } | Expr::Distinct(_) => true,
            Expr::Call { name, .. } => !crate::eval::is_math_function(name),
            _ => false,
        }
    }
    // Output column (after time) ──► whether the map fills it.
    let mut cols = Vec::new();
    for f in fields {
        cols.push(bare(&f.expr));
        cols.extend(fields::top_bottom_extra(f).iter().map(|_| true));
    }
    for (c, &fills) in cols.iter().enumerate() {
        let c = c + 1;
        if !fills {
            continue;
        }
        let integer = rows
            .iter()
            .any(|r| matches!(r.get(c), Some(Value::Integer(_) | Value::Unsigned(_))));
        let mut previous = Value::Null;
        for row in rows.iter_mut() {
            let Some(v) = row.get_mut(c) else { continue };
            if *v != Value::Null {
                previous = v.clone();
                continue;
            }
            *v = match fill {
                Fill::Previous => previous.clone(),
                Fill::Integer(i) => Value::Integer(*i),
                // Go's int64(float64): truncation toward zero.
                Fill::Float(x) if integer => Value::Integer(*x as i64),
                Fill::Float(x) => Value::Float(*x),
                _ => Value::Null,
            };
        }
    }
}
