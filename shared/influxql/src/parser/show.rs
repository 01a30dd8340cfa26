//! SHOW statements (after the keywords that select them).
//!
//! ```text
//! SHOW MEASUREMENTS [ON db] [WITH MEASUREMENT =|=~ name|/re/] [WHERE] [ORDER BY] [LIMIT] [OFFSET]
//! SHOW TAG KEYS     [ON db] [FROM] [WHERE] [ORDER BY] [LIMIT] [OFFSET] [SLIMIT] [SOFFSET]
//! SHOW TAG VALUES   [ON db] [FROM] WITH KEY =|!=|=~|!~|IN … [WHERE] [ORDER BY] [LIMIT] [OFFSET]
//! SHOW FIELD KEYS   [ON db] [FROM] [ORDER BY] [LIMIT] [OFFSET]
//! SHOW SERIES       [ON db] [FROM] [WHERE] [ORDER BY] [LIMIT] [OFFSET]
//! SHOW [EXACT] … CARDINALITY [ON db] [FROM] [WITH KEY …] [WHERE] [GROUP BY] [LIMIT] [OFFSET]
//! SHOW RETENTION POLICIES [ON db] · SHOW STATS|DIAGNOSTICS [FOR 'm'] · SHOW GRANTS FOR u · …
//! ```

use super::Parser;
use super::error::ParseError;
use super::scanner::{Kw, Tok};
use crate::ast::{
    BinaryOp, CardinalityStatement, MeasurementName, ShowFieldKeysStatement,
    ShowMeasurementsStatement, ShowSeriesStatement, ShowTagKeysStatement,
    ShowTagValuesCardinalityStatement, ShowTagValuesStatement, Source, Statement, TagKeySelector,
};

