//! InfluxQL over Flight: a JSON `DoGet` ticket with `"query_type": "influxql"` (influxdb3-python's
//! `language="influxql"`), answered as InfluxDB 3 answers it.
//!
//! ```text
//! ticket (database, sql_query = InfluxQL text, params) + token
//!   ──► influxql::parser (bind parameters from the ticket's params) ──► one statement only
//!   ──► influxql_query::Executor::authorize (read on every database the statement reads)
//!   ──► Executor::execute ──► v1 result: series {name, tags, columns, values} | error
//!   ──► one record batch: iox::measurement (Dictionary<Int32, Utf8>), the statement's columns
//!       (time first for SELECT; types from the values), GROUP BY tag columns after time
//!   schema metadata iox::influxql::group_key::metadata = {"measurement_column_index": 0,
//!     "tag_key_columns": [{"tag_key", "column_index", "is_projected"}] sorted by tag key}
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, StringDictionaryBuilder,
    TimestampNanosecondBuilder, UInt64Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use influxql_query::{Executor, Request};
use query::QueryDatabase;
use tonic::metadata::MetadataMap;
use v1_query::result::{Series, Value};

use crate::{QueryServiceError, QueryTicket, authenticate};

/// The leading column naming each row's measurement.
pub const MEASUREMENT_COLUMN: &str = "iox::measurement";
/// The schema metadata key describing the group-by tag columns.
pub const GROUP_KEY_METADATA: &str = "iox::influxql::group_key::metadata";

/// Runs the InfluxQL of `ticket` and returns its answer as one record batch.
pub(crate) async fn execute(
    db: &QueryDatabase,
    points_writer: Option<Arc<dyn influxql_query::PointsWriter>>,
    metadata: &MetadataMap,
    ticket: &QueryTicket,
) -> Result<SendableRecordBatchStream, QueryServiceError> {
    let authenticated = authenticate(db.catalog().as_ref(), metadata).await?;
    let params = bind_params(&ticket.params);
    let query = influxql::parser::parse_query_with_params(&ticket.sql_query, &params)
        .map_err(|e| QueryServiceError::InfluxQl(format!("error parsing query: {e}")))?;
    if query.statements.len() != 1 {
        return Err(QueryServiceError::InfluxQl(format!(
            "InfluxQL over Flight runs one statement per ticket, got {}",
            query.statements.len()
        )));
    }
    let request = Request {
        database: Some(ticket.database.clone()),
        retention_policy: None,
        now: influxql_query::now_ns(),
        authorization: authenticated.authorization,
    };
    let executor = Executor::new(Arc::new(db.clone())).with_points_writer(points_writer);
    executor
        .authorize(&query, &request)
        .map_err(QueryServiceError::InfluxQlForbidden)?;
    let mut results = executor.execute(&query, &request).await;
    let result = results
        .pop()
        .ok_or_else(|| QueryServiceError::InfluxQl("the statement gave no result".into()))?;
    if let Some(e) = result.error {
        return Err(QueryServiceError::InfluxQl(e));
    }
    let batch = to_batch(&result.series)
        .map_err(|e| QueryServiceError::InfluxQl(format!("encoding the result: {e}")))?;
    let schema = batch.schema();
    let stream = futures::stream::iter([Ok(batch)]);
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
}

/// The ticket's parameters as the JSON object the parser binds `$name`s from.
fn bind_params(
    params: &BTreeMap<String, ScalarValue>,
) -> serde_json::Map<String, serde_json::Value> {
    params
        .iter()
        .map(|(k, v)| {
            let json = match v {
                ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => {
                    serde_json::Value::from(s.clone())
                }
                ScalarValue::Int64(Some(i)) => serde_json::Value::from(*i),
                ScalarValue::UInt64(Some(u)) => serde_json::Value::from(*u),
                ScalarValue::Float64(Some(f)) => serde_json::Value::from(*f),
                ScalarValue::Boolean(Some(b)) => serde_json::Value::from(*b),
                other => serde_json::Value::from(other.to_string()),
            };
            (k.clone(), json)
        })
        .collect()
}

