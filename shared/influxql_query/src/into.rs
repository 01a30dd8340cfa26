//! `SELECT … INTO`: the statement's result rows written back as points, as 1.x's
//! `executeSelectStatement` / `writeInto` / `convertRowToPoints` do.
//!
//! ```text
//! SELECT … INTO [db.][rp.]m | :MEASUREMENT
//!   ──► Executor::authorize: READ on the source database, WRITE on the target's
//!   ──► target database: `db` / `rp` default to the request's, resolved like a read's
//!       (DBRP mapping, else `db` / `db/rp`); missing: 1.x's "database not found: …" /
//!       "retention policy not found: …" before anything is read
//!   ──► reading_statement: the SELECT without INTO, fill(null) as fill(none) for GROUP BY
//!       time (1.x: nulls are not written, nor count()'s zero-filled empty windows)
//!   ──► select::execute ──► points: per series the target name (or the series' measurement
//!       for `:MEASUREMENT`), the series' GROUP BY tags, one point per row at the row's time
//!       (window start for GROUP BY time), non-null columns as fields (top()/bottom()'s tag
//!       columns as tags); a row without a field
//!       or with a NaN/±Inf float is not a point (1.x's NewPoint refuses it)
//!   ──► PointsWriter::write_points in batches of 10 000 (1.x's buffer) ──► the router's
//!       pipeline (router::LineWriter in `quiver serve` / `quiver querier`)
//!   ──► one series `result`: [time 0, written = points handed to the writer]
//! ```

use std::collections::BTreeMap;

use catalog::Database;
use influxql::ast::{Expr, Fill, MeasurementName, SelectStatement};
use v1_query::result::{Series, Value};

use crate::ExecError;

/// Points per write, as 1.x's `BufferedPointsWriter` (capacity 10 000).
const BATCH: usize = 10_000;

/// A point SELECT INTO writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Measurement.
    pub measurement: String,
    /// Tags (none with an empty value).
    pub tags: BTreeMap<String, String>,
    /// Fields in column order: float, integer, unsigned, string or boolean values, never null.
    pub fields: Vec<(String, Value)>,
    /// Nanoseconds since the epoch.
    pub time: i64,
}

/// Why a write of points failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WritePointsError {
    /// A field exists in the target with another type: answered with 1.x's text.
    FieldTypeConflict {
        /// Measurement.
        measurement: String,
        /// Field.
        field: String,
        /// The written value's type (`float`, `integer`, `unsigned`, `string`, `boolean`).
        write: String,
        /// The stored type.
        existing: String,
    },
    /// Any other failure, answered with its text.
    Other(String),
}

impl WritePointsError {
    /// The error of a schema conflict on `column` of `table`: 1.x's field type conflict when
    /// both types are field types, else the catalog's `text` (1.x has no tag/field conflict).
    pub fn schema_conflict(
        table: &str,
        column: &str,
        existing: schema::InfluxColumnType,
        write: schema::InfluxColumnType,
        text: String,
    ) -> Self {
        match (field_type_name(existing), field_type_name(write)) {
            (Some(existing), Some(write)) => Self::FieldTypeConflict {
                measurement: table.to_owned(),
                field: column.to_owned(),
                write: write.to_owned(),
                existing: existing.to_owned(),
            },
            _ => Self::Other(text),
        }
    }
}

/// 1.x's name of a field type (`None` for tags and time).
fn field_type_name(t: schema::InfluxColumnType) -> Option<&'static str> {
    use schema::{InfluxColumnType, InfluxFieldType};
    match t {
        InfluxColumnType::Field(InfluxFieldType::Float) => Some("float"),
        InfluxColumnType::Field(InfluxFieldType::Integer) => Some("integer"),
        InfluxColumnType::Field(InfluxFieldType::UInteger) => Some("unsigned"),
        InfluxColumnType::Field(InfluxFieldType::String) => Some("string"),
        InfluxColumnType::Field(InfluxFieldType::Boolean) => Some("boolean"),
        _ => None,
    }
}

/// Writes the points of SELECT INTO into a database. `quiver serve` and `quiver querier` hand
/// the executor one that goes through the router's write pipeline.
#[async_trait::async_trait]
pub trait PointsWriter: Send + Sync + std::fmt::Debug {
    /// Writes `points` into `database` (resolved and authorized by the executor); all or
    /// nothing.
    async fn write_points(
        &self,
        database: &Database,
        points: &[Point],
    ) -> Result<(), WritePointsError>;
}

