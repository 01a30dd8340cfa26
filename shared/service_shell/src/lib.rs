//! The service shell: what every Quiver service (router, ingester, querier, `serve`) does the
//! same way around its own routes, in the spirit of IOx's `ioxd_common`.
//!
//! ```text
//! quiver <service> ──► start_logging (once) ──► bind --bind ──► announce "quiver listening on …"
//!   ──► dependencies: Dependency::missing(service) for an unset flag; retry_start(dependency,
//!       RetryPolicy) while etcd / Kafka are not up yet (then a clear error naming it)
//!   ──► Shell::new(service, message)
//!         .with_check(Check::required | optional)  ──► GET /ready  (JSON, per dependency)
//!         .with_metrics(the service's registry)     ──► GET /metrics (+ process metrics)
//!                                                   ──► GET /health (alive, one shape)
//!   ──► shell.serve(listener, shell.routes() + service routes, shutdown_signal())
//!         TCP_NODELAY on every connection, HTTP/1.1 + h2c (REST and gRPC on one port),
//!         SIGINT / SIGTERM ──► /ready "shutting down", open requests drain
//! ```

mod dependency;
mod metrics;
mod serve;
mod shell;
mod signal;
mod start;

pub use dependency::{Dependency, MissingDependency, RetryPolicy, StartError, retry_start};
pub use metrics::{ProcessMetrics, encode_all};
pub use serve::serve;
pub use shell::{BUILD_COMMIT, Check, PROBE_TIMEOUT, Shell, VERSION};
pub use signal::shutdown_signal;
pub use start::{BindError, LoggingError, announce, bind, start_logging};