/// The Arrow type of a result column: from its first non-null value (time columns are
/// timestamps; a column of nulls only is Utf8).
fn column_type(series: &[Series], column: &str) -> DataType {
    for s in series {
        let Some(i) = s.columns.iter().position(|c| c == column) else {
            continue;
        };
        for row in &s.values {
            match row.get(i) {
                Some(Value::Float(_)) => return DataType::Float64,
                Some(Value::Integer(_)) => return DataType::Int64,
                Some(Value::Unsigned(_)) => return DataType::UInt64,
                Some(Value::Boolean(_)) => return DataType::Boolean,
                Some(Value::String(_)) => return DataType::Utf8,
                Some(Value::Time(_)) => return DataType::Timestamp(TimeUnit::Nanosecond, None),
                _ => {}
            }
        }
    }
    DataType::Utf8
}

/// One column being built.
enum Builder {
    Float(Float64Builder),
    Integer(Int64Builder),
    Unsigned(UInt64Builder),
    Boolean(BooleanBuilder),
    String(StringBuilder),
    Time(TimestampNanosecondBuilder),
    Tag(StringDictionaryBuilder<Int32Type>),
}

impl Builder {
    fn new(data_type: &DataType) -> Self {
        match data_type {
            DataType::Float64 => Self::Float(Float64Builder::new()),
            DataType::Int64 => Self::Integer(Int64Builder::new()),
            DataType::UInt64 => Self::Unsigned(UInt64Builder::new()),
            DataType::Boolean => Self::Boolean(BooleanBuilder::new()),
            DataType::Timestamp(..) => Self::Time(TimestampNanosecondBuilder::new()),
            DataType::Dictionary(..) => Self::Tag(StringDictionaryBuilder::new()),
            _ => Self::String(StringBuilder::new()),
        }
    }

    /// Appends `v` (a value of another type than the column's is null).
    fn push(&mut self, v: Option<&Value>) {
        match (self, v) {
            (Self::Float(b), Some(Value::Float(f))) => b.append_value(*f),
            (Self::Float(b), _) => b.append_null(),
            (Self::Integer(b), Some(Value::Integer(i))) => b.append_value(*i),
            (Self::Integer(b), _) => b.append_null(),
            (Self::Unsigned(b), Some(Value::Unsigned(u))) => b.append_value(*u),
            (Self::Unsigned(b), _) => b.append_null(),
            (Self::Boolean(b), Some(Value::Boolean(x))) => b.append_value(*x),
            (Self::Boolean(b), _) => b.append_null(),
            (Self::Time(b), Some(Value::Time(t))) => b.append_value(*t),
            (Self::Time(b), _) => b.append_null(),
            (Self::String(b), Some(Value::String(s))) => b.append_value(s),
            (Self::String(b), _) => b.append_null(),
            (Self::Tag(b), Some(Value::String(s))) => {
                b.append_value(s);
            }
            (Self::Tag(b), _) => b.append_null(),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            Self::Float(mut b) => Arc::new(b.finish()),
            Self::Integer(mut b) => Arc::new(b.finish()),
            Self::Unsigned(mut b) => Arc::new(b.finish()),
            Self::Boolean(mut b) => Arc::new(b.finish()),
            Self::String(mut b) => Arc::new(b.finish()),
            Self::Time(mut b) => Arc::new(b.finish()),
            Self::Tag(mut b) => Arc::new(b.finish()),
        }
    }
}

