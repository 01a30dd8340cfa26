//! The writer: owned points and borrowed pieces → escaped line protocol text.

use std::fmt::Write as _;

use thiserror::Error;

use crate::types::{FieldValue, ParsedLine};

/// A field value that owns its string.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedFieldValue {
    /// Written as the shortest decimal that reads back as the same `f64`.
    F64(f64),
    /// Written with an `i` suffix.
    I64(i64),
    /// Written with a `u` suffix.
    U64(u64),
    /// Written as `true` / `false`.
    Bool(bool),
    /// Written double-quoted with `"` and `\` escaped.
    String(String),
}

impl From<f64> for OwnedFieldValue {
    fn from(v: f64) -> Self {
        Self::F64(v)
    }
}
impl From<i64> for OwnedFieldValue {
    fn from(v: i64) -> Self {
        Self::I64(v)
    }
}
impl From<u64> for OwnedFieldValue {
    fn from(v: u64) -> Self {
        Self::U64(v)
    }
}
impl From<bool> for OwnedFieldValue {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<&str> for OwnedFieldValue {
    fn from(v: &str) -> Self {
        Self::String(v.to_owned())
    }
}
impl From<String> for OwnedFieldValue {
    fn from(v: String) -> Self {
        Self::String(v)
    }
}

impl From<&FieldValue<'_>> for OwnedFieldValue {
    fn from(v: &FieldValue<'_>) -> Self {
        match v {
            FieldValue::F64(x) => Self::F64(*x),
            FieldValue::I64(x) => Self::I64(*x),
            FieldValue::U64(x) => Self::U64(*x),
            FieldValue::Bool(x) => Self::Bool(*x),
            FieldValue::String(s) => Self::String(s.unescaped().into_owned()),
        }
    }
}

/// One point with owned, unescaped names and values (tags and fields in the order given).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Point {
    /// Measurement (table) name.
    pub measurement: String,
    /// Tag set.
    pub tags: Vec<(String, String)>,
    /// Field set (must not be empty to be written).
    pub fields: Vec<(String, OwnedFieldValue)>,
    /// Timestamp in the request's precision; `None` lets the server pick "now".
    pub timestamp: Option<i64>,
}

impl Point {
    /// A point with no tags, no fields and no timestamp.
    pub fn new(measurement: impl Into<String>) -> Self {
        Self {
            measurement: measurement.into(),
            ..Self::default()
        }
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Adds a field.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<OwnedFieldValue>) -> Self {
        self.fields.push((key.into(), value.into()));
        self
    }

    /// Sets the timestamp.
    pub fn timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// The unescaped content of a parsed line (its line number is dropped).
    pub fn from_parsed(line: &ParsedLine<'_>) -> Self {
        Self {
            measurement: line.measurement.unescaped().into_owned(),
            tags: line
                .tags
                .iter()
                .map(|(k, v)| (k.unescaped().into_owned(), v.unescaped().into_owned()))
                .collect(),
            fields: line
                .fields
                .iter()
                .map(|(k, v)| (k.unescaped().into_owned(), OwnedFieldValue::from(v)))
                .collect(),
            timestamp: line.timestamp,
        }
    }

    /// Appends this point as one line (without a line terminator) to `out`. On error `out` is
    /// left as it was.
    pub fn write_to(&self, out: &mut String) -> Result<(), WriteError> {
        let mark = out.len();
        let result = self.write_parts(out);
        if result.is_err() {
            out.truncate(mark);
        }
        result
    }

    fn write_parts(&self, out: &mut String) -> Result<(), WriteError> {
        let mut line = LineWriter::new(out, &self.measurement)?;
        for (k, v) in &self.tags {
            line.tag(k, v)?;
        }
        for (k, v) in &self.fields {
            line.field(k, v.as_ref())?;
        }
        line.finish(self.timestamp)
    }

    /// This point as one line of line protocol (no terminator).
    pub fn to_line_protocol(&self) -> Result<String, WriteError> {
        let mut out = String::new();
        self.write_to(&mut out)?;
        Ok(out)
    }
}

impl OwnedFieldValue {
    /// A borrowed view for [`LineWriter::field`].
    pub fn as_ref(&self) -> FieldRef<'_> {
        match self {
            Self::F64(v) => FieldRef::F64(*v),
            Self::I64(v) => FieldRef::I64(*v),
            Self::U64(v) => FieldRef::U64(*v),
            Self::Bool(v) => FieldRef::Bool(*v),
            Self::String(s) => FieldRef::String(s),
        }
    }
}

