use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int8Array, Int64Array, ListArray,
    StringArray, StructArray, TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema};

use super::*;

fn compact_batch(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    compact_widening(batch, batch.schema(), &[])
}

/// Every buffer (null bitmaps, children and dictionary values included) of `data`, as
/// (start address, length, capacity of its allocation).
fn buffers(data: &ArrayData, out: &mut Vec<(usize, usize, usize)>) {
    for b in data.buffers() {
        out.push((b.as_ptr() as usize, b.len(), b.capacity()));
    }
    if let Some(n) = data.nulls() {
        let b = n.buffer();
        out.push((b.as_ptr() as usize, b.len(), b.capacity()));
    }
    for child in data.child_data() {
        buffers(child, out);
    }
}

fn mixed() -> RecordBatch {
    let host: DictionaryArray<Int32Type> = vec![Some("a"), None, Some("bb"), Some("a")]
        .into_iter()
        .collect();
    let list = ListArray::from_iter_primitive::<arrow::datatypes::Int64Type, _, _>(vec![
        Some(vec![Some(1), None]),
        None,
        Some(vec![]),
        Some(vec![Some(4)]),
    ]);
    let strukt = StructArray::from(vec![
        (
            Arc::new(Field::new("s", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec![
                Some("x"),
                None,
                Some("zz"),
                Some(""),
            ])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("b", DataType::Boolean, true)),
            Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(false),
                None,
                Some(true),
            ])) as ArrayRef,
        ),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(host),
        Arc::new(Float64Array::from(vec![
            Some(1.5),
            None,
            Some(-0.0),
            Some(f64::NAN),
        ])),
        Arc::new(Int8Array::from(vec![1, -2, 3, 4])),
        Arc::new(Int64Array::from(vec![
            Some(i64::MIN),
            None,
            Some(0),
            Some(i64::MAX),
        ])),
        Arc::new(list),
        Arc::new(strukt),
        Arc::new(TimestampNanosecondArray::from(vec![1, 2, 3, 4])),
    ];
    let fields: Vec<Field> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| Field::new(format!("c{i}"), c.data_type().clone(), true))
        .collect();
    let schema = Schema::new(fields).with_metadata([("k".to_owned(), "v".to_owned())].into());
    RecordBatch::try_new(Arc::new(schema), columns).unwrap()
}

#[test]
fn a_compacted_batch_equals_the_original() {
    let batch = mixed();
    let compacted = compact_batch(&batch).unwrap();
    assert_eq!(compacted, batch);
    assert_eq!(compacted.schema(), batch.schema());
    // Sliced input (offsets into shared buffers) compacts to the same values too.
    let sliced = batch.slice(1, 2);
    assert_eq!(compact_batch(&sliced).unwrap(), sliced);
}

#[test]
fn a_compacted_batch_is_one_allocation_of_its_own_size() {
    let batch = mixed();
    let compacted = compact_batch(&batch).unwrap();
    let mut parts = Vec::new();
    for column in compacted.columns() {
        buffers(&column.to_data(), &mut parts);
    }
    let (start, _, capacity) = parts[0];
    let start = parts.iter().map(|p| p.0).min().unwrap().min(start);
    let needed: usize = parts.iter().map(|p| padded(p.1)).sum();
    for &(at, len, cap) in &parts {
        assert_eq!(
            cap, capacity,
            "every buffer is a slice of the same allocation"
        );
        assert!(
            at >= start && at + len <= start + capacity,
            "inside the arena"
        );
        assert_eq!((at - start) % ALIGN, 0, "aligned");
    }
    // The arena is the buffers' bytes (padded), not more (allocation rounding aside).
    assert!(
        capacity >= needed && capacity < needed + 64,
        "{capacity} for {needed}"
    );
    // And the original's buffers are not among them.
    let mut original = Vec::new();
    for column in batch.columns() {
        buffers(&column.to_data(), &mut original);
    }
    for (at, _, _) in original {
        assert!(!(start..start + capacity).contains(&at));
    }
}

