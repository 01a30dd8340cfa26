//! Retention-policy statements, mapped onto Quiver's databases and DBRP mappings and answered
//! with 1.x's texts (1.6's `services/meta/data.go` and `coordinator/statement_executor.go`).
//!
//! ```text
//! v1 database `db` ──► Policies::read: the live databases `db` (policy `autogen`) and
//!   `db/<rp>` (policy `rp`), overridden or added to by the DBRP mappings of `db`; the default
//!   is the default mapping's policy, `autogen` when `db` has no mapping
//! SHOW RETENTION POLICIES ──► one row per policy (duration, shard group duration as 1.x
//!   derives it from the duration, replicaN 1, default)
//! CREATE RETENTION POLICY ──► 1.x's checks ──► an existing policy: same duration (and
//!   DEFAULT only on the default) = success ──► else create database `db/rp` (`db` for
//!   autogen) with retention = DURATION
//! ALTER RETENTION POLICY  ──► 1.x's checks ──► update the policy's database's retention
//! DROP RETENTION POLICY   ──► delete the policy's database (its mappings go with it); a
//!   policy mapped onto another database only loses its mapping; missing = success
//! DEFAULT (CREATE / ALTER) ──► make_default: the DBRP mapping (db, rp) ──► its database,
//!   marked default (created if needed), which v1 /write and /query use without `rp`
//! ```
//!
//! Quiver keeps no shard groups and one copy of the data: `REPLICATION` is checked and
//! otherwise ignored, `SHARD DURATION` is checked against the duration as 1.x checks it and
//! otherwise ignored (SHOW derives it from the duration).

use catalog::{
    Catalog, CatalogError, Database, DatabaseName, DatabaseOptions, DatabaseUpdate, Dbrp,
    DbrpFilter, DbrpUpdate, NewDbrp, is_default_retention_policy, v1_database_name,
};
use influxql::ast::{AlterRetentionPolicyStatement, CreateRetentionPolicyStatement};
use v1_query::result::{Series, Value};

use crate::ExecError;

const HOUR_NS: i64 = 3_600_000_000_000;
const DAY_NS: i64 = 24 * HOUR_NS;

/// 1.x's `MinRetentionPolicyDuration`.
const MIN_DURATION_NS: i64 = HOUR_NS;

/// The name 1.x gives the policy a database starts with.
const AUTOGEN: &str = "autogen";

fn err(text: impl Into<String>) -> ExecError {
    ExecError::Statement(text.into())
}

fn database_not_found(db: &str) -> ExecError {
    err(format!("database not found: {db}"))
}

fn duration_too_low() -> ExecError {
    err(format!(
        "retention policy duration must be at least {}",
        go_duration(MIN_DURATION_NS)
    ))
}

fn incompatible_durations() -> ExecError {
    err("retention policy duration must be greater than the shard duration")
}

/// 1.x's `meta.ValidName`: printable, not empty, `.` or `..`, without `/` or `\`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\'))
}

/// Formats a duration as Go's `time.Duration.String()` (`168h0m0s`, `0s`, `1.5s`).
pub(crate) fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".to_owned();
    }
    let sign = if ns < 0 { "-" } else { "" };
    let ns = ns.unsigned_abs();
    let secs = ns / 1_000_000_000;
    let frac = ns % 1_000_000_000;
    if secs == 0 {
        // Below a second Go picks the largest unit that keeps an integer part.
        let (value, unit, scale) = if frac >= 1_000_000 {
            (frac, "ms", 1_000_000)
        } else if frac >= 1_000 {
            (frac, "µs", 1_000)
        } else {
            (frac, "ns", 1)
        };
        return format!(
            "{sign}{}{unit}",
            decimal(value / scale, value % scale, scale)
        );
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = sign.to_owned();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&decimal(s, frac, 1_000_000_000));
    out.push('s');
    out
}

/// `int.frac` without trailing zeros (`frac` in units of `1/scale`).
fn decimal(int: u64, frac: u64, scale: u64) -> String {
    if frac == 0 {
        return int.to_string();
    }
    let width = scale.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{int}.{}", digits.trim_end_matches('0'))
}

/// 1.x's `shardGroupDuration`: the shard group duration of a policy of duration `d`.
pub(crate) fn shard_group_duration(d: i64) -> i64 {
    if d == 0 || d >= 180 * DAY_NS {
        7 * DAY_NS
    } else if d >= 2 * DAY_NS {
        DAY_NS
    } else {
        HOUR_NS
    }
}

