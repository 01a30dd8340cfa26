//! `Display` for the syntax tree: the text 1.x's `String()` methods print.
//!
//! ```text
//! Query ──► "stmt;\nstmt"      Statement / SelectStatement ──► "SELECT … FROM … WHERE …"
//! Expr  ──► "a + b * 2", "mean(\"cpu load\")", "'it\'s'", "10m", "/re\/x/", "1.500"
//! identifiers quoted ("…") when not [A-Za-z_][A-Za-z0-9_]* or a keyword; strings '…' escaped
//! ```
//!
//! Where 1.x's text would not parse back to the same tree, this prints a form that does (see
//! docs/influxql.md): floats keep their exact value (`0.0001`, 1.x `0.000`), `fill()` floats
//! keep a decimal point, CREATE DATABASE durations use the literal syntax, `SHOW MEASUREMENTS
//! ON` and `DISTINCT` quote their names, and a `-x` nested under a tighter operator prints as
//! `-x`. Passwords print as `[REDACTED]`; the alternate form (`{:#}`) prints them.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{
    BinaryOp, CardinalityStatement, DataType, DeleteStatement, Dimension, Expr, Field, Fill,
    Measurement, MeasurementName, Privilege, Query, Regex, SelectStatement, SortField, Source,
    Statement, TagKeySelector,
};
use crate::time::format_duration;

use crate::literal::format_fill_float;
pub use crate::literal::{
    format_number, ident_needs_quotes, quote_ident, quote_segments, quote_string,
};

impl BinaryOp {
    /// 1.x's precedence class: `OR` 1, `AND` 2, comparisons 3, `+ - | ^` 4, `* / % &` 5.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::EqRegex
            | BinaryOp::NotEqRegex
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => 3,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::BitOr | BinaryOp::BitXor => 4,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::BitAnd => 5,
        }
    }
}

fn join<T: Display>(f: &mut Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, s) in self.statements.iter().enumerate() {
            if i > 0 {
                f.write_str(";\n")?;
            }
            if f.alternate() {
                write!(f, "{s:#}")?;
            } else {
                write!(f, "{s}")?;
            }
        }
        Ok(())
    }
}

impl Display for Regex {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.source.replace('/', "\\/"))
    }
}

impl Display for MeasurementName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            MeasurementName::Name(n) => f.write_str(&quote_ident(n)),
            MeasurementName::Regex(r) => write!(f, "{r}"),
        }
    }
}

impl Display for Measurement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(db) = &self.database {
            write!(f, "{}.", quote_ident(db))?;
        }
        if let Some(rp) = &self.retention_policy {
            f.write_str(&quote_ident(rp))?;
        }
        if self.database.is_some() || self.retention_policy.is_some() {
            f.write_str(".")?;
        }
        if let Some(name) = &self.name {
            write!(f, "{name}")?;
        }
        if self.back_reference {
            f.write_str(":MEASUREMENT")?;
        }
        Ok(())
    }
}

impl Display for Source {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Source::Measurement(m) => write!(f, "{m}"),
            Source::Subquery(s) => write!(f, "({s})"),
        }
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if let Some(alias) = &self.alias {
            write!(f, " AS {}", quote_ident(alias))?;
        }
        Ok(())
    }
}

impl Display for Dimension {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)
    }
}

impl Display for SortField {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if !self.name.is_empty() {
            write!(f, "{} ", self.name)?;
        }
        f.write_str(if self.ascending { "ASC" } else { "DESC" })
    }
}

impl Display for Fill {
    /// The `fill(…)` clause (empty for the default `fill(null)`).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Fill::Null => Ok(()),
            Fill::None => f.write_str("fill(none)"),
            Fill::Integer(v) => write!(f, "fill({v})"),
            Fill::Float(v) => write!(f, "fill({})", format_fill_float(*v)),
            Fill::Previous => f.write_str("fill(previous)"),
            Fill::Linear => f.write_str("fill(linear)"),
        }
    }
}

impl Display for Privilege {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Privilege::No => "NO PRIVILEGES",
            Privilege::Read => "READ",
            Privilege::Write => "WRITE",
            Privilege::All => "ALL PRIVILEGES",
        })
    }
}

