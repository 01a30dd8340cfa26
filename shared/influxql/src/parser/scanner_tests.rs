//! The scanner's unit tests: tokens, positions and literals as 1.x's scanner gives them.

use super::*;

fn first(s: &str) -> (Tok, u32, u32, String) {
    let t = Scanner::new(s).scan();
    (t.tok, t.pos.line, t.pos.char, t.lit)
}

#[test]
fn scans_tokens_as_1x() {
    let cases: &[(&str, Tok, &str)] = &[
        ("", Tok::Eof, ""),
        ("#", Tok::Illegal, "#"),
        (" ", Tok::Ws, " "),
        ("\t", Tok::Ws, "\t"),
        ("\n", Tok::Ws, "\n"),
        ("\r", Tok::Ws, "\n"),
        ("\r\n", Tok::Ws, "\n"),
        ("\rX", Tok::Ws, "\n"),
        ("+", Tok::Add, ""),
        ("-", Tok::Sub, ""),
        ("*", Tok::Mul, ""),
        ("/", Tok::Div, ""),
        ("%", Tok::Mod, ""),
        ("&", Tok::BitAnd, ""),
        ("|", Tok::BitOr, ""),
        ("^", Tok::BitXor, ""),
        ("AND", Tok::And, ""),
        ("and", Tok::And, ""),
        ("OR", Tok::Or, ""),
        ("=", Tok::Eq, ""),
        ("<>", Tok::Neq, ""),
        ("! ", Tok::Illegal, "!"),
        ("<", Tok::Lt, ""),
        ("<=", Tok::Lte, ""),
        (">", Tok::Gt, ""),
        (">=", Tok::Gte, ""),
        ("=~", Tok::EqRegex, ""),
        ("!~", Tok::NeqRegex, ""),
        ("(", Tok::LParen, ""),
        (")", Tok::RParen, ""),
        (",", Tok::Comma, ""),
        (";", Tok::Semicolon, ""),
        (".", Tok::Dot, ""),
        ("::", Tok::DoubleColon, ""),
        (":", Tok::Colon, ""),
        ("foo", Tok::Ident, "foo"),
        ("_foo", Tok::Ident, "_foo"),
        ("Zx12_3U_-", Tok::Ident, "Zx12_3U_"),
        ("\"foo\"", Tok::Ident, "foo"),
        ("\"foo\\\\bar\"", Tok::Ident, "foo\\bar"),
        ("\"foo\\bar\"", Tok::BadEscape, "\\b"),
        ("\"foo\\\"bar\\\"\"", Tok::Ident, "foo\"bar\""),
        ("test\"", Tok::BadString, ""),
        ("\"test", Tok::BadString, "test"),
        ("$host", Tok::BoundParam, "$host"),
        ("$\"host param\"", Tok::BoundParam, "$host param"),
        ("true", Tok::True, ""),
        ("false", Tok::False, ""),
        ("'testing 123!'", Tok::Str, "testing 123!"),
        ("'foo\\nbar'", Tok::Str, "foo\nbar"),
        ("'foo\\\\bar'", Tok::Str, "foo\\bar"),
        ("'test", Tok::BadString, "test"),
        ("'test\nfoo", Tok::BadString, "test"),
        ("'test\\g'", Tok::BadEscape, "\\g"),
        ("100", Tok::Integer, "100"),
        ("100.23", Tok::Number, "100.23"),
        (".23", Tok::Number, ".23"),
        ("10.3s", Tok::Number, "10.3"),
        ("10u", Tok::DurationVal, "10u"),
        ("10µ", Tok::DurationVal, "10µ"),
        ("10ms", Tok::DurationVal, "10ms"),
        ("1s", Tok::DurationVal, "1s"),
        ("10m", Tok::DurationVal, "10m"),
        ("10h", Tok::DurationVal, "10h"),
        ("10d", Tok::DurationVal, "10d"),
        ("10w", Tok::DurationVal, "10w"),
        ("10x", Tok::DurationVal, "10x"),
        ("1h30m", Tok::DurationVal, "1h30m"),
        ("ALL", Tok::Kw(Kw::All), ""),
        ("select", Tok::Kw(Kw::Select), ""),
        ("seLECT", Tok::Kw(Kw::Select), ""),
        ("WRITE", Tok::Kw(Kw::Write), ""),
        ("explain", Tok::Kw(Kw::Explain), ""),
        ("verbose", Tok::Ident, "verbose"),
        ("-- comment", Tok::Comment, ""),
        ("/* comment */", Tok::Comment, ""),
        ("/* unterminated", Tok::Illegal, ""),
    ];
    for (s, tok, lit) in cases {
        let (t, _, _, l) = first(s);
        assert_eq!((t, l.as_str()), (*tok, *lit), "{s:?}");
    }
    // positions as 1.x computes them
    assert_eq!(first("\"foo\\bar\"").2, 5);
    assert_eq!(first("test\"").2, 3);
    assert_eq!(first("'test\\g'").2, 6);
}

#[test]
fn end_of_input_counts_once_consumed() {
    let mut s = Scanner::new("SELECT");
    assert_eq!(s.scan().tok, Tok::Kw(Kw::Select));
    let eof = s.scan();
    assert_eq!((eof.tok, eof.pos.char), (Tok::Eof, 7));
    let mut s = Scanner::new("a\nbc");
    assert_eq!(s.scan().lit, "a");
    assert_eq!(s.scan().tok, Tok::Ws);
    let t = s.scan();
    assert_eq!((t.lit.as_str(), t.pos.line, t.pos.char), ("bc", 1, 0));
}

#[test]
fn regex_literals() {
    let mut s = Scanner::new("/a\\/b\\d/ x");
    let t = s.scan_regex();
    assert_eq!((t.tok, t.lit.as_str()), (Tok::Regex, "a/b\\d"));
    let mut s = Scanner::new("/abc");
    assert_eq!(s.scan_regex().tok, Tok::BadRegex);
    let mut s = Scanner::new("/a\nb/");
    assert_eq!(s.scan_regex().tok, Tok::BadRegex);
}

#[test]
fn lookup_keywords() {
    assert_eq!(lookup("from"), Tok::Kw(Kw::From));
    assert_eq!(lookup("True"), Tok::True);
    assert_eq!(lookup("cpu"), Tok::Ident);
    assert_eq!(lookup("sélect"), Tok::Ident);
}