/// 1.x's `normalisedShardDuration`: an unset (0) shard duration follows the duration, one
/// below the minimum is raised to the minimum's.
fn normalised_shard_duration(sgd: i64, d: i64) -> i64 {
    if sgd == 0 {
        shard_group_duration(d)
    } else if sgd < MIN_DURATION_NS {
        shard_group_duration(MIN_DURATION_NS)
    } else {
        sgd
    }
}

fn retention_ns(db: &Database) -> i64 {
    db.retention_period_ns().unwrap_or(0)
}

fn retention_period(ns: i64) -> Option<std::time::Duration> {
    (ns > 0).then(|| std::time::Duration::from_nanos(ns.unsigned_abs()))
}

/// One retention policy of a v1 database.
#[derive(Debug, Clone)]
struct Policy {
    name: String,
    database: Database,
    /// The DBRP mapping naming it, if one does.
    mapping: Option<Dbrp>,
}

/// The retention policies of one v1 database, as Quiver's databases and mappings give them.
#[derive(Debug)]
struct Policies {
    db: String,
    /// `autogen` first, then by their database's creation.
    list: Vec<Policy>,
    mappings: Vec<Dbrp>,
    /// Live databases, by id.
    databases: Vec<Database>,
}

impl Policies {
    async fn read(catalog: &dyn Catalog, db: &str) -> Result<Self, ExecError> {
        let mut databases = catalog.list_databases().await?;
        databases.retain(|d| d.deleted_at_ns.is_none());
        databases.sort_by_key(|d| (d.created_at_ns, d.id.0));
        let mappings = catalog
            .list_dbrps(&DbrpFilter {
                database: Some(db.to_owned()),
                ..DbrpFilter::default()
            })
            .await?;
        let prefix = format!("{db}/");
        let mut list: Vec<Policy> = Vec::new();
        for d in &databases {
            let n = d.name.as_str();
            let name = if n == db {
                AUTOGEN
            } else {
                match n.strip_prefix(&prefix) {
                    Some(rp) if valid_name(rp) => rp,
                    _ => continue,
                }
            };
            list.push(Policy {
                name: name.to_owned(),
                database: d.clone(),
                mapping: None,
            });
        }
        for m in &mappings {
            let Some(target) = databases.iter().find(|d| d.id == m.target) else {
                continue;
            };
            let policy = Policy {
                name: m.retention_policy.clone(),
                database: target.clone(),
                mapping: Some(m.clone()),
            };
            match list.iter_mut().find(|p| p.name == m.retention_policy) {
                Some(p) => *p = policy,
                None => list.push(policy),
            }
        }
        list.sort_by_key(|p| {
            (
                p.name != AUTOGEN,
                p.database.created_at_ns,
                p.database.id.0,
                p.name.clone(),
            )
        });
        Ok(Self {
            db: db.to_owned(),
            list,
            mappings,
            databases,
        })
    }

    /// The v1 database exists: a database or a mapping gives it a policy.
    fn exists(&self) -> bool {
        !self.list.is_empty() || !self.mappings.is_empty()
    }

    /// The default policy's name: the default mapping's, else `autogen`.
    fn default_name(&self) -> &str {
        self.mappings
            .iter()
            .find(|m| m.default)
            .map_or(AUTOGEN, |m| m.retention_policy.as_str())
    }

    /// The policy `rp` names, as v1 writes and queries resolve it: the mapping (db, rp), else
    /// the live database `db/rp` (`db` for a default name such as `autogen`).
    fn find(&self, rp: &str) -> Option<Policy> {
        if self.mappings.iter().any(|m| m.retention_policy == rp) {
            // A mapping's database is live, so `read` listed the policy.
            return self.list.iter().find(|p| p.name == rp).cloned();
        }
        let name = v1_database_name(&self.db, Some(rp)).ok()?;
        let database = self.databases.iter().find(|d| d.name == name)?;
        Some(Policy {
            name: rp.to_owned(),
            database: database.clone(),
            mapping: None,
        })
    }
}

