//! `system.queries`: the query log entries of the session's database.
//!
//! ```text
//! scan ──► QueryLog::entries_of(session database id) ──► one row per entry, oldest first
//! ```
//!
//! Only the session's database is shown (by id, so a database re-created under the same name does
//! not see its predecessor's queries): a token for one database never reads another's query texts.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{
    ArrayRef, BooleanArray, DurationNanosecondArray, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use catalog::DatabaseId;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;

use super::provider::SystemTable;
use super::{QueryLog, QueryRecord};

/// See the module doc.
#[derive(Debug)]
pub(super) struct QueriesTable {
    log: Arc<QueryLog>,
    database_id: DatabaseId,
    schema: SchemaRef,
}

impl QueriesTable {
    pub(super) fn new(log: Arc<QueryLog>, database_id: DatabaseId) -> Self {
        Self {
            log,
            database_id,
            schema: queries_schema(),
        }
    }
}

fn queries_schema() -> SchemaRef {
    let duration = || DataType::Duration(TimeUnit::Nanosecond);
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::UInt64, false),
        Field::new("phase", DataType::Utf8, false),
        Field::new(
            "issue_time",
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            false,
        ),
        Field::new("database_name", DataType::Utf8, false),
        Field::new("query_type", DataType::Utf8, false),
        Field::new("query_text", DataType::Utf8, false),
        Field::new("partitions", DataType::Int64, true),
        Field::new("parquet_files", DataType::Int64, true),
        Field::new("plan_duration", duration(), true),
        Field::new("execute_duration", duration(), true),
        Field::new("end2end_duration", duration(), true),
        Field::new("rows", DataType::UInt64, true),
        Field::new("success", DataType::Boolean, false),
        Field::new("running", DataType::Boolean, false),
        Field::new("cancelled", DataType::Boolean, false),
        Field::new("error", DataType::Utf8, true),
        Field::new("trace_id", DataType::Utf8, true),
    ]))
}

#[async_trait]
impl SystemTable for QueriesTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    async fn rows(&self, _filters: &[Expr]) -> Result<RecordBatch> {
        let entries = self.log.entries_of(self.database_id);
        let e = entries.as_slice();
        let count = |f: fn(&QueryRecord) -> Option<u64>| -> ArrayRef {
            Arc::new(Int64Array::from_iter(
                e.iter().map(|r| f(r).map(saturating_i64)),
            ))
        };
        let duration = |f: fn(&QueryRecord) -> Option<Duration>| -> ArrayRef {
            Arc::new(DurationNanosecondArray::from_iter(
                e.iter().map(|r| f(r).map(duration_ns)),
            ))
        };
        let flag = |f: fn(&QueryRecord) -> bool| -> ArrayRef {
            Arc::new(BooleanArray::from_iter(e.iter().map(|r| Some(f(r)))))
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(UInt64Array::from_iter_values(e.iter().map(|r| r.id))),
            Arc::new(StringArray::from_iter_values(
                e.iter().map(|r| r.phase.as_str()),
            )),
            Arc::new(TimestampNanosecondArray::from_iter_values(
                e.iter().map(|r| r.issue_time_ns),
            )),
            Arc::new(StringArray::from_iter_values(
                e.iter().map(|r| r.database_name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                e.iter().map(|r| r.query_type.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                e.iter().map(|r| r.query_text.as_str()),
            )),
            count(|r| r.partitions),
            count(|r| r.parquet_files),
            duration(|r| r.plan_duration),
            duration(|r| r.execute_duration),
            duration(|r| r.end2end_duration),
            Arc::new(UInt64Array::from_iter(e.iter().map(|r| r.rows))),
            flag(QueryRecord::success),
            flag(QueryRecord::running),
            flag(QueryRecord::cancelled),
            Arc::new(StringArray::from_iter(e.iter().map(|r| r.error.as_deref()))),
            Arc::new(StringArray::from_iter(
                e.iter().map(|r| r.trace_id.as_deref()),
            )),
        ];
        Ok(RecordBatch::try_new(self.schema(), columns)?)
    }
}

fn saturating_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn duration_ns(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}
