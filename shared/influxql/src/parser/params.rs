//! Bind parameters: `params=` JSON values ──► the token a `$name` stands for.
//!
//! ```text
//! {"h": "server01"}                 ──► STRING 'server01'
//! {"n": 10} / {"x": 1.5} / {"b": true} ──► INTEGER / NUMBER / TRUE|FALSE
//! {"m": {"identifier": "cpu"}}       ──► IDENT   (also "ident", "regex", "string", "float"/"number",
//!                                                 "integer"/"int", "duration")
//! anything else                      ──► an error value, reported only where `$name` is used
//! ```
//! As 1.x (influxql's `BindValue`), a parameter replaces the `$name` token, so a typed
//! identifier works wherever an identifier does (`FROM $m`, `LIMIT $n`).

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::scanner::Tok;
use crate::time::format_duration;

/// A bound value, as the token it becomes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bound {
    /// A token kind and its literal text.
    Token(Tok, String),
    /// Refused value: the message 1.x reports where the parameter is used.
    Error(String),
}

/// Converts the JSON object of `params=` into bound values.
pub(crate) fn bind_all(params: &Map<String, Value>) -> HashMap<String, Bound> {
    params
        .iter()
        .map(|(name, value)| (name.clone(), bind(value)))
        .collect()
}

enum Num {
    Int(i64),
    Float(f64),
}

/// 1.x reads a JSON number without `.` as an int64 and with `.` as a float64.
fn number(n: &Number) -> Result<Num, String> {
    if let Some(i) = n.as_i64() {
        Ok(Num::Int(i))
    } else if n.is_u64() {
        Err(format!(
            "strconv.ParseInt: parsing \"{n}\": value out of range"
        ))
    } else {
        n.as_f64()
            .map(Num::Float)
            .ok_or_else(|| format!("strconv.ParseFloat: parsing \"{n}\": invalid syntax"))
    }
}

fn float_text(f: f64) -> String {
    // Go's FormatFloat(f, 'f', -1, 64): shortest exact digits, no exponent
    format!("{f}")
}

fn bind(value: &Value) -> Bound {
    match value {
        Value::Number(n) => match number(n) {
            Ok(Num::Int(i)) => Bound::Token(Tok::Integer, i.to_string()),
            Ok(Num::Float(f)) => Bound::Token(Tok::Number, float_text(f)),
            Err(e) => Bound::Error(e),
        },
        Value::String(s) => Bound::Token(Tok::Str, s.clone()),
        Value::Bool(b) => Bound::Token(if *b { Tok::True } else { Tok::False }, String::new()),
        Value::Object(m) => bind_object(m),
        Value::Array(_) => {
            Bound::Error("unable to bind parameter with type []interface {}".to_owned())
        }
        Value::Null => Bound::Error("unable to bind parameter with type <nil>".to_owned()),
    }
}

fn bind_object(m: &Map<String, Value>) -> Bound {
    let mut entries = m.iter();
    let (Some((kind, v)), None) = (entries.next(), entries.next()) else {
        return Bound::Error("bound object parameter value must have exactly one entry".to_owned());
    };
    let num = match v {
        Value::Number(n) => match number(n) {
            Ok(x) => Some(x),
            Err(e) => return Bound::Error(e),
        },
        _ => None,
    };
    let text = |tok: Tok, what: &str| match v {
        Value::String(s) => Bound::Token(tok, s.clone()),
        _ => Bound::Error(format!("{what} must be a string value")),
    };
    match kind.as_str() {
        "ident" | "identifier" => text(Tok::Ident, "identifier"),
        "regex" => text(Tok::Regex, "regex literal"),
        "string" => text(Tok::Str, "string literal"),
        "float" | "number" => match num {
            Some(Num::Float(f)) => Bound::Token(Tok::Number, float_text(f)),
            #[allow(clippy::cast_precision_loss)] // as 1.x: float64(int64)
            Some(Num::Int(i)) => Bound::Token(Tok::Number, float_text(i as f64)),
            None => Bound::Error("number literal must be a float value".to_owned()),
        },
        "int" | "integer" => match num {
            Some(Num::Int(i)) => Bound::Token(Tok::Integer, i.to_string()),
            _ => Bound::Error("integer literal must be an integer value".to_owned()),
        },
        "duration" => match (v, num) {
            (Value::String(s), _) => Bound::Token(Tok::DurationVal, s.clone()),
            (_, Some(Num::Int(i))) => Bound::Token(Tok::DurationVal, format_duration(i)),
            _ => Bound::Error("duration literal must be a string or integer value".to_owned()),
        },
        other => Bound::Error(format!("unknown bind object type: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b(v: Value) -> Bound {
        bind(&v)
    }

    #[test]
    fn binds_as_1x() {
        assert_eq!(b(json!("x")), Bound::Token(Tok::Str, "x".into()));
        assert_eq!(b(json!(10)), Bound::Token(Tok::Integer, "10".into()));
        assert_eq!(b(json!(-10)), Bound::Token(Tok::Integer, "-10".into()));
        assert_eq!(b(json!(1.5)), Bound::Token(Tok::Number, "1.5".into()));
        assert_eq!(b(json!(true)), Bound::Token(Tok::True, String::new()));
        assert_eq!(
            b(json!({"identifier": "cpu"})),
            Bound::Token(Tok::Ident, "cpu".into())
        );
        assert_eq!(
            b(json!({"duration": 600_000_000_000_i64})),
            Bound::Token(Tok::DurationVal, "10m".into())
        );
        assert_eq!(
            b(json!({"float": 2})),
            Bound::Token(Tok::Number, "2".into())
        );
        assert_eq!(
            b(json!({"integer": 2.5})),
            Bound::Error("integer literal must be an integer value".into())
        );
        assert_eq!(
            b(json!({"a": 1, "b": 2})),
            Bound::Error("bound object parameter value must have exactly one entry".into())
        );
        assert_eq!(
            b(json!({"nope": 1})),
            Bound::Error("unknown bind object type: nope".into())
        );
        assert_eq!(
            b(json!(null)),
            Bound::Error("unable to bind parameter with type <nil>".into())
        );
        assert_eq!(
            b(json!(u64::MAX)),
            Bound::Error(
                "strconv.ParseInt: parsing \"18446744073709551615\": value out of range".into()
            )
        );
    }
}
