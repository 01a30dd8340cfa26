//! `GET|POST /query`: one InfluxQL request, answered as InfluxDB 1.x answers it.
//!
//! ```text
//! query string + form body ──► QueryParams ──► Format (Accept) ──► credentials ──► token
//!   ──► parse (bind parameters) ──► Executor::authorize
//!   not chunked: Executor::execute ──► encode_response ──► one body
//!   chunked:     a task runs the statements one by one (Executor::execute_statement), each
//!                result's series cut by StatementChunker ──► ChunkWriter ──► sent as soon as
//!                written through a bounded channel into the streamed body (the client's
//!                pace holds the task back; it stops when the client goes away) — at most
//!                one statement's result and a few chunks in memory, not the whole answer
//!   Accept-Encoding: gzip ──► Content-Encoding: gzip (streamed: flushed per chunk)
//! ```

use std::io::Write;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use influxql_query::{Executor, PointsWriter, Request};
use query::QueryDatabase;
use v1_query::{ChunkWriter, Format, QueryParams, StatementChunker, encode_response};

use super::error::V1Error;

/// What every `/query` request shares.
pub(super) struct V1State {
    db: QueryDatabase,
    executor: Executor,
}

impl V1State {
    pub(super) fn new(db: QueryDatabase, points_writer: Option<Arc<dyn PointsWriter>>) -> Self {
        let executor = Executor::new(Arc::new(db.clone())).with_points_writer(points_writer);
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
        Ok(Answer::Whole(body)) => respond(format, body, gzip),
        Ok(Answer::Chunked(job)) => stream(Arc::clone(&state), format, job, gzip),
        Err(e) => e.into_response_as(format, pretty_hint),
    }
}

/// What a request answers: a whole body, or statements to run and stream chunk by chunk.
enum Answer {
    Whole(Vec<u8>),
    Chunked(ChunkedJob),
}

/// A chunked request, parsed and authorized.
struct ChunkedJob {
    query: influxql::ast::Query,
    request: Request,
    options: v1_query::Options,
    chunk_size: usize,
}

/// Chunks in flight between the statement task and the response body.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Streams a chunked answer: the statements run in a task that hands each written chunk to
/// the body as soon as it is encoded.
fn stream(state: Arc<V1State>, format: Format, job: ChunkedJob, gzip: bool) -> Response {
    let (mut tx, rx) =
        futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        use futures::SinkExt;
        let mut gz = gzip.then(|| GzEncoder::new(Vec::new(), Compression::fast()));
        // Compresses (when asked) and sends; false once the client has gone away.
        let mut send = async |bytes: Vec<u8>, last: bool| -> bool {
            let out = match &mut gz {
                None => bytes,
                Some(enc) => {
                    let ok = enc.write_all(&bytes).and_then(|()| enc.flush()).is_ok();
                    if !ok {
                        return false;
                    }
                    let mut out = std::mem::take(enc.get_mut());
                    if last && let Some(enc) = gz.take() {
                        match enc.finish() {
                            Ok(tail) => out.extend(tail),
                            Err(_) => return false,
                        }
                    }
                    out
                }
            };
            out.is_empty() || tx.send(Ok(Bytes::from(out))).await.is_ok()
        };
        let mut writer = ChunkWriter::new(format, job.options);
        let statements = &job.query.statements;
        let last = statements.len().saturating_sub(1);
        for (i, stmt) in statements.iter().enumerate() {
            let r = state
                .executor
                .execute_statement(stmt, i, &job.request)
                .await;
            if let Some(e) = &r.error {
                // As Executor::execute: a failing statement other than the last reads "not
                // executed" and the answer ends there.
                let message = if i < last {
                    "not executed".to_owned()
                } else {
                    e.clone()
                };
                let bytes = writer.write(&v1_query::StatementResult::error(i, message));
                send(bytes, true).await;
                return;
            }
            let mut chunker =
                StatementChunker::new(r.statement_id, r.location.clone(), job.chunk_size);
            for s in r.series {
                for chunk in chunker.push_series(s) {
                    if !send(writer.write(&chunk), false).await {
                        return;
                    }
                }
            }
            if !send(writer.write(&chunker.finish()), i == last).await {
                return;
            }
        }
        if statements.is_empty() {
            send(Vec::new(), true).await;
        }
    });
    let content_type = [(header::CONTENT_TYPE, format.content_type())];
    let body = Body::from_stream(rx);
    if gzip {
        (content_type, [(header::CONTENT_ENCODING, "gzip")], body).into_response()
    } else {
        (content_type, body).into_response()
    }
}

async fn run(
    state: &V1State,
    headers: &HeaderMap,
    query_pairs: &[(String, String)],
    form_pairs: &[(String, String)],
    format: Format,
) -> Result<Answer, V1Error> {
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
    if params.chunked {
        return Ok(Answer::Chunked(ChunkedJob {
            query,
            request,
            options,
            chunk_size: params.chunk_size,
        }));
    }
    let results = state.executor.execute(&query, &request).await;
    Ok(Answer::Whole(encode_response(format, &results, &options)))
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
