//! A tag column under construction: an interner of distinct values (one contiguous byte buffer
//! that becomes the dictionary's values array) plus one `i32` key per row.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use arrow::array::{ArrayRef, DictionaryArray, Int32Array, StringArray};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::Int32Type;
use arrow::error::ArrowError;
use foldhash::fast::RandomState;
use hashbrown::HashTable;

use super::bytes::bytes_eq;

/// One distinct value in the lookup table.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// High bits of the hash (the table itself keys on the low bits).
    hash_hi: u32,
    key: i32,
    start: u32,
    len: u32,
}

/// Hashes a value (no length prefix: equality is checked on the bytes anyway).
#[inline(always)]
fn hash_bytes(hasher: &RandomState, bytes: &[u8]) -> u64 {
    let mut state = hasher.build_hasher();
    state.write(bytes);
    state.finish()
}

/// Distinct values and per-row keys of one tag column.
#[derive(Debug)]
pub(crate) struct TagDictionary {
    hasher: RandomState,
    /// Every distinct value, with where its bytes are (saves a load of `offsets` per probe).
    lookup: HashTable<Entry>,
    /// Value `k` is `values[offsets[k]..offsets[k + 1]]`.
    offsets: Vec<i32>,
    values: Vec<u8>,
    /// One key per row (0 for null rows).
    keys: Vec<i32>,
}

impl TagDictionary {
    pub(crate) fn new(hasher: RandomState) -> Self {
        Self {
            hasher,
            lookup: HashTable::new(),
            offsets: vec![0],
            values: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// Rows so far.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when a new distinct value of `additional` bytes would not fit in `i32` offsets.
    pub(crate) fn would_overflow(&self, additional: usize) -> bool {
        self.values.len().saturating_add(additional) > i32::MAX as usize
    }

    #[cfg(test)]
    fn value(&self, key: i32) -> &[u8] {
        let key = key as usize;
        &self.values[self.offsets[key] as usize..self.offsets[key + 1] as usize]
    }

    /// Appends a row holding `value`; returns its key. The caller checked
    /// [`Self::would_overflow`].
    pub(crate) fn push(&mut self, value: &str) -> i32 {
        let key = self.intern(value.as_bytes());
        self.keys.push(key);
        key
    }

    /// Appends a row holding the value of `key`, a key this dictionary returned before.
    #[inline]
    pub(crate) fn push_key(&mut self, key: i32) {
        debug_assert!((key as usize) < self.offsets.len() - 1, "unknown key {key}");
        self.keys.push(key);
    }

    /// The key of `bytes`, added as a new distinct value when unseen.
    #[inline]
    fn intern(&mut self, bytes: &[u8]) -> i32 {
        let hash = hash_bytes(&self.hasher, bytes);
        let hash_hi = (hash >> 32) as u32;
        let values = &self.values;
        let found = self.lookup.find(hash, |e| {
            e.hash_hi == hash_hi
                && e.len as usize == bytes.len()
                && values
                    .get(e.start as usize..e.start as usize + e.len as usize)
                    .is_some_and(|stored| bytes_eq(stored, bytes))
        });
        if let Some(entry) = found {
            return entry.key;
        }
        let key = (self.offsets.len() - 1) as i32;
        let entry = Entry {
            hash_hi,
            key,
            start: self.values.len() as u32,
            len: bytes.len() as u32,
        };
        self.values.extend_from_slice(bytes);
        self.offsets.push(self.values.len() as i32);
        let (hasher, values) = (&self.hasher, &self.values);
        self.lookup.insert_unique(hash, entry, |e| {
            let stored = values.get(e.start as usize..e.start as usize + e.len as usize);
            hash_bytes(hasher, stored.unwrap_or_default())
        });
        key
    }

    /// Bytes of all distinct values.
    pub(crate) fn value_bytes(&self) -> usize {
        self.values.len()
    }

    /// Appends the rows of `other` (the same column's next rows, converted separately): its
    /// values are interned here in `other`'s key order — the order a single converter would
    /// have met them — and null rows (`other_nulls`) get key 0, as [`Self::push_nulls`] gives.
    /// The caller checked that the values fit (see [`Self::would_overflow`]).
    pub(crate) fn append_dictionary(
        &mut self,
        other: TagDictionary,
        other_nulls: Option<&NullBuffer>,
    ) {
        let mut remap = Vec::with_capacity(other.offsets.len().saturating_sub(1));
        for window in other.offsets.windows(2) {
            let value = &other.values[window[0] as usize..window[1] as usize];
            remap.push(self.intern(value));
        }
        self.keys.reserve(other.keys.len());
        for (row, key) in other.keys.iter().enumerate() {
            let is_null = other_nulls.is_some_and(|nulls| nulls.is_null(row));
            let mapped = match remap.get(*key as usize) {
                Some(mapped) if !is_null => *mapped,
                _ => 0,
            };
            self.keys.push(mapped);
        }
    }

    /// Appends `n` null rows (key 0; the null bitmap lives with the column).
    pub(crate) fn push_nulls(&mut self, n: usize) {
        self.keys.resize(self.keys.len() + n, 0);
    }

    /// Builds the `Dictionary(Int32, Utf8)` array.
    pub(crate) fn finish(self, nulls: Option<NullBuffer>) -> Result<ArrayRef, ArrowError> {
        let keys = Int32Array::try_new(ScalarBuffer::from(self.keys), nulls)?;
        let values = StringArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(self.offsets)),
            Buffer::from_vec(self.values),
            None,
        )?;
        let array = DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values))?;
        Ok(Arc::new(array))
    }

    #[cfg(test)]
    pub(crate) fn distinct(&self) -> usize {
        self.offsets.len() - 1
    }

    #[cfg(test)]
    pub(crate) fn value_of_row(&self, row: usize) -> &[u8] {
        self.value(self.keys[row])
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};

    use super::*;

    #[test]
    fn interns_each_distinct_value_once() {
        let mut dict = TagDictionary::new(RandomState::default());
        for value in ["a", "bb", "a", "", "bb", "", "c"] {
            dict.push(value);
        }
        dict.push_nulls(2);
        assert_eq!(dict.distinct(), 4);
        assert_eq!(dict.len(), 9);
        assert_eq!(dict.value_of_row(2), b"a");
        assert_eq!(dict.value_of_row(5), b"");

        let nulls = NullBuffer::from(vec![true, true, true, true, true, true, true, false, false]);
        let array = dict.finish(Some(nulls)).unwrap();
        let array = array.as_dictionary::<Int32Type>();
        assert_eq!(array.values().len(), 4);
        let typed = array.downcast_dict::<StringArray>().unwrap();
        let rows: Vec<_> = typed.into_iter().collect();
        assert_eq!(
            rows,
            [
                Some("a"),
                Some("bb"),
                Some("a"),
                Some(""),
                Some("bb"),
                Some(""),
                Some("c"),
                None,
                None
            ]
        );
    }

    #[test]
    fn survives_growth_past_many_distinct_values() {
        let mut dict = TagDictionary::new(RandomState::default());
        for i in 0..10_000 {
            dict.push(&format!("host_{}", i % 5_000));
        }
        assert_eq!(dict.distinct(), 5_000);
        assert_eq!(dict.value_of_row(7_123), b"host_2123");
        assert!(!dict.would_overflow(100));
        assert!(dict.would_overflow(i32::MAX as usize));
    }
}
