//! Segment files of the file log: naming, entry framing, validation and replay.
//!
//! ```text
//! <dir>/<first offset, 20 digits>.seg = entry*
//! entry = len: u32 LE (payload bytes) | crc: u32 LE (CRC-32 of offset bytes + payload)
//!       | offset: u64 LE | payload (a codec record)
//! replay: segments in order ──► every entry: len sane, CRC ok, offset = previous + 1
//!     last segment, bad entry that runs to the end of the file (short, all zeros, or the
//!     final entry) ──► torn tail: truncated
//!     anything else ──► WriteLogError::Storage naming file, byte and offset
//! ```

use std::fs::{File, OpenOptions};
use std::io::{BufReader, ErrorKind, Read};
use std::path::{Path, PathBuf};

use crate::WriteLogError;

/// Bytes before the payload.
pub(crate) const HEADER_BYTES: usize = 16;
/// Largest payload accepted (a larger `len` is corruption).
pub(crate) const MAX_PAYLOAD_BYTES: usize = 256 << 20;
const SUFFIX: &str = ".seg";

/// A segment file and the first offset it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub first: u64,
    pub path: PathBuf,
}

pub(crate) fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}{SUFFIX}"))
}

pub(crate) fn storage(context: impl std::fmt::Display, e: impl std::fmt::Display) -> WriteLogError {
    WriteLogError::Storage(format!("{context}: {e}"))
}

/// Appends the framed entry to `out`.
pub(crate) fn frame(offset: u64, payload: &[u8], out: &mut Vec<u8>) {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&offset.to_le_bytes());
    crc.update(payload);
    // Payload sizes are checked against MAX_PAYLOAD_BYTES (< 4 GiB) before framing.
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(payload);
}

/// The segments in `dir`, by first offset.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<Segment>, WriteLogError> {
    let mut segments = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| storage(format!("listing {}", dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| storage(format!("listing {}", dir.display()), e))?;
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(SUFFIX)) else {
            continue;
        };
        let first = stem.parse::<u64>().map_err(|_| {
            WriteLogError::Storage(format!(
                "unexpected file {} in the write log directory",
                entry.path().display()
            ))
        })?;
        segments.push(Segment {
            first,
            path: entry.path(),
        });
    }
    segments.sort_by_key(|s| s.first);
    Ok(segments)
}

/// One entry read from a segment.
pub(crate) enum ReadEntry {
    /// A valid entry.
    Entry { payload: Vec<u8> },
    /// Clean end of the file.
    End,
    /// The entry is damaged; `short` = the file ends inside it.
    Bad { reason: String, short: bool },
}

/// Reads the next entry. `expected` is the offset it must carry.
pub(crate) fn read_entry(
    reader: &mut impl Read,
    expected: u64,
) -> Result<ReadEntry, std::io::Error> {
    let mut header = [0u8; HEADER_BYTES];
    match read_full(reader, &mut header)? {
        0 => return Ok(ReadEntry::End),
        n if n < HEADER_BYTES => {
            return Ok(ReadEntry::Bad {
                reason: format!("header cut short after {n} bytes"),
                short: true,
            });
        }
        _ => {}
    }
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let mut offset_bytes = [0u8; 8];
    offset_bytes.copy_from_slice(&header[8..16]);
    let offset = u64::from_le_bytes(offset_bytes);
    if len == 0 || len > MAX_PAYLOAD_BYTES {
        return Ok(ReadEntry::Bad {
            reason: format!("implausible length {len}"),
            short: false,
        });
    }
    let mut payload = vec![0u8; len];
    let n = read_full(reader, &mut payload)?;
    if n < len {
        return Ok(ReadEntry::Bad {
            reason: format!("payload cut short: {n} of {len} bytes"),
            short: true,
        });
    }
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&offset_bytes);
    hasher.update(&payload);
    if hasher.finalize() != crc {
        return Ok(ReadEntry::Bad {
            reason: "checksum mismatch".into(),
            short: false,
        });
    }
    if offset != expected {
        return Ok(ReadEntry::Bad {
            reason: format!("offset {offset} where {expected} was expected"),
            short: false,
        });
    }
    Ok(ReadEntry::Entry { payload })
}

fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, std::io::Error> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// What replay found: the next offset to assign and the active segment's size.
#[derive(Debug)]
pub(crate) struct Replayed {
    pub segments: Vec<Segment>,
    pub next_offset: u64,
    pub active_bytes: u64,
    /// Bytes cut from a torn tail (0 when clean).
    pub truncated_bytes: u64,
}

/// Validates every segment; truncates a torn tail of the last one.
pub(crate) fn replay(dir: &Path) -> Result<Replayed, WriteLogError> {
    let segments = list_segments(dir)?;
    let mut next = segments.first().map_or(0, |s| s.first);
    let mut active_bytes = 0;
    let mut truncated_bytes = 0;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if segment.first != next {
            return Err(WriteLogError::Storage(format!(
                "segment {} starts at offset {} but the previous one ends before {next}: a \
                 segment is missing",
                segment.path.display(),
                segment.first
            )));
        }
        let file = File::open(&segment.path)
            .map_err(|e| storage(format!("opening {}", segment.path.display()), e))?;
        let file_len = file
            .metadata()
            .map_err(|e| storage(format!("reading {}", segment.path.display()), e))?
            .len();
        let mut reader = BufReader::new(file);
        let mut position = 0u64;
        loop {
            let entry = read_entry(&mut reader, next)
                .map_err(|e| storage(format!("reading {}", segment.path.display()), e))?;
            match entry {
                ReadEntry::End => break,
                ReadEntry::Entry { payload } => {
                    position += (HEADER_BYTES + payload.len()) as u64;
                    next += 1;
                }
                ReadEntry::Bad { reason, short } => {
                    let torn = last
                        && (short
                            || tail_is_zero(&segment.path, position)?
                            || is_final_entry(&segment.path, position, file_len)?);
                    if !torn {
                        return Err(WriteLogError::Storage(format!(
                            "write log segment {} is damaged at byte {position} (offset {next}): \
                             {reason}; acknowledged writes may be affected, restore the \
                             directory or remove the segment knowingly",
                            segment.path.display()
                        )));
                    }
                    tracing::warn!(
                        segment = %segment.path.display(),
                        byte = position,
                        offset = next,
                        reason,
                        "truncating torn tail of the write log"
                    );
                    truncate(&segment.path, position)?;
                    truncated_bytes = file_len - position;
                    break;
                }
            }
        }
        if last {
            active_bytes = position;
        }
    }
    Ok(Replayed {
        segments,
        next_offset: next,
        active_bytes,
        truncated_bytes,
    })
}

/// True when every byte from `from` to the end is zero (space allocated, never written).
fn tail_is_zero(path: &Path, from: u64) -> Result<bool, WriteLogError> {
    let bytes =
        std::fs::read(path).map_err(|e| storage(format!("reading {}", path.display()), e))?;
    let from = usize::try_from(from).unwrap_or(usize::MAX);
    Ok(bytes
        .get(from..)
        .is_some_and(|tail| tail.iter().all(|b| *b == 0)))
}

/// True when the (bad) entry at `at` is the last thing in the file, per its own length field.
fn is_final_entry(path: &Path, at: u64, file_len: u64) -> Result<bool, WriteLogError> {
    let bytes =
        std::fs::read(path).map_err(|e| storage(format!("reading {}", path.display()), e))?;
    let at = usize::try_from(at).unwrap_or(usize::MAX);
    let Some(len) = bytes.get(at..at + 4) else {
        return Ok(true);
    };
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as u64;
    Ok(at as u64 + HEADER_BYTES as u64 + len >= file_len)
}

fn truncate(path: &Path, len: u64) -> Result<(), WriteLogError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| storage(format!("opening {}", path.display()), e))?;
    file.set_len(len)
        .and_then(|()| file.sync_all())
        .map_err(|e| storage(format!("truncating {}", path.display()), e))
}

/// fsyncs a directory (after creating or deleting a segment in it).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), WriteLogError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| storage(format!("syncing directory {}", dir.display()), e))
}
