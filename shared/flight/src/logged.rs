//! Runs a query under an entry of the querier's [`QueryLog`](query::system::QueryLog), so
//! `system.queries` shows every query the Flight service answered.
//!
//! ```text
//! begin(database, type, text, trace id of `traceparent`) ──► planning (SQL ──► DataFrame)
//!   ──► physical plan ──► entry.planned (plan time, partitions, files)
//!   ──► execute_stream ──► entry.track (rows, or the error, or cancelled when dropped)
//! any error before the stream ──► entry.finish_err(message) and the error is returned
//! ```

use std::future::Future;
use std::sync::Arc;

use catalog::Database;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::execute_stream;
use datafusion::prelude::DataFrame;
use query::QueryDatabase;
use query::system::QueryType as LoggedType;
use tonic::metadata::MetadataMap;

use crate::QueryServiceError;

/// The W3C `traceparent` header's trace id (`00-<32 hex>-<16 hex>-<flags>`), if well formed.
pub fn trace_id(metadata: &MetadataMap) -> Option<String> {
    let value = metadata.get("traceparent")?.to_str().ok()?;
    let mut parts = value.trim().split('-');
    let (_version, trace) = (parts.next()?, parts.next()?);
    let well_formed = trace.len() == 32
        && trace.bytes().all(|b| b.is_ascii_hexdigit())
        && trace.bytes().any(|b| b != b'0');
    well_formed.then(|| trace.to_ascii_lowercase())
}

/// Logs the query `text` on `database`, plans it with `planning`, and returns its result
/// stream; the log entry follows the stream to its end.
pub async fn execute_logged<F>(
    db: &QueryDatabase,
    database: &Database,
    query_type: LoggedType,
    text: &str,
    metadata: &MetadataMap,
    planning: F,
) -> Result<SendableRecordBatchStream, QueryServiceError>
where
    F: Future<Output = Result<DataFrame, QueryServiceError>>,
{
    let entry = db
        .query_log()
        .begin(database, query_type, text, trace_id(metadata));
    let frame = match planning.await {
        Ok(frame) => frame,
        Err(e) => {
            entry.finish_err(e.to_string());
            return Err(e);
        }
    };
    let task = Arc::new(frame.task_ctx());
    let plan = match frame.create_physical_plan().await {
        Ok(plan) => plan,
        Err(e) => {
            let e = QueryServiceError::from(e);
            entry.finish_err(e.to_string());
            return Err(e);
        }
    };
    entry.planned(&plan);
    match execute_stream(plan, task) {
        Ok(stream) => Ok(entry.track(stream)),
        Err(e) => {
            let e = QueryServiceError::from(e);
            entry.finish_err(e.to_string());
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_traceparent(value: &str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("traceparent", value.parse().unwrap());
        metadata
    }

    #[test]
    fn trace_id_comes_from_a_well_formed_traceparent() {
        let m = with_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
        assert_eq!(
            trace_id(&m).as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }

    #[test]
    fn malformed_or_zero_trace_ids_are_ignored() {
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01",
            "garbage",
        ] {
            assert_eq!(trace_id(&with_traceparent(bad)), None, "{bad}");
        }
        assert_eq!(trace_id(&MetadataMap::new()), None);
    }
}
