//! The querier's Prometheus metrics (`quiver_querier_*`), on the shell's `/metrics`.
//!
//! ```text
//! gRPC call ──► GrpcMetricsLayer (around the Flight service)
//!                 ──► status from the `grpc-status` header (an error before any data) or the
//!                     trailers at the end of the stream; a stream dropped before its end
//!                     (client gone) counts as CANCELLED
//!                 ──► requests_total{method, code}, request_duration_seconds{method}
//! every logged query (query::QueryLog observer, once at its end)
//!                 ──► queries_total{type, outcome}, query_rows_total,
//!                     query_duration_seconds{type}   (receipt to end)
//! ```

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderMap, Request, Response};
use futures::future::BoxFuture;
use http_body::{Body, Frame, SizeHint};
use observability::MetricsText;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use query::{QueryObserver, QueryPhase, QueryRecord, QueryType};
use tower::{Layer, Service};

/// Labels of a finished gRPC call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CallLabels {
    /// The Flight method (`DoGet`, `GetFlightInfo`, …).
    pub method: String,
    /// The gRPC status code name (`OK`, `INVALID_ARGUMENT`, …).
    pub code: &'static str,
}

/// Label of a method.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct MethodLabels {
    /// The Flight method.
    pub method: String,
}

/// Labels of a finished query.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct QueryLabels {
    /// `sql`, `flightsql`, `influxql`.
    pub r#type: &'static str,
    /// `success`, `fail` or `cancel`.
    pub outcome: &'static str,
}

/// Label of a query language.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct TypeLabels {
    /// `sql`, `flightsql`, `influxql`.
    pub r#type: &'static str,
}

/// Latency buckets: 0.5 ms doubling to ≈ 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

/// The querier's metrics (see the module doc).
#[derive(Debug)]
pub struct QuerierMetrics {
    registry: Registry,
    /// `quiver_querier_requests_total{method,code}`.
    pub requests: Family<CallLabels, Counter>,
    /// `quiver_querier_request_duration_seconds{method}`: call start to the stream's end.
    pub request_duration: Family<MethodLabels, Histogram, fn() -> Histogram>,
    /// `quiver_querier_queries_total{type,outcome}`.
    pub queries: Family<QueryLabels, Counter>,
    /// `quiver_querier_query_rows_total`: rows returned by successful queries.
    pub query_rows: Counter,
    /// `quiver_querier_query_duration_seconds{type}`: receipt to end, every outcome.
    pub query_duration: Family<TypeLabels, Histogram, fn() -> Histogram>,
}

impl Default for QuerierMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl QuerierMetrics {
    /// Creates and registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("quiver_querier");
        let requests = Family::<CallLabels, Counter>::default();
        let request_duration =
            Family::<MethodLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        let queries = Family::<QueryLabels, Counter>::default();
        let query_rows = Counter::default();
        let query_duration =
            Family::<TypeLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "requests",
            "Flight gRPC calls answered, by method and status code",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Flight gRPC call time from the request to the end of the response stream",
            request_duration.clone(),
        );
        registry.register(
            "queries",
            "Queries finished, by language and outcome (success, fail, cancel)",
            queries.clone(),
        );
        registry.register(
            "query_rows",
            "Rows returned by successful queries",
            query_rows.clone(),
        );
        registry.register(
            "query_duration_seconds",
            "Query time from receipt to the end of its result, by language",
            query_duration.clone(),
        );
        Self {
            registry,
            requests,
            request_duration,
            queries,
            query_rows,
            query_duration,
        }
    }

    /// Records a finished query (what the [`QueryObserver`] calls).
    pub fn record_query(&self, record: &QueryRecord) {
        let r#type = query_type(record.query_type);
        let outcome = match record.phase {
            QueryPhase::Success => "success",
            QueryPhase::Fail => "fail",
            _ => "cancel",
        };
        self.queries
            .get_or_create(&QueryLabels { r#type, outcome })
            .inc();
        if record.phase == QueryPhase::Success {
            self.query_rows.inc_by(record.rows.unwrap_or(0));
        }
        if let Some(duration) = record.end2end_duration {
            self.query_duration
                .get_or_create(&TypeLabels { r#type })
                .observe(duration.as_secs_f64());
        }
    }

    /// The observer to give the query log.
    pub fn observer(self: &Arc<Self>) -> QueryObserver {
        let metrics = Arc::clone(self);
        Arc::new(move |record: &QueryRecord| metrics.record_query(record))
    }

    fn record_call(&self, method: &str, code: &'static str, started: Instant) {
        self.requests
            .get_or_create(&CallLabels {
                method: method.to_owned(),
                code,
            })
            .inc();
        self.request_duration
            .get_or_create(&MethodLabels {
                method: method.to_owned(),
            })
            .observe(started.elapsed().as_secs_f64());
    }

    /// Prometheus text exposition format (OpenMetrics flavour, ends with `# EOF`).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl MetricsText for QuerierMetrics {
    fn encode_text(&self) -> Result<String, std::fmt::Error> {
        self.encode()
    }
}

fn query_type(t: QueryType) -> &'static str {
    match t {
        QueryType::Sql => "sql",
        QueryType::FlightSql => "flightsql",
        QueryType::InfluxQl => "influxql",
    }
}

/// The canonical name of a gRPC status code (`grpc-status` value).
fn code_name(code: &str) -> &'static str {
    match code.trim() {
        "0" => "OK",
        "1" => "CANCELLED",
        "2" => "UNKNOWN",
        "3" => "INVALID_ARGUMENT",
        "4" => "DEADLINE_EXCEEDED",
        "5" => "NOT_FOUND",
        "6" => "ALREADY_EXISTS",
        "7" => "PERMISSION_DENIED",
        "8" => "RESOURCE_EXHAUSTED",
        "9" => "FAILED_PRECONDITION",
        "10" => "ABORTED",
        "11" => "OUT_OF_RANGE",
        "12" => "UNIMPLEMENTED",
        "13" => "INTERNAL",
        "14" => "UNAVAILABLE",
        "15" => "DATA_LOSS",
        "16" => "UNAUTHENTICATED",
        _ => "UNKNOWN",
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<&'static str> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .map(code_name)
}

/// Counts the gRPC calls of the service it wraps (see the module doc).
#[derive(Debug, Clone)]
pub struct GrpcMetricsLayer {
    metrics: Arc<QuerierMetrics>,
}

impl GrpcMetricsLayer {
    /// Records into `metrics`.
    pub fn new(metrics: Arc<QuerierMetrics>) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics {
            inner,
            metrics: Arc::clone(&self.metrics),
        }
    }
}

/// The service [`GrpcMetricsLayer`] makes.
#[derive(Debug, Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
    metrics: Arc<QuerierMetrics>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GrpcMetrics<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Send + 'static,
    S::Future: Send + 'static,
    ResBody: Body<Data = Bytes> + Unpin + Send + 'static,
{
    type Response = Response<MeteredBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let started = Instant::now();
        let method = request
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let metrics = Arc::clone(&self.metrics);
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await?;
            let (parts, body) = response.into_parts();
            let mut metered = MeteredBody {
                inner: body,
                call: Some(Call {
                    metrics,
                    method,
                    started,
                }),
            };
            // Trailers-only response: the status is in the headers (an error before any data).
            if let Some(code) = grpc_status(&parts.headers) {
                metered.finish(code);
            }
            Ok(Response::from_parts(parts, metered))
        })
    }
}

