//! The ingester's Prometheus metrics (prefix `quiver_ingester_`).
//!
//! ```text
//! consume loop ──► records applied/skipped/rejected, buffered rows/bytes, paused, owned partitions,
//!                  applied and persisted offset per log partition (lag = applied − persisted)
//! persist jobs ──► persists, persisted files/rows/bytes, failures, conflicts
//! GET /metrics ──► IngesterMetrics::encode()
//! ```

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Label of per-log-partition metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct PartitionLabel {
    /// Log partition.
    pub partition: u32,
}

/// Metrics of one ingester.
#[derive(Debug)]
pub struct IngesterMetrics {
    registry: Registry,
    /// Records applied to the buffer.
    pub records_applied: Counter,
    /// Records skipped because they were already persisted (offset ≤ persisted offset).
    pub records_skipped: Counter,
    /// Records that could not be buffered (no usable `time` column); logged.
    pub records_rejected: Counter,
    /// Reads of a record written by a newer Quiver (retried, never skipped: upgrade ingesters).
    pub records_newer_format: Counter,
    /// Rows buffered, not yet persisted (including rows being persisted).
    pub buffered_rows: Gauge,
    /// Arrow bytes buffered, not yet persisted (including rows being persisted).
    pub buffered_bytes: Gauge,
    /// 1 while consuming is paused over the memory budget.
    pub paused: Gauge,
    /// Log partitions owned.
    pub partitions_owned: Gauge,
    /// Last applied offset per log partition.
    pub applied_offset: Family<PartitionLabel, Gauge>,
    /// Persisted offset per log partition (as committed to the catalog).
    pub persisted_offset: Family<PartitionLabel, Gauge>,
    /// Persists committed.
    pub persists: Counter,
    /// Parquet files committed.
    pub persisted_files: Counter,
    /// Rows committed (after dedup).
    pub persisted_rows: Counter,
    /// Parquet bytes committed.
    pub persisted_bytes: Counter,
    /// Failed persist steps (retried).
    pub persist_errors: Counter,
    /// Commits lost to another owner (offset compare-and-swap failed).
    pub persist_conflicts: Counter,
}

impl Default for IngesterMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl IngesterMetrics {
    /// Creates and registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("quiver_ingester");
        let m = Self {
            records_applied: Counter::default(),
            records_skipped: Counter::default(),
            records_rejected: Counter::default(),
            records_newer_format: Counter::default(),
            buffered_rows: Gauge::default(),
            buffered_bytes: Gauge::default(),
            paused: Gauge::default(),
            partitions_owned: Gauge::default(),
            applied_offset: Family::default(),
            persisted_offset: Family::default(),
            persists: Counter::default(),
            persisted_files: Counter::default(),
            persisted_rows: Counter::default(),
            persisted_bytes: Counter::default(),
            persist_errors: Counter::default(),
            persist_conflicts: Counter::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "records_applied",
            "Log records applied to the buffer",
            m.records_applied.clone(),
        );
        r.register(
            "records_skipped",
            "Log records skipped because they were already persisted",
            m.records_skipped.clone(),
        );
        r.register(
            "records_rejected",
            "Log records that could not be buffered (no usable time column)",
            m.records_rejected.clone(),
        );
        r.register(
            "records_newer_format",
            "Reads of a log record written by a newer Quiver (retried, not skipped: upgrade ingesters)",
            m.records_newer_format.clone(),
        );
        r.register(
            "buffered_rows",
            "Rows buffered and not yet persisted",
            m.buffered_rows.clone(),
        );
        r.register(
            "buffered_bytes",
            "Arrow bytes buffered and not yet persisted",
            m.buffered_bytes.clone(),
        );
        r.register(
            "paused",
            "1 while consuming is paused over the memory budget",
            m.paused.clone(),
        );
        r.register(
            "partitions_owned",
            "Log partitions owned",
            m.partitions_owned.clone(),
        );
        r.register(
            "applied_offset",
            "Last log offset applied to the buffer, per log partition",
            m.applied_offset.clone(),
        );
        r.register(
            "persisted_offset",
            "Log offset persisted to Parquet and committed, per log partition",
            m.persisted_offset.clone(),
        );
        r.register(
            "persists",
            "Persists committed to the catalog",
            m.persists.clone(),
        );
        r.register(
            "persisted_files",
            "Parquet files committed",
            m.persisted_files.clone(),
        );
        r.register(
            "persisted_rows",
            "Rows committed in Parquet files",
            m.persisted_rows.clone(),
        );
        r.register(
            "persisted_bytes",
            "Parquet bytes committed",
            m.persisted_bytes.clone(),
        );
        r.register(
            "persist_errors",
            "Failed persist steps (each is retried)",
            m.persist_errors.clone(),
        );
        r.register(
            "persist_conflicts",
            "Commits refused because another owner moved the persisted offset",
            m.persist_conflicts.clone(),
        );
        Self { registry, ..m }
    }

    /// Sets the applied offset gauge of `partition`.
    pub fn set_applied(&self, partition: u32, offset: u64) {
        let v = i64::try_from(offset).unwrap_or(i64::MAX);
        self.applied_offset
            .get_or_create(&PartitionLabel { partition })
            .set(v);
    }

    /// Sets the persisted offset gauge of `partition`.
    pub fn set_persisted(&self, partition: u32, offset: u64) {
        let v = i64::try_from(offset).unwrap_or(i64::MAX);
        self.persisted_offset
            .get_or_create(&PartitionLabel { partition })
            .set(v);
    }

    /// Forgets the per-partition gauges of a partition no longer owned.
    pub fn forget_partition(&self, partition: u32) {
        let label = PartitionLabel { partition };
        self.applied_offset.remove(&label);
        self.persisted_offset.remove(&label);
    }

    /// Prometheus text exposition format (OpenMetrics flavour, ends with `# EOF`).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl observability::MetricsText for IngesterMetrics {
    fn encode_text(&self) -> Result<String, std::fmt::Error> {
        self.encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_gauges_and_counters() {
        let m = IngesterMetrics::new();
        m.records_applied.inc_by(3);
        m.buffered_rows.set(7);
        m.set_applied(2, 41);
        m.set_persisted(2, 40);
        let text = m.encode().unwrap();
        for line in [
            "quiver_ingester_records_applied_total 3\n",
            "quiver_ingester_buffered_rows 7\n",
            "quiver_ingester_applied_offset{partition=\"2\"} 41\n",
            "quiver_ingester_persisted_offset{partition=\"2\"} 40\n",
        ] {
            assert!(text.contains(line), "{line} missing from {text}");
        }
        m.forget_partition(2);
        assert!(!m.encode().unwrap().contains("partition=\"2\""));
    }
}
