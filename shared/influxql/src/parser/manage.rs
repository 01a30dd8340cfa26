//! Management statements (after the keywords that select them): databases, retention policies,
//! users and privileges, continuous queries, subscriptions, deletes, KILL QUERY, EXPLAIN.
//!
//! ```text
//! CREATE DATABASE db [WITH [DURATION d] [REPLICATION n] [SHARD DURATION d] [NAME rp]]
//! CREATE|ALTER RETENTION POLICY rp ON db … · DROP RETENTION POLICY rp ON db
//! CREATE USER u WITH PASSWORD 'p' [WITH ALL PRIVILEGES] · SET PASSWORD FOR u = 'p'
//! GRANT|REVOKE READ|WRITE|ALL [PRIVILEGES] [ON db] TO|FROM u
//! CREATE CONTINUOUS QUERY cq ON db [RESAMPLE [EVERY d] [FOR d]] BEGIN SELECT … INTO … END
//! CREATE|DROP SUBSCRIPTION … · KILL QUERY id [ON host] · DROP SHARD id · DROP MEASUREMENT m
//! DELETE|DROP SERIES [FROM …] [WHERE …] · EXPLAIN [ANALYZE] [VERBOSE] SELECT …
//! ```

use super::Parser;
use super::error::ParseError;
use super::scanner::{Kw, Tok};
use super::select::{Target, has_call};
use crate::ast::{
    AlterRetentionPolicyStatement, CreateContinuousQueryStatement, CreateDatabaseStatement,
    CreateRetentionPolicyStatement, DeleteStatement, ExplainStatement, Expr, Privilege, Source,
    Statement,
};
use crate::time::format_duration;

const MAX_REPLICATION: i64 = i32::MAX as i64;

