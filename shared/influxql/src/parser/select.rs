//! SELECT and the clauses other statements share (FROM sources, WHERE, GROUP BY, ORDER BY).
//!
//! ```text
//! SELECT fields [INTO target] FROM sources [WHERE expr] [GROUP BY dims] [fill(…)]
//!        [ORDER BY time [ASC|DESC]] [LIMIT n] [OFFSET n] [SLIMIT n] [SOFFSET n] [tz('…')]
//!   fields   ──► Field { expr, alias }   (comparison/logical operators refused, as 1.x)
//!   sources  ──► Source::Measurement | Source::Subquery (nesting counted against MAX_DEPTH)
//!   fill/tz  ──► parsed as calls, then checked with 1.x's messages
//! ```

use super::Parser;
use super::error::ParseError;
use super::scanner::{Kw, Tok};
use crate::ast::{
    BinaryOp, Dimension, Expr, Field, Fill, Measurement, MeasurementName, Regex, SelectStatement,
    SortField, Source,
};

/// Whether a SELECT needs, may have or may not have `INTO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Required,
    NotRequired,
    Subquery,
}

/// A SELECT whose sources are being read.
struct Partial {
    fields: Vec<Field>,
    target: Option<Measurement>,
    sources: Vec<Source>,
}

fn regex_source(database: Option<String>, retention_policy: Option<String>, re: Regex) -> Source {
    Source::Measurement(Measurement {
        database,
        retention_policy,
        name: Some(MeasurementName::Regex(re)),
        back_reference: false,
    })
}

