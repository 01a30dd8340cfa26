//! What one `/metrics` endpoint joins: every service's registry, as OpenMetrics text.

/// Metrics that encode themselves in the OpenMetrics text format (ending in `# EOF`): what one
/// `/metrics` endpoint joins when a process runs several services (`quiver serve`).
pub trait MetricsText: Send + Sync + std::fmt::Debug {
    /// The metrics as OpenMetrics text, ending in `# EOF\n`.
    fn encode_text(&self) -> Result<String, std::fmt::Error>;
}
