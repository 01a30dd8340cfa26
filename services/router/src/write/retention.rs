//! Step 6b: rows older than the database's retention period reject the whole write.

use arrow::array::{Array, TimestampNanosecondArray};
use schema::{TIME_COLUMN_NAME, TableBatch};

use super::WriteError;
use crate::time::rfc3339;

/// Fails with 422 when any row of any table is older than `now_ns - retention_ns`.
pub(crate) fn check_retention(
    tables: &[TableBatch],
    retention_ns: Option<i64>,
    now_ns: i64,
) -> Result<(), WriteError> {
    let Some(retention_ns) = retention_ns else {
        return Ok(());
    };
    let minimum = now_ns.saturating_sub(retention_ns);
    for table in tables {
        let times = table
            .batch
            .column_by_name(TIME_COLUMN_NAME)
            .and_then(|c| c.as_any().downcast_ref::<TimestampNanosecondArray>())
            .ok_or_else(|| WriteError::NoTimeColumn {
                table: table.name.clone(),
            })?;
        let oldest = times.iter().flatten().min();
        if let Some(observed) = oldest.filter(|&t| t < minimum) {
            return Err(WriteError::OutsideRetention {
                table: table.name.clone(),
                minimum: rfc3339(minimum),
                observed: rfc3339(observed),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::convert_body;

    #[test]
    fn rejects_the_oldest_row_naming_table_and_times() {
        let converted = convert_body(
            &schema::ConvertPool::new(1),
            "cpu v=1 1000\nmem v=1 5000\nmem v=2 100".to_owned(),
            line_protocol::Precision::Seconds,
            0,
        )
        .unwrap();
        let now = 6000 * 1_000_000_000;
        assert!(check_retention(&converted.tables, None, now).is_ok());
        assert!(check_retention(&converted.tables, Some(now), now).is_ok());
        let err = check_retention(&converted.tables, Some(2000 * 1_000_000_000), now).unwrap_err();
        assert!(
            matches!(
                &err,
                WriteError::OutsideRetention { table, minimum, observed }
                    if table == "cpu"
                        && minimum == "1970-01-01T01:06:40Z"
                        && observed == "1970-01-01T00:16:40Z"
            ),
            "{err:?}"
        );
    }
}
