//! Every error message, table-driven, and recovery after bad lines.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use common::parse_all;
use line_protocol::{LineParser, ParseErrorKind};

/// `input` must be exactly one bad line with this message.
fn error_of(input: &str) -> String {
    let mut parser = LineParser::new(input);
    let err = match parser.next() {
        Some(Err(e)) => e,
        other => panic!("{input:?}: expected an error, got {other:?}"),
    };
    assert!(parser.next().is_none(), "{input:?}: more than one line");
    assert_eq!(err.line_number, 1);
    assert_eq!(
        err.to_string(),
        format!("error parsing line 1 (1-based): {}", err.message())
    );
    err.message()
}

#[test]
fn messages() {
    let cases: &[(&str, &str)] = &[
        (",t=v f=1", "Invalid measurement was provided"),
        ("m", "No fields were provided"),
        ("m   ", "No fields were provided"),
        ("m,t=v", "No fields were provided"),
        ("m,t=v  \r\n", "No fields were provided"),
        (r"m\ f=1", "No fields were provided"),
        ("m,=v f=1", "empty tag key at '=v f=1'"),
        ("m,,t=v f=1", "empty tag key at ',t=v f=1'"),
        ("m, f=1", "empty tag key at ' f=1'"),
        ("m,t=v, f=1", "empty tag key at ' f=1'"),
        ("m,", "empty tag key at ''"),
        ("m,host f=1", "tag 'host' has no value"),
        ("m,host= f=1", "tag 'host' has no value"),
        ("m,host=,a=b f=1", "tag 'host' has no value"),
        ("m,host", "tag 'host' has no value"),
        ("m =1", "empty field key at '=1'"),
        ("m f=1,,g=2", "empty field key at ',g=2'"),
        ("m f=1, g=2", "empty field key at ' g=2'"),
        ("m f=1,", "empty field key at ''"),
        ("m f", "field 'f' has no value"),
        ("m f 1", "field 'f' has no value"),
        ("m f,g=1", "field 'f' has no value"),
        ("m f=", "field 'f' has no value"),
        ("m f= 1", "field 'f' has no value"),
        ("m f=,g=1", "field 'f' has no value"),
        ("m f=\r\n", "field 'f' has no value"),
        (
            "m f=abc",
            "invalid value 'abc' for field 'f': expected a number, a boolean or a double-quoted string",
        ),
        (
            "m f=NaN",
            "invalid value 'NaN' for field 'f': expected a number, a boolean or a double-quoted string",
        ),
        (
            "m f=inf",
            "invalid value 'inf' for field 'f': expected a number, a boolean or a double-quoted string",
        ),
        ("m v=12xi", "invalid integer value '12xi' for field 'v'"),
        (
            "m v=i",
            "invalid value 'i' for field 'v': expected a number, a boolean or a double-quoted string",
        ),
        ("m v=-i", "invalid integer value '-i' for field 'v'"),
        ("m v=1.5i", "invalid integer value '1.5i' for field 'v'"),
        ("m v=+1i", "invalid integer value '+1i' for field 'v'"),
        (
            "m v=9223372036854775808i",
            "integer value '9223372036854775808i' for field 'v' is out of range for a signed 64-bit integer",
        ),
        (
            "m v=-9223372036854775809i",
            "integer value '-9223372036854775809i' for field 'v' is out of range for a signed 64-bit integer",
        ),
        (
            "m v=-1u",
            "invalid unsigned integer value '-1u' for field 'v'",
        ),
        (
            "m v=1.0u",
            "invalid unsigned integer value '1.0u' for field 'v'",
        ),
        (
            "m v=18446744073709551616u",
            "unsigned integer value '18446744073709551616u' for field 'v' is out of range for an unsigned 64-bit integer",
        ),
        ("m v=12x", "invalid float value '12x' for field 'v'"),
        ("m v=1.2.3", "invalid float value '1.2.3' for field 'v'"),
        ("m v=-", "invalid float value '-' for field 'v'"),
        ("m v=.", "invalid float value '.' for field 'v'"),
        ("m v=1e", "invalid float value '1e' for field 'v'"),
        ("m v=+1", "invalid float value '+1' for field 'v'"),
        ("m v=-inf", "invalid float value '-inf' for field 'v'"),
        ("m v=1\r2", "invalid float value '1\r2' for field 'v'"),
        (
            "m v=1e400",
            "float value '1e400' for field 'v' is out of range for a 64-bit float",
        ),
        (
            "m b=tru",
            "invalid boolean value 'tru' for field 'b': expected t, T, true, True, TRUE, f, F, false, False or FALSE",
        ),
        (
            "m b=FaLsE",
            "invalid boolean value 'FaLsE' for field 'b': expected t, T, true, True, TRUE, f, F, false, False or FALSE",
        ),
        ("m s=\"abc", "unterminated string value for field 's'"),
        ("m s=\"abc\\\"", "unterminated string value for field 's'"),
        (
            "m s=\"a\"b",
            "unexpected text after the string value of field 's': 'b'",
        ),
        (
            "m s=\"a\"\"b\" 1",
            "unexpected text after the string value of field 's': '\"b\" 1'",
        ),
        ("m f=1 12a", "invalid timestamp '12a': expected an integer"),
        ("m f=1 -", "invalid timestamp '-': expected an integer"),
        ("m f=1 1.5", "invalid timestamp '1.5': expected an integer"),
        ("m f=1 g=2", "invalid timestamp 'g=2': expected an integer"),
        (
            "m f=1 99999999999999999999",
            "timestamp '99999999999999999999' is out of range",
        ),
        (
            "m f=1 9223372036854775808",
            "timestamp '9223372036854775808' is out of range",
        ),
        (
            "m f=1 -9223372036854775809",
            "timestamp '-9223372036854775809' is out of range",
        ),
        ("m f=1 1 x", "unexpected text after the timestamp: 'x'"),
        (
            "m f=1 1 2 3\r\n",
            "unexpected text after the timestamp: '2 3'",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(error_of(input), *want, "{input:?}");
    }
}

#[test]
fn quoted_text_is_truncated() {
    let long = "x".repeat(80);
    let msg = error_of(&format!("m f={long}"));
    assert_eq!(
        msg,
        format!(
            "invalid value '{}…' for field 'f': expected a number, a boolean or a double-quoted string",
            "x".repeat(50)
        )
    );
    let msg = error_of(&format!("m,{long} f=1"));
    assert_eq!(msg, format!("tag '{}…' has no value", "x".repeat(50)));
    // keys and values are quoted as written (escapes kept)
    assert_eq!(error_of(r"m,a\ b f=1"), r"tag 'a\ b' has no value");
}

#[test]
fn errors_carry_structured_kinds() {
    let err = LineParser::new("m f=1 99999999999999999999")
        .next()
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.kind,
        ParseErrorKind::TimestampOutOfRange {
            value: "99999999999999999999".into()
        }
    );
}

