//! The JSON of `/api/v2/authorizations`: a catalog [`TokenRecord`] as a v2 `Authorization`,
//! v2 permissions ⇄ [`auth::Permission`], and the create/update requests.
//!
//! ```text
//! TokenRecord ──► Authorization {"id","token":"redacted"|value (create only),"status",
//!                 "description","orgID","org","permissions":[…],"createdAt","updatedAt"}
//! Permission(read|write, Database(name)) ⇄ {"action","resource":{"type":"buckets","id"?,"name"}}
//! Permission(read|write, AllDatabases)   ⇄ {"action","resource":{"type":"buckets"}}
//! operator ──► read+write on authorizations, buckets, orgs (created with `quiver admin` only)
//! ```

use std::collections::BTreeMap;

use auth::{Action, Permission, Resource};
use catalog::TokenRecord;
use serde::{Deserialize, Serialize};

use super::ids::{ORG_ID, ORG_NAME, format_id};
use crate::time::rfc3339;

/// What GET and list answers show instead of a token value.
pub(super) const REDACTED: &str = "redacted";

/// Token status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Status {
    /// Authenticates.
    Active,
    /// Revoked: authenticates nothing.
    Inactive,
}

/// An authorization, as v2 clients parse it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Authorization {
    id: String,
    token: String,
    status: Status,
    description: String,
    #[serde(rename = "orgID")]
    org_id: &'static str,
    org: &'static str,
    permissions: Vec<PermissionOut>,
    created_at: String,
    updated_at: String,
    links: AuthorizationLinks,
}

#[derive(Debug, Serialize)]
struct AuthorizationLinks {
    #[serde(rename = "self")]
    self_: String,
}

#[derive(Debug, Serialize)]
struct PermissionOut {
    action: Action,
    resource: ResourceOut,
}

#[derive(Debug, Serialize)]
struct ResourceOut {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(rename = "orgID")]
    org_id: &'static str,
    org: &'static str,
}

impl Authorization {
    /// The v2 view of a token. `token` is the value (only right after creation) or `None` for
    /// [`REDACTED`]. `bucket_ids` maps live database names to ids, to show the ids of grants.
    pub(super) fn from_record(
        record: &TokenRecord,
        token: Option<&str>,
        bucket_ids: &BTreeMap<String, u64>,
    ) -> Self {
        let id = format_id(record.id.0);
        let created = rfc3339(record.created_at_ns);
        Self {
            links: AuthorizationLinks {
                self_: format!("/api/v2/authorizations/{id}"),
            },
            id,
            token: token.unwrap_or(REDACTED).to_owned(),
            status: if record.revoked {
                Status::Inactive
            } else {
                Status::Active
            },
            description: record.description.clone(),
            org_id: ORG_ID,
            org: ORG_NAME,
            permissions: permissions_out(record, bucket_ids),
            updated_at: created.clone(),
            created_at: created,
        }
    }
}

fn permissions_out(record: &TokenRecord, bucket_ids: &BTreeMap<String, u64>) -> Vec<PermissionOut> {
    let resource = |kind, id: Option<String>, name: Option<String>| ResourceOut {
        kind,
        id,
        name,
        org_id: ORG_ID,
        org: ORG_NAME,
    };
    if record.operator {
        let mut out = Vec::new();
        for kind in ["authorizations", "buckets", "orgs"] {
            for action in [Action::Read, Action::Write] {
                out.push(PermissionOut {
                    action,
                    resource: resource(kind, None, None),
                });
            }
        }
        return out;
    }
    record
        .permissions
        .iter()
        .map(|p| PermissionOut {
            action: p.action,
            resource: match &p.resource {
                Resource::AllDatabases => resource("buckets", None, None),
                Resource::Database(name) => resource(
                    "buckets",
                    bucket_ids.get(name).map(|id| format_id(*id)),
                    Some(name.clone()),
                ),
            },
        })
        .collect()
}

/// A permission of a create request.
#[derive(Debug, Deserialize)]
pub(super) struct PermissionIn {
    /// `read` or `write`.
    pub action: String,
    /// What it applies to.
    pub resource: ResourceIn,
}

/// The resource of a permission.
#[derive(Debug, Deserialize)]
pub(super) struct ResourceIn {
    /// Only `buckets`.
    #[serde(rename = "type")]
    pub kind: String,
    /// One bucket, by id.
    pub id: Option<String>,
    /// One bucket, by name.
    pub name: Option<String>,
    /// The one organization, if given.
    #[serde(rename = "orgID")]
    pub org_id: Option<String>,
    /// The one organization's name, if given.
    pub org: Option<String>,
}

/// `POST /api/v2/authorizations`.
#[derive(Debug, Deserialize)]
pub(super) struct PostAuthorization {
    /// The one organization (may be omitted).
    #[serde(rename = "orgID")]
    pub org_id: Option<String>,
    /// Must be absent: Quiver has no users.
    #[serde(rename = "userID")]
    pub user_id: Option<String>,
    /// At least one.
    pub permissions: Vec<PermissionIn>,
    /// `active` (default) or `inactive`.
    pub status: Option<Status>,
    /// Free text.
    pub description: Option<String>,
}

/// `PATCH /api/v2/authorizations/{id}`; other fields of a whole object sent back are ignored.
#[derive(Debug, Deserialize)]
pub(super) struct PatchAuthorization {
    /// New status.
    pub status: Option<Status>,
    /// New description.
    pub description: Option<String>,
}

/// The action of a permission.
pub(super) fn action(text: &str) -> Option<Action> {
    match text {
        "read" => Some(Action::Read),
        "write" => Some(Action::Write),
        _ => None,
    }
}

/// `permission` with duplicates removed, order kept.
pub(super) fn dedup(permissions: Vec<Permission>) -> Vec<Permission> {
    let mut out: Vec<Permission> = Vec::with_capacity(permissions.len());
    for p in permissions {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}
