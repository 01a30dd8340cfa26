//! Feeding a request body through the line protocol parser into the converter.

use line_protocol::{LineParser, ParsedLine};

use super::{LineErrorKind, LineRejection, LinesConverter};

impl LinesConverter {
    /// Parses a whole body and converts every valid line. Rejections (parse and conversion
    /// errors) are recorded in line order with the line numbers of this body.
    pub fn write_lp(&mut self, body: &str) {
        let mut parser = LineParser::new(body);
        let mut line = ParsedLine::default();
        while let Some(result) = parser.next_into(&mut line) {
            match result {
                Ok(()) => {
                    self.push_line(&line);
                }
                Err(error) => self.rejections.push(LineRejection {
                    line_number: error.line_number,
                    kind: LineErrorKind::Parse(error.kind),
                }),
            }
        }
    }
}