#[test]
fn a_batch_without_columns_keeps_its_row_count() {
    let batch = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(7)),
    )
    .unwrap();
    assert_eq!(compact_batch(&batch).unwrap().num_rows(), 7);
}

#[test]
fn a_column_with_an_offset_null_bitmap_keeps_its_nulls() {
    let column: ArrayRef = Arc::new(Int64Array::from(vec![
        Some(1),
        None,
        Some(3),
        None,
        Some(5),
    ]));
    let sliced = column.slice(1, 3);
    let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, true)]));
    let batch = RecordBatch::try_new(schema, vec![sliced]).unwrap();
    let compacted = compact_batch(&batch).unwrap();
    assert_eq!(compacted, batch);
    assert_eq!(compacted.column(0).null_count(), 2);
}

#[test]
fn widening_equals_a_cast_for_every_pair_with_nulls_and_offsets() {
    use arrow::compute::cast;
    use arrow::datatypes::Int8Type;
    let int = |t: DataType, values: Vec<Option<i64>>| -> ArrayRef {
        cast(&(Arc::new(Int64Array::from(values)) as ArrayRef), &t).unwrap()
    };
    let signed = vec![Some(-128), None, Some(0), Some(127), Some(-1), None];
    let unsigned = vec![Some(0), None, Some(255), Some(1), None, Some(7)];
    let keys: DictionaryArray<Int8Type> =
        vec![Some("a"), None, Some("b"), Some("a"), Some("c"), None]
            .into_iter()
            .collect();
    let keys16 = cast(
        &(Arc::new(keys.clone()) as ArrayRef),
        &DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8)),
    )
    .unwrap();
    let dict32 = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let cases: Vec<(ArrayRef, DataType)> = vec![
        (int(DataType::Int8, signed.clone()), DataType::Int64),
        (int(DataType::Int16, signed.clone()), DataType::Int64),
        (int(DataType::Int32, signed.clone()), DataType::Int64),
        (int(DataType::UInt8, unsigned.clone()), DataType::UInt64),
        (int(DataType::UInt16, unsigned.clone()), DataType::UInt64),
        (int(DataType::UInt32, unsigned.clone()), DataType::UInt64),
        (Arc::new(keys), dict32.clone()),
        (keys16, dict32),
    ];
    for (narrow, wide) in cases {
        for (offset, len) in [(0, 6), (1, 4), (3, 3)] {
            let narrow = narrow.slice(offset, len);
            let batch = RecordBatch::try_new(
                Arc::new(Schema::new(vec![
                    Field::new("n", narrow.data_type().clone(), true),
                    Field::new("f", DataType::Float64, true),
                ])),
                vec![
                    Arc::clone(&narrow),
                    Arc::new(Float64Array::from(vec![Some(0.5); len])),
                ],
            )
            .unwrap();
            let schema = Arc::new(Schema::new(vec![
                Field::new("n", wide.clone(), true),
                Field::new("f", DataType::Float64, true),
            ]));
            let widened =
                compact_widening(&batch, Arc::clone(&schema), &[Some(wide.clone())]).unwrap();
            let expected = cast(&narrow, &wide).unwrap();
            assert_eq!(
                widened.column(0).as_ref(),
                expected.as_ref(),
                "{narrow:?} to {wide}"
            );
            assert_eq!(widened.column(1).as_ref(), batch.column(1).as_ref());
            assert_eq!(widened.schema(), schema);
        }
    }
}

#[test]
fn a_widening_to_a_narrower_or_unrelated_type_is_refused() {
    for (from, to) in [
        (DataType::Int64, DataType::Int32),
        (DataType::Int8, DataType::UInt64),
        (DataType::UInt8, DataType::Int64),
    ] {
        let column =
            arrow::compute::cast(&(Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef), &from)
                .unwrap();
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("n", from.clone(), false)])),
            vec![column],
        )
        .unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("n", to.clone(), false)]));
        let err = compact_widening(&batch, schema, &[Some(to.clone())]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Cast error: {from} does not widen to {to}")
        );
    }
}
