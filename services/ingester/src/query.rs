//! The ingester's query API in process: [`IngesterQuery`] answers a querier's
//! [`UnpersistedRequest`] from the shared [`Live`] state (`quiver serve` calls it directly;
//! `quiver ingester` serves it over Flight, see `flight::ingester`).
//!
//! ```text
//! UnpersistedRequest ──► deadline = now + min(wait, MAX_WAIT)
//!   loop: arm live.changed() ──► live.views([(partition, min_offset)], database, table)
//!     a partition not owned (never assigned, or revoked meanwhile) ──► Err(NotOwned)
//!     a partition behind while the ingester stopped reading (shutting down: it will never
//!       catch up) ──► Err(NotOwned) at once: the querier asks again and waits for the next
//!       owner (up to its deadline) instead of timing out here
//!     every partition Ready (applied ≥ min_offset) ──► answer
//!     else sleep until a change or the deadline; at the deadline one last look, then
//!       Behind / Assigning ──► Err(Timeout { wanted, applied })
//!   answer, outside the lock: per partition, the running persist's snapshot of the table first,
//!     then the buffer (each in applied order), every batch
//!       ──► rows outside time_bounds or without the wanted tag values dropped (filter
//!           kernel; skipped when every row is wanted)
//!       ──► only the requested columns it has
//!       ──► UnpersistedChunk { partition key, batch }
//! ```
//!
//! `applied` and the rows come from one read of the state, so they always agree: the rows are
//! exactly those of the records up to `applied` that are not in the catalog yet (the snapshot's
//! may be committed by now — the querier deduplicates them against their files).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, AsArray, BooleanArray, TimestampNanosecondArray};
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use catalog::LogPartition;
use query::TimeBounds;
use query::unpersisted::{
    PartitionAnswer, UnpersistedAnswer, UnpersistedChunk, UnpersistedError, UnpersistedRequest,
    UnpersistedSource,
};
use schema::TIME_COLUMN_NAME;
use tokio::time::Instant;

use crate::live::{Live, PartitionView};

/// Longest wait a request may ask for (longer ones are cut to it).
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// A cheap-to-clone handle answering queries from one ingester's buffers.
#[derive(Debug, Clone)]
pub struct IngesterQuery {
    live: Arc<Live>,
}

impl IngesterQuery {
    pub(crate) fn new(live: Arc<Live>) -> Self {
        Self { live }
    }

    /// The log partitions the ingester owns now (assigned, whether or not it has read their
    /// persisted offsets yet).
    pub fn partitions(&self) -> Vec<LogPartition> {
        self.live.owned()
    }

    /// One look at the state: the answer or an error, or [`Look::Wait`] with the error to
    /// return if nothing changes before the deadline.
    fn look(&self, request: &UnpersistedRequest, started: Instant) -> Look {
        let wanted = request
            .partitions
            .iter()
            .map(|w| (w.partition, w.min_offset));
        let views = self.live.views(wanted, &request.database, &request.table);
        let mut ready = Vec::with_capacity(views.len());
        for ((partition, view), wait) in views.into_iter().zip(&request.partitions) {
            match view {
                PartitionView::NotOwned | PartitionView::Stopped => {
                    return Look::Done(Err(UnpersistedError::NotOwned { partition }));
                }
                PartitionView::Assigning if wait.min_offset.is_none() => {
                    // The partition had no record when the query started: nothing to wait for.
                    ready.push((partition, None, None, Vec::new()));
                }
                PartitionView::Assigning | PartitionView::Behind { .. } => {
                    let applied = match view {
                        PartitionView::Behind { applied } => applied,
                        _ => None,
                    };
                    return Look::Wait(UnpersistedError::Timeout {
                        partition,
                        wanted: wait.min_offset.unwrap_or_default(),
                        applied,
                        waited_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    });
                }
                PartitionView::Ready {
                    applied,
                    persisting,
                    buffered,
                } => ready.push((partition, applied, persisting, buffered)),
            }
        }
        let partitions = ready
            .into_iter()
            .map(|(partition, applied, persisting, buffered)| {
                let snapshot = persisting
                    .map(|s| s.table_batches(&request.database, &request.table))
                    .unwrap_or_default();
                let chunks = snapshot
                    .into_iter()
                    .chain(buffered)
                    .filter_map(|(partition_key, batch)| {
                        let batch = shape(&batch, request)?;
                        Some(UnpersistedChunk {
                            partition_key,
                            batch,
                        })
                    })
                    .collect();
                PartitionAnswer {
                    partition,
                    applied,
                    chunks,
                }
            })
            .collect();
        Look::Done(Ok(UnpersistedAnswer { partitions }))
    }
}

