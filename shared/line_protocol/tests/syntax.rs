//! Every accepted syntax rule, table-driven: input line → rendered parse.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use common::{parse_all, render};
use line_protocol::{EscapeKind, FieldValue, LineParser, ParsedLine};

fn one(input: &str) -> String {
    let mut parser = LineParser::new(input);
    let line = match parser.next() {
        Some(Ok(line)) => line,
        other => panic!("{input:?}: expected one good line, got {other:?}"),
    };
    assert!(parser.next().is_none(), "{input:?}: more than one line");
    render(&line)
}

#[test]
fn structure() {
    let cases = [
        ("m f=1", "m |  | f=1.0f | -"),
        ("m,a=b f=1", "m | a=b | f=1.0f | -"),
        ("m,a=b,c=d f=1,g=2 5", "m | a=b,c=d | f=1.0f,g=2.0f | 5"),
        ("m f=1 -5", "m |  | f=1.0f | -5"),
        // runs of spaces between sections, trailing spaces, leading spaces and tabs
        ("m,a=b   f=1    5   ", "m | a=b | f=1.0f | 5"),
        ("m f=1   ", "m |  | f=1.0f | -"),
        (" \t m f=1", "m |  | f=1.0f | -"),
        // duplicates are reported as written (the converter decides)
        ("m,a=1,a=2 f=1,f=2i", "m | a=1,a=2 | f=1.0f,f=2i | -"),
        // unicode everywhere
        (
            "温度,地点=東京 値=1.5,名=\"ç\" 1",
            "温度 | 地点=東京 | 値=1.5f,名=\"ç\" | 1",
        ),
        // characters that are special elsewhere are data here
        ("m\"x,t\"=v\"=w f\"=1", "m\"x | t\"=v\"=w | f\"=1.0f | -"),
        ("m=x,a=b f=1", "m=x | a=b | f=1.0f | -"),
        ("m,a=b=c f=1", "m | a=b=c | f=1.0f | -"),
        ("m# f=1", "m# |  | f=1.0f | -"),
        ("m\tx f\tg=1", "m\tx |  | f\tg=1.0f | -"),
    ];
    for (input, want) in cases {
        assert_eq!(one(input), want, "{input:?}");
    }
}

#[test]
fn identifier_escapes() {
    let cases = [
        (r"m\ x,t\ k=v\ w f\ g=1", "m x | t k=v w | f g=1.0f | -"),
        (r"m\,x,t\,k=v\,w f\,g=1", "m,x | t,k=v,w | f,g=1.0f | -"),
        (r"m\=x,t\=k=v\=w f\=g=1", "m=x | t=k=v=w | f=g=1.0f | -"),
        (r"m\\,t\\=v\\ f\\=1", r"m\ | t\=v\ | f\=1.0f | -"),
        // a backslash before any other character is literal
        (r"m\x,t=\n f=1", r"m\x | t=\n | f=1.0f | -"),
    ];
    for (input, want) in cases {
        assert_eq!(one(input), want, "{input:?}");
    }
    // `\ ` keeps the space inside the tag value, so this line has no field set
    assert_eq!(
        parse_all(r"m,t=a\ f=1"),
        vec![Err(
            "error parsing line 1 (1-based): No fields were provided".to_owned()
        )]
    );
    // the raw text is kept, unescaping is lazy
    let line = LineParser::new(r"m\ x,t=v f=1").next().unwrap().unwrap();
    assert_eq!(line.measurement.raw(), r"m\ x");
    assert!(line.measurement.has_backslash());
    assert_eq!(line.measurement.kind(), EscapeKind::Identifier);
    assert_eq!(line.measurement.unescaped(), "m x");
    assert!(!line.tags[0].0.has_backslash());
}

