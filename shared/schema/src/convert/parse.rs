//! Feeding a request body through the line protocol parser into the converter.

use line_protocol::{LineParser, ParsedLine, SeriesKey};

use super::{LineErrorKind, LineRejection, LinesConverter};

impl LinesConverter {
    /// Parses a whole body and converts every valid line. Rejections (parse and conversion
    /// errors) are recorded in line order with the line numbers of this body.
    pub fn write_lp(&mut self, body: &str) {
        let mut parser = LineParser::new(body);
        let mut line = ParsedLine::default();
        self.series.reserve_for_body(body.len());
        loop {
            let mut found = None;
            let series = &self.series;
            let Some((result, key)) = parser.next_into_cached(&mut line, |key| {
                let lookup = series.get(key);
                let hit = lookup.is_ok();
                found = Some(lookup);
                hit
            }) else {
                break;
            };
            match result {
                Ok(()) => match key {
                    SeriesKey::Known(key) | SeriesKey::New(key) => match found {
                        Some(lookup) => self.push_line_with_series(&line, key, lookup),
                        // Not reached: the parser names a key only after asking about it.
                        None => {
                            self.push_line(&line);
                        }
                    },
                    SeriesKey::None => {
                        self.push_line(&line);
                    }
                },
                Err(error) => self.rejections.push(LineRejection {
                    line_number: error.line_number,
                    kind: LineErrorKind::Parse(error.kind),
                }),
            }
        }
    }

    /// [`Self::write_lp`] without the series cache: every line parsed and converted in full
    /// (the reference the cache is tested against).
    #[cfg(test)]
    pub(crate) fn write_lp_uncached(&mut self, body: &str) {
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