/// The statement SELECT INTO reads with: without its target, fill(null) read as fill(none)
/// (1.x's iterator options for a target: nulls would not be written anyway, and count()'s
/// zero-filled empty windows are not written either). The tag columns of top() / bottom()
/// become the points' tags in [`points`].
pub(crate) fn reading_statement(s: &SelectStatement) -> SelectStatement {
    let mut out = s.clone();
    out.target = None;
    // The statement's fill is checked by compile (fill(none) needs a function): only a
    // GROUP BY time statement fills windows.
    let by_time = s
        .dimensions
        .iter()
        .any(|d| matches!(&d.expr, Expr::Call { name, .. } if name == "time"));
    if out.fill == Fill::Null && by_time {
        out.fill = Fill::None;
    }
    out
}

/// The tag arguments of a top() / bottom() call (1.x's write mode keeps them as the points'
/// tags): `(column position after the call's, name)`.
fn top_bottom_tags(s: &SelectStatement) -> Option<(usize, Vec<String>)> {
    // 1.x allows no other field next to top() / bottom() with tags: the call is column 1 + i.
    s.fields
        .iter()
        .enumerate()
        .find_map(|(i, f)| match &f.expr {
            Expr::Call { name, args } if (name == "top" || name == "bottom") && args.len() > 2 => {
                let names = args[1..args.len() - 1]
                    .iter()
                    .filter_map(|a| match a {
                        Expr::VarRef { name, .. } => Some(name.clone()),
                        _ => None,
                    })
                    .collect();
                Some((i + 2, names))
            }
            _ => None,
        })
}

/// The measurement a series is written to: the target's name, or for `:MEASUREMENT` the
/// series' own (its source measurement; for a subquery source, the inner one's).
fn target_name(s: &SelectStatement, series: &Series) -> String {
    match s.target.as_ref().and_then(|t| t.name.as_ref()) {
        Some(MeasurementName::Name(n)) => n.clone(),
        _ => series.name.clone().unwrap_or_default(),
    }
}

/// Go's type name of a value, for 1.x's panic text when `time` is not a time.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Float(_) => "float64",
        Value::Integer(_) => "int64",
        Value::Unsigned(_) => "uint64",
        Value::String(_) => "string",
        Value::Boolean(_) => "bool",
        Value::Time(_) => "time.Time",
    }
}

/// The points of a SELECT INTO's result (1.x's `convertRowToPoints` per series).
pub(crate) fn points(
    s: &SelectStatement,
    series: &[Series],
    tables: &BTreeMap<String, catalog::TableSchema>,
) -> Result<Vec<Point>, ExecError> {
    let top_tags = top_bottom_tags(s);
    let mut out = Vec::new();
    for se in series {
        // 1.x reads every column named `time` as the time (the last one wins) and the others
        // as fields.
        let Some(time_index) = se.columns.iter().rposition(|c| c == "time") else {
            if se.values.is_empty() {
                continue;
            }
            return Err(ExecError::Statement(
                "error finding time index in result".to_owned(),
            ));
        };
        // top(f, tag, …, n): the tag columns are the points' tags (not fields).
        let (tag_columns, tag_names): (Vec<usize>, Vec<String>) = match &top_tags {
            Some((first, names)) => names
                .iter()
                .enumerate()
                .map(|(i, n)| (first + i, n.clone()))
                .unzip(),
            None => (Vec::new(), Vec::new()),
        };
        let measurement = target_name(s, se);
        let source_tags = se.name.as_ref().and_then(|n| tables.get(n)).map(|t| {
            t.columns
                .iter()
                .filter(|(_, c)| c.column_type == schema::InfluxColumnType::Tag)
                .map(|(n, _)| n.clone())
                .collect::<Vec<String>>()
        });
        for row in &se.values {
            let time = match row.get(time_index) {
                Some(Value::Time(t)) => *t,
                other => {
                    return Err(ExecError::Statement(format!(
                        "{s} [panic:interface conversion: interface {{}} is {}, not time.Time]",
                        go_type(other.unwrap_or(&Value::Null))
                    )));
                }
            };
            let mut tags: BTreeMap<String, String> = se
                .tags
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut fields = Vec::new();
            let mut storable = true;
            for (i, (column, value)) in se.columns.iter().zip(row).enumerate() {
                if i == time_index {
                    continue;
                }
                if let Some(k) = tag_columns.iter().position(|&c| c == i) {
                    // Only a tag argument is a tag of the point (a field argument groups
                    // nothing in 1.x).
                    let name = &tag_names[k];
                    let is_tag = source_tags.as_ref().is_none_or(|t| t.contains(name));
                    if let Value::String(v) = value
                        && is_tag
                        && !v.is_empty()
                    {
                        tags.insert(name.clone(), v.clone());
                    }
                    continue;
                }
                match value {
                    Value::Null | Value::Time(_) => {}
                    Value::Float(f) if !f.is_finite() => storable = false,
                    v => fields.push((column.clone(), v.clone())),
                }
            }
            // 1.x's NewPoint refuses a point without fields or with NaN / ±Inf: not written.
            if fields.is_empty() || !storable {
                continue;
            }
            out.push(Point {
                measurement: measurement.clone(),
                tags,
                fields,
                time,
            });
        }
    }
    Ok(out)
}

