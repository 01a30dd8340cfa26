//! Logging and metrics setup shared by every service.
//!
//! ```text
//! --log-filter / QUIVER_LOG, else RUST_LOG, else "info" ──► init_logging ──► tracing subscriber
//!                                                              (text or JSON on stderr)
//! router handlers ──► RouterMetrics (counters, gauges, write-stage histograms) ──► Registry
//!                       + other services of the process (MetricsText: serve's ingester)
//!                       ──► encode() ──► GET /metrics
//! ```

mod logging;
mod metrics;

pub use logging::{LoggingError, init_logging};
pub use metrics::{
    EndpointLabels, MetricsText, RequestLabels, RouterMetrics, StageLabels, StageTimes, WriteStage,
};
