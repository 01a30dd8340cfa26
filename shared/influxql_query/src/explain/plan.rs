//! The statement 1.x's planner sees (`RewriteFields`: wildcards expanded, variables typed) and
//! the cursor tree it builds from it (`buildCursor` ──► iterator scanners ──► create_iterator).
//!
//! ```text
//! SelectStatement + measurements holding data ──► Typed ──► Planner::build_cursor
//!   ──► CursorNode { scanners: call | auxiliary fields ──► create_iterator per source }
//! ```

use super::*;

/// A SELECT as 1.x's planner sees it after `RewriteFields`.
pub(super) struct Typed {
    /// The statement as 1.x prints it in a `build_cursor` label.
    pub(super) label: SelectStatement,
    /// Its fields, expanded and typed.
    pub(super) fields: Vec<Field>,
    /// The WHERE without the time range, typed.
    pub(super) filter: Option<Expr>,
    /// The range its iterators read.
    pub(super) range: TimeRange,
    /// Its sources: a measurement (name or regex) or a subquery.
    pub(super) sources: Vec<TypedSource>,
    /// Its GROUP BY tags as written (a subquery's columns the outer query can read).
    pub(super) dims: Vec<String>,
}

pub(super) enum TypedSource {
    Measurement(Selector),
    Subquery(Box<Typed>),
}

/// The measurement(s) one `create_iterator` reads.
#[derive(Clone)]
pub(super) enum Selector {
    Name(String),
    Regex(regex::Regex),
}

pub(super) struct Planner<'a> {
    /// The tables holding data in the mapped shard groups (1.x's field mapper knows only those).
    pub(super) live: &'a BTreeMap<String, catalog::TableSchema>,
    pub(super) now: i64,
    pub(super) target: &'a Target,
}

