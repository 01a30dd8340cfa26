//! The InfluxQL 1.x parser: text (+ bind parameters) ──► [`ast::Query`](crate::ast::Query).
//!
//! ```text
//! text ──► scanner::Scanner (tokens, 1.x positions)
//!      ──► Parser: 3-token push-back ring + `$name` substitution (params)
//!      ──► statement::parse_statement (dispatch on the leading keywords, 1.x's "expected" lists)
//!            ├─ select.rs  SELECT (fields, INTO, FROM, WHERE, GROUP BY, fill, ORDER BY, LIMIT…, tz)
//!            ├─ show.rs    SHOW …
//!            └─ manage.rs  CREATE / DROP / ALTER / GRANT / REVOKE / SET / KILL / DELETE / EXPLAIN
//!      expressions: expr.rs (1.x precedence, iterative operator chains), regex.rs (Go wording)
//!      errors: error.rs (`ParseError`, 1.x's texts)
//! ```
//!
//! Nesting (parentheses, calls, unary minus, subqueries and operator chains) is bounded by
//! [`MAX_DEPTH`]: the parser's own recursion and every tree it returns stay within it, so
//! dropping, cloning or printing a tree never exhausts the stack.

mod error;
mod expr;
mod manage;
mod params;
mod regex;
mod scanner;
mod select;
mod show;
mod statement;

use std::collections::HashMap;

pub use error::ParseError;
use error::Pos;
use params::Bound;
use scanner::{Kw, Scanner, Tok, Token};
use serde_json::{Map, Value};

use crate::ast::{Expr, Query};

/// The deepest nesting of expressions and subqueries the parser accepts.
pub const MAX_DEPTH: u32 = 1000;

/// Parses `text` (one or more statements separated by `;`).
pub fn parse_query(text: &str) -> Result<Query, ParseError> {
    Parser::new(text, HashMap::new()).parse_query()
}

/// Parses `text`, replacing each `$name` with the value of `params` (the JSON object of
/// 1.x's `params=`), as 1.x does.
pub fn parse_query_with_params(
    text: &str,
    params: &Map<String, Value>,
) -> Result<Query, ParseError> {
    Parser::new(text, params::bind_all(params)).parse_query()
}

/// Parses one expression (the whole text must be that expression).
pub fn parse_expr(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser::new(text, HashMap::new());
    let expr = p.parse_expr()?;
    let t = p.scan_ignore_ws();
    if t.tok != Tok::Eof {
        return Err(ParseError::expected(t.text(), &["EOF"], t.pos));
    }
    Ok(expr)
}

