//! `EXPLAIN` and `EXPLAIN ANALYZE` of a SELECT, in InfluxDB 1.6's shape: the iterators 1.x's
//! planner (`query/select.go` `buildCursor`) would create, each with its cost, and for ANALYZE
//! the trace tree (`pkg/tracing`) of a real run.
//!
//! ```text
//! SelectStatement ──► validate (the SELECT's own checks: compile, conditions, wildcards,
//!                     types; a subquery's inner statements too) ──► the same errors
//!   ──► mapped range: the outermost statement's time range (GROUP BY time: up to now())
//!   ──► inventory per source measurement: DataFusion GROUP BY (every tag, 7-day shard
//!       group) over the mapped shard groups' whole span ──► (series, shard group) pairs
//!   ──► typed statement (1.x's RewriteFields: wildcards expanded and every variable typed
//!       against the measurements holding data in the mapped shard groups)
//!   ──► cursor tree (1.x's valueMapper: calls in field order, auxiliary references sorted):
//!       build_cursor ──► iterator_scanner (a call | the auxiliary fields)
//!         ──► create_iterator per measurement source | build_cursor of a subquery
//!   ──► cost of each create_iterator, per measurement and shard group:
//!       shards, series (tag part of the WHERE over the inventory), and the scan the SELECT
//!       would run (DataFusion physical plan of the same time-pruned table scan): its Parquet
//!       files, their row groups overlapping the range (footers), the compressed bytes of the
//!       column chunks read, the ingesters' unpersisted rows in range
//!   EXPLAIN ──► one block per create_iterator (EXPRESSION / AUXILIARY FIELDS / counts)
//!   EXPLAIN ANALYZE ──► select::execute timed ──► select → build_cursor → iterator_scanner
//!       → create_iterator tree (labels, cursors, blocks per field type, timings)
//! ```

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, ArrayRef, Int64Array, StringArray};
use arrow::datatypes::{DataType as ArrowType, TimeUnit};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::physical_plan::ParquetFileReaderFactory;
use datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::parquet::file::statistics::Statistics;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::prelude::{SessionContext, col, ident, lit};
use datafusion::scalar::ScalarValue;
use influxql::ast::{
    BinaryOp, DataType, Expr, Field, Measurement, MeasurementName, SelectStatement, Source,
};
use query::DedupExec;
use v1_query::result::{Series, Value};

use crate::ExecError;
use crate::condition::{self, TimeRange};
use crate::eval::{Row, eval_bool, is_math_function};
use crate::select::fields::{self, FieldKind, Schema};
use crate::select::subquery::{self, ColType};
use crate::select::{self, compile, order, prefilter, types};

/// 1.x's shard group duration for a retention policy without expiry (7 days).
const SHARD_GROUP_NS: i64 = 7 * 24 * 3600 * 1_000_000_000;

/// Where the statement's measurements live, for the labels of EXPLAIN ANALYZE
/// (`db.rp.measurement`).
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The v1 database name.
    pub(crate) database: String,
    /// The v1 retention policy name.
    pub(crate) retention_policy: String,
}

