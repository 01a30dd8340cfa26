//! `/api/v2/orgs`: the one organization (`quiver`). Every bucket and token belongs to it.
//!
//! ```text
//! GET /api/v2/orgs[?org=|orgID=]  ──► check_org ──► {"links":{"self"},"orgs":[ORG]}   (404 other org)
//! GET /api/v2/orgs/{id}           ──► parse_id  ──► ORG                               (404 other id)
//! ```

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery};
use serde::Serialize;

use super::super::error::ApiError;
use super::ids::{ORG_ID, ORG_NAME, check_org, format_id};
use super::request::{Query, path_id};

/// The organization, as v2 clients parse it.
#[derive(Debug, Serialize)]
pub(super) struct Organization {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    status: &'static str,
    links: OrganizationLinks,
}

#[derive(Debug, Serialize)]
struct OrganizationLinks {
    #[serde(rename = "self")]
    self_: String,
    buckets: String,
}

/// `{"links":{…},"orgs":[…]}`.
#[derive(Debug, Serialize)]
pub(super) struct Organizations {
    links: ListLinks,
    orgs: Vec<Organization>,
}

/// `links` of a list answer.
#[derive(Debug, Serialize)]
pub(super) struct ListLinks {
    /// This page.
    #[serde(rename = "self")]
    pub self_: String,
    /// The next page, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The previous page, when this is not the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

/// The one organization.
pub(super) fn organization() -> Organization {
    Organization {
        id: ORG_ID,
        name: ORG_NAME,
        description: "the Quiver cluster",
        status: "active",
        links: OrganizationLinks {
            self_: format!("/api/v2/orgs/{ORG_ID}"),
            buckets: format!("/api/v2/buckets?org={ORG_NAME}"),
        },
    }
}

/// `GET /api/v2/orgs`.
pub(super) async fn list(RawQuery(raw): RawQuery) -> Result<Json<Organizations>, ApiError> {
    let query = Query::parse(raw.as_deref())?;
    check_org(query.get("org"), query.get("orgID"))?;
    let page = query.page()?;
    Ok(Json(Organizations {
        links: ListLinks {
            self_: "/api/v2/orgs".to_owned(),
            next: None,
            prev: None,
        },
        orgs: page.slice(vec![organization()]),
    }))
}

/// `GET /api/v2/orgs/{id}`.
pub(super) async fn get(
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Organization>, ApiError> {
    let id = format_id(path_id(path)?);
    check_org(None, Some(&id))?;
    Ok(Json(organization()))
}
