//! The embedded file log of `quiver serve`: one partition in segment files, group-commit fsync.
//!
//! ```text
//! FileWriteLog::open(dir) ──► replay segments (torn tail truncated, damage = error)
//!     ──► writer thread (writer.rs) ◄── append(0, write): codec::encode ──► channel ──► ack
//!             after the fsync covering it
//!     ──► durable offset (watch) ──► FileLogReader (reader.rs): Assigned([0]), seek, records
//!             in order, follows new appends
//! persisted(0, o) ──► delete whole segments whose entries are all ≤ o (never the active one)
//! ```

mod reader;
mod segment;
mod writer;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot, watch};

pub use reader::FileLogReader;
use segment::{MAX_PAYLOAD_BYTES, Segment, segment_path, storage, sync_dir};
use writer::{Request, Writer};

use crate::codec::{self, DEFAULT_ENCODING};
use crate::{LogPartition, LogPosition, LogWrite, WriteLog, WriteLogError};

/// Default segment size.
pub const DEFAULT_SEGMENT_BYTES: u64 = 64 << 20;
/// Appends waiting for the writer before `append` itself waits (backpressure).
const QUEUE_DEPTH: usize = 4096;

/// State shared by the log, its writer thread and its readers.
#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    segments: Mutex<Vec<Segment>>,
    /// Next offset; everything below it is fsynced.
    durable: watch::Sender<u64>,
    fsyncs: AtomicU64,
    appends: AtomicU64,
    /// Highest offset reported persisted.
    persisted: Mutex<Option<u64>>,
}

impl Shared {
    fn lock_segments(&self) -> MutexGuard<'_, Vec<Segment>> {
        self.segments
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Deletes every segment whose entries are all ≤ `offset`, keeping the active one.
    fn release_through(&self, offset: u64) -> Result<usize, WriteLogError> {
        {
            let mut persisted = self
                .persisted
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if persisted.is_some_and(|p| p >= offset) {
                return Ok(0);
            }
            *persisted = Some(offset);
        }
        let doomed: Vec<Segment> = {
            let segments = self.lock_segments();
            segments
                .windows(2)
                .take_while(|pair| pair[1].first <= offset.saturating_add(1))
                .map(|pair| pair[0].clone())
                .collect()
        };
        for segment in &doomed {
            std::fs::remove_file(&segment.path)
                .map_err(|e| storage(format!("deleting {}", segment.path.display()), e))?;
            self.lock_segments().retain(|s| s.first != segment.first);
        }
        if !doomed.is_empty() {
            sync_dir(&self.dir)?;
        }
        Ok(doomed.len())
    }
}

/// Counters of the writer, for tests and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLogStats {
    /// Appends acknowledged.
    pub appends: u64,
    /// fdatasync calls that acknowledged them (group commits).
    pub fsyncs: u64,
    /// Segment files present.
    pub segments: usize,
}

/// The single-partition, fsynced log of `quiver serve`.
#[derive(Debug)]
pub struct FileWriteLog {
    shared: Arc<Shared>,
    requests: mpsc::Sender<Request>,
}

impl FileWriteLog {
    /// Opens (creating if needed) the log in `dir` with [`DEFAULT_SEGMENT_BYTES`] segments.
    pub fn open(dir: &Path) -> Result<Arc<Self>, WriteLogError> {
        Self::open_with_segment_bytes(dir, DEFAULT_SEGMENT_BYTES)
    }

    /// Opens the log; a segment is closed once it holds `segment_bytes` or more.
    /// Replays every segment first: a torn tail (the end of the last segment, cut by a crash) is
    /// truncated; any other damage is an error naming the file and byte.
    pub fn open_with_segment_bytes(
        dir: &Path,
        segment_bytes: u64,
    ) -> Result<Arc<Self>, WriteLogError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| storage(format!("creating {}", dir.display()), e))?;
        let mut replayed = segment::replay(dir)?;
        if replayed.segments.is_empty() {
            let path = segment_path(dir, 0);
            OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(&path)
                .map_err(|e| storage(format!("creating {}", path.display()), e))?;
            sync_dir(dir)?;
            replayed.segments.push(Segment { first: 0, path });
        }
        let active = replayed
            .segments
            .last()
            .cloned()
            .ok_or_else(|| WriteLogError::Storage("no active segment".into()))?;
        let file = OpenOptions::new()
            .append(true)
            .open(&active.path)
            .map_err(|e| storage(format!("opening {}", active.path.display()), e))?;
        tracing::info!(
            dir = %dir.display(),
            segments = replayed.segments.len(),
            next_offset = replayed.next_offset,
            truncated_bytes = replayed.truncated_bytes,
            "file write log opened"
        );
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            segments: Mutex::new(replayed.segments),
            durable: watch::Sender::new(replayed.next_offset),
            fsyncs: AtomicU64::new(0),
            appends: AtomicU64::new(0),
            persisted: Mutex::new(None),
        });
        let writer = Writer {
            shared: Arc::clone(&shared),
            file,
            active_first: active.first,
            active_bytes: replayed.active_bytes,
            next: replayed.next_offset,
            segment_bytes: segment_bytes.max(1),
            failed: None,
        };
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("quiver-file-log".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| storage("starting the write log thread", e))?;
        Ok(Arc::new(Self {
            shared,
            requests: tx,
        }))
    }

    /// A reader: `Assigned([0])`, then records from the sought offset, following appends.
    pub fn reader(self: &Arc<Self>) -> FileLogReader {
        FileLogReader::new(Arc::clone(&self.shared))
    }

    /// Writer counters.
    pub fn stats(&self) -> FileLogStats {
        FileLogStats {
            appends: self.shared.appends.load(Ordering::Relaxed),
            fsyncs: self.shared.fsyncs.load(Ordering::Relaxed),
            segments: self.shared.lock_segments().len(),
        }
    }

    /// Appends an already encoded record (benchmarks and tests; `append` encodes first).
    pub async fn append_encoded(&self, payload: Vec<u8>) -> Result<LogPosition, WriteLogError> {
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(WriteLogError::RecordTooLarge {
                bytes: payload.len(),
                limit: format!("the file write log's record limit of {MAX_PAYLOAD_BYTES} bytes"),
            });
        }
        if payload.is_empty() {
            return Err(WriteLogError::Encode(
                "an empty record cannot be appended".into(),
            ));
        }
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::Append { payload, reply })
            .await
            .map_err(|_| WriteLogError::Storage("the write log thread has stopped".into()))?;
        answer
            .await
            .map_err(|_| WriteLogError::Storage("the write log thread has stopped".into()))?
    }
}

#[async_trait]
impl WriteLog for FileWriteLog {
    fn partition_count(&self) -> u32 {
        1
    }

    async fn append(
        &self,
        partition: LogPartition,
        write: LogWrite,
    ) -> Result<LogPosition, WriteLogError> {
        if partition != 0 {
            return Err(WriteLogError::UnknownPartition {
                partition,
                partition_count: 1,
            });
        }
        let payload = codec::encode(&write, DEFAULT_ENCODING)
            .map_err(|e| WriteLogError::Encode(e.to_string()))?;
        self.append_encoded(payload).await
    }

    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, WriteLogError> {
        Ok(BTreeMap::from([(0, *self.shared.durable.borrow())]))
    }

    async fn flush(&self) -> Result<(), WriteLogError> {
        let (reply, done) = oneshot::channel();
        self.requests
            .send(Request::Barrier(reply))
            .await
            .map_err(|_| WriteLogError::Storage("the write log thread has stopped".into()))?;
        done.await
            .map_err(|_| WriteLogError::Storage("the write log thread has stopped".into()))
    }
}
