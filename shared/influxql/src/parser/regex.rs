//! Regex literals: Go `regexp` syntax as written ──► Rust `regex`, errors in Go's words.
//!
//! ```text
//! source (`\/` already unescaped) ──► to_rust_syntax (Go-only forms rewritten:
//!        `{` that starts no repeat is a literal, `\Q…\E`, `[`, `&`, `~` inside classes)
//!   ──► regex_syntax parse (error kinds ──► "error parsing regexp: <Go code>: `<arg>`")
//!   ──► Go's repeat limits (a count over 1000, nested counts multiplying over 1000)
//!   ──► regex::Regex ──► ast::Regex { source, regex }
//! ```

use regex_syntax::ast::{self, Ast, RepetitionKind, RepetitionRange};

use crate::ast::Regex;

/// Compiles a regex literal; the error is 1.x's message (without position).
pub(crate) fn compile(source: &str) -> Result<Regex, String> {
    let pattern = to_rust_syntax(source);
    let mut parser = ast::parse::ParserBuilder::new().nest_limit(250).build();
    let tree = parser
        .parse(&pattern)
        .map_err(|e| ast_error(&pattern, &e))?;
    check_repeats(&tree, &pattern)?;
    let mut translator = regex_syntax::hir::translate::TranslatorBuilder::new().build();
    translator
        .translate(&pattern, &tree)
        .map_err(|e| hir_error(&pattern, &e))?;
    let regex = regex::Regex::new(&pattern).map_err(|e| match e {
        regex::Error::CompiledTooBig(_) => go_error("expression too large", &pattern),
        _ => go_error("invalid or unsupported Perl syntax", &pattern),
    })?;
    Ok(Regex {
        source: source.to_owned(),
        regex,
    })
}

fn go_error(code: &str, arg: &str) -> String {
    format!("error parsing regexp: {code}: `{arg}`")
}

fn span_text<'a>(pattern: &'a str, span: &ast::Span) -> &'a str {
    pattern
        .get(span.start.offset..span.end.offset)
        .unwrap_or("")
}

fn ast_error(pattern: &str, e: &ast::Error) -> String {
    use ast::ErrorKind as K;
    let span = span_text(pattern, e.span());
    let from_start = pattern.get(e.span().start.offset..).unwrap_or("");
    match e.kind() {
        K::GroupUnclosed => go_error("missing closing )", pattern),
        K::GroupUnopened => go_error("unexpected )", pattern),
        K::ClassUnclosed => go_error("missing closing ]", from_start),
        K::ClassRangeInvalid | K::ClassRangeLiteral => {
            go_error("invalid character class range", span)
        }
        K::ClassEscapeInvalid
        | K::EscapeHexEmpty
        | K::EscapeHexInvalid
        | K::EscapeHexInvalidDigit
        | K::EscapeUnrecognized
        | K::UnsupportedBackreference => go_error("invalid escape sequence", span),
        K::EscapeUnexpectedEof => go_error("trailing backslash at end of expression", ""),
        K::RepetitionMissing => {
            // the operator: `*`, `+`, `?` or a whole `{n,m}`
            let op = match from_start.chars().next() {
                Some('{') => from_start
                    .find('}')
                    .map_or(from_start, |end| &from_start[..=end]),
                Some(c) => &from_start[..c.len_utf8()],
                None => "",
            };
            go_error("missing argument to repetition operator", op)
        }
        K::RepetitionCountInvalid
        | K::RepetitionCountUnclosed
        | K::RepetitionCountDecimalEmpty
        | K::DecimalEmpty
        | K::DecimalInvalid => go_error("invalid repeat count", span),
        K::GroupNameDuplicate { .. }
        | K::GroupNameEmpty
        | K::GroupNameInvalid
        | K::GroupNameUnexpectedEof => go_error("invalid named capture", from_start),
        K::NestLimitExceeded(_) => go_error("expression nests too deeply", pattern),
        K::CaptureLimitExceeded => go_error("expression too large", pattern),
        K::UnicodeClassInvalid => go_error("invalid character class range", span),
        _ => go_error("invalid or unsupported Perl syntax", span),
    }
}

fn hir_error(pattern: &str, e: &regex_syntax::hir::Error) -> String {
    use regex_syntax::hir::ErrorKind as K;
    let span = pattern
        .get(e.span().start.offset..e.span().end.offset)
        .unwrap_or("");
    match e.kind() {
        K::UnicodePropertyNotFound | K::UnicodePropertyValueNotFound => {
            go_error("invalid character class range", span)
        }
        _ => go_error("invalid or unsupported Perl syntax", span),
    }
}

