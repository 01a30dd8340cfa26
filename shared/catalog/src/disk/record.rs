//! Record framing of the catalog files: `[len: u32 LE][crc32(payload): u32 LE][payload]`.
//!
//! ```text
//! encode(value) ──► JSON payload ──► header + payload ──► appended by the journal
//! scan(bytes)   ──► records in order, then End::Clean | End::Torn{at} (crash mid-append)
//!                   └─ a bad record followed by more data ──► CatalogError::Corrupt
//! ```
//!
//! A torn tail is what a crash during an append leaves: a record cut short, or a last record
//! whose checksum fails (the write was never acknowledged), or zeros the file system allocated
//! but never filled. Anything else that fails its checksum is corruption and is reported, never
//! skipped.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::CatalogError;

const HEADER: usize = 8;
/// Larger lengths can only come from damage.
const MAX_RECORD: usize = 256 * 1024 * 1024;

/// Frames `value` as one record.
pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CatalogError> {
    let payload = serde_json::to_vec(value)
        .map_err(|e| CatalogError::Internal(format!("cannot encode a catalog record: {e}")))?;
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&l| (l as usize) <= MAX_RECORD)
        .ok_or_else(|| {
            CatalogError::Internal(format!(
                "a catalog record of {} bytes exceeds the limit of {MAX_RECORD}",
                payload.len()
            ))
        })?;
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// How a scanned file ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// Every byte belongs to a valid record.
    Clean,
    /// A torn tail starts at this byte offset; truncate there.
    Torn {
        /// Offset of the first byte of the torn record.
        at: u64,
    },
}

/// Decodes every record of `bytes` (the contents of `file`, named in errors).
pub(super) fn scan<T: DeserializeOwned>(
    file: &str,
    bytes: &[u8],
) -> Result<(Vec<T>, End), CatalogError> {
    let mut values = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let torn = End::Torn { at: pos as u64 };
        if rest.len() < HEADER || rest.iter().all(|&b| b == 0) {
            return Ok((values, torn));
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len > MAX_RECORD {
            return Err(corrupt(
                file,
                pos,
                format!("record length {len} is impossible"),
            ));
        }
        let Some(payload) = rest.get(HEADER..HEADER + len) else {
            return Ok((values, torn));
        };
        let is_last = HEADER + len == rest.len();
        if crc32fast::hash(payload) != crc {
            if is_last {
                return Ok((values, torn));
            }
            return Err(corrupt(file, pos, "checksum mismatch".into()));
        }
        let value = serde_json::from_slice(payload)
            .map_err(|e| corrupt(file, pos, format!("undecodable record: {e}")))?;
        values.push(value);
        pos += HEADER + len;
    }
    Ok((values, End::Clean))
}

fn corrupt(file: &str, at: usize, reason: String) -> CatalogError {
    CatalogError::Corrupt {
        key: format!("{file} at byte {at}"),
        reason: format!(
            "{reason}; the catalog file is damaged (restore the directory from a backup)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(values: &[&str]) -> Vec<u8> {
        values.iter().flat_map(|v| encode(v).unwrap()).collect()
    }

    #[test]
    fn round_trips_in_order() {
        let bytes = file(&["a", "bb", "ccc"]);
        let (values, end) = scan::<String>("f", &bytes).unwrap();
        assert_eq!(values, ["a", "bb", "ccc"]);
        assert_eq!(end, End::Clean);
    }

    #[test]
    fn a_cut_tail_is_torn_at_the_last_record_start() {
        let bytes = file(&["a", "bb", "ccc"]);
        let last_start = bytes.len() - (HEADER + 5);
        for cut in 1..HEADER + 5 {
            let (values, end) = scan::<String>("f", &bytes[..bytes.len() - cut]).unwrap();
            assert_eq!(values, ["a", "bb"]);
            assert_eq!(
                end,
                End::Torn {
                    at: last_start as u64
                }
            );
        }
        let mut zeros = bytes.clone();
        zeros.extend_from_slice(&[0; 64]);
        let (values, end) = scan::<String>("f", &zeros).unwrap();
        assert_eq!(values.len(), 3);
        assert_eq!(
            end,
            End::Torn {
                at: bytes.len() as u64
            }
        );
    }

    #[test]
    fn a_damaged_record_before_the_end_is_corruption() {
        let mut bytes = file(&["a", "bb", "ccc"]);
        bytes[HEADER + 1] ^= 0x40; // inside the first payload
        let err = scan::<String>("log.0", &bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "catalog record log.0 at byte 0 is unreadable: checksum mismatch; the catalog file is damaged (restore the directory from a backup)"
        );
    }
}
