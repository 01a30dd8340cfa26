//! What `POST /api/v3/write_lp` (InfluxDB 3's write API) answers differently from the v1/v2
//! endpoints: rejected lines in InfluxDB 3's error shape. Everything else is the one write
//! pipeline of `http::write`.
//!
//! ```text
//! converter rejections (line number, why) + the body ──► line_errors: per rejected line
//!     {"error_message": why, "line_number": N, "original_line": its first 20 bytes}
//! accept_partial=true  ──► 400 {"error":"partial write of line protocol occurred","data":[…]}
//!                          (the valid lines are written)
//! accept_partial=false ──► 400 {"error":"line protocol parsing error","data":{first bad line}}
//!                          (nothing is written)
//! ```
//!
//! Facts from InfluxDB 3 Core (`influxdb3_server/src/http.rs`, `influxdb3_types/src/write.rs`,
//! v3.10): `original_line` is cut to 20 bytes on a character boundary; the all-or-nothing text
//! was `parsing failed for write_lp endpoint` up to v3.9. Core lists every rejected line; Quiver
//! lists the first 100 (as its v1/v2 messages do), so a body of bad lines cannot make a huge
//! answer.

use schema::LineRejection;
use serde::Serialize;

/// `error` of a partial write (`accept_partial=true`).
pub const PARTIAL_WRITE: &str = "partial write of line protocol occurred";

/// `error` of an all-or-nothing refusal (`accept_partial=false`).
pub const PARSING_ERROR: &str = "line protocol parsing error";

/// Bytes of a rejected line shown in `original_line`.
pub const ORIGINAL_LINE_BYTES: usize = 20;

/// Rejected lines listed in one answer.
pub const MAX_REPORTED_LINES: usize = 100;

/// One rejected line, as InfluxDB 3 reports it (fields in its order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteLpLineError {
    /// Why (the message of Quiver's v1/v2 report, without its `error parsing line N` prefix).
    pub error_message: String,
    /// 1-based physical line number.
    pub line_number: usize,
    /// The line's first [`ORIGINAL_LINE_BYTES`] bytes.
    pub original_line: String,
}

/// The reported lines of `rejections` (in line order, at most [`MAX_REPORTED_LINES`]), their
/// text taken from `body`.
pub fn line_errors(rejections: &[LineRejection], body: &str) -> Vec<WriteLpLineError> {
    let reported = &rejections[..rejections.len().min(MAX_REPORTED_LINES)];
    let mut wanted = reported.iter().map(|r| r.line_number).peekable();
    let mut texts = Vec::with_capacity(reported.len());
    for (index, line) in body.split('\n').enumerate() {
        let number = index + 1;
        while wanted.next_if(|n| *n == number).is_some() {
            texts.push(prefix(line.strip_suffix('\r').unwrap_or(line)));
        }
        if wanted.peek().is_none() {
            break;
        }
    }
    reported
        .iter()
        .enumerate()
        .map(|(i, r)| WriteLpLineError {
            error_message: r.kind.to_string(),
            line_number: r.line_number,
            original_line: texts.get(i).cloned().unwrap_or_default(),
        })
        .collect()
}

/// The first [`ORIGINAL_LINE_BYTES`] bytes of `line`, cut back to a character boundary.
fn prefix(line: &str) -> String {
    let mut end = line.len().min(ORIGINAL_LINE_BYTES);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line[..end].to_owned()
}

#[derive(Serialize)]
struct ErrorBody<T: Serialize> {
    error: &'static str,
    data: T,
}

/// The JSON body of rejected lines: every reported line when `partial`, else the first alone.
pub fn error_body(partial: bool, lines: &[WriteLpLineError]) -> Vec<u8> {
    let json = if partial {
        serde_json::to_vec(&ErrorBody {
            error: PARTIAL_WRITE,
            data: lines,
        })
    } else {
        serde_json::to_vec(&ErrorBody {
            error: PARSING_ERROR,
            data: lines.first(),
        })
    };
    json.unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use schema::LineErrorKind;

    use super::*;

    fn rejection(line_number: usize) -> LineRejection {
        LineRejection {
            line_number,
            kind: LineErrorKind::DuplicateTag { name: "t".into() },
        }
    }

    #[test]
    fn lines_are_found_by_number_and_cut_to_20_bytes() {
        let body =
            "ok v=1\r\nbad line one\n\n  indented,t=1 v=1 123456789012345\nääääääääääää v=1\n";
        let errors = line_errors(&[rejection(2), rejection(4), rejection(5)], body);
        let shown: Vec<(usize, &str)> = errors
            .iter()
            .map(|e| (e.line_number, e.original_line.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (2, "bad line one"),
                (4, "  indented,t=1 v=1 1"),
                (5, "ääääääääää"), // 20 bytes = 10 two-byte characters
            ]
        );
        assert_eq!(
            errors[0].error_message,
            "the tag 't' is specified more than once with conflicting values"
        );
        let many: Vec<LineRejection> = (1..=150).map(rejection).collect();
        assert_eq!(line_errors(&many, "x\n").len(), MAX_REPORTED_LINES);
    }

    #[test]
    fn bodies_have_influxdb_3s_shapes() {
        let lines = vec![
            WriteLpLineError {
                error_message: "No fields were provided".into(),
                line_number: 2,
                original_line: "cpu,host=a val= 123".into(),
            },
            WriteLpLineError {
                error_message: "x".into(),
                line_number: 3,
                original_line: "y".into(),
            },
        ];
        assert_eq!(
            String::from_utf8(error_body(true, &lines)).unwrap(),
            r#"{"error":"partial write of line protocol occurred","data":[{"error_message":"No fields were provided","line_number":2,"original_line":"cpu,host=a val= 123"},{"error_message":"x","line_number":3,"original_line":"y"}]}"#
        );
        assert_eq!(
            String::from_utf8(error_body(false, &lines)).unwrap(),
            r#"{"error":"line protocol parsing error","data":{"error_message":"No fields were provided","line_number":2,"original_line":"cpu,host=a val= 123"}}"#
        );
    }
}
