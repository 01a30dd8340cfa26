//! The router's Prometheus metrics (`quiver_http_*`, `quiver_write_*`), served on the shell's
//! `/metrics` next to the process metrics (and, in `quiver serve`, the ingester's and the
//! querier's).
//!
//! ```text
//! observe middleware ──► record_request(endpoint, status), in_flight(endpoint)
//! write handler      ──► write_lines / fields / body bytes / rejected lines, record_write(stages)
//! GET /metrics       ──► MetricsText::encode_text ──► service_shell joins it with the others
//! ```

use observability::MetricsText;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a finished HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// Route pattern (`/api/v2/write`, …) or `unmatched`.
    pub endpoint: String,
    /// HTTP status code.
    pub status: u16,
}

/// Labels of an in-flight HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct EndpointLabels {
    /// Route pattern or `unmatched`.
    pub endpoint: String,
}

/// Label of the write-stage histogram.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StageLabels {
    /// One of [`WriteStage`]'s names.
    pub stage: &'static str,
}

/// The stages of a write request, in order (docs/architecture.md, "The write path"), timed
/// separately so an operator can tell where write latency goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStage {
    /// Checking the parameters and the token, reading (and size-capping) the request body.
    Body,
    /// Waiting for a conversion thread, decompressing, parsing and converting to Arrow.
    Convert,
    /// Database lookup, retention check and schema upsert.
    Schema,
    /// Hashing series onto log partitions.
    Shard,
    /// Encoding the log records and waiting for every append to be acknowledged.
    Log,
}

impl WriteStage {
    /// Every stage, in request order.
    pub const ALL: [Self; 5] = [
        Self::Body,
        Self::Convert,
        Self::Schema,
        Self::Shard,
        Self::Log,
    ];

    /// The `stage` label value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Body => "body",
            Self::Convert => "convert",
            Self::Schema => "schema",
            Self::Shard => "shard",
            Self::Log => "log",
        }
    }
}

/// Latency buckets: 0.25 ms doubling to ≈ 8 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// Metrics of the HTTP write tier, registered under the `quiver` prefix.
#[derive(Debug)]
pub struct RouterMetrics {
    registry: Registry,
    /// `quiver_http_requests_total{endpoint,status}`.
    pub http_requests: Family<RequestLabels, Counter>,
    /// `quiver_http_requests_in_flight{endpoint}`.
    pub http_in_flight: Family<EndpointLabels, Gauge>,
    /// `quiver_write_lines_total`: lines written to the log.
    pub write_lines: Counter,
    /// `quiver_write_fields_total`: field values written to the log.
    pub write_fields: Counter,
    /// `quiver_write_body_bytes_total`: request body bytes (after decompression) of writes that
    /// reached the parser.
    pub write_body_bytes: Counter,
    /// `quiver_write_rejected_lines_total`: lines rejected by the parser or converter.
    pub write_rejected_lines: Counter,
    /// `quiver_write_duration_seconds`: time from the permit to the 204 of acknowledged writes.
    pub write_duration: Histogram,
    /// `quiver_write_stage_duration_seconds{stage}`: time per [`WriteStage`] of acknowledged
    /// writes.
    pub write_stage_duration: Family<StageLabels, Histogram, fn() -> Histogram>,
}

