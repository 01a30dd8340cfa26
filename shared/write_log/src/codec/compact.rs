//! One allocation per decoded batch: every buffer of every column (null bitmaps, offsets,
//! values, dictionary values, children) copied, in order, into a single arena the columns then
//! slice.
//!
//! ```text
//! decoded batch: time ─► [buf]  usage ─► [buf]  host ─► keys [buf] + values [offs][data] …
//!        │ compact_widening
//!        ▼
//! one arena:     [time|usage|keys|offs|data|…]   (each part 16-byte aligned)
//! ```
//!
//! Why: an ingester holds decoded batches for minutes. Widening a narrowed record
//! ([`super::widen_batch`]) leaves each column in buffers of its own, dozens of small
//! allocations per batch that cost the allocator more than the data (171 MiB of RSS per million
//! TSBS rows against 147 for batches read from one IPC stream); copied into one arena, a batch
//! holds exactly its bytes and nothing of the stream it was read from
//! (docs/benchmarks.md "Ingester memory").

use arrow::array::{ArrayData, ArrayRef, make_array};
use arrow::buffer::{BooleanBuffer, Buffer, MutableBuffer, NullBuffer};
use arrow::datatypes::{ArrowNativeType, DataType, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};

/// Where each part starts in the arena: enough for every Arrow native type (`i256` included).
const ALIGN: usize = 16;

fn padded(len: usize) -> usize {
    len.div_ceil(ALIGN) * ALIGN
}

/// Arena bytes `data` needs (its buffers, null bitmap and children, each padded).
fn arena_len(data: &ArrayData) -> usize {
    data.buffers()
        .iter()
        .map(|b| padded(b.len()))
        .sum::<usize>()
        + data.nulls().map_or(0, |n| padded(n.buffer().len()))
        + data.child_data().iter().map(arena_len).sum::<usize>()
}

/// Appends every buffer of `data` to `arena`, in the order [`rebuild`] takes them back.
fn copy_into(data: &ArrayData, arena: &mut MutableBuffer) {
    let mut push = |bytes: &[u8]| {
        arena.extend_from_slice(bytes);
        let pad = padded(bytes.len()) - bytes.len();
        arena.extend_zeros(pad);
    };
    for buffer in data.buffers() {
        push(buffer.as_slice());
    }
    if let Some(nulls) = data.nulls() {
        push(nulls.buffer().as_slice());
    }
    for child in data.child_data() {
        copy_into(child, arena);
    }
}

/// `data` with its buffers replaced by the slices of `arena` from `*at` on.
fn rebuild(data: &ArrayData, arena: &Buffer, at: &mut usize) -> Result<ArrayData, ArrowError> {
    let mut take = |len: usize| {
        let part = arena.slice_with_length(*at, len);
        *at += padded(len);
        part
    };
    let buffers: Vec<Buffer> = data.buffers().iter().map(|b| take(b.len())).collect();
    let nulls = data.nulls().map(|n| {
        NullBuffer::new(BooleanBuffer::new(
            take(n.buffer().len()),
            n.offset(),
            n.len(),
        ))
    });
    let children = data
        .child_data()
        .iter()
        .map(|child| rebuild(child, arena, at))
        .collect::<Result<Vec<_>, _>>()?;
    data.clone()
        .into_builder()
        .buffers(buffers)
        .nulls(nulls)
        .child_data(children)
        .build()
}

/// Arena bytes of `data` converted to `wide` (see [`copy_widened`]).
fn widened_arena_len(data: &ArrayData, wide: &DataType) -> usize {
    data.nulls().map_or(0, |n| padded(n.buffer().len()))
        + padded(data.len() * value_width(wide))
        + data.child_data().iter().map(arena_len).sum::<usize>()
}

/// The type of the values a widening writes: the keys of a dictionary, else the type itself.
fn values_type(data_type: &DataType) -> &DataType {
    match data_type {
        DataType::Dictionary(keys, _) => keys,
        other => other,
    }
}

fn value_width(data_type: &DataType) -> usize {
    values_type(data_type).primitive_width().unwrap_or(0)
}

