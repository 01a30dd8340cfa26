//! One table under construction: resolves a line's tags and fields to columns, validates the
//! whole line, and only then appends it — a rejected line leaves no trace.
//!
//! Resolution is the hot path. Lines of one table usually repeat the same keys in the same
//! order, so each tag/field position remembers the column the previous line used there; a hit
//! costs one byte comparison of the name. Misses fall back to a hash lookup by name.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use line_protocol::{EscapedStr, ParsedLine};

use super::bytes::bytes_eq;
use super::column::{ColumnBuilder, field_type};
use super::rejection::LineErrorKind;
use crate::column_type::{InfluxColumnType, MAX_NAME_BYTES, TIME_COLUMN_NAME};

/// Marks a tag/field of a line that must not be appended (a repeated tag with the same value,
/// or a repeated field overridden by a later one).
const SKIP: u32 = u32::MAX;

/// Per-line resolution results, reused across lines.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Column index of each tag of the line, or [`SKIP`].
    tags: Vec<u32>,
    /// Column index of each field of the line, or [`SKIP`].
    fields: Vec<u32>,
    /// (column, dictionary key) of each tag the last accepted line appended.
    pub(crate) tag_keys: Vec<(u32, i32)>,
}

/// A table under construction.
#[derive(Debug)]
pub(crate) struct TableBuilder {
    /// Unescaped table name.
    pub(crate) name: String,
    hasher: RandomState,
    columns: Vec<ColumnBuilder>,
    /// `(hash of name, column index)`.
    index: HashTable<(u64, u32)>,
    time: Vec<i64>,
    /// Column used by the tag at each position of the last resolved line.
    tag_hints: Vec<u32>,
    /// Column used by the field at each position of the last resolved line.
    field_hints: Vec<u32>,
}

/// What the caller learns from an accepted line.
pub(crate) struct Appended {
    /// Field values written (repeated keys count once).
    pub(crate) field_values: usize,
}

impl TableBuilder {
    pub(crate) fn new(name: String, hasher: RandomState) -> Self {
        Self {
            name,
            hasher,
            columns: Vec::new(),
            index: HashTable::new(),
            time: Vec::new(),
            tag_hints: Vec::new(),
            field_hints: Vec::new(),
        }
    }

    /// Rows so far.
    pub(crate) fn rows(&self) -> usize {
        self.time.len()
    }

    /// Validates `line` and appends it at `time`, or rejects it leaving the table unchanged.
    /// `mark` must be unique per call (it tells repeated keys within the line apart).
    pub(crate) fn write_line(
        &mut self,
        line: &ParsedLine<'_>,
        time: i64,
        mark: u64,
        scratch: &mut Scratch,
    ) -> Result<Appended, LineErrorKind> {
        let columns_before = self.columns.len();
        if let Err(error) = self.resolve(line, mark, scratch) {
            self.remove_columns_from(columns_before);
            return Err(error);
        }
        Ok(self.append(line, time, scratch))
    }

    /// Resolves every tag and field of `line` to a column (creating missing ones) and checks
    /// every rule. Appends nothing.
    fn resolve(
        &mut self,
        line: &ParsedLine<'_>,
        mark: u64,
        scratch: &mut Scratch,
    ) -> Result<(), LineErrorKind> {
        scratch.tags.clear();
        for (position, (key, value)) in line.tags.iter().enumerate() {
            let index = self.column_for(key, position, InfluxColumnType::Tag)?;
            let column = &mut self.columns[index as usize];
            if column.mark == mark {
                // Only tags have been resolved so far in this line: a repeated tag key.
                if line.tags[column.slot as usize].1 == *value {
                    scratch.tags.push(SKIP);
                    continue;
                }
                return Err(LineErrorKind::DuplicateTag {
                    name: column.name.clone(),
                });
            }
            if column.column_type != InfluxColumnType::Tag {
                return Err(self.conflict(index, InfluxColumnType::Tag));
            }
            if column.would_overflow(value.raw().len()) {
                return Err(self.too_large(index));
            }
            column.mark = mark;
            column.slot = position as u32;
            scratch.tags.push(index);
        }
        self.resolve_fields(line, mark, scratch)
    }

