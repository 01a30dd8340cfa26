//! The CSV body: 1.x's `csvFormatter` over Go's `encoding/csv` writer.
//!
//! ```text
//! StatementResult ──► new statement with series? blank line (unless first) + header
//!                     "name,tags,<columns of its first series>"
//!                 ──► per series: header again when its columns differ from the previous
//!                     series' (blank line first); per row "name,k=v,k=v,<values>"
//! state (statement id, header) lives in CsvState across chunks: one header per statement.
//! Values: floats as strconv 'f' -1, integers, true/false, strings, null ──► "", times ──►
//! nanoseconds (the first column in the epoch unit when epoch is set).
//! Statement errors and messages are not written (1.x drops them in CSV).
//! ```

use std::collections::BTreeMap;

use super::go_text::plain_float;
use crate::epoch::Epoch;
use crate::result::{StatementResult, Value};

/// What 1.x's `csvFormatter` remembers between the results (and chunks) of one response.
#[derive(Debug, Clone, Default)]
pub(crate) struct CsvState {
    statement_id: Option<usize>,
    /// The current record buffer: `name`, `tags`, then one field per column.
    record: Vec<String>,
}

impl CsvState {
    /// Appends the CSV of `results` to `out`.
    pub(crate) fn write_results(
        &mut self,
        out: &mut String,
        results: &[StatementResult],
        epoch: Option<Epoch>,
    ) {
        for result in results {
            if self.statement_id != Some(result.statement_id) {
                let Some(first) = result.series.first() else {
                    continue;
                };
                if self.statement_id.is_some() {
                    out.push('\n');
                }
                self.statement_id = Some(result.statement_id);
                self.set_header(&first.columns);
                write_record(out, &self.record);
            }
            for (i, series) in result.series.iter().enumerate() {
                if i > 0 && result.series[i - 1].columns != series.columns {
                    out.push('\n');
                    self.set_header(&series.columns);
                    write_record(out, &self.record);
                }
                if let Some(slot) = self.record.get_mut(0) {
                    *slot = series.name.clone().unwrap_or_default();
                }
                if let Some(slot) = self.record.get_mut(1) {
                    *slot = tags_key(&series.tags);
                }
                for row in &series.values {
                    for (j, value) in row.iter().enumerate() {
                        // 1.x panics on rows longer than the header; extra cells are dropped.
                        if let Some(slot) = self.record.get_mut(j + 2) {
                            *slot = cell(value, if j == 0 { epoch } else { None });
                        }
                    }
                    write_record(out, &self.record);
                }
            }
        }
    }

    fn set_header(&mut self, columns: &[String]) {
        self.record.clear();
        self.record.push("name".to_owned());
        self.record.push("tags".to_owned());
        self.record.extend(columns.iter().cloned());
    }
}

/// The request-level error: `error` then the message, each as a CSV record.
pub(crate) fn error_document(out: &mut String, text: &str) {
    write_record(out, &["error".to_owned()]);
    write_record(out, &[text.to_owned()]);
}

fn cell(value: &Value, epoch: Option<Epoch>) -> String {
    match value {
        Value::Null => String::new(),
        Value::Float(f) => plain_float(*f),
        Value::Integer(i) => i.to_string(),
        Value::Unsigned(u) => u.to_string(),
        Value::String(s) => s.clone(),
        Value::Boolean(b) => if *b { "true" } else { "false" }.to_owned(),
        Value::Time(ns) => epoch.map_or(*ns, |unit| unit.convert(*ns)).to_string(),
    }
}

/// 1.x's `models.NewTags(tags).HashKey()` without its leading comma: `k=v,k=v`, sorted,
/// tags with empty values left out, and `,` ` ` `=` backslash-escaped when any tag needs it.
fn tags_key(tags: &BTreeMap<String, String>) -> String {
    let mut key = String::new();
    for (k, v) in tags {
        if v.is_empty() {
            continue;
        }
        if !key.is_empty() {
            key.push(',');
        }
        escape_tag(&mut key, k);
        key.push('=');
        escape_tag(&mut key, v);
    }
    key
}

