//! Wildcards and regexes in the field list expanded against the sources' schema, and the
//! output column names, as 1.x's `RewriteFields` and `ColumnNames` produce them.
//!
//! ```text
//! fields as written + Schema (union of the sources' fields and tags)
//!   raw:  * | *::field | *::tag | /re/ ──► every matching field and tag, sorted by name
//!         (tags the query groups by are left out)
//!   call: f(*) | f(/re/) | g(f(*)) ──► f(field) AS name_field for every field the innermost
//!         call f accepts, sorted by name (name: alias or outer call's name); f(*::tag) errors
//!   ──► Vec<Field> ──► column_names: alias | call name | names inside a binary expression
//!                      joined by `_`; repeats get `_1`, `_2`, …; top/bottom's tag arguments
//!                      add their own columns
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};

use influxql::ast::{DataType, Expr, Field};

use crate::error::ExecError;

/// A field's type as 1.x names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FieldKind {
    /// float
    Float,
    /// integer
    Integer,
    /// unsigned
    Unsigned,
    /// string
    String,
    /// boolean
    Boolean,
}

impl FieldKind {
    /// The name SHOW FIELD KEYS prints.
    pub(crate) fn name(self) -> &'static str {
        match self {
            FieldKind::Float => "float",
            FieldKind::Integer => "integer",
            FieldKind::Unsigned => "unsigned",
            FieldKind::String => "string",
            FieldKind::Boolean => "boolean",
        }
    }

    pub(crate) fn from_schema(t: schema::InfluxFieldType) -> Self {
        match t {
            schema::InfluxFieldType::Float => FieldKind::Float,
            schema::InfluxFieldType::Integer => FieldKind::Integer,
            schema::InfluxFieldType::UInteger => FieldKind::Unsigned,
            schema::InfluxFieldType::String => FieldKind::String,
            schema::InfluxFieldType::Boolean => FieldKind::Boolean,
        }
    }

    /// The InfluxQL type of a field of this kind (`x::float`, …).
    pub(crate) fn data_type(self) -> DataType {
        match self {
            FieldKind::Float => DataType::Float,
            FieldKind::Integer => DataType::Integer,
            FieldKind::Unsigned => DataType::Unsigned,
            FieldKind::String => DataType::String,
            FieldKind::Boolean => DataType::Boolean,
        }
    }

    /// The kind of a field type (`None` for `::tag` and `::field`).
    pub(crate) fn from_data_type(t: DataType) -> Option<Self> {
        match t {
            DataType::Float => Some(FieldKind::Float),
            DataType::Integer => Some(FieldKind::Integer),
            DataType::Unsigned => Some(FieldKind::Unsigned),
            DataType::String => Some(FieldKind::String),
            DataType::Boolean => Some(FieldKind::Boolean),
            DataType::Tag | DataType::Field => None,
        }
    }

    fn numeric(self) -> bool {
        matches!(
            self,
            FieldKind::Float | FieldKind::Integer | FieldKind::Unsigned
        )
    }
}

/// Fields and tags of one or more measurements.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schema {
    /// Fields by name (when measurements disagree on a type, the first one listed wins).
    pub(crate) fields: BTreeMap<String, FieldKind>,
    /// Tag names.
    pub(crate) tags: BTreeSet<String>,
}

impl Schema {
    /// Adds a measurement's columns.
    pub(crate) fn add(&mut self, table: &catalog::TableSchema) {
        for (name, c) in &table.columns {
            match c.column_type {
                schema::InfluxColumnType::Tag => {
                    self.tags.insert(name.clone());
                }
                schema::InfluxColumnType::Field(t) => {
                    self.fields
                        .entry(name.clone())
                        .or_insert(FieldKind::from_schema(t));
                }
                schema::InfluxColumnType::Timestamp => {}
            }
        }
    }
}

/// Which field types a call accepts when a wildcard is expanded inside it.
fn call_accepts(call: &str, kind: FieldKind) -> bool {
    match call {
        "count" | "first" | "last" | "distinct" | "elapsed" | "mode" | "sample" => true,
        "min" | "max" => kind.numeric() || kind == FieldKind::Boolean,
        "holt_winters" | "holt_winters_with_fit" => {
            matches!(kind, FieldKind::Float | FieldKind::Integer)
        }
        _ => kind.numeric(),
    }
}

/// The innermost call of a chain of calls nested through their first argument
/// (`derivative(mean(*))` ──► `mean(*)`), as mutable.
fn innermost_call(e: &mut Expr) -> Option<(&str, &mut Vec<Expr>)> {
    let Expr::Call { name, args } = e else {
        return None;
    };
    if matches!(args.first(), Some(Expr::Call { .. })) {
        return innermost_call(&mut args[0]);
    }
    Some((name.as_str(), args))
}

fn var(name: &str, dt: Option<DataType>) -> Expr {
    Expr::VarRef {
        name: name.to_owned(),
        data_type: dt,
    }
}

