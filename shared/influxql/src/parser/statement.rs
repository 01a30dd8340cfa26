//! Statement dispatch: leading keywords ──► the statement's parser, with 1.x's "expected" lists.
//!
//! ```text
//! SELECT | DELETE | SHOW … | CREATE … | DROP … | EXPLAIN | GRANT | REVOKE | ALTER RETENTION POLICY
//!        | SET PASSWORD FOR | KILL QUERY
//! ```
//! The keyword lists in the errors are 1.x's (in its registration order), e.g.
//! `found SELEC, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER,
//! SET, KILL`.

use super::Parser;
use super::error::ParseError;
use super::scanner::{Kw, Tok};
use super::select::Target;
use crate::ast::Statement;

const TOP: &[&str] = &[
    "SELECT", "DELETE", "SHOW", "CREATE", "DROP", "EXPLAIN", "GRANT", "REVOKE", "ALTER", "SET",
    "KILL",
];
const SHOW: &[&str] = &[
    "CONTINUOUS",
    "DATABASES",
    "DIAGNOSTICS",
    "FIELD",
    "GRANTS",
    "MEASUREMENT",
    "MEASUREMENTS",
    "QUERIES",
    "RETENTION",
    "SERIES",
    "SHARD",
    "SHARDS",
    "STATS",
    "SUBSCRIPTIONS",
    "TAG",
    "USERS",
];
const CREATE: &[&str] = &[
    "CONTINUOUS",
    "DATABASE",
    "USER",
    "RETENTION",
    "SUBSCRIPTION",
];
const DROP: &[&str] = &[
    "CONTINUOUS",
    "DATABASE",
    "MEASUREMENT",
    "RETENTION",
    "SERIES",
    "SHARD",
    "SUBSCRIPTION",
    "USER",
];

impl Parser<'_> {
    /// The next keyword, or the error listing what was expected.
    fn keyword(&mut self, expected: &[&str]) -> Result<Kw, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Kw(k) if expected.contains(&k.name()) => Ok(k),
            _ => Err(ParseError::expected(t.text(), expected, t.pos)),
        }
    }

    /// One statement.
    pub(crate) fn parse_statement(&mut self) -> Result<Statement, ParseError> {
        match self.keyword(TOP)? {
            Kw::Select => Ok(Statement::Select(Box::new(
                self.parse_select(Target::NotRequired)?,
            ))),
            Kw::Delete => Ok(Statement::Delete(self.parse_delete()?)),
            Kw::Show => self.parse_show(),
            Kw::Create => self.parse_create(),
            Kw::Drop => self.parse_drop(),
            Kw::Explain => self.parse_explain(),
            Kw::Grant => self.parse_grant_revoke(true),
            Kw::Revoke => self.parse_grant_revoke(false),
            Kw::Alter => {
                self.keyword(&["RETENTION"])?;
                self.keyword(&["POLICY"])?;
                self.parse_alter_retention_policy()
            }
            Kw::Set => {
                self.keyword(&["PASSWORD"])?;
                self.keyword(&["FOR"])?;
                self.parse_set_password()
            }
            _ => {
                self.keyword(&["QUERY"])?;
                self.parse_kill_query()
            }
        }
    }

    fn parse_show(&mut self) -> Result<Statement, ParseError> {
        Ok(match self.keyword(SHOW)? {
            Kw::Continuous => {
                self.keyword(&["QUERIES"])?;
                Statement::ShowContinuousQueries
            }
            Kw::Databases => Statement::ShowDatabases,
            Kw::Diagnostics => Statement::ShowDiagnostics {
                module: self.parse_for_module()?,
            },
            Kw::Field => match self.keyword(&["KEY", "KEYS"])? {
                Kw::Key => Statement::ShowFieldKeyCardinality(self.parse_key_cardinality()?),
                _ => self.parse_show_field_keys()?,
            },
            Kw::Grants => {
                self.keyword(&["FOR"])?;
                Statement::ShowGrantsForUser {
                    name: self.parse_ident()?,
                }
            }
            Kw::Measurement => {
                let exact = self.keyword(&["EXACT", "CARDINALITY"])? == Kw::Exact;
                self.parse_show_measurement_cardinality(exact)?
            }
            Kw::Measurements => self.parse_show_measurements()?,
            Kw::Queries => Statement::ShowQueries,
            Kw::Retention => {
                self.keyword(&["POLICIES"])?;
                self.parse_show_retention_policies()?
            }
            Kw::Series => self.parse_show_series()?,
            Kw::Shard => {
                self.keyword(&["GROUPS"])?;
                Statement::ShowShardGroups
            }
            Kw::Shards => Statement::ShowShards,
            Kw::Stats => Statement::ShowStats {
                module: self.parse_for_module()?,
            },
            Kw::Subscriptions => Statement::ShowSubscriptions,
            Kw::Tag => match self.keyword(&["KEY", "KEYS", "VALUES"])? {
                Kw::Key => Statement::ShowTagKeyCardinality(self.parse_key_cardinality()?),
                Kw::Keys => self.parse_show_tag_keys()?,
                _ => self.parse_show_tag_values()?,
            },
            _ => Statement::ShowUsers,
        })
    }

    fn parse_create(&mut self) -> Result<Statement, ParseError> {
        match self.keyword(CREATE)? {
            Kw::Continuous => {
                self.keyword(&["QUERY"])?;
                self.parse_create_continuous_query()
            }
            Kw::Database => self.parse_create_database(),
            Kw::User => self.parse_create_user(),
            Kw::Retention => {
                self.keyword(&["POLICY"])?;
                self.parse_create_retention_policy()
            }
            _ => self.parse_create_subscription(),
        }
    }

    fn parse_drop(&mut self) -> Result<Statement, ParseError> {
        match self.keyword(DROP)? {
            Kw::Continuous => {
                self.keyword(&["QUERY"])?;
                let name = self.parse_ident()?;
                self.parse_tokens(&[Tok::Kw(Kw::On)])?;
                let database = self.parse_ident()?;
                Ok(Statement::DropContinuousQuery { name, database })
            }
            Kw::Database => Ok(Statement::DropDatabase {
                name: self.parse_ident()?,
            }),
            Kw::Measurement => Ok(Statement::DropMeasurement {
                name: self.parse_ident()?,
            }),
            Kw::Retention => {
                self.keyword(&["POLICY"])?;
                self.parse_drop_retention_policy()
            }
            Kw::Series => Ok(Statement::DropSeries(self.parse_delete()?)),
            Kw::Shard => self.parse_drop_shard(),
            Kw::Subscription => self.parse_drop_subscription(),
            _ => Ok(Statement::DropUser {
                name: self.parse_ident()?,
            }),
        }
    }
}