/// What one look at the state decided.
enum Look {
    /// The result.
    Done(Result<UnpersistedAnswer, UnpersistedError>),
    /// Not there yet: wait for a change; this timeout error if the deadline comes first.
    Wait(UnpersistedError),
}

#[async_trait]
impl UnpersistedSource for IngesterQuery {
    async fn unpersisted(
        &self,
        request: UnpersistedRequest,
    ) -> Result<UnpersistedAnswer, UnpersistedError> {
        let started = Instant::now();
        let deadline = started + request.wait.min(MAX_WAIT);
        loop {
            let changed = self.live.changed();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Look::Done(result) = self.look(&request, started) {
                return result;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                // One last look: progress made right at the deadline counts.
                return match self.look(&request, started) {
                    Look::Done(result) => result,
                    Look::Wait(timeout) => Err(timeout),
                };
            }
        }
    }
}

/// The rows of `batch` the request wants — `time` within its bounds, each restricted tag one of
/// its values — with only the requested columns the batch has (all when `columns` is `None`);
/// `None` when no row is wanted. Filtering is best effort: on an Arrow error the rows are sent
/// unfiltered (the querier filters again).
pub(crate) fn shape(batch: &RecordBatch, request: &UnpersistedRequest) -> Option<RecordBatch> {
    let batch = wanted_rows(batch, request.time_bounds, &request.tags)?;
    let Some(columns) = request.columns.as_deref() else {
        return Some(batch);
    };
    let indices: Vec<usize> = batch
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| columns.iter().any(|c| c == f.name()))
        .map(|(i, _)| i)
        .collect();
    if indices.len() == batch.num_columns() {
        return Some(batch);
    }
    Some(batch.project(&indices).unwrap_or(batch))
}

/// The rows of `batch` whose `time` is within `bounds` and whose tags have the `tags` values;
/// `None` when no row is.
fn wanted_rows(
    batch: &RecordBatch,
    bounds: TimeBounds,
    tags: &BTreeMap<String, Vec<String>>,
) -> Option<RecordBatch> {
    if batch.num_rows() == 0 {
        return None;
    }
    if bounds == TimeBounds::default() && tags.is_empty() {
        return Some(batch.clone());
    }
    let mut keep = vec![true; batch.num_rows()];
    if bounds != TimeBounds::default()
        && let Some(times) = batch
            .column_by_name(TIME_COLUMN_NAME)
            .and_then(|c| c.as_any().downcast_ref::<TimestampNanosecondArray>())
    {
        let inside =
            |t: i64| bounds.min.is_none_or(|m| t >= m) && bounds.max.is_none_or(|m| t <= m);
        for (i, k) in keep.iter_mut().enumerate() {
            *k = times.is_valid(i) && inside(times.value(i));
        }
    }
    for (tag, values) in tags {
        match batch.column_by_name(tag) {
            // A row without the tag has it null: `tag = 'v'` / `tag IN (…)` is not true.
            None => return None,
            Some(column) => match column.as_any_dictionary_opt() {
                Some(dict) => {
                    let Some(strings) = dict.values().as_string_opt::<i32>() else {
                        continue;
                    };
                    // Which dictionary entries are wanted, then each row by its key.
                    let wanted: Vec<bool> = (0..strings.len())
                        .map(|v| {
                            strings.is_valid(v) && values.iter().any(|w| w == strings.value(v))
                        })
                        .collect();
                    let keys = dict.normalized_keys();
                    for (row, k) in keep.iter_mut().enumerate() {
                        *k = *k
                            && dict.is_valid(row)
                            && wanted.get(keys[row]).copied().unwrap_or(false);
                    }
                }
                None => continue,
            },
        }
    }
    let keep = BooleanArray::from(keep);
    match keep.true_count() {
        0 => None,
        n if n == batch.num_rows() => Some(batch.clone()),
        _ => match filter_record_batch(batch, &keep) {
            Ok(filtered) => Some(filtered),
            Err(error) => {
                tracing::warn!(%error, "cannot filter buffered rows; sending them all");
                Some(batch.clone())
            }
        },
    }
}