impl Default for RouterMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl RouterMetrics {
    /// Creates and registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("quiver");
        let http_requests = Family::<RequestLabels, Counter>::default();
        let http_in_flight = Family::<EndpointLabels, Gauge>::default();
        let write_lines = Counter::default();
        let write_fields = Counter::default();
        let write_body_bytes = Counter::default();
        let write_rejected_lines = Counter::default();
        let write_duration = latency_histogram();
        let write_stage_duration =
            Family::<StageLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "http_requests",
            "HTTP requests answered, by endpoint and status",
            http_requests.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being processed, by endpoint",
            http_in_flight.clone(),
        );
        registry.register(
            "write_lines",
            "Lines written to the write log",
            write_lines.clone(),
        );
        registry.register(
            "write_fields",
            "Field values written to the write log",
            write_fields.clone(),
        );
        registry.register(
            "write_body_bytes",
            "Body bytes (decompressed) of write requests that reached the parser",
            write_body_bytes.clone(),
        );
        registry.register(
            "write_rejected_lines",
            "Lines rejected by the line protocol parser or converter",
            write_rejected_lines.clone(),
        );
        registry.register(
            "write_duration_seconds",
            "Time to acknowledge a write request, from its concurrency permit to the 204",
            write_duration.clone(),
        );
        registry.register(
            "write_stage_duration_seconds",
            "Time spent per stage of acknowledged write requests (body, convert, schema, shard, log)",
            write_stage_duration.clone(),
        );
        Self {
            registry,
            http_requests,
            http_in_flight,
            write_lines,
            write_fields,
            write_body_bytes,
            write_rejected_lines,
            write_duration,
            write_stage_duration,
        }
    }

    /// Records the stage times of an acknowledged write and its total.
    pub fn record_write(&self, stages: &StageTimes) {
        for (stage, seconds) in WriteStage::ALL.iter().zip(stages.seconds) {
            self.write_stage_duration
                .get_or_create(&StageLabels {
                    stage: stage.name(),
                })
                .observe(seconds);
        }
        self.write_duration.observe(stages.seconds.iter().sum());
    }

    /// Counts a finished request.
    pub fn record_request(&self, endpoint: &str, status: u16) {
        self.http_requests
            .get_or_create(&RequestLabels {
                endpoint: endpoint.to_owned(),
                status,
            })
            .inc();
    }

    /// The in-flight gauge of `endpoint`.
    pub fn in_flight(&self, endpoint: &str) -> Gauge {
        self.http_in_flight
            .get_or_create(&EndpointLabels {
                endpoint: endpoint.to_owned(),
            })
            .clone()
    }

    /// Prometheus text exposition format (OpenMetrics flavour, ends with `# EOF`).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl MetricsText for RouterMetrics {
    fn encode_text(&self) -> Result<String, std::fmt::Error> {
        self.encode()
    }
}

/// The stage times of one write request, filled as it goes.
#[derive(Debug, Clone, Copy)]
pub struct StageTimes {
    started: std::time::Instant,
    seconds: [f64; 5],
}

impl StageTimes {
    /// Starts timing the first stage now.
    pub fn start() -> Self {
        Self {
            started: std::time::Instant::now(),
            seconds: [0.0; 5],
        }
    }

    /// Ends `stage` now (it took the time since the previous stage ended) and starts the next.
    pub fn end(&mut self, stage: WriteStage) {
        let now = std::time::Instant::now();
        self.seconds[stage as usize] += now.duration_since(self.started).as_secs_f64();
        self.started = now;
    }

    /// Milliseconds per stage so far, in [`WriteStage`] order.
    pub fn millis(&self) -> [f64; 5] {
        self.seconds.map(|s| s * 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_counters_with_labels() {
        let m = RouterMetrics::new();
        m.record_request("/api/v2/write", 204);
        m.record_request("/api/v2/write", 204);
        m.record_request("/write", 400);
        m.write_lines.inc_by(3);
        let g = m.in_flight("/api/v2/write");
        g.inc();
        let text = m.encode().unwrap();
        assert!(
            text.contains(
                "quiver_http_requests_total{endpoint=\"/api/v2/write\",status=\"204\"} 2\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("quiver_http_requests_total{endpoint=\"/write\",status=\"400\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("quiver_write_lines_total 3\n"), "{text}");
        assert!(
            text.contains("quiver_http_requests_in_flight{endpoint=\"/api/v2/write\"} 1\n"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn write_stages_are_observed_per_stage_and_in_total() {
        let m = RouterMetrics::new();
        let mut times = StageTimes::start();
        for stage in WriteStage::ALL {
            std::thread::sleep(std::time::Duration::from_millis(1));
            times.end(stage);
        }
        m.record_write(&times);
        let text = m.encode().unwrap();
        for stage in ["body", "convert", "schema", "shard", "log"] {
            let count =
                format!("quiver_write_stage_duration_seconds_count{{stage=\"{stage}\"}} 1\n");
            assert!(text.contains(&count), "{stage}: {text}");
            // Each stage slept ≥ 1 ms: nothing in the 0.5 ms bucket.
            let fast = text
                .lines()
                .find(|l| {
                    l.starts_with("quiver_write_stage_duration_seconds_bucket{")
                        && l.contains(&format!("stage=\"{stage}\""))
                        && l.contains("le=\"0.0005\"")
                })
                .unwrap_or_else(|| panic!("{stage}: no 0.5 ms bucket in {text}"));
            assert!(fast.ends_with(" 0"), "{fast}");
        }
        assert!(
            text.contains("quiver_write_duration_seconds_count 1\n"),
            "{text}"
        );
        let sum: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("quiver_write_duration_seconds_sum "))
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert!(sum >= 0.005, "five stages of ≥ 1 ms each: {sum}");
    }
}
