//! `LoggedStream`: a result stream that finishes its query-log entry when it ends.
//!
//! ```text
//! inner stream ──► Ok(batch)  ──► rows += batch.num_rows() ──► passed on
//!              ──► Err(e)     ──► entry.finish_err(e)      ──► passed on
//!              ──► end        ──► entry.finish_ok(rows)
//! dropped before either       ──► entry dropped            ──► cancelled
//! ```

use std::pin::Pin;
use std::task::{Context, Poll};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::Result;
use datafusion::physical_plan::{RecordBatchStream, SendableRecordBatchStream};
use futures::{Stream, StreamExt};

use super::QueryLogEntry;

/// See the module doc.
pub(super) struct LoggedStream {
    inner: SendableRecordBatchStream,
    entry: Option<QueryLogEntry>,
    rows: u64,
}

impl LoggedStream {
    pub(super) fn new(inner: SendableRecordBatchStream, entry: QueryLogEntry) -> Self {
        Self {
            inner,
            entry: Some(entry),
            rows: 0,
        }
    }
}

impl Stream for LoggedStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let item = match this.inner.poll_next_unpin(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        match &item {
            Some(Ok(batch)) => this.rows += batch.num_rows() as u64,
            Some(Err(e)) => {
                if let Some(entry) = this.entry.take() {
                    entry.finish_err(e.to_string());
                }
            }
            None => {
                if let Some(entry) = this.entry.take() {
                    entry.finish_ok(Some(this.rows));
                }
            }
        }
        Poll::Ready(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl RecordBatchStream for LoggedStream {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}