impl Parser<'_> {
    /// After `CREATE DATABASE`.
    pub(crate) fn parse_create_database(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        let mut stmt = CreateDatabaseStatement {
            name,
            duration: None,
            replication: None,
            shard_duration: None,
            retention_policy_name: None,
        };
        if !self.accept_kw(Kw::With) {
            return Ok(Statement::CreateDatabase(stmt));
        }
        let t = self.scan_ignore_ws();
        if !matches!(
            t.tok,
            Tok::Kw(Kw::Duration | Kw::Name | Kw::Replication | Kw::Shard)
        ) {
            return Err(ParseError::expected(
                t.text(),
                &["DURATION", "NAME", "REPLICATION", "SHARD"],
                t.pos,
            ));
        }
        self.unscan();
        if self.try_tokens(&[Tok::Kw(Kw::Duration)]) {
            stmt.duration = Some(self.parse_duration_value()?);
        }
        if self.try_tokens(&[Tok::Kw(Kw::Replication)]) {
            stmt.replication = Some(self.parse_replication()?);
        }
        if self.try_tokens(&[Tok::Kw(Kw::Shard)]) {
            let t = self.scan_ignore_ws();
            if t.tok != Tok::Kw(Kw::Duration) {
                return Err(ParseError::expected(t.text(), &["DURATION"], t.pos));
            }
            stmt.shard_duration = Some(self.parse_duration_value()?);
        }
        if self.try_tokens(&[Tok::Kw(Kw::Name)]) {
            stmt.retention_policy_name = Some(self.parse_ident()?);
        }
        Ok(Statement::CreateDatabase(stmt))
    }

    /// 1.x's "`parseTokens`, and on failure push back one token".
    fn try_tokens(&mut self, toks: &[Tok]) -> bool {
        if self.parse_tokens(toks).is_ok() {
            true
        } else {
            self.unscan();
            false
        }
    }

    fn parse_replication(&mut self) -> Result<u32, ParseError> {
        let n = self.parse_int(1, MAX_REPLICATION)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// `SHARD DURATION d` after SHARD was read; INF is refused there.
    fn parse_shard_duration(&mut self) -> Result<i64, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Kw(Kw::Duration) {
            return Err(ParseError::expected(t.text(), &["DURATION"], t.pos));
        }
        let t = self.scan_ignore_ws();
        if t.tok == Tok::Kw(Kw::Inf) {
            return Err(ParseError::at(
                "invalid duration INF for shard duration",
                t.pos,
            ));
        }
        self.unscan();
        self.parse_duration_value()
    }

    /// After `CREATE RETENTION POLICY`.
    pub(crate) fn parse_create_retention_policy(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        self.parse_tokens(&[Tok::Kw(Kw::On)])?;
        let database = self.parse_ident()?;
        self.parse_tokens(&[Tok::Kw(Kw::Duration)])?;
        let duration = self.parse_duration_value()?;
        self.parse_tokens(&[Tok::Kw(Kw::Replication)])?;
        let replication = self.parse_replication()?;
        let shard_duration = if self.accept_kw(Kw::Shard) {
            self.parse_shard_duration()?
        } else {
            0
        };
        let default = self.accept_kw(Kw::Default);
        Ok(Statement::CreateRetentionPolicy(
            CreateRetentionPolicyStatement {
                name,
                database,
                duration,
                replication,
                shard_duration,
                default,
            },
        ))
    }

    /// After `ALTER RETENTION POLICY`.
    pub(crate) fn parse_alter_retention_policy(&mut self) -> Result<Statement, ParseError> {
        let t = self.scan_ignore_ws();
        let name = match t.tok {
            Tok::Kw(Kw::Default) => "default".to_owned(),
            Tok::Ident => t.lit,
            _ => return Err(ParseError::expected(t.text(), &["identifier"], t.pos)),
        };
        self.parse_tokens(&[Tok::Kw(Kw::On)])?;
        let database = self.parse_ident()?;
        let mut stmt = AlterRetentionPolicyStatement {
            name,
            database,
            duration: None,
            replication: None,
            shard_duration: None,
            default: false,
        };
        let mut found: Vec<Tok> = Vec::new();
        loop {
            let t = self.scan_ignore_ws();
            if found.contains(&t.tok) {
                return Err(ParseError::at(
                    format!("found duplicate {} option", t.tok.name()),
                    t.pos,
                ));
            }
            match t.tok {
                Tok::Kw(Kw::Duration) => stmt.duration = Some(self.parse_duration_value()?),
                Tok::Kw(Kw::Replication) => stmt.replication = Some(self.parse_replication()?),
                Tok::Kw(Kw::Shard) => stmt.shard_duration = Some(self.parse_shard_duration()?),
                Tok::Kw(Kw::Default) => stmt.default = true,
                _ => {
                    if found.is_empty() {
                        return Err(ParseError::expected(
                            t.text(),
                            &["DURATION", "REPLICATION", "SHARD", "DEFAULT"],
                            t.pos,
                        ));
                    }
                    self.unscan();
                    return Ok(Statement::AlterRetentionPolicy(stmt));
                }
            }
            found.push(t.tok);
        }
    }

    /// After `DROP RETENTION POLICY`.
    pub(crate) fn parse_drop_retention_policy(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        self.parse_tokens(&[Tok::Kw(Kw::On)])?;
        let database = self.parse_ident()?;
        Ok(Statement::DropRetentionPolicy { name, database })
    }

    /// After `CREATE USER`.
    pub(crate) fn parse_create_user(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        self.parse_tokens(&[Tok::Kw(Kw::With), Tok::Kw(Kw::Password)])?;
        let password = self.parse_string()?;
        let admin = if self.accept_kw(Kw::With) {
            self.parse_tokens(&[Tok::Kw(Kw::All), Tok::Kw(Kw::Privileges)])?;
            true
        } else {
            false
        };
        Ok(Statement::CreateUser {
            name,
            password,
            admin,
        })
    }

    /// After `SET PASSWORD FOR`.
    pub(crate) fn parse_set_password(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Eq {
            return Err(ParseError::expected(t.text(), &["="], t.pos));
        }
        let password = self.parse_string()?;
        Ok(Statement::SetPassword { name, password })
    }

    fn parse_privilege(&mut self) -> Result<Privilege, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Kw(Kw::Read) => Ok(Privilege::Read),
            Tok::Kw(Kw::Write) => Ok(Privilege::Write),
            Tok::Kw(Kw::All) => {
                if self.scan_ignore_ws().tok != Tok::Kw(Kw::Privileges) {
                    self.unscan();
                }
                Ok(Privilege::All)
            }
            _ => Err(ParseError::expected(
                t.text(),
                &["READ", "WRITE", "ALL [PRIVILEGES]"],
                t.pos,
            )),
        }
    }

    /// After `GRANT` (`grant`) or `REVOKE`.
    pub(crate) fn parse_grant_revoke(&mut self, grant: bool) -> Result<Statement, ParseError> {
        let privilege = self.parse_privilege()?;
        let (to_kw, to_name) = if grant {
            (Kw::To, "TO")
        } else {
            (Kw::From, "FROM")
        };
        let t = self.scan_ignore_ws();
        let database = if t.tok == Tok::Kw(Kw::On) {
            let db = self.parse_ident()?;
            let t = self.scan_ignore_ws();
            if t.tok != Tok::Kw(to_kw) {
                return Err(ParseError::expected(t.text(), &[to_name], t.pos));
            }
            Some(db)
        } else if t.tok == Tok::Kw(to_kw) {
            if privilege != Privilege::All {
                return Err(ParseError::expected(t.text(), &["ON"], t.pos));
            }
            None
        } else if privilege == Privilege::All {
            return Err(ParseError::expected(t.text(), &["ON", to_name], t.pos));
        } else {
            return Err(ParseError::expected(t.text(), &["ON"], t.pos));
        };
        let user = self.parse_ident()?;
        Ok(if grant {
            Statement::Grant {
                privilege,
                database,
                user,
            }
        } else {
            Statement::Revoke {
                privilege,
                database,
                user,
            }
        })
    }

    /// After `KILL QUERY`.
    pub(crate) fn parse_kill_query(&mut self) -> Result<Statement, ParseError> {
        let query_id = self.parse_uint64()?;
        let host = if self.accept_kw(Kw::On) {
            Some(self.parse_ident()?)
        } else {
            None
        };
        Ok(Statement::KillQuery { query_id, host })
    }

    /// `db.rp` of the subscription statements.
    fn parse_db_dot_rp(&mut self) -> Result<(String, String), ParseError> {
        let database = self.parse_ident()?;
        let t = self.scan();
        if t.tok != Tok::Dot {
            return Err(ParseError::expected(t.text(), &["."], t.pos));
        }
        Ok((database, self.parse_ident()?))
    }

    /// After `CREATE SUBSCRIPTION`.
    pub(crate) fn parse_create_subscription(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        self.parse_tokens(&[Tok::Kw(Kw::On)])?;
        let (database, retention_policy) = self.parse_db_dot_rp()?;
        self.parse_tokens(&[Tok::Kw(Kw::Destinations)])?;
        let t = self.scan_ignore_ws();
        let mode = match t.tok {
            Tok::Kw(k @ (Kw::All | Kw::Any)) => k.name().to_owned(),
            _ => return Err(ParseError::expected(t.text(), &["ALL", "ANY"], t.pos)),
        };
        let destinations = self.parse_string_list()?;
        Ok(Statement::CreateSubscription {
            name,
            database,
            retention_policy,
            mode,
            destinations,
        })
    }

    /// After `DROP SUBSCRIPTION`.
    pub(crate) fn parse_drop_subscription(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        self.parse_tokens(&[Tok::Kw(Kw::On)])?;
        let (database, retention_policy) = self.parse_db_dot_rp()?;
        Ok(Statement::DropSubscription {
            name,
            database,
            retention_policy,
        })
    }

    /// After `DELETE` (`delete`) or `DROP SERIES`: `[FROM …] [WHERE …]`, at least one.
    pub(crate) fn parse_delete(&mut self) -> Result<DeleteStatement, ParseError> {
        let t = self.scan_ignore_ws();
        let mut sources = Vec::new();
        if t.tok == Tok::Kw(Kw::From) {
            sources = self.parse_sources()?;
            let mut error = None;
            for source in &sources {
                if let Source::Measurement(m) = source {
                    if m.database.is_some() {
                        error = Some("database not supported");
                    }
                    if m.retention_policy.is_some() {
                        error = Some("retention policy not supported");
                    }
                }
            }
            if let Some(message) = error {
                return Err(ParseError::at(message, Default::default()));
            }
        } else {
            self.unscan();
        }
        let condition = self.parse_condition()?;
        if condition.is_none() && sources.is_empty() {
            return Err(ParseError::expected(t.text(), &["FROM", "WHERE"], t.pos));
        }
        Ok(DeleteStatement { sources, condition })
    }

    /// After `DROP SHARD`.
    pub(crate) fn parse_drop_shard(&mut self) -> Result<Statement, ParseError> {
        Ok(Statement::DropShard {
            id: self.parse_uint64()?,
        })
    }

    /// After `EXPLAIN`.
    pub(crate) fn parse_explain(&mut self) -> Result<Statement, ParseError> {
        let analyze = self.accept_kw(Kw::Analyze);
        // VERBOSE (later 1.x releases) is read as a word, so `verbose` stays a valid name
        let t = self.scan_ignore_ws();
        let verbose = t.tok == Tok::Ident && t.lit.eq_ignore_ascii_case("verbose");
        if !verbose {
            self.unscan();
        }
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Kw(Kw::Select) {
            return Err(ParseError::expected(t.text(), &["SELECT"], t.pos));
        }
        let statement = Box::new(self.parse_select(Target::NotRequired)?);
        Ok(Statement::Explain(ExplainStatement {
            statement,
            analyze,
            verbose,
        }))
    }

    /// After `CREATE CONTINUOUS QUERY`.
    pub(crate) fn parse_create_continuous_query(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        self.parse_tokens(&[Tok::Kw(Kw::On)])?;
        let database = self.parse_ident()?;
        let (mut resample_every, mut resample_for) = (None, None);
        if self.accept_kw(Kw::Resample) {
            let (every, for_) = self.parse_resample()?;
            resample_every = (every != 0).then_some(every);
            resample_for = (for_ != 0).then_some(for_);
        }
        self.parse_tokens(&[Tok::Kw(Kw::Begin), Tok::Kw(Kw::Select)])?;
        let source = self.parse_select(Target::Required)?;
        let interval = group_by_interval(&source.dimensions);
        if has_call(&source.fields) && !matches!(interval, Ok(d) if d != 0) {
            // 1.x points at the token before the one it stopped at
            self.unscan();
            self.unscan();
            let t = self.scan_ignore_ws();
            let mut expected = vec!["GROUP BY time(...)"];
            if let Err(e) = &interval {
                expected.push(e);
            }
            return Err(ParseError::expected(t.text(), &expected, t.pos));
        }
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Kw(Kw::End) {
            return Err(ParseError::expected(t.text(), &["END"], t.pos));
        }
        // 1.x's validate(): FOR must cover the interval
        let interval = interval.map_err(ParseError::plain)?;
        if let Some(for_) = resample_for {
            let mut minimum = interval;
            if let Some(every) = resample_every
                && every > minimum
            {
                minimum = every;
            }
            if minimum > for_ {
                return Err(ParseError::plain(format!(
                    "FOR duration must be >= GROUP BY time duration: must be a minimum of {}, got {}",
                    format_duration(minimum),
                    format_duration(for_)
                )));
            }
        }
        Ok(Statement::CreateContinuousQuery(
            CreateContinuousQueryStatement {
                name,
                database,
                resample_every,
                resample_for,
                source: Box::new(source),
            },
        ))
    }

    /// `RESAMPLE [EVERY d] [FOR d]` after RESAMPLE; at least one.
    fn parse_resample(&mut self) -> Result<(i64, i64), ParseError> {
        let mut every = 0;
        if self.accept_kw(Kw::Every) {
            every = self.parse_duration_literal()?;
        }
        let mut for_ = 0;
        if self.accept_kw(Kw::For) {
            for_ = self.parse_duration_literal()?;
        }
        if every == 0 && for_ == 0 {
            let t = self.scan_ignore_ws();
            return Err(ParseError::expected(t.text(), &["EVERY", "FOR"], t.pos));
        }
        Ok((every, for_))
    }

    fn parse_duration_literal(&mut self) -> Result<i64, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::DurationVal {
            return Err(ParseError::expected(t.text(), &["duration"], t.pos));
        }
        crate::time::parse_duration_checked(&t.lit).map_err(|m| ParseError::at(m, t.pos))
    }
}

/// 1.x's `GroupByInterval`: the duration of the first `time(…)` dimension (0 if none).
fn group_by_interval(dimensions: &[crate::ast::Dimension]) -> Result<i64, &'static str> {
    for d in dimensions {
        if let Expr::Call { name, args } = &d.expr
            && name == "time"
        {
            if args.is_empty() || args.len() > 2 {
                return Err("time dimension expected 1 or 2 arguments");
            }
            return match args[0] {
                Expr::Duration(v) => Ok(v),
                _ => Err("time dimension must have duration argument"),
            };
        }
    }
    Ok(0)
}
