//! Step 3: who is writing, and may they write to this database. Runs before the body is read
//! and before anything reveals whether the database exists.

use auth::{Action, extract_credentials};
use axum::http::{HeaderMap, header};
use catalog::{Catalog, DatabaseName};

use super::error::ApiError;

/// Checks the request's credentials for write permission on `database`.
pub async fn authorize_write(
    catalog: &dyn Catalog,
    headers: &HeaderMap,
    password_param: Option<&str>,
    database: &DatabaseName,
) -> Result<(), ApiError> {
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let credentials =
        extract_credentials(authorization, password_param)?.ok_or(ApiError::MissingCredentials)?;
    for candidate in credentials.candidates() {
        let Some(record) = catalog.token_by_hash(&candidate.hash()).await? else {
            continue;
        };
        if record.revoked {
            continue;
        }
        if record
            .authorization()
            .allows(Action::Write, database.as_str())
        {
            return Ok(());
        }
        return Err(ApiError::WriteNotPermitted {
            database: database.to_string(),
        });
    }
    Err(ApiError::InvalidToken)
}