/// `EXPLAIN [ANALYZE] stmt` over `ctx` (a session of the statement's database).
pub(crate) async fn explain(
    ctx: &SessionContext,
    tables: &BTreeMap<String, catalog::TableSchema>,
    stmt: &SelectStatement,
    now: i64,
    analyze: bool,
    target: &Target,
) -> Result<Vec<Series>, ExecError> {
    let start = Instant::now();
    validate(stmt, tables, now, None)?;

    // The shard groups 1.x maps: those of the outermost statement's range.
    let compiled = compile::compile_with(stmt, now, None)?;
    let (_, mut mapped) = condition::split(stmt.condition.as_ref(), now)?;
    if compiled.interval.is_some() && mapped.max.is_none() {
        mapped.max = Some(now);
    }
    let mut names = BTreeSet::new();
    source_tables(stmt, tables, &mut names);
    let mut inventory = BTreeMap::new();
    for name in names {
        if let Some(table) = tables.get(&name) {
            let inv = inventory_of(ctx, &name, table, mapped).await?;
            if !inv.is_empty() {
                inventory.insert(name, inv);
            }
        }
    }
    let live: BTreeMap<String, catalog::TableSchema> = tables
        .iter()
        .filter(|(n, _)| inventory.contains_key(*n))
        .map(|(n, t)| (n.clone(), t.clone()))
        .collect();
    let planner = Planner {
        live: &live,
        now,
        target,
    };
    let typed = planner.typed(stmt, None, None, true)?;
    let mut root = planner.cursor(&typed)?;
    cost(ctx, tables, &inventory, &mut root).await?;

    if !analyze {
        let mut lines: Vec<String> = Vec::new();
        for node in root.creates() {
            if !lines.is_empty() {
                lines.push(String::new());
            }
            node.explain_lines(&mut lines);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        return Ok(vec![plan_series("QUERY PLAN", lines)]);
    }

    let planning = start.elapsed();
    let run = Instant::now();
    select::execute(ctx, tables, stmt, now).await?;
    let execution = run.elapsed();
    let total = planning + execution;
    let select_span = Span {
        name: "select".to_owned(),
        labels: Vec::new(),
        fields: vec![
            ("execution_time".to_owned(), duration(execution)),
            ("planning_time".to_owned(), duration(planning)),
            ("total_time".to_owned(), duration(total)),
        ],
        children: vec![root.span()],
    };
    let mut lines = vec![".".to_owned()];
    select_span.render("", true, &mut lines);
    // 1.x splits the tree's text, which ends with a newline, into lines.
    lines.push(String::new());
    Ok(vec![plan_series("EXPLAIN ANALYZE", lines)])
}

fn plan_series(column: &str, lines: Vec<String>) -> Series {
    Series {
        name: None,
        tags: BTreeMap::new(),
        columns: vec![column.to_owned()],
        values: lines.into_iter().map(|l| vec![Value::String(l)]).collect(),
        partial: false,
    }
}

fn duration(d: std::time::Duration) -> String {
    crate::retention::go_duration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The checks the SELECT runs before it reads anything, in its order: EXPLAIN of a statement
/// the SELECT refuses answers the SELECT's error.
fn validate(
    stmt: &SelectStatement,
    tables: &BTreeMap<String, catalog::TableSchema>,
    now: i64,
    inherited: Option<(i64, i64)>,
) -> Result<(), ExecError> {
    let compiled = compile::compile_with(stmt, now, inherited)?;
    let sub = subquery::has_subquery(stmt);
    let inners = if sub {
        let inners = subquery::subqueries(stmt)?;
        subquery::check_subqueries(stmt, stmt.time_ascending(), compiled.interval, now)?;
        inners
    } else {
        select::measurements(stmt, tables)?;
        Vec::new()
    };
    let (filter, _) = condition::split(stmt.condition.as_ref(), now)?;
    if let Some(f) = filter.map(|f| condition::substitute_now(&f, now)) {
        select::validate_condition(&f)?;
        if select::has_call(&f) {
            return Ok(());
        }
    }
    let (schema, avail) = if sub {
        let schemas = inners
            .iter()
            .map(|s| subquery::sub_schema(s, tables, compiled.interval, now))
            .collect::<Result<Vec<_>, _>>()?;
        subquery::union(&schemas)
    } else {
        let schema = measurement_schema(stmt, tables)?;
        let tags = schema.tags.iter().cloned().collect();
        (schema, tags)
    };
    let dim_tags = compiled.dims.resolve(avail.iter());
    let fields = fields::expand(&compiled.fields, &schema, &dim_tags)?;
    types::check(&fields, &schema)?;
    if fields.is_empty() {
        return Ok(());
    }
    for inner in inners {
        validate(inner, tables, now, compiled.interval)?;
    }
    Ok(())
}

/// The union of the schemas of the measurements `stmt` reads.
fn measurement_schema(
    stmt: &SelectStatement,
    tables: &BTreeMap<String, catalog::TableSchema>,
) -> Result<Schema, ExecError> {
    let mut schema = Schema::default();
    for n in select::measurements(stmt, tables)? {
        if let Some(t) = tables.get(&n) {
            schema.add(t);
        }
    }
    Ok(schema)
}

/// Every table a source of `stmt` (or of its subqueries) names.
fn source_tables(
    stmt: &SelectStatement,
    tables: &BTreeMap<String, catalog::TableSchema>,
    out: &mut BTreeSet<String>,
) {
    for s in &stmt.sources {
        match s {
            Source::Measurement(m) => match &m.name {
                Some(MeasurementName::Name(n)) if tables.contains_key(n) => {
                    out.insert(n.clone());
                }
                Some(MeasurementName::Regex(r)) => {
                    out.extend(tables.keys().filter(|t| r.regex.is_match(t)).cloned());
                }
                _ => {}
            },
            Source::Subquery(inner) => source_tables(inner, tables, out),
        }
    }
}

/// A measurement's series per 1.x shard group: (tags, shard group start), within the mapped
/// shard groups.
type Inventory = Vec<(BTreeMap<String, String>, i64)>;

/// The (series, shard group) pairs of `name` in the shard groups overlapping `mapped` (each
/// shard group read whole: 1.x's index knows a series in a shard whatever the range).
async fn inventory_of(
    ctx: &SessionContext,
    name: &str,
    table: &catalog::TableSchema,
    mapped: TimeRange,
) -> Result<Inventory, ExecError> {
    let mut schema = Schema::default();
    schema.add(table);
    let tags: Vec<String> = schema.tags.iter().cloned().collect();
    let span = TimeRange {
        min: mapped.min.map(order::shard_group),
        max: mapped
            .max
            .map(|m| order::shard_group(m).saturating_add(SHARD_GROUP_NS - 1)),
    };
    let df = crate::fetch::scan(ctx, name, span).await?;
    let mut group: Vec<datafusion::prelude::Expr> = tags.iter().map(ident).collect();
    group.push(
        datafusion::functions::datetime::expr_fn::date_bin(
            lit(ScalarValue::IntervalMonthDayNano(Some(
                arrow::datatypes::IntervalMonthDayNano::new(0, 0, SHARD_GROUP_NS),
            ))),
            col("time"),
            lit(ScalarValue::TimestampNanosecond(
                Some(order::SHARD_ORIGIN_NS),
                None,
            )),
        )
        .alias("__shard"),
    );
    let batches = df.aggregate(group, Vec::new())?.collect().await?;
    let mut out = Vec::new();
    for batch in batches {
        let strings = |c: &ArrayRef| -> Result<StringArray, ExecError> {
            let a = arrow::compute::cast(c, &ArrowType::Utf8)?;
            Ok(a.as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .unwrap_or_else(|| StringArray::from(Vec::<Option<&str>>::new())))
        };
        let tag_cols = (0..tags.len())
            .map(|i| strings(batch.column(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let shard = arrow::compute::cast(
            batch.column(tags.len()),
            &ArrowType::Timestamp(TimeUnit::Nanosecond, None),
        )?;
        let shard = arrow::compute::cast(&shard, &ArrowType::Int64)?;
        let Some(shard) = shard.as_any().downcast_ref::<Int64Array>() else {
            continue;
        };
        for r in 0..batch.num_rows() {
            let mut t = BTreeMap::new();
            for (i, name) in tags.iter().enumerate() {
                let c = &tag_cols[i];
                if r < c.len() && c.is_valid(r) && !c.value(r).is_empty() {
                    t.insert(name.clone(), c.value(r).to_owned());
                }
            }
            out.push((t, shard.value(r)));
        }
    }
    Ok(out)
}

/// A SELECT as 1.x's planner sees it after `RewriteFields`.
struct Typed {
    /// The statement as 1.x prints it in a `build_cursor` label.
    label: SelectStatement,
    /// Its fields, expanded and typed.
    fields: Vec<Field>,
    /// The WHERE without the time range, typed.
    filter: Option<Expr>,
    /// The range its iterators read.
    range: TimeRange,
    /// Its sources: a measurement (name or regex) or a subquery.
    sources: Vec<TypedSource>,
    /// Its GROUP BY tags as written (a subquery's columns the outer query can read).
    dims: Vec<String>,
}

enum TypedSource {
    Measurement(Selector),
    Subquery(Box<Typed>),
}

/// The measurement(s) one `create_iterator` reads.
#[derive(Clone)]
enum Selector {
    Name(String),
    Regex(regex::Regex),
}

struct Planner<'a> {
    /// The tables holding data in the mapped shard groups (1.x's field mapper knows only those).
    live: &'a BTreeMap<String, catalog::TableSchema>,
    now: i64,
    target: &'a Target,
}

impl Planner<'_> {
    /// `stmt` typed as 1.x rewrites it; `outer`: the outer query's range (a subquery's
    /// iterators read the intersection).
    fn typed(
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
    fn qualified(&self, m: &Measurement) -> Measurement {
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
    fn cursor(&self, t: &Typed) -> Result<CursorNode, ExecError> {
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
    fn expr_inputs(&self, e: &Expr, t: &Typed, aux: &[Expr]) -> Result<Vec<Input>, ExecError> {
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
    fn varref_inputs(&self, e: &Expr, t: &Typed, aux: &[Expr]) -> Result<Vec<Input>, ExecError> {
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
    fn call_inputs(&self, call: &Expr, t: &Typed, aux: &[Expr]) -> Result<Vec<Input>, ExecError> {
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
fn maps_column(t: &Typed, name: &str) -> bool {
    t.fields.iter().any(|f| {
        fields::field_name(f) == name || fields::top_bottom_extra(f).iter().any(|a| a == name)
    }) || t.dims.iter().any(|d| d == name)
}

/// A schema in which each typed variable of `fields` has its type (for 1.x's call types).
fn typed_schema(fields: &[Field]) -> Schema {
    let mut schema = Schema::default();
    fn walk(e: &Expr, schema: &mut Schema) {
        match e {
            Expr::VarRef {
                name,
                data_type: Some(t),
            } => match kind(*t) {
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

fn kind(t: DataType) -> Option<FieldKind> {
    match t {
        DataType::Float => Some(FieldKind::Float),
        DataType::Integer => Some(FieldKind::Integer),
        DataType::Unsigned => Some(FieldKind::Unsigned),
        DataType::String => Some(FieldKind::String),
        DataType::Boolean => Some(FieldKind::Boolean),
        DataType::Tag | DataType::Field => None,
    }
}

fn data_type(k: FieldKind) -> DataType {
    match k {
        FieldKind::Float => DataType::Float,
        FieldKind::Integer => DataType::Integer,
        FieldKind::Unsigned => DataType::Unsigned,
        FieldKind::String => DataType::String,
        FieldKind::Boolean => DataType::Boolean,
    }
}

/// 1.x's `RewriteFields` typing: a variable without a type gets its field type, else `tag`
/// when it is a tag, else stays untyped; `DISTINCT x` is the call `distinct(x)`.
fn type_expr(e: &mut Expr, schema: &Schema) {
    match e {
        Expr::VarRef {
            name,
            data_type: dt,
        } if dt.is_none() || *dt == Some(DataType::Field) => {
            if let Some(k) = schema.fields.get(name) {
                *dt = Some(data_type(*k));
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
fn map_values(fields: &[Field]) -> (Vec<Expr>, Vec<Expr>) {
    fn visit(e: &Expr, seen: &mut HashSet<String>, calls: &mut Vec<Expr>, refs: &mut Vec<Expr>) {
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

fn var_type(e: &Expr) -> Option<DataType> {
    match e {
        Expr::VarRef { data_type, .. } => *data_type,
        _ => None,
    }
}

/// 1.x's `VarRefs` order: by name, then by the number of the type (unknown, float, integer,
/// string, boolean, …, tag, any field, unsigned).
fn ref_key(e: &Expr) -> (String, u8) {
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

/// A `build_cursor` span: a statement and its iterator scanners.
struct CursorNode {
    statement: String,
    scanners: Vec<ScannerNode>,
}

/// An `iterator_scanner` span: one call's (or the auxiliary fields') iterators.
struct ScannerNode {
    labels: Vec<(String, String)>,
    inputs: Vec<Input>,
}

enum Input {
    Create(CreateNode),
    Cursor(CursorNode),
}

impl CursorNode {
    /// Its iterators, depth first, in creation order.
    fn creates(&self) -> Vec<&CreateNode> {
        let mut out = Vec::new();
        for s in &self.scanners {
            for i in &s.inputs {
                match i {
                    Input::Create(c) => out.push(c),
                    Input::Cursor(c) => out.extend(c.creates()),
                }
            }
        }
        out
    }

    fn creates_mut(&mut self) -> Vec<&mut CreateNode> {
        let mut out = Vec::new();
        for s in &mut self.scanners {
            for i in &mut s.inputs {
                match i {
                    Input::Create(c) => out.push(c),
                    Input::Cursor(c) => out.extend(c.creates_mut()),
                }
            }
        }
        out
    }

    fn span(&self) -> Span {
        let children = self
            .scanners
            .iter()
            .map(|s| Span {
                name: "iterator_scanner".to_owned(),
                labels: s.labels.clone(),
                fields: Vec::new(),
                children: s
                    .inputs
                    .iter()
                    .flat_map(|i| match i {
                        Input::Create(c) => c.spans(),
                        Input::Cursor(c) => vec![c.span()],
                    })
                    .collect(),
            })
            .collect();
        Span {
            name: "build_cursor".to_owned(),
            labels: vec![("statement".to_owned(), self.statement.clone())],
            fields: Vec::new(),
            children,
        }
    }
}

/// A `create_iterator`: one iterator over a measurement source, and its cost.
struct CreateNode {
    expr: Option<Expr>,
    aux: Vec<Expr>,
    selector: Selector,
    condition: Option<Expr>,
    range: TimeRange,
    /// Per measurement read, per shard group: the cost.
    shards: Vec<ShardCost>,
}

/// The cost of one iterator in one shard group of one measurement.
#[derive(Debug, Clone, Default)]
struct ShardCost {
    measurement: String,
    shard: i64,
    series: u64,
    /// Series × fields read as the expression's, auxiliary, condition's (1.x's cursors).
    cursors: [u64; 3],
    cached: u64,
    files: u64,
    row_groups: u64,
    bytes: u64,
    /// Per field type (float, integer, unsigned, string, boolean): column chunks, bytes.
    typed: [(u64, u64); 5],
    planning: std::time::Duration,
}

impl CreateNode {
    fn new(expr: Option<Expr>, aux: &[Expr], selector: &Selector, t: &Typed) -> Self {
        Self {
            expr,
            aux: aux.to_vec(),
            selector: selector.clone(),
            condition: t.filter.clone(),
            range: t.range,
            shards: Vec::new(),
        }
    }

    fn explain_lines(&self, lines: &mut Vec<String>) {
        let expr = self
            .expr
            .as_ref()
            .map_or_else(|| "<nil>".to_owned(), ToString::to_string);
        lines.push(format!("EXPRESSION: {expr}"));
        if !self.aux.is_empty() {
            let aux: Vec<String> = self.aux.iter().map(ToString::to_string).collect();
            lines.push(format!("AUXILIARY FIELDS: {}", aux.join(", ")));
        }
        let sum = |f: fn(&ShardCost) -> u64| self.shards.iter().map(f).sum::<u64>();
        lines.push(format!("NUMBER OF SHARDS: {}", self.shards.len()));
        lines.push(format!("NUMBER OF SERIES: {}", sum(|s| s.series)));
        lines.push(format!("CACHED VALUES: {}", sum(|s| s.cached)));
        lines.push(format!("NUMBER OF FILES: {}", sum(|s| s.files)));
        lines.push(format!("NUMBER OF BLOCKS: {}", sum(|s| s.row_groups)));
        lines.push(format!("SIZE OF BLOCKS: {}", sum(|s| s.bytes)));
    }

    fn spans(&self) -> Vec<Span> {
        self.shards
            .iter()
            .map(|s| {
                let mut labels = Vec::new();
                if let Some(c) = &self.condition {
                    labels.push(("cond".to_owned(), c.to_string()));
                }
                labels.push(("measurement".to_owned(), s.measurement.clone()));
                labels.push(("shard_id".to_owned(), shard_name(s.shard)));
                let mut fields = vec![
                    ("cursors_ref".to_owned(), s.cursors[0].to_string()),
                    ("cursors_aux".to_owned(), s.cursors[1].to_string()),
                    ("cursors_cond".to_owned(), s.cursors[2].to_string()),
                ];
                for (i, t) in ["float", "integer", "unsigned", "string", "boolean"]
                    .iter()
                    .enumerate()
                {
                    fields.push((format!("{t}_blocks_decoded"), s.typed[i].0.to_string()));
                    fields.push((format!("{t}_blocks_size_bytes"), s.typed[i].1.to_string()));
                }
                fields.push(("planning_time".to_owned(), duration(s.planning)));
                Span {
                    name: "create_iterator".to_owned(),
                    labels,
                    fields,
                    children: Vec::new(),
                }
            })
            .collect()
    }
}

/// A shard group as Quiver names it in `shard_id`: its start (RFC 3339).
fn shard_name(start: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(start)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The fields of `m` an iterator reads: as its expression's argument, as auxiliary fields,
/// in its condition.
fn fields_read(node: &CreateNode, schema: &Schema) -> [Vec<String>; 3] {
    let mut out: [Vec<String>; 3] = Default::default();
    let refs = |e: &Expr, into: &mut Vec<String>| {
        let mut v = Vec::new();
        select::field_refs(e, schema, &mut v);
        for f in v {
            if !into.contains(&f) {
                into.push(f);
            }
        }
    };
    if let Some(e) = &node.expr {
        // 1.x's ref: the expression's variable or its call's first argument.
        let r = match e {
            Expr::Call { args, .. } => args.first().cloned(),
            other => Some(other.clone()),
        };
        if let Some(r @ Expr::VarRef { .. }) = r {
            refs(&r, &mut out[0]);
        }
    }
    for a in &node.aux {
        refs(a, &mut out[1]);
    }
    if let Some(c) = &node.condition {
        refs(c, &mut out[2]);
    }
    out
}

/// Fills in the cost of every iterator of `root`.
async fn cost(
    ctx: &SessionContext,
    tables: &BTreeMap<String, catalog::TableSchema>,
    inventory: &BTreeMap<String, Inventory>,
    root: &mut CursorNode,
) -> Result<(), ExecError> {
    for node in root.creates_mut() {
        let names: Vec<String> = match &node.selector {
            Selector::Name(n) => vec![n.clone()],
            Selector::Regex(r) => tables.keys().filter(|t| r.is_match(t)).cloned().collect(),
        };
        for name in names {
            let (Some(table), Some(inv)) = (tables.get(&name), inventory.get(&name)) else {
                continue;
            };
            let started = Instant::now();
            let mut schema = Schema::default();
            schema.add(table);
            let read = fields_read(node, &schema);
            let tag_filter = node.condition.as_ref().map(|c| tags_only(c, &schema));
            // Series per shard group, of those the condition's tag part keeps.
            let mut per_shard: BTreeMap<i64, u64> = BTreeMap::new();
            for (tags, shard) in inv {
                let keep = tag_filter
                    .as_ref()
                    .is_none_or(|f| eval_bool(f, &TagRow(tags)));
                let n = per_shard.entry(*shard).or_default();
                if keep {
                    *n += 1;
                }
            }
            let all_fields: Vec<String> = {
                let mut v: Vec<String> = Vec::new();
                for f in read.iter().flatten() {
                    if !v.contains(f) {
                        v.push(f.clone());
                    }
                }
                v
            };
            let scan = if all_fields.is_empty() || per_shard.values().all(|n| *n == 0) {
                BTreeMap::new()
            } else {
                let pre = node
                    .condition
                    .as_ref()
                    .and_then(|c| prefilter::prefilter(c, &schema, false));
                scan_cost(ctx, &name, &schema, &all_fields, node.range, pre).await?
            };
            let planning = started.elapsed();
            for (shard, series) in per_shard {
                let mut c = scan.get(&shard).cloned().unwrap_or_default();
                if series == 0 {
                    c = ShardCost::default();
                }
                c.measurement.clone_from(&name);
                c.shard = shard;
                c.series = series;
                for (i, r) in read.iter().enumerate() {
                    c.cursors[i] = series * r.len() as u64;
                }
                c.planning = planning;
                node.shards.push(c);
            }
        }
    }
    Ok(())
}

/// A series' tags as a row (a missing tag reads as the empty string, as in 1.x's index).
struct TagRow<'a>(&'a BTreeMap<String, String>);

impl Row for TagRow<'_> {
    fn get(&self, name: &str, _data_type: Option<DataType>) -> Value {
        Value::String(self.0.get(name).cloned().unwrap_or_default())
    }
}

/// The part of a condition 1.x's index applies to series: a comparison that reads a field
/// keeps every series (`true`).
fn tags_only(e: &Expr, schema: &Schema) -> Expr {
    match e {
        Expr::Binary {
            op: op @ (BinaryOp::And | BinaryOp::Or),
            lhs,
            rhs,
        } => Expr::Binary {
            op: *op,
            lhs: Box::new(tags_only(lhs, schema)),
            rhs: Box::new(tags_only(rhs, schema)),
        },
        Expr::Paren(inner) => Expr::Paren(Box::new(tags_only(inner, schema))),
        other if reads_field(other, schema) => Expr::Boolean(true),
        other => other.clone(),
    }
}

fn reads_field(e: &Expr, schema: &Schema) -> bool {
    match e {
        Expr::VarRef { name, data_type } => match data_type {
            Some(DataType::Tag) => false,
            Some(_) => true,
            None => schema.fields.contains_key(name),
        },
        Expr::Call { args, .. } => args.iter().any(|a| reads_field(a, schema)),
        Expr::Binary { lhs, rhs, .. } => reads_field(lhs, schema) || reads_field(rhs, schema),
        Expr::Paren(inner) => reads_field(inner, schema),
        _ => false,
    }
}

/// The scan the SELECT runs for `fields` of `table` in `range`, by shard group: Parquet files
/// (DataFusion's pruning), their row groups overlapping the range, the compressed bytes of the
/// column chunks read, the ingesters' unpersisted rows in range.
async fn scan_cost(
    ctx: &SessionContext,
    table: &str,
    schema: &Schema,
    fields: &[String],
    range: TimeRange,
    prefilter: Option<datafusion::prelude::Expr>,
) -> Result<BTreeMap<i64, ShardCost>, ExecError> {
    let mut df = crate::fetch::scan(ctx, table, range).await?;
    if let Some(f) = prefilter {
        df = df.filter(f)?;
    }
    let mut columns: Vec<String> = schema.tags.iter().cloned().collect();
    columns.extend(fields.iter().cloned());
    columns.push("time".to_owned());
    df = df.select(columns.iter().map(ident).collect::<Vec<_>>())?;
    let plan = df.create_physical_plan().await?;
    let mut files = Vec::new();
    let mut batches = Vec::new();
    let mut stack: Vec<&Arc<dyn ExecutionPlan>> = vec![&plan];
    while let Some(node) = stack.pop() {
        if let Some(dedup) = node.downcast_ref::<DedupExec>() {
            batches.extend(dedup.unpersisted().iter().flatten().cloned());
        }
        if let Some(config) = node
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
        {
            for file in config.file_groups.iter().flat_map(|g| g.files()) {
                files.push(file.clone());
            }
        }
        stack.extend(node.children());
    }

    let lo = range.min.unwrap_or(i64::MIN);
    let hi = range.max.unwrap_or(i64::MAX);
    let mut out: BTreeMap<i64, ShardCost> = BTreeMap::new();
    if !files.is_empty() {
        let url = ObjectStoreUrl::parse(query::OBJECT_STORE_URL)?;
        let store = ctx.runtime_env().object_store(&url)?;
        // The footers through the session's metadata cache, as the scan reads them.
        let runtime = ctx.runtime_env();
        let readers = CachedParquetFileReaderFactory::new(
            store,
            runtime.cache_manager.get_file_metadata_cache(),
        );
        let metrics = ExecutionPlanMetricsSet::new();
        for file in files {
            let mut reader = readers.create_reader(0, file, None, &metrics)?;
            let meta = reader
                .get_metadata(None)
                .await
                .map_err(datafusion::error::DataFusionError::from)?;
            let mut shards_of_file = BTreeSet::new();
            for rg in meta.row_groups() {
                let mut time = (i64::MIN, i64::MAX);
                for c in rg.columns() {
                    if c.column_path().string() == "time"
                        && let Some(Statistics::Int64(s)) = c.statistics()
                        && let (Some(min), Some(max)) = (s.min_opt(), s.max_opt())
                    {
                        time = (*min, *max);
                    }
                }
                if time.1 < lo || time.0 > hi {
                    continue;
                }
                let shard = order::shard_group(time.0.max(lo));
                let entry = out.entry(shard).or_default();
                shards_of_file.insert(shard);
                entry.row_groups += 1;
                for c in rg.columns() {
                    let name = c.column_path().string();
                    if !columns.contains(&name) {
                        continue;
                    }
                    let bytes = u64::try_from(c.compressed_size()).unwrap_or(0);
                    entry.bytes += bytes;
                    if let Some(k) = schema.fields.get(&name)
                        && fields.contains(&name)
                    {
                        let i = match k {
                            FieldKind::Float => 0,
                            FieldKind::Integer => 1,
                            FieldKind::Unsigned => 2,
                            FieldKind::String => 3,
                            FieldKind::Boolean => 4,
                        };
                        entry.typed[i].0 += 1;
                        entry.typed[i].1 += bytes;
                    }
                }
            }
            for shard in shards_of_file {
                out.entry(shard).or_default().files += 1;
            }
        }
    }
    for batch in batches {
        let Some(time) = batch.column_by_name("time") else {
            continue;
        };
        let time = arrow::compute::cast(time, &ArrowType::Int64)?;
        let Some(time) = time.as_any().downcast_ref::<Int64Array>() else {
            continue;
        };
        for t in time.iter().flatten() {
            if t >= lo && t <= hi {
                out.entry(order::shard_group(t)).or_default().cached += 1;
            }
        }
    }
    Ok(out)
}

/// A span of 1.x's trace tree.
struct Span {
    name: String,
    /// Sorted by key, as 1.x's labels.
    labels: Vec<(String, String)>,
    fields: Vec<(String, String)>,
    children: Vec<Span>,
}

impl Span {
    /// Appends this span as `treeprint` draws it under `prefix`.
    fn render(&self, prefix: &str, last: bool, out: &mut Vec<String>) {
        out.push(format!("{prefix}{}{}", branch(last), self.name));
        let inner = format!("{prefix}{}", if last { "    " } else { LINK });
        let mut items: Vec<Item<'_>> = Vec::new();
        if !self.labels.is_empty() {
            items.push(Item::Labels);
        }
        items.extend(self.fields.iter().map(Item::Field));
        items.extend(self.children.iter().map(Item::Child));
        let n = items.len();
        for (i, item) in items.into_iter().enumerate() {
            let last = i + 1 == n;
            match item {
                Item::Labels => {
                    out.push(format!("{inner}{}labels", branch(last)));
                    let inner2 = format!("{inner}{}", if last { "    " } else { LINK });
                    let mut labels = self.labels.clone();
                    labels.sort_by(|a, b| a.0.cmp(&b.0));
                    let m = labels.len();
                    for (j, (k, v)) in labels.iter().enumerate() {
                        out.push(format!("{inner2}{}{k}: {v}", branch(j + 1 == m)));
                    }
                }
                Item::Field((k, v)) => out.push(format!("{inner}{}{k}: {v}", branch(last))),
                Item::Child(c) => c.render(&inner, last, out),
            }
        }
    }
}

/// treeprint's indent under a branch that continues: `│`, two no-break spaces, a space.
const LINK: &str = "│\u{a0}\u{a0} ";

enum Item<'a> {
    Labels,
    Field(&'a (String, String)),
    Child(&'a Span),
}

fn branch(last: bool) -> &'static str {
    if last { "└── " } else { "├── " }
}
