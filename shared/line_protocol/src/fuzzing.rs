//! The property the fuzz target checks, shared with the corpus replay test.

use crate::parser::LineParser;
use crate::types::ParsedLine;
use crate::writer::Point;

/// Arbitrary bytes → (if UTF-8) every line parsed, both parser APIs agreeing, line numbers
/// increasing within the input's physical lines, and every good line surviving
/// write → parse unchanged. Panics on any violation.
#[doc(hidden)]
pub fn check_parse_round_trip(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let physical_lines = memchr::memchr_iter(b'\n', data).count() + 1;
    let allocating: Vec<_> = LineParser::new(text).collect();

    let mut parser = LineParser::new(text);
    let mut line = ParsedLine::default();
    let mut count = 0;
    let mut previous_line_number = 0;
    while let Some(result) = parser.next_into(&mut line) {
        let Some(expected) = allocating.get(count) else {
            panic!("next_into returns more lines than the iterator");
        };
        count += 1;
        let line_number = match (&result, expected) {
            (Ok(()), Ok(expected)) => {
                assert_eq!(&line, expected, "next_into and the iterator disagree");
                line.line_number
            }
            (Err(e), Err(expected)) => {
                assert_eq!(e, expected, "next_into and the iterator disagree");
                e.line_number
            }
            _ => panic!("next_into gave {result:?}, the iterator {expected:?}"),
        };
        assert!(
            line_number > previous_line_number && line_number <= physical_lines,
            "line number {line_number} after {previous_line_number} (input has {physical_lines} lines)"
        );
        previous_line_number = line_number;
        if result.is_ok() {
            assert!(!line.fields.is_empty(), "a good line has fields");
            check_line_round_trip(&line);
        }
    }
    assert_eq!(
        count,
        allocating.len(),
        "next_into and the iterator return the same number of lines"
    );
}

fn check_line_round_trip(line: &ParsedLine<'_>) {
    let point = Point::from_parsed(line);
    let written = match point.to_line_protocol() {
        Ok(text) => text,
        Err(e) => panic!("a parsed line cannot be written: {e}; line {line:?}"),
    };
    let mut reparser = LineParser::new(&written);
    let reparsed = match reparser.next() {
        Some(Ok(reparsed)) => reparsed,
        other => panic!("written line {written:?} does not parse back: {other:?}"),
    };
    assert!(
        reparser.next().is_none(),
        "written line {written:?} parses as more than one line"
    );
    let again = Point::from_parsed(&reparsed);
    assert_eq!(
        again, point,
        "round trip changed the line; written as {written:?}"
    );
    // the writer's output is a fixed point (this also pins float bits such as -0)
    assert_eq!(
        again.to_line_protocol().ok().as_deref(),
        Some(written.as_str())
    );
}
