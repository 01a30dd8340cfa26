//! LinesConverter rules: types, order, metadata, nulls, time, and every per-line rejection.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use arrow::datatypes::{DataType, TimeUnit};
use common::{
    Cell, DEFAULT_TIME, batch, cell, column_names, convert, convert_with, rejection_texts, rows,
};
use line_protocol::{Precision, TimestampUnit};
use schema::{
    ConversionStats, InfluxColumnType, InfluxFieldType, LineErrorKind, LinesConverter,
    influx_column_type, measurement_name,
};

#[test]
fn every_type_maps_to_its_arrow_column_in_canonical_order() {
    let out = convert("cpu,region=us,host=a v=1.5,n=-2i,u=3u,b=t,s=\"x y\" 10\n");
    assert!(out.rejections.is_empty(), "{:?}", out.rejections);
    let b = batch(&out, "cpu");
    assert_eq!(
        column_names(b),
        ["host", "region", "b", "n", "s", "u", "v", "time"]
    );
    let schema = b.schema();
    assert_eq!(measurement_name(&schema), Some("cpu"));
    let types: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| influx_column_type(f).unwrap())
        .collect();
    use InfluxFieldType::*;
    assert_eq!(
        types,
        [
            InfluxColumnType::Tag,
            InfluxColumnType::Tag,
            InfluxColumnType::Field(Boolean),
            InfluxColumnType::Field(Integer),
            InfluxColumnType::Field(String),
            InfluxColumnType::Field(UInteger),
            InfluxColumnType::Field(Float),
            InfluxColumnType::Timestamp,
        ]
    );
    let time = schema.field_with_name("time").unwrap();
    assert_eq!(
        time.data_type(),
        &DataType::Timestamp(TimeUnit::Nanosecond, None)
    );
    assert!(!time.is_nullable());
    assert!(schema.field_with_name("host").unwrap().is_nullable());

    let row = &rows(b)[0];
    assert_eq!(row["host"], Cell::Tag("a".into()));
    assert_eq!(row["region"], Cell::Tag("us".into()));
    assert_eq!(row["b"], Cell::Bool(true));
    assert_eq!(row["n"], Cell::I64(-2));
    assert_eq!(row["s"], Cell::Str("x y".into()));
    assert_eq!(row["u"], Cell::U64(3));
    assert_eq!(row["v"], Cell::F64(1.5));
    assert_eq!(row["time"], Cell::Time(10));
    assert_eq!(
        out.stats,
        ConversionStats {
            lines_accepted: 1,
            lines_rejected: 0,
            field_values: 5,
            tables: 1
        }
    );
}

#[test]
fn missing_tags_and_fields_are_null_and_late_columns_are_backfilled() {
    let body = "m,a=1 x=1i 1\nm y=2i 2\nm,b=2 x=3i,z=\"s\" 3\nm,a=4 w=false 4\n";
    let out = convert(body);
    assert!(out.rejections.is_empty());
    let b = batch(&out, "m");
    assert_eq!(b.num_rows(), 4);
    assert_eq!(column_names(b), ["a", "b", "w", "x", "y", "z", "time"]);
    let col = |name: &str| (0..4).map(|r| cell(b, name, r)).collect::<Vec<_>>();
    assert_eq!(
        col("a"),
        [
            Some(Cell::Tag("1".into())),
            None,
            None,
            Some(Cell::Tag("4".into()))
        ]
    );
    assert_eq!(col("b"), [None, None, Some(Cell::Tag("2".into())), None]);
    assert_eq!(
        col("x"),
        [Some(Cell::I64(1)), None, Some(Cell::I64(3)), None]
    );
    assert_eq!(col("y"), [None, Some(Cell::I64(2)), None, None]);
    assert_eq!(col("z"), [None, None, Some(Cell::Str("s".into())), None]);
    assert_eq!(col("w"), [None, None, None, Some(Cell::Bool(false))]);
    let times: Vec<_> = col("time").into_iter().map(Option::unwrap).collect();
    assert_eq!(
        times,
        [Cell::Time(1), Cell::Time(2), Cell::Time(3), Cell::Time(4)]
    );
}