#[test]
fn every_bad_line_is_reported_and_good_lines_still_parse() {
    let body = "m f=1i\nbad\n\n# c\nm,t f=1\nm f=2i 3\nm f=1 x y\r\nm f=3i";
    assert_eq!(
        parse_all(body),
        vec![
            Ok("1: m |  | f=1i | -".to_owned()),
            Err("error parsing line 2 (1-based): No fields were provided".to_owned()),
            Err("error parsing line 5 (1-based): tag 't' has no value".to_owned()),
            Ok("6: m |  | f=2i | 3".to_owned()),
            Err(
                "error parsing line 7 (1-based): invalid timestamp 'x': expected an integer"
                    .to_owned()
            ),
            Ok("8: m |  | f=3i | -".to_owned()),
        ]
    );
}

#[test]
fn unterminated_string_ends_at_its_physical_line() {
    let body = "m s=\"abc\nm f=1i\n";
    assert_eq!(
        parse_all(body),
        vec![
            Err(
                "error parsing line 1 (1-based): unterminated string value for field 's'"
                    .to_owned()
            ),
            Ok("2: m |  | f=1i | -".to_owned()),
        ]
    );
}

#[test]
fn a_bad_line_with_a_multiline_string_is_one_error() {
    // the string opened on line 1 closes on line 2, so lines 1-2 are one logical line
    let body = "m f=x,s=\"a\nb\" 1\nm f=1i\n";
    assert_eq!(
        parse_all(body),
        vec![
            Err(
                "error parsing line 1 (1-based): invalid value 'x' for field 'f': expected a number, a boolean or a double-quoted string"
                    .to_owned()
            ),
            Ok("3: m |  | f=1i | -".to_owned()),
        ]
    );
    // an unclosed quote followed by a quoted line: the string runs to the next quote, and the
    // text after it is the error (InfluxDB 1.x and IOx split these lines the same way)
    let body = "m s=\"abc\nm s=\"def\"\nm f=1i";
    assert_eq!(
        parse_all(body),
        vec![
            Err("error parsing line 1 (1-based): unexpected text after the string value of field 's': 'def\"'".to_owned()),
            Ok("3: m |  | f=1i | -".to_owned()),
        ]
    );
}
