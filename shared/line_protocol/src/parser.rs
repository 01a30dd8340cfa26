//! The line parser: one forward pass over the body, slices into it, exact per-line errors.

use crate::error::{LineError, ParseErrorKind, quote};
use crate::number::{
    NumberError, TimestampError, fast_field_number, parse_number_token, parse_timestamp,
};
use crate::scan::{
    END_KEY, END_MEASUREMENT, END_TAG_VALUE, StringScan, ends_value, is_eol, logical_line_end,
    physical_line_end, scan_identifier, scan_string, scan_value,
};
use crate::types::{EscapeKind, EscapedStr, FieldValue, ParsedLine};

/// The series key of a line (its measurement and tag set as written), as seen by
/// [`LineParser::next_into_cached`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKey<'a> {
    /// The key could not be cut out (it holds a backslash, or the line has no space).
    None,
    /// The caller knew the key: the tag set was not parsed.
    Known(&'a str),
    /// The caller did not know the key: the line was parsed fully.
    New(&'a str),
}

/// Parses a body of line protocol, line by line. Blank lines, whitespace-only lines and `#`
/// comment lines are skipped; after a bad line it resumes at the next one.
///
/// [`LineParser::next_into`] reuses one [`ParsedLine`] (no allocation per line once its vectors
/// have grown); the [`Iterator`] impl allocates a fresh one per line.
#[derive(Debug, Clone)]
pub struct LineParser<'a> {
    input: &'a str,
    /// Where the next line starts.
    pos: usize,
    /// 1-based physical line number at `pos`.
    line_number: usize,
    /// Raw text of the line returned last (start, end), terminator excluded.
    last_line: (usize, usize),
}

/// Shorthand for `LineParser::new(input)`.
pub fn parse_lines(input: &str) -> LineParser<'_> {
    LineParser::new(input)
}

impl<'a> LineParser<'a> {
    /// A parser over a whole request body.
    pub fn new(input: &'a str) -> Self {
        Self {
            input,
            pos: 0,
            line_number: 1,
            last_line: (0, 0),
        }
    }

