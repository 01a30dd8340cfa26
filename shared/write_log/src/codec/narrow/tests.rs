use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int8Array, Int64Array,
    StringArray, TimestampNanosecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema};
use arrow::record_batch::RecordBatch;
use proptest::prelude::*;

use super::*;

const TYPE_KEY: &str = "iox::column::type";

fn batch_of(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array)| {
            Field::new(*name, array.data_type().clone(), true).with_metadata(HashMap::from([(
                TYPE_KEY.to_owned(),
                format!("type of {name}"),
            )]))
        })
        .collect();
    let schema = Schema::new(fields).with_metadata(HashMap::from([(
        "iox::measurement::name".into(),
        "cpu".into(),
    )]));
    RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

fn int64(values: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from(values))
}

fn uint64(values: Vec<Option<u64>>) -> ArrayRef {
    Arc::new(UInt64Array::from(values))
}

/// A dictionary column of `distinct` values, rows cycling through them, every 7th row after
/// the first cycle null.
fn tags(distinct: usize, rows: usize) -> ArrayRef {
    let names: Vec<String> = (0..distinct).map(|i| format!("host_{i}")).collect();
    let array: DictionaryArray<Int32Type> = (0..rows)
        .map(|i| (i < distinct || i % 7 != 3).then(|| names[i % distinct].as_str()))
        .collect();
    assert_eq!(array.values().len(), distinct.min(rows));
    Arc::new(array)
}

fn narrowed_type(batch: &RecordBatch, column: usize) -> DataType {
    narrow_batch(batch)
        .unwrap()
        .schema()
        .field(column)
        .data_type()
        .clone()
}

fn round_trip(batch: &RecordBatch) -> RecordBatch {
    widen_batch(narrow_batch(batch).unwrap()).unwrap()
}

#[test]
fn signed_integers_get_the_narrowest_type_holding_every_value() {
    let cases = [
        (vec![Some(0), Some(-128), Some(127), None], DataType::Int8),
        (vec![Some(128)], DataType::Int16),
        (vec![Some(-129), Some(32_767)], DataType::Int16),
        (vec![Some(-32_769)], DataType::Int32),
        (
            vec![Some(i32::MIN as i64), Some(i32::MAX as i64)],
            DataType::Int32,
        ),
        (vec![Some(i32::MAX as i64 + 1)], DataType::Int64),
        (vec![Some(i64::MIN), Some(5)], DataType::Int64),
        (vec![None, None], DataType::Int8),
        (vec![], DataType::Int8),
    ];
    for (values, expected) in cases {
        let batch = batch_of(vec![("v", int64(values.clone()))]);
        assert_eq!(narrowed_type(&batch, 0), expected, "{values:?}");
        assert_eq!(round_trip(&batch), batch, "{values:?}");
    }
}

#[test]
fn unsigned_integers_get_the_narrowest_type_holding_every_value() {
    let cases = [
        (vec![Some(0), Some(255), None], DataType::UInt8),
        (vec![Some(256)], DataType::UInt16),
        (vec![Some(65_536)], DataType::UInt32),
        (vec![Some(u32::MAX as u64)], DataType::UInt32),
        (vec![Some(u32::MAX as u64 + 1)], DataType::UInt64),
        (vec![Some(u64::MAX)], DataType::UInt64),
        (vec![None], DataType::UInt8),
    ];
    for (values, expected) in cases {
        let batch = batch_of(vec![("v", uint64(values.clone()))]);
        assert_eq!(narrowed_type(&batch, 0), expected, "{values:?}");
        assert_eq!(round_trip(&batch), batch, "{values:?}");
    }
}

#[test]
fn dictionary_keys_narrow_by_the_number_of_values() {
    let dict = |keys: DataType| DataType::Dictionary(Box::new(keys), Box::new(DataType::Utf8));
    for (distinct, keys) in [
        (1, DataType::Int8),
        (128, DataType::Int8),
        (129, DataType::Int16),
        (32_768, DataType::Int16),
        (32_769, DataType::Int32),
    ] {
        let batch = batch_of(vec![("host", tags(distinct, distinct + 10))]);
        assert_eq!(narrowed_type(&batch, 0), dict(keys), "{distinct} values");
        assert_eq!(round_trip(&batch), batch, "{distinct} values");
    }
}

#[test]
fn a_dictionary_sliced_by_take_keeps_all_values_and_still_round_trips() {
    // Sharding takes rows out of a request-wide dictionary: few rows, every value kept.
    let all = tags(1_000, 1_000);
    let taken = arrow::compute::take(
        &all,
        &arrow::array::UInt32Array::from(vec![999, 3, 500]),
        None,
    )
    .unwrap();
    let batch = batch_of(vec![("host", taken)]);
    let narrowed = narrow_batch(&batch).unwrap();
    assert_eq!(
        narrowed.schema().field(0).data_type(),
        &DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8))
    );
    assert_eq!(widen_batch(narrowed).unwrap(), batch);
}