/// Go refuses a repeat count over 1000, and nested counted repeats whose product exceeds it.
fn check_repeats(tree: &Ast, pattern: &str) -> Result<(), String> {
    // iterative walk: (node, product of the enclosing counted repeats)
    let mut stack: Vec<(&Ast, u64)> = vec![(tree, 1)];
    while let Some((node, outer)) = stack.pop() {
        match node {
            Ast::Repetition(rep) => {
                if let Ast::Repetition(inner) = &*rep.ast {
                    // Perl and Go refuse stacked operators (`a**`, `a{2}{3}`)
                    let text = pattern
                        .get(inner.op.span.start.offset..rep.op.span.end.offset)
                        .unwrap_or("");
                    return Err(go_error("invalid nested repetition operator", text));
                }
                let mut product = outer;
                if let RepetitionKind::Range(range) = &rep.op.kind {
                    let (min, max) = match *range {
                        RepetitionRange::Exactly(n) => (n, Some(n)),
                        RepetitionRange::AtLeast(n) => (n, None),
                        RepetitionRange::Bounded(a, b) => (a, Some(b)),
                    };
                    let count = u64::from(max.unwrap_or(min).max(min));
                    if min > 1000 || max.is_some_and(|m| m > 1000) {
                        return Err(go_error(
                            "invalid repeat count",
                            span_text(pattern, &rep.op.span),
                        ));
                    }
                    product = product.saturating_mul(count.max(1));
                    if product > 1000 {
                        return Err(go_error(
                            "invalid repeat count",
                            span_text(pattern, &rep.op.span),
                        ));
                    }
                }
                stack.push((&rep.ast, product));
            }
            Ast::Group(g) => stack.push((&g.ast, outer)),
            Ast::Alternation(a) => stack.extend(a.asts.iter().map(|x| (x, outer))),
            Ast::Concat(c) => stack.extend(c.asts.iter().map(|x| (x, outer))),
            _ => {}
        }
    }
    Ok(())
}

/// Rewrites the Go-only forms into their Rust equivalents (the rest is common syntax).
fn to_rust_syntax(go: &str) -> String {
    let chars: Vec<char> = go.chars().collect();
    let mut out = String::with_capacity(go.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                match chars.get(i + 1) {
                    Some('Q') => {
                        // \Q…\E: everything literal
                        i += 2;
                        while i < chars.len() {
                            if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                                i += 2;
                                break;
                            }
                            push_literal(&mut out, chars[i]);
                            i += 1;
                        }
                        continue;
                    }
                    Some(&n) => {
                        out.push('\\');
                        out.push(n);
                        i += 2;
                    }
                    None => {
                        out.push('\\');
                        i += 1;
                    }
                }
            }
            '[' => i = copy_class(&chars, i, &mut out),
            '{' => {
                if repeat_len(&chars[i..]).is_some() {
                    out.push('{');
                } else {
                    out.push_str("\\{");
                }
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn push_literal(out: &mut String, c: char) {
    if regex_syntax::is_meta_character(c) {
        out.push('\\');
    }
    out.push(c);
}

/// `{n}`, `{n,}` or `{n,m}` (what Go reads as a repeat; any other `{` is a literal).
fn repeat_len(s: &[char]) -> Option<usize> {
    let mut i = 1;
    let digits = |i: &mut usize| {
        let start = *i;
        while s.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return None;
    }
    if s.get(i) == Some(&',') {
        i += 1;
        digits(&mut i);
    }
    (s.get(i) == Some(&'}')).then_some(i + 1)
}

/// Copies a character class starting at `chars[start] == '['`, escaping what Rust would read
/// as nested classes or set operators; returns the index after it (or the end).
fn copy_class(chars: &[char], start: usize, out: &mut String) -> usize {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        out.push_str("\\]");
        i += 1;
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            ']' => {
                out.push(']');
                return i + 1;
            }
            '\\' => {
                out.push('\\');
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                }
                i += 2;
            }
            '[' if chars.get(i + 1) == Some(&':') => {
                // [:alpha:] passes through
                let rest: String = chars[i..].iter().collect();
                if let Some(end) = rest.find(":]") {
                    let len = rest[..end + 2].chars().count();
                    out.extend(&chars[i..i + len]);
                    i += len;
                } else {
                    out.push_str("\\[");
                    i += 1;
                }
            }
            '[' | '&' | '~' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                out.push_str("\\-");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        compile(s).unwrap_err()
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(err("("), "error parsing regexp: missing closing ): `(`");
        assert_eq!(err("a)"), "error parsing regexp: unexpected ): `a)`");
        assert_eq!(err("x[a"), "error parsing regexp: missing closing ]: `[a`");
        assert_eq!(
            err("a**"),
            "error parsing regexp: invalid nested repetition operator: `**`"
        );
        assert_eq!(
            err("*a"),
            "error parsing regexp: missing argument to repetition operator: `*`"
        );
        assert_eq!(
            err(r"\y"),
            r"error parsing regexp: invalid escape sequence: `\y`"
        );
        assert_eq!(
            err("[z-a]"),
            "error parsing regexp: invalid character class range: `z-a`"
        );
        assert_eq!(
            err("a{1001}"),
            "error parsing regexp: invalid repeat count: `{1001}`"
        );
        assert_eq!(
            err("(a{100}){100}"),
            "error parsing regexp: invalid repeat count: `{100}`"
        );
        assert_eq!(
            err("a\\"),
            "error parsing regexp: trailing backslash at end of expression: ``"
        );
        assert!(
            err("(?=a)").starts_with("error parsing regexp: invalid or unsupported Perl syntax")
        );
    }

    #[test]
    fn go_only_syntax_compiles() {
        for (go, text, matches) in [
            ("a{", "a{", true),
            ("a{2", "xa{2", true),
            ("a{,3}", "a{,3}", true),
            ("a{2}", "aa", true),
            (r"\Qa.b\E", "a.b", true),
            (r"\Qa.b\E", "axb", false),
            ("[[]", "[", true),
            ("[a&&b]", "&", true),
            ("[[:alpha:]]", "q", true),
            ("[]a]", "]", true),
            ("^(cpu|mem)$", "mem", true),
        ] {
            let re = compile(go).unwrap();
            assert_eq!(re.regex.is_match(text), matches, "{go} on {text}");
            assert_eq!(re.source, go);
        }
    }
}