/// Writes points as `\n`-terminated lines.
pub fn write_points<'p>(points: impl IntoIterator<Item = &'p Point>) -> Result<String, WriteError> {
    let mut out = String::new();
    for point in points {
        point.write_to(&mut out)?;
        out.push('\n');
    }
    Ok(out)
}

/// A field value borrowed from elsewhere (unescaped string).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldRef<'a> {
    /// Float.
    F64(f64),
    /// Signed integer.
    I64(i64),
    /// Unsigned integer.
    U64(u64),
    /// Boolean.
    Bool(bool),
    /// String (unescaped).
    String(&'a str),
}

/// Why a point cannot be written as line protocol.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WriteError {
    /// An empty measurement, tag key, tag value or field key.
    #[error("{what} is empty")]
    Empty {
        /// e.g. "the measurement", "the value of tag 'host'".
        what: String,
    },
    /// A raw newline in a name (only string field values may hold one).
    #[error(
        "{what} contains a newline, which line protocol cannot represent outside string values"
    )]
    Newline {
        /// e.g. "tag key 'a…'".
        what: String,
    },
    /// A measurement starting with `#` (a comment) or a tab (skipped as leading whitespace).
    #[error(
        "measurement '{measurement}' starts with '{first}', which line protocol cannot represent"
    )]
    MeasurementStart {
        /// The measurement.
        measurement: String,
        /// Its first character.
        first: char,
    },
    /// NaN or an infinity.
    #[error(
        "field '{key}' has the non-finite float value {value}, which line protocol cannot represent"
    )]
    NonFinite {
        /// The field key.
        key: String,
        /// `NaN`, `inf` or `-inf`.
        value: String,
    },
    /// A point with no fields.
    #[error("point in measurement '{measurement}' has no fields")]
    NoFields {
        /// The measurement.
        measurement: String,
    },
}

/// Writes one line piece by piece from borrowed, unescaped parts (for tools that do not want
/// to build a [`Point`]). Call [`LineWriter::tag`] before [`LineWriter::field`], then
/// [`LineWriter::finish`]. After an error the text written so far is incomplete.
pub struct LineWriter<'o> {
    out: &'o mut String,
    /// The escaped measurement's span in `out` (for the no-fields error).
    measurement: (usize, usize),
    fields: usize,
}

impl<'o> LineWriter<'o> {
    /// Starts a line with its measurement.
    pub fn new(out: &'o mut String, measurement: &str) -> Result<Self, WriteError> {
        check_name(measurement, || "the measurement".to_owned())?;
        if let Some(first @ ('#' | '\t')) = measurement.chars().next() {
            return Err(WriteError::MeasurementStart {
                measurement: crate::error::quote(measurement),
                first,
            });
        }
        let start = out.len();
        escape_into(out, measurement, b", \\");
        Ok(Self {
            measurement: (start, out.len()),
            out,
            fields: 0,
        })
    }

    /// Appends a tag (must come before the first field).
    pub fn tag(&mut self, key: &str, value: &str) -> Result<&mut Self, WriteError> {
        debug_assert_eq!(self.fields, 0, "tags must be written before fields");
        check_name(key, || "a tag key".to_owned())?;
        check_name(value, || {
            format!("the value of tag '{}'", crate::error::quote(key))
        })?;
        self.out.push(',');
        escape_into(self.out, key, b",= \\");
        self.out.push('=');
        escape_into(self.out, value, b",= \\");
        Ok(self)
    }

    /// Appends a field.
    pub fn field(&mut self, key: &str, value: FieldRef<'_>) -> Result<&mut Self, WriteError> {
        check_name(key, || "a field key".to_owned())?;
        if let FieldRef::F64(v) = value
            && !v.is_finite()
        {
            return Err(WriteError::NonFinite {
                key: crate::error::quote(key),
                value: v.to_string(),
            });
        }
        self.out.push(if self.fields == 0 { ' ' } else { ',' });
        self.fields += 1;
        escape_into(self.out, key, b",= \\");
        self.out.push('=');
        // `write!` into a String cannot fail
        let _ = match value {
            FieldRef::F64(v) => write_f64(self.out, v),
            FieldRef::I64(v) => write!(self.out, "{v}i"),
            FieldRef::U64(v) => write!(self.out, "{v}u"),
            FieldRef::Bool(v) => {
                self.out.push_str(if v { "true" } else { "false" });
                Ok(())
            }
            FieldRef::String(s) => {
                self.out.push('"');
                escape_into(self.out, s, b"\"\\");
                self.out.push('"');
                Ok(())
            }
        };
        Ok(self)
    }

