//! Expressions: tokens ──► `Expr` with 1.x's precedence and literal rules, without recursion.
//!
//! ```text
//! operand: ( expr ) | name(args…) | DISTINCT x | var[.seg][::type] | * [::field|::tag]
//!          | 'string' | number | integer (u64 beyond i64) | true/false | duration
//!          | -x / +x (literals folded, otherwise ±1 * x) | $param errors
//! expr:    operand (op operand)*   OR < AND < comparisons < + - | ^ < * / % &, left-associative;
//!          `=~`/`!~` take a /regex/ on the right (regex.rs, Go wording)
//!
//! machine: Vec<Frame> (Chain | Paren | Call | Signed) ──Step::Operand──► read an operand
//!                                                 ◄──Step::Value──── hand it to the top frame
//! ```
//! Nesting lives on that heap stack, so deep input costs no machine stack; each finished
//! value carries its tree depth, and with `Parser::depth` (enclosing frames and subqueries)
//! every tree stays within `MAX_DEPTH`.

use super::error::ParseError;
use super::error::Pos;
use super::scanner::{Kw, Tok, Token, is_whitespace};
use super::{Parser, regex};
use crate::ast::{BinaryOp, DataType, Expr, Regex};

/// The binary operator a token stands for.
fn binary_op(tok: Tok) -> Option<BinaryOp> {
    Some(match tok {
        Tok::Add => BinaryOp::Add,
        Tok::Sub => BinaryOp::Sub,
        Tok::Mul => BinaryOp::Mul,
        Tok::Div => BinaryOp::Div,
        Tok::Mod => BinaryOp::Mod,
        Tok::BitAnd => BinaryOp::BitAnd,
        Tok::BitOr => BinaryOp::BitOr,
        Tok::BitXor => BinaryOp::BitXor,
        Tok::And => BinaryOp::And,
        Tok::Or => BinaryOp::Or,
        Tok::Eq => BinaryOp::Eq,
        Tok::Neq => BinaryOp::NotEq,
        Tok::EqRegex => BinaryOp::EqRegex,
        Tok::NeqRegex => BinaryOp::NotEqRegex,
        Tok::Lt => BinaryOp::Lt,
        Tok::Lte => BinaryOp::LtEq,
        Tok::Gt => BinaryOp::Gt,
        Tok::Gte => BinaryOp::GtEq,
        _ => return None,
    })
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    }
}

/// A construct waiting for the expression inside it (the parser's explicit stack: nesting
/// never recurses on the machine stack).
enum Frame {
    /// An operator chain: the right spine (operands waiting for their right side, strictly
    /// increasing precedence), the current rightmost operand and the operator read after it.
    Chain {
        spine: Vec<(Expr, u32, BinaryOp)>,
        cur: Option<(Expr, u32)>,
        pending: Option<BinaryOp>,
        last_op: Pos,
    },
    /// `( expr )`
    Paren,
    /// `name(args…)`
    Call {
        name: String,
        args: Vec<Expr>,
        depth: u32,
    },
    /// `-x` / `+x`
    Signed { negative: bool, pos: Pos },
}

fn chain() -> Frame {
    Frame::Chain {
        spine: Vec::new(),
        cur: None,
        pending: None,
        last_op: Pos::default(),
    }
}

/// What the machine does next: read an operand, or hand a finished one to the top frame.
enum Step {
    Operand,
    Value(Expr, u32),
}

