//! Arrow conventions: the Arrow type, nullability and metadata of each Influx column type, and
//! reading an Influx type back from an Arrow field.

use std::collections::HashMap;

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

use crate::column_type::{
    COLUMN_TYPE_METADATA_KEY, InfluxColumnType, InfluxFieldType, MEASUREMENT_METADATA_KEY,
};

/// Why an Arrow field does not describe an Influx column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// The field has no `iox::column::type` metadata.
    #[error("column {column} has no {COLUMN_TYPE_METADATA_KEY} metadata")]
    MissingColumnType {
        /// Column name.
        column: String,
    },
    /// The `iox::column::type` metadata holds an unknown value.
    #[error("column {column} has unknown {COLUMN_TYPE_METADATA_KEY} metadata value {value:?}")]
    UnknownColumnType {
        /// Column name.
        column: String,
        /// The metadata value found.
        value: String,
    },
    /// The Arrow data type does not match the Influx type named by the metadata.
    #[error(
        "column {column} is marked as {column_type} but has Arrow type {actual} instead of {expected}"
    )]
    DataTypeMismatch {
        /// Column name.
        column: String,
        /// Influx type named by the metadata.
        column_type: InfluxColumnType,
        /// Arrow type required by that Influx type.
        expected: DataType,
        /// Arrow type found.
        actual: DataType,
    },
}

/// The Arrow data type of a column of the given Influx type.
pub fn arrow_data_type(column_type: InfluxColumnType) -> DataType {
    match column_type {
        InfluxColumnType::Tag => {
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        }
        InfluxColumnType::Field(field) => match field {
            InfluxFieldType::Float => DataType::Float64,
            InfluxFieldType::Integer => DataType::Int64,
            InfluxFieldType::UInteger => DataType::UInt64,
            InfluxFieldType::String => DataType::Utf8,
            InfluxFieldType::Boolean => DataType::Boolean,
        },
        InfluxColumnType::Timestamp => DataType::Timestamp(TimeUnit::Nanosecond, None),
    }
}

/// The Arrow field of a column: its data type, nullability (only `time` is NOT NULL) and the
/// `iox::column::type` metadata.
pub fn arrow_field(name: &str, column_type: InfluxColumnType) -> Field {
    let nullable = column_type != InfluxColumnType::Timestamp;
    let metadata = HashMap::from([(
        COLUMN_TYPE_METADATA_KEY.to_string(),
        column_type.metadata_value().to_string(),
    )]);
    Field::new(name, arrow_data_type(column_type), nullable).with_metadata(metadata)
}

/// The Arrow schema of a table: one field per column, in the order given, and the schema-level
/// `iox::measurement::name` metadata. Use [`sort_columns`] first for the canonical order.
pub fn arrow_schema<'n>(
    table: &str,
    columns: impl IntoIterator<Item = (&'n str, InfluxColumnType)>,
) -> Schema {
    let fields: Vec<Field> = columns
        .into_iter()
        .map(|(name, column_type)| arrow_field(name, column_type))
        .collect();
    let metadata = HashMap::from([(MEASUREMENT_METADATA_KEY.to_string(), table.to_string())]);
    Schema::new_with_metadata(fields, metadata)
}

/// Sorts columns into the canonical order: tags by name, then fields by name, then `time`.
/// Names compare bytewise.
pub fn sort_columns<N: AsRef<str>>(columns: &mut [(N, InfluxColumnType)]) {
    columns.sort_by(|(a_name, a_type), (b_name, b_type)| {
        (a_type.order_rank(), a_name.as_ref()).cmp(&(b_type.order_rank(), b_name.as_ref()))
    });
}

/// Reads the Influx type of an Arrow field from its metadata and checks the data type agrees.
pub fn influx_column_type(field: &Field) -> Result<InfluxColumnType, SchemaError> {
    let column = || field.name().clone();
    let value = field
        .metadata()
        .get(COLUMN_TYPE_METADATA_KEY)
        .ok_or_else(|| SchemaError::MissingColumnType { column: column() })?;
    let column_type = InfluxColumnType::from_metadata_value(value).ok_or_else(|| {
        SchemaError::UnknownColumnType {
            column: column(),
            value: value.clone(),
        }
    })?;
    let expected = arrow_data_type(column_type);
    if field.data_type() != &expected {
        return Err(SchemaError::DataTypeMismatch {
            column: column(),
            column_type,
            expected,
            actual: field.data_type().clone(),
        });
    }
    Ok(column_type)
}