/// Writes `points` into `database` in 1.x's batches; the count written.
pub(crate) async fn write(
    writer: &dyn PointsWriter,
    database: &Database,
    points: &[Point],
) -> Result<u64, ExecError> {
    for batch in points.chunks(BATCH) {
        writer
            .write_points(database, batch)
            .await
            .map_err(|e| ExecError::Statement(error_text(&e, batch)))?;
    }
    Ok(points.len() as u64)
}

/// 1.x's text of a failed write (`dropped` = the batch's points with the conflicting field).
fn error_text(e: &WritePointsError, batch: &[Point]) -> String {
    match e {
        WritePointsError::FieldTypeConflict {
            measurement,
            field,
            write,
            existing,
        } => {
            let dropped = batch
                .iter()
                .filter(|p| &p.measurement == measurement)
                .filter(|p| p.fields.iter().any(|(f, _)| f == field))
                .count();
            format!(
                "partial write: field type conflict: input field \"{field}\" on measurement \"{measurement}\" is type {write}, already exists as type {existing} dropped={dropped}"
            )
        }
        WritePointsError::Other(text) => text.clone(),
    }
}

/// The answer of a SELECT INTO: one series `result` with the time 0 and the count written.
pub(crate) fn result(written: u64) -> Vec<Series> {
    vec![Series {
        name: Some("result".to_owned()),
        tags: BTreeMap::new(),
        columns: vec!["time".to_owned(), "written".to_owned()],
        values: vec![vec![
            Value::Time(0),
            Value::Integer(i64::try_from(written).unwrap_or(i64::MAX)),
        ]],
        partial: false,
    }]
}

/// `points` as line protocol with nanosecond timestamps (one line each, escaped as the line
/// protocol requires), for writers that hand them to the router's pipeline.
pub fn line_protocol(points: &[Point]) -> String {
    let mut out = String::new();
    for p in points {
        escape(&mut out, &p.measurement, &[',', ' ']);
        for (k, v) in &p.tags {
            out.push(',');
            escape(&mut out, k, &[',', '=', ' ']);
            out.push('=');
            escape(&mut out, v, &[',', '=', ' ']);
        }
        out.push(' ');
        for (i, (k, v)) in p.fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            escape(&mut out, k, &[',', '=', ' ']);
            out.push('=');
            match v {
                // Rust's shortest round-trip decimal form (never an exponent).
                Value::Float(f) => out.push_str(&format!("{f}")),
                Value::Integer(i) => out.push_str(&format!("{i}i")),
                Value::Unsigned(u) => out.push_str(&format!("{u}u")),
                Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::String(s) => {
                    out.push('"');
                    escape(&mut out, s, &['"', '\\']);
                    out.push('"');
                }
                Value::Null | Value::Time(_) => out.push_str("0i"),
            }
        }
        out.push(' ');
        out.push_str(&p.time.to_string());
        out.push('\n');
    }
    out
}

/// Appends `s` with a backslash before each of `special`.
fn escape(out: &mut String, s: &str, special: &[char]) {
    for c in s.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
}
