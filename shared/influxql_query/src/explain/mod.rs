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
//!
//! Here: the entry, the SELECT's checks and the sources; `plan` (typed statement, cursor
//! tree), `tree` (its nodes and their blocks / spans), `costs` (inventory and costs),
//! `trace` (ANALYZE's tree drawing).

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

mod costs;
mod plan;
mod trace;
mod tree;

use costs::*;
use plan::*;
use trace::*;
use tree::*;

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