#[test]
fn precision_multiplies_and_missing_timestamps_get_the_default() {
    let out = convert_with("m v=1 5\nm v=2\nm v=3 -2\n", Precision::Seconds);
    let b = batch(&out, "m");
    let times: Vec<_> = (0..3).map(|r| cell(b, "time", r).unwrap()).collect();
    assert_eq!(
        times,
        [
            Cell::Time(5_000_000_000),
            Cell::Time(DEFAULT_TIME),
            Cell::Time(-2_000_000_000)
        ]
    );

    for (precision, expected) in [
        (Precision::Nanoseconds, 7),
        (Precision::Microseconds, 7_000),
        (Precision::Milliseconds, 7_000_000),
        (Precision::Minutes, 420_000_000_000),
        (Precision::Hours, 25_200_000_000_000),
    ] {
        let out = convert_with("m v=1 7\n", precision);
        assert_eq!(
            cell(batch(&out, "m"), "time", 0),
            Some(Cell::Time(expected)),
            "{precision:?}"
        );
    }
}

/// InfluxDB 3's `precision=auto`: each line's unit is guessed from its timestamp, so one body
/// may mix units; a line without a timestamp gets the default time unchanged.
#[test]
fn auto_precision_guesses_each_lines_unit() {
    let body = "m v=1 1708976567\nm v=2 1708976567123\nm v=3 1708976567123456\n\
                m v=4 1708976567123456789\nm v=5\nm v=6 -1708976567\nm v=7 0\n";
    let out = convert_with(body, TimestampUnit::Auto);
    assert!(out.rejections.is_empty(), "{:?}", out.rejections);
    let b = batch(&out, "m");
    let times: Vec<_> = (0..7).map(|r| cell(b, "time", r).unwrap()).collect();
    assert_eq!(
        times,
        [
            Cell::Time(1_708_976_567_000_000_000),
            Cell::Time(1_708_976_567_123_000_000),
            Cell::Time(1_708_976_567_123_456_000),
            Cell::Time(1_708_976_567_123_456_789),
            Cell::Time(DEFAULT_TIME),
            Cell::Time(-1_708_976_567_000_000_000),
            Cell::Time(0),
        ]
    );
}

#[test]
fn timestamp_overflow_rejects_the_line() {
    let body = "m v=1 9223372036854775\nm v=2 9223372036\n";
    let out = convert_with(body, Precision::Seconds);
    assert_eq!(
        rejection_texts(&out),
        [
            "error parsing line 1 (1-based): timestamp overflows i64: 9223372036854775 × 1000000000 ns (the request's precision) is out of range"
        ]
    );
    assert_eq!(
        out.rejections[0].kind,
        LineErrorKind::TimestampOverflow {
            timestamp: 9223372036854775,
            multiplier: 1_000_000_000
        }
    );
    let b = batch(&out, "m");
    assert_eq!(b.num_rows(), 1);
    assert_eq!(cell(b, "v", 0), Some(Cell::F64(2.0)));
    assert_eq!(
        cell(b, "time", 0),
        Some(Cell::Time(9_223_372_036_000_000_000))
    );
}

#[test]
fn field_type_is_fixed_by_the_first_line() {
    let out = convert("cpu v=1.5 1\ncpu v=2i 2\ncpu v=3 3\ncpu s=\"a\" 4\ncpu s=true 5\n");
    assert_eq!(
        rejection_texts(&out),
        [
            "error parsing line 2 (1-based): schema conflict: table cpu, column v is type f64 but write has type i64",
            "error parsing line 5 (1-based): schema conflict: table cpu, column s is type string but write has type bool",
        ]
    );
    let b = batch(&out, "cpu");
    assert_eq!(b.num_rows(), 3);
    assert_eq!(cell(b, "v", 1), Some(Cell::F64(3.0)));
    assert_eq!(out.stats.lines_accepted, 3);
    assert_eq!(out.stats.lines_rejected, 2);
}

