//! Encoder tests: JSON shapes and edge cases, pretty, CSV and MessagePack bodies, errors.

use std::collections::BTreeMap;

use super::*;
use crate::result::{Message, Series, Value};

fn series(
    name: Option<&str>,
    tags: &[(&str, &str)],
    columns: &[&str],
    values: Vec<Vec<Value>>,
) -> Series {
    Series {
        name: name.map(str::to_owned),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        values,
        partial: false,
    }
}

fn result(id: usize, series: Vec<Series>) -> StatementResult {
    StatementResult {
        statement_id: id,
        series,
        ..StatementResult::default()
    }
}

fn json(results: &[StatementResult], options: Options) -> String {
    String::from_utf8(encode_response(Format::Json, results, &options)).unwrap()
}

fn compact(results: &[StatementResult]) -> String {
    json(results, Options::default())
}

#[test]
fn empty_results() {
    assert_eq!(
        compact(&[result(0, vec![])]),
        "{\"results\":[{\"statement_id\":0}]}\n"
    );
    assert_eq!(compact(&[]), "{}\n");
    assert_eq!(
        String::from_utf8(encode_response(
            Format::Csv,
            &[result(0, vec![])],
            &Options::default()
        ))
        .unwrap(),
        ""
    );
}

#[test]
fn statement_error_messages_partial() {
    let mut r = result(1, vec![series(Some("cpu"), &[], &["time", "v"], vec![])]);
    r.messages = vec![Message {
        level: "warning".into(),
        text: "deprecated use of 'x' <in> a read only context".into(),
    }];
    r.partial = true;
    r.error = Some("boom".into());
    assert_eq!(
        compact(&[StatementResult::error(0, "database name required"), r]),
        "{\"results\":[{\"statement_id\":0,\"error\":\"database name required\"},\
         {\"statement_id\":1,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\",\"v\"]}],\
         \"messages\":[{\"level\":\"warning\",\"text\":\"deprecated use of 'x' \\u003cin\\u003e a read only context\"}],\
         \"partial\":true,\"error\":\"boom\"}]}\n"
    );
}

#[test]
fn series_fields_omitempty() {
    let mut s = series(
        None,
        &[("b", "2"), ("a", "")],
        &["key"],
        vec![vec![Value::String("cpu,host=a".into())]],
    );
    s.partial = true;
    let empty = series(Some(""), &[], &[], vec![]);
    assert_eq!(
        compact(&[result(0, vec![s, empty])]),
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"tags\":{\"a\":\"\",\"b\":\"2\"},\
         \"columns\":[\"key\"],\"values\":[[\"cpu,host=a\"]],\"partial\":true},{}]}]}\n"
    );
}

#[test]
fn value_kinds() {
    let row = vec![
        Value::Time(-1_500_000_000),
        Value::Null,
        Value::Float(1e21),
        Value::Float(1e-7),
        Value::Float(-0.0),
        Value::Integer(i64::MIN),
        Value::Unsigned(u64::MAX),
        Value::Boolean(false),
        Value::String("é\u{2028}&\"".into()),
        Value::Time(0),
    ];
    let cols = ["time", "n", "big", "small", "z", "i", "u", "b", "s", "t2"];
    let rs = [result(0, vec![series(Some("m"), &[], &cols, vec![row])])];
    let values = |s: &str| s[s.find("\"values\":").unwrap()..].to_owned();
    assert_eq!(
        values(&compact(&rs)),
        "\"values\":[[\"1969-12-31T23:59:58.5Z\",null,1e+21,1e-7,-0,-9223372036854775808,\
         18446744073709551615,false,\"é\\u2028\\u0026\\\"\",\"1970-01-01T00:00:00Z\"]]}]}]}\n"
    );
    // epoch converts the first column only, truncating toward zero.
    let with_epoch = json(
        &rs,
        Options {
            epoch: Some(Epoch::Second),
            pretty: false,
        },
    );
    assert!(
        values(&with_epoch).starts_with("\"values\":[[-1,null,"),
        "{with_epoch}"
    );
    assert!(values(&with_epoch).ends_with(",\"1970-01-01T00:00:00Z\"]]}]}]}\n"));
}

