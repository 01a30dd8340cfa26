//! The file log's writer thread: group commit.
//!
//! ```text
//! append ──► channel ──► writer thread: take one request, then every request already queued
//!   (≤ MAX_BATCH_BYTES) ──► frame with consecutive offsets ──► one write ──► one fdatasync
//!   ──► durable = next offset (readers wake) ──► acknowledge each request of the batch
//! segment ≥ segment_bytes ──► fsync, new file <next offset>.seg, fsync the directory
//! an I/O error ──► that batch and every later append fail (the log needs a restart)
//! ```

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{mpsc, oneshot};

use super::Shared;
use super::segment::{Segment, frame, segment_path, storage, sync_dir};
use crate::{LogPosition, WriteLogError};

/// Most bytes written per group commit.
const MAX_BATCH_BYTES: usize = 16 << 20;

pub(crate) enum Request {
    Append {
        payload: Vec<u8>,
        reply: oneshot::Sender<Result<LogPosition, WriteLogError>>,
    },
    /// Answered once every request before it is done.
    Barrier(oneshot::Sender<()>),
}

pub(crate) struct Writer {
    pub shared: Arc<Shared>,
    pub file: File,
    pub active_first: u64,
    pub active_bytes: u64,
    pub next: u64,
    pub segment_bytes: u64,
    pub failed: Option<WriteLogError>,
}

impl Writer {
    pub(crate) fn run(mut self, mut requests: mpsc::Receiver<Request>) {
        let mut buf = Vec::with_capacity(1 << 20);
        while let Some(first) = requests.blocking_recv() {
            let mut batch = vec![first];
            let mut bytes = batch_bytes(&batch[0]);
            while bytes < MAX_BATCH_BYTES {
                match requests.try_recv() {
                    Ok(request) => {
                        bytes += batch_bytes(&request);
                        batch.push(request);
                    }
                    Err(_) => break,
                }
            }
            self.commit(batch, &mut buf);
        }
        // All senders are gone: the log was dropped.
    }

    fn commit(&mut self, batch: Vec<Request>, buf: &mut Vec<u8>) {
        if let Err(e) = self.rotate_if_full() {
            self.failed = Some(e);
        }
        buf.clear();
        let mut replies = Vec::with_capacity(batch.len());
        let mut barriers = Vec::new();
        let first_offset = self.next;
        for request in batch {
            match request {
                Request::Append { payload, reply } => {
                    let offset = first_offset + replies.len() as u64;
                    frame(offset, &payload, buf);
                    replies.push((offset, reply));
                }
                Request::Barrier(reply) => barriers.push(reply),
            }
        }
        let result = match &self.failed {
            Some(e) => Err(e.clone()),
            None if replies.is_empty() => Ok(()),
            None => self.write_and_sync(buf),
        };
        match result {
            Ok(()) => {
                self.next = first_offset + replies.len() as u64;
                self.active_bytes += buf.len() as u64;
                if !replies.is_empty() {
                    self.shared.fsyncs.fetch_add(1, Ordering::Relaxed);
                    self.shared
                        .appends
                        .fetch_add(replies.len() as u64, Ordering::Relaxed);
                    self.shared.durable.send_replace(self.next);
                }
                for (offset, reply) in replies {
                    let _ = reply.send(Ok(LogPosition {
                        partition: 0,
                        offset,
                    }));
                }
            }
            Err(e) => {
                if self.failed.is_none() {
                    tracing::error!(error = %e, "write log I/O failed; appends refused until restart");
                    self.failed = Some(WriteLogError::Storage(format!(
                        "an earlier write or fsync failed ({e}); restart to replay the log"
                    )));
                }
                for (_, reply) in replies {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
        for barrier in barriers {
            let _ = barrier.send(());
        }
    }

    fn write_and_sync(&mut self, buf: &[u8]) -> Result<(), WriteLogError> {
        let path = segment_path(&self.shared.dir, self.active_first);
        self.file
            .write_all(buf)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| storage(format!("appending to {}", path.display()), e))
    }

    fn rotate_if_full(&mut self) -> Result<(), WriteLogError> {
        if self.active_bytes < self.segment_bytes || self.failed.is_some() {
            return Ok(());
        }
        let path: PathBuf = segment_path(&self.shared.dir, self.next);
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| storage(format!("creating {}", path.display()), e))?;
        sync_dir(&self.shared.dir)?;
        self.file = file;
        self.active_first = self.next;
        self.active_bytes = 0;
        self.shared.lock_segments().push(Segment {
            first: self.next,
            path,
        });
        Ok(())
    }
}

fn batch_bytes(request: &Request) -> usize {
    match request {
        Request::Append { payload, .. } => payload.len() + super::segment::HEADER_BYTES,
        Request::Barrier(_) => 0,
    }
}
