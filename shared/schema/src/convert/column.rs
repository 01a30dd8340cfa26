//! One tag or field column under construction: typed values plus a validity bitmap. Rows a
//! line leaves out (and rows before the column's first value) are padded with nulls lazily.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, UInt64Array};
use arrow::array::{BooleanBufferBuilder, NullBufferBuilder};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::error::ArrowError;
use foldhash::fast::RandomState;
use line_protocol::{EscapedStr, FieldValue};

use super::tag_dictionary::TagDictionary;
use crate::column_type::{InfluxColumnType, InfluxFieldType};

/// The Influx field type of a parsed value.
pub(crate) fn field_type(value: &FieldValue<'_>) -> InfluxFieldType {
    match value {
        FieldValue::F64(_) => InfluxFieldType::Float,
        FieldValue::I64(_) => InfluxFieldType::Integer,
        FieldValue::U64(_) => InfluxFieldType::UInteger,
        FieldValue::Bool(_) => InfluxFieldType::Boolean,
        FieldValue::String(_) => InfluxFieldType::String,
    }
}

#[derive(Debug)]
enum ColumnData {
    Tag(TagDictionary),
    Float(Vec<f64>),
    Integer(Vec<i64>),
    UInteger(Vec<u64>),
    String { offsets: Vec<i32>, values: Vec<u8> },
    Boolean(BooleanBufferBuilder),
}

/// A column of a table under construction.
#[derive(Debug)]
pub(crate) struct ColumnBuilder {
    /// Unescaped column name.
    pub(crate) name: String,
    /// Never [`InfluxColumnType::Timestamp`]: `time` is kept by the table.
    pub(crate) column_type: InfluxColumnType,
    /// Number of the line that last used this column (see `TableBuilder`).
    pub(crate) mark: u64,
    /// Position of this column's tag/field in that line.
    pub(crate) slot: u32,
    data: ColumnData,
    nulls: NullBufferBuilder,
    /// Rows written so far (`nulls.len()`, kept here: arrow's `len` is not inlined and the hot
    /// path asks for it on every value).
    rows: usize,
}

impl ColumnBuilder {
    pub(crate) fn new(name: String, column_type: InfluxColumnType, hasher: RandomState) -> Self {
        let data = match column_type {
            InfluxColumnType::Tag | InfluxColumnType::Timestamp => {
                ColumnData::Tag(TagDictionary::new(hasher))
            }
            InfluxColumnType::Field(InfluxFieldType::Float) => ColumnData::Float(Vec::new()),
            InfluxColumnType::Field(InfluxFieldType::Integer) => ColumnData::Integer(Vec::new()),
            InfluxColumnType::Field(InfluxFieldType::UInteger) => ColumnData::UInteger(Vec::new()),
            InfluxColumnType::Field(InfluxFieldType::String) => ColumnData::String {
                offsets: vec![0],
                values: Vec::new(),
            },
            InfluxColumnType::Field(InfluxFieldType::Boolean) => {
                ColumnData::Boolean(BooleanBufferBuilder::new(0))
            }
        };
        Self {
            name,
            column_type,
            mark: 0,
            slot: 0,
            data,
            nulls: NullBufferBuilder::new(0),
            rows: 0,
        }
    }

    /// True when appending `additional` more string bytes could overflow `i32` offsets.
    pub(crate) fn would_overflow(&self, additional: usize) -> bool {
        match &self.data {
            ColumnData::Tag(dict) => dict.would_overflow(additional),
            ColumnData::String { values, .. } => {
                values.len().saturating_add(additional) > i32::MAX as usize
            }
            _ => false,
        }
    }

    /// Pads with nulls up to `row` (the row about to be written).
    #[inline]
    fn pad_to(&mut self, row: usize) {
        if self.rows < row {
            self.push_nulls(row - self.rows);
        }
    }

