//! InfluxDB 3's HTTP query API, for a newcomer's `curl`: `/api/v3/query_sql` and
//! `/api/v3/query_influxql`.
//!
//! ```text
//! GET  ?db=&q=&format=&params=   |   POST JSON {"db","q","format"?,"params"?} (or a query string)
//!   ──► token (Authorization: Bearer | Token) ──► catalog ──► read on db (401 / 403)
//!   ──► sql:      QueryDatabase::session ──► flight::sql::plan_query (queries only) + $params
//!                 ──► record batches
//!       influxql: influxql::parser (+ params) ──► influxql_query::Executor (authorize, execute)
//!                 ──► flight::influxql::to_batch (iox::measurement first, as over Flight)
//!   ──► format: json (array of row objects) | jsonl | csv | pretty | parquet
//! errors: {"error": "…"} with 400 (bad request or query), 401, 403, 404 (database)
//! ```
//!
//! Answers are built in memory (queries of a newcomer's size; `/query` chunked or Flight stream
//! large results).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalog::DatabaseName;
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ParamValues;
use datafusion::common::ScalarValue;
use datafusion::common::metadata::ScalarAndMetadata;
use influxql_query::{Executor, PointsWriter, Request};
use query::QueryDatabase;
use serde::Deserialize;

/// Which language a route speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Sql,
    InfluxQl,
}

struct V3State {
    db: QueryDatabase,
    executor: Executor,
}

/// The routes (on the querier's port and in `quiver serve`); InfluxQL's SELECT INTO writes
/// with `points_writer`.
pub fn v3_routes(db: QueryDatabase, points_writer: Option<Arc<dyn PointsWriter>>) -> Router {
    let state = Arc::new(V3State {
        executor: Executor::new(Arc::new(db.clone())).with_points_writer(points_writer),
        db,
    });
    Router::new()
        .route("/api/v3/query_sql", get(query_sql).post(query_sql))
        .route(
            "/api/v3/query_influxql",
            get(query_influxql).post(query_influxql),
        )
        .with_state(state)
}

async fn query_sql(
    State(state): State<Arc<V3State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&state, Language::Sql, &method, &uri, &headers, &body).await
}

async fn query_influxql(
    State(state): State<Arc<V3State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&state, Language::InfluxQl, &method, &uri, &headers, &body).await
}