impl Parser<'_> {
    fn parse_on(&mut self) -> Result<Option<String>, ParseError> {
        if self.accept_kw(Kw::On) {
            self.parse_ident().map(Some)
        } else {
            Ok(None)
        }
    }

    fn parse_from(&mut self) -> Result<Vec<crate::ast::Source>, ParseError> {
        if self.accept_kw(Kw::From) {
            self.parse_sources()
        } else {
            Ok(Vec::new())
        }
    }

    /// `[ON db] [FROM …] [WHERE …] [GROUP BY …] [LIMIT n] [OFFSET n]` of the cardinality forms.
    fn parse_cardinality_rest(&mut self, exact: bool) -> Result<CardinalityStatement, ParseError> {
        let database = self.parse_on()?;
        let sources = self.parse_from()?;
        let condition = self.parse_condition()?;
        let dimensions = self.parse_dimensions()?;
        let limit = self.parse_optional_token_and_int(Kw::Limit)?;
        let offset = self.parse_optional_token_and_int(Kw::Offset)?;
        Ok(CardinalityStatement {
            exact,
            database,
            sources,
            condition,
            dimensions,
            limit,
            offset,
        })
    }

    /// After `SHOW SERIES`.
    pub(crate) fn parse_show_series(&mut self) -> Result<Statement, ParseError> {
        let exact = self.accept_kw(Kw::Exact);
        if self.accept_kw(Kw::Cardinality) {
            return Ok(Statement::ShowSeriesCardinality(
                self.parse_cardinality_rest(exact)?,
            ));
        }
        let database = self.parse_on()?;
        let sources = self.parse_from()?;
        let condition = self.parse_condition()?;
        let order_by = self.parse_order_by()?;
        let limit = self.parse_optional_token_and_int(Kw::Limit)?;
        let offset = self.parse_optional_token_and_int(Kw::Offset)?;
        Ok(Statement::ShowSeries(ShowSeriesStatement {
            database,
            sources,
            condition,
            order_by,
            limit,
            offset,
        }))
    }

    /// After `SHOW MEASUREMENT EXACT` (`exact`) or `SHOW MEASUREMENT CARDINALITY`.
    pub(crate) fn parse_show_measurement_cardinality(
        &mut self,
        exact: bool,
    ) -> Result<Statement, ParseError> {
        if exact {
            self.parse_tokens(&[Tok::Kw(Kw::Cardinality)])?;
        }
        Ok(Statement::ShowMeasurementCardinality(
            self.parse_cardinality_rest(exact)?,
        ))
    }

    /// After `SHOW MEASUREMENTS`.
    pub(crate) fn parse_show_measurements(&mut self) -> Result<Statement, ParseError> {
        let database = self.parse_on()?;
        let mut with_measurement = None;
        if self.accept_kw(Kw::With) {
            self.parse_tokens(&[Tok::Kw(Kw::Measurement)])?;
            let t = self.scan_ignore_ws();
            if !matches!(t.tok, Tok::Eq | Tok::EqRegex) {
                return Err(ParseError::expected(t.text(), &["=", "=~"], t.pos));
            }
            // 1.x keeps the measurement and prints `=~` for a regex, `=` for a name
            let name = match self.parse_source()? {
                Source::Measurement(m) => m.name,
                Source::Subquery(_) => None,
            };
            with_measurement = name.map(|name| {
                let op = match name {
                    MeasurementName::Regex(_) => BinaryOp::EqRegex,
                    MeasurementName::Name(_) => BinaryOp::Eq,
                };
                (op, name)
            });
        }
        let condition = self.parse_condition()?;
        let order_by = self.parse_order_by()?;
        let limit = self.parse_optional_token_and_int(Kw::Limit)?;
        let offset = self.parse_optional_token_and_int(Kw::Offset)?;
        Ok(Statement::ShowMeasurements(ShowMeasurementsStatement {
            database,
            with_measurement,
            condition,
            order_by,
            limit,
            offset,
        }))
    }

    /// After `SHOW RETENTION POLICIES`.
    pub(crate) fn parse_show_retention_policies(&mut self) -> Result<Statement, ParseError> {
        Ok(Statement::ShowRetentionPolicies {
            database: self.parse_on()?,
        })
    }

    /// After `SHOW TAG KEY` / `SHOW FIELD KEY`: `[EXACT] CARDINALITY …`.
    pub(crate) fn parse_key_cardinality(&mut self) -> Result<CardinalityStatement, ParseError> {
        let exact = self.accept_kw(Kw::Exact);
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Kw(Kw::Cardinality) {
            let expected: &[&str] = if exact {
                &["CARDINALITY"]
            } else {
                &["EXACT", "CARDINALITY"]
            };
            return Err(ParseError::expected(t.text(), expected, t.pos));
        }
        self.parse_cardinality_rest(exact)
    }

    /// After `SHOW TAG KEYS`.
    pub(crate) fn parse_show_tag_keys(&mut self) -> Result<Statement, ParseError> {
        let database = self.parse_on()?;
        let sources = self.parse_from()?;
        let condition = self.parse_condition()?;
        let order_by = self.parse_order_by()?;
        let limit = self.parse_optional_token_and_int(Kw::Limit)?;
        let offset = self.parse_optional_token_and_int(Kw::Offset)?;
        let slimit = self.parse_optional_token_and_int(Kw::Slimit)?;
        let soffset = self.parse_optional_token_and_int(Kw::Soffset)?;
        Ok(Statement::ShowTagKeys(ShowTagKeysStatement {
            database,
            sources,
            condition,
            order_by,
            limit,
            offset,
            slimit,
            soffset,
        }))
    }

    /// After `SHOW TAG VALUES`.
    pub(crate) fn parse_show_tag_values(&mut self) -> Result<Statement, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Kw(Kw::Exact) => return self.parse_show_tag_values_cardinality(true),
            Tok::Kw(Kw::Cardinality) => return self.parse_show_tag_values_cardinality(false),
            _ => self.unscan(),
        }
        let database = self.parse_on()?;
        let sources = self.parse_from()?;
        let key = self.parse_tag_key_expr()?;
        let condition = self.parse_condition()?;
        let order_by = self.parse_order_by()?;
        let limit = self.parse_optional_token_and_int(Kw::Limit)?;
        let offset = self.parse_optional_token_and_int(Kw::Offset)?;
        Ok(Statement::ShowTagValues(ShowTagValuesStatement {
            database,
            sources,
            key,
            condition,
            order_by,
            limit,
            offset,
        }))
    }

    fn parse_show_tag_values_cardinality(&mut self, exact: bool) -> Result<Statement, ParseError> {
        if exact {
            self.parse_tokens(&[Tok::Kw(Kw::Cardinality)])?;
        }
        let database = self.parse_on()?;
        let sources = self.parse_from()?;
        let key = self.parse_tag_key_expr()?;
        let condition = self.parse_condition()?;
        let dimensions = self.parse_dimensions()?;
        let limit = self.parse_optional_token_and_int(Kw::Limit)?;
        let offset = self.parse_optional_token_and_int(Kw::Offset)?;
        Ok(Statement::ShowTagValuesCardinality(
            ShowTagValuesCardinalityStatement {
                common: CardinalityStatement {
                    exact,
                    database,
                    sources,
                    condition,
                    dimensions,
                    limit,
                    offset,
                },
                key,
            },
        ))
    }

    /// `WITH KEY = k | != k | =~ /re/ | !~ /re/ | IN (k, …)`.
    fn parse_tag_key_expr(&mut self) -> Result<TagKeySelector, ParseError> {
        self.parse_tokens(&[Tok::Kw(Kw::With), Tok::Kw(Kw::Key)])?;
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Kw(Kw::In) => {
                let t = self.scan_ignore_ws();
                if t.tok != Tok::LParen {
                    return Err(ParseError::expected(t.text(), &["("], t.pos));
                }
                let keys = self.parse_ident_list()?;
                let t = self.scan_ignore_ws();
                if t.tok != Tok::RParen {
                    return Err(ParseError::expected(t.text(), &[")"], t.pos));
                }
                Ok(TagKeySelector::In(keys))
            }
            Tok::Eq => Ok(TagKeySelector::Eq(self.parse_ident()?)),
            Tok::Neq => Ok(TagKeySelector::NotEq(self.parse_ident()?)),
            Tok::EqRegex | Tok::NeqRegex => {
                let Some(re) = self.parse_regex()? else {
                    let t2 = self.scan_ignore_ws();
                    return Err(ParseError::expected(t2.text(), &["regex"], t2.pos));
                };
                Ok(if t.tok == Tok::EqRegex {
                    TagKeySelector::EqRegex(re)
                } else {
                    TagKeySelector::NotEqRegex(re)
                })
            }
            _ => Err(ParseError::expected(t.text(), &["IN", "=", "=~"], t.pos)),
        }
    }

    /// After `SHOW FIELD KEYS`.
    pub(crate) fn parse_show_field_keys(&mut self) -> Result<Statement, ParseError> {
        let database = self.parse_on()?;
        let sources = self.parse_from()?;
        let order_by = self.parse_order_by()?;
        let limit = self.parse_optional_token_and_int(Kw::Limit)?;
        let offset = self.parse_optional_token_and_int(Kw::Offset)?;
        Ok(Statement::ShowFieldKeys(ShowFieldKeysStatement {
            database,
            sources,
            order_by,
            limit,
            offset,
        }))
    }

    /// After `SHOW STATS` / `SHOW DIAGNOSTICS`: `[FOR 'module']`.
    pub(crate) fn parse_for_module(&mut self) -> Result<Option<String>, ParseError> {
        if self.accept_kw(Kw::For) {
            self.parse_string().map(Some)
        } else {
            Ok(None)
        }
    }
}