    fn push_nulls(&mut self, n: usize) {
        self.nulls.append_n_nulls(n);
        self.rows += n;
        match &mut self.data {
            ColumnData::Tag(dict) => dict.push_nulls(n),
            ColumnData::Float(v) => v.resize(v.len() + n, 0.0),
            ColumnData::Integer(v) => v.resize(v.len() + n, 0),
            ColumnData::UInteger(v) => v.resize(v.len() + n, 0),
            ColumnData::String { offsets, .. } => {
                let end = offsets.last().copied().unwrap_or(0);
                offsets.resize(offsets.len() + n, end);
            }
            ColumnData::Boolean(b) => b.append_n(n, false),
        }
    }

    /// Appends a tag value at `row`.
    #[inline]
    /// Returns the value's dictionary key (`-1` if this is not a tag column, which the table
    /// rules out).
    pub(crate) fn push_tag(&mut self, row: usize, value: &EscapedStr<'_>) -> i32 {
        self.pad_to(row);
        match &mut self.data {
            ColumnData::Tag(dict) => {
                let key = if value.has_backslash() {
                    dict.push(&value.unescaped())
                } else {
                    dict.push(value.raw())
                };
                self.nulls.append_non_null();
                self.rows += 1;
                key
            }
            // Unreachable: the table checked the column type. Stay consistent regardless.
            _ => {
                debug_assert!(false, "tag value for field column {}", self.name);
                self.push_nulls(1);
                -1
            }
        }
    }

    /// Appends a tag value at `row` by its dictionary key (from an earlier [`Self::push_tag`]).
    #[inline]
    pub(crate) fn push_tag_key(&mut self, row: usize, key: i32) {
        self.pad_to(row);
        match &mut self.data {
            ColumnData::Tag(dict) => {
                dict.push_key(key);
                self.nulls.append_non_null();
                self.rows += 1;
            }
            _ => {
                debug_assert!(false, "tag key for field column {}", self.name);
                self.push_nulls(1);
            }
        }
    }

    /// Appends a field value at `row`.
    #[inline]
    pub(crate) fn push_field(&mut self, row: usize, value: &FieldValue<'_>) {
        self.pad_to(row);
        match (&mut self.data, value) {
            (ColumnData::Float(v), FieldValue::F64(x)) => v.push(*x),
            (ColumnData::Integer(v), FieldValue::I64(x)) => v.push(*x),
            (ColumnData::UInteger(v), FieldValue::U64(x)) => v.push(*x),
            (ColumnData::Boolean(b), FieldValue::Bool(x)) => b.append(*x),
            (ColumnData::String { offsets, values }, FieldValue::String(s)) => {
                if s.has_backslash() {
                    values.extend_from_slice(s.unescaped().as_bytes());
                } else {
                    values.extend_from_slice(s.raw().as_bytes());
                }
                offsets.push(values.len() as i32);
            }
            // Unreachable: the table checked the column type. Stay consistent regardless.
            _ => {
                debug_assert!(
                    false,
                    "field value of another type for column {}",
                    self.name
                );
                self.push_nulls(1);
                return;
            }
        }
        self.nulls.append_non_null();
        self.rows += 1;
    }

    /// Bytes of variable-length data (tag dictionary values, string values) held.
    pub(crate) fn value_bytes(&self) -> usize {
        match &self.data {
            ColumnData::Tag(dict) => dict.value_bytes(),
            ColumnData::String { values, .. } => values.len(),
            _ => 0,
        }
    }

