//! How 1.x writes identifiers and literals: the quoting and number formats `display` prints
//! with (and the parser's error messages quote with).
//!
//! ```text
//! identifier ──► bare when [A-Za-z_][A-Za-z0-9_]* and not a keyword, else "…" escaped
//! string ──► '…' with \' \\ \n        float ──► three decimals when exact, else shortest
//! ```

use crate::parser::scanner_lookup_is_keyword;

/// True if `ident` must be written in double quotes (not a bare word, or a keyword).
pub fn ident_needs_quotes(ident: &str) -> bool {
    if scanner_lookup_is_keyword(ident) {
        return true;
    }
    ident.chars().enumerate().any(|(i, c)| {
        if i == 0 {
            !(c.is_ascii_alphabetic() || c == '_')
        } else {
            !(c.is_ascii_alphanumeric() || c == '_')
        }
    })
}

fn escape_into(out: &mut String, s: &str, quote: char) {
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// An identifier as 1.x writes it: bare when possible, else `"…"` with `\"`, `\\`, `\n`.
pub fn quote_ident(ident: &str) -> String {
    quote_segments(&[ident])
}

/// Dotted segments as 1.x's `QuoteIdent(a, b, c)` writes them (`"db"."rp".m`, `"db"..m`).
pub fn quote_segments<S: AsRef<str>>(segments: &[S]) -> String {
    let mut out = String::new();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        let segment = segment.as_ref();
        let quote = ident_needs_quotes(segment)
            || (i < last && !segment.is_empty())
            || ((i == 0 || i == last) && segment.is_empty());
        if quote {
            out.push('"');
        }
        escape_into(&mut out, segment, '"');
        if quote {
            out.push('"');
        }
        if i < last {
            out.push('.');
        }
    }
    out
}

/// A string literal as 1.x writes it: `'…'` with `\'`, `\\`, `\n`.
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    escape_into(&mut out, s, '\'');
    out.push('\'');
    out
}

/// A float literal: 1.x's three decimals when they are exact, else the shortest exact digits.
pub fn format_number(v: f64) -> String {
    let three = format!("{v:.3}");
    if three.parse::<f64>().ok() == Some(v) {
        three
    } else {
        format!("{v}")
    }
}

pub(crate) fn format_fill_float(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('.') { s } else { format!("{s}.0") }
}