fn escape_tag(out: &mut String, s: &str) {
    for c in s.chars() {
        if matches!(c, ',' | ' ' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// One record as Go's `csv.Writer` (comma `,`, `\n` line ends) writes it.
fn write_record(out: &mut String, fields: &[String]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if needs_quotes(field) {
            out.push('"');
            for c in field.chars() {
                if c == '"' {
                    out.push_str("\"\"");
                } else {
                    out.push(c);
                }
            }
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push('\n');
}

/// Go's `fieldNeedsQuotes`: a comma, quote, CR or LF anywhere, a leading space (Unicode), or
/// the field `\.`.
fn needs_quotes(field: &str) -> bool {
    if field.is_empty() {
        return false;
    }
    field == r"\."
        || field.contains([',', '"', '\r', '\n'])
        || field.chars().next().is_some_and(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::Series;

    fn series(
        name: &str,
        tags: &[(&str, &str)],
        columns: &[&str],
        rows: Vec<Vec<Value>>,
    ) -> Series {
        Series {
            name: Some(name.to_owned()),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            values: rows,
            partial: false,
        }
    }

    fn csv(results: &[StatementResult], epoch: Option<Epoch>) -> String {
        let mut out = String::new();
        CsvState::default().write_results(&mut out, results, epoch);
        out
    }

    #[test]
    fn quoting_as_go() {
        let mut out = String::new();
        let fields: Vec<String> = [
            "a", "", "b,c", "q\"q", " lead", "x y", "\\.", "l\nf", "\u{a0}nb",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        write_record(&mut out, &fields);
        assert_eq!(
            out,
            "a,,\"b,c\",\"q\"\"q\",\" lead\",x y,\"\\.\",\"l\nf\",\"\u{a0}nb\"\n"
        );
    }

    #[test]
    fn tags_rendered_as_hash_key() {
        let tags: BTreeMap<String, String> = [("b", "2"), ("a", "x y"), ("c", ""), ("d=", "v,w")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(tags_key(&tags), r"a=x\ y,b=2,d\==v\,w");
        assert_eq!(tags_key(&BTreeMap::new()), "");
    }

    #[test]
    fn header_per_statement_and_column_change() {
        let results = vec![
            StatementResult {
                statement_id: 0,
                series: vec![
                    series(
                        "cpu",
                        &[("host", "a")],
                        &["time", "v"],
                        vec![vec![Value::Time(1_000_000_000), Value::Float(1.5)]],
                    ),
                    series(
                        "cpu",
                        &[("host", "b")],
                        &["time", "v"],
                        vec![vec![Value::Time(2_000_000_000), Value::Null]],
                    ),
                    series(
                        "mem",
                        &[],
                        &["time", "w", "ok"],
                        vec![vec![
                            Value::Time(-1),
                            Value::Unsigned(u64::MAX),
                            Value::Boolean(true),
                        ]],
                    ),
                ],
                ..StatementResult::default()
            },
            StatementResult::error(1, "ignored in CSV"),
            StatementResult {
                statement_id: 2,
                series: vec![series(
                    "m",
                    &[],
                    &["name"],
                    vec![vec![Value::String("a,b".into())]],
                )],
                ..StatementResult::default()
            },
        ];
        assert_eq!(
            csv(&results, None),
            "name,tags,time,v\ncpu,host=a,1000000000,1.5\ncpu,host=b,2000000000,\n\n\
             name,tags,time,w,ok\nmem,,-1,18446744073709551615,true\n\n\
             name,tags,name\nm,,\"a,b\"\n"
        );
        assert_eq!(
            csv(&results[..1], Some(Epoch::Second)),
            "name,tags,time,v\ncpu,host=a,1,1.5\ncpu,host=b,2,\n\n\
             name,tags,time,w,ok\nmem,,0,18446744073709551615,true\n"
        );
    }

    #[test]
    fn state_spans_chunks() {
        let chunk = |rows: Vec<Vec<Value>>, partial| StatementResult {
            statement_id: 0,
            series: vec![series("cpu", &[], &["time", "v"], rows)],
            partial,
            ..StatementResult::default()
        };
        let mut state = CsvState::default();
        let mut out = String::new();
        state.write_results(
            &mut out,
            &[chunk(vec![vec![Value::Time(1), Value::Integer(1)]], true)],
            None,
        );
        state.write_results(
            &mut out,
            &[chunk(vec![vec![Value::Time(2), Value::Integer(2)]], false)],
            None,
        );
        state.write_results(
            &mut out,
            &[StatementResult {
                statement_id: 1,
                ..StatementResult::default()
            }],
            None,
        );
        assert_eq!(out, "name,tags,time,v\ncpu,,1,1\ncpu,,2,2\n");
    }

    #[test]
    fn error_body() {
        let mut out = String::new();
        error_document(
            &mut out,
            "error parsing query: found SELEC, expected SELECT at line 1, char 1",
        );
        assert_eq!(
            out,
            "error\n\"error parsing query: found SELEC, expected SELECT at line 1, char 1\"\n"
        );
        let mut out = String::new();
        error_document(&mut out, "plain");
        assert_eq!(out, "error\nplain\n");
    }
}