impl Planner<'_> {
    /// `stmt` typed as 1.x rewrites it; `outer`: the outer query's range (a subquery's
    /// iterators read the intersection).
    pub(super) fn typed(
        &self,
        stmt: &SelectStatement,
        inherited: Option<(i64, i64)>,
        outer: Option<TimeRange>,
        outermost: bool,
    ) -> Result<Typed, ExecError> {
        let compiled = compile::compile_with(stmt, self.now, inherited)?;
        let (filter, mut range) = condition::split(stmt.condition.as_ref(), self.now)?;
        let filter = filter.map(|f| condition::substitute_now(&f, self.now));
        if compiled.interval.is_some() && range.max.is_none() {
            range.max = Some(self.now);
        }
        if let Some(o) = outer {
            range = range.intersect(o);
        }
        let mut sources = Vec::new();
        let mut label_sources = Vec::new();
        let (schema, avail) = if subquery::has_subquery(stmt) {
            let inners = subquery::subqueries(stmt)?;
            let schemas = inners
                .iter()
                .map(|s| subquery::sub_schema(s, self.live, compiled.interval, self.now))
                .collect::<Result<Vec<_>, _>>()?;
            for inner in inners {
                let t = self.typed(inner, compiled.interval, Some(range), false)?;
                label_sources.push(Source::Subquery(Box::new(t.label.clone())));
                sources.push(TypedSource::Subquery(Box::new(t)));
            }
            subquery::union(&schemas)
        } else {
            for s in &stmt.sources {
                if let Source::Measurement(m) = s {
                    let sel = match &m.name {
                        Some(MeasurementName::Name(n)) => Selector::Name(n.clone()),
                        Some(MeasurementName::Regex(r)) => Selector::Regex(r.regex.clone()),
                        None => continue,
                    };
                    sources.push(TypedSource::Measurement(sel));
                    label_sources.push(Source::Measurement(self.qualified(m)));
                }
            }
            let schema = measurement_schema(stmt, self.live)?;
            let tags = schema.tags.iter().cloned().collect();
            (schema, tags)
        };
        let dim_tags = compiled.dims.resolve(avail.iter());
        let mut fields = fields::expand(&compiled.fields, &schema, &dim_tags)?;
        for f in &mut fields {
            type_expr(&mut f.expr, &schema);
        }
        let filter = filter.map(|mut f| {
            type_expr(&mut f, &schema);
            f
        });
        let mut label = stmt.clone();
        label.fields = fields.clone();
        label.sources = label_sources;
        label.condition = if outermost {
            filter.clone()
        } else {
            stmt.condition.clone().map(|mut c| {
                type_expr(&mut c, &schema);
                c
            })
        };
        let dims = stmt
            .dimensions
            .iter()
            .filter_map(|d| match &d.expr {
                Expr::VarRef { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        Ok(Typed {
            label,
            fields,
            filter,
            range,
            sources,
            dims,
        })
    }

    /// `m` named as 1.x prints a source: `db.rp.name`.
    pub(super) fn qualified(&self, m: &Measurement) -> Measurement {
        let mut q = m.clone();
        if q.database.as_deref().is_none_or(str::is_empty) {
            q.database = Some(self.target.database.clone());
        }
        if q.retention_policy.as_deref().is_none_or(str::is_empty) {
            q.retention_policy = Some(self.target.retention_policy.clone());
        }
        q
    }

    /// 1.x's `buildCursor`: one iterator scanner per call (the auxiliary fields riding along),
    /// or one for the auxiliary fields of a raw query.
    pub(super) fn cursor(&self, t: &Typed) -> Result<CursorNode, ExecError> {
        let (calls, mut refs) = map_values(&t.fields);
        refs.sort_by_key(ref_key);
        let aux_text = refs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let mut scanners = Vec::new();
        if calls.is_empty() {
            // All references of unknown type: 1.x's null cursor, no iterator.
            if refs.iter().any(|r| var_type(r).is_some()) {
                let mut inputs = Vec::new();
                for s in &t.sources {
                    match s {
                        TypedSource::Measurement(sel) => {
                            inputs.push(Input::Create(CreateNode::new(None, &refs, sel, t)));
                        }
                        TypedSource::Subquery(inner) => {
                            inputs.push(Input::Cursor(self.cursor(inner)?));
                        }
                    }
                }
                scanners.push(ScannerNode {
                    labels: vec![("auxiliary_fields".to_owned(), aux_text)],
                    inputs,
                });
            }
        } else {
            let schema = typed_schema(&t.fields);
            for call in &calls {
                if subquery::expr_type(call, &schema) == ColType::Unknown {
                    // The primary driver of this call is of unknown type: skipped.
                    continue;
                }
                let mut labels = Vec::new();
                if !refs.is_empty() {
                    labels.push(("auxiliary_fields".to_owned(), aux_text.clone()));
                }
                labels.push(("expr".to_owned(), call.to_string()));
                let inputs = self.expr_inputs(call, t, &refs)?;
                scanners.push(ScannerNode { labels, inputs });
            }
        }
        Ok(CursorNode {
            statement: t.label.to_string(),
            scanners,
        })
    }

    /// 1.x's `buildExprIterator`: the iterators an expression reads through.
    pub(super) fn expr_inputs(
        &self,
        e: &Expr,
        t: &Typed,
        aux: &[Expr],
    ) -> Result<Vec<Input>, ExecError> {
        let Expr::Call { name, args } = e else {
            return self.varref_inputs(e, t, aux);
        };
        let Some(arg0) = args.first() else {
            return Ok(Vec::new());
        };
        match name.as_str() {
            "distinct"
            | "sample"
            | "holt_winters"
            | "holt_winters_with_fit"
            | "derivative"
            | "non_negative_derivative"
            | "difference"
            | "non_negative_difference"
            | "moving_average"
            | "exponential_moving_average"
            | "double_exponential_moving_average"
            | "triple_exponential_moving_average"
            | "relative_strength_index"
            | "triple_exponential_derivative"
            | "kaufmans_efficiency_ratio"
            | "kaufmans_adaptive_moving_average"
            | "chande_momentum_oscillator"
            | "elapsed"
            | "cumulative_sum"
            | "integral"
            | "median"
            | "mode"
            | "stddev"
            | "spread"
            | "percentile" => self.expr_inputs(arg0, t, aux),
            "top" | "bottom" if args.len() > 2 => {
                let reduce = if name == "top" { "max" } else { "min" };
                let call = Expr::Call {
                    name: reduce.to_owned(),
                    args: vec![arg0.clone()],
                };
                self.call_inputs(&call, t, aux)
            }
            "top" | "bottom" => self.varref_inputs(arg0, t, aux),
            "count" if matches!(arg0, Expr::Call { name, .. } if name == "distinct") => {
                self.expr_inputs(arg0, t, aux)
            }
            _ => self.call_inputs(e, t, aux),
        }
    }

    /// 1.x's `buildVarRefIterator`: a measurement's iterator of `e`, or a subquery's cursor
    /// when one of its columns is named `e`.
    pub(super) fn varref_inputs(
        &self,
        e: &Expr,
        t: &Typed,
        aux: &[Expr],
    ) -> Result<Vec<Input>, ExecError> {
        let mut inputs = Vec::new();
        for s in &t.sources {
            match s {
                TypedSource::Measurement(sel) => {
                    inputs.push(Input::Create(CreateNode::new(Some(e.clone()), aux, sel, t)));
                }
                TypedSource::Subquery(inner) => {
                    if let Expr::VarRef { name, .. } = e
                        && maps_column(inner, name)
                    {
                        inputs.push(Input::Cursor(self.cursor(inner)?));
                    }
                }
            }
        }
        Ok(inputs)
    }

    /// 1.x's `callIterator`: the call pushed to each measurement; over a subquery, the cursor
    /// read by its first argument.
    pub(super) fn call_inputs(
        &self,
        call: &Expr,
        t: &Typed,
        aux: &[Expr],
    ) -> Result<Vec<Input>, ExecError> {
        let mut inputs = Vec::new();
        for s in &t.sources {
            match s {
                TypedSource::Measurement(sel) => {
                    inputs.push(Input::Create(CreateNode::new(
                        Some(call.clone()),
                        aux,
                        sel,
                        t,
                    )));
                }
                TypedSource::Subquery(inner) => {
                    if let Expr::Call { args, .. } = call
                        && let Some(Expr::VarRef { name, .. }) = args.first()
                        && maps_column(inner, name)
                    {
                        inputs.push(Input::Cursor(self.cursor(inner)?));
                    }
                }
            }
        }
        Ok(inputs)
    }
}

/// 1.x's `mapAuxField`: a subquery column (field name, top()/bottom() tag argument or GROUP BY
/// tag) named `name`.
pub(super) fn maps_column(t: &Typed, name: &str) -> bool {
    t.fields.iter().any(|f| {
        fields::field_name(f) == name || fields::top_bottom_extra(f).iter().any(|a| a == name)
    }) || t.dims.iter().any(|d| d == name)
}

/// A schema in which each typed variable of `fields` has its type (for 1.x's call types).
pub(super) fn typed_schema(fields: &[Field]) -> Schema {
    let mut schema = Schema::default();
    pub(super) fn walk(e: &Expr, schema: &mut Schema) {
        match e {
            Expr::VarRef {
                name,
                data_type: Some(t),
            } => match FieldKind::from_data_type(*t) {
                Some(k) => {
                    schema.fields.entry(name.clone()).or_insert(k);
                }
                None if *t == DataType::Tag => {
                    schema.tags.insert(name.clone());
                }
                None => {}
            },
            Expr::Call { args, .. } => args.iter().for_each(|a| walk(a, schema)),
            Expr::Binary { lhs, rhs, .. } => {
                walk(lhs, schema);
                walk(rhs, schema);
            }
            Expr::Paren(inner) => walk(inner, schema),
            _ => {}
        }
    }
    for f in fields {
        walk(&f.expr, &mut schema);
    }
    schema
}

/// 1.x's `RewriteFields` typing: a variable without a type gets its field type, else `tag`
/// when it is a tag, else stays untyped; `DISTINCT x` is the call `distinct(x)`.
pub(super) fn type_expr(e: &mut Expr, schema: &Schema) {
    match e {
        Expr::VarRef {
            name,
            data_type: dt,
        } if dt.is_none() || *dt == Some(DataType::Field) => {
            if let Some(k) = schema.fields.get(name) {
                *dt = Some(k.data_type());
            } else if dt.is_none() && schema.tags.contains(name) {
                *dt = Some(DataType::Tag);
            }
        }
        Expr::Distinct(name) => {
            let mut arg = Expr::VarRef {
                name: name.clone(),
                data_type: None,
            };
            type_expr(&mut arg, schema);
            *e = Expr::Call {
                name: "distinct".to_owned(),
                args: vec![arg],
            };
        }
        Expr::Call { args, .. } => args.iter_mut().for_each(|a| type_expr(a, schema)),
        Expr::Binary { lhs, rhs, .. } => {
            type_expr(lhs, schema);
            type_expr(rhs, schema);
        }
        Expr::Paren(inner) => type_expr(inner, schema),
        _ => {}
    }
}

/// 1.x's `valueMapper`: the calls (not math functions; a call is not looked into) and the
/// variables of the fields, each expression once (by its text), in field order;
/// top()/bottom()'s tag arguments are variables of their own.
pub(super) fn map_values(fields: &[Field]) -> (Vec<Expr>, Vec<Expr>) {
    pub(super) fn visit(
        e: &Expr,
        seen: &mut HashSet<String>,
        calls: &mut Vec<Expr>,
        refs: &mut Vec<Expr>,
    ) {
        match e {
            Expr::Call { name, args } if is_math_function(name) => {
                args.iter().for_each(|a| visit(a, seen, calls, refs));
            }
            Expr::Call { .. } if seen.insert(e.to_string()) => calls.push(e.clone()),
            Expr::VarRef { .. } if seen.insert(e.to_string()) => refs.push(e.clone()),
            Expr::Call { .. } | Expr::VarRef { .. } => {}
            Expr::Binary { lhs, rhs, .. } => {
                visit(lhs, seen, calls, refs);
                visit(rhs, seen, calls, refs);
            }
            Expr::Paren(inner) => visit(inner, seen, calls, refs),
            _ => {}
        }
    }
    let (mut seen, mut calls, mut refs) = (HashSet::new(), Vec::new(), Vec::new());
    for f in fields {
        visit(&f.expr, &mut seen, &mut calls, &mut refs);
        if let Expr::Call { name, args } = &f.expr
            && (name == "top" || name == "bottom")
            && args.len() > 2
        {
            for a in &args[1..args.len() - 1] {
                visit(a, &mut seen, &mut calls, &mut refs);
            }
        }
    }
    (calls, refs)
}

pub(super) fn var_type(e: &Expr) -> Option<DataType> {
    match e {
        Expr::VarRef { data_type, .. } => *data_type,
        _ => None,
    }
}

/// 1.x's `VarRefs` order: by name, then by the number of the type (unknown, float, integer,
/// string, boolean, …, tag, any field, unsigned).
pub(super) fn ref_key(e: &Expr) -> (String, u8) {
    let (name, t) = match e {
        Expr::VarRef { name, data_type } => (name.clone(), *data_type),
        other => (other.to_string(), None),
    };
    let n = match t {
        None => 0,
        Some(DataType::Float) => 1,
        Some(DataType::Integer) => 2,
        Some(DataType::String) => 3,
        Some(DataType::Boolean) => 4,
        Some(DataType::Tag) => 7,
        Some(DataType::Field) => 8,
        Some(DataType::Unsigned) => 9,
    };
    (name, n)
}
