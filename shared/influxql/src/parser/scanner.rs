//! The lexer: text ──► tokens with 1.x's positions.
//!
//! ```text
//! &str ──► Reader (chars; "\r\n" and "\r" read as "\n"; 3-slot unread ring; line/char)
//!      ──► Scanner::scan        ──► Token { tok, pos, lit }   (whitespace and comments included)
//!      ──► Scanner::scan_regex  ──► Token { REGEX | BADREGEX, pos, lit }  (on the parser's request)
//! ```
//!
//! Positions are what 1.x reports in its errors, including its quirks: a position is the
//! reader's position when the token's first character was read, the end of input counts one
//! character further once a token has consumed it, and a NUL character reads as end of input
//! (1.x's end marker) without stopping the scanner. `peek_char` is 1.x's `peekRune`: it looks
//! at the raw text behind any token the parser has pushed back.

use super::error::Pos;

/// 1.x's end-of-input marker (a NUL in the text reads the same).
pub(crate) const EOF: char = '\0';

macro_rules! keywords {
    ($($variant:ident => $text:literal,)*) => {
        /// The reserved words of InfluxQL 1.x (identifiers spelled like them must be quoted).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Kw {
            $($variant,)*
        }

        impl Kw {
            /// The keyword as 1.x prints it in errors.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Kw::$variant => $text,)*
                }
            }

            fn lookup_upper(upper: &str) -> Option<Kw> {
                match upper {
                    $($text => Some(Kw::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

keywords! {
    All => "ALL",
    Alter => "ALTER",
    Analyze => "ANALYZE",
    Any => "ANY",
    As => "AS",
    Asc => "ASC",
    Begin => "BEGIN",
    By => "BY",
    Cardinality => "CARDINALITY",
    Create => "CREATE",
    Continuous => "CONTINUOUS",
    Database => "DATABASE",
    Databases => "DATABASES",
    Default => "DEFAULT",
    Delete => "DELETE",
    Desc => "DESC",
    Destinations => "DESTINATIONS",
    Diagnostics => "DIAGNOSTICS",
    Distinct => "DISTINCT",
    Drop => "DROP",
    Duration => "DURATION",
    End => "END",
    Every => "EVERY",
    Exact => "EXACT",
    Explain => "EXPLAIN",
    Field => "FIELD",
    For => "FOR",
    From => "FROM",
    Grant => "GRANT",
    Grants => "GRANTS",
    Group => "GROUP",
    Groups => "GROUPS",
    In => "IN",
    Inf => "INF",
    Insert => "INSERT",
    Into => "INTO",
    Key => "KEY",
    Keys => "KEYS",
    Kill => "KILL",
    Limit => "LIMIT",
    Measurement => "MEASUREMENT",
    Measurements => "MEASUREMENTS",
    Name => "NAME",
    Offset => "OFFSET",
    On => "ON",
    Order => "ORDER",
    Password => "PASSWORD",
    Policy => "POLICY",
    Policies => "POLICIES",
    Privileges => "PRIVILEGES",
    Queries => "QUERIES",
    Query => "QUERY",
    Read => "READ",
    Replication => "REPLICATION",
    Resample => "RESAMPLE",
    Retention => "RETENTION",
    Revoke => "REVOKE",
    Select => "SELECT",
    Series => "SERIES",
    Set => "SET",
    Show => "SHOW",
    Shard => "SHARD",
    Shards => "SHARDS",
    Slimit => "SLIMIT",
    Soffset => "SOFFSET",
    Stats => "STATS",
    Subscription => "SUBSCRIPTION",
    Subscriptions => "SUBSCRIPTIONS",
    Tag => "TAG",
    To => "TO",
    User => "USER",
    Users => "USERS",
    Values => "VALUES",
    Where => "WHERE",
    With => "WITH",
    Write => "WRITE",
}

/// A token kind (1.x's `Token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Illegal,
    Eof,
    Ws,
    Comment,
    Ident,
    BoundParam,
    Number,
    Integer,
    DurationVal,
    Str,
    BadString,
    BadEscape,
    True,
    False,
    Regex,
    BadRegex,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitAnd,
    BitOr,
    BitXor,
    And,
    Or,
    Eq,
    Neq,
    EqRegex,
    NeqRegex,
    Lt,
    Lte,
    Gt,
    Gte,
    LParen,
    RParen,
    Comma,
    Colon,
    DoubleColon,
    Semicolon,
    Dot,
    Kw(Kw),
}

impl Tok {
    /// 1.x's `Token.String()` (empty for the kinds its table leaves out).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tok::Illegal => "ILLEGAL",
            Tok::Eof => "EOF",
            Tok::Ws => "WS",
            Tok::Comment | Tok::BoundParam | Tok::BadRegex => "",
            Tok::Ident => "IDENT",
            Tok::Number => "NUMBER",
            Tok::Integer => "INTEGER",
            Tok::DurationVal => "DURATIONVAL",
            Tok::Str => "STRING",
            Tok::BadString => "BADSTRING",
            Tok::BadEscape => "BADESCAPE",
            Tok::True => "TRUE",
            Tok::False => "FALSE",
            Tok::Regex => "REGEX",
            Tok::Add => "+",
            Tok::Sub => "-",
            Tok::Mul => "*",
            Tok::Div => "/",
            Tok::Mod => "%",
            Tok::BitAnd => "&",
            Tok::BitOr => "|",
            Tok::BitXor => "^",
            Tok::And => "AND",
            Tok::Or => "OR",
            Tok::Eq => "=",
            Tok::Neq => "!=",
            Tok::EqRegex => "=~",
            Tok::NeqRegex => "!~",
            Tok::Lt => "<",
            Tok::Lte => "<=",
            Tok::Gt => ">",
            Tok::Gte => ">=",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::DoubleColon => "::",
            Tok::Semicolon => ";",
            Tok::Dot => ".",
            Tok::Kw(k) => k.name(),
        }
    }
}

/// What 1.x's `Lookup` gives for a bare word: a keyword, AND/OR, TRUE/FALSE, or IDENT.
pub(crate) fn lookup(ident: &str) -> Tok {
    // keywords are ASCII: anything else is an identifier
    if ident.is_empty() || ident.len() > 13 || !ident.is_ascii() {
        return Tok::Ident;
    }
    let upper = ident.to_ascii_uppercase();
    match upper.as_str() {
        "AND" => Tok::And,
        "OR" => Tok::Or,
        "TRUE" => Tok::True,
        "FALSE" => Tok::False,
        _ => Kw::lookup_upper(&upper).map_or(Tok::Ident, Tok::Kw),
    }
}

/// One token: kind, position, literal text (unescaped for strings and identifiers).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) pos: Pos,
    pub(crate) lit: String,
}