/// The series of one statement as one record batch (see the module doc).
pub fn to_batch(series: &[Series]) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let tag_dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    // The statement's columns (every series has the same list, in the same order).
    let mut columns: Vec<String> = Vec::new();
    for s in series {
        for c in &s.columns {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    let tag_keys: BTreeSet<&String> = series.iter().flat_map(|s| s.tags.keys()).collect();

    // Layout: measurement, time (when first), unprojected tags, then the other columns.
    let mut fields = vec![Field::new(MEASUREMENT_COLUMN, tag_dict.clone(), false)];
    let mut sources: Vec<Source> = vec![Source::Measurement];
    let mut rest = columns.iter().enumerate().peekable();
    if let Some((i, c)) = rest.peek().copied()
        && c == "time"
    {
        fields.push(Field::new(
            c,
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            true,
        ));
        sources.push(Source::Column(i));
        rest.next();
    }
    let mut tag_columns = Vec::new();
    for key in &tag_keys {
        if let Some(i) = columns.iter().position(|c| c == *key) {
            tag_columns.push(((*key).clone(), i, true));
        } else {
            tag_columns.push(((*key).clone(), fields.len(), false));
            fields.push(Field::new(key.as_str(), tag_dict.clone(), true));
            sources.push(Source::Tag((*key).clone()));
        }
    }
    let mut projected_at: HashMap<usize, usize> = HashMap::new();
    for (i, c) in rest {
        projected_at.insert(i, fields.len());
        fields.push(Field::new(c, column_type(series, c), true));
        sources.push(Source::Column(i));
    }
    // A projected tag's index is its position in the batch.
    for (_, index, projected) in &mut tag_columns {
        if *projected {
            *index = projected_at.get(index).copied().unwrap_or(*index);
        }
    }

    let mut builders: Vec<Builder> = fields.iter().map(|f| Builder::new(f.data_type())).collect();
    for s in series {
        let name = Value::String(s.name.clone().unwrap_or_default());
        let positions: Vec<Option<usize>> = sources
            .iter()
            .map(|src| match src {
                Source::Column(i) => s.columns.iter().position(|c| *c == columns[*i]),
                _ => None,
            })
            .collect();
        for row in &s.values {
            for (k, src) in sources.iter().enumerate() {
                let v = match src {
                    Source::Measurement => Some(name.clone()),
                    Source::Tag(key) => s.tags.get(key).map(|v| Value::String(v.clone())),
                    Source::Column(_) => positions[k].and_then(|p| row.get(p).cloned()),
                };
                builders[k].push(v.as_ref());
            }
        }
    }
    let metadata = serde_json::json!({
        "measurement_column_index": 0,
        "tag_key_columns": tag_columns
            .iter()
            .map(|(key, index, projected)| serde_json::json!({
                "tag_key": key,
                "column_index": index,
                "is_projected": projected,
            }))
            .collect::<Vec<_>>(),
    });
    let schema = Schema::new(fields).with_metadata(
        [(GROUP_KEY_METADATA.to_owned(), metadata.to_string())]
            .into_iter()
            .collect(),
    );
    RecordBatch::try_new(
        Arc::new(schema),
        builders.into_iter().map(Builder::finish).collect(),
    )
}

/// Where a batch column's values come from.
enum Source {
    Measurement,
    Tag(String),
    Column(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_by_series_become_rows_with_measurement_and_tag_columns() {
        let series: Vec<Series> = ["a", "b"]
            .iter()
            .enumerate()
            .map(|(i, host)| Series {
                name: Some("cpu".into()),
                tags: [("host".to_owned(), (*host).to_owned())]
                    .into_iter()
                    .collect(),
                columns: vec!["time".into(), "mean".into()],
                values: vec![vec![Value::Time(i as i64), Value::Float(i as f64)]],
                partial: false,
            })
            .collect();
        let batch = to_batch(&series).unwrap();
        let names: Vec<&str> = batch
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(names, [MEASUREMENT_COLUMN, "time", "host", "mean"]);
        assert_eq!(batch.num_rows(), 2);
        let meta: serde_json::Value =
            serde_json::from_str(&batch.schema().metadata()[GROUP_KEY_METADATA]).unwrap();
        assert_eq!(
            meta,
            serde_json::json!({"measurement_column_index": 0, "tag_key_columns": [
                {"tag_key": "host", "column_index": 2, "is_projected": false}]})
        );
    }
}