#[test]
fn epoch_units() {
    let ns = 1_795_230_852_654_364_771;
    let rs = [result(
        0,
        vec![series(
            Some("m"),
            &[],
            &["time"],
            vec![vec![Value::Time(ns)]],
        )],
    )];
    for (unit, want) in [
        (Epoch::Nanosecond, "1795230852654364771"),
        (Epoch::Microsecond, "1795230852654364"),
        (Epoch::Millisecond, "1795230852654"),
        (Epoch::Second, "1795230852"),
        (Epoch::Minute, "29920514"),
        (Epoch::Hour, "498675"),
    ] {
        let body = json(
            &rs,
            Options {
                epoch: Some(unit),
                pretty: false,
            },
        );
        assert!(
            body.contains(&format!("\"values\":[[{want}]]")),
            "{unit:?}: {body}"
        );
        let csv = String::from_utf8(encode_response(
            Format::Csv,
            &rs,
            &Options {
                epoch: Some(unit),
                pretty: false,
            },
        ))
        .unwrap();
        assert_eq!(csv, format!("name,tags,time\nm,,{want}\n"));
    }
}

#[test]
fn location_offsets() {
    let mut r = result(
        0,
        vec![series(
            Some("m"),
            &[],
            &["time"],
            vec![vec![Value::Time(1_795_219_200_000_000_000)]],
        )],
    );
    r.location = Some("Europe/Paris".into());
    assert!(compact(&[r]).contains("[[\"2026-11-21T01:00:00+01:00\"]]"));
}

#[test]
fn non_finite_floats_become_an_error_document() {
    let rs = [result(
        0,
        vec![series(
            Some("m"),
            &[],
            &["v"],
            vec![vec![Value::Float(f64::NAN)]],
        )],
    )];
    assert_eq!(
        compact(&rs),
        "{\"error\":\"json: unsupported value: NaN\"}\n"
    );
    let rs = [result(
        0,
        vec![series(
            Some("m"),
            &[],
            &["v"],
            vec![vec![Value::Float(f64::NEG_INFINITY)]],
        )],
    )];
    assert_eq!(
        compact(&rs),
        "{\"error\":\"json: unsupported value: -Inf\"}\n"
    );
    assert_eq!(
        String::from_utf8(encode_response(Format::Csv, &rs, &Options::default())).unwrap(),
        "name,tags,v\nm,,-Inf\n"
    );
}

#[test]
fn pretty_layout() {
    let rs = [result(
        0,
        vec![series(
            Some("cpu"),
            &[("host", "a")],
            &["time", "v"],
            vec![vec![Value::Time(0), Value::Integer(1)]],
        )],
    )];
    assert_eq!(
        json(
            &rs,
            Options {
                epoch: None,
                pretty: true
            }
        ),
        "{\n    \"results\": [\n        {\n            \"statement_id\": 0,\n            \"series\": [\n                {\n                    \"name\": \"cpu\",\n                    \"tags\": {\n                        \"host\": \"a\"\n                    },\n                    \"columns\": [\n                        \"time\",\n                        \"v\"\n                    ],\n                    \"values\": [\n                        [\n                            \"1970-01-01T00:00:00Z\",\n                            1\n                        ]\n                    ]\n                }\n            ]\n        }\n    ]\n}\n"
    );
    assert_eq!(
        String::from_utf8(encode_error(Format::Json, "bad", true)).unwrap(),
        "{\n    \"error\": \"bad\"\n}\n"
    );
}

#[test]
fn error_bodies() {
    assert_eq!(
        String::from_utf8(encode_error(
            Format::Json,
            "missing required parameter \"q\"",
            false
        ))
        .unwrap(),
        "{\"error\":\"missing required parameter \\\"q\\\"\"}\n"
    );
    assert_eq!(
        String::from_utf8(encode_error(Format::Csv, "a, b", false)).unwrap(),
        "error\n\"a, b\"\n"
    );
    assert_eq!(
        encode_error(Format::Msgpack, "x", false),
        [&[0x81, 0xa5][..], b"error", &[0xa1], b"x"].concat()
    );
    let long = "é".repeat(600);
    assert_eq!(error_header_value(&long).len(), 1024);
    assert_eq!(error_header_value("short"), "short");
    let odd = format!("a{long}");
    assert_eq!(error_header_value(&odd).len(), 1023);
}