impl Parser<'_> {
    /// One expression.
    pub(crate) fn parse_expr(&mut self) -> Result<Expr, ParseError> {
        Ok(self.parse_expr_depth()?.0)
    }

    /// One expression and its tree depth.
    pub(crate) fn parse_expr_depth(&mut self) -> Result<(Expr, u32), ParseError> {
        let mut stack = vec![chain()];
        let mut step = Step::Operand;
        loop {
            step = match step {
                Step::Operand => self.operand(&mut stack)?,
                Step::Value(value, depth) => match stack.pop() {
                    None => return Ok((value, depth)),
                    Some(Frame::Chain {
                        spine,
                        cur,
                        pending,
                        last_op,
                    }) => {
                        self.chain_value(&mut stack, spine, cur, pending, last_op, value, depth)?
                    }
                    Some(Frame::Paren) => {
                        let close = self.scan_ignore_ws();
                        if close.tok != Tok::RParen {
                            return Err(ParseError::expected(close.text(), &[")"], close.pos));
                        }
                        self.leave();
                        Step::Value(Expr::Paren(Box::new(value)), depth + 1)
                    }
                    Some(Frame::Call {
                        name,
                        mut args,
                        depth: args_depth,
                    }) => {
                        args.push(value);
                        stack.push(Frame::Call {
                            name,
                            args,
                            depth: args_depth.max(depth),
                        });
                        self.call_after_arg(&mut stack)?
                    }
                    Some(Frame::Signed { negative, pos }) => {
                        self.leave();
                        let (value, depth) = self.fold_sign(negative, pos, value, depth)?;
                        Step::Value(value, depth)
                    }
                },
            };
        }
    }

    /// An operand arrives at an operator chain: fold it in, then read the next operator.
    #[allow(clippy::too_many_arguments)]
    fn chain_value(
        &mut self,
        stack: &mut Vec<Frame>,
        mut spine: Vec<(Expr, u32, BinaryOp)>,
        cur: Option<(Expr, u32)>,
        pending: Option<BinaryOp>,
        mut last_op: Pos,
        value: Expr,
        depth: u32,
    ) -> Result<Step, ParseError> {
        let mut cur = match (cur, pending) {
            (Some(lhs), Some(op)) => {
                self.push_operator(&mut spine, lhs, op, last_op)?;
                (value, depth)
            }
            _ => (value, depth),
        };
        loop {
            let t = self.scan_ignore_ws();
            let Some(op) = binary_op(t.tok) else {
                self.unscan();
                // the chain is complete: fold the spine
                let (mut e, mut d) = cur;
                while let Some((lhs, lhs_depth, op)) = spine.pop() {
                    d = 1 + lhs_depth.max(d);
                    self.check_depth(d, last_op)?;
                    e = binary(op, lhs, e);
                }
                return Ok(Step::Value(e, d));
            };
            last_op = t.pos;
            if matches!(op, BinaryOp::EqRegex | BinaryOp::NotEqRegex) {
                let Some(re) = self.parse_regex()? else {
                    let t = self.scan_ignore_ws();
                    return Err(ParseError::expected(t.text(), &["regex"], t.pos));
                };
                self.push_operator(&mut spine, cur, op, last_op)?;
                cur = (Expr::Regex(re), 1);
                continue;
            }
            stack.push(Frame::Chain {
                spine,
                cur: Some(cur),
                pending: Some(op),
                last_op,
            });
            return Ok(Step::Operand);
        }
    }

    /// Adds `lhs op …` to the spine, first folding the operators that bind at least as tightly.
    fn push_operator(
        &self,
        spine: &mut Vec<(Expr, u32, BinaryOp)>,
        lhs: (Expr, u32),
        op: BinaryOp,
        pos: Pos,
    ) -> Result<(), ParseError> {
        let (mut e, mut d) = lhs;
        while let Some((_, _, top)) = spine.last()
            && top.precedence() >= op.precedence()
        {
            let Some((l, l_depth, top)) = spine.pop() else {
                break;
            };
            d = 1 + l_depth.max(d);
            self.check_depth(d, pos)?;
            e = binary(top, l, e);
        }
        spine.push((e, d, op));
        Ok(())
    }

    /// Reads an operand: a literal or name comes back as a value; `(`, a call or a sign opens
    /// a frame and asks for the operand inside it.
    fn operand(&mut self, stack: &mut Vec<Frame>) -> Result<Step, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok == Tok::LParen {
            self.enter(t.pos)?;
            stack.push(Frame::Paren);
            stack.push(chain());
            return Ok(Step::Operand);
        }
        self.unscan();
        let t = self.scan_ignore_ws();
        let leaf = |e: Expr| Ok(Step::Value(e, 1));
        match t.tok {
            Tok::Ident => {
                if self.scan().tok == Tok::LParen {
                    return self.open_call(stack, &t.lit, t.pos);
                }
                self.unscan();
                self.unscan();
                leaf(self.parse_var_ref()?)
            }
            Tok::Kw(Kw::Distinct) => {
                let t0 = self.scan();
                match t0.tok {
                    Tok::LParen => self.open_call(stack, "distinct", t.pos),
                    Tok::Ws => {
                        let t1 = self.scan_ignore_ws();
                        if t1.tok != Tok::Ident {
                            return Err(ParseError::expected(t1.text(), &["identifier"], t1.pos));
                        }
                        leaf(Expr::Distinct(t1.lit))
                    }
                    _ => Err(ParseError::expected(
                        t0.text(),
                        &["(", "identifier"],
                        t0.pos,
                    )),
                }
            }
            Tok::Add | Tok::Sub => {
                let t0 = self.scan_ignore_ws();
                if !matches!(
                    t0.tok,
                    Tok::Number | Tok::Integer | Tok::DurationVal | Tok::LParen | Tok::Ident
                ) {
                    return Err(ParseError::expected(
                        t0.text(),
                        &["identifier", "number", "duration", "("],
                        t0.pos,
                    ));
                }
                self.unscan();
                self.enter(t.pos)?;
                stack.push(Frame::Signed {
                    negative: t.tok == Tok::Sub,
                    pos: t.pos,
                });
                Ok(Step::Operand)
            }
            _ => leaf(self.atom(t)?),
        }
    }

    /// The operands that contain nothing nested.
    fn atom(&mut self, t: Token) -> Result<Expr, ParseError> {
        match t.tok {
            Tok::Str => Ok(Expr::String(t.lit)),
            Tok::Number => match t.lit.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Expr::Number(v)),
                _ => Err(ParseError::at("unable to parse number", t.pos)),
            },
            Tok::Integer => {
                if let Ok(v) = t.lit.parse::<i64>() {
                    Ok(Expr::Integer(v))
                } else if let Ok(v) = t.lit.parse::<u64>() {
                    Ok(Expr::Unsigned(v))
                } else {
                    Err(ParseError::at("unable to parse integer", t.pos))
                }
            }
            Tok::True => Ok(Expr::Boolean(true)),
            Tok::False => Ok(Expr::Boolean(false)),
            Tok::DurationVal => crate::time::parse_duration_checked(&t.lit)
                .map(Expr::Duration)
                .map_err(ParseError::plain),
            Tok::Mul => {
                if self.scan().tok != Tok::DoubleColon {
                    self.unscan();
                    return Ok(Expr::Wildcard(None));
                }
                let t1 = self.scan();
                match t1.tok {
                    Tok::Kw(Kw::Field) => Ok(Expr::Wildcard(Some(DataType::Field))),
                    Tok::Kw(Kw::Tag) => Ok(Expr::Wildcard(Some(DataType::Tag))),
                    _ => Err(ParseError::expected(t1.text(), &["field", "tag"], t1.pos)),
                }
            }
            Tok::Regex => regex::compile(&t.lit)
                .map(Expr::Regex)
                .map_err(|m| ParseError::at(m, t.pos)),
            Tok::BoundParam => {
                let key = &t.lit[1..];
                if key.is_empty() {
                    return Err(ParseError::plain("empty bound parameter"));
                }
                match self.params.get(key) {
                    Some(super::params::Bound::Error(m)) => Err(ParseError::plain(m.clone())),
                    _ => Err(ParseError::plain(format!("missing parameter: {key}"))),
                }
            }
            _ => Err(ParseError::expected(
                t.text(),
                &["identifier", "string", "number", "bool"],
                t.pos,
            )),
        }
    }

    /// A literal takes the sign; a name, call or parenthesis becomes `±1 * x`.
    fn fold_sign(
        &self,
        negative: bool,
        pos: Pos,
        expr: Expr,
        depth: u32,
    ) -> Result<(Expr, u32), ParseError> {
        let mul: i64 = if negative { -1 } else { 1 };
        let folded = match expr {
            Expr::Number(v) => Expr::Number(if negative { -v } else { v }),
            Expr::Integer(v) => Expr::Integer(v.wrapping_mul(mul)),
            Expr::Duration(v) => Expr::Duration(v.wrapping_mul(mul)),
            Expr::Unsigned(v) if negative => {
                if v == 1 << 63 {
                    Expr::Integer(i64::MIN)
                } else {
                    return Err(ParseError::plain(format!("constant -{v} underflows int64")));
                }
            }
            e @ (Expr::VarRef { .. } | Expr::Call { .. } | Expr::Paren(_)) => {
                let depth = depth.max(1) + 1;
                self.check_depth(depth, pos)?;
                return Ok((binary(BinaryOp::Mul, Expr::Integer(mul), e), depth));
            }
            other => other,
        };
        Ok((folded, depth))
    }

    /// After `name(`: a `/regex/` or `)` may come at once; otherwise an argument expression.
    fn open_call(
        &mut self,
        stack: &mut Vec<Frame>,
        name: &str,
        pos: Pos,
    ) -> Result<Step, ParseError> {
        self.enter(pos)?;
        let name = name.to_lowercase();
        if let Some(re) = self.parse_regex()? {
            stack.push(Frame::Call {
                name,
                args: vec![Expr::Regex(re)],
                depth: 1,
            });
            return self.call_after_arg(stack);
        }
        if self.scan().tok == Tok::RParen {
            self.leave();
            return Ok(Step::Value(
                Expr::Call {
                    name,
                    args: Vec::new(),
                },
                1,
            ));
        }
        self.unscan();
        stack.push(Frame::Call {
            name,
            args: Vec::new(),
            depth: 0,
        });
        stack.push(chain());
        Ok(Step::Operand)
    }

    /// After an argument (the call is on top of the stack): `, next` or `)`.
    fn call_after_arg(&mut self, stack: &mut Vec<Frame>) -> Result<Step, ParseError> {
        loop {
            if !self.accept(Tok::Comma) {
                let t = self.scan();
                if t.tok != Tok::RParen {
                    return Err(ParseError::expected(t.text(), &[")"], t.pos));
                }
                self.leave();
                return Ok(match stack.pop() {
                    Some(Frame::Call { name, args, depth }) => {
                        Step::Value(Expr::Call { name, args }, depth + 1)
                    }
                    _ => Step::Value(Expr::Nil, 1),
                });
            }
            if let Some(re) = self.parse_regex()? {
                if let Some(Frame::Call { args, depth, .. }) = stack.last_mut() {
                    args.push(Expr::Regex(re));
                    *depth = (*depth).max(1);
                }
                continue;
            }
            stack.push(chain());
            return Ok(Step::Operand);
        }
    }

    /// `name[.name…][::type]` (segments joined with `.`).
    fn parse_var_ref(&mut self) -> Result<Expr, ParseError> {
        let segments = self.parse_segmented_idents()?;
        let mut data_type = None;
        if self.scan().tok == Tok::DoubleColon {
            let t = self.scan();
            data_type = Some(match t.tok {
                Tok::Ident => match t.lit.to_lowercase().as_str() {
                    "float" => DataType::Float,
                    "integer" => DataType::Integer,
                    "unsigned" => DataType::Unsigned,
                    "string" => DataType::String,
                    "boolean" => DataType::Boolean,
                    _ => {
                        return Err(ParseError::expected(
                            t.text(),
                            &[
                                "float", "integer", "unsigned", "string", "boolean", "field", "tag",
                            ],
                            t.pos,
                        ));
                    }
                },
                Tok::Kw(Kw::Field) => DataType::Field,
                Tok::Kw(Kw::Tag) => DataType::Tag,
                _ => {
                    return Err(ParseError::expected(
                        t.text(),
                        &["float", "integer", "string", "boolean", "field", "tag"],
                        t.pos,
                    ));
                }
            });
        } else {
            self.unscan();
        }
        Ok(Expr::VarRef {
            name: segments.join("."),
            data_type,
        })
    }

    /// A `/regex/` if one comes next (after optional whitespace); `None` otherwise.
    pub(crate) fn parse_regex(&mut self) -> Result<Option<Regex>, ParseError> {
        if is_whitespace(self.peek_char()) {
            self.consume_whitespace();
        }
        match self.peek_char() {
            '$' => {
                // a bound parameter may stand for a regex
                let t = self.scan();
                self.unscan();
                if t.tok != Tok::Regex {
                    return Ok(None);
                }
            }
            '/' => {}
            _ => return Ok(None),
        }
        let t = self.scan_regex();
        match t.tok {
            Tok::BadEscape => Err(ParseError::at(format!("bad escape: {}", t.lit), t.pos)),
            Tok::BadRegex => Err(ParseError::at(format!("bad regex: {}", t.lit), t.pos)),
            Tok::Regex => regex::compile(&t.lit)
                .map(Some)
                .map_err(|m| ParseError::at(m, t.pos)),
            _ => Err(ParseError::expected(t.text(), &["regex"], t.pos)),
        }
    }
}