impl Token {
    fn new(tok: Tok, pos: Pos, lit: impl Into<String>) -> Self {
        Self {
            tok,
            pos,
            lit: lit.into(),
        }
    }

    /// 1.x's `tokstr`: the literal if there is one, else the kind's name.
    pub(crate) fn text(&self) -> &str {
        if self.lit.is_empty() {
            self.tok.name()
        } else {
            &self.lit
        }
    }
}

pub(crate) fn is_whitespace(ch: char) -> bool {
    ch == ' ' || ch == '\t' || ch == '\n'
}

pub(crate) fn is_letter(ch: char) -> bool {
    ch.is_ascii_alphabetic()
}

pub(crate) fn is_digit(ch: char) -> bool {
    ch.is_ascii_digit()
}

pub(crate) fn is_ident_char(ch: char) -> bool {
    is_letter(ch) || is_digit(ch) || ch == '_'
}

/// Characters with line/char positions and a small unread ring.
struct Reader<'a> {
    src: std::str::Chars<'a>,
    pushback: Option<char>,
    ring: [(char, Pos); 3],
    i: usize,
    n: usize,
    pos: Pos,
    eof: bool,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            src: text.chars(),
            pushback: None,
            ring: [(EOF, Pos::default()); 3],
            i: 0,
            n: 0,
            pos: Pos::default(),
            eof: false,
        }
    }

    fn next_source(&mut self) -> Option<char> {
        self.pushback.take().or_else(|| self.src.next())
    }

    fn read(&mut self) -> (char, Pos) {
        if self.n > 0 {
            self.n -= 1;
            return self.curr();
        }
        let ch = match self.next_source() {
            None => EOF,
            Some('\r') => {
                if let Some(next) = self.next_source()
                    && next != '\n'
                {
                    self.pushback = Some(next);
                }
                '\n'
            }
            Some(ch) => ch,
        };
        self.i = (self.i + 1) % self.ring.len();
        self.ring[self.i] = (ch, self.pos);
        if ch == '\n' {
            self.pos.line = self.pos.line.saturating_add(1);
            self.pos.char = 0;
        } else if !self.eof {
            self.pos.char = self.pos.char.saturating_add(1);
        }
        if ch == EOF {
            self.eof = true;
        }
        self.curr()
    }

    fn unread(&mut self) {
        // 1.x never unreads more than two characters; the ring holds three
        self.n = (self.n + 1).min(self.ring.len() - 1);
    }

    fn curr(&self) -> (char, Pos) {
        let len = self.ring.len();
        self.ring[(self.i + len - self.n) % len]
    }

    /// 1.x's `ReadRune`: `None` at the end marker.
    fn read_rune(&mut self) -> Option<char> {
        let (ch, _) = self.read();
        (ch != EOF).then_some(ch)
    }
}