    /// The raw text of the line returned last (good or bad), without its line terminator;
    /// empty before the first line. May span several physical lines when a string field value
    /// holds a newline.
    pub fn last_line(&self) -> &'a str {
        &self.input[self.last_line.0..self.last_line.1]
    }

    /// Parses the next line into `out`, reusing its vectors. `None` at the end of the input.
    /// After an error the contents of `out` are unspecified (partly filled).
    pub fn next_into(&mut self, out: &mut ParsedLine<'a>) -> Option<Result<(), LineError>> {
        self.next_line(out, None::<&mut fn(&'a str) -> bool>)
            .map(|(result, _)| result)
    }

    /// [`Self::next_into`] for callers that cache what they derive from a series key (the
    /// measurement and tag set as written). When the line's series key holds no backslash and
    /// ends at a space (so it is exactly the text from the line start to its first space),
    /// `known` is asked about it: when it answers true the tag set is not parsed (`out.tags`
    /// stays empty; the key is byte-identical to one the caller saw parsed, so it would parse
    /// the same) and the key comes back as [`SeriesKey::Known`]; otherwise the line is parsed
    /// fully and the key comes back as [`SeriesKey::New`]. Lines whose key cannot be cut out
    /// this way come back with [`SeriesKey::None`].
    pub fn next_into_cached(
        &mut self,
        out: &mut ParsedLine<'a>,
        mut known: impl FnMut(&'a str) -> bool,
    ) -> Option<(Result<(), LineError>, SeriesKey<'a>)> {
        self.next_line(out, Some(&mut known))
    }

    fn next_line<F: FnMut(&'a str) -> bool>(
        &mut self,
        out: &mut ParsedLine<'a>,
        known: Option<&mut F>,
    ) -> Option<(Result<(), LineError>, SeriesKey<'a>)> {
        let bytes = self.input.as_bytes();
        let start = self.skip_blank_and_comment_lines()?;
        let line_number = self.line_number;
        out.line_number = line_number;
        out.tags.clear();
        out.fields.clear();
        out.timestamp = None;

        let mut string_newlines = 0;
        let mut series = SeriesKey::None;
        let (end, result) = match parse_line(
            self.input,
            start,
            out,
            &mut string_newlines,
            known,
            &mut series,
        ) {
            Ok(end) => (end, Ok(())),
            Err(kind) => {
                let end = logical_line_end(bytes, start);
                string_newlines = memchr::memchr_iter(b'\n', &bytes[start..end]).count();
                (end, Err(LineError { line_number, kind }))
            }
        };
        self.last_line = (start, end);
        self.line_number += string_newlines;
        let mut next = end;
        if bytes.get(next) == Some(&b'\r') {
            next += 1;
        }
        if bytes.get(next) == Some(&b'\n') {
            next += 1;
            self.line_number += 1;
        }
        self.pos = next;
        Some((result, series))
    }

    /// Moves `pos` over blank, whitespace-only and comment lines; returns the start of the next
    /// line with content, or `None` at the end of the input.
    fn skip_blank_and_comment_lines(&mut self) -> Option<usize> {
        let bytes = self.input.as_bytes();
        loop {
            let mut p = self.pos;
            while p < bytes.len() && matches!(bytes[p], b' ' | b'\t') {
                p += 1;
            }
            let line_end = match bytes.get(p) {
                None => {
                    self.pos = p;
                    return None;
                }
                Some(b'#') => physical_line_end(bytes, p),
                Some(_) if is_eol(bytes, p) => p,
                Some(_) => {
                    self.pos = p;
                    return Some(p);
                }
            };
            let next_nl = memchr::memchr(b'\n', &bytes[line_end..]);
            match next_nl {
                Some(i) => {
                    self.pos = line_end + i + 1;
                    self.line_number += 1;
                }
                None => {
                    self.pos = bytes.len();
                    return None;
                }
            }
        }
    }
}

impl<'a> Iterator for LineParser<'a> {
    type Item = Result<ParsedLine<'a>, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut line = ParsedLine::default();
        self.next_into(&mut line).map(|r| r.map(|()| line))
    }
}

/// Parses the line starting at `start` (a non-blank, non-comment line) into `out`. Returns the
/// position of its end (line terminator or input end). `string_newlines` receives the number
/// of raw newlines inside quoted string values.
#[inline(always)]
fn parse_line<'a, F: FnMut(&'a str) -> bool>(
    input: &'a str,
    start: usize,
    out: &mut ParsedLine<'a>,
    string_newlines: &mut usize,
    known: Option<&mut F>,
    series: &mut SeriesKey<'a>,
) -> Result<usize, ParseErrorKind> {
    let bytes = input.as_bytes();

    // measurement
    let (end, backslash) = scan_identifier(bytes, start, END_MEASUREMENT);
    if end == start {
        return Err(ParseErrorKind::InvalidMeasurement);
    }
    out.measurement = EscapedStr::new(&input[start..end], EscapeKind::Identifier, backslash);
    let mut pos = end;

    // series key: without a backslash the tag set ends at the first space, so the text up to
    // it is the whole key; a key the caller already knows is not parsed again.
    if let Some(known) = known
        && !backslash
        && let Some(i) = memchr::memchr3(b' ', b'\\', b'\n', &bytes[end..])
        && bytes[end + i] == b' '
    {
        let key = &input[start..end + i];
        if known(key) {
            *series = SeriesKey::Known(key);
            pos = end + i;
        } else {
            *series = SeriesKey::New(key);
        }
    }

    // tag set
    while bytes.get(pos) == Some(&b',') {
        let key_start = pos + 1;
        let (key_end, key_backslash) = scan_identifier(bytes, key_start, END_KEY);
        if key_end == key_start {
            return Err(ParseErrorKind::EmptyTagKey {
                rest: rest_of_line(input, key_start),
            });
        }
        let raw_key = &input[key_start..key_end];
        if bytes.get(key_end) != Some(&b'=') {
            return Err(ParseErrorKind::TagWithoutValue {
                key: quote(raw_key),
            });
        }
        let value_start = key_end + 1;
        let (value_end, value_backslash) = scan_identifier(bytes, value_start, END_TAG_VALUE);
        if value_end == value_start {
            return Err(ParseErrorKind::TagWithoutValue {
                key: quote(raw_key),
            });
        }
        out.tags.push((
            EscapedStr::new(raw_key, EscapeKind::Identifier, key_backslash),
            EscapedStr::new(
                &input[value_start..value_end],
                EscapeKind::Identifier,
                value_backslash,
            ),
        ));
        pos = value_end;
    }

    // field set: the measurement or last tag value stopped at a space or the line end
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    if is_eol(bytes, pos) {
        return Err(ParseErrorKind::NoFields);
    }
    loop {
        let key_start = pos;
        let (key_end, key_backslash) = scan_identifier(bytes, key_start, END_KEY);
        if key_end == key_start {
            return Err(ParseErrorKind::EmptyFieldKey {
                rest: rest_of_line(input, key_start),
            });
        }
        let raw_key = &input[key_start..key_end];
        if bytes.get(key_end) != Some(&b'=') {
            return Err(ParseErrorKind::FieldWithoutValue {
                key: quote(raw_key),
            });
        }
        let value_start = key_end + 1;
        let (value, value_end) = match bytes.get(value_start) {
            Some(b'0'..=b'9' | b'-') => match fast_field_number(bytes, value_start) {
                Some(parsed) => parsed,
                None => parse_unquoted_value(input, value_start, raw_key)?,
            },
            Some(b'"') => parse_string_value(input, value_start, raw_key, string_newlines)?,
            _ => parse_unquoted_value(input, value_start, raw_key)?,
        };
        out.fields.push((
            EscapedStr::new(raw_key, EscapeKind::Identifier, key_backslash),
            value,
        ));
        pos = value_end;
        match bytes.get(pos) {
            Some(b',') => pos += 1,
            Some(b' ') => break,
            _ => return Ok(pos), // every value parser stops only at `,`, space or the line end
        }
    }

    // timestamp
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    if is_eol(bytes, pos) {
        return Ok(pos);
    }
    match parse_timestamp(bytes, pos) {
        Ok((timestamp, end)) => {
            out.timestamp = Some(timestamp);
            pos = end;
        }
        Err((error, end)) => {
            let value = quote(&input[pos..end]);
            return Err(match error {
                TimestampError::Invalid => ParseErrorKind::InvalidTimestamp { value },
                TimestampError::OutOfRange => ParseErrorKind::TimestampOutOfRange { value },
            });
        }
    }
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    if is_eol(bytes, pos) {
        Ok(pos)
    } else {
        Err(ParseErrorKind::TextAfterTimestamp {
            rest: rest_of_line(input, pos),
        })
    }
}