#[test]
fn string_values() {
    let cases = [
        (r#"m s="""#, r#"m |  | s="" | -"#),
        (r#"m s="a b,c=d""#, r#"m |  | s="a b,c=d" | -"#),
        (r#"m s="he said \"hi\"""#, r#"m |  | s="he said "hi"" | -"#),
        (r#"m s="a\\b""#, r#"m |  | s="a\b" | -"#),
        (r#"m s="a\\""#, r#"m |  | s="a\" | -"#),
        (r#"m s="a\nb\,c""#, r#"m |  | s="a\nb\,c" | -"#),
        (r#"m s="x",t="y" 3"#, r#"m |  | s="x",t="y" | 3"#),
        ("m s=\"a\tb\r\" 3", "m |  | s=\"a\tb\r\" | 3"),
    ];
    for (input, want) in cases {
        assert_eq!(one(input), want, "{input:?}");
    }
    let line = LineParser::new(r#"m s="a\"b""#).next().unwrap().unwrap();
    let FieldValue::String(s) = line.fields[0].1 else {
        panic!("not a string")
    };
    assert_eq!(s.raw(), r#"a\"b"#);
    assert_eq!(s.kind(), EscapeKind::StringValue);
    assert_eq!(s.unescaped(), "a\"b");
}

#[test]
fn raw_newline_in_string_value_is_data_and_lines_still_count() {
    let body = "m s=\"one\ntwo\" 1\nm f=2\n\nm s=\"a\r\n\r\nb\"\nm f=3";
    assert_eq!(
        parse_all(body),
        vec![
            Ok("1: m |  | s=\"one\ntwo\" | 1".to_owned()),
            Ok("3: m |  | f=2.0f | -".to_owned()),
            Ok("5: m |  | s=\"a\r\n\r\nb\" | -".to_owned()),
            Ok("8: m |  | f=3.0f | -".to_owned()),
        ]
    );
}

#[test]
fn numbers() {
    let cases = [
        ("1", "1.0f"),
        ("-1.5", "-1.5f"),
        ("1.", "1.0f"),
        (".5", "0.5f"),
        ("-.5", "-0.5f"),
        ("1e10", "10000000000.0f"),
        ("-1.5E-3", "-0.0015f"),
        ("2E+2", "200.0f"),
        ("9007199254740993", "9007199254740992.0f"),
        ("1e-400", "0.0f"),
        ("0i", "0i"),
        ("-42i", "-42i"),
        ("9223372036854775807i", "9223372036854775807i"),
        ("-9223372036854775808i", "-9223372036854775808i"),
        ("000042i", "42i"),
        ("0u", "0u"),
        ("18446744073709551615u", "18446744073709551615u"),
    ];
    for (value, want) in cases {
        assert_eq!(
            one(&format!("m v={value}")),
            format!("m |  | v={want} | -"),
            "{value}"
        );
        assert_eq!(
            one(&format!("m v={value},w=1i 7")),
            format!("m |  | v={want},w=1i | 7"),
            "{value}"
        );
    }
}

#[test]
fn booleans() {
    for t in ["t", "T", "true", "True", "TRUE"] {
        assert_eq!(one(&format!("m b={t}")), "m |  | b=true | -");
    }
    for f in ["f", "F", "false", "False", "FALSE"] {
        assert_eq!(one(&format!("m b={f},c=1i")), "m |  | b=false,c=1i | -");
    }
}

#[test]
fn timestamps() {
    let cases = [
        ("0", "0"),
        ("-1", "-1"),
        ("1451606400000000000", "1451606400000000000"),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("0000000000000000000000000001", "1"),
    ];
    for (ts, want) in cases {
        assert_eq!(
            one(&format!("m f=1i {ts}")),
            format!("m |  | f=1i | {want}")
        );
    }
}

#[test]
fn blank_comment_and_crlf_lines() {
    let body = "\n# comment, with f=1 stuff\n   \n\t\r\n  # indented comment\r\nm f=1i 1\r\nm,t=v f=2i\r\n\r\nm f=3i\r";
    assert_eq!(
        parse_all(body),
        vec![
            Ok("6: m |  | f=1i | 1".to_owned()),
            Ok("7: m | t=v | f=2i | -".to_owned()),
            Ok("9: m |  | f=3i | -".to_owned()),
        ]
    );
    // a `\r` that does not end the line is data
    assert_eq!(one("m\rx,t=a\rb f\r=1i 5"), "m\rx | t=a\rb | f\r=1i | 5");
    assert_eq!(one("m s=\"x\"\r"), "m |  | s=\"x\" | -");
    // nothing but blanks and comments
    assert!(parse_all("").is_empty());
    assert!(parse_all("\n\n# x\n  \n\r\n").is_empty());
    assert!(parse_all("#").is_empty());
}

#[test]
fn next_into_reuses_the_line_and_matches_the_iterator() {
    let body = tsbs::lines(3, 5, 50) + "bad\n" + &tsbs::lines(4, 5, 50);
    let mut parser = LineParser::new(&body);
    let mut line = ParsedLine::default();
    let mut iter = LineParser::new(&body);
    let mut capacity = None;
    while let Some(result) = parser.next_into(&mut line) {
        match (result, iter.next().unwrap()) {
            (Ok(()), Ok(expected)) => assert_eq!(line, expected),
            (Err(a), Err(b)) => assert_eq!(a, b),
            (a, b) => panic!("{a:?} vs {b:?}"),
        }
        let now = (line.tags.capacity(), line.fields.capacity());
        if let Some(before) = capacity {
            assert_eq!(now, before, "vectors are reused, not reallocated");
        }
        capacity = Some(now);
    }
    assert!(iter.next().is_none());
}

#[test]
fn last_line_is_the_raw_text() {
    let body = "a f=1\r\n\nb s=\"x\ny\" 2\nbad\n";
    let mut parser = LineParser::new(body);
    let mut line = ParsedLine::default();
    let mut seen = vec![];
    while parser.next_into(&mut line).is_some() {
        seen.push(parser.last_line());
    }
    assert_eq!(seen, ["a f=1", "b s=\"x\ny\" 2", "bad"]);
}
