//! The parsed form of one line: borrowed slices of the input, unescaped on demand.

use std::borrow::Cow;
use std::fmt;

/// Timestamp precision of a write request: the multiplier that turns a line's timestamp into
/// nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    /// `ns` (v1 also `n`)
    #[default]
    Nanoseconds,
    /// `us` (v1 also `u`)
    Microseconds,
    /// `ms`
    Milliseconds,
    /// `s`
    Seconds,
    /// `m`
    Minutes,
    /// `h`
    Hours,
}

impl Precision {
    /// Nanoseconds per unit.
    pub const fn multiplier(self) -> i64 {
        match self {
            Self::Nanoseconds => 1,
            Self::Microseconds => 1_000,
            Self::Milliseconds => 1_000_000,
            Self::Seconds => 1_000_000_000,
            Self::Minutes => 60_000_000_000,
            Self::Hours => 3_600_000_000_000,
        }
    }
}

/// Which escaping rules apply to a piece of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscapeKind {
    /// Measurement names, tag keys, tag values and field keys: `\,` `\=` `\ ` and `\\` are
    /// escapes; a backslash before any other character is a literal backslash.
    Identifier,
    /// The inside of a quoted string field value: `\"` and `\\` are escapes; a backslash before
    /// any other character is a literal backslash.
    StringValue,
}

/// A piece of the input as written on the wire (still escaped), plus whether it holds any
/// backslash at all — when it does not, [`EscapedStr::unescaped`] borrows without copying.
#[derive(Clone, Copy)]
pub struct EscapedStr<'a> {
    raw: &'a str,
    kind: EscapeKind,
    has_backslash: bool,
}

impl<'a> EscapedStr<'a> {
    /// Wraps `raw`; `has_backslash` must be true when `raw` contains a `\`.
    pub fn new(raw: &'a str, kind: EscapeKind, has_backslash: bool) -> Self {
        debug_assert_eq!(has_backslash, raw.contains('\\'));
        Self {
            raw,
            kind,
            has_backslash,
        }
    }

    /// Wraps `raw`, scanning it for backslashes.
    pub fn from_raw(raw: &'a str, kind: EscapeKind) -> Self {
        Self {
            raw,
            kind,
            has_backslash: memchr::memchr(b'\\', raw.as_bytes()).is_some(),
        }
    }

    /// The bytes exactly as they appeared in the line.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// Which escaping rules apply.
    pub fn kind(&self) -> EscapeKind {
        self.kind
    }

    /// True when the raw text contains a backslash (and so may differ from its unescaped form).
    pub fn has_backslash(&self) -> bool {
        self.has_backslash
    }

    /// The value with escapes removed; borrows when there is nothing to remove.
    pub fn unescaped(&self) -> Cow<'a, str> {
        if !self.has_backslash {
            return Cow::Borrowed(self.raw);
        }
        let escapable: &[u8] = match self.kind {
            EscapeKind::Identifier => b",= \\",
            EscapeKind::StringValue => b"\"\\",
        };
        let bytes = self.raw.as_bytes();
        let mut out = String::with_capacity(bytes.len());
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' && i + 1 < bytes.len() && escapable.contains(&bytes[i + 1]) {
                out.push_str(&self.raw[start..i]);
                start = i + 1; // keep the escaped character, drop the backslash
                i += 2;
            } else {
                i += 1;
            }
        }
        out.push_str(&self.raw[start..]);
        Cow::Owned(out)
    }
}

impl Default for EscapedStr<'_> {
    fn default() -> Self {
        Self {
            raw: "",
            kind: EscapeKind::Identifier,
            has_backslash: false,
        }
    }
}

impl fmt::Debug for EscapedStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.unescaped())
    }
}

impl fmt::Display for EscapedStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.unescaped())
    }
}

impl PartialEq for EscapedStr<'_> {
    fn eq(&self, other: &Self) -> bool {
        if !self.has_backslash && !other.has_backslash {
            return self.raw == other.raw;
        }
        self.unescaped() == other.unescaped()
    }
}

impl Eq for EscapedStr<'_> {}

impl PartialEq<str> for EscapedStr<'_> {
    fn eq(&self, other: &str) -> bool {
        if !self.has_backslash {
            return self.raw == other;
        }
        self.unescaped() == other
    }
}

impl PartialEq<&str> for EscapedStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

/// A field's value as parsed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    /// `1.5`, `1`, `-2e10` (no suffix)
    F64(f64),
    /// `1i`
    I64(i64),
    /// `1u`
    U64(u64),
    /// `t`, `true`, `F`, …
    Bool(bool),
    /// `"…"` — the raw text between the quotes, [`EscapeKind::StringValue`] rules.
    String(EscapedStr<'a>),
}

/// One parsed line. Slices point into the request body; nothing is copied unless unescaped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedLine<'a> {
    /// 1-based line number in the body (blank and comment lines count).
    pub line_number: usize,
    /// Measurement (table) name.
    pub measurement: EscapedStr<'a>,
    /// Tag set in the order written.
    pub tags: Vec<(EscapedStr<'a>, EscapedStr<'a>)>,
    /// Field set in the order written (never empty for a successfully parsed line).
    pub fields: Vec<(EscapedStr<'a>, FieldValue<'a>)>,
    /// Timestamp as written, in the request's precision (not yet multiplied).
    pub timestamp: Option<i64>,
}
