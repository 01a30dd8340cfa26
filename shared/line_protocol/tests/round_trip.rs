//! Property: any representable point → writer → parser → the same point (unescaped).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use line_protocol::{FieldValue, LineParser, OwnedFieldValue, Point, write_points};
use proptest::prelude::*;

/// Characters that stress escaping and delimiting, plus multi-byte ones.
const TRICKY: &[char] = &[
    ',', '=', ' ', '\\', '"', '#', '\t', '\r', 'a', 'Z', '0', '-', '.', 'é', '東', '🦀', '\u{0}',
    'i', 'u',
];

fn tricky_string(allow_newline: bool) -> impl Strategy<Value = String> {
    let mut chars = TRICKY.to_vec();
    if allow_newline {
        chars.push('\n');
    }
    prop_oneof![
        3 => proptest::collection::vec(proptest::sample::select(chars), 0..12)
            .prop_map(|c| c.into_iter().collect::<String>()),
        1 => "\\PC{0,10}",
    ]
}

fn name() -> impl Strategy<Value = String> {
    tricky_string(false).prop_filter("non-empty, no newline", |s| {
        !s.is_empty() && !s.contains('\n')
    })
}

fn measurement() -> impl Strategy<Value = String> {
    name().prop_filter("no leading # or tab", |s| !s.starts_with(['#', '\t']))
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        Just(0.0),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(9007199254740993.0),
        (-1000i32..1000).prop_map(f64::from),
    ]
}

fn field_value() -> impl Strategy<Value = OwnedFieldValue> {
    prop_oneof![
        float().prop_map(OwnedFieldValue::F64),
        prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), Just(0)]
            .prop_map(OwnedFieldValue::I64),
        prop_oneof![any::<u64>(), Just(u64::MAX), Just(0)].prop_map(OwnedFieldValue::U64),
        any::<bool>().prop_map(OwnedFieldValue::Bool),
        tricky_string(true).prop_map(OwnedFieldValue::String),
    ]
}

fn point() -> impl Strategy<Value = Point> {
    (
        measurement(),
        proptest::collection::vec((name(), name()), 0..4),
        proptest::collection::vec((name(), field_value()), 1..5),
        proptest::option::of(prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX)]),
    )
        .prop_map(|(measurement, tags, fields, timestamp)| Point {
            measurement,
            tags,
            fields,
            timestamp,
        })
}

/// Float fields compared bit for bit (so `-0.0` stays `-0.0`).
fn assert_same(parsed: &Point, original: &Point) {
    assert_eq!(parsed, original);
    for ((_, a), (_, b)) in parsed.fields.iter().zip(&original.fields) {
        if let (OwnedFieldValue::F64(a), OwnedFieldValue::F64(b)) = (a, b) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn written_points_parse_back(points in proptest::collection::vec(point(), 1..6), crlf in any::<bool>()) {
        // `\n` or `\r\n` terminators (the last line sometimes unterminated)
        let mut body = String::new();
        for (i, point) in points.iter().enumerate() {
            point.write_to(&mut body).unwrap();
            if i + 1 < points.len() || crlf {
                body.push_str(if crlf { "\r\n" } else { "\n" });
            }
        }
        if !crlf {
            prop_assert_eq!(&body, &write_points(&points).unwrap()[..body.len()]);
        }
        let parsed: Vec<Point> = LineParser::new(&body)
            .map(|line| Point::from_parsed(&line.unwrap_or_else(|e| panic!("{e} in {body:?}"))))
            .collect();
        prop_assert_eq!(parsed.len(), points.len());
        for (p, original) in parsed.iter().zip(&points) {
            assert_same(p, original);
        }
    }

    #[test]
    fn numbers_parse_like_std(v in any::<i64>(), u in any::<u64>(), f in float()) {
        let body = format!("m i={v}i,u={u}u,f={f:?},e={f:e}");
        let line = LineParser::new(&body).next().unwrap().unwrap();
        prop_assert_eq!(line.fields[0].1, FieldValue::I64(v));
        prop_assert_eq!(line.fields[1].1, FieldValue::U64(u));
        let (FieldValue::F64(a), FieldValue::F64(b)) = (line.fields[2].1, line.fields[3].1) else {
            panic!("floats expected")
        };
        prop_assert_eq!(a.to_bits(), f.to_bits());
        prop_assert_eq!(b.to_bits(), f.to_bits());
    }
}
