//! `FileLogReader`: the sole reader of the file log (partition 0).
//!
//! ```text
//! next_event: Assigned([0]) once ──► sought and not paused and next < durable?
//!     ──► read the entry at the cursor (open the segment holding `next`, skip to it)
//!     ──► codec::decode ──► Record;   otherwise wait for the durable offset to move
//! seek(0, o): cursor = o (segments below the oldest one: OffsetOutOfRange)
//! persisted(0, o): delete whole segments ≤ o
//! ```
//!
//! Only entries below the durable offset are read, so a reader never sees a half-written
//! batch. Reads are synchronous (recently written segments are in the page cache) and happen
//! after the last await, which keeps `next_event` cancel-safe.

use std::fs::File;
use std::io::BufReader;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use super::Shared;
use super::segment::{ReadEntry, read_entry, storage};
use crate::codec;
use crate::{LogEvent, LogPartition, LogPosition, LogReader, LogRecord, WriteLogError};

/// An open segment positioned right before the entry with offset `next`.
struct Open {
    reader: BufReader<File>,
    /// First offset of the segment.
    first: u64,
}

/// Reader of a [`super::FileWriteLog`].
pub struct FileLogReader {
    shared: Arc<Shared>,
    durable: watch::Receiver<u64>,
    announced: bool,
    /// Next offset to deliver, once sought.
    next: Option<u64>,
    open: Option<Open>,
    paused: bool,
}

impl std::fmt::Debug for FileLogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileLogReader")
            .field("dir", &self.shared.dir)
            .field("next", &self.next)
            .field("paused", &self.paused)
            .finish()
    }
}

impl FileLogReader {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        let durable = shared.durable.subscribe();
        Self {
            shared,
            durable,
            announced: false,
            next: None,
            open: None,
            paused: false,
        }
    }

    /// Opens the segment holding `next` and skips the entries before it.
    fn open_at(&self, next: u64) -> Result<Open, WriteLogError> {
        let segment = self
            .shared
            .lock_segments()
            .iter()
            .rev()
            .find(|s| s.first <= next)
            .cloned()
            .ok_or_else(|| WriteLogError::OffsetOutOfRange {
                partition: 0,
                offset: next,
                earliest: self.earliest(),
            })?;
        let file = File::open(&segment.path)
            .map_err(|e| storage(format!("opening {}", segment.path.display()), e))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut offset = segment.first;
        while offset < next {
            match read_entry(&mut reader, offset)
                .map_err(|e| storage(format!("reading {}", segment.path.display()), e))?
            {
                ReadEntry::Entry { .. } => offset += 1,
                ReadEntry::End => break,
                ReadEntry::Bad { reason, .. } => {
                    return Err(WriteLogError::Storage(format!(
                        "{} at offset {offset}: {reason}",
                        segment.path.display()
                    )));
                }
            }
        }
        Ok(Open {
            reader,
            first: segment.first,
        })
    }

    fn earliest(&self) -> u64 {
        self.shared.lock_segments().first().map_or(0, |s| s.first)
    }

    /// Reads the entry `next` (which is below the durable offset).
    fn read_next(&mut self, next: u64) -> Result<Vec<u8>, WriteLogError> {
        for _ in 0..2 {
            if self.open.is_none() {
                self.open = Some(self.open_at(next)?);
            }
            let Some(open) = self.open.as_mut() else {
                continue;
            };
            let first = open.first;
            let entry = read_entry(&mut open.reader, next)
                .map_err(|e| storage(format!("reading the write log segment at {first}"), e))?;
            match entry {
                ReadEntry::Entry { payload } => return Ok(payload),
                // The entry is durable, so it is in the next segment: switch.
                ReadEntry::End => self.open = None,
                ReadEntry::Bad { reason, .. } => {
                    self.open = None;
                    return Err(WriteLogError::Storage(format!(
                        "write log segment starting at {first}, offset {next}: {reason}"
                    )));
                }
            }
        }
        Err(WriteLogError::Storage(format!(
            "write log offset {next} is durable but in no segment"
        )))
    }
}

#[async_trait]
impl LogReader for FileLogReader {
    async fn next_event(&mut self) -> Result<LogEvent, WriteLogError> {
        if !self.announced {
            self.announced = true;
            return Ok(LogEvent::Assigned(vec![0]));
        }
        loop {
            if let Some(next) = self.next.filter(|_| !self.paused) {
                let durable = *self.durable.borrow_and_update();
                if next < durable {
                    let payload = self.read_next(next)?;
                    self.next = Some(next + 1);
                    let position = LogPosition {
                        partition: 0,
                        offset: next,
                    };
                    return match codec::decode(&payload) {
                        Ok(write) => Ok(LogEvent::Record(LogRecord { position, write })),
                        Err(e) => Err(crate::unreadable_record(0, next, &e)),
                    };
                }
            }
            if self.next.is_none() || self.paused {
                // Nothing can arrive until the caller seeks or resumes.
                std::future::pending::<()>().await;
            }
            if self.durable.changed().await.is_err() {
                // The log is gone: nothing more will be written.
                std::future::pending::<()>().await;
            }
        }
    }

    async fn seek(&mut self, partition: LogPartition, offset: u64) -> Result<(), WriteLogError> {
        if partition != 0 {
            return Err(WriteLogError::InvalidState(format!(
                "seek of partition {partition}: the file log has only partition 0"
            )));
        }
        let earliest = self.earliest();
        if offset < earliest {
            return Err(WriteLogError::OffsetOutOfRange {
                partition,
                offset,
                earliest,
            });
        }
        self.open = None;
        self.next = Some(offset);
        Ok(())
    }

    fn pause(&mut self) -> Result<(), WriteLogError> {
        self.paused = true;
        Ok(())
    }

    fn resume(&mut self) -> Result<(), WriteLogError> {
        self.paused = false;
        Ok(())
    }

    async fn persisted(
        &mut self,
        partition: LogPartition,
        offset: u64,
    ) -> Result<(), WriteLogError> {
        if partition != 0 {
            return Err(WriteLogError::UnknownPartition {
                partition,
                partition_count: 1,
            });
        }
        let shared = Arc::clone(&self.shared);
        let deleted = tokio::task::spawn_blocking(move || shared.release_through(offset))
            .await
            .map_err(|e| WriteLogError::Storage(format!("segment deletion task failed: {e}")))??;
        if deleted > 0 {
            tracing::debug!(deleted, offset, "deleted persisted write log segments");
        }
        Ok(())
    }
}
