//! A tag column under construction: an interner of distinct values (one contiguous byte buffer
//! that becomes the dictionary's values array) plus one `i32` key per row.

use std::hash::BuildHasher;
use std::sync::Arc;

use arrow::array::{ArrayRef, DictionaryArray, Int32Array, StringArray};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::Int32Type;
use arrow::error::ArrowError;
use foldhash::fast::RandomState;
use hashbrown::HashTable;

use super::bytes::bytes_eq;

/// Distinct values and per-row keys of one tag column.
#[derive(Debug)]
pub(crate) struct TagDictionary {
    hasher: RandomState,
    /// `(hash, key)` of every distinct value; the hash is kept so growing never rehashes bytes.
    lookup: HashTable<(u64, i32)>,
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

    fn value(&self, key: i32) -> &[u8] {
        let key = key as usize;
        &self.values[self.offsets[key] as usize..self.offsets[key + 1] as usize]
    }

    /// Appends a row holding `value`. The caller checked [`Self::would_overflow`].
    pub(crate) fn push(&mut self, value: &str) {
        let bytes = value.as_bytes();
        let hash = self.hasher.hash_one(bytes);
        let found = self.lookup.find(hash, |&(h, key)| {
            h == hash && bytes_eq(self.value(key), bytes)
        });
        let key = match found {
            Some(&(_, key)) => key,
            None => {
                let key = (self.offsets.len() - 1) as i32;
                self.values.extend_from_slice(bytes);
                self.offsets.push(self.values.len() as i32);
                self.lookup.insert_unique(hash, (hash, key), |&(h, _)| h);
                key
            }
        };
        self.keys.push(key);
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