/// Why a request failed (status and message).
#[derive(Debug, thiserror::Error)]
enum V3Error {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("database not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Unavailable(String),
}

impl IntoResponse for V3Error {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        let body = serde_json::json!({ "error": self.to_string() }).to_string();
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// The request's parameters, from the query string or a JSON body.
#[derive(Debug, Default, Deserialize)]
struct Params {
    db: Option<String>,
    q: Option<String>,
    format: Option<String>,
    #[serde(default)]
    params: Option<serde_json::Value>,
}

/// Answer formats.
#[derive(Debug, Clone, Copy)]
enum Format {
    Json,
    JsonLines,
    Csv,
    Pretty,
    Parquet,
}

impl Format {
    fn parse(s: Option<&str>) -> Result<Self, V3Error> {
        Ok(match s.unwrap_or("json") {
            "json" => Self::Json,
            "jsonl" => Self::JsonLines,
            "csv" => Self::Csv,
            "pretty" => Self::Pretty,
            "parquet" => Self::Parquet,
            other => {
                return Err(V3Error::BadRequest(format!(
                    "invalid format {other:?}: expected one of json, jsonl, csv, pretty, parquet"
                )));
            }
        })
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::JsonLines => "application/jsonl",
            Self::Csv => "text/csv",
            Self::Pretty => "text/plain; charset=utf-8",
            Self::Parquet => "application/vnd.apache.parquet",
        }
    }
}

async fn handle(
    state: &V3State,
    language: Language,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    match run(state, language, method, uri, headers, body).await {
        Ok((format, bytes)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, format.content_type())],
            bytes,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

fn params(method: &Method, uri: &Uri, body: &[u8]) -> Result<Params, V3Error> {
    if *method == Method::POST && !body.iter().all(u8::is_ascii_whitespace) {
        return serde_json::from_slice(body)
            .map_err(|e| V3Error::BadRequest(format!("invalid JSON body: {e}")));
    }
    let mut p: Params = serde_urlencoded::from_str(uri.query().unwrap_or(""))
        .map_err(|e| V3Error::BadRequest(format!("invalid query string: {e}")))?;
    // `params` arrives as JSON text in a query string.
    if let Some(serde_json::Value::String(text)) = &p.params {
        p.params = Some(
            serde_json::from_str(text)
                .map_err(|e| V3Error::BadRequest(format!("invalid params: {e}")))?,
        );
    }
    Ok(p)
}

async fn run(
    state: &V3State,
    language: Language,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Format, Vec<u8>), V3Error> {
    let p = params(method, uri, body)?;
    let format = Format::parse(p.format.as_deref())?;
    let db =
        p.db.filter(|d| !d.is_empty())
            .ok_or_else(|| V3Error::BadRequest("missing query parameter: db".into()))?;
    let q =
        p.q.filter(|q| !q.trim().is_empty())
            .ok_or_else(|| V3Error::BadRequest("missing query parameter: q".into()))?;
    let bind = match p.params {
        None | Some(serde_json::Value::Null) => serde_json::Map::new(),
        Some(serde_json::Value::Object(m)) => m,
        Some(_) => return Err(V3Error::BadRequest("params must be a JSON object".into())),
    };
    let authorization = authenticate(state, headers).await?;
    let batches = match language {
        Language::Sql => sql(state, &db, &q, &bind, &authorization).await?,
        Language::InfluxQl => influxql(state, &db, &q, &bind, authorization).await?,
    };
    let batches: Vec<RecordBatch> = batches
        .iter()
        .map(plain_strings)
        .collect::<Result<_, _>>()
        .map_err(|e| V3Error::BadRequest(e.to_string()))?;
    let bytes = encode(format, &batches).map_err(V3Error::BadRequest)?;
    Ok((format, bytes))
}

async fn authenticate(
    state: &V3State,
    headers: &HeaderMap,
) -> Result<auth::Authorization, V3Error> {
    let header = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let credentials = auth::extract_credentials(header, None)
        .map_err(|e| V3Error::Unauthorized(e.to_string()))?
        .ok_or_else(|| {
            V3Error::Unauthorized("missing token: send 'Authorization: Bearer <token>'".to_owned())
        })?;
    match catalog::live_token(state.db.catalog().as_ref(), credentials.candidates())
        .await
        .map_err(|e| V3Error::Unavailable(e.to_string()))?
    {
        Some((_, record)) => Ok(record.authorization()),
        None => Err(V3Error::Unauthorized("invalid token".to_owned())),
    }
}

async fn sql(
    state: &V3State,
    db: &str,
    q: &str,
    bind: &serde_json::Map<String, serde_json::Value>,
    authorization: &auth::Authorization,
) -> Result<Vec<RecordBatch>, V3Error> {
    if !authorization.allows(auth::Action::Read, db) {
        return Err(V3Error::Forbidden(format!(
            "token may not read database {db:?}"
        )));
    }
    let name = DatabaseName::new(db).map_err(|e| V3Error::BadRequest(e.to_string()))?;
    let database = state
        .db
        .catalog()
        .database_by_name(&name)
        .await
        .map_err(|e| V3Error::Unavailable(e.to_string()))?
        .ok_or_else(|| V3Error::NotFound(db.to_owned()))?;
    let ctx = state
        .db
        .session(&database)
        .await
        .map_err(|e| V3Error::Unavailable(e.to_string()))?;
    let mut frame = flight::sql::plan_query(&ctx, q)
        .await
        .map_err(|e| V3Error::BadRequest(e.to_string()))?;
    if !bind.is_empty() {
        let values = bind
            .iter()
            .map(|(k, v)| {
                let scalar = match v {
                    serde_json::Value::String(s) => ScalarValue::Utf8(Some(s.clone())),
                    serde_json::Value::Bool(b) => ScalarValue::Boolean(Some(*b)),
                    serde_json::Value::Number(n) => match n.as_i64() {
                        Some(i) => ScalarValue::Int64(Some(i)),
                        None => ScalarValue::Float64(n.as_f64()),
                    },
                    serde_json::Value::Null => ScalarValue::Null,
                    other => ScalarValue::Utf8(Some(other.to_string())),
                };
                (k.clone(), ScalarAndMetadata::new(scalar, None))
            })
            .collect();
        frame = frame
            .with_param_values(ParamValues::Map(values))
            .map_err(|e| V3Error::BadRequest(e.to_string()))?;
    }
    frame
        .collect()
        .await
        .map_err(|e| V3Error::BadRequest(e.to_string()))
}

async fn influxql(
    state: &V3State,
    db: &str,
    q: &str,
    bind: &serde_json::Map<String, serde_json::Value>,
    authorization: auth::Authorization,
) -> Result<Vec<RecordBatch>, V3Error> {
    let query = influxql::parser::parse_query_with_params(q, bind)
        .map_err(|e| V3Error::BadRequest(format!("error parsing query: {e}")))?;
    let request = Request {
        database: Some(db.to_owned()),
        retention_policy: None,
        now: influxql_query::now_ns(),
        authorization,
    };
    state
        .executor
        .authorize(&query, &request)
        .map_err(V3Error::Forbidden)?;
    let mut batches = Vec::new();
    for result in state.executor.execute(&query, &request).await {
        if let Some(e) = result.error {
            return Err(V3Error::BadRequest(e));
        }
        batches.push(
            flight::influxql::to_batch(&result.series)
                .map_err(|e| V3Error::BadRequest(e.to_string()))?,
        );
    }
    Ok(batches)
}

/// Dictionary-encoded strings (tags) as plain strings, for every writer.
fn plain_strings(batch: &RecordBatch) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if let DataType::Dictionary(_, value) = field.data_type() {
            fields.push(Field::new(
                field.name(),
                (**value).clone(),
                field.is_nullable(),
            ));
            columns.push(cast(column, value)?);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(Arc::clone(column));
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

fn encode(format: Format, batches: &[RecordBatch]) -> Result<Vec<u8>, String> {
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    let mut out = Vec::new();
    match format {
        Format::Json => {
            let mut w = arrow_json::ArrayWriter::new(&mut out);
            w.write_batches(&refs).map_err(|e| e.to_string())?;
            w.finish().map_err(|e| e.to_string())?;
            if out.is_empty() {
                out.extend_from_slice(b"[]");
            }
        }
        Format::JsonLines => {
            let mut w = arrow_json::LineDelimitedWriter::new(&mut out);
            w.write_batches(&refs).map_err(|e| e.to_string())?;
            w.finish().map_err(|e| e.to_string())?;
        }
        Format::Csv => {
            let mut w = arrow_csv::Writer::new(&mut out);
            for b in batches {
                w.write(b).map_err(|e| e.to_string())?;
            }
        }
        Format::Pretty => {
            let table = datafusion::arrow::util::pretty::pretty_format_batches(batches)
                .map_err(|e| e.to_string())?;
            out = format!("{table}\n").into_bytes();
        }
        Format::Parquet => {
            let schema = batches
                .first()
                .map(RecordBatch::schema)
                .unwrap_or_else(|| Arc::new(Schema::empty()));
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None)
                .map_err(|e| e.to_string())?;
            for b in batches {
                w.write(b).map_err(|e| e.to_string())?;
            }
            w.close().map_err(|e| e.to_string())?;
        }
    }
    Ok(out)
}
