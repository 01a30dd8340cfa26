//! `/api/v2/authorizations`: tokens — list (values redacted), create (value shown once), get,
//! activate/deactivate and describe, delete.
//!
//! ```text
//! GET    /api/v2/authorizations[?org|orgID|user|userID|token] ──► list_tokens ──► redacted
//! POST   /api/v2/authorizations {permissions, description, status}
//!          ──► resolve permissions (bucket id → name) ──► generate_token ──► create_token(hash)
//!          ──► 201 with "token": value (the only time it is shown)
//! GET    /api/v2/authorizations/{id}                           ──► token_by_id ──► redacted | 404
//! PATCH  /api/v2/authorizations/{id} {status, description}     ──► update_token
//! DELETE /api/v2/authorizations/{id}                           ──► delete_token ──► 204
//! ```

use std::collections::BTreeMap;

use auth::{Permission, TokenHash, generate_token};
use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use catalog::{Catalog, DatabaseId, DatabaseName, NewToken, TokenId, TokenRecord, TokenUpdate};
use serde::Serialize;

use super::super::error::ApiError;
use super::authorization_shape::{
    Authorization, PatchAuthorization, PermissionIn, PostAuthorization, Status, action, dedup,
};
use super::ids::{check_org, format_id, parse_id};
use super::orgs::ListLinks;
use super::request::{Query, json_body, path_id};
use crate::state::RouterState;

/// `{"links":{…},"authorizations":[…]}`.
#[derive(Debug, Serialize)]
pub(super) struct Authorizations {
    links: ListLinks,
    authorizations: Vec<Authorization>,
}

