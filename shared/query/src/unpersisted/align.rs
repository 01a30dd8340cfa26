//! Fits an ingester's batch to the querier's table schema: columns by name, in the table's
//! order; columns the batch lacks become nulls; columns the querier does not know are dropped.
//!
//! ```text
//! batch (subset of the table's columns, any order) + table schema
//!   └─► for each table field: batch column by name (cast if its type differs) | null array
//!         ──► RecordBatch with the table schema (and its iox::column::type metadata)
//! ```

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions, new_null_array};
use arrow::compute::cast;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;

/// `batch` with exactly the fields of `schema`.
pub fn align_to_schema(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let rows = batch.num_rows();
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) if column.data_type() == field.data_type() => Ok(column.clone()),
            Some(column) => cast(column, field.data_type()),
            None => Ok(new_null_array(field.data_type(), rows)),
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(schema.clone(), columns, &options)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn reorders_fills_and_drops_columns() {
        let table: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("host", DataType::Utf8, true),
            Field::new("usage", DataType::Float64, true),
            Field::new("v", DataType::Float64, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("v", DataType::Int64, true),
                Field::new("unknown", DataType::Int64, true),
                Field::new("host", DataType::Utf8, true),
            ])),
            vec![
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(Int64Array::from(vec![7, 7])),
                Arc::new(StringArray::from(vec!["a", "b"])),
            ],
        )
        .unwrap();
        let out = align_to_schema(&batch, &table).unwrap();
        assert_eq!(out.schema(), table);
        assert_eq!(out.num_rows(), 2);
        assert_eq!(out.column(1).null_count(), 2, "missing column is null");
        let v = out
            .column(2)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert_eq!(v.values(), &[1.0, 2.0], "cast to the table's type");
    }

    #[test]
    fn keeps_the_row_count_with_no_matching_column() {
        let table: SchemaRef = Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, true)]));
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("y", DataType::Int64, true)])),
            vec![Arc::new(Int64Array::from(vec![1, 2, 3]))],
        )
        .unwrap();
        assert_eq!(align_to_schema(&batch, &table).unwrap().num_rows(), 3);
    }
}