    /// The field half of [`Self::resolve`]; the line's tag columns carry `mark` already.
    fn resolve_fields(
        &mut self,
        line: &ParsedLine<'_>,
        mark: u64,
        scratch: &mut Scratch,
    ) -> Result<(), LineErrorKind> {
        scratch.fields.clear();
        for (position, (key, value)) in line.fields.iter().enumerate() {
            let write_type = InfluxColumnType::Field(field_type(value));
            let index = self.column_for(key, position, write_type)?;
            let column = &mut self.columns[index as usize];
            if column.mark == mark {
                if column.column_type == InfluxColumnType::Tag {
                    return Err(LineErrorKind::TagAndField {
                        name: column.name.clone(),
                    });
                }
                let earlier = column.slot as usize;
                if field_type(&line.fields[earlier].1) != field_type(value) {
                    return Err(LineErrorKind::DuplicateField {
                        name: column.name.clone(),
                    });
                }
                // Same type: the last value wins.
                scratch.fields[earlier] = SKIP;
            } else if column.column_type != write_type {
                return Err(self.conflict(index, write_type));
            }
            if let line_protocol::FieldValue::String(s) = value
                && column.would_overflow(s.raw().len())
            {
                return Err(self.too_large(index));
            }
            column.mark = mark;
            column.slot = position as u32;
            scratch.fields.push(index);
        }
        Ok(())
    }

    /// The column named `key`, found through the hint for `position` or by name; created with
    /// `new_type` when the table has none.
    #[inline(always)]
    fn column_for(
        &mut self,
        key: &EscapedStr<'_>,
        position: usize,
        new_type: InfluxColumnType,
    ) -> Result<u32, LineErrorKind> {
        let hints = match new_type {
            InfluxColumnType::Tag => &self.tag_hints,
            _ => &self.field_hints,
        };
        if let Some(&hint) = hints.get(position)
            && !key.has_backslash()
            && let Some(column) = self.columns.get(hint as usize)
            && bytes_eq(column.name.as_bytes(), key.raw().as_bytes())
        {
            return Ok(hint);
        }
        self.column_by_name(key, position, new_type)
    }

    /// [`Self::column_for`] when the hint misses: look the name up, create the column if new,
    /// and remember it as the hint for `position`.
    #[cold]
    #[inline(never)]
    fn column_by_name(
        &mut self,
        key: &EscapedStr<'_>,
        position: usize,
        new_type: InfluxColumnType,
    ) -> Result<u32, LineErrorKind> {
        let name = key.unescaped();
        if name == TIME_COLUMN_NAME {
            let role = if new_type == InfluxColumnType::Tag {
                "tag"
            } else {
                "field"
            };
            return Err(LineErrorKind::ReservedTimeColumn { role });
        }
        if name.len() > MAX_NAME_BYTES {
            let role = if new_type == InfluxColumnType::Tag {
                "tag"
            } else {
                "field"
            };
            return Err(LineErrorKind::NameTooLong {
                role,
                bytes: name.len(),
                limit: MAX_NAME_BYTES,
            });
        }
        let hash = self.hasher.hash_one(name.as_bytes());
        let columns = &self.columns;
        let found = self
            .index
            .find(hash, |&(h, i)| {
                h == hash && columns[i as usize].name == name
            })
            .map(|&(_, i)| i);
        let index = match found {
            Some(index) => index,
            None => {
                let index = self.columns.len() as u32;
                self.columns
                    .push(ColumnBuilder::new(name.into_owned(), new_type, self.hasher));
                self.index.insert_unique(hash, (hash, index), |&(h, _)| h);
                index
            }
        };
        let hints = match new_type {
            InfluxColumnType::Tag => &mut self.tag_hints,
            _ => &mut self.field_hints,
        };
        if hints.len() <= position {
            hints.resize(position + 1, u32::MAX);
        }
        hints[position] = index;
        Ok(index)
    }

    /// Drops the columns created by a rejected line.
    fn remove_columns_from(&mut self, first: usize) {
        for (offset, column) in self.columns.drain(first..).enumerate() {
            let index = (first + offset) as u32;
            let hash = self.hasher.hash_one(column.name.as_bytes());
            if let Ok(entry) = self.index.find_entry(hash, |&(_, i)| i == index) {
                entry.remove();
            }
        }
    }

