//! [`Shell`]: one service's `/health`, `/ready` and `/metrics`, the same on every service.
//!
//! ```text
//! GET /health  ──► 200 {"name":"quiver","service":S,"message":M,"status":"pass","checks":[],
//!                       "version":V,"commit":C}       (alive: the process answers HTTP)
//! GET /ready   ──► every check's probe at once (each ≤ 2 s)
//!                  200 {"name":"quiver","service":S,"status":"ready","checks":[
//!                       {"name":"kafka","required":true,"status":"pass"},
//!                       {"name":"etcd","required":false,"status":"fail","message":"…"}]}
//!                  503 … "status":"not ready"      (a required check failed, or the service's
//!                                                    own gate is closed: not consuming yet, …)
//!                  503 … "status":"shutting down"  (once shutdown began; checks not run)
//! GET /metrics ──► ProcessMetrics + every registered MetricsText (OpenMetrics text)
//! Shell::serve(listener, app, shutdown) ──► serving until shutdown, then draining
//! ```
//!
//! A check that is not required is reported but does not make the service unready: a router
//! keeps taking writes for known databases from its catalog cache while etcd is down, so
//! taking it out of its load balancer then would turn an etcd outage into a write outage.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use observability::MetricsText;
use serde::Serialize;
use tokio::net::TcpListener;

use crate::metrics::{ProcessMetrics, encode_all};

/// The version every service reports (`/health`, the InfluxDB version headers).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit reported by `/health` (`QUIVER_GIT_COMMIT` at build time).
pub const BUILD_COMMIT: &str = match option_env!("QUIVER_GIT_COMMIT") {
    Some(commit) => commit,
    None => "unknown",
};

/// Longest a readiness probe may take before it counts as failed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The `name` of every health and readiness body (InfluxDB clients read it).
const NAME: &str = "quiver";

type ProbeFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type ProbeFn = dyn Fn() -> ProbeFuture + Send + Sync;

/// One dependency `/ready` reports on.
#[derive(Clone)]
pub struct Check {
    name: &'static str,
    required: bool,
    probe: Arc<ProbeFn>,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("name", &self.name)
            .field("required", &self.required)
            .finish()
    }
}

impl Check {
    /// A dependency the service cannot work without (`/ready` is 503 while it fails).
    pub fn required<F, Fut>(name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self::new(name, true, probe)
    }

    /// A dependency reported on, without which the service still does part of its job.
    pub fn optional<F, Fut>(name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self::new(name, false, probe)
    }

    fn new<F, Fut>(name: &'static str, required: bool, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self {
            name,
            required,
            probe: Arc::new(move || Box::pin(probe()) as ProbeFuture),
        }
    }

    async fn run(&self) -> CheckResult {
        let outcome = match tokio::time::timeout(PROBE_TIMEOUT, (self.probe)()).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
        };
        CheckResult {
            name: self.name,
            required: self.required,
            status: if outcome.is_ok() { "pass" } else { "fail" },
            message: outcome.err(),
        }
    }
}

/// Where the service is in its life.
const STARTING: u8 = 0;
const SERVING: u8 = 1;
const DRAINING: u8 = 2;

/// The shared HTTP face of one service (see the module doc). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Shell {
    service: &'static str,
    message: &'static str,
    checks: Arc<Vec<Check>>,
    metrics: Arc<Vec<Arc<dyn MetricsText>>>,
    phase: Arc<AtomicU8>,
    gate: Option<Arc<AtomicBool>>,
}

impl Shell {
    /// The shell of `service` (`router`, `ingester`, `querier`, `serve`); `message` is what
    /// `/health` says it is ready for.
    pub fn new(service: &'static str, message: &'static str) -> Self {
        Self {
            service,
            message,
            checks: Arc::new(Vec::new()),
            metrics: Arc::new(vec![Arc::new(ProcessMetrics) as Arc<dyn MetricsText>]),
            phase: Arc::new(AtomicU8::new(STARTING)),
            gate: None,
        }
    }

    /// Adds a dependency to `/ready`.
    pub fn with_check(mut self, check: Check) -> Self {
        Arc::make_mut(&mut self.checks).push(check);
        self
    }

    /// Adds a registry to `/metrics` (after the process metrics and those added before).
    pub fn with_metrics(mut self, metrics: Arc<dyn MetricsText>) -> Self {
        Arc::make_mut(&mut self.metrics).push(metrics);
        self
    }

    /// `/ready` is 503 while `gate` is false (the service's own start-up phases: an ingester
    /// is ready only while it consumes).
    pub fn with_gate(mut self, gate: Arc<AtomicBool>) -> Self {
        self.gate = Some(gate);
        self
    }

    /// The service name.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// True from [`Shell::serve`]'s start until shutdown began.
    pub fn is_serving(&self) -> bool {
        self.phase.load(Ordering::Acquire) == SERVING
    }

    /// `/health`, `/ready` and `/metrics`, to merge into the service's own routes (no
    /// fallback, so any router can take them).
    pub fn routes(&self) -> Router {
        Router::new()
            .route("/health", get(health))
            .route("/ready", get(ready))
            .route("/metrics", get(metrics))
            .with_state(self.clone())
    }

    /// The text `/metrics` serves.
    pub fn metrics_text(&self) -> Result<String, std::fmt::Error> {
        encode_all(&self.metrics)
    }

