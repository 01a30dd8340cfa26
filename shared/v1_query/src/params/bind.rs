//! The `params` parameter (bind parameters) decoded as 1.x decodes it, errors included.
//!
//! ```text
//! raw text ──► scan the first JSON value (Go's scanner rules and error texts; bytes after
//!              it are ignored, as json.Decoder.Decode does)
//!          ──► null ──► {} | not an object ──► "json: cannot unmarshal <kind> into Go value
//!              of type map[string]interface {}"
//!          ──► members: top-level numbers with '.' ──► f64, others ──► i64 (strconv errors),
//!              everything else as JSON
//! ```

use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use super::ParamsError;

/// Decodes `params` into bind parameters.
pub(super) fn parse(raw: &str) -> Result<Map<String, Value>, ParamsError> {
    let (start, end) = scan_first_value(raw.as_bytes()).map_err(ParamsError::InvalidParams)?;
    let text = &raw[start..end];
    let kind = match text.as_bytes().first() {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "bool",
        Some(b'n') => return Ok(Map::new()),
        _ => "number",
    };
    if kind != "object" {
        return Err(ParamsError::InvalidParams(format!(
            "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
        )));
    }
    let raw_members: std::collections::BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(text).map_err(|e| ParamsError::InvalidParams(e.to_string()))?;
    let mut members = Map::new();
    for (key, value) in raw_members {
        let value = value.get();
        let converted = if value.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            number(value)?
        } else {
            serde_json::from_str(value).map_err(|e| ParamsError::InvalidParams(e.to_string()))?
        };
        members.insert(key, converted);
    }
    Ok(members)
}

/// 1.x's `json.Number` conversion: `Float64()` when the text has a `.`, else `Int64()`.
fn number(text: &str) -> Result<Value, ParamsError> {
    if text.contains('.') {
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Number::from_f64(f).map_or(Value::Null, Value::Number)),
            _ => Err(ParamsError::InvalidParamValue(format!(
                "strconv.ParseFloat: parsing \"{text}\": value out of range"
            ))),
        }
    } else {
        text.parse::<i64>().map(Value::from).map_err(|_| {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let why = if digits.bytes().all(|b| b.is_ascii_digit()) {
                "value out of range"
            } else {
                "invalid syntax"
            };
            ParamsError::InvalidParamValue(format!("strconv.ParseInt: parsing \"{text}\": {why}"))
        })
    }
}

/// Go's json scanner, far enough to find the first value's bytes or report its error.
fn scan_first_value(b: &[u8]) -> Result<(usize, usize), String> {
    enum Open {
        Object,
        Array,
    }
    let eof = || "unexpected EOF".to_owned();
    let ws = |mut i: usize| {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        i
    };
    let mut i = ws(0);
    if i == b.len() {
        return Err("EOF".to_owned());
    }
    let start = i;
    let mut stack: Vec<Open> = Vec::new();
    // Reads `"key":` at `i` (white space first); returns the index after ':'.
    let key = |i: usize| -> Result<usize, String> {
        let i = ws(i);
        match b.get(i) {
            None => Err(eof()),
            Some(b'"') => {
                let i = ws(scan_string(b, i)?);
                match b.get(i) {
                    None => Err(eof()),
                    Some(b':') => Ok(i + 1),
                    Some(&c) => Err(invalid(c, "after object key")),
                }
            }
            Some(&c) => Err(invalid(c, "looking for beginning of object key string")),
        }
    };
    'value: loop {
        i = ws(i);
        let Some(&c) = b.get(i) else {
            return Err(eof());
        };
        match c {
            b'{' => {
                let j = ws(i + 1);
                if b.get(j) == Some(&b'}') {
                    i = j + 1;
                } else {
                    stack.push(Open::Object);
                    i = key(i + 1)?;
                    continue 'value;
                }
            }
            b'[' => {
                let j = ws(i + 1);
                match b.get(j) {
                    None => return Err(eof()),
                    Some(b']') => i = j + 1,
                    Some(_) => {
                        stack.push(Open::Array);
                        i = j;
                        continue 'value;
                    }
                }
            }
            b'"' => i = scan_string(b, i)?,
            b'-' | b'0'..=b'9' => i = scan_number(b, i)?,
            b't' => i = scan_literal(b, i, "true")?,
            b'f' => i = scan_literal(b, i, "false")?,
            b'n' => i = scan_literal(b, i, "null")?,
            c => return Err(invalid(c, "looking for beginning of value")),
        }
        // After a complete value: close containers or move to the next element.
        loop {
            let Some(open) = stack.last() else {
                return Ok((start, i));
            };
            i = ws(i);
            let Some(&c) = b.get(i) else {
                return Err(eof());
            };
            match (open, c) {
                (Open::Object, b',') => {
                    i = key(i + 1)?;
                    continue 'value;
                }
                (Open::Array, b',') => {
                    i += 1;
                    continue 'value;
                }
                (Open::Object, b'}') | (Open::Array, b']') => {
                    stack.pop();
                    i += 1;
                }
                (Open::Object, c) => return Err(invalid(c, "after object key:value pair")),
                (Open::Array, c) => return Err(invalid(c, "after array element")),
            }
        }
    }
}

