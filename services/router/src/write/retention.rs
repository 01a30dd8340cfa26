//! Step 6b: rows older than the database's retention period reject the whole write.

use arrow::array::{Array, TimestampNanosecondArray};
use schema::{TIME_COLUMN_NAME, TableBatch};

use crate::http::error::ApiError;
use crate::time::rfc3339;

/// Fails with 422 when any row of any table is older than `now_ns - retention_ns`.
pub fn check_retention(
    tables: &[TableBatch],
    retention_ns: Option<i64>,
    now_ns: i64,
) -> Result<(), ApiError> {
    let Some(retention_ns) = retention_ns else {
        return Ok(());
    };
    let minimum = now_ns.saturating_sub(retention_ns);
    for table in tables {
        let times = table
            .batch
            .column_by_name(TIME_COLUMN_NAME)
            .and_then(|c| c.as_any().downcast_ref::<TimestampNanosecondArray>())
            .ok_or_else(|| {
                ApiError::Internal(format!(
                    "table {} has no nanosecond time column",
                    table.name
                ))
            })?;
        let oldest = times.iter().flatten().min();
        if let Some(observed) = oldest.filter(|&t| t < minimum) {
            return Err(ApiError::OutsideRetention {
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
        assert_eq!(check_retention(&converted.tables, None, now), Ok(()));
        assert_eq!(check_retention(&converted.tables, Some(now), now), Ok(()));
        let err = check_retention(&converted.tables, Some(2000 * 1_000_000_000), now).unwrap_err();
        assert_eq!(
            err,
            ApiError::OutsideRetention {
                table: "cpu".into(),
                minimum: "1970-01-01T01:06:40Z".into(),
                observed: "1970-01-01T00:16:40Z".into(),
            }
        );
    }
}
