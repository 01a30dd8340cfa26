//! One large body converted on several threads, with exactly the result of one converter.
//!
//! ```text
//! body ──cut after newlines──► chunk 0 │ chunk 1 │ … (each ≥ MIN_CHUNK_BYTES)
//!   chunk 0 on the calling thread, the others on scoped threads: one LinesConverter each
//!   ──► appended in order: tables by name, columns by name (values copied, tag values
//!       re-interned in first-appearance order, null rows padded) ──► finish()
//!   └─► anything a single converter would have done differently ──► the whole body again
//!       on one converter
//! ```
//!
//! The fallback keeps the result identical to [`LinesConverter::write_lp`] over the whole body:
//! - a rejected line in any chunk. A cut inside a quoted string value that holds a newline
//!   always leaves its chunk's last line unterminated (rejected), so a run without rejections
//!   proves every cut fell between lines; and rejections need line numbers of the whole body;
//! - a column whose type differs between chunks (one converter fixes a type at first use and
//!   rejects later lines that disagree);
//! - a tag or string column whose values would no longer fit `i32` offsets.

use std::hash::BuildHasher;

use arrow::error::ArrowError;
use line_protocol::Precision;

use super::{ConvertedLines, LinesConverter};

/// Bodies are cut into chunks of at least this many bytes (smaller bodies: one thread).
pub const MIN_CHUNK_BYTES: usize = 128 * 1024;

/// Converts `body` like [`LinesConverter::new`] + [`LinesConverter::write_lp`] +
/// [`LinesConverter::finish`], using up to `threads` threads (the caller's included) when the
/// body is large enough.
pub fn convert_lines(
    body: &str,
    default_time_ns: i64,
    precision: Precision,
    threads: usize,
) -> Result<ConvertedLines, ArrowError> {
    convert_lines_in_chunks(body, default_time_ns, precision, threads, MIN_CHUNK_BYTES)
}

/// [`convert_lines`] with chunks of at least `min_chunk_bytes`.
pub(crate) fn convert_lines_in_chunks(
    body: &str,
    default_time_ns: i64,
    precision: Precision,
    threads: usize,
    min_chunk_bytes: usize,
) -> Result<ConvertedLines, ArrowError> {
    let chunks = cut_at_newlines(body, threads, min_chunk_bytes);
    if chunks.len() > 1
        && let Some(merged) = convert_chunks(&chunks, default_time_ns, precision)
    {
        return merged.finish();
    }
    convert_one(body, default_time_ns, precision).finish()
}

fn convert_one(chunk: &str, default_time_ns: i64, precision: Precision) -> LinesConverter {
    let mut converter = LinesConverter::new(default_time_ns, precision);
    converter.write_lp(chunk);
    converter
}

/// The chunks converted in parallel and appended, or `None` when the result could differ from
/// one converter's (see the module docs).
fn convert_chunks(
    chunks: &[&str],
    default_time_ns: i64,
    precision: Precision,
) -> Option<LinesConverter> {
    let converters: Vec<LinesConverter> = std::thread::scope(|scope| {
        let spawned: Vec<_> = chunks[1..]
            .iter()
            .map(|&chunk| {
                std::thread::Builder::new()
                    .name("quiver-convert".into())
                    .spawn_scoped(scope, move || {
                        convert_one(chunk, default_time_ns, precision)
                    })
            })
            .collect();
        let mut converters = Vec::with_capacity(chunks.len());
        converters.push(convert_one(chunks[0], default_time_ns, precision));
        for (thread, &chunk) in spawned.into_iter().zip(&chunks[1..]) {
            converters.push(match thread {
                Ok(handle) => match handle.join() {
                    Ok(converter) => converter,
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                // No thread to be had: convert it here.
                Err(_) => convert_one(chunk, default_time_ns, precision),
            });
        }
        converters
    });
    if converters.iter().any(|c| !c.rejections.is_empty()) {
        return None;
    }
    let mut converters = converters.into_iter();
    let mut merged = converters.next()?;
    for next in converters {
        if !merged.can_append(&next) {
            return None;
        }
        merged.append(next);
    }
    Some(merged)
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
