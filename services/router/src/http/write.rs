//! `POST /api/v2/write`, `POST /write` and `POST /api/v3/write_lp`: one write path, steps in the
//! order of the crate doc (1–4 here, in HTTP terms; 5–8 in `crate::write`, whose [`WriteError`]
//! becomes an [`ApiError`] at the `?`).
//!
//! ```text
//! params (v1/v2/v3) ──► resolve_target (v1: DBRP mappings) ──► auth on the resolved name
//!   ──► body ──► convert (precision or v3 `auto`) ──► rejected lines: v1/v2 `{"code","message"}`,
//!       v3 InfluxDB 3's `{"error","data"}` (http::write_lp), with the lines' text from the body
//!   ──► database (the mapped one, or looked up / auto-created) ──► schema ──► log ──► 204
//! ```
//!
//! v3's `no_sync` changes nothing: a 204 always means every record is in the write log (Kafka
//! acknowledged it), which is what InfluxDB 3 means by a synced write.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use catalog::get_or_create_database;
use schema::LineRejection;

use super::auth::authorize_write;
use super::body::{BodyEncoding, body_encoding, gunzip_capped, into_utf8, read_capped};
use super::error::ApiError;
use super::params::{WriteApi, parse_write_params, resolve_target};
use super::write_lp::{WriteLpLineError, line_errors};
use crate::metrics::{StageTimes, WriteStage};
use crate::state::RouterState;
use crate::time::now_ns;
use crate::write::{WriteError, convert_body, rejection_error, store_tables};

/// `POST /api/v2/write`.
pub(super) async fn write_v2(State(state): State<RouterState>, request: Request) -> Response {
    respond(write(&state, WriteApi::V2, request).await, false)
}

/// `POST /write`.
pub(super) async fn write_v1(State(state): State<RouterState>, request: Request) -> Response {
    respond(write(&state, WriteApi::V1, request).await, true)
}

/// `POST /api/v3/write_lp`.
pub(super) async fn write_v3(State(state): State<RouterState>, request: Request) -> Response {
    respond(write(&state, WriteApi::V3, request).await, false)
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

    // 2. Parameters; the database they name (v1: through DBRP mappings, from the cache).
    let (parts, body) = request.into_parts();
    let params = parse_write_params(api, parts.uri.query())?;
    let target = resolve_target(state.catalog.as_ref(), params.target).await?;
    let traceparent = trace_context(&parts.headers);

    // 3. Auth, on the database written to.
    authorize_write(
        state.catalog.as_ref(),
        &parts.headers,
        params.password.as_deref(),
        &target.name,
    )
    .await?;

    // 4. Body.
    let limit = state.settings.max_request_bytes;
    let encoding = body_encoding(&parts.headers)?;
    let raw = read_capped(&parts.headers, body, limit).await?;
    if raw.is_empty() {
        return empty(api);
    }
    times.end(WriteStage::Body);

    // 5. Decode and convert off the async workers (CPU-bound on large bodies). v3 stamps lines
    // without a timestamp with the time cut to its precision, as InfluxDB 3 does, and reports
    // rejected lines with their text.
    let precision = params.precision;
    let default_time = match api {
        WriteApi::V3 => precision.truncate(now_ns()),
        WriteApi::V1 | WriteApi::V2 => now_ns(),
    };
    let pool = Arc::clone(&state.convert_pool);
    let (converted, body_bytes, line_texts) = tokio::task::spawn_blocking(move || {
        let bytes = match encoding {
            BodyEncoding::Identity => raw,
            BodyEncoding::Gzip => gunzip_capped(&raw, limit)?,
        };
        let text = Arc::new(into_utf8(bytes)?);
        let len = text.len();
        let converted = convert_body(&pool, Arc::clone(&text), precision, default_time)?;
        let line_texts = match api {
            WriteApi::V3 if !converted.rejections.is_empty() => {
                line_errors(&converted.rejections, &text)
            }
            _ => Vec::new(),
        };
        Ok::<_, ApiError>((converted, len, line_texts))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("conversion task failed: {e}")))??;
    state.metrics.write_body_bytes.inc_by(body_bytes as u64);
    times.end(WriteStage::Convert);

    let rejected = converted.stats.lines_rejected;
    state.metrics.write_rejected_lines.inc_by(rejected as u64);
    let refuse = |rejections: &[LineRejection], lines: Vec<WriteLpLineError>, written| {
        lines_rejected(api, params.accept_partial, rejections, lines, written)
    };
    if rejected > 0 && (!params.accept_partial || converted.tables.is_empty()) {
        return Err(refuse(&converted.rejections, line_texts, None));
    }
    if converted.tables.is_empty() {
        return empty(api); // only blank lines and comments
    }

    // 6. Database (the one a DBRP mapping named, else by name), retention.
    let catalog = state.catalog.as_ref();
    let known = match target.mapped {
        Some(db) => Some(db),
        None => catalog
            .database_by_name(&target.name)
            .await
            .map_err(WriteError::Catalog)?,
    };
    let database = match known {
        Some(db) => db,
        None if state.settings.auto_create_databases => {
            let options = state.settings.new_database_options;
            let (db, created) = get_or_create_database(catalog, &target.name, options)
                .await
                .map_err(WriteError::Catalog)?;
            if created {
                tracing::info!(database = %db.name, id = db.id.0, "auto-created database");
            }
            db
        }
        None => return Err(WriteError::DatabaseNotFound(target.name.to_string()).into()),
    };
    // 6b–8. Retention, schema (additive, atomic upsert: conflicts and limits reject the whole
    // write), shard rows by series onto the log's partitions and append (per partition one
    // record, more for requests of over 100 (table, day) groups, partitions in parallel):
    // success only once every append is acknowledged.
    let stats = converted.stats;
    store_tables(
        catalog,
        state.write_log.as_ref(),
        &database,
        converted.tables,
        traceparent.as_deref(),
        Some(&mut times),
    )
    .await?;
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
        return Err(refuse(
            &converted.rejections,
            line_texts,
            Some(stats.lines_accepted),
        ));
    }
    Ok(())
}

/// The answer to rejected lines: v1/v2 the `{"code","message","line"}` report (`written` =
/// `Some(n)` when the valid lines were written), v3 InfluxDB 3's (`http::write_lp`).
fn lines_rejected(
    api: WriteApi,
    accept_partial: bool,
    rejections: &[LineRejection],
    lines: Vec<WriteLpLineError>,
    written: Option<usize>,
) -> ApiError {
    match api {
        WriteApi::V3 => ApiError::WriteLpRejected {
            partial: accept_partial,
            lines,
        },
        WriteApi::V1 | WriteApi::V2 => rejection_error(rejections, written).into(),
    }
}

/// A body without lines: 204 on v1/v2; InfluxDB 3 refuses it.
fn empty(api: WriteApi) -> Result<(), ApiError> {
    match api {
        WriteApi::V3 => Err(ApiError::EmptyWrite),
        WriteApi::V1 | WriteApi::V2 => Ok(()),
    }
}

/// The W3C `traceparent` request header, carried into the log records (ignored when not short
/// printable ASCII).
fn trace_context(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("traceparent")?.to_str().ok()?;
    (!value.is_empty() && value.len() <= 128).then(|| value.to_owned())
}
