//! `/api/v2/buckets`: databases as v2 buckets — list, create, get, update retention, delete.
//!
//! ```text
//! GET    /api/v2/buckets[?name&id&after&org|orgID&limit&offset] ──► list_databases (by id) ──► page
//! POST   /api/v2/buckets {name, orgID, retentionRules}     ──► create_database ──► 201 Bucket
//! GET    /api/v2/buckets/{id}                              ──► database_by_id  ──► Bucket | 404
//! PATCH  /api/v2/buckets/{id} {retentionRules, name=same}  ──► update_database ──► Bucket
//! DELETE /api/v2/buckets/{id}                              ──► delete_database ──► 204 (soft)
//! ```

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use catalog::{Database, DatabaseId, DatabaseName, DatabaseOptions, DatabaseUpdate};
use serde::Serialize;

use super::super::error::ApiError;
use super::bucket_shape::{
    Bucket, PatchBucket, PostBucket, check_description, check_schema_type, retention,
};
use super::ids::{check_org, format_id, parse_id};
use super::orgs::ListLinks;
use super::request::{Query, encode, json_body, path_id};
use crate::state::RouterState;

/// `{"links":{…},"buckets":[…]}`.
#[derive(Debug, Serialize)]
pub(super) struct Buckets {
    links: ListLinks,
    buckets: Vec<Bucket>,
}

/// `GET /api/v2/buckets`.
pub(super) async fn list(
    State(state): State<RouterState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Buckets>, ApiError> {
    let query = Query::parse(raw.as_deref())?;
    check_org(query.get("org"), query.get("orgID"))?;
    let page = query.page()?;
    let id = query.get("id").map(parse_id).transpose()?;
    let after = query.get("after").map(parse_id).transpose()?;
    let name = query.get("name");

    let mut databases = state.catalog.list_databases().await?;
    databases.retain(|db| {
        id.is_none_or(|id| db.id.0 == id)
            && after.is_none_or(|after| db.id.0 > after)
            && name.is_none_or(|name| db.name.as_str() == name)
    });
    databases.sort_by_key(|db| db.id);
    let total = databases.len();

    let link = |offset: usize| {
        let mut link = format!(
            "/api/v2/buckets?descending=false&limit={}&offset={offset}",
            page.limit
        );
        for key in ["name", "id", "after", "org", "orgID"] {
            if let Some(value) = query.get(key) {
                link.push_str(&format!("&{key}={}", encode(value)));
            }
        }
        link
    };
    let links = ListLinks {
        self_: link(page.offset),
        next: (page.offset + page.limit < total).then(|| link(page.offset + page.limit)),
        prev: (page.offset > 0).then(|| link(page.offset.saturating_sub(page.limit))),
    };
    let buckets = page
        .slice(databases)
        .iter()
        .map(Bucket::from_database)
        .collect();
    Ok(Json(Buckets { links, buckets }))
}

/// `POST /api/v2/buckets`.
pub(super) async fn create(
    State(state): State<RouterState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Bucket>), ApiError> {
    let request: PostBucket = json_body(&headers, body, state.settings.max_request_bytes).await?;
    check_org(None, request.org_id.as_deref())?;
    check_description(request.description.as_deref())?;
    check_schema_type(request.schema_type.as_deref())?;
    let retention_period = retention(request.retention_rules.as_deref())?.flatten();
    let name = DatabaseName::new(request.name)?;
    let options = DatabaseOptions {
        retention_period,
        ..state.settings.new_database_options
    };
    let db = state.catalog.create_database(&name, options).await?;
    tracing::info!(database = %db.name, id = db.id.0, "database created over the management API");
    Ok((StatusCode::CREATED, Json(Bucket::from_database(&db))))
}

/// `GET /api/v2/buckets/{id}`.
pub(super) async fn get(
    State(state): State<RouterState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Bucket>, ApiError> {
    let db = live(&state, path_id(path)?).await?;
    Ok(Json(Bucket::from_database(&db)))
}

/// `PATCH /api/v2/buckets/{id}`: retention only (renames and descriptions are refused).
pub(super) async fn patch(
    State(state): State<RouterState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Bucket>, ApiError> {
    let id = path_id(path)?;
    let request: PatchBucket = json_body(&headers, body, state.settings.max_request_bytes).await?;
    check_description(request.description.as_deref())?;
    let retention_period = retention(request.retention_rules.as_deref())?;
    let db = live(&state, id).await?;
    if let Some(requested) = request.name.filter(|n| n != db.name.as_str()) {
        return Err(ApiError::BucketRename {
            id: format_id(id),
            current: db.name.to_string(),
            requested,
        });
    }
    let Some(retention_period) = retention_period else {
        return Ok(Json(Bucket::from_database(&db)));
    };
    let update = DatabaseUpdate {
        retention_period: Some(retention_period),
        limits: None,
    };
    let db = state.catalog.update_database(db.id, update).await?;
    tracing::info!(database = %db.name, id = db.id.0, "database retention updated over the management API");
    Ok(Json(Bucket::from_database(&db)))
}

/// `DELETE /api/v2/buckets/{id}`: soft delete; the name may be reused.
pub(super) async fn delete(
    State(state): State<RouterState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(path)?;
    let db = state.catalog.delete_database(DatabaseId(id)).await?;
    tracing::info!(database = %db.name, id = db.id.0, "database deleted over the management API");
    Ok(StatusCode::NO_CONTENT)
}

/// The live database `id`, else 404.
async fn live(state: &RouterState, id: u64) -> Result<Database, ApiError> {
    state
        .catalog
        .database_by_id(DatabaseId(id))
        .await?
        .ok_or_else(|| ApiError::BucketNotFound(format_id(id)))
}
