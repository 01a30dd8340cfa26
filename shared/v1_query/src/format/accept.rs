//! Choosing the response format from `Accept`, as 1.8's `NewResponseWriter` does.
//!
//! ```text
//! Accept header values ──► split on ',' ──► media types (Go's mime.ParseMediaType rules;
//!   unparsable ones skipped, `*` alone = `*/*`, q from its parameter, bad q = 0)
//!   ──► stable sort by q, highest first ──► first that matches, in 1.x's order:
//!       application/json, application/csv, text/csv, application/x-msgpack
//!   (`*` matches any type or subtype) ──► Format; nothing matches ──► JSON
//! ```

use super::Format;

/// The formats in 1.x's matching order, with the type and subtype they answer to.
const CANDIDATES: [(&str, &str, Format); 4] = [
    ("application", "json", Format::Json),
    ("application", "csv", Format::Csv),
    ("text", "csv", Format::Csv),
    ("application", "x-msgpack", Format::Msgpack),
];

struct Accept {
    kind: String,
    subtype: String,
    q: f64,
}

/// The format for the request's `Accept` header values (each a whole header line).
pub(crate) fn negotiate<'a>(headers: impl IntoIterator<Item = &'a str>) -> Format {
    let mut accepts: Vec<Accept> = headers
        .into_iter()
        .flat_map(|h| h.split(','))
        .filter_map(parse_part)
        .collect();
    accepts.sort_by(|a, b| b.q.total_cmp(&a.q));
    for accept in &accepts {
        for (kind, subtype, format) in CANDIDATES {
            if (accept.kind == "*" || accept.kind == kind)
                && (accept.subtype == "*" || accept.subtype == subtype)
            {
                return format;
            }
        }
    }
    Format::Json
}

fn parse_part(part: &str) -> Option<Accept> {
    let base = part.split(';').next().unwrap_or(part);
    let media = base.trim().to_lowercase();
    let (kind, subtype) = match media.split_once('/') {
        None if media == "*" => ("*".to_owned(), "*".to_owned()),
        None => return None,
        Some((k, s)) if is_token(k) && is_token(s) => (k.to_owned(), s.to_owned()),
        Some(_) => return None,
    };
    let mut rest = &part[base.len()..];
    let mut keys = Vec::new();
    let mut q = None;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let Some((key, value, after)) = media_param(rest) else {
            if rest.trim() == ";" {
                break; // Go ignores one trailing semicolon.
            }
            return None;
        };
        if keys.contains(&key) {
            return None; // Go: duplicate parameter name.
        }
        if key == "q" {
            q = Some(value);
        }
        keys.push(key);
        rest = after;
    }
    let q = q.map_or(1.0, |v| {
        v.parse::<f64>().ok().filter(|q| !q.is_nan()).unwrap_or(0.0)
    });
    Some(Accept { kind, subtype, q })
}

/// `; key=value` (value a token or a quoted string) at the start of `s`, as Go's
/// `consumeMediaParam`.
fn media_param(s: &str) -> Option<(String, String, &str)> {
    let rest = s.trim_start().strip_prefix(';')?.trim_start();
    let key_end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
    if key_end == 0 {
        return None;
    }
    let key = rest[..key_end].to_lowercase();
    let rest = rest[key_end..].trim_start().strip_prefix('=')?.trim_start();
    if let Some(quoted) = rest.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Some((key, value, &quoted[i + 1..])),
                '\\' if chars.peek().is_some_and(|(_, n)| is_tspecial(*n)) => {
                    value.push(chars.next()?.1);
                }
                '\r' | '\n' => return None,
                c => value.push(c),
            }
        }
        return None;
    }
    let end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    Some((key, rest[..end].to_owned(), &rest[end..]))
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// RFC 1521 token characters, as Go's `mime` package accepts them.
fn is_token_char(c: char) -> bool {
    c.is_ascii() && c > ' ' && c != '\u{7f}' && !is_tspecial(c)
}

fn is_tspecial(c: char) -> bool {
    "()<>@,;:\\\"/[]?=".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(h: &str) -> Format {
        negotiate([h])
    }

    #[test]
    fn exact_types() {
        assert_eq!(f("application/json"), Format::Json);
        assert_eq!(f("application/csv"), Format::Csv);
        assert_eq!(f("text/csv"), Format::Csv);
        assert_eq!(f("application/x-msgpack"), Format::Msgpack);
        assert_eq!(f("Text/CSV"), Format::Csv);
        assert_eq!(f("text/html"), Format::Json);
        assert_eq!(f(""), Format::Json);
        assert_eq!(negotiate([]), Format::Json);
    }

    #[test]
    fn wildcards_lists_and_q() {
        assert_eq!(f("*/*"), Format::Json);
        assert_eq!(f("*"), Format::Json);
        assert_eq!(f("text/*"), Format::Csv);
        assert_eq!(f("application/*"), Format::Json);
        assert_eq!(f("text/html, application/x-msgpack"), Format::Msgpack);
        assert_eq!(f("application/json;q=0.5, text/csv"), Format::Csv);
        assert_eq!(
            f("application/json; q=0.9, application/x-msgpack; q=0.95"),
            Format::Msgpack
        );
        assert_eq!(f("text/csv;q=bad, application/json;q=0.1"), Format::Json);
        assert_eq!(f("text/csv;q=0"), Format::Csv);
        assert_eq!(f("text/csv; charset=\"utf-8\"; q=1;"), Format::Csv);
        assert_eq!(f("text/csv;;q=1, application/x-msgpack"), Format::Msgpack);
        assert_eq!(negotiate(["text/plain", "text/csv"]), Format::Csv);
    }
}
