//! `KafkaLogReader`: the ingester's side of the Kafka backend, one consumer-group member.
//!
//! ```text
//! librdkafka rebalance callback (runs inside recv's poll, on the reader's task)
//!     assign: incremental_assign + pause ──► parts[p] = AwaitingSeek ──► events: Assigned(ps)
//!     revoke: parts.remove(p), held.retain(!p) ──► events: Revoked(ps) ──► incremental_unassign
//! next_event: events first ──► held records (when not paused) ──► recv()
//!     message of p: AwaitingSeek / unknown ──► dropped (seek will re-fetch it)
//!                   offset < next[p] ──► dropped (fetched before a seek)
//!                   otherwise next[p] = offset + 1 ──► paused? held : decode ──► Record
//! decode: on the reader's own thread (`KafkaConfig::decode_priority`), one record at a time;
//!         the result waits in `decoding` (so a dropped next_event loses nothing), is delivered
//!         only while not paused, and is dropped if its partition was sought or revoked since
//! seek(p, o): parts[p] = Active { next: o } ──► consumer.seek (retried while the partition is
//!             starting) ──► resume ──► low watermark > o? OffsetOutOfRange
//! persisted(p, o): async commit of o + 1 (a hint: the catalog holds the truth)
//! ```
//!
//! Transient broker errors are logged and polling continues: librdkafka reconnects and follows
//! leader changes. Because a consumer can stay stuck after its broker restarted, once the errors
//! stop for RESEEK_AFTER every sought partition is re-sought to the next offset this reader
//! has not delivered yet, so offsets continue exactly. The filter above makes the delivery
//! contract hold whatever librdkafka pre-fetched.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cpu_pool::{CpuPool, Pending, PoolError};
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, RebalanceProtocol, StreamConsumer,
};
use rdkafka::error::KafkaError;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientContext, Message, Offset, TopicPartitionList};
use tokio::sync::Notify;

use super::{KafkaConfig, blocking, topic_partitions, unavailable};
use crate::codec;
use crate::{LogEvent, LogPartition, LogPosition, LogReader, LogRecord, WriteLogError};

/// How long `seek` retries while librdkafka is still starting a newly assigned partition.
const SEEK_RETRY_FOR: Duration = Duration::from_secs(10);
/// Quiet time after a broker error before re-seeking every partition (and between attempts).
const RESEEK_AFTER: Duration = Duration::from_secs(1);

/// Per-partition delivery state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Assigned; nothing is delivered until `seek`.
    AwaitingSeek,
    /// Delivering; the next record must have at least this offset.
    Active { next: u64 },
}

#[derive(Debug, Default)]
struct Shared {
    events: VecDeque<LogEvent>,
    parts: BTreeMap<LogPartition, Part>,
    /// Records received while paused: (partition, offset, payload), in arrival order.
    held: VecDeque<(LogPartition, u64, Vec<u8>)>,
}

/// Receives librdkafka's rebalance callbacks.
struct ReaderContext {
    topic: String,
    shared: Mutex<Shared>,
    notify: Notify,
}

impl ReaderContext {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panic while holding this lock leaves plain data; keep going with it.
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn partitions_of(&self, tpl: &TopicPartitionList) -> Vec<LogPartition> {
        tpl.elements_for_topic(&self.topic)
            .iter()
            .filter_map(|e| u32::try_from(e.partition()).ok())
            .collect()
    }

    fn revoke(&self, partitions: Vec<LogPartition>) {
        let mut shared = self.lock();
        for p in &partitions {
            shared.parts.remove(p);
        }
        shared.held.retain(|(p, _, _)| !partitions.contains(p));
        if !partitions.is_empty() {
            shared.events.push_back(LogEvent::Revoked(partitions));
        }
    }
}

impl ClientContext for ReaderContext {}

