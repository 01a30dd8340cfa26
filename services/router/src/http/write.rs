//! `POST /api/v2/write` and `POST /write`: the write path, steps in the order of the crate doc
//! (1–4 here, in HTTP terms; 5–8 in `crate::write`, whose [`WriteError`] becomes an
//! [`ApiError`] at the `?`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use catalog::get_or_create_database;

use super::auth::authorize_write;
use super::body::{BodyEncoding, body_encoding, gunzip_capped, into_utf8, read_capped};
use super::error::ApiError;
use super::params::{WriteApi, parse_write_params};
use crate::metrics::{StageTimes, WriteStage};
use crate::state::RouterState;
use crate::time::now_ns;
use crate::write::{
    WriteError, append_sharded, check_retention, convert_body, rejection_error, schema_upsert,
    shard_tables,
};

/// `POST /api/v2/write`.
pub(super) async fn write_v2(State(state): State<RouterState>, request: Request) -> Response {
    respond(write(&state, WriteApi::V2, request).await, false)
}

/// `POST /write`.
pub(super) async fn write_v1(State(state): State<RouterState>, request: Request) -> Response {
    respond(write(&state, WriteApi::V1, request).await, true)
}

fn respond(result: Result<(), ApiError>, v1: bool) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            if e.status().is_server_error() {
                tracing::warn!(error = %e, "write failed");
            }
            e.into_response_for(v1)
        }
    }
}

async fn write(state: &RouterState, api: WriteApi, request: Request) -> Result<(), ApiError> {
    // 1. Concurrency permit, held until the response is built; the body is not read without one.
    let _permit = state
        .write_permits
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Overloaded)?;
    let mut times = StageTimes::start();

    // 2. Parameters.
    let (parts, body) = request.into_parts();
    let params = parse_write_params(api, parts.uri.query())?;
    let traceparent = trace_context(&parts.headers);

    // 3. Auth.
    authorize_write(
        state.catalog.as_ref(),
        &parts.headers,
        params.password.as_deref(),
        &params.database,
    )
    .await?;

    // 4. Body.
    let limit = state.settings.max_request_bytes;
    let encoding = body_encoding(&parts.headers)?;
    let raw = read_capped(&parts.headers, body, limit).await?;
    if raw.is_empty() {
        return Ok(());
    }
    times.end(WriteStage::Body);

    // 5. Decode and convert off the async workers (CPU-bound on large bodies).
    let precision = params.precision;
    let default_time = now_ns();
    let pool = Arc::clone(&state.convert_pool);
    let (converted, body_bytes) = tokio::task::spawn_blocking(move || {
        let bytes = match encoding {
            BodyEncoding::Identity => raw,
            BodyEncoding::Gzip => gunzip_capped(&raw, limit)?,
        };
        let text = into_utf8(bytes)?;
        let len = text.len();
        convert_body(&pool, text, precision, default_time)
            .map(|c| (c, len))
            .map_err(ApiError::from)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("conversion task failed: {e}")))??;
    state.metrics.write_body_bytes.inc_by(body_bytes as u64);
    times.end(WriteStage::Convert);

    let rejected = converted.stats.lines_rejected;
    state.metrics.write_rejected_lines.inc_by(rejected as u64);
    if rejected > 0 && (!params.accept_partial || converted.tables.is_empty()) {
        return Err(rejection_error(&converted.rejections, None).into());
    }
    if converted.tables.is_empty() {
        return Ok(()); // only blank lines and comments
    }

    // 6. Database, retention.
    let catalog = state.catalog.as_ref();
    let database = match catalog
        .database_by_name(&params.database)
        .await
        .map_err(WriteError::Catalog)?
    {
        Some(db) => db,
        None if state.settings.auto_create_databases => {
            let options = state.settings.new_database_options;
            let (db, created) = get_or_create_database(catalog, &params.database, options)
                .await
                .map_err(WriteError::Catalog)?;
            if created {
                tracing::info!(database = %db.name, id = db.id.0, "auto-created database");
            }
            db
        }
        None => return Err(WriteError::DatabaseNotFound(params.database.to_string()).into()),
    };
    check_retention(&converted.tables, database.retention_period_ns(), now_ns())?;

    // 7. Schema: additive, atomic upsert; conflicts and limits reject the whole write.
    let upsert = schema_upsert(&converted.tables)?;
    catalog
        .upsert_schema(database.id, &upsert)
        .await
        .map_err(WriteError::Catalog)?;
    times.end(WriteStage::Schema);

    // 8. Shard rows by series onto the log's partitions; per partition one record (more for
    // requests of over 100 (table, day) groups, appended in order), partitions in parallel;
    // success only once every append is acknowledged.
    let stats = converted.stats;
    let tables = converted
        .tables
        .into_iter()
        .map(|t| (t.name, t.batch))
        .collect();
    let log = state.write_log.as_ref();
    let sharded = shard_tables(database.name.as_ref(), tables, log.partition_count())
        .map_err(WriteError::Shard)?;
    times.end(WriteStage::Shard);
    append_sharded(log, database.name.as_ref(), sharded, traceparent.as_deref())
        .await
        .map_err(WriteError::Append)?;
    times.end(WriteStage::Log);
    state.metrics.record_write(&times);
    let [body_ms, convert_ms, schema_ms, shard_ms, log_ms] = times.millis();
    tracing::debug!(
        lines = stats.lines_accepted,
        body_ms,
        convert_ms,
        schema_ms,
        shard_ms,
        log_ms,
        "write acknowledged"
    );
    state
        .metrics
        .write_lines
        .inc_by(stats.lines_accepted as u64);
    state.metrics.write_fields.inc_by(stats.field_values as u64);

    if rejected > 0 {
        return Err(rejection_error(&converted.rejections, Some(stats.lines_accepted)).into());
    }
    Ok(())
}

/// The W3C `traceparent` request header, carried into the log records (ignored when not short
/// printable ASCII).
fn trace_context(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("traceparent")?.to_str().ok()?;
    (!value.is_empty() && value.len() <= 128).then(|| value.to_owned())
}