#[test]
fn other_columns_pass_through_untouched_and_metadata_survives() {
    let float: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.5), None]));
    let text: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None]));
    let flag: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None]));
    let time: ArrayRef = Arc::new(TimestampNanosecondArray::from(vec![1, 2]));
    let batch = batch_of(vec![
        ("f", Arc::clone(&float)),
        ("s", Arc::clone(&text)),
        ("b", Arc::clone(&flag)),
        ("n", int64(vec![Some(1), Some(2)])),
        ("time", Arc::clone(&time)),
    ]);
    let narrowed = narrow_batch(&batch).unwrap();
    for (i, original) in [(0, &float), (1, &text), (2, &flag), (4, &time)] {
        assert!(
            Arc::ptr_eq(narrowed.column(i), original),
            "column {i} copied"
        );
        assert!(
            !narrowed
                .schema()
                .field(i)
                .metadata()
                .contains_key(WIDE_TYPE_METADATA_KEY)
        );
    }
    let field = narrowed.schema().field(3).clone();
    assert_eq!(field.data_type(), &DataType::Int8);
    assert_eq!(field.metadata()[TYPE_KEY], "type of n");
    assert_eq!(field.metadata()[WIDE_TYPE_METADATA_KEY], "Int64");
    assert_eq!(
        narrowed.schema().metadata()["iox::measurement::name"],
        "cpu"
    );
    let back = widen_batch(narrowed).unwrap();
    assert_eq!(back, batch);
    // Equal, but copied: a widened batch is one allocation of its own (compact.rs).
    assert!(!Arc::ptr_eq(back.column(0), &float));
    assert_eq!(back.column(0).as_ref(), float.as_ref());
}

#[test]
fn a_batch_with_nothing_to_narrow_is_returned_as_is() {
    let time: ArrayRef = Arc::new(TimestampNanosecondArray::from(vec![1, 2]));
    let batch = batch_of(vec![
        ("big", int64(vec![Some(i64::MAX), Some(-1)])),
        ("time", time),
    ])
    .slice(0, 1);
    let narrowed = narrow_batch(&batch).unwrap();
    assert_eq!(narrowed, batch);
    assert_eq!(widen_batch(narrowed).unwrap(), batch);
}

#[test]
fn widening_refuses_unknown_or_inconsistent_markings() {
    let mark =
        |data: ArrayRef, value: &str| {
            let field = Field::new("v", data.data_type().clone(), true).with_metadata(
                HashMap::from([(WIDE_TYPE_METADATA_KEY.to_owned(), value.to_owned())]),
            );
            RecordBatch::try_new(Arc::new(Schema::new(vec![field])), vec![data]).unwrap()
        };
    let small: ArrayRef = Arc::new(Int8Array::from(vec![1]));
    assert_eq!(
        widen_batch(mark(Arc::clone(&small), "Decimal"))
            .unwrap_err()
            .to_string(),
        "column v: unknown quiver::wide_type \"Decimal\""
    );
    assert_eq!(
        widen_batch(mark(Arc::clone(&small), "UInt64"))
            .unwrap_err()
            .to_string(),
        "column v: Int8 is not a narrowed UInt64"
    );
    // Never a parsing cast: strings marked as narrowed integers are refused.
    let text: ArrayRef = Arc::new(StringArray::from(vec!["12"]));
    assert_eq!(
        widen_batch(mark(text, "Int64")).unwrap_err().to_string(),
        "column v: Utf8 is not a narrowed Int64"
    );
    let wide: ArrayRef = Arc::new(Int64Array::from(vec![1]));
    assert!(matches!(
        widen_batch(mark(wide, "Int64")),
        Err(WidenError::NotNarrower { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_integers_round_trip_exactly(
        ints in proptest::collection::vec(proptest::option::of(any::<i64>().prop_map(|v| v >> (v as u64 % 64))), 0..40),
        uints in proptest::collection::vec(proptest::option::of(any::<u64>().prop_map(|v| v >> (v % 64))), 0..40),
        distinct in 1usize..300,
    ) {
        let rows = ints.len().max(1);
        let batch = batch_of(vec![("i", int64(ints))]);
        prop_assert_eq!(round_trip(&batch), batch);
        let batch = batch_of(vec![("u", uint64(uints))]);
        prop_assert_eq!(round_trip(&batch), batch);
        let batch = batch_of(vec![("t", tags(distinct, rows.max(distinct)))]);
        prop_assert_eq!(round_trip(&batch), batch);
    }
}
