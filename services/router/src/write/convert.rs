//! Step 5: line protocol → Arrow via `schema::ConvertPool` (large bodies on several threads),
//! and the per-line error report.

use std::sync::Arc;

use line_protocol::TimestampUnit;
use schema::{ConvertPool, ConvertedLines, LineRejection};

use super::WriteError;

/// Per-line errors listed in a response; the rest are counted.
pub(super) const MAX_REPORTED_LINE_ERRORS: usize = 100;

/// Converts a whole body with `pool`. Lines without a timestamp get `default_time_ns`;
/// timestamps are in `precision` (or each in its own, guessed: `TimestampUnit::Auto`).
pub(crate) fn convert_body(
    pool: &ConvertPool,
    body: impl Into<Arc<String>>,
    precision: impl Into<TimestampUnit>,
    default_time_ns: i64,
) -> Result<ConvertedLines, WriteError> {
    pool.convert(body.into(), default_time_ns, precision)
        .map_err(WriteError::Convert)
}

/// The 400 for rejected lines. `written` = `None` in all-or-nothing mode (nothing written),
/// `Some(n)` when `n` valid lines were written (partial mode). `rejections` must not be empty.
pub(crate) fn rejection_error(rejections: &[LineRejection], written: Option<usize>) -> WriteError {
    let line = rejections.first().map_or(0, |r| r.line_number);
    let mut message = match written {
        Some(n) => format!(
            "partial write: {n} line(s) written, {} rejected; errors encountered on line(s):",
            rejections.len()
        ),
        None => "no data written, errors encountered on line(s):".to_owned(),
    };
    for rejection in rejections.iter().take(MAX_REPORTED_LINE_ERRORS) {
        message.push('\n');
        message.push_str(&rejection.to_string());
    }
    if rejections.len() > MAX_REPORTED_LINE_ERRORS {
        message.push_str(&format!(
            "\n... and {} more",
            rejections.len() - MAX_REPORTED_LINE_ERRORS
        ));
    }
    WriteError::Rejected { message, line }
}

#[cfg(test)]
mod tests {
    use schema::LineErrorKind;

    use super::*;

    fn rejection(n: usize) -> LineRejection {
        LineRejection {
            line_number: n,
            kind: LineErrorKind::DuplicateTag {
                name: format!("t{n}"),
            },
        }
    }

    #[test]
    fn caps_the_report_at_100_and_counts_the_rest() {
        let rejections: Vec<_> = (1..=103).map(rejection).collect();
        let WriteError::Rejected { message, line } = rejection_error(&rejections, None) else {
            panic!("wrong variant")
        };
        assert_eq!(line, 1);
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 1 + 100 + 1);
        assert_eq!(lines[0], "no data written, errors encountered on line(s):");
        assert_eq!(
            lines[1],
            "error parsing line 1 (1-based): the tag 't1' is specified more than once with conflicting values"
        );
        assert_eq!(
            lines[100],
            "error parsing line 100 (1-based): the tag 't100' is specified more than once with conflicting values"
        );
        assert_eq!(lines[101], "... and 3 more");
    }

    #[test]
    fn partial_message_counts_written_and_rejected() {
        let err = rejection_error(&[rejection(4)], Some(2));
        assert_eq!(
            err.to_string(),
            "partial write: 2 line(s) written, 1 rejected; errors encountered on line(s):\nerror parsing line 4 (1-based): the tag 't4' is specified more than once with conflicting values"
        );
        assert!(
            matches!(err, WriteError::Rejected { line: 4, .. }),
            "{err:?}"
        );
    }
}