/// An empty string (as 1.x's zero value) means "not given".
fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl Parser<'_> {
    /// After `SELECT`. Subqueries nest on an explicit stack (no recursion per level).
    pub(crate) fn parse_select(&mut self, target: Target) -> Result<SelectStatement, ParseError> {
        let mut outer: Vec<Partial> = Vec::new();
        let mut cur = self.parse_select_head(target)?;
        loop {
            // one source of `cur`: /regex/, (subquery) or [db.][rp.]name
            if let Some(re) = self.parse_regex()? {
                cur.sources.push(regex_source(None, None, re));
            } else {
                let t = self.scan_ignore_ws();
                if t.tok == Tok::LParen {
                    self.enter(t.pos)?;
                    self.parse_tokens(&[Tok::Kw(Kw::Select)])?;
                    outer.push(cur);
                    cur = self.parse_select_head(Target::Subquery)?;
                    continue;
                }
                self.unscan();
                let source = self.parse_source_named()?;
                cur.sources.push(source);
            }
            // after a source: another one, or the end of this SELECT (and maybe its parent's source)
            loop {
                if self.accept(Tok::Comma) {
                    break;
                }
                let stmt = self.parse_select_tail(cur)?;
                let Some(parent) = outer.pop() else {
                    return Ok(stmt);
                };
                self.parse_tokens(&[Tok::RParen])?;
                self.leave();
                cur = parent;
                cur.sources.push(Source::Subquery(Box::new(stmt)));
            }
        }
    }

    /// `fields [INTO target] FROM` of a SELECT.
    fn parse_select_head(&mut self, target: Target) -> Result<Partial, ParseError> {
        let fields = self.parse_fields()?;
        let target = self.parse_target(target)?;
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Kw(Kw::From) {
            return Err(ParseError::expected(t.text(), &["FROM"], t.pos));
        }
        Ok(Partial {
            fields,
            target,
            sources: Vec::new(),
        })
    }

    /// `[WHERE …] [GROUP BY …] [fill(…)] [ORDER BY …] [LIMIT …] … [tz(…)]` after the sources.
    fn parse_select_tail(&mut self, head: Partial) -> Result<SelectStatement, ParseError> {
        let condition = self.parse_condition()?;
        let dimensions = self.parse_dimensions()?;
        let fill = self.parse_fill()?;
        let order_by = self.parse_order_by()?;
        let limit = self.parse_optional_token_and_int(Kw::Limit)?;
        let offset = self.parse_optional_token_and_int(Kw::Offset)?;
        let slimit = self.parse_optional_token_and_int(Kw::Slimit)?;
        let soffset = self.parse_optional_token_and_int(Kw::Soffset)?;
        let location = self.parse_location()?;
        Ok(SelectStatement {
            fields: head.fields,
            target: head.target,
            sources: head.sources,
            condition,
            dimensions,
            fill,
            order_by,
            limit,
            offset,
            slimit,
            soffset,
            location,
        })
    }

    fn parse_fields(&mut self) -> Result<Vec<Field>, ParseError> {
        let mut fields = Vec::new();
        loop {
            fields.push(self.parse_field()?);
            if self.scan().tok != Tok::Comma {
                self.unscan();
                return Ok(fields);
            }
        }
    }

    fn parse_field(&mut self) -> Result<Field, ParseError> {
        let expr = if let Some(re) = self.parse_regex()? {
            Expr::Regex(re)
        } else {
            let pos = self.scan_ignore_ws().pos;
            self.unscan();
            let expr = self.parse_expr()?;
            if let Some(op) = last_condition_operator(&expr) {
                return Err(ParseError::plain(format!(
                    "invalid operator {op} in SELECT clause at line {}, char {}; \
                     operator is intended for WHERE clause",
                    pos.line + 1,
                    pos.char + 1
                )));
            }
            expr
        };
        let alias = self.parse_alias()?;
        self.consume_whitespace();
        Ok(Field { expr, alias })
    }

    fn parse_alias(&mut self) -> Result<Option<String>, ParseError> {
        if !self.accept_kw(Kw::As) {
            return Ok(None);
        }
        self.parse_ident().map(Some)
    }

    fn parse_target(&mut self, requirement: Target) -> Result<Option<Measurement>, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Kw(Kw::Into) {
            if requirement == Target::Required {
                return Err(ParseError::expected(t.text(), &["INTO"], t.pos));
            }
            self.unscan();
            return Ok(None);
        }
        let mut idents = self.parse_segmented_idents()?;
        let mut back_reference = false;
        if idents.len() < 3 && self.peek_char() == ':' {
            self.parse_tokens(&[Tok::Colon, Tok::Kw(Kw::Measurement)])?;
            idents.push(String::new());
            back_reference = true;
        }
        let mut idents = idents.into_iter();
        let (database, retention_policy, name) = match (idents.next(), idents.next(), idents.next())
        {
            (Some(n), None, None) => (None, None, n),
            (Some(rp), Some(n), None) => (None, non_empty(rp), n),
            (Some(db), Some(rp), Some(n)) => (non_empty(db), non_empty(rp), n),
            _ => (None, None, String::new()),
        };
        Ok(Some(Measurement {
            database,
            retention_policy,
            name: (!back_reference).then_some(MeasurementName::Name(name)),
            back_reference,
        }))
    }

    /// `FROM` sources of the statements without subqueries (SHOW …, DELETE, DROP SERIES).
    pub(crate) fn parse_sources(&mut self) -> Result<Vec<Source>, ParseError> {
        let mut sources = vec![self.parse_source()?];
        while self.accept(Tok::Comma) {
            sources.push(self.parse_source()?);
        }
        Ok(sources)
    }

    /// One source: `/regex/`, `[db.][rp.]name` or `[db.][rp.]/regex/` (subqueries are read by
    /// `parse_select`).
    pub(crate) fn parse_source(&mut self) -> Result<Source, ParseError> {
        if let Some(re) = self.parse_regex()? {
            return Ok(regex_source(None, None, re));
        }
        self.parse_source_named()
    }

    /// `[db.][rp.]name` or `[db.][rp.]/regex/`.
    fn parse_source_named(&mut self) -> Result<Source, ParseError> {
        let named = |database, retention_policy, name| {
            Source::Measurement(Measurement {
                database,
                retention_policy,
                name: Some(MeasurementName::Name(name)),
                back_reference: false,
            })
        };
        let idents = self.parse_segmented_idents()?;
        let mut it = idents.into_iter();
        let (a, b, c) = (it.next(), it.next(), it.next());
        if let (Some(db), Some(rp), Some(name)) = (&a, &b, &c) {
            return Ok(named(
                non_empty(db.clone()),
                non_empty(rp.clone()),
                name.clone(),
            ));
        }
        let re = self.parse_regex()?;
        Ok(match (a, b, re) {
            (Some(rp), None, Some(re)) => regex_source(None, non_empty(rp), re),
            (Some(db), Some(rp), Some(re)) => regex_source(non_empty(db), non_empty(rp), re),
            (Some(rp), Some(name), None) => named(None, non_empty(rp), name),
            (Some(name), None, None) => named(None, None, name),
            (None, _, _) => named(None, None, String::new()),
        })
    }

    /// `WHERE expr`, if present.
    pub(crate) fn parse_condition(&mut self) -> Result<Option<Expr>, ParseError> {
        if !self.accept_kw(Kw::Where) {
            return Ok(None);
        }
        self.parse_expr().map(Some)
    }

    /// `GROUP BY dim, …`, if present.
    pub(crate) fn parse_dimensions(&mut self) -> Result<Vec<Dimension>, ParseError> {
        if !self.accept_kw(Kw::Group) {
            return Ok(Vec::new());
        }
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Kw(Kw::By) {
            return Err(ParseError::expected(t.text(), &["BY"], t.pos));
        }
        let mut dimensions = Vec::new();
        loop {
            let expr = if let Some(re) = self.parse_regex()? {
                Expr::Regex(re)
            } else {
                let expr = self.parse_expr()?;
                self.consume_whitespace();
                expr
            };
            dimensions.push(Dimension { expr });
            if self.scan().tok != Tok::Comma {
                self.unscan();
                return Ok(dimensions);
            }
        }
    }

    fn parse_fill(&mut self) -> Result<Fill, ParseError> {
        let t = self.scan_ignore_ws();
        self.unscan();
        if t.tok != Tok::Ident || t.lit.to_lowercase() != "fill" {
            return Ok(Fill::Null);
        }
        let Expr::Call { args, .. } = self.parse_expr()? else {
            return Err(ParseError::plain("fill must be a function call"));
        };
        let [arg] = args.as_slice() else {
            return Err(ParseError::plain(
                "fill requires an argument, e.g.: 0, null, none, previous, linear",
            ));
        };
        if let Expr::VarRef {
            name,
            data_type: None,
        } = arg
        {
            match name.as_str() {
                "null" => return Ok(Fill::Null),
                "none" => return Ok(Fill::None),
                "previous" => return Ok(Fill::Previous),
                "linear" => return Ok(Fill::Linear),
                _ => {}
            }
        }
        match arg {
            Expr::Integer(v) => Ok(Fill::Integer(*v)),
            Expr::Number(v) => Ok(Fill::Float(*v)),
            _ => Err(ParseError::plain("expected number argument in fill()")),
        }
    }

    /// `ORDER BY time [ASC|DESC]` (or just `ASC`/`DESC`), if present.
    pub(crate) fn parse_order_by(&mut self) -> Result<Vec<SortField>, ParseError> {
        const ONLY_TIME: &str = "only ORDER BY time supported at this time";
        if !self.accept_kw(Kw::Order) {
            return Ok(Vec::new());
        }
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Kw(Kw::By) {
            return Err(ParseError::expected(t.text(), &["BY"], t.pos));
        }
        let t = self.scan_ignore_ws();
        let mut fields = match t.tok {
            Tok::Kw(Kw::Asc) | Tok::Kw(Kw::Desc) => vec![SortField {
                name: String::new(),
                ascending: t.tok == Tok::Kw(Kw::Asc),
            }],
            Tok::Ident => {
                self.unscan();
                let field = self.parse_sort_field()?;
                if t.lit != "time" {
                    return Err(ParseError::plain(ONLY_TIME));
                }
                vec![field]
            }
            _ => {
                return Err(ParseError::expected(
                    t.text(),
                    &["identifier", "ASC", "DESC"],
                    t.pos,
                ));
            }
        };
        while self.accept(Tok::Comma) {
            fields.push(self.parse_sort_field()?);
        }
        if fields.len() > 1 {
            return Err(ParseError::plain(ONLY_TIME));
        }
        Ok(fields)
    }

    fn parse_sort_field(&mut self) -> Result<SortField, ParseError> {
        let name = self.parse_ident()?;
        let t = self.scan_ignore_ws();
        let ascending = match t.tok {
            Tok::Kw(Kw::Asc) => true,
            Tok::Kw(Kw::Desc) => false,
            _ => {
                self.unscan();
                true
            }
        };
        Ok(SortField { name, ascending })
    }

    fn parse_location(&mut self) -> Result<Option<String>, ParseError> {
        let t = self.scan_ignore_ws();
        self.unscan();
        if t.tok != Tok::Ident || t.lit.to_lowercase() != "tz" {
            return Ok(None);
        }
        let Expr::Call { args, .. } = self.parse_expr()? else {
            return Err(ParseError::plain("tz must be a function call"));
        };
        let [arg] = args.as_slice() else {
            return Err(ParseError::plain("tz requires exactly one argument"));
        };
        let Expr::String(name) = arg else {
            return Err(ParseError::plain("expected string argument in tz()"));
        };
        if !name.is_empty() && name.parse::<chrono_tz::Tz>().is_err() {
            return Err(ParseError::plain(format!(
                "unable to find time zone {name}"
            )));
        }
        Ok(Some(name.clone()))
    }
}