/// The tokenizer over one query text.
pub(crate) struct Scanner<'a> {
    r: Reader<'a>,
}

enum StrErr {
    Bad,
    Escape,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            r: Reader::new(text),
        }
    }

    /// The next character without consuming it (at the end, the end marker *is* consumed,
    /// as in 1.x).
    pub(crate) fn peek_char(&mut self) -> char {
        let (ch, _) = self.r.read();
        if ch != EOF {
            self.r.unread();
        }
        ch
    }

    /// The next token.
    pub(crate) fn scan(&mut self) -> Token {
        let (ch0, pos) = self.r.read();
        if is_whitespace(ch0) {
            return self.scan_whitespace();
        } else if is_letter(ch0) || ch0 == '_' {
            self.r.unread();
            return self.scan_ident(true);
        } else if is_digit(ch0) {
            return self.scan_number();
        }
        let tok = match ch0 {
            EOF => Tok::Eof,
            '"' => {
                self.r.unread();
                return self.scan_ident(true);
            }
            '\'' => return self.scan_string(),
            '.' => {
                let (ch1, _) = self.r.read();
                self.r.unread();
                if is_digit(ch1) {
                    return self.scan_number();
                }
                Tok::Dot
            }
            '$' => {
                let t = self.scan_ident(false);
                let tok = if t.tok == Tok::Ident {
                    Tok::BoundParam
                } else {
                    t.tok
                };
                return Token::new(tok, pos, format!("${}", t.lit));
            }
            '+' => Tok::Add,
            '-' => {
                let (ch1, _) = self.r.read();
                if ch1 == '-' {
                    self.skip_until_newline();
                    Tok::Comment
                } else {
                    self.r.unread();
                    Tok::Sub
                }
            }
            '*' => Tok::Mul,
            '/' => {
                let (ch1, _) = self.r.read();
                if ch1 == '*' {
                    if self.skip_until_end_comment() {
                        Tok::Comment
                    } else {
                        Tok::Illegal
                    }
                } else {
                    self.r.unread();
                    Tok::Div
                }
            }
            '%' => Tok::Mod,
            '&' => Tok::BitAnd,
            '|' => Tok::BitOr,
            '^' => Tok::BitXor,
            '=' => self.pick('~', Tok::EqRegex, Tok::Eq),
            '!' => {
                let (ch1, _) = self.r.read();
                match ch1 {
                    '=' => Tok::Neq,
                    '~' => Tok::NeqRegex,
                    _ => {
                        self.r.unread();
                        return Token::new(Tok::Illegal, pos, "!");
                    }
                }
            }
            '>' => self.pick('=', Tok::Gte, Tok::Gt),
            '<' => {
                let (ch1, _) = self.r.read();
                match ch1 {
                    '=' => Tok::Lte,
                    '>' => Tok::Neq,
                    _ => {
                        self.r.unread();
                        Tok::Lt
                    }
                }
            }
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            ';' => Tok::Semicolon,
            ':' => self.pick(':', Tok::DoubleColon, Tok::Colon),
            other => return Token::new(Tok::Illegal, pos, other.to_string()),
        };
        Token::new(tok, pos, "")
    }

    /// `second` if the next character is `next`, else `first` (the character stays unread).
    fn pick(&mut self, next: char, second: Tok, first: Tok) -> Tok {
        let (ch1, _) = self.r.read();
        if ch1 == next {
            second
        } else {
            self.r.unread();
            first
        }
    }

    fn scan_whitespace(&mut self) -> Token {
        let (ch, pos) = self.r.curr();
        let mut buf = String::new();
        buf.push(ch);
        loop {
            let (ch, _) = self.r.read();
            if ch == EOF {
                break;
            } else if !is_whitespace(ch) {
                self.r.unread();
                break;
            }
            buf.push(ch);
        }
        Token::new(Tok::Ws, pos, buf)
    }

    fn skip_until_newline(&mut self) {
        loop {
            let (ch, _) = self.r.read();
            if ch == '\n' || ch == EOF {
                return;
            }
        }
    }

    /// Skips to `*/`; false when the text ends first.
    fn skip_until_end_comment(&mut self) -> bool {
        loop {
            let (ch1, _) = self.r.read();
            if ch1 == '*' {
                loop {
                    let (ch2, _) = self.r.read();
                    match ch2 {
                        '/' => return true,
                        '*' => continue,
                        EOF => return false,
                        _ => break,
                    }
                }
            } else if ch1 == EOF {
                return false;
            }
        }
    }

    fn scan_ident(&mut self, lookup_keyword: bool) -> Token {
        let (_, pos) = self.r.read();
        self.r.unread();
        let mut buf = String::new();
        loop {
            let (ch, _) = self.r.read();
            if ch == EOF {
                break;
            } else if ch == '"' {
                let t = self.scan_string();
                if matches!(t.tok, Tok::BadString | Tok::BadEscape) {
                    return t;
                }
                return Token::new(Tok::Ident, pos, t.lit);
            } else if is_ident_char(ch) {
                self.r.unread();
                self.scan_bare_ident(&mut buf);
            } else {
                self.r.unread();
                break;
            }
        }
        if lookup_keyword {
            let tok = lookup(&buf);
            if tok != Tok::Ident {
                return Token::new(tok, pos, "");
            }
        }
        Token::new(Tok::Ident, pos, buf)
    }

    fn scan_bare_ident(&mut self, buf: &mut String) {
        while let Some(ch) = self.r.read_rune() {
            if !is_ident_char(ch) {
                self.r.unread();
                break;
            }
            buf.push(ch);
        }
    }

    /// A quoted string or identifier; the opening quote has just been read.
    fn scan_string(&mut self) -> Token {
        self.r.unread();
        let (_, pos) = self.r.curr();
        match self.read_quoted() {
            Ok(lit) => Token::new(Tok::Str, pos, lit),
            Err((StrErr::Bad, lit)) => Token::new(Tok::BadString, pos, lit),
            Err((StrErr::Escape, lit)) => {
                let (_, pos) = self.r.curr();
                Token::new(Tok::BadEscape, pos, lit)
            }
        }
    }

    fn read_quoted(&mut self) -> Result<String, (StrErr, String)> {
        let Some(ending) = self.r.read_rune() else {
            return Err((StrErr::Bad, String::new()));
        };
        let mut buf = String::new();
        loop {
            let (ch0, _) = self.r.read();
            if ch0 == ending {
                return Ok(buf);
            } else if ch0 == EOF || ch0 == '\n' {
                return Err((StrErr::Bad, buf));
            } else if ch0 == '\\' {
                let (ch1, _) = self.r.read();
                match ch1 {
                    'n' => buf.push('\n'),
                    '\\' => buf.push('\\'),
                    '"' => buf.push('"'),
                    '\'' => buf.push('\''),
                    other => return Err((StrErr::Escape, format!("\\{other}"))),
                }
            } else {
                buf.push(ch0);
            }
        }
    }

    /// A `/regex/` literal starting at the next character (`\/` is an escaped slash; other
    /// escapes pass through to the regex).
    pub(crate) fn scan_regex(&mut self) -> Token {
        let (_, pos) = self.r.curr();
        match self.read_delimited() {
            Some(lit) => Token::new(Tok::Regex, pos, lit),
            None => Token::new(Tok::BadRegex, pos, ""),
        }
    }

    fn read_delimited(&mut self) -> Option<String> {
        if self.r.read_rune()? != '/' {
            return None;
        }
        let mut buf = String::new();
        loop {
            let (ch0, _) = self.r.read();
            if ch0 == '/' {
                return Some(buf);
            } else if ch0 == EOF || ch0 == '\n' {
                return None;
            } else if ch0 == '\\' {
                let ch1 = self.r.read_rune()?;
                if ch1 == '/' {
                    buf.push('/');
                } else {
                    self.r.unread();
                    buf.push('\\');
                }
            } else {
                buf.push(ch0);
            }
        }
    }

    fn scan_number(&mut self) -> Token {
        let mut buf = String::new();
        let (ch, pos) = self.r.curr();
        if ch == '.' {
            let (ch1, _) = self.r.read();
            self.r.unread();
            if !is_digit(ch1) {
                return Token::new(Tok::Illegal, pos, ".");
            }
            self.r.unread();
        } else {
            self.r.unread();
        }
        self.scan_digits(&mut buf);
        let mut decimal = false;
        let (ch0, _) = self.r.read();
        if ch0 == '.' {
            decimal = true;
            let (ch1, _) = self.r.read();
            if is_digit(ch1) {
                buf.push(ch0);
                buf.push(ch1);
                self.scan_digits(&mut buf);
            } else {
                self.r.unread();
            }
        } else {
            self.r.unread();
        }
        if decimal {
            return Token::new(Tok::Number, pos, buf);
        }
        let (ch0, _) = self.r.read();
        if is_letter(ch0) || ch0 == 'µ' {
            buf.push(ch0);
            loop {
                let (ch1, _) = self.r.read();
                if !is_letter(ch1) && ch1 != 'µ' {
                    self.r.unread();
                    break;
                }
                buf.push(ch1);
            }
            loop {
                let (ch1, _) = self.r.read();
                if is_letter(ch1) || ch1 == 'µ' || is_digit(ch1) {
                    buf.push(ch1);
                } else {
                    self.r.unread();
                    break;
                }
            }
            Token::new(Tok::DurationVal, pos, buf)
        } else {
            self.r.unread();
            Token::new(Tok::Integer, pos, buf)
        }
    }

    fn scan_digits(&mut self, buf: &mut String) {
        loop {
            let (ch, _) = self.r.read();
            if !is_digit(ch) {
                self.r.unread();
                break;
            }
            buf.push(ch);
        }
    }
}

#[cfg(test)]
#[path = "scanner_tests.rs"]
mod tests;