impl ConsumerContext for ReaderContext {
    fn rebalance(
        &self,
        base: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let cooperative = matches!(base.rebalance_protocol(), RebalanceProtocol::Cooperative);
        let partitions = self.partitions_of(tpl);
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let assigned = if cooperative {
                    base.incremental_assign(tpl)
                } else {
                    base.assign(tpl)
                };
                if let Err(e) = assigned {
                    tracing::error!(error = %e, ?partitions, "Kafka assign failed");
                }
                // Nothing is fetched for a new partition before the caller seeks it.
                if let Err(e) = base.pause(tpl) {
                    tracing::warn!(error = %e, ?partitions, "pausing new partitions failed");
                }
                tracing::info!(?partitions, "Kafka partitions assigned");
                let mut shared = self.lock();
                for p in &partitions {
                    shared.parts.insert(*p, Part::AwaitingSeek);
                }
                if !partitions.is_empty() {
                    shared.events.push_back(LogEvent::Assigned(partitions));
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                tracing::info!(
                    ?partitions,
                    lost = base.assignment_lost(),
                    "Kafka partitions revoked"
                );
                self.revoke(partitions);
                let unassigned = if cooperative {
                    base.incremental_unassign(tpl)
                } else {
                    base.unassign()
                };
                if let Err(e) = unassigned {
                    tracing::error!(error = %e, "Kafka unassign failed");
                }
            }
            other => {
                let code: RDKafkaErrorCode = other.into();
                tracing::error!(error = %code, "Kafka rebalance error; dropping the assignment");
                let all: Vec<_> = self.lock().parts.keys().copied().collect();
                self.revoke(all);
                let unassigned = if cooperative {
                    base.incremental_unassign(tpl)
                } else {
                    base.unassign()
                };
                if let Err(e) = unassigned {
                    tracing::error!(error = %e, "Kafka unassign failed");
                }
            }
        }
        self.notify.notify_one();
    }
}

/// A record being decoded on the decode thread.
struct Decoding {
    partition: LogPartition,
    offset: u64,
    result: Pending<Result<LogEvent, WriteLogError>>,
}

/// A consumer-group member reading the write log topic.
pub struct KafkaLogReader {
    consumer: Arc<StreamConsumer<ReaderContext>>,
    config: KafkaConfig,
    paused: bool,
    /// One thread that decodes records, at `config.decode_priority`.
    decoder: CpuPool,
    /// The accepted record being decoded (at most one; it precedes every held record).
    decoding: Option<Decoding>,
    /// When to re-seek every active partition to its next offset (after broker errors).
    reseek_at: Option<tokio::time::Instant>,
}

impl std::fmt::Debug for KafkaLogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaLogReader")
            .field("brokers", &self.config.brokers)
            .field("topic", &self.config.topic)
            .field("paused", &self.paused)
            .finish()
    }
}

impl KafkaLogReader {
    /// Joins consumer group `group` on `config.topic` (which must exist). Partitions arrive as
    /// `Assigned` events from `next_event`.
    pub async fn connect(config: KafkaConfig, group: &str) -> Result<Self, WriteLogError> {
        let context = ReaderContext {
            topic: config.topic.clone(),
            shared: Mutex::new(Shared::default()),
            notify: Notify::new(),
        };
        let fetch_max = config.max_record_bytes.max(1 << 20).to_string();
        let consumer: StreamConsumer<ReaderContext> = config
            .client_config()
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .set("max.partition.fetch.bytes", &fetch_max)
            .set("queued.max.messages.kbytes", "32768")
            .set("fetch.wait.max.ms", "100")
            .create_with_context(context)
            .map_err(|e| unavailable("creating Kafka consumer", &e))?;
        let consumer = Arc::new(consumer);
        let check = Arc::clone(&consumer);
        let topic = config.topic.clone();
        let timeout = config.request_timeout;
        blocking(move || topic_partitions(check.client(), &topic, timeout)).await?;
        consumer
            .subscribe(&[config.topic.as_str()])
            .map_err(|e| unavailable(&format!("subscribing to {}", config.topic), &e))?;
        let decoder = CpuPool::new("log-decode", 1, config.decode_priority).map_err(|e| {
            WriteLogError::Unavailable(format!("cannot start the log decode thread: {e}"))
        })?;
        Ok(Self {
            consumer,
            config,
            paused: false,
            decoder,
            decoding: None,
            reseek_at: None,
        })
    }

    /// Re-seeks every active partition to the next offset not yet delivered; `true` when all
    /// succeeded.
    async fn reseek(&mut self) -> bool {
        let targets: Vec<(LogPartition, u64)> = self
            .context()
            .lock()
            .parts
            .iter()
            .filter_map(|(p, part)| match part {
                Part::Active { next } => Some((*p, *next)),
                Part::AwaitingSeek => None,
            })
            .collect();
        let consumer = Arc::clone(&self.consumer);
        let topic = self.config.topic.clone();
        let result = blocking(move || {
            for (p, next) in targets {
                let offset = Offset::Offset(i64::try_from(next).unwrap_or(i64::MAX));
                consumer
                    .seek(&topic, p as i32, offset, Duration::from_secs(2))
                    .map_err(|e| unavailable(&format!("re-seeking {topic}[{p}] to {next}"), &e))?;
            }
            Ok(())
        })
        .await;
        match result {
            Ok(()) => {
                tracing::info!("Kafka partitions re-sought after broker errors");
                true
            }
            Err(e) => {
                tracing::debug!(error = %e, "re-seek after broker errors failed; will retry");
                false
            }
        }
    }