/// The comparison or logical operator 1.x reports for a SELECT field: the last one met in a
/// pre-order walk that does not descend below a refused operator.
fn last_condition_operator(expr: &Expr) -> Option<BinaryOp> {
    let mut found = None;
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Binary { op, lhs, rhs } => {
                if matches!(
                    op,
                    BinaryOp::Eq
                        | BinaryOp::NotEq
                        | BinaryOp::EqRegex
                        | BinaryOp::NotEqRegex
                        | BinaryOp::Lt
                        | BinaryOp::LtEq
                        | BinaryOp::Gt
                        | BinaryOp::GtEq
                        | BinaryOp::And
                        | BinaryOp::Or
                ) {
                    found = Some(*op);
                } else {
                    stack.push(rhs);
                    stack.push(lhs);
                }
            }
            Expr::Paren(inner) => stack.push(inner),
            Expr::Call { args, .. } => stack.extend(args.iter().rev()),
            _ => {}
        }
    }
    found
}

/// True if any field contains a call (1.x's "not a raw query").
pub(crate) fn has_call(fields: &[Field]) -> bool {
    let mut stack: Vec<&Expr> = fields.iter().map(|f| &f.expr).collect();
    while let Some(e) = stack.pop() {
        match e {
            Expr::Call { .. } => return true,
            Expr::Binary { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            Expr::Paren(inner) => stack.push(inner),
            _ => {}
        }
    }
    false
}