#[test]
fn tag_and_field_may_not_share_a_name_across_lines() {
    let out = convert("cpu,host=a v=1 1\ncpu host=2u 2\ncpu,v=x w=1 3\n");
    assert_eq!(
        rejection_texts(&out),
        [
            "error parsing line 2 (1-based): schema conflict: table cpu, column host is type tag but write has type u64",
            "error parsing line 3 (1-based): schema conflict: table cpu, column v is type f64 but write has type tag",
        ]
    );
    assert_eq!(column_names(batch(&out, "cpu")), ["host", "v", "time"]);
}

#[test]
fn tag_and_field_may_not_share_a_name_within_a_line() {
    let out = convert("cpu,host=a host=1 1\ncpu,k=a v=1,k=2 2\n");
    assert_eq!(
        rejection_texts(&out),
        [
            "error parsing line 1 (1-based): the name 'host' is used for both a tag and a field",
            "error parsing line 2 (1-based): the name 'k' is used for both a tag and a field",
        ]
    );
    assert!(out.tables.is_empty());
}

#[test]
fn same_name_in_two_tables_may_have_different_types() {
    let out = convert("a v=1 1\nb v=1i 1\nb,v2=x v=2i 2\na,v2=1 v=2 2\n");
    assert!(out.rejections.is_empty(), "{:?}", out.rejections);
    assert_eq!(
        out.tables
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(cell(batch(&out, "a"), "v", 1), Some(Cell::F64(2.0)));
    assert_eq!(cell(batch(&out, "b"), "v", 1), Some(Cell::I64(2)));
    assert_eq!(out.stats.tables, 2);
}

#[test]
fn time_is_reserved() {
    let out = convert("m,time=1 v=1 1\nm time=1 2\nm,ti\\me=x v=2 3\n");
    assert_eq!(
        rejection_texts(&out),
        [
            "error parsing line 1 (1-based): the tag name 'time' is reserved for the timestamp column",
            "error parsing line 2 (1-based): the field name 'time' is reserved for the timestamp column",
        ]
    );
    // `ti\me` unescapes to itself (a backslash before `m` is literal), so it is not `time`.
    let b = batch(&out, "m");
    assert_eq!(column_names(b), ["ti\\me", "v", "time"]);
}

#[test]
fn duplicate_tags_with_conflicting_values_are_rejected_same_values_are_fine() {
    let out =
        convert("m,host=a,host=b v=1 1\nm,host=a,r=1,host=a v=2 2\nm,h\\ x=1,h\\ x=1 v=3 3\n");
    assert_eq!(
        rejection_texts(&out),
        [
            "error parsing line 1 (1-based): the tag 'host' is specified more than once with conflicting values"
        ]
    );
    let b = batch(&out, "m");
    assert_eq!(b.num_rows(), 2);
    assert_eq!(cell(b, "host", 0), Some(Cell::Tag("a".into())));
    assert_eq!(cell(b, "h x", 1), Some(Cell::Tag("1".into())));
}

#[test]
fn duplicate_fields_with_conflicting_types_are_rejected_same_type_last_wins() {
    let out = convert("m x=1i,x=1 1\nm x=1i,y=t,x=5i 2\nm x=1i,x=2i,x=3i,x=\"s\" 3\n");
    assert_eq!(
        rejection_texts(&out),
        [
            "error parsing line 1 (1-based): the field 'x' is specified more than once with conflicting types",
            "error parsing line 3 (1-based): the field 'x' is specified more than once with conflicting types",
        ]
    );
    let b = batch(&out, "m");
    assert_eq!(b.num_rows(), 1);
    assert_eq!(cell(b, "x", 0), Some(Cell::I64(5)));
    assert_eq!(out.stats.field_values, 2);
}

#[test]
fn rejected_lines_leave_no_trace() {
    // Line 2 brings new columns `new_tag` and `new_field` and then conflicts on `v`;
    // line 3 is the only line of table `ghost`; line 5 is a parse error.
    let body = "m,a=1 v=1 1\n\
                m,a=2,new_tag=x new_field=1i,v=\"s\" 2\n\
                ghost,t=1 f=1i,f=1 3\n\
                m,a=3 v=3 4\n\
                m,a=4 5\n";
    let out = convert(body);
    let lines: Vec<_> = out.rejections.iter().map(|r| r.line_number).collect();
    assert_eq!(lines, [2, 3, 5]);
    assert_eq!(out.tables.len(), 1);
    let b = batch(&out, "m");
    assert_eq!(column_names(b), ["a", "v", "time"]);
    assert_eq!(b.num_rows(), 2);
    assert_eq!(cell(b, "a", 1), Some(Cell::Tag("3".into())));
    assert_eq!(cell(b, "time", 1), Some(Cell::Time(4)));
    // The rejected tag value never entered the dictionary either.
    let dict = b.column_by_name("a").unwrap();
    let dict = arrow::array::AsArray::as_dictionary::<arrow::datatypes::Int32Type>(dict.as_ref());
    assert_eq!(dict.values().len(), 2);
    assert_eq!(
        out.stats,
        ConversionStats {
            lines_accepted: 2,
            lines_rejected: 3,
            field_values: 2,
            tables: 1
        }
    );
}

#[test]
fn a_column_from_a_rejected_line_can_be_created_later_with_another_type() {
    let out = convert("m v=1 1\nm x=1i,v=true 2\nm x=\"s\" 3\n");
    assert_eq!(out.rejections.len(), 1);
    let b = batch(&out, "m");
    assert_eq!(cell(b, "x", 1), Some(Cell::Str("s".into())));
    assert_eq!(cell(b, "x", 0), None);
}

#[test]
fn parse_and_conversion_errors_interleave_in_line_order() {
    let body = "m v=1 1\nbad\n\n# comment\nm v=1i 2\nm v=\n,x v=1\nm v=2 3\n";
    let out = convert(body);
    let texts = rejection_texts(&out);
    assert_eq!(texts.len(), 4);
    assert_eq!(
        texts[0],
        "error parsing line 2 (1-based): No fields were provided"
    );
    assert_eq!(
        texts[1],
        "error parsing line 5 (1-based): schema conflict: table m, column v is type f64 but write has type i64"
    );
    assert!(
        texts[2].starts_with("error parsing line 6 (1-based): "),
        "{}",
        texts[2]
    );
    assert_eq!(
        texts[3],
        "error parsing line 7 (1-based): Invalid measurement was provided"
    );
    assert!(matches!(out.rejections[0].kind, LineErrorKind::Parse(_)));
    assert_eq!(out.rejections[0].message(), "No fields were provided");
    assert_eq!(batch(&out, "m").num_rows(), 2);
}

#[test]
fn escaped_names_and_values_are_unescaped() {
    let body = "c\\ pu,ho\\,st=a\\ b,h\\=k=v\\=1 f\\ x=\"q\\\"s\\\\\" 1\n\
                c\\ pu,ho\\,st=c f\\ x=\"plain\" 2\n";
    let out = convert(body);
    assert!(out.rejections.is_empty(), "{:?}", out.rejections);
    let b = batch(&out, "c pu");
    assert_eq!(column_names(b), ["h=k", "ho,st", "f x", "time"]);
    assert_eq!(cell(b, "ho,st", 0), Some(Cell::Tag("a b".into())));
    assert_eq!(cell(b, "h=k", 0), Some(Cell::Tag("v=1".into())));
    assert_eq!(cell(b, "f x", 0), Some(Cell::Str("q\"s\\".into())));
    assert_eq!(cell(b, "ho,st", 1), Some(Cell::Tag("c".into())));
    assert_eq!(cell(b, "f x", 1), Some(Cell::Str("plain".into())));
}

#[test]
fn keys_in_changing_positions_land_in_the_right_columns() {
    // The per-position hints must never send a value to the column of another key.
    let body = "m,a=1,b=2 x=1i,y=2i 1\n\
                m,b=3,a=4 y=3i,x=4i 2\n\
                m,c=5 z=5i,x=6i 3\n\
                m,a=6,b=7,c=8 x=7i,y=8i,z=9i 4\n";
    let out = convert(body);
    assert!(out.rejections.is_empty());
    let r = rows(batch(&out, "m"));
    let get = |row: usize, k: &str| r[row].get(k).cloned();
    assert_eq!(
        (get(1, "a"), get(1, "b")),
        (Some(Cell::Tag("4".into())), Some(Cell::Tag("3".into())))
    );
    assert_eq!(
        (get(1, "x"), get(1, "y")),
        (Some(Cell::I64(4)), Some(Cell::I64(3)))
    );
    assert_eq!(
        (get(2, "c"), get(2, "z"), get(2, "x")),
        (
            Some(Cell::Tag("5".into())),
            Some(Cell::I64(5)),
            Some(Cell::I64(6))
        )
    );
    assert_eq!(get(2, "a"), None);
    assert_eq!(get(3, "z"), Some(Cell::I64(9)));
}

#[test]
fn tables_interleave_and_come_out_sorted_by_name() {
    let out = convert("z v=1 1\na v=2 2\nz v=3 3\nm v=4 4\na v=5 5\n");
    let names: Vec<_> = out.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a", "m", "z"]);
    assert_eq!(batch(&out, "z").num_rows(), 2);
    assert_eq!(cell(batch(&out, "a"), "v", 1), Some(Cell::F64(5.0)));
    for table in &out.tables {
        assert_eq!(
            measurement_name(&table.batch.schema()),
            Some(table.name.as_str())
        );
    }
}

#[test]
fn empty_and_comment_only_bodies_give_nothing() {
    for body in ["", "\n\n", "# just a comment\n"] {
        let out = convert(body);
        assert!(out.tables.is_empty());
        assert!(out.rejections.is_empty());
        assert_eq!(out.stats, ConversionStats::default());
    }
}

#[test]
fn dictionary_holds_each_distinct_tag_value_once() {
    let mut body = String::new();
    for i in 0..1000 {
        body.push_str(&format!("m,host=h{},dc=d{} v={i}i {i}\n", i % 7, i % 3));
    }
    let out = convert(&body);
    let b = batch(&out, "m");
    assert_eq!(b.num_rows(), 1000);
    let host = b.column_by_name("host").unwrap();
    let host = arrow::array::AsArray::as_dictionary::<arrow::datatypes::Int32Type>(host.as_ref());
    assert_eq!(host.values().len(), 7);
    assert_eq!(cell(b, "host", 999), Some(Cell::Tag("h5".into())));
    assert_eq!(cell(b, "dc", 998), Some(Cell::Tag("d2".into())));
}

#[test]
fn several_bodies_accumulate_with_line_numbers_per_body() {
    let mut converter = LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp("m v=1 1\n");
    converter.write_lp("m v=true 2\nm v=2 3\n");
    assert_eq!(converter.rejections().len(), 1);
    assert_eq!(converter.rejections()[0].line_number, 1);
    let out = converter.finish().unwrap();
    let b = batch(&out, "m");
    assert_eq!(b.num_rows(), 2);
    assert_eq!(cell(b, "time", 1), Some(Cell::Time(3)));
}

#[test]
fn push_line_converts_hand_built_lines() {
    use line_protocol::{EscapeKind, EscapedStr, FieldValue, ParsedLine};
    let id = |s| EscapedStr::from_raw(s, EscapeKind::Identifier);
    let mut converter = LinesConverter::new(42, Precision::Milliseconds);
    let line = ParsedLine {
        line_number: 7,
        measurement: id(r"w\ x"),
        tags: vec![(id("t"), id(r"a\,b"))],
        fields: vec![(id("f"), FieldValue::U64(9))],
        timestamp: Some(3),
    };
    assert!(converter.push_line(&line));
    let bad = ParsedLine {
        line_number: 8,
        fields: vec![(id("t"), FieldValue::Bool(true))],
        ..line
    };
    assert!(!converter.push_line(&bad));
    let out = converter.finish().unwrap();
    assert_eq!(
        rejection_texts(&out),
        ["error parsing line 8 (1-based): the name 't' is used for both a tag and a field"]
    );
    let r = rows(batch(&out, "w x"));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["t"], Cell::Tag("a,b".into()));
    assert_eq!(r[0]["f"], Cell::U64(9));
    assert_eq!(r[0]["time"], Cell::Time(3_000_000));
}
