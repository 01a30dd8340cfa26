//! The JSON of `/api/v2/buckets`: a catalog [`Database`] as a v2 `Bucket`, and the create and
//! update requests with their retention rules.
//!
//! ```text
//! Database {id, name, retention, created_at} ──► Bucket {"id","name","orgID","type":"user",
//!     "retentionRules":[{"type":"expire","everySeconds":N}] (none = infinite), "createdAt", …}
//! PostBucket / PatchBucket ──► retention(rules) ──► Option<Duration> (everySeconds 0 = infinite)
//! ```

use std::time::Duration;

use catalog::Database;
use serde::{Deserialize, Serialize};

use super::super::error::ApiError;
use super::ids::{ORG_ID, ORG_NAME, format_id};
use super::request::encode;
use crate::time::rfc3339;

/// A bucket, as v2 clients parse it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Bucket {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    #[serde(rename = "orgID")]
    org_id: &'static str,
    schema_type: &'static str,
    retention_rules: Vec<RetentionRuleOut>,
    labels: Vec<()>,
    created_at: String,
    updated_at: String,
    links: BucketLinks,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RetentionRuleOut {
    #[serde(rename = "type")]
    kind: &'static str,
    every_seconds: u64,
}

#[derive(Debug, Serialize)]
struct BucketLinks {
    #[serde(rename = "self")]
    self_: String,
    org: String,
    write: String,
}

impl Bucket {
    /// The v2 view of a database.
    pub(super) fn from_database(db: &Database) -> Self {
        let id = format_id(db.id.0);
        let created = rfc3339(db.created_at_ns);
        Self {
            links: BucketLinks {
                self_: format!("/api/v2/buckets/{id}"),
                org: format!("/api/v2/orgs/{ORG_ID}"),
                write: format!(
                    "/api/v2/write?org={ORG_NAME}&bucket={}",
                    encode(db.name.as_str())
                ),
            },
            id,
            kind: "user",
            name: db.name.to_string(),
            org_id: ORG_ID,
            schema_type: "implicit",
            retention_rules: db
                .retention_period
                .map(|d| RetentionRuleOut {
                    kind: "expire",
                    every_seconds: d.as_secs(),
                })
                .into_iter()
                .collect(),
            labels: Vec::new(),
            updated_at: created.clone(),
            created_at: created,
        }
    }
}

/// A retention rule of a request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RetentionRuleIn {
    /// Only `expire` (the default).
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Seconds to keep data; 0 = forever.
    every_seconds: i64,
    /// Accepted for compatibility; Quiver partitions by day.
    #[serde(rename = "shardGroupDurationSeconds")]
    _shard_group_duration_seconds: Option<i64>,
}

/// `POST /api/v2/buckets`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PostBucket {
    /// Owning organization (the one organization; may be omitted).
    #[serde(rename = "orgID")]
    pub org_id: Option<String>,
    /// Bucket (database) name.
    pub name: String,
    /// Must be empty: descriptions are not stored.
    pub description: Option<String>,
    /// 1.x retention policy name; accepted and ignored (`db/rp` names carry the policy).
    #[serde(rename = "rp")]
    pub _rp: Option<String>,
    /// At most one `expire` rule; none = keep forever.
    pub retention_rules: Option<Vec<RetentionRuleIn>>,
    /// Only `implicit`.
    pub schema_type: Option<String>,
}

/// `PATCH /api/v2/buckets/{id}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PatchBucket {
    /// Must be the current name: buckets cannot be renamed.
    pub name: Option<String>,
    /// Must be empty: descriptions are not stored.
    pub description: Option<String>,
    /// New retention (one rule); absent or `[]` = unchanged.
    pub retention_rules: Option<Vec<RetentionRuleIn>>,
}

/// The retention period of a list of rules: `None` = no rule given; `Some(None)` = forever.
pub(super) fn retention(
    rules: Option<&[RetentionRuleIn]>,
) -> Result<Option<Option<Duration>>, ApiError> {
    let rules = rules.unwrap_or_default();
    let rule = match rules {
        [] => return Ok(None),
        [rule] => rule,
        more => {
            return Err(ApiError::InvalidRetentionRules(format!(
                "expected at most one rule, got {}",
                more.len()
            )));
        }
    };
    if let Some(kind) = rule.kind.as_deref().filter(|k| *k != "expire") {
        return Err(ApiError::InvalidRetentionRules(format!(
            "rule type must be \"expire\", got {kind:?}"
        )));
    }
    match u64::try_from(rule.every_seconds) {
        Ok(0) => Ok(Some(None)),
        Ok(secs) => Ok(Some(Some(Duration::from_secs(secs)))),
        Err(_) => Err(ApiError::InvalidRetentionRules(format!(
            "everySeconds must be 0 (keep forever) or positive, got {}",
            rule.every_seconds
        ))),
    }
}

/// Rejects a non-empty bucket description (Quiver does not store one).
pub(super) fn check_description(description: Option<&str>) -> Result<(), ApiError> {
    match description {
        Some(d) if !d.is_empty() => Err(ApiError::UnsupportedField {
            field: "description".to_owned(),
            reason: "Quiver does not store bucket descriptions; omit it".to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Rejects schema types other than `implicit`.
pub(super) fn check_schema_type(schema_type: Option<&str>) -> Result<(), ApiError> {
    match schema_type {
        Some(t) if t != "implicit" => Err(ApiError::UnsupportedField {
            field: "schemaType".to_owned(),
            reason: format!(
                "only \"implicit\" is available (columns are created by writes), got {t:?}"
            ),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(json: &str) -> Vec<RetentionRuleIn> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn retention_rules_map_to_periods() {
        assert_eq!(retention(None).unwrap(), None);
        assert_eq!(retention(Some(&[])).unwrap(), None);
        let one = rules(r#"[{"type":"expire","everySeconds":3600,"shardGroupDurationSeconds":0}]"#);
        assert_eq!(
            retention(Some(&one)).unwrap(),
            Some(Some(Duration::from_secs(3600)))
        );
        let forever = rules(r#"[{"everySeconds":0}]"#);
        assert_eq!(retention(Some(&forever)).unwrap(), Some(None));
    }

    #[test]
    fn bad_retention_rules_say_why() {
        let cases = [
            (
                r#"[{"everySeconds":1},{"everySeconds":2}]"#,
                "invalid retention rules: expected at most one rule, got 2",
            ),
            (
                r#"[{"type":"keep","everySeconds":1}]"#,
                "invalid retention rules: rule type must be \"expire\", got \"keep\"",
            ),
            (
                r#"[{"everySeconds":-5}]"#,
                "invalid retention rules: everySeconds must be 0 (keep forever) or positive, got -5",
            ),
        ];
        for (json, message) in cases {
            let err = retention(Some(&rules(json))).unwrap_err();
            assert_eq!(err.to_string(), message);
        }
    }
}
