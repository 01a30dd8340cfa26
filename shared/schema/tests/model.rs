//! Property test: random lines written with `line_protocol::Point` (escapable characters in
//! names and values, keys in random order and subsets, field types that sometimes conflict, any
//! precision) → `LinesConverter` → the batches hold exactly what a simple model predicts: the
//! accepted lines' values row by row, the rejected line numbers, and only the columns that
//! accepted lines created.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{Cell, DEFAULT_TIME, rows};
use line_protocol::{OwnedFieldValue, Point, Precision, write_points};
use proptest::prelude::*;
use schema::{InfluxColumnType, InfluxFieldType, LinesConverter, influx_column_type};

const MEASUREMENTS: [&str; 3] = ["cpu", "mem disk", "a,b=c"];
/// Tag keys; `k` is also a field key, so tag/field clashes happen.
const TAG_KEYS: [&str; 5] = ["host", "region", "k=1", "sp ace", "k"];
/// Field keys with the type they usually get.
const FIELD_KEYS: [(&str, InfluxFieldType); 6] = [
    ("usage", InfluxFieldType::Float),
    ("n", InfluxFieldType::Integer),
    ("u,x", InfluxFieldType::UInteger),
    ("s\"q", InfluxFieldType::String),
    ("ok", InfluxFieldType::Boolean),
    ("k", InfluxFieldType::Float),
];
const PRECISIONS: [Precision; 6] = [
    Precision::Nanoseconds,
    Precision::Microseconds,
    Precision::Milliseconds,
    Precision::Seconds,
    Precision::Minutes,
    Precision::Hours,
];

fn text() -> impl Strategy<Value = String> {
    "[a-z0-9 ,=\\\\\"é]{1,8}"
}

fn value_of(field_type: InfluxFieldType) -> BoxedStrategy<OwnedFieldValue> {
    match field_type {
        InfluxFieldType::Float => (-1e12f64..1e12).prop_map(OwnedFieldValue::F64).boxed(),
        InfluxFieldType::Integer => any::<i64>().prop_map(OwnedFieldValue::I64).boxed(),
        InfluxFieldType::UInteger => any::<u64>().prop_map(OwnedFieldValue::U64).boxed(),
        InfluxFieldType::String => "[a-z \\\\\"=,é]{0,10}"
            .prop_map(OwnedFieldValue::String)
            .boxed(),
        InfluxFieldType::Boolean => any::<bool>().prop_map(OwnedFieldValue::Bool).boxed(),
    }
}

fn field() -> impl Strategy<Value = (usize, OwnedFieldValue)> {
    (
        0..FIELD_KEYS.len(),
        0..10usize,
        0..InfluxFieldType::ALL.len(),
    )
        .prop_flat_map(|(key, roll, other)| {
            let field_type = if roll < 8 {
                FIELD_KEYS[key].1
            } else {
                InfluxFieldType::ALL[other]
            };
            value_of(field_type).prop_map(move |v| (key, v))
        })
}

fn point() -> impl Strategy<Value = Point> {
    (
        0..MEASUREMENTS.len(),
        proptest::sample::subsequence((0..TAG_KEYS.len()).collect::<Vec<_>>(), 0..=TAG_KEYS.len())
            .prop_shuffle(),
        proptest::collection::vec(text(), TAG_KEYS.len()),
        proptest::collection::vec(field(), 1..5),
        proptest::option::of(-1_000_000i64..1_000_000),
    )
        .prop_map(|(m, tag_keys, tag_values, fields, timestamp)| {
            let mut point = Point::new(MEASUREMENTS[m]);
            for key in tag_keys {
                point = point.tag(TAG_KEYS[key], tag_values[key].clone());
            }
            let mut seen = Vec::new();
            for (key, value) in fields {
                if !seen.contains(&key) {
                    seen.push(key);
                    point = point.field(FIELD_KEYS[key].0, value);
                }
            }
            point.timestamp = timestamp;
            point
        })
}

