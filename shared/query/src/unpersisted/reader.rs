//! The querier's side of read-after-write: which ingester to ask for which log partition, how
//! long to wait, and what to do when ownership moves.
//!
//! ```text
//! UnpersistedReader (one per querier) ──► for_query() ──► QueryUnpersisted (one per query)
//! QueryUnpersisted::table_batches(db, table, schema, time bounds, tag values)
//!   ├─ high-water marks, taken ONCE per query (first table scanned) ──► partitions with
//!   │  records: min_offset = hwm − 1 (every write acked before the query started)
//!   └─ loop until every such partition answered (bounded by the deadline):
//!        directory.ingesters() ──► each pending partition ──► the ingester that owns it
//!          ├─ no owner: the catalog's persisted offset ≥ min_offset? then Parquet has it all
//!          │            else retry (ownership is moving) ──► at the deadline: NoOwner
//!          └─ ask each ingester its partitions at once (concurrently), for `schema`'s columns,
//!            rows within the time bounds and tag values (the ingester may send more)
//!               Ok ──► keep the partition's chunks │ Timeout ──► fail now (it waited already)
//!               NotOwned / Unavailable ──► retry with a fresh directory
//!   ──► chunks aligned to the table schema, grouped by partition key, in applied order
//! ```
//!
//! Ask the ingesters BEFORE listing Parquet files: a row persisted after the ingester answered
//! is then in the file list, and one persisted before is in the list too — nothing falls
//! between the two (the table provider deduplicates rows seen in both).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use catalog::{Catalog, LogPartition};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::align::align_to_schema;
use super::contract::{
    HighWatermarks, IngesterDirectory, IngesterHandle, PartitionWait, UnpersistedChunk,
    UnpersistedError, UnpersistedRequest,
};
use crate::TimeBounds;

/// How long a query waits for the ingesters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpersistedSettings {
    /// How long one ingester may wait to reach the asked offsets.
    pub ingester_wait: Duration,
    /// The bound on everything (retries after rebalances and restarts included).
    pub deadline: Duration,
    /// Pause between attempts when ownership is moving.
    pub retry_backoff: Duration,
}

impl Default for UnpersistedSettings {
    fn default() -> Self {
        Self {
            ingester_wait: Duration::from_secs(10),
            deadline: Duration::from_secs(30),
            retry_backoff: Duration::from_millis(100),
        }
    }
}

/// Reads the ingesters' unpersisted rows for queries.
#[derive(Debug, Clone)]
pub struct UnpersistedReader {
    watermarks: Arc<dyn HighWatermarks>,
    directory: Arc<dyn IngesterDirectory>,
    catalog: Arc<dyn Catalog>,
    settings: UnpersistedSettings,
}

impl UnpersistedReader {
    /// A reader asking the ingesters `directory` lists, up to the ends `watermarks` reports;
    /// `catalog` tells which partitions are fully persisted when no ingester owns them.
    pub fn new(
        watermarks: Arc<dyn HighWatermarks>,
        directory: Arc<dyn IngesterDirectory>,
        catalog: Arc<dyn Catalog>,
        settings: UnpersistedSettings,
    ) -> Self {
        Self {
            watermarks,
            directory,
            catalog,
            settings,
        }
    }

    /// The state of one query: its high-water marks are taken when it first needs them.
    pub fn for_query(&self) -> QueryUnpersisted {
        QueryUnpersisted {
            reader: self.clone(),
            watermarks: OnceCell::new(),
        }
    }
}

/// One query's view of the unpersisted rows.
#[derive(Debug)]
pub struct QueryUnpersisted {
    reader: UnpersistedReader,
    watermarks: OnceCell<BTreeMap<LogPartition, u64>>,
}

impl QueryUnpersisted {
    /// The unpersisted rows of `database`.`table` (only `schema`'s columns are asked for),
    /// aligned to `schema`, grouped by partition key,
    /// each group in applied order. Includes every write acknowledged before the query's
    /// high-water marks were taken.
    pub async fn table_batches(
        &self,
        database: &str,
        table: &str,
        schema: &SchemaRef,
        time_bounds: TimeBounds,
        tags: &BTreeMap<String, Vec<String>>,
    ) -> Result<BTreeMap<String, Vec<RecordBatch>>, UnpersistedError> {
        let watermarks = self
            .watermarks
            .get_or_try_init(|| self.reader.watermarks.high_watermarks())
            .await?;
        let pending: BTreeMap<LogPartition, u64> = watermarks
            .iter()
            .filter(|(_, hwm)| **hwm > 0)
            .map(|(p, hwm)| (*p, hwm - 1))
            .collect();
        let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let answered = self
            .ask_all(database, table, &columns, time_bounds, tags, pending)
            .await?;
        let mut groups: BTreeMap<String, Vec<RecordBatch>> = BTreeMap::new();
        for chunk in answered.into_values().flatten() {
            if chunk.batch.num_rows() == 0 {
                continue;
            }
            let batch = align_to_schema(&chunk.batch, schema).map_err(|e| {
                UnpersistedError::Unavailable {
                    ingester: "(answer)".into(),
                    message: format!("batch does not fit table {table}: {e}"),
                }
            })?;
            groups.entry(chunk.partition_key).or_default().push(batch);
        }
        Ok(groups)
    }