/// The table name stored in a schema's `iox::measurement::name` metadata.
pub fn measurement_name(schema: &Schema) -> Option<&str> {
    schema
        .metadata()
        .get(MEASUREMENT_METADATA_KEY)
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column_type::TIME_COLUMN_NAME;

    #[test]
    fn fields_follow_the_iox_conventions() {
        let tag = arrow_field("host", InfluxColumnType::Tag);
        assert_eq!(
            tag.data_type(),
            &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        );
        assert!(tag.is_nullable());
        assert_eq!(tag.metadata()["iox::column::type"], "iox::column_type::tag");

        let time = arrow_field(TIME_COLUMN_NAME, InfluxColumnType::Timestamp);
        assert_eq!(
            time.data_type(),
            &DataType::Timestamp(TimeUnit::Nanosecond, None)
        );
        assert!(!time.is_nullable());
        assert_eq!(
            time.metadata()["iox::column::type"],
            "iox::column_type::timestamp"
        );

        let expected = [
            (
                InfluxFieldType::Float,
                DataType::Float64,
                "iox::column_type::field::float",
            ),
            (
                InfluxFieldType::Integer,
                DataType::Int64,
                "iox::column_type::field::integer",
            ),
            (
                InfluxFieldType::UInteger,
                DataType::UInt64,
                "iox::column_type::field::uinteger",
            ),
            (
                InfluxFieldType::String,
                DataType::Utf8,
                "iox::column_type::field::string",
            ),
            (
                InfluxFieldType::Boolean,
                DataType::Boolean,
                "iox::column_type::field::boolean",
            ),
        ];
        for (field_type, data_type, metadata) in expected {
            let field = arrow_field("v", InfluxColumnType::Field(field_type));
            assert_eq!(field.data_type(), &data_type);
            assert!(field.is_nullable());
            assert_eq!(field.metadata()["iox::column::type"], metadata);
        }
    }

    #[test]
    fn influx_type_reads_back_from_every_field() {
        let mut types = vec![InfluxColumnType::Tag, InfluxColumnType::Timestamp];
        types.extend(InfluxFieldType::ALL.map(InfluxColumnType::Field));
        for ty in types {
            assert_eq!(influx_column_type(&arrow_field("c", ty)), Ok(ty));
        }
    }

    #[test]
    fn reading_back_rejects_missing_unknown_and_mismatched_metadata() {
        let plain = Field::new("c", DataType::Int64, true);
        assert_eq!(
            influx_column_type(&plain).unwrap_err().to_string(),
            "column c has no iox::column::type metadata"
        );
        let unknown = plain.clone().with_metadata(HashMap::from([(
            COLUMN_TYPE_METADATA_KEY.to_string(),
            "iox::column_type::field::decimal".to_string(),
        )]));
        assert!(matches!(
            influx_column_type(&unknown),
            Err(SchemaError::UnknownColumnType { value, .. }) if value == "iox::column_type::field::decimal"
        ));
        let mismatched = plain.with_metadata(HashMap::from([(
            COLUMN_TYPE_METADATA_KEY.to_string(),
            "iox::column_type::field::float".to_string(),
        )]));
        assert_eq!(
            influx_column_type(&mismatched).unwrap_err().to_string(),
            "column c is marked as f64 but has Arrow type Int64 instead of Float64"
        );
    }

    #[test]
    fn schema_carries_the_measurement_name_and_keeps_the_given_order() {
        let mut columns = vec![
            ("time", InfluxColumnType::Timestamp),
            ("usage", InfluxColumnType::Field(InfluxFieldType::Float)),
            ("region", InfluxColumnType::Tag),
            ("active", InfluxColumnType::Field(InfluxFieldType::Boolean)),
            ("host", InfluxColumnType::Tag),
        ];
        sort_columns(&mut columns);
        let schema = arrow_schema("cpu", columns.iter().copied());
        assert_eq!(measurement_name(&schema), Some("cpu"));
        let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["host", "region", "active", "usage", "time"]);
        assert_eq!(measurement_name(&Schema::empty()), None);
    }
}