impl Display for TagKeySelector {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            TagKeySelector::Eq(k) => write!(f, "= {}", quote_ident(k)),
            TagKeySelector::NotEq(k) => write!(f, "!= {}", quote_ident(k)),
            TagKeySelector::EqRegex(r) => write!(f, "=~ {r}"),
            TagKeySelector::NotEqRegex(r) => write!(f, "!~ {r}"),
            TagKeySelector::In(keys) => {
                f.write_str("IN (")?;
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&quote_ident(k))?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Writes the optional clauses shared by the SHOW statements.
struct Clauses<'a> {
    database: Option<&'a str>,
    sources: &'a [Source],
    key: Option<&'a TagKeySelector>,
    condition: Option<&'a Expr>,
    dimensions: &'a [Dimension],
    order_by: &'a [SortField],
    limit: u64,
    offset: u64,
    slimit: u64,
    soffset: u64,
}

impl Clauses<'_> {
    fn write(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(db) = self.database {
            write!(f, " ON {}", quote_ident(db))?;
        }
        if !self.sources.is_empty() {
            f.write_str(" FROM ")?;
            join(f, self.sources, ", ")?;
        }
        if let Some(key) = self.key {
            write!(f, " WITH KEY {key}")?;
        }
        if let Some(c) = self.condition {
            write!(f, " WHERE {c}")?;
        }
        if !self.dimensions.is_empty() {
            f.write_str(" GROUP BY ")?;
            join(f, self.dimensions, ", ")?;
        }
        if !self.order_by.is_empty() {
            f.write_str(" ORDER BY ")?;
            join(f, self.order_by, ", ")?;
        }
        for (kw, n) in [
            ("LIMIT", self.limit),
            ("OFFSET", self.offset),
            ("SLIMIT", self.slimit),
            ("SOFFSET", self.soffset),
        ] {
            if n > 0 {
                write!(f, " {kw} {n}")?;
            }
        }
        Ok(())
    }

    fn none() -> Self {
        Clauses {
            database: None,
            sources: &[],
            key: None,
            condition: None,
            dimensions: &[],
            order_by: &[],
            limit: 0,
            offset: 0,
            slimit: 0,
            soffset: 0,
        }
    }

    fn cardinality<'a>(
        c: &'a CardinalityStatement,
        key: Option<&'a TagKeySelector>,
    ) -> Clauses<'a> {
        Clauses {
            database: c.database.as_deref(),
            sources: &c.sources,
            key,
            condition: c.condition.as_ref(),
            dimensions: &c.dimensions,
            limit: c.limit,
            offset: c.offset,
            ..Clauses::none()
        }
    }
}

impl Display for SelectStatement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        join(f, &self.fields, ", ")?;
        if let Some(target) = &self.target {
            write!(f, " INTO {target}")?;
        }
        Clauses {
            sources: &self.sources,
            condition: self.condition.as_ref(),
            dimensions: &self.dimensions,
            ..Clauses::none()
        }
        .write(f)?;
        if self.fill != Fill::Null {
            write!(f, " {}", self.fill)?;
        }
        Clauses {
            order_by: &self.order_by,
            limit: self.limit,
            offset: self.offset,
            slimit: self.slimit,
            soffset: self.soffset,
            ..Clauses::none()
        }
        .write(f)?;
        if let Some(tz) = &self.location {
            write!(f, " TZ('{tz}')")?;
        }
        Ok(())
    }
}

fn write_delete(f: &mut Formatter<'_>, head: &str, d: &DeleteStatement) -> fmt::Result {
    f.write_str(head)?;
    Clauses {
        sources: &d.sources,
        condition: d.condition.as_ref(),
        ..Clauses::none()
    }
    .write(f)
}