    /// Asks the owners of `pending` (partition → min offset) until each answered.
    async fn ask_all(
        &self,
        database: &str,
        table: &str,
        columns: &[String],
        time_bounds: TimeBounds,
        tags: &BTreeMap<String, Vec<String>>,
        mut pending: BTreeMap<LogPartition, u64>,
    ) -> Result<BTreeMap<LogPartition, Vec<UnpersistedChunk>>, UnpersistedError> {
        let settings = self.reader.settings;
        let deadline = Instant::now() + settings.deadline;
        let mut answered = BTreeMap::new();
        let mut last_error: Option<UnpersistedError> = None;
        while !pending.is_empty() {
            match self.reader.directory.ingesters().await {
                Ok(ingesters) => {
                    let (asks, unowned) = assign(&ingesters, &pending);
                    self.drop_persisted(&unowned, &mut pending, &mut last_error)
                        .await;
                    let wait = settings
                        .ingester_wait
                        .min(deadline.saturating_duration_since(Instant::now()));
                    let requests = asks.into_iter().map(|(handle, waits)| {
                        let request = UnpersistedRequest {
                            database: database.to_owned(),
                            table: table.to_owned(),
                            columns: Some(columns.to_vec()),
                            time_bounds,
                            tags: tags.clone(),
                            partitions: waits,
                            wait,
                        };
                        async move { handle.source.unpersisted(request).await }
                    });
                    for result in futures::future::join_all(requests).await {
                        match result {
                            Ok(answer) => {
                                for p in answer.partitions {
                                    if pending.remove(&p.partition).is_some() {
                                        answered.insert(p.partition, p.chunks);
                                    }
                                }
                            }
                            Err(error @ UnpersistedError::Timeout { .. }) => return Err(error),
                            Err(error) => last_error = Some(error),
                        }
                    }
                }
                Err(error) => last_error = Some(error),
            }
            if pending.is_empty() {
                break;
            }
            if Instant::now() + settings.retry_backoff >= deadline {
                let first = pending.keys().next().copied().unwrap_or_default();
                return Err(last_error.unwrap_or(UnpersistedError::NoOwner { partition: first }));
            }
            tokio::time::sleep(settings.retry_backoff).await;
        }
        Ok(answered)
    }

    /// Removes from `pending` the unowned partitions whose records are all in Parquet.
    async fn drop_persisted(
        &self,
        unowned: &[LogPartition],
        pending: &mut BTreeMap<LogPartition, u64>,
        last_error: &mut Option<UnpersistedError>,
    ) {
        if unowned.is_empty() {
            return;
        }
        let persisted = match self.reader.catalog.persisted_offsets().await {
            Ok(persisted) => persisted,
            Err(error) => {
                *last_error = Some(UnpersistedError::Directory(error.to_string()));
                return;
            }
        };
        for p in unowned {
            let done = pending
                .get(p)
                .is_some_and(|min| persisted.get(p).is_some_and(|o| o >= min));
            if done {
                pending.remove(p);
            } else {
                *last_error = Some(UnpersistedError::NoOwner { partition: *p });
            }
        }
    }
}

/// Each pending partition with the first ingester that lists it; the unowned ones apart.
fn assign(
    ingesters: &[IngesterHandle],
    pending: &BTreeMap<LogPartition, u64>,
) -> (Vec<(IngesterHandle, Vec<PartitionWait>)>, Vec<LogPartition>) {
    let mut asks: Vec<(IngesterHandle, Vec<PartitionWait>)> = Vec::new();
    let mut unowned = Vec::new();
    for (&partition, &min) in pending {
        let wait = PartitionWait {
            partition,
            min_offset: Some(min),
        };
        match ingesters
            .iter()
            .position(|i| i.partitions.contains(&partition))
        {
            Some(i) => match asks.iter_mut().find(|(h, _)| h.id == ingesters[i].id) {
                Some((_, waits)) => waits.push(wait),
                None => asks.push((ingesters[i].clone(), vec![wait])),
            },
            None => unowned.push(partition),
        }
    }
    (asks, unowned)
}
