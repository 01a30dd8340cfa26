//! Golden test: every recorded InfluxDB 1.6.7 `/query` answer (JSON, pretty, chunked, CSV,
//! MessagePack, request errors) is rebuilt into `StatementResult`s and re-encoded; the bytes
//! must equal the recording's body.
//!
//! ```text
//! queries.jsonl case ──► QueryParams::from_pairs(params) + Format::from_accept(Accept)
//!   400 ──► encode_error(text) == body, error_header_value == X-Influxdb-Error
//!   200 ──► results from body_json / CSV text / msgpack bytes (time columns back to ns)
//!       ──► encode_response | StatementChunker + ChunkWriter ──► == body
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::Value as Json;
use v1_query::{
    ChunkWriter, Epoch, Format, Message, QueryParams, Series, StatementChunker, StatementResult,
    Value, encode_error, encode_response, error_header_value,
};

fn fixture(name: &str) -> PathBuf {
    // The manifest dir at run time when set, as the workspace's other fixture tests do.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../../tests/fixtures/influxql_oracle")
        .join(name)
}

fn cases() -> Vec<Json> {
    let text = std::fs::read_to_string(fixture("queries.jsonl")).expect("queries.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn divisor(epoch: Option<Epoch>) -> i64 {
    epoch.map_or(1, Epoch::divisor)
}

// ---- rebuilding results from JSON ------------------------------------------------------

fn time_value(v: &Json, epoch: Option<Epoch>) -> Value {
    match v {
        Json::String(s) => {
            let t = chrono::DateTime::parse_from_rfc3339(s).expect("an RFC 3339 time");
            assert_eq!(t.offset().local_minus_utc(), 0, "recordings are in UTC");
            Value::Time(t.timestamp_nanos_opt().expect("in range"))
        }
        Json::Number(n) => Value::Time(n.as_i64().expect("integer time") * divisor(epoch)),
        other => json_value(other),
    }
}

fn json_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::String(s) => Value::String(s.clone()),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Integer(i),
            (None, Some(u)) => Value::Unsigned(u),
            _ => Value::Float(n.as_f64().expect("a float")),
        },
        other => panic!("unexpected cell {other}"),
    }
}

fn json_results(doc: &Json, epoch: Option<Epoch>) -> Vec<StatementResult> {
    let Some(results) = doc.get("results") else {
        return Vec::new();
    };
    results
        .as_array()
        .expect("results array")
        .iter()
        .map(|r| StatementResult {
            statement_id: r["statement_id"].as_u64().expect("statement_id") as usize,
            series: r
                .get("series")
                .and_then(Json::as_array)
                .map(|a| a.iter().map(|s| json_series(s, epoch)).collect())
                .unwrap_or_default(),
            messages: r
                .get("messages")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .map(|m| Message {
                            level: m["level"].as_str().unwrap_or_default().to_owned(),
                            text: m["text"].as_str().unwrap_or_default().to_owned(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            partial: r.get("partial").and_then(Json::as_bool).unwrap_or(false),
            error: r.get("error").and_then(Json::as_str).map(str::to_owned),
            location: None,
        })
        .collect()
}

fn json_series(s: &Json, epoch: Option<Epoch>) -> Series {
    let columns: Vec<String> = s
        .get("columns")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .map(|c| c.as_str().expect("column").to_owned())
                .collect()
        })
        .unwrap_or_default();
    let values = s
        .get("values")
        .and_then(Json::as_array)
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    row.as_array()
                        .expect("row")
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            if columns.get(i).is_some_and(|c| c == "time") {
                                time_value(v, epoch)
                            } else {
                                json_value(v)
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    Series {
        name: s.get("name").and_then(Json::as_str).map(str::to_owned),
        tags: s
            .get("tags")
            .and_then(Json::as_object)
            .map(|t| {
                t.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().expect("tag").to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        columns,
        values,
        partial: s.get("partial").and_then(Json::as_bool).unwrap_or(false),
    }
}

// ---- rebuilding results from CSV -------------------------------------------------------

fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().expect("field").push(c),
        }
    }
    fields
}

fn csv_cell(column: &str, cell: &str, epoch: Option<Epoch>) -> Value {
    if cell.is_empty() {
        Value::Null
    } else if column == "time" {
        Value::Time(cell.parse::<i64>().expect("integer time") * divisor(epoch))
    } else if let Ok(i) = cell.parse::<i64>() {
        Value::Integer(i)
    } else if let Ok(f) = cell.parse::<f64>() {
        Value::Float(f)
    } else if let Ok(b) = cell.parse::<bool>() {
        Value::Boolean(b)
    } else {
        Value::String(cell.to_owned())
    }
}

/// One result per blank-line separated block; consecutive rows of one name+tags are a series.
fn csv_results(body: &str, epoch: Option<Epoch>) -> Vec<StatementResult> {
    body.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .enumerate()
        .map(|(id, block)| {
            let mut lines = block.lines();
            let header = csv_fields(lines.next().expect("header"));
            let columns: Vec<String> = header[2..].to_vec();
            let mut series: Vec<Series> = Vec::new();
            for line in lines {
                let f = csv_fields(line);
                let tags: BTreeMap<String, String> = f[1]
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .map(|t| {
                        let (k, v) = t.split_once('=').expect("k=v");
                        (k.to_owned(), v.to_owned())
                    })
                    .collect();
                let row: Vec<Value> = columns
                    .iter()
                    .zip(&f[2..])
                    .map(|(c, cell)| csv_cell(c, cell, epoch))
                    .collect();
                match series.last_mut() {
                    Some(s) if s.name.as_deref() == Some(f[0].as_str()) && s.tags == tags => {
                        s.values.push(row)
                    }
                    _ => series.push(Series {
                        name: Some(f[0].clone()),
                        tags,
                        columns: columns.clone(),
                        values: vec![row],
                        partial: false,
                    }),
                }
            }
            StatementResult {
                statement_id: id,
                series,
                ..StatementResult::default()
            }
        })
        .collect()
}

// ---- rebuilding results from MessagePack ------------------------------------------------

fn mp_get<'a>(map: &'a rmpv::Value, key: &str) -> Option<&'a rmpv::Value> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