    /// Validates and appends a line whose tag set is byte-identical to that of a line this
    /// table accepted before, given as the (column, key) pairs that line appended (its
    /// `Scratch::tag_keys`): those tags were checked then and their values interned, so only
    /// the fields are resolved. `line.tags` is not read.
    pub(crate) fn write_line_known(
        &mut self,
        line: &ParsedLine<'_>,
        tags: &[(u32, i32)],
        time: i64,
        mark: u64,
        scratch: &mut Scratch,
    ) -> Result<Appended, LineErrorKind> {
        for &(index, _) in tags {
            // A field of the same name is a tag-and-field conflict, as in `resolve`.
            let column = &mut self.columns[index as usize];
            column.mark = mark;
            column.slot = 0;
        }
        let columns_before = self.columns.len();
        if let Err(error) = self.resolve_fields(line, mark, scratch) {
            self.remove_columns_from(columns_before);
            return Err(error);
        }
        let row = self.time.len();
        for &(index, key) in tags {
            self.columns[index as usize].push_tag_key(row, key);
        }
        Ok(self.append_fields(line, time, row, scratch))
    }

    fn append(&mut self, line: &ParsedLine<'_>, time: i64, scratch: &mut Scratch) -> Appended {
        let row = self.time.len();
        scratch.tag_keys.clear();
        for (&index, (_, value)) in scratch.tags.iter().zip(&line.tags) {
            if index != SKIP {
                let key = self.columns[index as usize].push_tag(row, value);
                scratch.tag_keys.push((index, key));
            }
        }
        self.append_fields(line, time, row, scratch)
    }

    fn append_fields(
        &mut self,
        line: &ParsedLine<'_>,
        time: i64,
        row: usize,
        scratch: &Scratch,
    ) -> Appended {
        let mut field_values = 0;
        for (&index, (_, value)) in scratch.fields.iter().zip(&line.fields) {
            if index != SKIP {
                self.columns[index as usize].push_field(row, value);
                field_values += 1;
            }
        }
        self.time.push(time);
        Appended { field_values }
    }

    fn conflict(&self, index: u32, write: InfluxColumnType) -> LineErrorKind {
        let column = &self.columns[index as usize];
        LineErrorKind::SchemaConflict {
            table: self.name.clone(),
            column: column.name.clone(),
            existing: column.column_type,
            write,
        }
    }

    fn too_large(&self, index: u32) -> LineErrorKind {
        LineErrorKind::StringDataTooLarge {
            table: self.name.clone(),
            column: self.columns[index as usize].name.clone(),
        }
    }

    /// The index of the column named `name`.
    fn find_column(&self, name: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(name.as_bytes());
        let columns = &self.columns;
        self.index
            .find(hash, |&(h, i)| {
                h == hash && columns[i as usize].name == name
            })
            .map(|&(_, i)| i as usize)
    }

    /// Whether [`Self::append_table`] may take `other`: every column both have is of the same
    /// type, and the variable-length values of both fit one column's `i32` offsets.
    pub(crate) fn can_append(&self, other: &TableBuilder) -> bool {
        other
            .columns
            .iter()
            .all(|theirs| match self.find_column(&theirs.name) {
                None => true,
                Some(index) => {
                    let ours = &self.columns[index];
                    ours.column_type == theirs.column_type
                        && ours.value_bytes().saturating_add(theirs.value_bytes())
                            <= i32::MAX as usize
                }
            })
    }

    /// Appends the rows of `other` — the same table's next lines, converted separately, all
    /// accepted — as if they had been written here. The caller checked [`Self::can_append`].
    pub(crate) fn append_table(&mut self, other: TableBuilder) {
        let rows = self.time.len();
        let other_rows = other.time.len();
        for column in other.columns {
            let index = match self.find_column(&column.name) {
                Some(index) => index,
                None => {
                    let index = self.columns.len();
                    let hash = self.hasher.hash_one(column.name.as_bytes());
                    self.columns.push(ColumnBuilder::new(
                        column.name.clone(),
                        column.column_type,
                        self.hasher,
                    ));
                    self.index
                        .insert_unique(hash, (hash, index as u32), |&(h, _)| h);
                    index
                }
            };
            self.columns[index].append_column(column, rows, other_rows);
        }
        self.time.extend_from_slice(&other.time);
    }

    /// The columns (tags and fields; `time` is separate) and the time values.
    pub(crate) fn into_parts(self) -> (Vec<ColumnBuilder>, Vec<i64>) {
        (self.columns, self.time)
    }
}