/// A call not counted yet.
#[derive(Debug)]
struct Call {
    metrics: Arc<QuerierMetrics>,
    method: String,
    started: Instant,
}

/// A response body that counts its call when its trailers pass (or as CANCELLED when it is
/// dropped before).
#[derive(Debug)]
pub struct MeteredBody<B> {
    inner: B,
    call: Option<Call>,
}

impl<B> MeteredBody<B> {
    fn finish(&mut self, code: &'static str) {
        if let Some(call) = self.call.take() {
            call.metrics.record_call(&call.method, code, call.started);
        }
    }
}

impl<B> Drop for MeteredBody<B> {
    fn drop(&mut self) {
        self.finish("CANCELLED");
    }
}

impl<B> Body for MeteredBody<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    self.finish(code);
                }
            }
            Poll::Ready(Some(Err(_))) => self.finish("INTERNAL"),
            Poll::Ready(None) => self.finish("UNKNOWN"),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn record(phase: QueryPhase, rows: Option<u64>) -> QueryRecord {
        QueryRecord {
            id: 1,
            database_id: catalog::DatabaseId(1),
            database_name: "db".into(),
            query_type: QueryType::Sql,
            query_text: "SELECT 1".into(),
            trace_id: None,
            issue_time_ns: 0,
            phase,
            partitions: None,
            parquet_files: None,
            plan_duration: None,
            execute_duration: None,
            end2end_duration: Some(Duration::from_millis(3)),
            rows,
            error: None,
        }
    }

    #[test]
    fn queries_count_by_outcome_and_rows_of_successes() {
        let m = QuerierMetrics::new();
        m.record_query(&record(QueryPhase::Success, Some(5)));
        m.record_query(&record(QueryPhase::Fail, None));
        m.record_query(&record(QueryPhase::Cancel, Some(99)));
        let text = m.encode().unwrap();
        for line in [
            "quiver_querier_queries_total{type=\"sql\",outcome=\"success\"} 1\n",
            "quiver_querier_queries_total{type=\"sql\",outcome=\"fail\"} 1\n",
            "quiver_querier_queries_total{type=\"sql\",outcome=\"cancel\"} 1\n",
            "quiver_querier_query_rows_total 5\n",
            "quiver_querier_query_duration_seconds_count{type=\"sql\"} 3\n",
        ] {
            assert!(text.contains(line), "{line} missing from {text}");
        }
    }

    #[test]
    fn status_codes_have_their_canonical_names() {
        assert_eq!(code_name("0"), "OK");
        assert_eq!(code_name("3"), "INVALID_ARGUMENT");
        assert_eq!(code_name("16"), "UNAUTHENTICATED");
        assert_eq!(code_name("99"), "UNKNOWN");
    }
}