fn mp_value(v: &rmpv::Value) -> Value {
    match v {
        rmpv::Value::Nil => Value::Null,
        rmpv::Value::Boolean(b) => Value::Boolean(*b),
        rmpv::Value::F64(f) => Value::Float(*f),
        rmpv::Value::Integer(i) => match i.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Unsigned(i.as_u64().expect("u64")),
        },
        rmpv::Value::String(s) => Value::String(s.as_str().expect("utf-8").to_owned()),
        rmpv::Value::Ext(5, data) if data.len() == 12 => {
            let secs = i64::from_be_bytes(data[..8].try_into().expect("8 bytes"));
            let nanos = i32::from_be_bytes(data[8..].try_into().expect("4 bytes"));
            Value::Time(secs * 1_000_000_000 + i64::from(nanos))
        }
        other => panic!("unexpected msgpack cell {other}"),
    }
}

fn msgpack_results(body: &[u8]) -> Vec<StatementResult> {
    let doc = rmpv::decode::read_value(&mut &body[..]).expect("msgpack");
    let results = mp_get(&doc, "results")
        .and_then(rmpv::Value::as_array)
        .expect("results");
    results
        .iter()
        .map(|r| {
            if let Some(e) = mp_get(r, "error") {
                return StatementResult::error(0, e.as_str().expect("error text"));
            }
            let series = mp_get(r, "series")
                .and_then(rmpv::Value::as_array)
                .expect("series")
                .iter()
                .map(|s| Series {
                    name: mp_get(s, "name")
                        .and_then(rmpv::Value::as_str)
                        .map(str::to_owned),
                    tags: mp_get(s, "tags")
                        .and_then(rmpv::Value::as_map)
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    (
                                        k.as_str().expect("key").to_owned(),
                                        v.as_str().expect("value").to_owned(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    columns: mp_get(s, "columns")
                        .and_then(rmpv::Value::as_array)
                        .expect("columns")
                        .iter()
                        .map(|c| c.as_str().expect("column").to_owned())
                        .collect(),
                    values: mp_get(s, "values")
                        .and_then(rmpv::Value::as_array)
                        .expect("values")
                        .iter()
                        .map(|row| row.as_array().expect("row").iter().map(mp_value).collect())
                        .collect(),
                    partial: mp_get(s, "partial")
                        .and_then(rmpv::Value::as_bool)
                        .unwrap_or(false),
                })
                .collect();
            StatementResult {
                statement_id: mp_get(r, "statement_id")
                    .and_then(rmpv::Value::as_u64)
                    .expect("statement_id") as usize,
                series,
                partial: mp_get(r, "partial")
                    .and_then(rmpv::Value::as_bool)
                    .unwrap_or(false),
                ..StatementResult::default()
            }
        })
        .collect()
}

// ---- chunking a statement's rows again ------------------------------------------------

/// Merges the chunks of each statement back into whole series, then re-chunks them with
/// `StatementChunker` as 1.x's emitter would.
fn rechunk(chunks: &[StatementResult], chunk_size: usize) -> Vec<StatementResult> {
    let mut statements: Vec<StatementResult> = Vec::new();
    for chunk in chunks {
        match statements.last_mut() {
            Some(s) if s.statement_id == chunk.statement_id => {
                for series in &chunk.series {
                    match s.series.last_mut() {
                        Some(last) if last.name == series.name && last.tags == series.tags => {
                            last.values.extend(series.values.iter().cloned())
                        }
                        _ => s.series.push(series.clone()),
                    }
                }
            }
            _ => statements.push(chunk.clone()),
        }
    }
    let mut out = Vec::new();
    for statement in statements {
        let mut chunker = StatementChunker::new(
            statement.statement_id,
            statement.location.clone(),
            chunk_size,
        );
        if let Some(error) = statement.error {
            out.push(chunker.fail(error));
            continue;
        }
        for mut series in statement.series {
            series.partial = false;
            out.extend(chunker.push_series(series));
        }
        out.push(chunker.finish());
    }
    out
}

fn chunked_body(format: Format, params: &QueryParams, chunks: &[StatementResult]) -> Vec<u8> {
    let mut writer = ChunkWriter::new(format, params.options());
    chunks.iter().flat_map(|c| writer.write(c)).collect()
}

// ---- the test ---------------------------------------------------------------------------

#[test]
fn recorded_answers_are_reproduced_byte_for_byte() {
    let mut checked = Vec::new();
    for case in cases() {
        let name = case["name"].as_str().expect("name").to_owned();
        let pairs: Vec<(String, String)> = case["params"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().expect("string param").to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let accept = case["req_headers"].get("Accept").and_then(Json::as_str);
        let format = Format::from_accept(accept);
        if let Some(ct) = case["content_type"].as_str() {
            assert_eq!(format.content_type(), ct, "{name}: content type");
        }
        let status = case["status"].as_u64().expect("status");
        let parsed = QueryParams::from_pairs(&pairs, &[]);
        let body = case["body"].as_str().map(str::as_bytes);

        if status == 400 {
            let header = case["resp_headers"]["X-Influxdb-Error"]
                .as_str()
                .expect("error header");
            // Request errors past parameter reading (parse errors) come from the parser; the
            // text is taken from the recording's header.
            let text = match &parsed {
                Err(e) => e.to_string(),
                Ok(_) => header.to_owned(),
            };
            assert_eq!(error_header_value(&text), header, "{name}: header");
            let pretty = parsed.as_ref().map(|p| p.pretty).unwrap_or(false);
            assert_eq!(
                String::from_utf8_lossy(&encode_error(format, &text, pretty)),
                String::from_utf8_lossy(body.expect("body")),
                "{name}"
            );
            checked.push(name);
            continue;
        }
        assert_eq!(status, 200, "{name}");
        let params = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));

        let produced = match format {
            Format::Msgpack => {
                let want = base64::engine::general_purpose::STANDARD
                    .decode(case["body_b64"].as_str().expect("body_b64"))
                    .expect("base64");
                let results = msgpack_results(&want);
                let got = encode_response(format, &results, &params.options());
                assert_eq!(got, want, "{name}: msgpack bytes");
                checked.push(name);
                continue;
            }
            Format::Csv => {
                let text = std::str::from_utf8(body.expect("body")).expect("utf-8");
                let results = csv_results(text, params.epoch);
                if params.chunked {
                    chunked_body(format, &params, &rechunk(&results, params.chunk_size))
                } else {
                    encode_response(format, &results, &params.options())
                }
            }
            Format::Json if params.chunked => {
                // One document is recorded as an object, several as a list.
                let docs = match &case["body_json"] {
                    Json::Array(docs) => docs.clone(),
                    doc => vec![doc.clone()],
                };
                let chunks: Vec<StatementResult> = docs
                    .iter()
                    .flat_map(|d| json_results(d, params.epoch))
                    .collect();
                // The recorded chunks written one by one…
                let direct = chunked_body(format, &params, &chunks);
                assert_eq!(
                    String::from_utf8_lossy(&direct),
                    String::from_utf8_lossy(body.expect("body")),
                    "{name}: chunk documents"
                );
                // …and the statement's rows chunked again as 1.x's emitter does.
                chunked_body(format, &params, &rechunk(&chunks, params.chunk_size))
            }
            Format::Json => {
                let results = json_results(&case["body_json"], params.epoch);
                encode_response(format, &results, &params.options())
            }
        };
        assert_eq!(
            String::from_utf8_lossy(&produced),
            String::from_utf8_lossy(body.expect("body")),
            "{name}"
        );
        checked.push(name);
    }
    for must in [
        "pretty",
        "csv_select",
        "csv_show_measurements",
        "csv_show_tag_values",
        "csv_epoch_ms",
        "csv_error",
        "text_csv_accept",
        "msgpack_accept",
        "chunked_true",
        "chunked_size_2",
        "chunked_multi_statement",
        "chunked_csv",
        "epoch_s",
        "epoch_ns",
        "err_bad_epoch",
        "err_missing_q",
        "err_bad_syntax",
        "count_now_1h",
        "escapes_result",
        "multi_statement",
        "err_no_db",
    ] {
        assert!(checked.iter().any(|c| c == must), "{must} not checked");
    }
    assert_eq!(
        checked.len(),
        cases().len(),
        "every recorded case is checked"
    );
}
