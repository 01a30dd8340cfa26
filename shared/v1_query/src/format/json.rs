//! The JSON body: 1.x's `Response` / `query.Result` / `models.Row` as Go's `encoding/json`
//! writes them, compact (see `indent` for `pretty=true`).
//!
//! ```text
//! [StatementResult] ──► {"results":[{"statement_id":N,"series":[…],"messages":[…],
//!                                     "partial":true,"error":"…"}]}      (omitempty)
//! Series ──► {"name":…,"tags":{…sorted},"columns":[…],"values":[[…]],"partial":true}
//! Value ──► null | Go float | integer | "string" | true/false |
//!           time: first column + epoch ──► integer, else RFC3339Nano in the statement's zone
//! ```
//!
//! A NaN or infinite float makes the whole document fail, as in Go: the caller writes
//! `{"error":"json: unsupported value: NaN"}` instead (1.8's jsonFormatter).

use std::fmt::Write as _;

use super::go_text::{json_float, json_string, non_finite};
use super::time::{Zone, write_rfc3339_nano};
use crate::epoch::Epoch;
use crate::result::{Message, Series, StatementResult, Value};

/// Go's `json.UnsupportedValueError` text for a float JSON cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("json: unsupported value: {0}")]
pub(crate) struct UnsupportedValue(pub(crate) &'static str);

/// `{"results":[…]}` (or `{}` for no results), compact, without the trailing newline.
pub(crate) fn results_document(
    results: &[StatementResult],
    epoch: Option<Epoch>,
) -> Result<String, UnsupportedValue> {
    let mut out = String::with_capacity(256);
    out.push('{');
    if !results.is_empty() {
        out.push_str("\"results\":[");
        for (i, result) in results.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_result(&mut out, result, epoch)?;
        }
        out.push(']');
    }
    out.push('}');
    Ok(out)
}

/// `{"error":"…"}`, compact, without the trailing newline.
pub(crate) fn error_document(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 12);
    out.push_str("{\"error\":");
    json_string(&mut out, text);
    out.push('}');
    out
}

fn write_result(
    out: &mut String,
    result: &StatementResult,
    epoch: Option<Epoch>,
) -> Result<(), UnsupportedValue> {
    let zone = Zone::from_location(result.location.as_deref());
    if result.statement_id == crate::result::PANIC_STATEMENT_ID {
        out.push_str("{\"statement_id\":-1");
    } else {
        let _ = write!(out, "{{\"statement_id\":{}", result.statement_id);
    }
    if !result.series.is_empty() {
        out.push_str(",\"series\":[");
        for (i, series) in result.series.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_series(out, series, epoch, zone)?;
        }
        out.push(']');
    }
    if !result.messages.is_empty() {
        out.push_str(",\"messages\":[");
        for (i, message) in result.messages.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_message(out, message);
        }
        out.push(']');
    }
    if result.partial {
        out.push_str(",\"partial\":true");
    }
    if let Some(error) = result.error.as_deref().filter(|e| !e.is_empty()) {
        out.push_str(",\"error\":");
        json_string(out, error);
    }
    out.push('}');
    Ok(())
}

fn write_message(out: &mut String, message: &Message) {
    out.push_str("{\"level\":");
    json_string(out, &message.level);
    out.push_str(",\"text\":");
    json_string(out, &message.text);
    out.push('}');
}

fn write_series(
    out: &mut String,
    series: &Series,
    epoch: Option<Epoch>,
    zone: Zone,
) -> Result<(), UnsupportedValue> {
    out.push('{');
    let mut first = true;
    let mut key = |out: &mut String, name: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
    };
    if let Some(name) = series.name.as_deref().filter(|n| !n.is_empty()) {
        key(out, "name");
        json_string(out, name);
    }
    if !series.tags.is_empty() {
        key(out, "tags");
        out.push('{');
        for (i, (k, v)) in series.tags.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_string(out, k);
            out.push(':');
            json_string(out, v);
        }
        out.push('}');
    }
    if !series.columns.is_empty() {
        key(out, "columns");
        out.push('[');
        for (i, column) in series.columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_string(out, column);
        }
        out.push(']');
    }
    if !series.values.is_empty() {
        key(out, "values");
        out.push('[');
        for (i, row) in series.values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            for (j, value) in row.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                write_value(out, value, if j == 0 { epoch } else { None }, zone)?;
            }
            out.push(']');
        }
        out.push(']');
    }
    if series.partial {
        key(out, "partial");
        out.push_str("true");
    }
    out.push('}');
    Ok(())
}

/// One cell; `epoch` is only given for the first column (1.x's `convertToEpoch` converts
/// `v[0]` only).
fn write_value(
    out: &mut String,
    value: &Value,
    epoch: Option<Epoch>,
    zone: Zone,
) -> Result<(), UnsupportedValue> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Float(f) if !f.is_finite() => return Err(UnsupportedValue(non_finite(*f))),
        Value::Float(f) => json_float(out, *f),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Unsigned(u) => {
            let _ = write!(out, "{u}");
        }
        Value::String(s) => json_string(out, s),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Time(ns) => match epoch {
            Some(unit) => {
                let _ = write!(out, "{}", unit.convert(*ns));
            }
            None => {
                out.push('"');
                write_rfc3339_nano(out, *ns, zone);
                out.push('"');
            }
        },
    }
    Ok(())
}