/// A quoted string value; `start` is at the opening quote.
#[inline]
fn parse_string_value<'a>(
    input: &'a str,
    start: usize,
    raw_key: &str,
    string_newlines: &mut usize,
) -> Result<(FieldValue<'a>, usize), ParseErrorKind> {
    let bytes = input.as_bytes();
    match scan_string(bytes, start + 1) {
        StringScan::Closed {
            end,
            backslash,
            newlines,
        } => {
            if !ends_value(bytes, end + 1) {
                return Err(ParseErrorKind::TextAfterString {
                    key: quote(raw_key),
                    rest: rest_of_line(input, end + 1),
                });
            }
            *string_newlines += newlines;
            let raw = &input[start + 1..end];
            Ok((
                FieldValue::String(EscapedStr::new(raw, EscapeKind::StringValue, backslash)),
                end + 1,
            ))
        }
        StringScan::Unterminated => Err(ParseErrorKind::UnterminatedString {
            key: quote(raw_key),
        }),
    }
}

/// Any unquoted value the fast path did not take: booleans, floats, long or malformed numbers.
#[cold]
fn parse_unquoted_value<'a>(
    input: &'a str,
    start: usize,
    raw_key: &str,
) -> Result<(FieldValue<'a>, usize), ParseErrorKind> {
    let end = scan_value(input.as_bytes(), start);
    let token = &input[start..end];
    let key = || quote(raw_key);
    let value = || quote(token);
    let parsed = match token.as_bytes().first() {
        None => return Err(ParseErrorKind::FieldWithoutValue { key: key() }),
        Some(b't' | b'T' | b'f' | b'F') => match token {
            "t" | "T" | "true" | "True" | "TRUE" => FieldValue::Bool(true),
            "f" | "F" | "false" | "False" | "FALSE" => FieldValue::Bool(false),
            _ => {
                return Err(ParseErrorKind::InvalidBoolean {
                    key: key(),
                    value: value(),
                });
            }
        },
        Some(b'0'..=b'9' | b'-' | b'+' | b'.') => {
            parse_number_token(token).map_err(|error| number_error(error, key(), value()))?
        }
        Some(_) => {
            return Err(ParseErrorKind::InvalidFieldValue {
                key: key(),
                value: value(),
            });
        }
    };
    Ok((parsed, end))
}

fn number_error(error: NumberError, key: String, value: String) -> ParseErrorKind {
    match error {
        NumberError::InvalidInteger => ParseErrorKind::InvalidInteger { key, value },
        NumberError::IntegerOutOfRange => ParseErrorKind::IntegerOutOfRange { key, value },
        NumberError::InvalidUnsigned => ParseErrorKind::InvalidUnsigned { key, value },
        NumberError::UnsignedOutOfRange => ParseErrorKind::UnsignedOutOfRange { key, value },
        NumberError::InvalidFloat => ParseErrorKind::InvalidFloat { key, value },
        NumberError::FloatOutOfRange => ParseErrorKind::FloatOutOfRange { key, value },
    }
}

/// The rest of the physical line from `pos`, quoted for an error message.
fn rest_of_line(input: &str, pos: usize) -> String {
    quote(&input[pos..physical_line_end(input.as_bytes(), pos)])
}