fn field_type_of(value: &OwnedFieldValue) -> InfluxFieldType {
    match value {
        OwnedFieldValue::F64(_) => InfluxFieldType::Float,
        OwnedFieldValue::I64(_) => InfluxFieldType::Integer,
        OwnedFieldValue::U64(_) => InfluxFieldType::UInteger,
        OwnedFieldValue::String(_) => InfluxFieldType::String,
        OwnedFieldValue::Bool(_) => InfluxFieldType::Boolean,
    }
}

fn cell_of(value: &OwnedFieldValue) -> Cell {
    match value {
        OwnedFieldValue::F64(v) => Cell::F64(*v),
        OwnedFieldValue::I64(v) => Cell::I64(*v),
        OwnedFieldValue::U64(v) => Cell::U64(*v),
        OwnedFieldValue::String(v) => Cell::Str(v.clone()),
        OwnedFieldValue::Bool(v) => Cell::Bool(*v),
    }
}

#[derive(Default)]
struct ModelTable {
    columns: BTreeMap<String, InfluxColumnType>,
    rows: Vec<BTreeMap<String, Cell>>,
}

/// The rules, written as plainly as possible: returns the tables and rejected line numbers.
fn model(points: &[Point], multiplier: i64) -> (BTreeMap<String, ModelTable>, Vec<usize>) {
    let mut tables: BTreeMap<String, ModelTable> = BTreeMap::new();
    let mut rejected = Vec::new();
    for (i, point) in points.iter().enumerate() {
        let table = tables.entry(point.measurement.clone()).or_default();
        let mut line_types: HashMap<&str, InfluxColumnType> = HashMap::new();
        let mut ok = true;
        for (key, _) in &point.tags {
            line_types.insert(key, InfluxColumnType::Tag);
        }
        for (key, value) in &point.fields {
            let t = InfluxColumnType::Field(field_type_of(value));
            ok &= line_types.insert(key, t).is_none(); // a tag of the same name
        }
        for (key, t) in &line_types {
            ok &= table.columns.get(*key).is_none_or(|existing| existing == t);
        }
        if !ok {
            rejected.push(i + 1);
            continue;
        }
        for (key, t) in line_types {
            table.columns.insert(key.to_string(), t);
        }
        let mut row: BTreeMap<String, Cell> = point
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), Cell::Tag(v.clone())))
            .chain(point.fields.iter().map(|(k, v)| (k.clone(), cell_of(v))))
            .collect();
        let time = point.timestamp.map_or(DEFAULT_TIME, |t| t * multiplier);
        row.insert("time".to_string(), Cell::Time(time));
        table.rows.push(row);
    }
    tables.retain(|_, t| !t.rows.is_empty());
    (tables, rejected)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn converted_batches_match_the_model(
        points in proptest::collection::vec(point(), 1..40),
        precision in proptest::sample::select(PRECISIONS.to_vec()),
    ) {
        let body = write_points(&points).unwrap();
        let mut converter = LinesConverter::new(DEFAULT_TIME, precision);
        converter.write_lp(&body);
        let out = converter.finish().unwrap();
        let (expected, expected_rejected) = model(&points, precision.multiplier());

        let rejected: Vec<_> = out.rejections.iter().map(|r| r.line_number).collect();
        prop_assert_eq!(&rejected, &expected_rejected, "{:?}", out.rejections);
        prop_assert_eq!(out.stats.lines_accepted, points.len() - expected_rejected.len());
        prop_assert_eq!(
            out.tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            expected.keys().map(String::as_str).collect::<Vec<_>>()
        );
        for table in &out.tables {
            let model_table = &expected[&table.name];
            let schema = table.batch.schema();
            let mut columns: BTreeMap<String, InfluxColumnType> = schema
                .fields()
                .iter()
                .map(|f| (f.name().clone(), influx_column_type(f).unwrap()))
                .collect();
            prop_assert_eq!(columns.remove("time"), Some(InfluxColumnType::Timestamp));
            prop_assert_eq!(&columns, &model_table.columns, "table {}", table.name);
            prop_assert_eq!(&rows(&table.batch), &model_table.rows, "table {}", table.name);
        }
    }
}
