//! Unit tests of sort + dedup, and a proptest against a naive model (a BTreeMap keyed by the
//! primary key, updated row by row in write order).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampNanosecondArray, UInt64Array,
};
use arrow::datatypes::{Int32Type, Schema};
use arrow::util::display::array_value_to_string;
use proptest::prelude::*;

use super::*;
use crate::{InfluxFieldType, MEASUREMENT_METADATA_KEY};

fn tag(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(
        values
            .iter()
            .copied()
            .collect::<DictionaryArray<Int32Type>>(),
    )
}

fn time(values: &[i64]) -> ArrayRef {
    Arc::new(TimestampNanosecondArray::from(values.to_vec()))
}

fn float(values: &[Option<f64>]) -> ArrayRef {
    Arc::new(Float64Array::from(values.to_vec()))
}

fn batch(columns: Vec<(&str, InfluxColumnType, ArrayRef)>) -> RecordBatch {
    let fields: Vec<_> = columns
        .iter()
        .map(|(name, t, _)| arrow_field(name, *t))
        .collect();
    let schema = Schema::new(fields)
        .with_metadata([(MEASUREMENT_METADATA_KEY.to_string(), "m".to_string())].into());
    RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, _, a)| a).collect(),
    )
    .unwrap()
}

const TAG: InfluxColumnType = InfluxColumnType::Tag;
const TIME: InfluxColumnType = InfluxColumnType::Timestamp;
const FLOAT: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Float);

/// Every cell rendered as text (`None` = null), row by row.
fn rows(batch: &RecordBatch) -> Vec<Vec<Option<String>>> {
    (0..batch.num_rows())
        .map(|row| {
            batch
                .columns()
                .iter()
                .map(|c| {
                    c.is_valid(row)
                        .then(|| array_value_to_string(c, row).unwrap())
                })
                .collect()
        })
        .collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn last_non_null_value_per_field_wins() {
    let input = batch(vec![
        (
            "host",
            TAG,
            tag(&[Some("b"), Some("a"), Some("a"), Some("a")]),
        ),
        ("f", FLOAT, float(&[Some(9.0), Some(1.0), None, Some(3.0)])),
        ("g", FLOAT, float(&[None, None, Some(2.0), None])),
        ("h", FLOAT, float(&[None, None, None, None])),
        ("time", TIME, time(&[0, 1, 1, 1])),
    ]);
    let out = sort_dedup(&[input]).unwrap();
    assert_eq!(
        rows(&out),
        vec![
            vec![
                s("a"),
                s("3.0"),
                s("2.0"),
                None,
                s("1970-01-01T00:00:00.000000001")
            ],
            vec![s("b"), s("9.0"), None, None, s("1970-01-01T00:00:00")],
        ]
    );
    assert_eq!(
        out.schema().metadata().get(MEASUREMENT_METADATA_KEY),
        Some(&"m".to_string())
    );
}

#[test]
fn later_batches_win_and_column_sets_are_unioned() {
    let first = batch(vec![
        ("host", TAG, tag(&[Some("a")])),
        ("f", FLOAT, float(&[Some(1.0)])),
        ("time", TIME, time(&[5])),
    ]);
    let second = batch(vec![
        ("dc", TAG, tag(&[Some("x"), None])),
        ("host", TAG, tag(&[Some("a"), Some("a")])),
        ("f", FLOAT, float(&[Some(2.0), Some(4.0)])),
        ("time", TIME, time(&[5, 5])),
    ]);
    let out = sort_dedup(&[first, second]).unwrap();
    let names: Vec<_> = out
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["dc", "host", "f", "time"]);
    // The first batch's row has dc = null: the same key as the second batch's second row.
    assert_eq!(
        rows(&out),
        vec![
            vec![None, s("a"), s("4.0"), s("1970-01-01T00:00:00.000000005")],
            vec![s("x"), s("a"), s("2.0"), s("1970-01-01T00:00:00.000000005")],
        ]
    );
}

