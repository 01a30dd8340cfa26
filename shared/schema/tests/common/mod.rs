//! Test helpers: run a body through the converter and read batches back cell by cell.

#![allow(dead_code)]

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Float64Type, Int32Type, Int64Type, TimeUnit, TimestampNanosecondType, UInt64Type,
};
use arrow::record_batch::RecordBatch;
use line_protocol::{Precision, TimestampUnit};
use schema::{ConvertedLines, LinesConverter};

/// One cell of a converted batch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Tag(String),
    F64(f64),
    I64(i64),
    U64(u64),
    Bool(bool),
    Str(String),
    Time(i64),
}

pub(crate) const DEFAULT_TIME: i64 = 1_700_000_000_000_000_000;

pub(crate) fn convert(body: &str) -> ConvertedLines {
    convert_with(body, Precision::Nanoseconds)
}

pub(crate) fn convert_with(body: &str, precision: impl Into<TimestampUnit>) -> ConvertedLines {
    let mut converter = LinesConverter::new(DEFAULT_TIME, precision);
    converter.write_lp(body);
    converter.finish().unwrap()
}

pub(crate) fn batch<'c>(converted: &'c ConvertedLines, table: &str) -> &'c RecordBatch {
    &converted
        .tables
        .iter()
        .find(|t| t.name == table)
        .unwrap()
        .batch
}

pub(crate) fn column_names(batch: &RecordBatch) -> Vec<String> {
    batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

/// The cell at (`column`, `row`); `None` for null.
pub(crate) fn cell(batch: &RecordBatch, column: &str, row: usize) -> Option<Cell> {
    let array = batch.column_by_name(column).unwrap();
    if array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Dictionary(_, _) => {
            let dict = array.as_dictionary::<Int32Type>();
            let key = dict.keys().value(row) as usize;
            Cell::Tag(dict.values().as_string::<i32>().value(key).to_string())
        }
        DataType::Float64 => Cell::F64(array.as_primitive::<Float64Type>().value(row)),
        DataType::Int64 => Cell::I64(array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt64 => Cell::U64(array.as_primitive::<UInt64Type>().value(row)),
        DataType::Boolean => Cell::Bool(array.as_boolean().value(row)),
        DataType::Utf8 => Cell::Str(array.as_string::<i32>().value(row).to_string()),
        DataType::Timestamp(TimeUnit::Nanosecond, None) => {
            Cell::Time(array.as_primitive::<TimestampNanosecondType>().value(row))
        }
        other => panic!("unexpected column type {other}"),
    })
}

/// Every row as a map of its non-null cells.
pub(crate) fn rows(batch: &RecordBatch) -> Vec<BTreeMap<String, Cell>> {
    let names = column_names(batch);
    (0..batch.num_rows())
        .map(|row| {
            names
                .iter()
                .filter_map(|name| cell(batch, name, row).map(|c| (name.clone(), c)))
                .collect()
        })
        .collect()
}

/// Rejections rendered with their `error parsing line N (1-based): ` prefix.
pub(crate) fn rejection_texts(converted: &ConvertedLines) -> Vec<String> {
    converted.rejections.iter().map(|r| r.to_string()).collect()
}