/// Appends the values of `data` (an integer array, or the keys of a dictionary) converted to
/// the wider integer type of `wide`: sign or zero extension, exact for every value.
fn extend_widened(
    data: &ArrayData,
    wide: &DataType,
    arena: &mut MutableBuffer,
) -> Result<(), ArrowError> {
    fn widen<N, W>(data: &ArrayData, arena: &mut MutableBuffer)
    where
        N: ArrowNativeType,
        W: ArrowNativeType + From<N>,
    {
        let values = &data.buffer::<N>(0)[..data.len()];
        arena.extend(values.iter().map(|&v| W::from(v)));
    }
    use DataType::{Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64};
    match (values_type(data.data_type()), values_type(wide)) {
        (Int8, Int64) => widen::<i8, i64>(data, arena),
        (Int16, Int64) => widen::<i16, i64>(data, arena),
        (Int32, Int64) => widen::<i32, i64>(data, arena),
        (UInt8, UInt64) => widen::<u8, u64>(data, arena),
        (UInt16, UInt64) => widen::<u16, u64>(data, arena),
        (UInt32, UInt64) => widen::<u32, u64>(data, arena),
        (Int8, Int32) => widen::<i8, i32>(data, arena),
        (Int16, Int32) => widen::<i16, i32>(data, arena),
        (from, to) => {
            return Err(ArrowError::CastError(format!(
                "{from} does not widen to {to}"
            )));
        }
    }
    let written = data.len() * value_width(wide);
    arena.extend_zeros(padded(written) - written);
    Ok(())
}

/// Appends `data` converted to `wide`: null bitmap, widened values, then (for a dictionary)
/// its values as they are; in the order [`rebuild_widened`] takes them back.
fn copy_widened(
    data: &ArrayData,
    wide: &DataType,
    arena: &mut MutableBuffer,
) -> Result<(), ArrowError> {
    if let Some(nulls) = data.nulls() {
        let bytes = nulls.buffer().as_slice();
        arena.extend_from_slice(bytes);
        arena.extend_zeros(padded(bytes.len()) - bytes.len());
    }
    extend_widened(data, wide, arena)?;
    for child in data.child_data() {
        copy_into(child, arena);
    }
    Ok(())
}

fn rebuild_widened(
    data: &ArrayData,
    wide: &DataType,
    arena: &Buffer,
    at: &mut usize,
) -> Result<ArrayData, ArrowError> {
    let mut take = |len: usize| {
        let part = arena.slice_with_length(*at, len);
        *at += padded(len);
        part
    };
    let nulls = data.nulls().map(|n| {
        NullBuffer::new(BooleanBuffer::new(
            take(n.buffer().len()),
            n.offset(),
            n.len(),
        ))
    });
    let values = take(data.len() * value_width(wide));
    let children = data
        .child_data()
        .iter()
        .map(|child| rebuild(child, arena, at))
        .collect::<Result<Vec<_>, _>>()?;
    ArrayData::builder(wide.clone())
        .len(data.len())
        .nulls(nulls)
        .buffers(vec![values])
        .child_data(children)
        .build()
}

/// `batch` with all its columns in one allocation of their own (see the module doc), converting
/// column `i` to the wider integer type `widen[i]` on the way
/// when there is one (`Int8`/`Int16`/`Int32` to `Int64`, `UInt8`/`UInt16`/`UInt32` to `UInt64`,
/// dictionary keys `Int8`/`Int16` to `Int32`), as a batch of `schema`. One allocation: no
/// widened copy exists outside the arena, even for a moment.
pub(super) fn compact_widening(
    batch: &RecordBatch,
    schema: SchemaRef,
    widen: &[Option<DataType>],
) -> Result<RecordBatch, ArrowError> {
    let data: Vec<ArrayData> = batch.columns().iter().map(|c| c.to_data()).collect();
    let plan = || {
        data.iter()
            .zip(widen.iter().chain(std::iter::repeat(&None)))
    };
    let len = plan()
        .map(|(column, wide)| match wide {
            Some(wide) => widened_arena_len(column, wide),
            None => arena_len(column),
        })
        .sum();
    let mut arena = MutableBuffer::with_capacity(len);
    for (column, wide) in plan() {
        match wide {
            Some(wide) => copy_widened(column, wide, &mut arena)?,
            None => copy_into(column, &mut arena),
        }
    }
    let arena: Buffer = arena.into();
    let mut at = 0;
    let columns = plan()
        .map(|(column, wide)| {
            Ok(make_array(match wide {
                Some(wide) => rebuild_widened(column, wide, &arena, &mut at)?,
                None => rebuild(column, &arena, &mut at)?,
            }))
        })
        .collect::<Result<Vec<ArrayRef>, ArrowError>>()?;
    RecordBatch::try_new_with_options(
        schema,
        columns,
        &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )
}

#[cfg(test)]
mod tests;