fn on(db: &Option<String>) -> String {
    db.as_deref()
        .map(|d| format!(" ON {}", quote_ident(d)))
        .unwrap_or_default()
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let secret = |pw: &str| {
            if f.alternate() {
                quote_string(pw)
            } else {
                "[REDACTED]".to_owned()
            }
        };
        match self {
            Statement::Select(s) => write!(f, "{s}"),
            Statement::Explain(e) => {
                f.write_str("EXPLAIN ")?;
                if e.analyze {
                    f.write_str("ANALYZE ")?;
                }
                if e.verbose {
                    f.write_str("VERBOSE ")?;
                }
                write!(f, "{}", e.statement)
            }
            Statement::Delete(d) => write_delete(f, "DELETE", d),
            Statement::DropSeries(d) => write_delete(f, "DROP SERIES", d),
            Statement::ShowDatabases => f.write_str("SHOW DATABASES"),
            Statement::ShowMeasurements(s) => {
                f.write_str("SHOW MEASUREMENTS")?;
                f.write_str(&on(&s.database))?;
                if let Some((_, name)) = &s.with_measurement {
                    let op = match name {
                        MeasurementName::Regex(_) => "=~",
                        MeasurementName::Name(_) => "=",
                    };
                    write!(f, " WITH MEASUREMENT {op} {name}")?;
                }
                Clauses {
                    condition: s.condition.as_ref(),
                    order_by: &s.order_by,
                    limit: s.limit,
                    offset: s.offset,
                    ..Clauses::none()
                }
                .write(f)
            }
            Statement::ShowMeasurementCardinality(c) => {
                f.write_str("SHOW MEASUREMENT")?;
                if c.exact {
                    f.write_str(" EXACT")?;
                }
                f.write_str(" CARDINALITY")?;
                Clauses::cardinality(c, None).write(f)
            }
            Statement::ShowSeriesCardinality(c) => {
                f.write_str("SHOW SERIES")?;
                if c.exact {
                    f.write_str(" EXACT")?;
                }
                f.write_str(" CARDINALITY")?;
                Clauses::cardinality(c, None).write(f)
            }
            Statement::ShowTagKeyCardinality(c) | Statement::ShowFieldKeyCardinality(c) => {
                f.write_str(if matches!(self, Statement::ShowTagKeyCardinality(_)) {
                    "SHOW TAG KEY "
                } else {
                    "SHOW FIELD KEY "
                })?;
                if c.exact {
                    f.write_str("EXACT ")?;
                }
                f.write_str("CARDINALITY")?;
                Clauses::cardinality(c, None).write(f)
            }
            Statement::ShowTagValuesCardinality(s) => {
                f.write_str("SHOW TAG VALUES ")?;
                if s.common.exact {
                    f.write_str("EXACT ")?;
                }
                f.write_str("CARDINALITY")?;
                Clauses::cardinality(&s.common, Some(&s.key)).write(f)
            }
            Statement::ShowTagKeys(s) => {
                f.write_str("SHOW TAG KEYS")?;
                Clauses {
                    database: s.database.as_deref(),
                    sources: &s.sources,
                    condition: s.condition.as_ref(),
                    order_by: &s.order_by,
                    limit: s.limit,
                    offset: s.offset,
                    slimit: s.slimit,
                    soffset: s.soffset,
                    ..Clauses::none()
                }
                .write(f)
            }
            Statement::ShowTagValues(s) => {
                f.write_str("SHOW TAG VALUES")?;
                Clauses {
                    database: s.database.as_deref(),
                    sources: &s.sources,
                    key: Some(&s.key),
                    condition: s.condition.as_ref(),
                    order_by: &s.order_by,
                    limit: s.limit,
                    offset: s.offset,
                    ..Clauses::none()
                }
                .write(f)
            }
            Statement::ShowFieldKeys(s) => {
                f.write_str("SHOW FIELD KEYS")?;
                Clauses {
                    database: s.database.as_deref(),
                    sources: &s.sources,
                    order_by: &s.order_by,
                    limit: s.limit,
                    offset: s.offset,
                    ..Clauses::none()
                }
                .write(f)
            }
            Statement::ShowSeries(s) => {
                f.write_str("SHOW SERIES")?;
                Clauses {
                    database: s.database.as_deref(),
                    sources: &s.sources,
                    condition: s.condition.as_ref(),
                    order_by: &s.order_by,
                    limit: s.limit,
                    offset: s.offset,
                    ..Clauses::none()
                }
                .write(f)
            }
            Statement::ShowRetentionPolicies { database } => {
                write!(f, "SHOW RETENTION POLICIES{}", on(database))
            }
            Statement::ShowContinuousQueries => f.write_str("SHOW CONTINUOUS QUERIES"),
            Statement::ShowUsers => f.write_str("SHOW USERS"),
            Statement::ShowGrantsForUser { name } => {
                write!(f, "SHOW GRANTS FOR {}", quote_ident(name))
            }
            Statement::ShowQueries => f.write_str("SHOW QUERIES"),
            Statement::ShowShards => f.write_str("SHOW SHARDS"),
            Statement::ShowShardGroups => f.write_str("SHOW SHARD GROUPS"),
            Statement::ShowSubscriptions => f.write_str("SHOW SUBSCRIPTIONS"),
            Statement::ShowStats { module } | Statement::ShowDiagnostics { module } => {
                f.write_str(if matches!(self, Statement::ShowStats { .. }) {
                    "SHOW STATS"
                } else {
                    "SHOW DIAGNOSTICS"
                })?;
                if let Some(m) = module {
                    write!(f, " FOR {}", quote_string(m))?;
                }
                Ok(())
            }
            Statement::CreateDatabase(s) => {
                write!(f, "CREATE DATABASE {}", quote_ident(&s.name))?;
                if s.duration.is_some()
                    || s.replication.is_some()
                    || s.shard_duration.is_some()
                    || s.retention_policy_name.is_some()
                {
                    f.write_str(" WITH")?;
                    if let Some(d) = s.duration {
                        write!(f, " DURATION {}", format_duration(d))?;
                    }
                    if let Some(n) = s.replication {
                        write!(f, " REPLICATION {n}")?;
                    }
                    if let Some(d) = s.shard_duration {
                        write!(f, " SHARD DURATION {}", format_duration(d))?;
                    }
                    if let Some(rp) = &s.retention_policy_name {
                        write!(f, " NAME {}", quote_ident(rp))?;
                    }
                }
                Ok(())
            }
            Statement::DropDatabase { name } => write!(f, "DROP DATABASE {}", quote_ident(name)),
            Statement::CreateRetentionPolicy(s) => {
                write!(
                    f,
                    "CREATE RETENTION POLICY {} ON {} DURATION {} REPLICATION {}",
                    quote_ident(&s.name),
                    quote_ident(&s.database),
                    format_duration(s.duration),
                    s.replication
                )?;
                if s.shard_duration > 0 {
                    write!(f, " SHARD DURATION {}", format_duration(s.shard_duration))?;
                }
                if s.default {
                    f.write_str(" DEFAULT")?;
                }
                Ok(())
            }
            Statement::AlterRetentionPolicy(s) => {
                write!(
                    f,
                    "ALTER RETENTION POLICY {} ON {}",
                    quote_ident(&s.name),
                    quote_ident(&s.database)
                )?;
                if let Some(d) = s.duration {
                    write!(f, " DURATION {}", format_duration(d))?;
                }
                if let Some(n) = s.replication {
                    write!(f, " REPLICATION {n}")?;
                }
                if let Some(d) = s.shard_duration {
                    write!(f, " SHARD DURATION {}", format_duration(d))?;
                }
                if s.default {
                    f.write_str(" DEFAULT")?;
                }
                Ok(())
            }
            Statement::DropRetentionPolicy { name, database } => write!(
                f,
                "DROP RETENTION POLICY {} ON {}",
                quote_ident(name),
                quote_ident(database)
            ),
            Statement::DropMeasurement { name } => {
                write!(f, "DROP MEASUREMENT {}", quote_ident(name))
            }
            Statement::DropShard { id } => write!(f, "DROP SHARD {id}"),
            Statement::CreateContinuousQuery(s) => {
                write!(
                    f,
                    "CREATE CONTINUOUS QUERY {} ON {} ",
                    quote_ident(&s.name),
                    quote_ident(&s.database)
                )?;
                if s.resample_every.is_some() || s.resample_for.is_some() {
                    f.write_str("RESAMPLE ")?;
                    if let Some(d) = s.resample_every {
                        write!(f, "EVERY {} ", format_duration(d))?;
                    }
                    if let Some(d) = s.resample_for {
                        write!(f, "FOR {} ", format_duration(d))?;
                    }
                }
                write!(f, "BEGIN {} END", s.source)
            }
            Statement::DropContinuousQuery { name, database } => write!(
                f,
                "DROP CONTINUOUS QUERY {} ON {}",
                quote_ident(name),
                quote_ident(database)
            ),
            Statement::CreateUser {
                name,
                password,
                admin,
            } => {
                write!(
                    f,
                    "CREATE USER {} WITH PASSWORD {}",
                    quote_ident(name),
                    secret(password)
                )?;
                if *admin {
                    f.write_str(" WITH ALL PRIVILEGES")?;
                }
                Ok(())
            }
            Statement::DropUser { name } => write!(f, "DROP USER {}", quote_ident(name)),
            Statement::SetPassword { name, password } => write!(
                f,
                "SET PASSWORD FOR {} = {}",
                quote_ident(name),
                secret(password)
            ),
            Statement::Grant {
                privilege,
                database,
                user,
            } => match database {
                Some(db) => write!(
                    f,
                    "GRANT {privilege} ON {} TO {}",
                    quote_ident(db),
                    quote_ident(user)
                ),
                None => write!(f, "GRANT ALL PRIVILEGES TO {}", quote_ident(user)),
            },
            Statement::Revoke {
                privilege,
                database,
                user,
            } => match database {
                Some(db) => write!(
                    f,
                    "REVOKE {privilege} ON {} FROM {}",
                    quote_ident(db),
                    quote_ident(user)
                ),
                None => write!(f, "REVOKE ALL PRIVILEGES FROM {}", quote_ident(user)),
            },
            Statement::KillQuery { query_id, host } => {
                write!(f, "KILL QUERY {query_id}{}", on(host))
            }
            Statement::CreateSubscription {
                name,
                database,
                retention_policy,
                mode,
                destinations,
            } => {
                write!(
                    f,
                    "CREATE SUBSCRIPTION {} ON {}.{} DESTINATIONS {mode} ",
                    quote_ident(name),
                    quote_ident(database),
                    quote_ident(retention_policy)
                )?;
                let quoted: Vec<String> = destinations.iter().map(|d| quote_string(d)).collect();
                f.write_str(&quoted.join(", "))
            }
            Statement::DropSubscription {
                name,
                database,
                retention_policy,
            } => write!(
                f,
                "DROP SUBSCRIPTION {} ON {}.{}",
                quote_ident(name),
                quote_ident(database),
                quote_ident(retention_policy)
            ),
        }
    }
}

