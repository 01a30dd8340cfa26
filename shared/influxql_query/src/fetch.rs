//! Reads one measurement's rows through the query session (Parquet ∪ ingester buffers,
//! deduplicated) and cuts them into series.
//!
//! ```text
//! SessionContext.table(measurement)
//!   ──► filter time ∈ [min, max] and the statement's prefilter (prune files, reach the
//!       ingesters as SQL's filters do)
//!   ──► projection: every tag + the fields asked for + time
//!   ──► batches ──► rows grouped by their tag values (one series per distinct tag set)
//!   ──► Vec<SeriesData> sorted by series key, each sorted by time
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampNanosecondArray,
    UInt64Array,
};
use arrow::datatypes::DataType as ArrowType;
use arrow::row::{RowConverter, SortField};
use datafusion::prelude::{SessionContext, col, lit};
use datafusion::scalar::ScalarValue;
use futures::TryStreamExt;
use v1_query::result::Value;

use crate::ExecError;
use crate::condition::TimeRange;

/// The rows of one series.
#[derive(Debug, Clone)]
pub(crate) struct SeriesData {
    /// Every tag of the series that has a value, by name.
    pub(crate) tags: BTreeMap<String, String>,
    /// Times, ascending.
    pub(crate) times: Vec<i64>,
    /// One column per requested field, aligned with `times`.
    pub(crate) columns: Vec<Vec<Value>>,
}

impl SeriesData {
    /// 1.x's series key, `name,k=v,…` (tags sorted, escaped as line protocol escapes them).
    pub(crate) fn key(&self, measurement: &str) -> String {
        let mut key = escape_key_part(measurement, false);
        for (k, v) in &self.tags {
            key.push(',');
            key.push_str(&escape_key_part(k, true));
            key.push('=');
            key.push_str(&escape_key_part(v, true));
        }
        key
    }
}

