//! The router's Prometheus metrics.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
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
        Self {
            registry,
            http_requests,
            http_in_flight,
            write_lines,
            write_fields,
            write_body_bytes,
            write_rejected_lines,
        }
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
}
