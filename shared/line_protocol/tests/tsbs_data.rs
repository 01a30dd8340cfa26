//! The parser on TSBS generator output: counts, shapes and a few exact values.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use line_protocol::{FieldValue, LineParser, ParsedLine};

#[test]
fn parses_every_tsbs_line() {
    let hosts = 100;
    let rows = 2_000;
    let body = tsbs::lines(42, hosts, rows);
    let mut parser = LineParser::new(&body);
    let mut line = ParsedLine::default();
    let mut count = 0;
    while let Some(result) = parser.next_into(&mut line) {
        result.unwrap();
        count += 1;
        assert_eq!(line.line_number, count);
        assert_eq!(line.measurement, "cpu");
        let tag_keys: Vec<_> = line.tags.iter().map(|(k, _)| k.raw()).collect();
        assert_eq!(tag_keys, tsbs::TAG_KEYS);
        let field_keys: Vec<_> = line.fields.iter().map(|(k, _)| k.raw()).collect();
        assert_eq!(field_keys, tsbs::FIELD_KEYS);
        for (_, v) in &line.fields {
            assert!(matches!(v, FieldValue::I64(0..=100)), "{v:?}");
        }
        let host = (count - 1) % hosts;
        assert_eq!(line.tags[0].1, format!("host_{host}").as_str());
        let round = ((count - 1) / hosts) as i64;
        assert_eq!(
            line.timestamp,
            Some(tsbs::START_NS + round * tsbs::INTERVAL_NS)
        );
        // the parse agrees with the text: the first field value as written
        let text = parser.last_line();
        let first = text.split(' ').nth(1).unwrap().split(',').next().unwrap();
        assert_eq!(
            format!(
                "usage_user={}i",
                match line.fields[0].1 {
                    FieldValue::I64(v) => v,
                    ref other => panic!("{other:?}"),
                }
            ),
            first
        );
    }
    assert_eq!(count, rows);
}
