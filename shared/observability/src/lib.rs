//! Logging and metrics setup shared by every service.
//!
//! ```text
//! --log-filter / QUIVER_LOG, else RUST_LOG, else "info" ──► init_logging ──► tracing subscriber
//!                                                              (text or JSON on stderr)
//! each service's registry (router, ingester, querier) ──► MetricsText ──► service_shell joins
//!                       them with the process metrics ──► GET /metrics
//! ```

mod logging;
mod metrics;

pub use logging::{LoggingError, init_logging};
pub use metrics::MetricsText;