    fn context(&self) -> &ReaderContext {
        self.consumer.context()
    }

    fn tpl(&self, partitions: impl IntoIterator<Item = LogPartition>) -> TopicPartitionList {
        let mut tpl = TopicPartitionList::new();
        for p in partitions {
            tpl.add_partition(&self.config.topic, p as i32);
        }
        tpl
    }

    fn active_partitions(&self) -> Vec<LogPartition> {
        self.context()
            .lock()
            .parts
            .iter()
            .filter(|(_, part)| matches!(part, Part::Active { .. }))
            .map(|(p, _)| *p)
            .collect()
    }

    /// The next held record when not paused.
    fn take_held(&self) -> Option<(LogPartition, u64, Vec<u8>)> {
        if self.paused {
            return None;
        }
        self.context().lock().held.pop_front()
    }

    /// Hands an accepted record to the decode thread (nothing else is being decoded).
    fn start_decoding(&mut self, (partition, offset, payload): (LogPartition, u64, Vec<u8>)) {
        let result = self
            .decoder
            .submit(move || decode(partition, offset, &payload));
        self.decoding = Some(Decoding {
            partition,
            offset,
            result,
        });
    }

    /// Waits for the record being decoded (cancel-safe: the result stays in `decoding`);
    /// `None` when its partition was revoked meanwhile.
    async fn finish_decoding(&mut self) -> Option<Result<LogEvent, WriteLogError>> {
        let decoding = self.decoding.as_mut()?;
        let outcome = (&mut decoding.result).await;
        let (partition, offset) = (decoding.partition, decoding.offset);
        self.decoding = None;
        let active = matches!(
            self.context().lock().parts.get(&partition),
            Some(Part::Active { .. })
        );
        if !active {
            return None;
        }
        Some(match outcome {
            Ok(event) => event,
            // A record that crashes the decoder is reported like one it cannot read.
            Err(PoolError::Panicked(reason)) => Err(WriteLogError::Malformed {
                partition,
                offset,
                reason: format!("decoding panicked: {reason}"),
            }),
            Err(PoolError::Closed) => Err(WriteLogError::Unavailable(
                "the log decode thread is gone".to_owned(),
            )),
        })
    }

    /// Applies the delivery filter to a received message; `Some` = deliver (or hold).
    fn accept(&self, partition: LogPartition, offset: u64, payload: &[u8]) -> Option<Vec<u8>> {
        let mut shared = self.context().lock();
        let Some(Part::Active { next }) = shared.parts.get(&partition).copied() else {
            return None;
        };
        if offset < next {
            return None;
        }
        shared
            .parts
            .insert(partition, Part::Active { next: offset + 1 });
        if self.paused || !shared.held.is_empty() || self.decoding.is_some() {
            shared.held.push_back((partition, offset, payload.to_vec()));
            return None;
        }
        Some(payload.to_vec())
    }
}

fn decode(partition: LogPartition, offset: u64, payload: &[u8]) -> Result<LogEvent, WriteLogError> {
    match codec::decode(payload) {
        Ok(write) => Ok(LogEvent::Record(LogRecord {
            position: LogPosition { partition, offset },
            write,
        })),
        Err(e) => Err(crate::unreadable_record(partition, offset, &e)),
    }
}

/// Errors after which polling simply continues (librdkafka recovers on its own).
fn is_transient(e: &KafkaError) -> bool {
    !matches!(
        e,
        KafkaError::MessageConsumptionFatal(_)
            | KafkaError::MessageConsumption(RDKafkaErrorCode::Fatal)
    )
}

