//! Prepared-statement parameters: the placeholders DataFusion finds in the SQL (`$1`, `$2`, …
//! or `$name`), and the record batch a client binds to them with `DoPut`.
//!
//! ```text
//! LogicalPlan ──► placeholders() ──► parameter_schema(): one nullable field per placeholder
//!                  ($1, $2, … by number; $name by name; type = DataFusion's inference, else
//!                  Null; a dictionary tag column asks for its value type, Utf8)
//! check_all_bound(): placeholders without a value ──► InvalidParameters before execution
//! DoPut batch (exactly one row) ──► bind()
//!   all placeholders positional ──► ParamValues::List (column i ──► $i+1)
//!   named placeholders          ──► ParamValues::Map  (column `name` or `$name` ──► $name)
//!   each value cast to the inferred type when it can be (Int64 5 for a Float64 field ──► 5.0)
//! batch ◄──► Arrow IPC stream bytes (kept in the statement handle between calls)
//! ```

use bytes::Bytes;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::common::ParamValues;
use datafusion::common::metadata::ScalarAndMetadata;
use datafusion::logical_expr::LogicalPlan;
use datafusion::scalar::ScalarValue;
use std::collections::HashMap;

use crate::QueryServiceError;

/// A placeholder of the statement, in parameter order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placeholder {
    /// As written in the SQL, with its `$`.
    pub id: String,
    /// The type DataFusion inferred from the context, if any.
    pub data_type: Option<DataType>,
}

/// The statement's placeholders: `$1, $2, …` in numeric order, or named ones by name.
pub(crate) fn placeholders(plan: &LogicalPlan) -> Result<Vec<Placeholder>, QueryServiceError> {
    let fields: HashMap<String, Option<FieldRef>> = plan.get_parameter_fields()?;
    let mut placeholders: Vec<Placeholder> = fields
        .into_iter()
        .map(|(id, field)| Placeholder {
            id,
            data_type: field.map(|f| f.data_type().clone()),
        })
        .collect();
    placeholders.sort_by(|a, b| match (position(&a.id), position(&b.id)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.id.cmp(&b.id),
    });
    Ok(placeholders)
}

/// The `parameter_schema` of a prepared statement.
pub(crate) fn parameter_schema(placeholders: &[Placeholder]) -> Schema {
    Schema::new(
        placeholders
            .iter()
            .map(|p| {
                let data_type = p
                    .data_type
                    .as_ref()
                    .map_or(DataType::Null, |t| value_type(t).clone());
                Field::new(&p.id, data_type, true)
            })
            .collect::<Vec<_>>(),
    )
}

/// The values `batch` binds to `placeholders`.
pub(crate) fn bind(
    placeholders: &[Placeholder],
    batch: &RecordBatch,
) -> Result<ParamValues, QueryServiceError> {
    if batch.num_rows() != 1 {
        return Err(invalid(format!(
            "bind exactly one row of parameters, got {} rows",
            batch.num_rows()
        )));
    }
    let schema = batch.schema();
    let positional = placeholders.iter().all(|p| position(&p.id).is_some());
    if positional {
        let expected = placeholders
            .iter()
            .filter_map(|p| position(&p.id))
            .max()
            .unwrap_or(0);
        if batch.num_columns() != expected {
            return Err(invalid(format!(
                "the statement has {expected} positional parameter(s) but {} value(s) were bound",
                batch.num_columns()
            )));
        }
        let values = (0..expected)
            .map(|i| {
                let id = format!("${}", i + 1);
                let data_type = placeholders
                    .iter()
                    .find(|p| p.id == id)
                    .and_then(|p| p.data_type.as_ref());
                value(batch, i, data_type)
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(ParamValues::List(values));
    }
    let mut map = HashMap::new();
    let mut used = vec![false; batch.num_columns()];
    for p in placeholders {
        let name = p.id.strip_prefix('$').unwrap_or(&p.id);
        let column = schema
            .fields()
            .iter()
            .position(|f| f.name() == name || f.name() == &p.id)
            .ok_or_else(|| {
                let bound: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                invalid(format!(
                    "no value bound for {} (bound columns: [{}]); bind parameters by name",
                    p.id,
                    bound.join(", ")
                ))
            })?;
        used[column] = true;
        map.insert(
            name.to_string(),
            value(batch, column, p.data_type.as_ref())?,
        );
    }
    if let Some(unused) = used.iter().position(|u| !u) {
        return Err(invalid(format!(
            "bound column '{}' matches no parameter of the statement",
            schema.field(unused).name()
        )));
    }
    Ok(ParamValues::Map(map))
}

/// Fails when a statement with placeholders is run without values for all of them.
pub(crate) fn check_all_bound(
    placeholders: &[Placeholder],
    bound: impl Fn(&str) -> bool,
    hint: &str,
) -> Result<(), QueryServiceError> {
    let missing: Vec<&str> = placeholders
        .iter()
        .map(|p| p.id.as_str())
        .filter(|id| !bound(id))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(invalid(format!(
            "no value bound for {}; {hint}",
            missing.join(", ")
        )))
    }
}

/// `batch` as Arrow IPC stream bytes.
pub(crate) fn batch_to_ipc(batch: &RecordBatch) -> Result<Bytes, QueryServiceError> {
    let mut out = Vec::new();
    let mut writer = StreamWriter::try_new(&mut out, &batch.schema())?;
    writer.write(batch)?;
    writer.finish()?;
    drop(writer);
    Ok(Bytes::from(out))
}

/// The single batch of Arrow IPC stream bytes written by [`batch_to_ipc`].
pub(crate) fn batch_from_ipc(bytes: &[u8]) -> Result<RecordBatch, QueryServiceError> {
    let reader = StreamReader::try_new(bytes, None)
        .map_err(|e| invalid(format!("bound parameters cannot be read: {e}")))?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("bound parameters cannot be read: {e}")))?;
    Ok(datafusion::arrow::compute::concat_batches(
        &schema, &batches,
    )?)
}