/// Parser state: the scanner, 1.x's token push-back ring, bind parameters and the nesting depth.
pub(crate) struct Parser<'a> {
    scanner: Scanner<'a>,
    ring: [Token; 3],
    ri: usize,
    rn: usize,
    params: HashMap<String, Bound>,
    depth: u32,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, params: HashMap<String, Bound>) -> Self {
        let empty = Token {
            tok: Tok::Eof,
            pos: Pos::default(),
            lit: String::new(),
        };
        Self {
            scanner: Scanner::new(text),
            ring: [empty.clone(), empty.clone(), empty],
            ri: 0,
            rn: 0,
            params,
            depth: 0,
        }
    }

    fn parse_query(&mut self) -> Result<Query, ParseError> {
        let mut statements = Vec::new();
        let mut after_semicolon = true;
        loop {
            let t = self.scan_ignore_ws();
            match t.tok {
                Tok::Eof => return Ok(Query { statements }),
                Tok::Semicolon => after_semicolon = true,
                _ => {
                    if !after_semicolon {
                        return Err(ParseError::expected(t.text(), &[";"], t.pos));
                    }
                    self.unscan();
                    statements.push(self.parse_statement()?);
                    after_semicolon = false;
                }
            }
        }
    }

    // ---- tokens ------------------------------------------------------------------------

    fn scan_with(&mut self, regex: bool) -> Token {
        let len = self.ring.len();
        let t = if self.rn > 0 {
            self.rn -= 1;
            self.ring[(self.ri + len - self.rn % len) % len].clone()
        } else {
            self.ri = (self.ri + 1) % len;
            let t = if regex {
                self.scanner.scan_regex()
            } else {
                self.scanner.scan()
            };
            self.ring[self.ri] = t.clone();
            t
        };
        self.substitute(t)
    }

    /// A `$name` with a usable bound value becomes that value's token.
    fn substitute(&self, t: Token) -> Token {
        if t.tok == Tok::BoundParam
            && let Some(Bound::Token(tok, lit)) = self.params.get(&t.lit[1..])
        {
            return Token {
                tok: *tok,
                pos: t.pos,
                lit: lit.clone(),
            };
        }
        t
    }

    /// The next token, whitespace and comments included.
    fn scan(&mut self) -> Token {
        self.scan_with(false)
    }

    /// The next token read as a regex literal.
    fn scan_regex(&mut self) -> Token {
        self.scan_with(true)
    }

    /// Pushes the last token back.
    fn unscan(&mut self) {
        // 1.x pushes back at most three tokens (the whole ring)
        self.rn = (self.rn + 1).min(self.ring.len());
    }

    /// The next token that is not whitespace or a comment.
    fn scan_ignore_ws(&mut self) -> Token {
        loop {
            let t = self.scan();
            if !matches!(t.tok, Tok::Ws | Tok::Comment) {
                return t;
            }
        }
    }

    /// True (and consumed) if the next non-blank token is `tok`; otherwise it stays.
    fn accept(&mut self, tok: Tok) -> bool {
        if self.scan_ignore_ws().tok == tok {
            true
        } else {
            self.unscan();
            false
        }
    }

    /// [`Parser::accept`] for a keyword.
    fn accept_kw(&mut self, kw: Kw) -> bool {
        self.accept(Tok::Kw(kw))
    }

    /// Skips one whitespace token if there is one.
    fn consume_whitespace(&mut self) {
        if self.scan().tok != Tok::Ws {
            self.unscan();
        }
    }

    fn peek_char(&mut self) -> char {
        self.scanner.peek_char()
    }

    // ---- nesting -----------------------------------------------------------------------

    /// Enters one level of nesting (parenthesis, call, unary minus, subquery).
    fn enter(&mut self, pos: Pos) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(too_deep(pos));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Checks that an expression of tree depth `depth` fits under the current nesting.
    fn check_depth(&self, depth: u32, pos: Pos) -> Result<(), ParseError> {
        if self.depth.saturating_add(depth) > MAX_DEPTH {
            return Err(too_deep(pos));
        }
        Ok(())
    }

    // ---- common pieces -----------------------------------------------------------------

    /// Consumes the keywords/tokens in order (1.x's `parseTokens`).
    fn parse_tokens(&mut self, toks: &[Tok]) -> Result<(), ParseError> {
        for &expected in toks {
            let t = self.scan_ignore_ws();
            if t.tok != expected {
                return Err(ParseError::expected(t.text(), &[expected.name()], t.pos));
            }
        }
        Ok(())
    }

    fn parse_ident(&mut self) -> Result<String, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Ident {
            return Err(ParseError::expected(t.text(), &["identifier"], t.pos));
        }
        Ok(t.lit)
    }

    fn parse_ident_list(&mut self) -> Result<Vec<String>, ParseError> {
        let mut idents = vec![self.parse_ident()?];
        while self.accept(Tok::Comma) {
            idents.push(self.parse_ident()?);
        }
        Ok(idents)
    }

    /// `a`, `a.b`, `a.b.c`, `a..c` (at most three segments; stops before a `/regex/` or `:`).
    fn parse_segmented_idents(&mut self) -> Result<Vec<String>, ParseError> {
        let mut idents = vec![self.parse_ident()?];
        loop {
            if self.scan().tok != Tok::Dot {
                self.unscan();
                break;
            }
            match self.peek_char() {
                '/' | ':' => break,
                '.' => {
                    idents.push(String::new());
                    continue;
                }
                _ => {}
            }
            idents.push(self.parse_ident()?);
        }
        if idents.len() > 3 {
            let msg = format!(
                "too many segments in {}",
                crate::display::quote_segments(&idents)
            );
            return Err(ParseError::at(msg, Pos::default()));
        }
        Ok(idents)
    }

    fn parse_string(&mut self) -> Result<String, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Str {
            return Err(ParseError::expected(t.text(), &["string"], t.pos));
        }
        Ok(t.lit)
    }

    fn parse_string_list(&mut self) -> Result<Vec<String>, ParseError> {
        let mut strs = vec![self.parse_string()?];
        while self.accept(Tok::Comma) {
            strs.push(self.parse_string()?);
        }
        Ok(strs)
    }

    /// An integer within `[min, max]` (1.x's `ParseInt`).
    fn parse_int(&mut self, min: i64, max: i64) -> Result<i64, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Integer {
            return Err(ParseError::expected(t.text(), &["integer"], t.pos));
        }
        let n: i64 = t.lit.parse().map_err(|_| {
            ParseError::at(
                format!("strconv.Atoi: parsing {:?}: value out of range", t.lit),
                t.pos,
            )
        })?;
        if n < min || n > max {
            return Err(ParseError::at(
                format!("invalid value {n}: must be {min} <= n <= {max}"),
                t.pos,
            ));
        }
        Ok(n)
    }

    /// An unsigned 64-bit integer (1.x's `ParseUInt64`).
    fn parse_uint64(&mut self) -> Result<u64, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Integer {
            return Err(ParseError::expected(t.text(), &["integer"], t.pos));
        }
        t.lit.parse().map_err(|_| {
            let why = if t.lit.starts_with('-') || t.lit.is_empty() {
                "invalid syntax"
            } else {
                "value out of range"
            };
            ParseError::at(
                format!("strconv.ParseUint: parsing {:?}: {why}", t.lit),
                t.pos,
            )
        })
    }

    /// A duration literal or `INF` (0) after DURATION (1.x's `ParseDuration` method).
    fn parse_duration_value(&mut self) -> Result<i64, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Kw(Kw::Inf) => Ok(0),
            Tok::DurationVal => {
                crate::time::parse_duration_checked(&t.lit).map_err(|m| ParseError::at(m, t.pos))
            }
            _ => Err(ParseError::expected(t.text(), &["duration"], t.pos)),
        }
    }

    /// `KEYWORD <integer>` if the keyword is next (LIMIT, OFFSET, SLIMIT, SOFFSET); 0 if not.
    fn parse_optional_token_and_int(&mut self, kw: Kw) -> Result<u64, ParseError> {
        if !self.accept_kw(kw) {
            return Ok(0);
        }
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Integer {
            return Err(ParseError::expected(t.text(), &["integer"], t.pos));
        }
        // as 1.x: a value beyond int64 saturates
        let n: i64 = t.lit.parse().unwrap_or(i64::MAX);
        if n < 0 {
            return Err(ParseError::at(format!("{} must be >= 0", kw.name()), t.pos));
        }
        Ok(n.unsigned_abs())
    }
}

/// True if `word` is one of 1.x's keywords (or AND/OR/TRUE/FALSE), so must be quoted.
pub(crate) fn scanner_lookup_is_keyword(word: &str) -> bool {
    scanner::lookup(word) != Tok::Ident
}

fn too_deep(pos: Pos) -> ParseError {
    ParseError::at(
        format!(
            "query nests too deeply: at most {MAX_DEPTH} levels of parentheses, calls, \
             operators and subqueries are allowed"
        ),
        pos,
    )
}