/// `GET /api/v2/authorizations`. Quiver has no users: a `user`/`userID` filter matches nothing.
pub(super) async fn list(
    State(state): State<RouterState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Authorizations>, ApiError> {
    let query = Query::parse(raw.as_deref())?;
    check_org(query.get("org"), query.get("orgID"))?;
    let by_user = query.get("user").is_some() || query.get("userID").is_some();
    let records = if by_user {
        Vec::new()
    } else if let Some(value) = query.get("token") {
        let hash = TokenHash::of(value);
        state
            .catalog
            .token_by_hash(&hash)
            .await?
            .into_iter()
            .collect()
    } else {
        state.catalog.list_tokens().await?
    };
    let ids = bucket_ids(state.catalog.as_ref()).await?;
    Ok(Json(Authorizations {
        links: ListLinks {
            self_: "/api/v2/authorizations".to_owned(),
            next: None,
            prev: None,
        },
        authorizations: records
            .iter()
            .map(|r| Authorization::from_record(r, None, &ids))
            .collect(),
    }))
}

/// `POST /api/v2/authorizations`: the answer is the only place the token value appears.
pub(super) async fn create(
    State(state): State<RouterState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Authorization>), ApiError> {
    let request: PostAuthorization =
        json_body(&headers, body, state.settings.max_request_bytes).await?;
    check_org(None, request.org_id.as_deref())?;
    if request.user_id.as_deref().is_some_and(|u| !u.is_empty()) {
        return Err(ApiError::UnsupportedField {
            field: "userID".to_owned(),
            reason: "Quiver has no users; tokens belong to the organization, omit it".to_owned(),
        });
    }
    let permissions = resolve_permissions(state.catalog.as_ref(), request.permissions).await?;
    let token = generate_token();
    let mut record = state
        .catalog
        .create_token(NewToken {
            hash: token.hash(),
            description: request.description.unwrap_or_default(),
            operator: false,
            permissions,
        })
        .await?;
    if request.status == Some(Status::Inactive) {
        let update = TokenUpdate {
            description: None,
            active: Some(false),
        };
        record = state.catalog.update_token(record.id, update).await?;
    }
    tracing::info!(
        token_id = record.id.0,
        "token created over the management API"
    );
    let ids = bucket_ids(state.catalog.as_ref()).await?;
    let shown = Authorization::from_record(&record, Some(token.expose()), &ids);
    Ok((StatusCode::CREATED, Json(shown)))
}

/// `GET /api/v2/authorizations/{id}`.
pub(super) async fn get(
    State(state): State<RouterState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Authorization>, ApiError> {
    let record = existing(state.catalog.as_ref(), path_id(path)?).await?;
    let ids = bucket_ids(state.catalog.as_ref()).await?;
    Ok(Json(Authorization::from_record(&record, None, &ids)))
}

/// `PATCH /api/v2/authorizations/{id}`: `status` and `description`.
pub(super) async fn patch(
    State(state): State<RouterState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Authorization>, ApiError> {
    let id = path_id(path)?;
    let request: PatchAuthorization =
        json_body(&headers, body, state.settings.max_request_bytes).await?;
    let update = TokenUpdate {
        description: request.description,
        active: request.status.map(|s| s == Status::Active),
    };
    let record = if update == TokenUpdate::default() {
        existing(state.catalog.as_ref(), id).await?
    } else {
        let record = state.catalog.update_token(TokenId(id), update).await?;
        tracing::info!(
            token_id = id,
            active = !record.revoked,
            "token updated over the management API"
        );
        record
    };
    let ids = bucket_ids(state.catalog.as_ref()).await?;
    Ok(Json(Authorization::from_record(&record, None, &ids)))
}

/// `DELETE /api/v2/authorizations/{id}`.
pub(super) async fn delete(
    State(state): State<RouterState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(path)?;
    state.catalog.delete_token(TokenId(id)).await?;
    tracing::info!(token_id = id, "token deleted over the management API");
    Ok(StatusCode::NO_CONTENT)
}

async fn existing(catalog: &dyn Catalog, id: u64) -> Result<TokenRecord, ApiError> {
    catalog
        .token_by_id(TokenId(id))
        .await?
        .ok_or_else(|| ApiError::AuthorizationNotFound(format_id(id)))
}

/// Live database names → ids, to show bucket ids in permissions.
async fn bucket_ids(catalog: &dyn Catalog) -> Result<BTreeMap<String, u64>, ApiError> {
    Ok(catalog
        .list_databases()
        .await?
        .into_iter()
        .map(|db| (db.name.to_string(), db.id.0))
        .collect())
}

/// v2 permissions → catalog permissions. Only `buckets` resources: by id (must exist), by name
/// (may not exist yet), or neither (every bucket, including later ones).
async fn resolve_permissions(
    catalog: &dyn Catalog,
    requested: Vec<PermissionIn>,
) -> Result<Vec<Permission>, ApiError> {
    if requested.is_empty() {
        return Err(ApiError::InvalidPermission(
            "permissions must not be empty: grant read or write on buckets".to_owned(),
        ));
    }
    let mut out = Vec::with_capacity(requested.len());
    for (i, p) in requested.into_iter().enumerate() {
        let invalid = |why: String| ApiError::InvalidPermission(format!("permission {i}: {why}"));
        let Some(action) = action(&p.action) else {
            return Err(invalid(format!(
                "action must be \"read\" or \"write\", got {:?}",
                p.action
            )));
        };
        let resource = p.resource;
        if resource.kind != "buckets" {
            return Err(invalid(format!(
                "resource type {:?} cannot be granted: tokens grant read or write on \"buckets\"; \
                 operator tokens (which manage buckets and tokens) are created with \
                 `quiver admin token create --operator`",
                resource.kind
            )));
        }
        check_org(resource.org.as_deref(), resource.org_id.as_deref())
            .map_err(|e| invalid(e.to_string()))?;
        let by_id = match resource.id.as_deref() {
            Some(id) => {
                let id = parse_id(id).map_err(|e| invalid(e.to_string()))?;
                let db = catalog
                    .database_by_id(DatabaseId(id))
                    .await?
                    .ok_or_else(|| invalid(format!("bucket {:?} not found", format_id(id))))?;
                Some(db.name.to_string())
            }
            None => None,
        };
        let by_name = match resource.name {
            Some(name) => Some(
                DatabaseName::new(name)
                    .map_err(|e| invalid(e.to_string()))?
                    .to_string(),
            ),
            None => None,
        };
        out.push(match (by_id, by_name) {
            (None, None) => Permission::all_databases(action),
            (Some(name), None) | (None, Some(name)) => Permission::database(action, name),
            (Some(id_name), Some(name)) if id_name == name => Permission::database(action, name),
            (Some(id_name), Some(name)) => {
                return Err(invalid(format!(
                    "resource id names bucket {id_name:?} but resource name is {name:?}"
                )));
            }
        });
    }
    Ok(dedup(out))
}