#[test]
fn null_tags_are_a_key_of_their_own_and_sort_first() {
    let input = batch(vec![
        ("host", TAG, tag(&[Some("a"), None, Some(""), None])),
        (
            "f",
            FLOAT,
            float(&[Some(1.0), Some(2.0), Some(3.0), Some(4.0)]),
        ),
        ("time", TIME, time(&[1, 1, 1, 1])),
    ]);
    let out = sort_dedup(&[input]).unwrap();
    let got: Vec<_> = rows(&out)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(
        got,
        vec![(None, s("4.0")), (s(""), s("3.0")), (s("a"), s("1.0"))]
    );
}

#[test]
fn duplicate_dictionary_entries_compare_by_value() {
    let keys = Int32Array::from(vec![0, 1, 2, 1]);
    let values = StringArray::from(vec!["x", "x", "w"]);
    let dict = DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).unwrap();
    let input = batch(vec![
        ("host", TAG, Arc::new(dict)),
        ("f", FLOAT, float(&[Some(1.0), Some(2.0), Some(3.0), None])),
        ("time", TIME, time(&[7, 7, 7, 7])),
    ]);
    let out = sort_dedup(&[input]).unwrap();
    let got: Vec<_> = rows(&out)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(got, vec![(s("w"), s("3.0")), (s("x"), s("2.0"))]);
}

