//! Step 7: the columns a write uses, as a catalog upsert request.

use catalog::SchemaUpsert;
use schema::{TableBatch, influx_column_type};

use super::WriteError;

/// Every column of every table batch with its Influx type (read from the Arrow metadata).
pub(crate) fn schema_upsert(tables: &[TableBatch]) -> Result<SchemaUpsert, WriteError> {
    let mut upsert = SchemaUpsert::new();
    for table in tables {
        for field in table.batch.schema().fields() {
            let column_type =
                influx_column_type(field).map_err(|source| WriteError::ColumnType {
                    table: table.name.clone(),
                    source,
                })?;
            upsert.add(&table.name, field.name(), column_type)?;
        }
    }
    Ok(upsert)
}

#[cfg(test)]
mod tests {
    use schema::{InfluxColumnType, InfluxFieldType};

    use super::*;
    use crate::write::convert_body;

    #[test]
    fn lists_tags_fields_and_time_per_table() {
        let converted = convert_body(
            &schema::ConvertPool::new(1),
            "cpu,host=a usage=1.5,n=2i,ok=true 1\nmem free=3u,s=\"x\" 2".to_owned(),
            line_protocol::Precision::Nanoseconds,
            0,
        )
        .unwrap();
        let upsert = schema_upsert(&converted.tables).unwrap();
        let cpu = &upsert.tables()["cpu"];
        assert_eq!(cpu["host"], InfluxColumnType::Tag);
        assert_eq!(
            cpu["usage"],
            InfluxColumnType::Field(InfluxFieldType::Float)
        );
        assert_eq!(cpu["n"], InfluxColumnType::Field(InfluxFieldType::Integer));
        assert_eq!(cpu["ok"], InfluxColumnType::Field(InfluxFieldType::Boolean));
        assert_eq!(cpu["time"], InfluxColumnType::Timestamp);
        let mem = &upsert.tables()["mem"];
        assert_eq!(
            mem["free"],
            InfluxColumnType::Field(InfluxFieldType::UInteger)
        );
        assert_eq!(mem["s"], InfluxColumnType::Field(InfluxFieldType::String));
        assert_eq!(mem.len(), 3);
    }
}