/// `Binary(Mul, ±1, x)`: what the parser makes of `-x` / `+x` for a name, call or parenthesis.
fn signed_operand(e: &Expr) -> Option<(char, &Expr)> {
    if let Expr::Binary {
        op: BinaryOp::Mul,
        lhs,
        rhs,
    } = e
        && let Expr::Integer(sign @ (1 | -1)) = **lhs
        && matches!(
            **rhs,
            Expr::VarRef { .. } | Expr::Call { .. } | Expr::Paren(_)
        )
    {
        return Some((if sign < 0 { '-' } else { '+' }, rhs));
    }
    None
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::VarRef { name, data_type } => {
                f.write_str(&quote_ident(name))?;
                if let Some(t) = data_type {
                    write!(f, "::{t}")?;
                }
                Ok(())
            }
            Expr::Call { name, args } => {
                write!(f, "{}(", quote_ident(name))?;
                join(f, args, ", ")?;
                f.write_char(')')
            }
            Expr::Distinct(name) => write!(f, "DISTINCT {}", quote_ident(name)),
            Expr::Binary { op, lhs, rhs } => {
                let prec = op.precedence();
                match &**lhs {
                    Expr::Binary { op: l, .. } if l.precedence() < prec => write!(f, "({lhs})")?,
                    _ => write!(f, "{lhs}")?,
                }
                write!(f, " {op} ")?;
                match &**rhs {
                    Expr::Binary { op: r, .. } if r.precedence() <= prec => {
                        match signed_operand(rhs) {
                            Some((sign, x)) => write!(f, "{sign}{x}"),
                            None => write!(f, "({rhs})"),
                        }
                    }
                    _ => write!(f, "{rhs}"),
                }
            }
            Expr::Paren(e) => write!(f, "({e})"),
            Expr::Number(v) => f.write_str(&format_number(*v)),
            Expr::Integer(v) => write!(f, "{v}"),
            Expr::Unsigned(v) => write!(f, "{v}"),
            Expr::String(s) => f.write_str(&quote_string(s)),
            Expr::Boolean(b) => write!(f, "{b}"),
            Expr::Duration(d) => f.write_str(&format_duration(*d)),
            Expr::Regex(r) => write!(f, "{r}"),
            Expr::Wildcard(t) => match t {
                Some(DataType::Field) => f.write_str("*::field"),
                Some(DataType::Tag) => f.write_str("*::tag"),
                _ => f.write_str("*"),
            },
            Expr::Nil => f.write_str("nil"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_as_1x() {
        assert_eq!(quote_ident("cpu"), "cpu");
        assert_eq!(quote_ident("cpu load"), "\"cpu load\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_ident("1x"), "\"1x\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_ident("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(quote_segments(&["db", "rp", "m"]), "\"db\".\"rp\".m");
        assert_eq!(quote_segments(&["db", "", "m"]), "\"db\"..m");
        assert_eq!(quote_string("it's\n\\"), "'it\\'s\\n\\\\'");
        assert_eq!(format_number(1.5), "1.500");
        assert_eq!(format_number(0.0001), "0.0001");
        assert_eq!(format_number(-2.0), "-2.000");
    }
}
