//! Test helpers: a compact rendering of parse results.

use line_protocol::{FieldValue, LineParser, ParsedLine};

/// `measurement | k=v,k=v | f=1i,g=2.5f | ts` with names and strings unescaped; strings in
/// double quotes, floats with an `f` suffix, no timestamp as `-`.
pub(crate) fn render(line: &ParsedLine<'_>) -> String {
    let tags: Vec<String> = line.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let fields: Vec<String> = line
        .fields
        .iter()
        .map(|(k, v)| {
            let value = match v {
                FieldValue::F64(x) => format!("{x:?}f"),
                FieldValue::I64(x) => format!("{x}i"),
                FieldValue::U64(x) => format!("{x}u"),
                FieldValue::Bool(x) => x.to_string(),
                FieldValue::String(s) => format!("\"{s}\""),
            };
            format!("{k}={value}")
        })
        .collect();
    let ts = line.timestamp.map_or("-".to_owned(), |t| t.to_string());
    format!(
        "{} | {} | {} | {ts}",
        line.measurement,
        tags.join(","),
        fields.join(",")
    )
}

/// Every line of `body`: `Ok("line_number: rendered")` or `Err(display of the error)`.
pub(crate) fn parse_all(body: &str) -> Vec<Result<String, String>> {
    LineParser::new(body)
        .map(|r| {
            r.map(|l| format!("{}: {}", l.line_number, render(&l)))
                .map_err(|e| e.to_string())
        })
        .collect()
}