/// `SHOW RETENTION POLICIES ON db` (`name` may be the request's `db/rp`: its v1 database).
pub(crate) async fn show_retention_policies(
    catalog: &dyn Catalog,
    name: &str,
) -> Result<Vec<Series>, ExecError> {
    let db = name.split('/').next().unwrap_or_default();
    let policies = Policies::read(catalog, db).await?;
    if !policies.exists() {
        return Err(database_not_found(db));
    }
    let default = policies.default_name();
    let values = policies
        .list
        .iter()
        .map(|p| {
            let duration = retention_ns(&p.database);
            vec![
                Value::String(p.name.clone()),
                Value::String(go_duration(duration)),
                Value::String(go_duration(shard_group_duration(duration))),
                Value::Integer(1),
                Value::Boolean(p.name == default),
            ]
        })
        .collect();
    Ok(vec![Series {
        columns: [
            "name",
            "duration",
            "shardGroupDuration",
            "replicaN",
            "default",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
        values,
        ..Series::default()
    }])
}

/// `CREATE RETENTION POLICY rp ON db DURATION d REPLICATION n [SHARD DURATION s] [DEFAULT]`.
pub(crate) async fn create_retention_policy(
    catalog: &dyn Catalog,
    c: &CreateRetentionPolicyStatement,
) -> Result<(), ExecError> {
    if !valid_name(&c.name) {
        return Err(err("invalid name"));
    }
    if c.duration != 0 && c.duration < MIN_DURATION_NS {
        return Err(duration_too_low());
    }
    if c.replication < 1 {
        return Err(err("replication factor must be greater than 0"));
    }
    let sgd = normalised_shard_duration(c.shard_duration, c.duration);
    if c.duration > 0 && c.duration < sgd {
        return Err(incompatible_durations());
    }
    let policies = Policies::read(catalog, &c.database).await?;
    if !policies.exists() {
        return Err(database_not_found(&c.database));
    }
    if let Some(existing) = policies.find(&c.name) {
        // 1.x compares replication and shard duration too; Quiver keeps neither.
        if retention_ns(&existing.database) != c.duration {
            return Err(err("retention policy already exists"));
        }
        if c.default && policies.default_name() != c.name {
            return Err(err("retention policy conflicts with an existing policy"));
        }
        return Ok(());
    }
    let name = v1_database_name(&c.database, Some(&c.name))?;
    let options = DatabaseOptions {
        retention_period: retention_period(c.duration),
        ..DatabaseOptions::default()
    };
    let database = match catalog.create_database(&name, options).await {
        Ok(d) => d,
        // Created meanwhile by a write: give it this policy's duration.
        Err(CatalogError::DatabaseAlreadyExists { .. }) => {
            let d = live_database(catalog, &name).await?;
            catalog
                .update_database(
                    d.id,
                    DatabaseUpdate {
                        retention_period: Some(retention_period(c.duration)),
                        ..DatabaseUpdate::default()
                    },
                )
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    if c.default {
        make_default(catalog, &policies, &c.name, &database).await?;
    }
    Ok(())
}

/// `ALTER RETENTION POLICY rp ON db [DURATION d] [REPLICATION n] [SHARD DURATION s] [DEFAULT]`.
pub(crate) async fn alter_retention_policy(
    catalog: &dyn Catalog,
    a: &AlterRetentionPolicyStatement,
) -> Result<(), ExecError> {
    let policies = Policies::read(catalog, &a.database).await?;
    if !policies.exists() {
        return Err(database_not_found(&a.database));
    }
    let policy = policies
        .find(&a.name)
        .ok_or_else(|| err(format!("retention policy not found: {}", a.name)))?;
    if let Some(d) = a.duration
        && d != 0
        && d < MIN_DURATION_NS
    {
        return Err(duration_too_low());
    }
    let current = retention_ns(&policy.database);
    // Quiver keeps no shard duration: the current one is the one 1.x derives from the duration.
    let current_sgd = shard_group_duration(current);
    let incompatible = match (a.duration, a.shard_duration) {
        (Some(d), Some(sgd)) => d > 0 && d < sgd,
        (Some(d), None) => d > 0 && d < current_sgd,
        (None, Some(sgd)) => current > 0 && current < sgd,
        (None, None) => false,
    };
    if incompatible {
        return Err(incompatible_durations());
    }
    if let Some(d) = a.duration
        && d != current
    {
        catalog
            .update_database(
                policy.database.id,
                DatabaseUpdate {
                    retention_period: Some(retention_period(d)),
                    ..DatabaseUpdate::default()
                },
            )
            .await?;
    }
    if a.default {
        make_default(catalog, &policies, &a.name, &policy.database).await?;
    }
    Ok(())
}

/// `DROP RETENTION POLICY rp ON db`: deletes the policy's database, as 1.x deletes the
/// policy's shards; a missing database or policy is no error (1.x's answer).
pub(crate) async fn drop_retention_policy(
    catalog: &dyn Catalog,
    rp: &str,
    db: &str,
) -> Result<(), ExecError> {
    let policies = Policies::read(catalog, db).await?;
    let Some(policy) = policies.find(rp) else {
        return Ok(());
    };
    let own_name = v1_database_name(db, Some(rp)).ok();
    match &policy.mapping {
        // Mapped onto a database that is not this policy's by name (a v2 bucket): the
        // bucket stays, the policy goes.
        Some(m) if own_name.as_ref() != Some(&policy.database.name) => {
            match catalog.delete_dbrp(m.id).await {
                Ok(_) | Err(CatalogError::DbrpNotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        _ => match catalog.delete_database(policy.database.id).await {
            Ok(_) | Err(CatalogError::DatabaseIdNotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        },
    }
}

/// The mappings of the v1 database `db` (for DROP DATABASE, which drops every policy).
pub(crate) async fn drop_mappings(catalog: &dyn Catalog, db: &str) -> Result<(), ExecError> {
    let mappings = catalog
        .list_dbrps(&DbrpFilter {
            database: Some(db.to_owned()),
            ..DbrpFilter::default()
        })
        .await?;
    for m in mappings {
        match catalog.delete_dbrp(m.id).await {
            Ok(_) | Err(CatalogError::DbrpNotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Makes `rp` (naming `database`) the default policy of the v1 database: the DBRP mapping
/// (db, rp) marked default, created when missing. Nothing to do when `db` has no mappings
/// and `rp` is `autogen` (the default by name).
async fn make_default(
    catalog: &dyn Catalog,
    policies: &Policies,
    rp: &str,
    database: &Database,
) -> Result<(), ExecError> {
    if policies.default_name() == rp {
        return Ok(());
    }
    if policies.mappings.is_empty() && is_default_retention_policy(rp) {
        return Ok(());
    }
    match policies.mappings.iter().find(|m| m.retention_policy == rp) {
        Some(m) => {
            catalog
                .update_dbrp(
                    m.id,
                    DbrpUpdate {
                        default: Some(true),
                        ..DbrpUpdate::default()
                    },
                )
                .await?;
        }
        None => {
            catalog
                .create_dbrp(NewDbrp {
                    database: policies.db.clone(),
                    retention_policy: rp.to_owned(),
                    default: true,
                    target: database.id,
                })
                .await?;
        }
    }
    Ok(())
}

async fn live_database(catalog: &dyn Catalog, name: &DatabaseName) -> Result<Database, ExecError> {
    match catalog.database_by_name(name).await? {
        Some(d) if d.deleted_at_ns.is_none() => Ok(d),
        _ => Err(database_not_found(name.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(HOUR_NS), "1h0m0s");
        assert_eq!(go_duration(7 * DAY_NS), "168h0m0s");
        assert_eq!(go_duration(30 * DAY_NS), "720h0m0s");
        assert_eq!(go_duration(90 * 1_000_000_000), "1m30s");
        assert_eq!(go_duration(1_500_000_000), "1.5s");
        assert_eq!(go_duration(1_500_000), "1.5ms");
        assert_eq!(go_duration(2_000), "2µs");
        assert_eq!(go_duration(7), "7ns");
    }

    #[test]
    fn shard_group_durations_as_1x() {
        assert_eq!(shard_group_duration(0), 7 * DAY_NS);
        assert_eq!(shard_group_duration(HOUR_NS), HOUR_NS);
        assert_eq!(shard_group_duration(2 * DAY_NS - 1), HOUR_NS);
        assert_eq!(shard_group_duration(2 * DAY_NS), DAY_NS);
        assert_eq!(shard_group_duration(180 * DAY_NS - 1), DAY_NS);
        assert_eq!(shard_group_duration(180 * DAY_NS), 7 * DAY_NS);
        assert_eq!(normalised_shard_duration(60_000_000_000, DAY_NS), HOUR_NS);
        assert_eq!(normalised_shard_duration(2 * HOUR_NS, DAY_NS), 2 * HOUR_NS);
    }

    #[test]
    fn names_as_1x() {
        assert!(valid_name("rp"));
        assert!(valid_name("a b"));
        assert!(!valid_name(""));
        assert!(!valid_name(".."));
        assert!(!valid_name("a/b"));
        assert!(!valid_name("a\\b"));
    }
}
