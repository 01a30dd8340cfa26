//! One large body converted on several threads, with exactly the result of one converter.
//!
//! ```text
//! ConvertPool::new(threads): threads - 1 helper threads, parked until a body comes
//! convert(body) ──cut after newlines──► chunk 0 │ chunk 1 │ … │ chunk n-1
//!       (n = CHUNKS_PER_THREAD × threads, each ≥ MIN_CHUNK_BYTES; smaller bodies: no helpers)
//!   calling thread: claims chunks from the front, all into ONE LinesConverter
//!   helpers:        claim chunks from the back, one LinesConverter each, sent back
//!   ──► the helpers' converters appended to the caller's in chunk order: tables by name,
//!       columns by name (values copied, tag values re-interned in first-appearance order,
//!       null rows padded) ──► finish()
//!   └─► anything a single converter would have done differently ──► the whole body again
//!       on one converter
//! ```
//!
//! Claiming from both ends keeps busy or late helpers harmless: the caller never waits for a
//! chunk nobody has started, so a helper still busy with another body, or slow to wake on a
//! virtual machine whose other CPU sleeps, costs nothing. Helpers are kept, not spawned per
//! body: a new thread was seen starting only once its parent blocked (milliseconds later),
//! while a parked thread wakes on an idle CPU.
//!
//! The fallback keeps the result identical to [`LinesConverter::write_lp`] over the whole body:
//! - a rejected line in any chunk. A cut inside a quoted string value that holds a newline
//!   always leaves its chunk's last line unterminated (rejected), so a run without rejections
//!   proves every cut fell between lines; and rejections need line numbers of the whole body;
//! - a column whose type differs between chunks (one converter fixes a type at first use and
//!   rejects later lines that disagree);
//! - a tag or string column whose values would no longer fit `i32` offsets.

use std::hash::BuildHasher;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use arrow::error::ArrowError;
use line_protocol::TimestampUnit;

use super::{ConvertedLines, LinesConverter};

/// Bodies are cut into chunks of at least this many bytes (smaller bodies: one thread).
pub const MIN_CHUNK_BYTES: usize = 128 * 1024;

/// Chunks per thread: small enough pieces that the threads finish close together.
const CHUNKS_PER_THREAD: usize = 4;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A converter of large bodies on several threads (see the module docs). Cheap to share; the
/// helper threads end when the pool is dropped.
#[derive(Debug)]
pub struct ConvertPool {
    threads: usize,
    jobs: Option<Mutex<Sender<Job>>>,
}

impl ConvertPool {
    /// A pool converting each body on up to `threads` threads: the caller's and `threads - 1`
    /// helpers (fewer when the system refuses to start more).
    pub fn new(threads: usize) -> Self {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut helpers = 0;
        for _ in 1..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let started = std::thread::Builder::new()
                .name("quiver-convert".into())
                .spawn(move || run_jobs(&receiver));
            if started.is_ok() {
                helpers += 1;
            }
        }
        Self {
            threads: helpers + 1,
            jobs: (helpers > 0).then(|| Mutex::new(sender)),
        }
    }

    /// Threads a body may use (the caller's included).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Converts `body` like [`LinesConverter::new`] + [`LinesConverter::write_lp`] +
    /// [`LinesConverter::finish`].
    pub fn convert(
        &self,
        body: Arc<String>,
        default_time_ns: i64,
        precision: impl Into<TimestampUnit>,
    ) -> Result<ConvertedLines, ArrowError> {
        self.convert_in_chunks(body, default_time_ns, precision.into(), MIN_CHUNK_BYTES)
    }

    /// [`Self::convert`] with chunks of at least `min_chunk_bytes`.
    pub(crate) fn convert_in_chunks(
        &self,
        body: Arc<String>,
        default_time_ns: i64,
        precision: TimestampUnit,
        min_chunk_bytes: usize,
    ) -> Result<ConvertedLines, ArrowError> {
        if let Some(jobs) = &self.jobs
            && let chunks = chunk_ranges(&body, self.threads * CHUNKS_PER_THREAD, min_chunk_bytes)
            && chunks.len() > 1
            && let Some(merged) = convert_chunks(
                jobs,
                self.threads,
                &body,
                chunks,
                default_time_ns,
                precision,
            )
        {
            return merged.finish();
        }
        convert_one(&body, default_time_ns, precision).finish()
    }
}