    /// Appends `other` — the same column (same name and type) of the next `other_rows` rows,
    /// converted separately — after this column's first `rows` rows, as if its values had been
    /// pushed here one by one. The caller checked the type and that the value bytes fit.
    pub(crate) fn append_column(
        &mut self,
        mut other: ColumnBuilder,
        rows: usize,
        other_rows: usize,
    ) {
        self.pad_to(rows);
        other.pad_to(other_rows);
        let other_nulls = other.nulls.finish();
        match &other_nulls {
            Some(nulls) => self.nulls.append_buffer(nulls),
            None => self.nulls.append_n_non_nulls(other_rows),
        }
        self.rows += other_rows;
        match (&mut self.data, other.data) {
            (ColumnData::Tag(dict), ColumnData::Tag(more)) => {
                dict.append_dictionary(more, other_nulls.as_ref());
            }
            (ColumnData::Float(v), ColumnData::Float(more)) => v.extend_from_slice(&more),
            (ColumnData::Integer(v), ColumnData::Integer(more)) => v.extend_from_slice(&more),
            (ColumnData::UInteger(v), ColumnData::UInteger(more)) => v.extend_from_slice(&more),
            (ColumnData::Boolean(b), ColumnData::Boolean(mut more)) => {
                b.append_buffer(&more.finish());
            }
            (
                ColumnData::String { offsets, values },
                ColumnData::String {
                    offsets: more_offsets,
                    values: more_values,
                },
            ) => {
                let base = values.len() as i32;
                offsets.extend(more_offsets.iter().skip(1).map(|o| base + o));
                values.extend_from_slice(&more_values);
            }
            // Unreachable: the caller matched the types. Stay consistent regardless.
            _ => {
                debug_assert!(false, "appending a column of another type to {}", self.name);
                self.rows -= other_rows;
                self.nulls.truncate(self.rows);
                self.push_nulls(other_rows);
            }
        }
    }

    /// Builds the Arrow array of `rows` rows.
    pub(crate) fn finish(mut self, rows: usize) -> Result<ArrayRef, ArrowError> {
        self.pad_to(rows);
        let nulls = self.nulls.finish();
        Ok(match self.data {
            ColumnData::Tag(dict) => dict.finish(nulls)?,
            ColumnData::Float(v) => Arc::new(Float64Array::try_new(ScalarBuffer::from(v), nulls)?),
            ColumnData::Integer(v) => Arc::new(Int64Array::try_new(ScalarBuffer::from(v), nulls)?),
            ColumnData::UInteger(v) => {
                Arc::new(UInt64Array::try_new(ScalarBuffer::from(v), nulls)?)
            }
            ColumnData::String { offsets, values } => Arc::new(StringArray::try_new(
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                Buffer::from_vec(values),
                nulls,
            )?),
            ColumnData::Boolean(mut b) => Arc::new(BooleanArray::new(b.finish(), nulls)),
        })
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Float64Type;
    use line_protocol::EscapeKind;

    use super::*;

    #[test]
    fn pads_skipped_rows_with_nulls_and_finishes_at_the_row_count() {
        let mut column = ColumnBuilder::new(
            "v".into(),
            InfluxColumnType::Field(InfluxFieldType::Float),
            RandomState::default(),
        );
        column.push_field(2, &FieldValue::F64(1.5));
        column.push_field(3, &FieldValue::F64(2.5));
        let array = column.finish(6).unwrap();
        let values = array.as_primitive::<Float64Type>();
        let cells: Vec<_> = values.iter().collect();
        assert_eq!(cells, [None, None, Some(1.5), Some(2.5), None, None]);
        assert_eq!(values.null_count(), 4);
    }

    #[test]
    fn string_columns_refuse_data_past_i32_offsets() {
        let mut column = ColumnBuilder::new(
            "s".into(),
            InfluxColumnType::Field(InfluxFieldType::String),
            RandomState::default(),
        );
        let text = EscapedStr::from_raw(r#"a\\b\"c"#, EscapeKind::StringValue);
        column.push_field(0, &FieldValue::String(text));
        assert!(!column.would_overflow(1000));
        // 5 bytes stored (`a\b"c` unescaped): 5 + (i32::MAX - 5) still fits, one more does not.
        assert!(!column.would_overflow(i32::MAX as usize - 5));
        assert!(column.would_overflow(i32::MAX as usize - 4));
        let array = column.finish(1).unwrap();
        assert_eq!(array.as_string::<i32>().value(0), "a\\b\"c");
        let int = ColumnBuilder::new(
            "n".into(),
            InfluxColumnType::Field(InfluxFieldType::Integer),
            RandomState::default(),
        );
        assert!(!int.would_overflow(usize::MAX));
    }
}