/// A string starting at `b[i] == '"'`; returns the index after its closing quote.
fn scan_string(b: &[u8], mut i: usize) -> Result<usize, String> {
    i += 1;
    loop {
        let Some(&c) = b.get(i) else {
            return Err("unexpected EOF".to_owned());
        };
        match c {
            b'"' => return Ok(i + 1),
            b'\\' => {
                i += 1;
                match b.get(i) {
                    None => return Err("unexpected EOF".to_owned()),
                    Some(b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"') => i += 1,
                    Some(b'u') => {
                        i += 1;
                        for _ in 0..4 {
                            match b.get(i) {
                                None => return Err("unexpected EOF".to_owned()),
                                Some(h) if h.is_ascii_hexdigit() => i += 1,
                                Some(&h) => {
                                    return Err(invalid(h, "in \\u hexadecimal character escape"));
                                }
                            }
                        }
                    }
                    Some(&e) => return Err(invalid(e, "in string escape code")),
                }
            }
            c if c < 0x20 => return Err(invalid(c, "in string literal")),
            _ => i += 1,
        }
    }
}

/// A number starting at `i`; returns the index after it.
fn scan_number(b: &[u8], mut i: usize) -> Result<usize, String> {
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let need_digit = |i: usize, context: &str| match b.get(i) {
        None => Err("unexpected EOF".to_owned()),
        Some(c) if c.is_ascii_digit() => Ok(()),
        Some(&c) => Err(invalid(c, context)),
    };
    if b[i] == b'-' {
        i += 1;
        need_digit(i, "in numeric literal")?;
    }
    i = if b[i] == b'0' { i + 1 } else { digits(i) };
    if b.get(i) == Some(&b'.') {
        i += 1;
        need_digit(i, "after decimal point in numeric literal")?;
        i = digits(i);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        need_digit(i, "in exponent of numeric literal")?;
        i = digits(i);
    }
    Ok(i)
}

/// `true`, `false` or `null` starting at `i`.
fn scan_literal(b: &[u8], i: usize, word: &str) -> Result<usize, String> {
    for (k, expected) in word.bytes().enumerate().skip(1) {
        match b.get(i + k) {
            None => return Err("unexpected EOF".to_owned()),
            Some(&c) if c == expected => {}
            Some(&c) => {
                return Err(invalid(
                    c,
                    &format!("in literal {word} (expecting '{}')", char::from(expected)),
                ));
            }
        }
    }
    Ok(i + word.len())
}

/// Go's `SyntaxError` text: `invalid character 'x' <context>`.
fn invalid(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

/// Go's `quoteChar`: the byte as a rune, quoted with single quotes as strconv.Quote would.
fn quote_char(c: u8) -> String {
    let inner = match c {
        b'\'' => "\\'".to_owned(),
        b'"' => "\"".to_owned(),
        0x07 => "\\a".to_owned(),
        0x08 => "\\b".to_owned(),
        0x0c => "\\f".to_owned(),
        b'\n' => "\\n".to_owned(),
        b'\r' => "\\r".to_owned(),
        b'\t' => "\\t".to_owned(),
        0x0b => "\\v".to_owned(),
        b'\\' => "\\\\".to_owned(),
        c if c < 0x20 || c == 0x7f => format!("\\x{c:02x}"),
        c if (0x80..=0xa0).contains(&c) || c == 0xad => format!("\\u{c:04x}"),
        c => char::from(c).to_string(),
    };
    format!("'{inner}'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy as _;
    use serde_json::json;

    fn err(raw: &str) -> String {
        match parse(raw) {
            Err(e) => e.to_string(),
            Ok(m) => panic!("parsed {m:?}"),
        }
    }

    fn ok(raw: &str) -> Value {
        Value::Object(parse(raw).unwrap())
    }

    #[test]
    fn objects_and_numbers() {
        assert_eq!(
            ok(
                r#" {"h": "server03", "i": -42, "f": 2.50, "b": false, "n": null, "a": [1, 2.5], "o": {"x": 1}} "#
            ),
            json!({"h": "server03", "i": -42, "f": 2.5, "b": false, "n": null, "a": [1, 2.5], "o": {"x": 1}})
        );
        assert_eq!(ok("null"), json!({}));
        assert_eq!(ok(r#"{"a":1} trailing garbage"#), json!({"a": 1}));
        assert_eq!(ok(r#"{"a":1,"a":2}"#), json!({"a": 2}));
        assert_eq!(ok(r#"{"f":1.0e2}"#), json!({"f": 100.0}));
    }

    proptest::proptest! {
        #[test]
        fn any_json_object_of_strings_and_ints_is_accepted(
            entries in proptest::collection::btree_map(".{0,8}", proptest::prop_oneof![
                proptest::num::i64::ANY.prop_map(Value::from),
                ".{0,12}".prop_map(Value::from),
                proptest::bool::ANY.prop_map(Value::from),
            ], 0..6),
            pretty in proptest::bool::ANY,
        ) {
            let object: Map<String, Value> = entries.into_iter().collect();
            let text = if pretty {
                serde_json::to_string_pretty(&object).unwrap()
            } else {
                serde_json::to_string(&object).unwrap()
            };
            proptest::prop_assert_eq!(parse(&text).unwrap(), object);
        }
    }

    #[test]
    fn number_conversion_errors() {
        assert_eq!(
            err(r#"{"n":1e3}"#),
            r#"error parsing json value: strconv.ParseInt: parsing "1e3": invalid syntax"#
        );
        assert_eq!(
            err(r#"{"n":99999999999999999999}"#),
            r#"error parsing json value: strconv.ParseInt: parsing "99999999999999999999": value out of range"#
        );
        assert_eq!(
            err(r#"{"n":1.5e999}"#),
            r#"error parsing json value: strconv.ParseFloat: parsing "1.5e999": value out of range"#
        );
    }

    #[test]
    fn type_errors() {
        let t = "error parsing query parameters: json: cannot unmarshal";
        assert_eq!(
            err("[1]"),
            format!("{t} array into Go value of type map[string]interface {{}}")
        );
        assert_eq!(
            err("\"s\""),
            format!("{t} string into Go value of type map[string]interface {{}}")
        );
        assert_eq!(
            err("12"),
            format!("{t} number into Go value of type map[string]interface {{}}")
        );
        assert_eq!(
            err("01"),
            format!("{t} number into Go value of type map[string]interface {{}}")
        );
        assert_eq!(
            err("true"),
            format!("{t} bool into Go value of type map[string]interface {{}}")
        );
    }

    #[test]
    fn syntax_errors_as_go() {
        let p = "error parsing query parameters: ";
        let cases = [
            ("   ", "EOF"),
            ("{", "unexpected EOF"),
            (r#"{"a":"#, "unexpected EOF"),
            (r#"{"a":1"#, "unexpected EOF"),
            ("-", "unexpected EOF"),
            ("x", "invalid character 'x' looking for beginning of value"),
            (
                "{bad}",
                "invalid character 'b' looking for beginning of object key string",
            ),
            (r#"{"a" 1}"#, "invalid character '1' after object key"),
            (
                r#"{"a":1 "b":2}"#,
                "invalid character '\"' after object key:value pair",
            ),
            (
                r#"{"a":1,}"#,
                "invalid character '}' looking for beginning of object key string",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            (
                "[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            (r#"{"a":-x}"#, "invalid character 'x' in numeric literal"),
            (
                r#"{"a":1.x}"#,
                "invalid character 'x' after decimal point in numeric literal",
            ),
            (
                r#"{"a":1ex}"#,
                "invalid character 'x' in exponent of numeric literal",
            ),
            (
                r#"{"a":tru}"#,
                "invalid character '}' in literal true (expecting 'e')",
            ),
            (
                r#"{"a":nx}"#,
                "invalid character 'x' in literal null (expecting 'u')",
            ),
            (
                "{\"a\":\"l\nf\"}",
                "invalid character '\\n' in string literal",
            ),
            (
                r#"{"a":"\q"}"#,
                "invalid character 'q' in string escape code",
            ),
            (
                r#"{"a":"\u12g4"}"#,
                "invalid character 'g' in \\u hexadecimal character escape",
            ),
            (
                "{'a':1}",
                "invalid character '\\'' looking for beginning of object key string",
            ),
            (
                "{\"a\":\u{1}}",
                "invalid character '\\x01' looking for beginning of value",
            ),
            ("é", "invalid character 'Ã' looking for beginning of value"),
        ];
        for (raw, want) in cases {
            assert_eq!(err(raw), format!("{p}{want}"), "input {raw:?}");
        }
    }
}