/// A helper thread: runs jobs until the pool is dropped.
fn run_jobs(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

fn convert_one(chunk: &str, default_time_ns: i64, precision: TimestampUnit) -> LinesConverter {
    let mut converter = LinesConverter::new(default_time_ns, precision);
    converter.write_lp(chunk);
    converter
}

/// The chunks of one body not yet claimed, and how many the helpers took.
struct Claims {
    left: Range<usize>,
    by_helpers: usize,
}

fn lock(claims: &Mutex<Claims>) -> std::sync::MutexGuard<'_, Claims> {
    claims.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A helper's result for one chunk; `None` when converting it panicked.
type Converted = (usize, Option<LinesConverter>);

/// The chunks converted by the caller and the helpers and appended, or `None` when the result
/// could differ from one converter's (see the module docs) or a helper failed.
fn convert_chunks(
    jobs: &Mutex<Sender<Job>>,
    threads: usize,
    body: &Arc<String>,
    chunks: Vec<Range<usize>>,
    default_time_ns: i64,
    precision: TimestampUnit,
) -> Option<LinesConverter> {
    let chunks = Arc::new(chunks);
    let claims = Arc::new(Mutex::new(Claims {
        left: 0..chunks.len(),
        by_helpers: 0,
    }));
    let (results, converted) = channel::<Converted>();
    for _ in 1..threads {
        let (body, chunks, claims) = (Arc::clone(body), Arc::clone(&chunks), Arc::clone(&claims));
        let results = results.clone();
        let job: Job = Box::new(move || {
            loop {
                let claimed = {
                    let mut claims = lock(&claims);
                    let claimed = claims.left.next_back();
                    claims.by_helpers += usize::from(claimed.is_some());
                    claimed
                };
                let Some(i) = claimed else { return };
                let chunk = &body[chunks[i].clone()];
                let converter = catch_unwind(AssertUnwindSafe(|| {
                    convert_one(chunk, default_time_ns, precision)
                }))
                .ok();
                if results.send((i, converter)).is_err() {
                    return;
                }
            }
        });
        let sent = jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job);
        if sent.is_err() {
            break; // helpers gone: the caller converts the rest
        }
    }
    drop(results);
    let mut first = LinesConverter::new(default_time_ns, precision);
    loop {
        let claimed = lock(&claims).left.next();
        let Some(i) = claimed else { break };
        first.write_lp(&body[chunks[i].clone()]);
    }
    // Every chunk is claimed now; wait only for those a helper started.
    let by_helpers = lock(&claims).by_helpers;
    let mut rest = Vec::with_capacity(by_helpers);
    for _ in 0..by_helpers {
        match converted.recv() {
            Ok((i, Some(converter))) => rest.push((i, converter)),
            Ok((_, None)) | Err(_) => return None,
        }
    }
    if !first.rejections.is_empty() || rest.iter().any(|(_, c)| !c.rejections.is_empty()) {
        return None;
    }
    rest.sort_by_key(|(i, _)| *i);
    let mut merged = first;
    for (_, next) in rest {
        if !merged.can_append(&next) {
            return None;
        }
        merged.append(next);
    }
    Some(merged)
}

/// Byte ranges of [`cut_at_newlines`]'s chunks.
fn chunk_ranges(body: &str, parts: usize, min_bytes: usize) -> Vec<Range<usize>> {
    let base = body.as_ptr() as usize;
    cut_at_newlines(body, parts, min_bytes)
        .into_iter()
        .map(|chunk| {
            let start = chunk.as_ptr() as usize - base;
            start..start + chunk.len()
        })
        .collect()
}

/// Cuts `body` after newlines into at most `parts` chunks of at least `min_bytes` (the last
/// may be shorter by less than a line). One chunk when the body is too small.
pub(crate) fn cut_at_newlines(body: &str, parts: usize, min_bytes: usize) -> Vec<&str> {
    let parts = parts.clamp(1, (body.len() / min_bytes.max(1)).max(1));
    let target = body.len().div_ceil(parts);
    let mut chunks = Vec::with_capacity(parts);
    let mut start = 0;
    while chunks.len() + 1 < parts {
        let Some(newline) = body.get(start + target..).and_then(|rest| rest.find('\n')) else {
            break;
        };
        let end = start + target + newline + 1;
        chunks.push(&body[start..end]);
        start = end;
    }
    if start < body.len() || chunks.is_empty() {
        chunks.push(&body[start..]);
    }
    chunks
}

impl LinesConverter {
    /// Whether every table of `other` can be appended to this converter's (see
    /// `TableBuilder::can_append`).
    fn can_append(&self, other: &LinesConverter) -> bool {
        other
            .tables
            .iter()
            .all(|theirs| match self.find_table(&theirs.name) {
                Some(index) => self.tables[index].can_append(theirs),
                None => true,
            })
    }

    /// Appends `other` — the lines after this converter's, converted separately, none
    /// rejected. The caller checked [`Self::can_append`]. Only `finish` may follow.
    fn append(&mut self, other: LinesConverter) {
        for table in other.tables {
            match self.find_table(&table.name) {
                Some(index) => self.tables[index].append_table(table),
                None => {
                    let index = self.tables.len();
                    let hash = self.hasher.hash_one(table.name.as_bytes());
                    self.tables.push(table);
                    self.table_index
                        .insert_unique(hash, (hash, index as u32), |&(h, _)| h);
                }
            }
        }
        self.lines_accepted += other.lines_accepted;
        self.field_values += other.field_values;
    }

    fn find_table(&self, name: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(name.as_bytes());
        let tables = &self.tables;
        self.table_index
            .find(hash, |&(h, i)| h == hash && tables[i as usize].name == name)
            .map(|&(_, i)| i as usize)
    }
}

#[cfg(test)]
mod tests;