#[async_trait]
impl LogReader for KafkaLogReader {
    async fn next_event(&mut self) -> Result<LogEvent, WriteLogError> {
        loop {
            if let Some(event) = self.context().lock().events.pop_front() {
                return Ok(event);
            }
            if !self.paused && self.decoding.is_some() {
                match self.finish_decoding().await {
                    Some(event) => return event,
                    None => continue,
                }
            }
            if let Some(held) = self.take_held() {
                self.start_decoding(held);
                continue;
            }
            if let Some(at) = self.reseek_at
                && tokio::time::Instant::now() >= at
            {
                self.reseek_at = if self.reseek().await {
                    None
                } else {
                    Some(tokio::time::Instant::now() + RESEEK_AFTER)
                };
                continue;
            }
            let consumer = Arc::clone(&self.consumer);
            let notified = self.context().notify.notified();
            let reseek = async {
                match self.reseek_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let received = tokio::select! {
                biased;
                () = notified => continue,
                () = reseek => continue,
                message = consumer.recv() => match message {
                    Ok(m) => {
                        let (Ok(partition), Ok(offset)) =
                            (u32::try_from(m.partition()), u64::try_from(m.offset()))
                        else {
                            continue;
                        };
                        self.accept(partition, offset, m.payload().unwrap_or_default())
                            .map(|payload| (partition, offset, payload))
                    }
                    Err(e) if is_transient(&e) => {
                        tracing::warn!(error = %e, "Kafka consumer error; polling continues");
                        self.reseek_at = Some(tokio::time::Instant::now() + RESEEK_AFTER);
                        None
                    }
                    Err(e) => return Err(unavailable("Kafka consumer failed", &e)),
                },
            };
            if let Some(accepted) = received {
                self.start_decoding(accepted);
            }
        }
    }

    async fn seek(&mut self, partition: LogPartition, offset: u64) -> Result<(), WriteLogError> {
        {
            let mut shared = self.context().lock();
            if !shared.parts.contains_key(&partition) {
                return Err(WriteLogError::InvalidState(format!(
                    "seek of Kafka partition {partition}, which is not assigned to this reader"
                )));
            }
            shared
                .parts
                .insert(partition, Part::Active { next: offset });
            shared.held.retain(|(p, _, _)| *p != partition);
        }
        if self
            .decoding
            .as_ref()
            .is_some_and(|d| d.partition == partition)
        {
            self.decoding = None;
        }
        let target = i64::try_from(offset).map_err(|_| {
            WriteLogError::InvalidState(format!("seek offset {offset} is out of Kafka's range"))
        })?;
        let consumer = Arc::clone(&self.consumer);
        let topic = self.config.topic.clone();
        let timeout = self.config.request_timeout;
        let resume = !self.paused;
        blocking(move || {
            let started = Instant::now();
            loop {
                match consumer.seek(&topic, partition as i32, Offset::Offset(target), timeout) {
                    Ok(()) => break,
                    // A partition that librdkafka is still starting refuses seeks for a moment.
                    Err(e) if started.elapsed() < SEEK_RETRY_FOR => {
                        tracing::debug!(error = %e, partition, "Kafka seek retried");
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(e) => {
                        return Err(unavailable(
                            &format!("seeking {topic}[{partition}] to {offset}"),
                            &e,
                        ));
                    }
                }
            }
            if resume {
                let mut tpl = TopicPartitionList::new();
                tpl.add_partition(&topic, partition as i32);
                consumer
                    .resume(&tpl)
                    .map_err(|e| unavailable(&format!("resuming {topic}[{partition}]"), &e))?;
            }
            match consumer
                .client()
                .fetch_watermarks(&topic, partition as i32, timeout)
            {
                Ok((low, _)) if low > target => Err(WriteLogError::OffsetOutOfRange {
                    partition,
                    offset,
                    earliest: u64::try_from(low).unwrap_or(0),
                }),
                Ok(_) => Ok(()),
                Err(e) => {
                    tracing::warn!(error = %e, partition, "cannot check the retained offsets");
                    Ok(())
                }
            }
        })
        .await
    }

    fn pause(&mut self) -> Result<(), WriteLogError> {
        self.paused = true;
        let tpl = self.tpl(self.active_partitions());
        self.consumer
            .pause(&tpl)
            .map_err(|e| unavailable("pausing Kafka partitions", &e))
    }

    fn resume(&mut self) -> Result<(), WriteLogError> {
        self.paused = false;
        let tpl = self.tpl(self.active_partitions());
        self.consumer
            .resume(&tpl)
            .map_err(|e| unavailable("resuming Kafka partitions", &e))
    }

    async fn persisted(
        &mut self,
        partition: LogPartition,
        offset: u64,
    ) -> Result<(), WriteLogError> {
        if !self.context().lock().parts.contains_key(&partition) {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        let next = i64::try_from(offset.saturating_add(1)).unwrap_or(i64::MAX);
        if let Err(e) =
            tpl.add_partition_offset(&self.config.topic, partition as i32, Offset::Offset(next))
        {
            tracing::debug!(error = %e, "cannot build the commit");
            return Ok(());
        }
        if let Err(e) = self.consumer.commit(&tpl, CommitMode::Async) {
            // A hint only: the catalog holds the persisted offsets.
            tracing::debug!(error = %e, partition, offset, "Kafka offset commit failed");
        }
        Ok(())
    }
}
