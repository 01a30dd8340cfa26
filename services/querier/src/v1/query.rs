//! `GET|POST /query`: one InfluxQL request, answered as InfluxDB 1.x answers it.
//!
//! ```text
//! query string + form body ──► QueryParams ──► Format (Accept) ──► credentials ──► token
//!   ──► parse (bind parameters) ──► Executor::authorize ──► Executor::execute
//!   not chunked: encode_response ──► one body
//!   chunked:     per statement StatementChunker ──► ChunkWriter ──► one document per chunk
//!   Accept-Encoding: gzip ──► Content-Encoding: gzip
//! ```

use std::io::Write;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use influxql_query::{Executor, Request};
use query::QueryDatabase;
use v1_query::{ChunkWriter, Format, QueryParams, StatementChunker, encode_response};

use super::error::V1Error;

/// What every `/query` request shares.
pub(super) struct V1State {
    db: QueryDatabase,
    executor: Executor,
}

impl V1State {
    pub(super) fn new(db: QueryDatabase) -> Self {
        let executor = Executor::new(Arc::new(db.clone()));
        Self { db, executor }
    }
}

fn pairs(text: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(text).unwrap_or_default()
}

/// The handler.
pub(super) async fn handle(
    State(state): State<Arc<V1State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let format = Format::from_accept_headers(
        headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    );
    let query_pairs = pairs(uri.query().unwrap_or(""));
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let form_pairs = if method == Method::POST && is_form {
        pairs(std::str::from_utf8(&body).unwrap_or(""))
    } else {
        Vec::new()
    };
    let pretty_hint = QueryParams::pretty_requested(&query_pairs);
    let gzip = accepts_gzip(&headers);
    match run(&state, &headers, &query_pairs, &form_pairs, format).await {
        Ok(body) => respond(format, body, gzip),
        Err(e) => e.into_response_as(format, pretty_hint),
    }
}

async fn run(
    state: &V1State,
    headers: &HeaderMap,
    query_pairs: &[(String, String)],
    form_pairs: &[(String, String)],
    format: Format,
) -> Result<Vec<u8>, V1Error> {
    let params = QueryParams::from_pairs(query_pairs, form_pairs)?;
    let authorization = authenticate(state, headers, &params).await?;
    let query = influxql::parser::parse_query_with_params(&params.q, &params.params)?;
    // A DBRP mapping of (db, rp) names the database; without one, the executor's `db` /
    // `db/rp` naming (as the router's v1 /write).
    let (database, retention_policy) = match &params.db {
        Some(db) => match catalog::resolve_v1_database(
            state.db.catalog().as_ref(),
            db,
            params.rp.as_deref(),
        )
        .await
        {
            Ok(catalog::V1Database::Mapped { database, .. }) => {
                (Some(database.name.as_str().to_owned()), None)
            }
            _ => (params.db.clone(), params.rp.clone()),
        },
        None => (None, params.rp.clone()),
    };
    let request = Request {
        database,
        retention_policy,
        now: influxql_query::now_ns(),
        authorization,
    };
    state
        .executor
        .authorize(&query, &request)
        .map_err(V1Error::Forbidden)?;
    let options = params.options();
    let results = state.executor.execute(&query, &request).await;
    let body = if params.chunked {
        let mut writer = ChunkWriter::new(format, options);
        let mut out = Vec::new();
        for r in results {
            if let Some(e) = &r.error {
                out.extend(
                    writer.write(&v1_query::StatementResult::error(r.statement_id, e.clone())),
                );
                continue;
            }
            let mut chunker =
                StatementChunker::new(r.statement_id, r.location.clone(), params.chunk_size);
            for s in r.series {
                for chunk in chunker.push_series(s) {
                    out.extend(writer.write(&chunk));
                }
            }
            out.extend(writer.write(&chunker.finish()));
        }
        out
    } else {
        encode_response(format, &results, &options)
    };
    Ok(body)
}

async fn authenticate(
    state: &V1State,
    headers: &HeaderMap,
    params: &QueryParams,
) -> Result<auth::Authorization, V1Error> {
    let header = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let credentials = auth::extract_credentials(header, params.password.as_deref())
        .map_err(|_| V1Error::MissingCredentials)?
        .ok_or(V1Error::MissingCredentials)?;
    match catalog::live_token(state.db.catalog().as_ref(), credentials.candidates()).await? {
        Some((_, record)) => Ok(record.authorization()),
        None => Err(V1Error::InvalidToken),
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            e.trim()
                .split(';')
                .next()
                .is_some_and(|e| e.trim() == "gzip")
        })
}

/// The answer, gzip-compressed when the client accepts it (as 1.x does).
fn respond(format: Format, body: Vec<u8>, gzip: bool) -> Response {
    let content_type = [(header::CONTENT_TYPE, format.content_type())];
    if gzip {
        let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
        if enc.write_all(&body).is_ok()
            && let Ok(z) = enc.finish()
        {
            return (
                content_type,
                [(header::CONTENT_ENCODING, "gzip")],
                Body::from(z),
            )
                .into_response();
        }
    }
    (content_type, Body::from(body)).into_response()
}
