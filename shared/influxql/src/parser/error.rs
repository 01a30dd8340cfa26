//! `ParseError`: what the parser reports, rendered exactly as 1.x's `ParseError.Error()`.
//!
//! ```text
//! found/expected form ──► "found X, expected A, B at line L, char C"
//! message form        ──► "MESSAGE at line L, char C"
//! plain form (line 0) ──► "MESSAGE"   (1.x's errors without a position: fill(), tz(),
//!                                      ORDER BY, bind parameters, CQ checks)
//! ```
//! The HTTP layer prefixes `error parsing query: `.

use std::fmt;

/// A parse failure, with 1.x's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The message (empty for the found/expected form).
    pub message: String,
    /// The token found (found/expected form).
    pub found: String,
    /// What was expected instead (found/expected form, selected by an empty `message`).
    pub expected: Vec<String>,
    /// 1-based line; 0 for the plain form that 1.x prints without a position.
    pub line: u32,
    /// 1-based character within the line (counted in Unicode scalar values, as 1.x does).
    pub char: u32,
}

/// A zero-based position as 1.x's scanner computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub(crate) line: u32,
    pub(crate) char: u32,
}

impl ParseError {
    /// `found X, expected …` at `pos`.
    pub(crate) fn expected(found: impl Into<String>, expected: &[&str], pos: Pos) -> Self {
        Self {
            message: String::new(),
            found: found.into(),
            expected: expected.iter().map(|s| (*s).to_owned()).collect(),
            line: pos.line.saturating_add(1),
            char: pos.char.saturating_add(1),
        }
    }

    /// `MESSAGE at line L, char C`.
    pub(crate) fn at(message: impl Into<String>, pos: Pos) -> Self {
        Self {
            message: message.into(),
            found: String::new(),
            expected: Vec::new(),
            line: pos.line.saturating_add(1),
            char: pos.char.saturating_add(1),
        }
    }

    /// A message without position (1.x returns a plain error there).
    pub(crate) fn plain(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            found: String::new(),
            expected: Vec::new(),
            line: 0,
            char: 0,
        }
    }

    /// True for the plain form (no position).
    pub fn has_position(&self) -> bool {
        self.line != 0
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.has_position() {
            return f.write_str(&self.message);
        }
        if self.message.is_empty() {
            write!(
                f,
                "found {}, expected {} at line {}, char {}",
                self.found,
                self.expected.join(", "),
                self.line,
                self.char
            )
        } else {
            write!(
                f,
                "{} at line {}, char {}",
                self.message, self.line, self.char
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_three_forms() {
        let pos = Pos { line: 0, char: 24 };
        assert_eq!(
            ParseError::expected("EOF", &["identifier", "string"], pos).to_string(),
            "found EOF, expected identifier, string at line 1, char 25"
        );
        assert_eq!(
            ParseError::at("unable to parse integer", Pos::default()).to_string(),
            "unable to parse integer at line 1, char 1"
        );
        assert_eq!(
            ParseError::plain("fill must be a function call").to_string(),
            "fill must be a function call"
        );
    }
}
