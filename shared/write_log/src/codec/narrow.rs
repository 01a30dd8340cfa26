//! Integer narrowing for [`super::PayloadEncoding::ArrowIpcNarrowZstdFrame`]: before the IPC
//! stream is written, every `Int64` / `UInt64` column whose values fit a narrower integer is
//! cast to the narrowest one that holds them all, and every `Int32`-keyed dictionary whose
//! values fit `Int8` / `Int16` keys gets those keys. The field keeps its metadata and gains
//! [`WIDE_TYPE_METADATA_KEY`] naming what it was; the reader casts it back and drops the key,
//! so the decoded batch equals the written one.
//!
//! ```text
//! Int64  [3, 97, -2]        ──► Int8  [3, 97, -2]      + quiver::wide_type = "Int64"
//! UInt64 [70 000]           ──► UInt32 [70 000]        + quiver::wide_type = "UInt64"
//! Dictionary(Int32, Utf8), 1 000 values ──► Dictionary(Int16, Utf8) + "Dictionary(Int32, Utf8)"
//! ```
//!
//! Why: a line protocol integer is an `i64` but is usually small (counters, percentages,
//! status codes), and a request's tag dictionaries are small, so most of an IPC stream's bytes
//! are zero bytes that zstd must still read. Narrowed, one 1 250-row TSBS record is 2.7× fewer
//! bytes before compression, compresses 3.5× faster and ends up smaller (docs/benchmarks.md
//! "Write log payload encoding").

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::kernels::cast::{CastOptions, cast_with_options};
use arrow::compute::{max, min};
use arrow::datatypes::{DataType, Int64Type, Schema, UInt64Type};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// Field metadata key naming the type a narrowed column had when written.
pub const WIDE_TYPE_METADATA_KEY: &str = "quiver::wide_type";

/// The wide types a column may be narrowed from, and their metadata values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wide {
    Int64,
    UInt64,
    /// `Dictionary(Int32, V)`: only the keys are narrowed.
    Int32Keys,
}

impl Wide {
    fn metadata_value(self) -> &'static str {
        match self {
            Self::Int64 => "Int64",
            Self::UInt64 => "UInt64",
            Self::Int32Keys => "Dictionary(Int32, _)",
        }
    }

    fn from_metadata(value: &str) -> Option<Self> {
        [Self::Int64, Self::UInt64, Self::Int32Keys]
            .into_iter()
            .find(|w| w.metadata_value() == value)
    }

    /// The type `narrow` widens back to, when `narrow` is one this wide type narrows to.
    fn widened(self, narrow: &DataType) -> Option<DataType> {
        match (self, narrow) {
            (Self::Int64, DataType::Int8 | DataType::Int16 | DataType::Int32) => {
                Some(DataType::Int64)
            }
            (Self::UInt64, DataType::UInt8 | DataType::UInt16 | DataType::UInt32) => {
                Some(DataType::UInt64)
            }
            (Self::Int32Keys, DataType::Dictionary(keys, values))
                if matches!(keys.as_ref(), DataType::Int8 | DataType::Int16) =>
            {
                Some(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    values.clone(),
                ))
            }
            _ => None,
        }
    }
}

/// Casts that must not lose anything: an out-of-range value is an error, never a null.
const EXACT: CastOptions<'static> = CastOptions {
    safe: false,
    format_options: arrow::util::display::FormatOptions::new(),
};

/// The narrowest type holding every value of `column`, when narrower than its own.
fn narrow_type(column: &ArrayRef) -> Option<(Wide, DataType)> {
    match column.data_type() {
        DataType::Int64 => {
            let values = column.as_primitive::<Int64Type>();
            let (lo, hi) = match (min(values), max(values)) {
                (Some(lo), Some(hi)) => (lo, hi),
                _ => (0, 0), // all null
            };
            let narrow = if lo >= i8::MIN as i64 && hi <= i8::MAX as i64 {
                DataType::Int8
            } else if lo >= i16::MIN as i64 && hi <= i16::MAX as i64 {
                DataType::Int16
            } else if lo >= i32::MIN as i64 && hi <= i32::MAX as i64 {
                DataType::Int32
            } else {
                return None;
            };
            Some((Wide::Int64, narrow))
        }
        DataType::UInt64 => {
            let hi = max(column.as_primitive::<UInt64Type>()).unwrap_or(0);
            let narrow = if hi <= u8::MAX as u64 {
                DataType::UInt8
            } else if hi <= u16::MAX as u64 {
                DataType::UInt16
            } else if hi <= u32::MAX as u64 {
                DataType::UInt32
            } else {
                return None;
            };
            Some((Wide::UInt64, narrow))
        }
        DataType::Dictionary(keys, values) if keys.as_ref() == &DataType::Int32 => {
            // Every key is below the number of values (Arrow's dictionary invariant).
            let count = column.as_any_dictionary().values().len();
            let narrow_keys = if count <= i8::MAX as usize + 1 {
                DataType::Int8
            } else if count <= i16::MAX as usize + 1 {
                DataType::Int16
            } else {
                return None;
            };
            Some((
                Wide::Int32Keys,
                DataType::Dictionary(Box::new(narrow_keys), values.clone()),
            ))
        }
        _ => None,
    }
}