/// Escapes a measurement name (`,` and space) or a tag key/value (`,`, `=` and space) as line
/// protocol writes them.
pub(crate) fn escape_key_part(s: &str, tag: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == ',' || c == ' ' || (tag && c == '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Reads `fields` (and every tag in `tags`) of `table` within `range`.
pub(crate) async fn fetch_series(
    ctx: &SessionContext,
    table: &str,
    tags: &[String],
    fields: &[String],
    range: TimeRange,
    prefilter: Option<datafusion::prelude::Expr>,
) -> Result<Vec<SeriesData>, ExecError> {
    let mut df = ctx
        .table(datafusion::common::TableReference::bare(table))
        .await?;
    if let Some(f) = prefilter {
        df = df.filter(f)?;
    }
    if let Some(min) = range.min {
        df =
            df.filter(col("time").gt_eq(lit(ScalarValue::TimestampNanosecond(Some(min), None))))?;
    }
    if let Some(max) = range.max {
        df =
            df.filter(col("time").lt_eq(lit(ScalarValue::TimestampNanosecond(Some(max), None))))?;
    }
    let mut projection: Vec<datafusion::prelude::Expr> = Vec::new();
    for t in tags.iter().chain(fields) {
        projection.push(datafusion::prelude::ident(t));
    }
    projection.push(col("time"));
    df = df.select(projection)?;
    let mut stream = df.execute_stream().await?;

    // Series are found by their tag values in arrow's row format (one byte string per row, no
    // allocation for a series seen before; consecutive rows of one series skip the lookup).
    let mut converter: Option<RowConverter> = None;
    let mut index: HashMap<Box<[u8]>, usize> = HashMap::new();
    let mut out: Vec<SeriesData> = Vec::new();
    let mut sorted: Vec<bool> = Vec::new();
    while let Some(batch) = stream.try_next().await? {
        let n = batch.num_rows();
        let tag_cols: Vec<ArrayRef> = (0..tags.len())
            .map(|i| Arc::clone(batch.column(i)))
            .collect();
        // Without tags every row is of the one series (keyed by the empty byte string).
        let rows = if tag_cols.is_empty() {
            None
        } else {
            let converter = match &mut converter {
                Some(c) => c,
                None => converter.insert(RowConverter::new(
                    tag_cols
                        .iter()
                        .map(|c| SortField::new(c.data_type().clone()))
                        .collect(),
                )?),
            };
            Some(converter.convert_columns(&tag_cols)?)
        };
        let key_of = |row: usize| rows.as_ref().map_or(&[][..], |r| r.row(row).data());
        let field_cols: Vec<&ArrayRef> = (0..fields.len())
            .map(|i| batch.column(tags.len() + i))
            .collect();
        let time = batch
            .column(tags.len() + fields.len())
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>()
            .ok_or_else(|| ExecError::Internal("time column is not a nanosecond timestamp".into()))?
            .clone();
        let mut current: Option<(usize, usize)> = None; // (row, series) of the previous row
        for row in 0..n {
            let slot = match current {
                Some((prev, slot)) if key_of(prev) == key_of(row) => slot,
                _ => {
                    let key = key_of(row);
                    match index.get(key) {
                        Some(&slot) => slot,
                        None => {
                            let mut tag_map = BTreeMap::new();
                            for (name, c) in tags.iter().zip(&tag_cols) {
                                if let Some(v) = tag_value(c, row)?
                                    && !v.is_empty()
                                {
                                    tag_map.insert(name.clone(), v);
                                }
                            }
                            index.insert(key.into(), out.len());
                            out.push(SeriesData {
                                tags: tag_map,
                                times: Vec::new(),
                                columns: (0..fields.len()).map(|_| Vec::new()).collect(),
                            });
                            sorted.push(true);
                            out.len() - 1
                        }
                    }
                }
            };
            current = Some((row, slot));
            let s = &mut out[slot];
            let t = time.value(row);
            if s.times.last().is_some_and(|&last| last > t) {
                sorted[slot] = false;
            }
            s.times.push(t);
            for (c, col) in s.columns.iter_mut().zip(&field_cols) {
                c.push(value_at(col, row));
            }
        }
    }
    for (s, sorted) in out.iter_mut().zip(sorted) {
        if !sorted {
            let mut order: Vec<usize> = (0..s.times.len()).collect();
            order.sort_by_key(|&i| s.times[i]);
            s.times = order.iter().map(|&i| s.times[i]).collect();
            for c in &mut s.columns {
                *c = order.iter().map(|&i| c[i].clone()).collect();
            }
        }
    }
    out.sort_by_cached_key(|s| s.key(table));
    Ok(out)
}

/// A tag column as a GROUP BY key: as `Utf8View` (views into the dictionary's values, no copy),
/// which DataFusion groups column by column — a dictionary column would send every GROUP BY
/// key through arrow's row format.
pub(crate) fn tag_key(tag: &str) -> datafusion::prelude::Expr {
    datafusion::logical_expr::cast(datafusion::prelude::ident(tag), ArrowType::Utf8View).alias(tag)
}

/// The text of row `i` of a tag column (`None` when null).
fn tag_value(a: &ArrayRef, i: usize) -> Result<Option<String>, ExecError> {
    if a.is_null(i) {
        return Ok(None);
    }
    let one = to_strings(&a.slice(i, 1))?;
    Ok(Some(one.value(0).to_owned()))
}

pub(crate) fn to_strings(a: &ArrayRef) -> Result<StringArray, ExecError> {
    let cast = arrow::compute::cast(a, &ArrowType::Utf8)?;
    cast.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| ExecError::Internal("tag column is not a string".into()))
}

/// The value of row `i` of a field column.
fn value_at(a: &ArrayRef, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    let any = a.as_any();
    if let Some(x) = any.downcast_ref::<Float64Array>() {
        Value::Float(x.value(i))
    } else if let Some(x) = any.downcast_ref::<Int64Array>() {
        Value::Integer(x.value(i))
    } else if let Some(x) = any.downcast_ref::<UInt64Array>() {
        Value::Unsigned(x.value(i))
    } else if let Some(x) = any.downcast_ref::<StringArray>() {
        Value::String(x.value(i).to_owned())
    } else if let Some(x) = any.downcast_ref::<BooleanArray>() {
        Value::Boolean(x.value(i))
    } else {
        match arrow::compute::cast(a, &ArrowType::Utf8) {
            Ok(s) => s
                .as_any()
                .downcast_ref::<StringArray>()
                .map(|s| Value::String(s.value(i).to_owned()))
                .unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }
}

/// The distinct tag sets (series) of `table` with rows in `range`, each as a tag map, sorted by
/// series key.
pub(crate) async fn distinct_series(
    ctx: &SessionContext,
    table: &str,
    tags: &[String],
    range: TimeRange,
) -> Result<Vec<BTreeMap<String, String>>, ExecError> {
    if tags.is_empty() {
        // A measurement without tags has one series when it has any row.
        let mut df = ctx
            .table(datafusion::common::TableReference::bare(table))
            .await?;
        if let Some(min) = range.min {
            df = df.filter(
                col("time").gt_eq(lit(ScalarValue::TimestampNanosecond(Some(min), None))),
            )?;
        }
        if let Some(max) = range.max {
            df = df.filter(
                col("time").lt_eq(lit(ScalarValue::TimestampNanosecond(Some(max), None))),
            )?;
        }
        let n = df.limit(0, Some(1))?.count().await?;
        return Ok(if n > 0 {
            vec![BTreeMap::new()]
        } else {
            Vec::new()
        });
    }
    let mut df = ctx
        .table(datafusion::common::TableReference::bare(table))
        .await?;
    if let Some(min) = range.min {
        df =
            df.filter(col("time").gt_eq(lit(ScalarValue::TimestampNanosecond(Some(min), None))))?;
    }
    if let Some(max) = range.max {
        df =
            df.filter(col("time").lt_eq(lit(ScalarValue::TimestampNanosecond(Some(max), None))))?;
    }
    let projection: Vec<datafusion::prelude::Expr> =
        tags.iter().map(datafusion::prelude::ident).collect();
    let df = df.select(projection)?.distinct()?;
    let mut stream = df.execute_stream().await?;
    let mut out = Vec::new();
    while let Some(batch) = stream.try_next().await? {
        let cols: Vec<StringArray> = (0..tags.len())
            .map(|i| to_strings(batch.column(i)))
            .collect::<Result<_, _>>()?;
        for row in 0..batch.num_rows() {
            let mut m = BTreeMap::new();
            for (name, c) in tags.iter().zip(&cols) {
                if !c.is_null(row) && !c.value(row).is_empty() {
                    m.insert(name.clone(), c.value(row).to_owned());
                }
            }
            out.push(m);
        }
    }
    let mut keyed: Vec<(String, BTreeMap<String, String>)> = out
        .into_iter()
        .map(|tags| {
            let s = SeriesData {
                tags,
                times: Vec::new(),
                columns: Vec::new(),
            };
            (s.key(table), s.tags)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    Ok(keyed.into_iter().map(|(_, t)| t).collect())
}
