//! `/api/v2/dbrps`: DBRP mappings — an InfluxDB 1.x (database, retention policy) pair naming a
//! bucket, used by v1 `/write` and `/query` (`catalog::resolve_v1_database`).
//!
//! ```text
//! GET    /api/v2/dbrps[?org|orgID&id&bucketID&default&db&rp] ──► list_dbrps(filter) ──► {"content":[…]}
//! POST   /api/v2/dbrps {orgID|org, bucketID, database, retention_policy, default?}
//!                                                          ──► create_dbrp ──► 201 DBRP
//! GET    /api/v2/dbrps/{id}[?org|orgID]                    ──► dbrp_by_id  ──► {"content":DBRP} | 404
//! PATCH  /api/v2/dbrps/{id} {retention_policy?, default?}  ──► update_dbrp ──► {"content":DBRP}
//! DELETE /api/v2/dbrps/{id}                                ──► delete_dbrp ──► 204
//! refusals: catalog errors ──► ApiError (invalid name 400, pair taken 409, unknown mapping or
//!           bucket 404, bucket at its mapping limit 422)
//! ```

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use catalog::{DatabaseId, DbrpFilter, DbrpId, NewDbrp};

use super::super::error::ApiError;
use super::dbrp_shape::{DbrpList, DbrpOne, DbrpOut, PatchDbrp, PostDbrp};
use super::ids::{check_org, parse_id};
use super::request::{Query, json_body, path_id};
use crate::state::RouterState;

/// `GET /api/v2/dbrps`: every given filter must match; empty values filter nothing (as in
/// InfluxDB 2).
pub(super) async fn list(
    State(state): State<RouterState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<DbrpList>, ApiError> {
    let query = Query::parse(raw.as_deref())?;
    check_org(query.get("org"), query.get("orgID"))?;
    let filter = DbrpFilter {
        id: query.id("id")?.map(DbrpId),
        database: query.non_empty("db").map(str::to_owned),
        retention_policy: query.non_empty("rp").map(str::to_owned),
        target: query.id("bucketID")?.map(DatabaseId),
        default: query.flag("default")?,
    };
    let dbrps = state.catalog.list_dbrps(&filter).await?;
    Ok(Json(DbrpList {
        content: dbrps.iter().map(DbrpOut::from_dbrp).collect(),
    }))
}

/// `POST /api/v2/dbrps`.
pub(super) async fn create(
    State(state): State<RouterState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<DbrpOut>), ApiError> {
    let request: PostDbrp = json_body(&headers, body, state.settings.max_request_bytes).await?;
    check_org(request.org.as_deref(), request.org_id.as_deref())?;
    let target = DatabaseId(parse_id(&request.bucket_id)?);
    let new = NewDbrp {
        database: request.database,
        retention_policy: request.retention_policy,
        default: request.default.unwrap_or(false),
        target,
    };
    let dbrp = state.catalog.create_dbrp(new).await?;
    tracing::info!(
        dbrp_id = dbrp.id.0,
        database = %dbrp.database,
        retention_policy = %dbrp.retention_policy,
        target = dbrp.target.0,
        "DBRP mapping created over the management API"
    );
    Ok((StatusCode::CREATED, Json(DbrpOut::from_dbrp(&dbrp))))
}

/// `GET /api/v2/dbrps/{id}`.
pub(super) async fn get(
    State(state): State<RouterState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Json<DbrpOne>, ApiError> {
    let id = path_id(path)?;
    check_query_org(raw.as_deref())?;
    let dbrp = state
        .catalog
        .dbrp_by_id(DbrpId(id))
        .await?
        .ok_or(catalog::CatalogError::DbrpNotFound { id })?;
    Ok(Json(DbrpOne {
        content: DbrpOut::from_dbrp(&dbrp),
    }))
}

/// `PATCH /api/v2/dbrps/{id}`: the retention policy and/or the default flag.
pub(super) async fn patch(
    State(state): State<RouterState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<DbrpOne>, ApiError> {
    let id = path_id(path)?;
    check_query_org(raw.as_deref())?;
    let request: PatchDbrp = json_body(&headers, body, state.settings.max_request_bytes).await?;
    let dbrp = state
        .catalog
        .update_dbrp(DbrpId(id), request.into_update())
        .await?;
    tracing::info!(
        dbrp_id = id,
        retention_policy = %dbrp.retention_policy,
        default = dbrp.default,
        "DBRP mapping updated over the management API"
    );
    Ok(Json(DbrpOne {
        content: DbrpOut::from_dbrp(&dbrp),
    }))
}

/// `DELETE /api/v2/dbrps/{id}`: the v1 database's default moves on to another mapping.
pub(super) async fn delete(
    State(state): State<RouterState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode, ApiError> {
    let id = path_id(path)?;
    check_query_org(raw.as_deref())?;
    let dbrp = state.catalog.delete_dbrp(DbrpId(id)).await?;
    tracing::info!(
        dbrp_id = id,
        database = %dbrp.database,
        retention_policy = %dbrp.retention_policy,
        "DBRP mapping deleted over the management API"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// InfluxDB 2 clients send `orgID`/`org` on every mapping request: absent or the one
/// organization.
fn check_query_org(raw: Option<&str>) -> Result<(), ApiError> {
    let query = Query::parse(raw)?;
    check_org(query.get("org"), query.get("orgID"))
}