#[test]
fn sorts_by_tags_in_name_order_then_time() {
    let input = batch(vec![
        ("a", TAG, tag(&[Some("2"), Some("1"), Some("1"), Some("1")])),
        ("b", TAG, tag(&[Some("1"), Some("2"), Some("1"), Some("1")])),
        ("time", TIME, time(&[0, 0, 9, 3])),
    ]);
    let out = sort_dedup(&[input]).unwrap();
    let got: Vec<_> = rows(&out)
        .into_iter()
        .map(|r| {
            format!(
                "{}{}@{}",
                r[0].clone().unwrap(),
                r[1].clone().unwrap(),
                r[2].clone().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "11@1970-01-01T00:00:00.000000003",
            "11@1970-01-01T00:00:00.000000009",
            "12@1970-01-01T00:00:00",
            "21@1970-01-01T00:00:00"
        ]
    );
}

#[test]
fn empty_input_and_errors() {
    assert_eq!(
        sort_dedup(&[]).unwrap_err().to_string(),
        "sort_dedup needs at least one batch"
    );
    let empty = batch(vec![("f", FLOAT, float(&[])), ("time", TIME, time(&[]))]);
    assert_eq!(sort_dedup(&[empty]).unwrap().num_rows(), 0);

    let as_float = batch(vec![
        ("v", FLOAT, float(&[Some(1.0)])),
        ("time", TIME, time(&[1])),
    ]);
    let as_int = batch(vec![
        (
            "v",
            InfluxColumnType::Field(InfluxFieldType::Integer),
            Arc::new(Int64Array::from(vec![1])),
        ),
        ("time", TIME, time(&[1])),
    ]);
    assert_eq!(
        sort_dedup(&[as_float.clone(), as_int])
            .unwrap_err()
            .to_string(),
        "column v is f64 in one batch and i64 in another"
    );
    let no_time = batch(vec![("v", FLOAT, float(&[Some(1.0)]))]);
    assert_eq!(
        sort_dedup(&[as_float, no_time]).unwrap_err().to_string(),
        "batch has no time column"
    );
}

// ---- model-based property test -------------------------------------------------------------

const TAGS: [&str; 2] = ["ta", "tb"];
const TAG_VALUES: [&str; 3] = ["x", "y", ""];
const FIELDS: [(&str, InfluxFieldType); 5] = [
    ("f", InfluxFieldType::Float),
    ("i", InfluxFieldType::Integer),
    ("s", InfluxFieldType::String),
    ("u", InfluxFieldType::UInteger),
    ("x", InfluxFieldType::Boolean),
];

#[derive(Debug, Clone)]
struct RowSpec {
    tags: [Option<usize>; 2],
    time: i64,
    fields: [Option<i64>; 5],
}

#[derive(Debug, Clone)]
struct BatchSpec {
    tags: [bool; 2],
    fields: [bool; 5],
    rows: Vec<RowSpec>,
}

fn row_spec() -> impl Strategy<Value = RowSpec> {
    let tag = || proptest::option::of(0..TAG_VALUES.len());
    let field = || proptest::option::weighted(0.6, 0..4i64);
    (
        [tag(), tag()],
        -1..3i64,
        [field(), field(), field(), field(), field()],
    )
        .prop_map(|(tags, time, fields)| RowSpec { tags, time, fields })
}

fn batch_spec() -> impl Strategy<Value = BatchSpec> {
    (
        any::<[bool; 2]>(),
        any::<[bool; 5]>(),
        proptest::collection::vec(row_spec(), 0..8),
    )
        .prop_map(|(tags, fields, rows)| BatchSpec { tags, fields, rows })
}

fn field_array(field_type: InfluxFieldType, values: &[Option<i64>]) -> ArrayRef {
    match field_type {
        InfluxFieldType::Float => Arc::new(Float64Array::from_iter(
            values.iter().map(|v| v.map(|v| v as f64 + 0.5)),
        )),
        InfluxFieldType::Integer => Arc::new(Int64Array::from(values.to_vec())),
        InfluxFieldType::UInteger => Arc::new(UInt64Array::from_iter(
            values.iter().map(|v| v.map(|v| v as u64)),
        )),
        InfluxFieldType::String => Arc::new(StringArray::from_iter(
            values.iter().map(|v| v.map(|v| format!("s{v}"))),
        )),
        InfluxFieldType::Boolean => Arc::new(BooleanArray::from_iter(
            values.iter().map(|v| v.map(|v| v % 2 == 0)),
        )),
    }
}

fn render(field_type: InfluxFieldType, value: i64) -> String {
    array_value_to_string(&field_array(field_type, &[Some(value)]), 0).unwrap()
}

fn build(spec: &BatchSpec) -> RecordBatch {
    let mut columns = Vec::new();
    for (t, name) in TAGS.iter().enumerate() {
        if spec.tags[t] {
            let values: Vec<Option<&str>> = spec
                .rows
                .iter()
                .map(|r| r.tags[t].map(|v| TAG_VALUES[v]))
                .collect();
            columns.push((*name, TAG, tag(&values)));
        }
    }
    for (f, (name, field_type)) in FIELDS.iter().enumerate() {
        if spec.fields[f] {
            let values: Vec<Option<i64>> = spec.rows.iter().map(|r| r.fields[f]).collect();
            columns.push((
                *name,
                InfluxColumnType::Field(*field_type),
                field_array(*field_type, &values),
            ));
        }
    }
    let times: Vec<i64> = spec.rows.iter().map(|r| r.time).collect();
    columns.push(("time", TIME, time(&times)));
    batch(columns)
}

type ModelKey = (Vec<Option<String>>, i64);

/// Rows the model expects, in primary-key order: tags, fields (union columns), time.
fn model(specs: &[BatchSpec]) -> Vec<Vec<Option<String>>> {
    let tags: Vec<usize> = (0..TAGS.len())
        .filter(|&t| specs.iter().any(|b| b.tags[t]))
        .collect();
    let fields: Vec<usize> = (0..FIELDS.len())
        .filter(|&f| specs.iter().any(|b| b.fields[f]))
        .collect();
    let mut points: BTreeMap<ModelKey, BTreeMap<usize, String>> = BTreeMap::new();
    for spec in specs {
        for row in &spec.rows {
            let key_tags = tags
                .iter()
                .map(|&t| {
                    spec.tags[t]
                        .then_some(row.tags[t])
                        .flatten()
                        .map(|v| TAG_VALUES[v].to_string())
                })
                .collect();
            let point = points.entry((key_tags, row.time)).or_default();
            for &f in &fields {
                if spec.fields[f]
                    && let Some(v) = row.fields[f]
                {
                    point.insert(f, render(FIELDS[f].1, v));
                }
            }
        }
    }
    points
        .into_iter()
        .map(|((key_tags, t), values)| {
            let mut row = key_tags;
            row.extend(fields.iter().map(|f| values.get(f).cloned()));
            row.push(Some(array_value_to_string(&time(&[t]), 0).unwrap()));
            row
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_the_naive_model(specs in proptest::collection::vec(batch_spec(), 1..5)) {
        let batches: Vec<RecordBatch> = specs.iter().map(build).collect();
        let out = sort_dedup(&batches).unwrap();
        prop_assert_eq!(rows(&out), model(&specs));
    }
}