#[test]
fn content_types() {
    assert_eq!(Format::from_accept(None), Format::Json);
    assert_eq!(
        Format::from_accept(Some("application/csv")).content_type(),
        "text/csv"
    );
    assert_eq!(
        Format::from_accept(Some("text/csv")).content_type(),
        "text/csv"
    );
    assert_eq!(
        Format::from_accept(Some("application/json")).content_type(),
        "application/json"
    );
    assert_eq!(
        Format::from_accept(Some("application/x-msgpack")).content_type(),
        "application/x-msgpack"
    );
    assert_eq!(
        Format::from_accept_headers(["text/html", "text/csv"]),
        Format::Csv
    );
}

#[test]
fn chunk_writer_json_lines_and_csv_state() {
    let chunk = |rows: Vec<i64>, partial: bool| {
        let mut s = series(
            Some("cpu"),
            &[],
            &["time", "v"],
            rows.iter()
                .map(|t| vec![Value::Time(*t), Value::Integer(*t)])
                .collect(),
        );
        s.partial = partial;
        StatementResult {
            statement_id: 0,
            series: vec![s],
            partial,
            ..StatementResult::default()
        }
    };
    let mut w = ChunkWriter::new(
        Format::Json,
        Options {
            epoch: Some(Epoch::Nanosecond),
            pretty: false,
        },
    );
    assert_eq!(w.format(), Format::Json);
    let mut body = w.write(&chunk(vec![1, 2], true));
    body.extend(w.write(&chunk(vec![3], false)));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\",\"v\"],\"values\":[[1,1],[2,2]],\"partial\":true}],\"partial\":true}]}\n\
         {\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\",\"v\"],\"values\":[[3,3]]}]}]}\n"
    );
    let mut w = ChunkWriter::new(Format::Csv, Options::default());
    let mut body = w.write(&chunk(vec![1, 2], true));
    body.extend(w.write(&chunk(vec![3], false)));
    let mut next = chunk(vec![4], false);
    next.statement_id = 1;
    body.extend(w.write(&next));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "name,tags,time,v\ncpu,,1,1\ncpu,,2,2\ncpu,,3,3\n\nname,tags,time,v\ncpu,,4,4\n"
    );
}

#[test]
fn msgpack_shapes() {
    let mut r = result(
        0,
        vec![series(
            Some("cpu"),
            &[("h", "a")],
            &["time", "v"],
            vec![vec![Value::Time(0), Value::Unsigned(300)]],
        )],
    );
    r.partial = true;
    r.series[0].partial = true;
    r.messages = vec![Message {
        level: "info".into(),
        text: "t".into(),
    }];
    let body = encode_response(Format::Msgpack, &[r], &Options::default());
    let want: Vec<u8> = [
        &[0x81, 0xa7][..],
        b"results",
        &[0x91, 0x84, 0xac],
        b"statement_id",
        &[0x00],
        &[0xa8],
        b"messages",
        &[0x91, 0x82, 0xa5],
        b"level",
        &[0xa4],
        b"info",
        &[0xa4],
        b"text",
        &[0xa1],
        b"t",
        &[0xa6],
        b"series",
        &[0x91, 0x85, 0xa4],
        b"name",
        &[0xa3],
        b"cpu",
        &[0xa4],
        b"tags",
        &[0x81, 0xa1],
        b"h",
        &[0xa1],
        b"a",
        &[0xa7],
        b"columns",
        &[0x92, 0xa4],
        b"time",
        &[0xa1],
        b"v",
        &[0xa6],
        b"values",
        &[
            0x91, 0x92, 0xc7, 0x0c, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xcd, 0x01, 0x2c,
        ],
        &[0xa7],
        b"partial",
        &[0xc3],
        &[0xa7],
        b"partial",
        &[0xc3],
    ]
    .concat();
    assert_eq!(body, want);
}