    /// Ends the line with an optional timestamp (no line terminator is written).
    pub fn finish(self, timestamp: Option<i64>) -> Result<(), WriteError> {
        if self.fields == 0 {
            let (start, end) = self.measurement;
            return Err(WriteError::NoFields {
                measurement: crate::error::quote(&self.out[start..end]),
            });
        }
        if let Some(ts) = timestamp {
            let _ = write!(self.out, " {ts}");
        }
        Ok(())
    }
}

fn check_name(name: &str, what: impl Fn() -> String) -> Result<(), WriteError> {
    if name.is_empty() {
        return Err(WriteError::Empty { what: what() });
    }
    if name.contains('\n') {
        return Err(WriteError::Newline {
            what: format!("{} '{}'", what(), crate::error::quote(name)),
        });
    }
    Ok(())
}

/// Appends `text`, putting a backslash before every byte listed in `special`.
fn escape_into(out: &mut String, text: &str, special: &[u8]) {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if special.contains(&b) {
            out.push_str(&text[start..i]);
            out.push('\\');
            start = i;
        }
    }
    out.push_str(&text[start..]);
}

/// Shortest round-trip decimal: plain notation for ordinary magnitudes, exponent notation for
/// very large or small ones (so `1e300` is not written as 301 digits).
fn write_f64(out: &mut String, v: f64) -> std::fmt::Result {
    let magnitude = v.abs();
    if magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) {
        write!(out, "{v}")
    } else {
        write!(out, "{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_escaped_line() {
        let p = Point::new("my meas,ure=x")
            .tag("ta g", "v,a=l\\")
            .field("f", 1.5)
            .field("i", -3i64)
            .field("u", 7u64)
            .field("b", true)
            .field("s", "he said \"hi\"\\\n")
            .timestamp(-5);
        assert_eq!(
            p.to_line_protocol().unwrap(),
            "my\\ meas\\,ure=x,ta\\ g=v\\,a\\=l\\\\ f=1.5,i=-3i,u=7u,b=true,s=\"he said \\\"hi\\\"\\\\\n\" -5"
        );
    }

    #[test]
    fn floats_are_shortest_round_trip() {
        let cases = [
            (2.0, "2"),
            (-0.0, "-0"),
            (0.1, "0.1"),
            (1e300, "1e300"),
            (5e-324, "5e-324"),
            (1.5e-7, "1.5e-7"),
            (123456.789, "123456.789"),
            (f64::MAX, "1.7976931348623157e308"),
        ];
        for (v, want) in cases {
            let mut s = String::new();
            write_f64(&mut s, v).unwrap();
            assert_eq!(s, want);
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
    }

    #[test]
    fn rejects_unrepresentable_points() {
        let cases: Vec<(Point, &str)> = vec![
            (Point::new("m"), "point in measurement 'm' has no fields"),
            (Point::new("").field("f", 1.0), "the measurement is empty"),
            (
                Point::new("m").tag("", "v").field("f", 1.0),
                "a tag key is empty",
            ),
            (
                Point::new("m").tag("k", "").field("f", 1.0),
                "the value of tag 'k' is empty",
            ),
            (Point::new("m").field("", 1.0), "a field key is empty"),
            (
                Point::new("m").field("f", f64::NAN),
                "field 'f' has the non-finite float value NaN, which line protocol cannot represent",
            ),
            (
                Point::new("m").field("f", f64::NEG_INFINITY),
                "field 'f' has the non-finite float value -inf, which line protocol cannot represent",
            ),
            (
                Point::new("#m").field("f", 1.0),
                "measurement '#m' starts with '#', which line protocol cannot represent",
            ),
            (
                Point::new("\tm").field("f", 1.0),
                "measurement '\tm' starts with '\t', which line protocol cannot represent",
            ),
            (
                Point::new("m").tag("a\nb", "v").field("f", 1.0),
                "a tag key 'a\nb' contains a newline, which line protocol cannot represent outside string values",
            ),
        ];
        for (point, message) in cases {
            let mut out = String::from("keep");
            let err = point.write_to(&mut out).unwrap_err();
            assert_eq!(err.to_string(), message);
            assert_eq!(out, "keep", "a failed write leaves the buffer as it was");
        }
    }

    #[test]
    fn write_points_terminates_lines() {
        let points = [
            Point::new("a").field("x", 1i64),
            Point::new("b").field("y", false).timestamp(3),
        ];
        assert_eq!(write_points(&points).unwrap(), "a x=1i\nb y=false 3\n");
    }
}