    /// Serves `app` (which should include [`Shell::routes`]) on `listener` until `shutdown`
    /// resolves; `/ready` says "shutting down" from then on while open requests drain.
    pub async fn serve<F>(&self, listener: TcpListener, app: Router, shutdown: F) -> io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.phase.store(SERVING, Ordering::Release);
        let phase = Arc::clone(&self.phase);
        let draining = async move {
            shutdown.await;
            phase.store(DRAINING, Ordering::Release);
        };
        crate::serve(listener, app, draining).await
    }
}

#[derive(Serialize)]
struct HealthBody<'a> {
    name: &'static str,
    service: &'a str,
    message: &'a str,
    status: &'static str,
    checks: [(); 0],
    version: &'static str,
    commit: &'static str,
}

#[derive(Serialize)]
struct ReadyBody<'a> {
    name: &'static str,
    service: &'a str,
    status: &'static str,
    checks: Vec<CheckResult>,
}

#[derive(Debug, Serialize)]
struct CheckResult {
    name: &'static str,
    required: bool,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

async fn health(State(shell): State<Shell>) -> Response {
    json(
        StatusCode::OK,
        &HealthBody {
            name: NAME,
            service: shell.service,
            message: shell.message,
            status: "pass",
            checks: [],
            version: VERSION,
            commit: BUILD_COMMIT,
        },
    )
}

async fn ready(State(shell): State<Shell>) -> Response {
    let phase = shell.phase.load(Ordering::Acquire);
    if phase == DRAINING {
        let body = ReadyBody {
            name: NAME,
            service: shell.service,
            status: "shutting down",
            checks: Vec::new(),
        };
        return json(StatusCode::SERVICE_UNAVAILABLE, &body);
    }
    let checks = futures::future::join_all(shell.checks.iter().map(Check::run)).await;
    let gate_open = shell
        .gate
        .as_ref()
        .is_none_or(|gate| gate.load(Ordering::Acquire));
    let required_pass = checks.iter().all(|c| !c.required || c.status == "pass");
    let ready = phase == SERVING && gate_open && required_pass;
    let body = ReadyBody {
        name: NAME,
        service: shell.service,
        status: if ready { "ready" } else { "not ready" },
        checks,
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(status, &body)
}

async fn metrics(State(shell): State<Shell>) -> Response {
    match shell.metrics_text() {
        Ok(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({"code": "internal error", "message": format!("encoding metrics: {e}")}),
        ),
    }
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    async fn start(shell: &Shell) -> (String, tokio::sync::oneshot::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shell = shell.clone();
        let app = shell.routes();
        tokio::spawn(async move {
            shell
                .serve(listener, app, async {
                    let _ = stopped.await;
                })
                .await
        });
        (url, stop)
    }

    async fn get(url: &str) -> (u16, Value) {
        let resp = reqwest::get(url).await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    #[tokio::test]
    async fn health_ready_and_metrics_of_one_shape() {
        let down = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&down);
        let gate = Arc::new(AtomicBool::new(true));
        let shell = Shell::new("router", "ready for writes")
            .with_check(Check::required("kafka", || async { Ok(()) }))
            .with_check(Check::optional("etcd", move || {
                let down = flag.load(Ordering::Acquire);
                async move {
                    if down {
                        Err("connection refused".into())
                    } else {
                        Ok(())
                    }
                }
            }))
            .with_gate(Arc::clone(&gate));
        let (url, stop) = start(&shell).await;

        let (status, body) = get(&format!("{url}/health")).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({"name": "quiver", "service": "router", "message": "ready for writes",
                   "status": "pass", "checks": [], "version": VERSION, "commit": BUILD_COMMIT})
        );

        let (status, body) = get(&format!("{url}/ready")).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({"name": "quiver", "service": "router", "status": "ready", "checks": [
                {"name": "kafka", "required": true, "status": "pass"},
                {"name": "etcd", "required": false, "status": "pass"}]})
        );
        // An optional dependency down: reported, still ready.
        down.store(true, Ordering::Release);
        let (status, body) = get(&format!("{url}/ready")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["checks"][1],
            json!({"name": "etcd", "required": false, "status": "fail",
                   "message": "connection refused"})
        );
        // The service's gate closed: not ready.
        gate.store(false, Ordering::Release);
        let (status, body) = get(&format!("{url}/ready")).await;
        assert_eq!((status, body["status"].as_str()), (503, Some("not ready")));

        let text = reqwest::get(format!("{url}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.contains("process_resident_memory_bytes "), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");

        stop.send(()).unwrap();
    }

    #[tokio::test]
    async fn a_failing_required_check_or_a_slow_one_is_not_ready() {
        let shell = Shell::new("querier", "ready for queries")
            .with_check(Check::required("object store", || async {
                Err("access denied".to_owned())
            }))
            .with_check(Check::optional("kafka", || async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(())
            }));
        let (url, _stop) = start(&shell).await;
        let started = std::time::Instant::now();
        let (status, body) = get(&format!("{url}/ready")).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "probes are bounded"
        );
        assert_eq!(status, 503);
        assert_eq!(body["status"], "not ready");
        assert_eq!(body["checks"][0]["message"], "access denied");
        assert_eq!(body["checks"][1]["message"], "no answer within 2 s");
    }
}
