//! Series keys a converter has accepted, so a line repeating one skips its tag set.
//!
//! ```text
//! line "cpu,host=a,dc=x usage=1 …" ── key "cpu,host=a,dc=x" (text up to the first space, no
//!   backslash) ──► lookup ──hit──► (table, [(column, dictionary key)]) ──► TableBuilder::write_line_known
//!                              └─miss─► full parse + convert ──accepted──► insert(key, table, keys)
//! ```
//!
//! Bodies often hold several points of one series (a gateway's buffer, a backfill, TSBS holds
//! five per request); their tag sets are byte-identical, and parsing, validating and interning
//! them again is most of the conversion work. An entry is only made from an accepted line, and
//! columns and dictionary keys of accepted lines never change while a converter lives, so a hit
//! appends exactly what the full path would.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

use super::bytes::bytes_eq;

/// Entries kept at most per converter (a body of only distinct series stops caching there).
const MAX_ENTRIES: usize = 1 << 16;
/// Key bytes kept at most per converter.
const MAX_KEY_BYTES: usize = 16 << 20;

#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    /// The key is `keys[key_start..key_start + key_len]`.
    key_start: u32,
    key_len: u32,
    table: u32,
    /// The tags are `tags[tags_start..tags_start + tags_len]`.
    tags_start: u32,
    tags_len: u32,
}

/// A hit: the table of the line and the (column, dictionary key) pairs of its tags.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub(crate) table: usize,
    tags_start: usize,
    tags_len: usize,
}

/// A key [`SeriesCache::get`] did not find, with its hash (so an insert does not hash again).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Miss {
    hash: u64,
}

/// Accepted series keys of one converter.
#[derive(Debug)]
pub(crate) struct SeriesCache {
    hasher: RandomState,
    lookup: HashTable<Entry>,
    keys: Vec<u8>,
    tags: Vec<(u32, i32)>,
}

impl SeriesCache {
    pub(crate) fn new(hasher: RandomState) -> Self {
        Self {
            hasher,
            lookup: HashTable::new(),
            keys: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// Makes room for the keys of a body of `len` bytes, so filling the cache never copies
    /// them: grown by doubling, the key bytes and tag lists were copied again and again, and a
    /// body of distinct series (nothing to gain) paid ≈ 40 % more for conversion. Capacity
    /// only: what the keys do not use is never touched. The lookup table is not sized by the
    /// body (a table for every line of a body of repeating series cost those bodies a third
    /// more: docs/benchmarks.md "Series cache on distinct series").
    pub(crate) fn reserve_for_body(&mut self, len: usize) {
        let key_bytes = len.min(MAX_KEY_BYTES).saturating_sub(self.keys.len());
        self.keys.reserve(key_bytes);
        // A tag takes at least 4 bytes of a line ("k=v,"); most take 16 or more.
        self.tags.reserve(key_bytes / 16);
    }

    /// The entry of `key` if one was inserted, else the key's hash for [`Self::insert`].
    #[inline]
    pub(crate) fn get(&self, key: &str) -> Result<Hit, Miss> {
        let hash = self.hasher.hash_one(key.as_bytes());
        if self.lookup.is_empty() {
            return Err(Miss { hash });
        }
        let keys = &self.keys;
        self.lookup
            .find(hash, |e| {
                e.hash == hash
                    && e.key_len as usize == key.len()
                    && bytes_eq(
                        &keys[e.key_start as usize..(e.key_start + e.key_len) as usize],
                        key.as_bytes(),
                    )
            })
            .map(|e| Hit {
                table: e.table as usize,
                tags_start: e.tags_start as usize,
                tags_len: e.tags_len as usize,
            })
            .ok_or(Miss { hash })
    }

    /// The (column, key) pairs of a hit.
    #[inline]
    pub(crate) fn tags(&self, hit: Hit) -> &[(u32, i32)] {
        &self.tags[hit.tags_start..hit.tags_start + hit.tags_len]
    }

    /// Remembers that the line with series key `key` was accepted into `table`, appending
    /// `tags`. `miss` is what [`Self::get`] just returned for `key` (so the key is neither
    /// looked up nor hashed again here). Does nothing once the cache is full.
    pub(crate) fn insert(&mut self, key: &str, miss: Miss, table: usize, tags: &[(u32, i32)]) {
        if self.lookup.len() >= MAX_ENTRIES || self.keys.len() + key.len() > MAX_KEY_BYTES {
            return;
        }
        let entry = Entry {
            hash: miss.hash,
            key_start: self.keys.len() as u32,
            key_len: key.len() as u32,
            table: table as u32,
            tags_start: self.tags.len() as u32,
            tags_len: tags.len() as u32,
        };
        self.keys.extend_from_slice(key.as_bytes());
        self.tags.extend_from_slice(tags);
        self.lookup.insert_unique(entry.hash, entry, |e| e.hash);
    }
}

#[cfg(test)]
mod tests;