/// The number of a positional placeholder (`$3` ──► 3).
fn position(id: &str) -> Option<usize> {
    id.strip_prefix('$')?.parse().ok().filter(|n| *n > 0)
}

fn value(
    batch: &RecordBatch,
    column: usize,
    data_type: Option<&DataType>,
) -> Result<ScalarAndMetadata, QueryServiceError> {
    let scalar = ScalarValue::try_from_array(batch.column(column).as_ref(), 0)?;
    let scalar = match data_type.map(value_type) {
        Some(target) if scalar.data_type() != *target && !scalar.is_null() => {
            scalar.cast_to(target).unwrap_or(scalar)
        }
        _ => scalar,
    };
    Ok(ScalarAndMetadata::new(scalar, None))
}

/// Dictionary-encoded tags compare with plain values of their value type.
fn value_type(data_type: &DataType) -> &DataType {
    match data_type {
        DataType::Dictionary(_, values) => values,
        other => other,
    }
}

fn invalid(message: String) -> QueryServiceError {
    QueryServiceError::InvalidParameters(message)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use datafusion::prelude::SessionContext;
    use std::sync::Arc;

    use super::*;

    async fn plan(sql: &str) -> LogicalPlan {
        let ctx = SessionContext::new();
        ctx.sql("CREATE TABLE t (host VARCHAR, usage DOUBLE) AS VALUES ('a', 1.0)")
            .await
            .unwrap();
        ctx.sql(sql).await.unwrap().into_unoptimized_plan()
    }

    fn one_row(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    fn strings(v: &str) -> ArrayRef {
        Arc::new(StringArray::from(vec![v]))
    }

    #[tokio::test]
    async fn positional_placeholders_in_numeric_order() {
        let plan = plan("SELECT * FROM t WHERE usage > $2 AND host = $1 OR usage < $10").await;
        let ids: Vec<_> = placeholders(&plan)
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, ["$1", "$2", "$10"]);
        let schema = parameter_schema(&placeholders(&plan).unwrap());
        // DataFusion maps VARCHAR to Utf8View.
        assert_eq!(schema.field(0).data_type(), &DataType::Utf8View);
        assert_eq!(schema.field(1).data_type(), &DataType::Float64);
    }

    #[tokio::test]
    async fn binds_positionally_and_casts_to_the_inferred_type() {
        let plan = plan("SELECT * FROM t WHERE host = $1 AND usage > $2").await;
        let p = placeholders(&plan).unwrap();
        let batch = one_row(vec![
            ("0", strings("a")),
            ("1", Arc::new(Int64Array::from(vec![5]))),
        ]);
        let ParamValues::List(values) = bind(&p, &batch).unwrap() else {
            panic!("expected a list")
        };
        assert_eq!(values[0].value, ScalarValue::Utf8View(Some("a".into())));
        assert_eq!(values[1].value, ScalarValue::Float64(Some(5.0)));

        let err = bind(&p, &one_row(vec![("0", strings("a"))])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid parameters: the statement has 2 positional parameter(s) but 1 value(s) were bound"
        );
        let two_rows = RecordBatch::try_from_iter(vec![
            ("0", Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef),
            (
                "1",
                Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef,
            ),
        ])
        .unwrap();
        assert_eq!(
            bind(&p, &two_rows).unwrap_err().to_string(),
            "Invalid parameters: bind exactly one row of parameters, got 2 rows"
        );
    }

    #[tokio::test]
    async fn binds_by_name() {
        let plan = plan("SELECT * FROM t WHERE host = $host AND usage > $min").await;
        let p = placeholders(&plan).unwrap();
        let batch = one_row(vec![
            ("min", Arc::new(Float64Array::from(vec![0.5]))),
            ("$host", strings("a")),
        ]);
        let ParamValues::Map(map) = bind(&p, &batch).unwrap() else {
            panic!("expected a map")
        };
        assert_eq!(map["host"].value, ScalarValue::Utf8View(Some("a".into())));
        assert_eq!(map["min"].value, ScalarValue::Float64(Some(0.5)));
        let err = bind(&p, &one_row(vec![("0", strings("a"))])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid parameters: no value bound for $host (bound columns: [0]); bind parameters by name"
        );
        let extra = one_row(vec![
            ("min", Arc::new(Float64Array::from(vec![0.5]))),
            ("host", strings("a")),
            ("other", strings("x")),
        ]);
        assert_eq!(
            bind(&p, &extra).unwrap_err().to_string(),
            "Invalid parameters: bound column 'other' matches no parameter of the statement"
        );
    }

    #[test]
    fn ipc_round_trip() {
        let batch = one_row(vec![("0", strings("a"))]);
        let bytes = batch_to_ipc(&batch).unwrap();
        assert_eq!(batch_from_ipc(&bytes).unwrap(), batch);
        assert!(
            batch_from_ipc(b"garbage")
                .unwrap_err()
                .to_string()
                .starts_with("Invalid parameters: bound parameters cannot be read: ")
        );
    }
}