/// Expands wildcards and regexes of `fields` against `schema`; `dim_tags` are the tags the
/// query groups by (left out of a raw `*`). A wildcard or regex inside a call is looked for
/// in the innermost call reached through first arguments; a tag wildcard there is an error.
pub(crate) fn expand(
    fields: &[Field],
    schema: &Schema,
    dim_tags: &[String],
) -> Result<Vec<Field>, ExecError> {
    let mut out = Vec::new();
    for f in fields {
        match &f.expr {
            Expr::Wildcard(dt) => expand_raw(&mut out, schema, dim_tags, *dt, None),
            Expr::Regex(re) => expand_raw(&mut out, schema, dim_tags, None, Some(&re.regex)),
            Expr::Call { .. } => {
                let mut template = f.expr.clone();
                let Some((call, args)) = innermost_call(&mut template) else {
                    continue;
                };
                let (dt, re) = match args.first() {
                    Some(Expr::Wildcard(dt)) => (*dt, None),
                    Some(Expr::Regex(r)) => (None, Some(r.regex.clone())),
                    _ => {
                        out.push(f.clone());
                        continue;
                    }
                };
                if dt == Some(DataType::Tag) {
                    return Err(ExecError::Statement(format!(
                        "unable to use tag wildcard in {call}()"
                    )));
                }
                let call = call.to_owned();
                let prefix = field_name(f);
                for (fname, kind) in &schema.fields {
                    if re.as_ref().is_some_and(|r| !r.is_match(fname))
                        || !call_accepts(&call, *kind)
                    {
                        continue;
                    }
                    let mut expr = template.clone();
                    if let Some((_, args)) = innermost_call(&mut expr) {
                        args[0] = var(fname, Some(kind.data_type()));
                    }
                    out.push(Field {
                        expr,
                        alias: Some(format!("{prefix}_{fname}")),
                    });
                }
            }
            _ => out.push(f.clone()),
        }
    }
    Ok(out)
}

fn expand_raw(
    out: &mut Vec<Field>,
    schema: &Schema,
    dim_tags: &[String],
    dt: Option<DataType>,
    re: Option<&regex::Regex>,
) {
    let mut names: Vec<(String, Option<DataType>)> = Vec::new();
    if dt != Some(DataType::Tag) {
        for (n, k) in &schema.fields {
            if re.is_none_or(|r| r.is_match(n)) {
                names.push((n.clone(), Some(k.data_type())));
            }
        }
    }
    if dt != Some(DataType::Field) {
        for t in &schema.tags {
            if dim_tags.contains(t) {
                continue;
            }
            if re.is_none_or(|r| r.is_match(t)) {
                names.push((t.clone(), Some(DataType::Tag)));
            }
        }
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (n, dt) in names {
        out.push(Field {
            expr: var(&n, dt),
            alias: None,
        });
    }
}

/// 1.x's `Field.Name()`: the alias, else a call's name, else the names in a binary
/// expression joined by `_`, else a variable's name.
pub(crate) fn field_name(f: &Field) -> String {
    if let Some(a) = &f.alias {
        return a.clone();
    }
    expr_name(&f.expr)
}

fn expr_name(e: &Expr) -> String {
    match e {
        Expr::Call { name, .. } => name.clone(),
        Expr::Distinct(_) => "distinct".to_owned(),
        Expr::Paren(inner) => expr_name(inner),
        Expr::VarRef { name, .. } => name.clone(),
        Expr::Binary { .. } => {
            let mut names = Vec::new();
            binary_names(e, &mut names);
            names.join("_")
        }
        _ => String::new(),
    }
}

fn binary_names(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::VarRef { name, .. } => out.push(name.clone()),
        Expr::Call { name, .. } => out.push(name.clone()),
        Expr::Distinct(_) => out.push("distinct".to_owned()),
        Expr::Binary { lhs, rhs, .. } => {
            binary_names(lhs, out);
            binary_names(rhs, out);
        }
        Expr::Paren(inner) => binary_names(inner, out),
        _ => {}
    }
}

/// The extra columns top()/bottom() add: their tag/field arguments between the first and last.
pub(crate) fn top_bottom_extra(f: &Field) -> Vec<String> {
    match &f.expr {
        Expr::Call { name, args } if (name == "top" || name == "bottom") && args.len() > 2 => args
            [1..args.len() - 1]
            .iter()
            .filter_map(|a| match a {
                Expr::VarRef { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Output column names (without the time column), as 1.x's `ColumnNames`.
pub(crate) fn column_names(fields: &[Field]) -> Vec<String> {
    let mut cols: Vec<(Option<String>, String)> = Vec::new();
    for f in fields {
        cols.push((f.alias.clone(), field_name(f)));
        for extra in top_bottom_extra(f) {
            cols.push((None, extra));
        }
    }
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Option<String>> = vec![None; cols.len()];
    for (i, (alias, _)) in cols.iter().enumerate() {
        if let Some(a) = alias {
            out[i] = Some(a.clone());
            names.insert(a.clone(), 1);
        }
    }
    for (i, (_, name)) in cols.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        let mut name = name.clone();
        if let Some(&count) = names.get(&name) {
            let mut count = count;
            loop {
                let candidate = format!("{name}_{count}");
                if !names.contains_key(&candidate) {
                    names.insert(name.clone(), count + 1);
                    name = candidate;
                    break;
                }
                count += 1;
            }
        }
        *names.entry(name.clone()).or_insert(0) += 1;
        out[i] = Some(name);
    }
    out.into_iter().map(Option::unwrap_or_default).collect()
}
