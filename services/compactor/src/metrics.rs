//! The compactor's Prometheus metrics (prefix `quiver_compactor_`).
//!
//! ```text
//! cycle ──► cycles, partitions seen / with work, last cycle duration
//! job   ──► jobs{kind, outcome}, input files/rows/bytes, output files/rows/bytes, duplicates
//! retention ──► files retired past retention
//! gc    ──► objects deleted {reason}, bytes deleted, records purged
//! GET /metrics ──► CompactorMetrics::encode()
//! ```

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels of a job count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct JobLabels {
    /// `l0_to_l1`, `l1_to_l2`, `l2_merge`.
    pub kind: String,
    /// `ok`, `conflict` (a concurrent change won; outputs deleted), `error`.
    pub outcome: String,
}

/// Label of a garbage-collection count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct GcLabels {
    /// `replaced` (retired by compaction or retention), `orphan` (no record ever named it),
    /// `deleted_database`.
    pub reason: String,
}

/// Metrics of one compactor.
#[derive(Debug)]
pub struct CompactorMetrics {
    registry: Registry,
    /// Compaction cycles completed.
    pub cycles: Counter,
    /// Partition keys this compactor owns, seen in the last cycle.
    pub partitions: Gauge,
    /// Partition keys that had a job in the last cycle.
    pub partitions_with_work: Gauge,
    /// Duration of the last cycle, ms.
    pub last_cycle_ms: Gauge,
    /// Jobs by kind and outcome.
    pub jobs: Family<JobLabels, Counter>,
    /// Input files of successful jobs.
    pub input_files: Counter,
    /// Input rows of successful jobs (before deduplication).
    pub input_rows: Counter,
    /// Input Parquet bytes of successful jobs.
    pub input_bytes: Counter,
    /// Output files of successful jobs.
    pub output_files: Counter,
    /// Output rows of successful jobs.
    pub output_rows: Counter,
    /// Output Parquet bytes of successful jobs (bytes written by compaction: with the
    /// ingesters' persisted bytes, the write amplification).
    pub output_bytes: Counter,
    /// Rows dropped as duplicates while merging.
    pub duplicate_rows: Counter,
    /// Files retired because all their rows are past their database's retention.
    pub retention_files: Counter,
    /// Objects deleted by the garbage collector, by reason.
    pub gc_objects: Family<GcLabels, Counter>,
    /// Bytes of the objects the garbage collector deleted.
    pub gc_bytes: Counter,
    /// Errors of garbage-collection passes (retried next pass).
    pub gc_errors: Counter,
}

impl Default for CompactorMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl CompactorMetrics {
    /// Creates and registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("quiver_compactor");
        let m = Self {
            cycles: Counter::default(),
            partitions: Gauge::default(),
            partitions_with_work: Gauge::default(),
            last_cycle_ms: Gauge::default(),
            jobs: Family::default(),
            input_files: Counter::default(),
            input_rows: Counter::default(),
            input_bytes: Counter::default(),
            output_files: Counter::default(),
            output_rows: Counter::default(),
            output_bytes: Counter::default(),
            duplicate_rows: Counter::default(),
            retention_files: Counter::default(),
            gc_objects: Family::default(),
            gc_bytes: Counter::default(),
            gc_errors: Counter::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register("cycles", "Compaction cycles completed", m.cycles.clone());
        r.register(
            "partitions",
            "Partition keys this compactor owns, seen in the last cycle",
            m.partitions.clone(),
        );
        r.register(
            "partitions_with_work",
            "Partition keys that had a compaction job in the last cycle",
            m.partitions_with_work.clone(),
        );
        r.register(
            "last_cycle_ms",
            "Duration of the last compaction cycle in milliseconds",
            m.last_cycle_ms.clone(),
        );
        r.register(
            "jobs",
            "Compaction jobs by kind and outcome",
            m.jobs.clone(),
        );
        r.register(
            "input_files",
            "Files merged by successful jobs",
            m.input_files.clone(),
        );
        r.register(
            "input_rows",
            "Rows read by successful jobs (before deduplication)",
            m.input_rows.clone(),
        );
        r.register(
            "input_bytes",
            "Parquet bytes read by successful jobs",
            m.input_bytes.clone(),
        );
        r.register(
            "output_files",
            "Files written by successful jobs",
            m.output_files.clone(),
        );
        r.register(
            "output_rows",
            "Rows written by successful jobs",
            m.output_rows.clone(),
        );
        r.register(
            "output_bytes",
            "Parquet bytes written by successful jobs",
            m.output_bytes.clone(),
        );
        r.register(
            "duplicate_rows",
            "Rows dropped as duplicates while merging",
            m.duplicate_rows.clone(),
        );
        r.register(
            "retention_files",
            "Files retired because every row is past the database's retention period",
            m.retention_files.clone(),
        );
        r.register(
            "gc_objects",
            "Objects deleted by the garbage collector, by reason",
            m.gc_objects.clone(),
        );
        r.register(
            "gc_bytes",
            "Bytes of the objects the garbage collector deleted",
            m.gc_bytes.clone(),
        );
        r.register(
            "gc_errors",
            "Failed garbage-collection passes",
            m.gc_errors.clone(),
        );
        Self { registry, ..m }
    }

    /// Counts a job.
    pub(crate) fn job(&self, kind: &str, outcome: &str) {
        self.jobs
            .get_or_create(&JobLabels {
                kind: kind.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// Counts deleted objects.
    pub(crate) fn gc(&self, reason: &str, objects: u64, bytes: u64) {
        self.gc_objects
            .get_or_create(&GcLabels {
                reason: reason.to_string(),
            })
            .inc_by(objects);
        self.gc_bytes.inc_by(bytes);
    }

    /// The metrics as OpenMetrics text.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl observability::MetricsText for CompactorMetrics {
    fn encode_text(&self) -> Result<String, std::fmt::Error> {
        self.encode()
    }
}