/// `batch` with every column that can be narrowed narrowed (see the module doc); the batch
/// itself (cheap clone) when none can.
pub fn narrow_batch(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    let mut narrowed = false;
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        match narrow_type(column) {
            Some((wide, narrow)) => {
                let mut metadata = field.metadata().clone();
                metadata.insert(
                    WIDE_TYPE_METADATA_KEY.to_owned(),
                    wide.metadata_value().to_owned(),
                );
                columns.push(cast_with_options(column, &narrow, &EXACT)?);
                fields.push(Arc::new(
                    field
                        .as_ref()
                        .clone()
                        .with_data_type(narrow)
                        .with_metadata(metadata),
                ));
                narrowed = true;
            }
            None => {
                columns.push(Arc::clone(column));
                fields.push(Arc::clone(field));
            }
        }
    }
    if !narrowed {
        return Ok(batch.clone());
    }
    let schema = Schema::new(fields).with_metadata(schema.metadata().clone());
    RecordBatch::try_new(Arc::new(schema), columns)
}

/// Why a narrowed batch cannot be widened back.
#[derive(Debug, thiserror::Error)]
pub enum WidenError {
    /// The metadata names a type this build does not narrow from.
    #[error("column {column}: unknown {WIDE_TYPE_METADATA_KEY} {value:?}")]
    UnknownWideType {
        /// Column name.
        column: String,
        /// The metadata value.
        value: String,
    },
    /// The column's type is not a narrowing of the type the metadata names.
    #[error("column {column}: {found} is not a narrowed {wide}")]
    NotNarrower {
        /// Column name.
        column: String,
        /// The column's type in the payload.
        found: DataType,
        /// The metadata value.
        wide: String,
    },
    /// The widened columns do not form a batch.
    #[error("widening: {0}")]
    Batch(ArrowError),
}

/// Undoes [`narrow_batch`]: every column marked with [`WIDE_TYPE_METADATA_KEY`] is widened back
/// to that type and the key removed. A batch with marked columns comes back in one allocation
/// of its own ([`super::compact::compact_widening`]: the widened values are written straight
/// into it, the other columns copied), holding nothing of the stream it was read from; a batch
/// without is returned as it is.
pub fn widen_batch(batch: RecordBatch) -> Result<RecordBatch, WidenError> {
    let schema = batch.schema();
    if !schema
        .fields()
        .iter()
        .any(|f| f.metadata().contains_key(WIDE_TYPE_METADATA_KEY))
    {
        return Ok(batch);
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut plan = Vec::with_capacity(batch.num_columns());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let Some(value) = field.metadata().get(WIDE_TYPE_METADATA_KEY) else {
            fields.push(Arc::clone(field));
            plan.push(None);
            continue;
        };
        let name = field.name();
        let wide = Wide::from_metadata(value).ok_or_else(|| WidenError::UnknownWideType {
            column: name.clone(),
            value: value.clone(),
        })?;
        let wide_type =
            wide.widened(column.data_type())
                .ok_or_else(|| WidenError::NotNarrower {
                    column: name.clone(),
                    found: column.data_type().clone(),
                    wide: value.clone(),
                })?;
        let metadata: HashMap<String, String> = field
            .metadata()
            .iter()
            .filter(|(k, _)| k.as_str() != WIDE_TYPE_METADATA_KEY)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        fields.push(Arc::new(
            field
                .as_ref()
                .clone()
                .with_data_type(wide_type.clone())
                .with_metadata(metadata),
        ));
        plan.push(Some(wide_type));
    }
    let schema = Schema::new(fields).with_metadata(schema.metadata().clone());
    super::compact::compact_widening(&batch, Arc::new(schema), &plan).map_err(WidenError::Batch)
}

#[cfg(test)]
mod tests;
