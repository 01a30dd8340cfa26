//! What to compact in one partition key: a pure function of its live file records, the clock
//! and the settings (so every rule is unit-tested without storage).
//!
//! ```text
//! live files of (database, table, partition key), in write order
//!   cold = no file newer than `cold_after`
//!   1. L0 → L1   when L0 files ≥ min_files, or cold with L0 files and more than one file:
//!                the oldest L0 files in write order (a prefix of every log partition's
//!                offsets, so the files left behind are all newer) + the L1 files overlapping
//!                their time range
//!   2. L1 → L2   when L1 files ≥ min_files, or cold with L1 files and more than one file:
//!                the oldest L1 files by time + the L2 files overlapping them
//!   3. L2 merge  a run of ≥ 2 small (< target / 2) L2 files adjacent in time, when the run
//!                reaches min_files or the partition is cold
//!   each job ≤ max_input_files inputs and ≤ max_input_bytes, so its swap fits one catalog
//!   transaction and its output a bounded number of files
//! ```
//!
//! Invariants the rules keep (docs/architecture.md, "Compaction"): files of one level ≥ 1 never
//! overlap in time; for one primary key, level 2 holds older rows than level 1, level 1 older
//! than level 0, and level-0 files are ordered by log offsets — so reading files in
//! [`ParquetFileRecord::write_order`] and letting the last write win stays correct after every
//! swap.

use std::time::Duration;

use catalog::ParquetFileRecord;

/// Level of files written by ingesters.
pub const LEVEL_0: u8 = 0;
/// Level of files compacted from level 0 (time ranges disjoint within the level).
pub const LEVEL_1: u8 = 1;
/// Level of files compacted from level 1 (time ranges disjoint within the level).
pub const LEVEL_2: u8 = 2;

/// The planner's knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSettings {
    /// Files of one level (or small level-2 files in a row) that make a hot partition worth
    /// compacting.
    pub min_files: usize,
    /// Size of the files compaction writes (Parquet bytes, estimated from the inputs).
    pub target_file_bytes: u64,
    /// Most input files of one job (the swap retires each in the same catalog transaction).
    pub max_input_files: usize,
    /// Most input bytes of one job.
    pub max_input_bytes: u64,
    /// A partition key no file was added to for this long is cold: it is compacted fully.
    pub cold_after: Duration,
}

impl Default for PlanSettings {
    fn default() -> Self {
        Self {
            min_files: 10,
            target_file_bytes: 100 * 1024 * 1024,
            max_input_files: 50,
            max_input_bytes: 1024 * 1024 * 1024,
            cold_after: Duration::from_secs(300),
        }
    }
}

/// Which rule chose a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    /// Level-0 files (and the level-1 files they overlap) into level 1.
    L0ToL1,
    /// Level-1 files (and the level-2 files they overlap) into level 2.
    L1ToL2,
    /// Small adjacent level-2 files into larger level-2 files.
    L2Merge,
}

impl JobKind {
    /// Label value in metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::L0ToL1 => "l0_to_l1",
            Self::L1ToL2 => "l1_to_l2",
            Self::L2Merge => "l2_merge",
        }
    }

    /// Level of the files the job writes.
    pub fn output_level(self) -> u8 {
        match self {
            Self::L0ToL1 => LEVEL_1,
            Self::L1ToL2 | Self::L2Merge => LEVEL_2,
        }
    }
}

/// One compaction: inputs (in write order: the merge lets later inputs win) and the number of
/// output files to aim for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The rule.
    pub kind: JobKind,
    /// Files to merge, in write order.
    pub inputs: Vec<ParquetFileRecord>,
    /// Output files to split the merged rows into (by time), at least 1.
    pub outputs: usize,
}

impl Job {
    /// Total bytes of the inputs.
    pub fn input_bytes(&self) -> u64 {
        self.inputs.iter().map(|f| f.size_bytes).sum()
    }

    /// Total rows of the inputs (before deduplication).
    pub fn input_rows(&self) -> u64 {
        self.inputs.iter().map(|f| f.row_count).sum()
    }
}

/// The next job for one partition key, if any. `files` are its live records (any order);
/// `now_ns` is the clock in ns since the epoch.
pub fn plan(files: &[ParquetFileRecord], now_ns: i64, settings: &PlanSettings) -> Option<Job> {
    if files.len() < 2 && files.iter().all(|f| f.compaction_level != LEVEL_0) {
        return None;
    }
    let cold_ns = i64::try_from(settings.cold_after.as_nanos()).unwrap_or(i64::MAX);
    let newest = files
        .iter()
        .map(|f| f.created_at_ns)
        .max()
        .unwrap_or(i64::MIN);
    let cold = now_ns.saturating_sub(newest) >= cold_ns;
    let many = files.len() > 1;
    let level = |l: u8| -> Vec<&ParquetFileRecord> {
        let mut v: Vec<_> = files.iter().filter(|f| f.compaction_level == l).collect();
        if l == LEVEL_0 {
            v.sort_by_key(|f| f.write_order());
        } else {
            v.sort_by_key(|f| (f.min_time_ns, f.max_time_ns));
        }
        v
    };
    let (l0, l1, l2) = (level(LEVEL_0), level(LEVEL_1), level(LEVEL_2));

    if l0.len() >= settings.min_files.max(1) || (cold && !l0.is_empty() && many) {
        return promote(JobKind::L0ToL1, &l0, &l1, settings);
    }
    if l1.len() >= settings.min_files.max(1) || (cold && !l1.is_empty() && many) {
        return promote(JobKind::L1ToL2, &l1, &l2, settings);
    }
    merge_small(&l2, cold, settings)
}

/// The oldest `lower` files that fit the limits, with the `upper` files overlapping their time
/// range (shrinking the choice until both fit).
fn promote(
    kind: JobKind,
    lower: &[&ParquetFileRecord],
    upper: &[&ParquetFileRecord],
    settings: &PlanSettings,
) -> Option<Job> {
    let max_files = settings.max_input_files.max(2);
    let mut take = 0;
    let mut bytes = 0u64;
    for f in lower.iter().take(max_files) {
        if take > 0 && bytes.saturating_add(f.size_bytes) > settings.max_input_bytes {
            break;
        }
        bytes = bytes.saturating_add(f.size_bytes);
        take += 1;
    }
    while take > 0 {
        let chosen = &lower[..take];
        let lo = chosen
            .iter()
            .map(|f| f.min_time_ns)
            .min()
            .unwrap_or(i64::MAX);
        let hi = chosen
            .iter()
            .map(|f| f.max_time_ns)
            .max()
            .unwrap_or(i64::MIN);
        let overlapping: Vec<&ParquetFileRecord> = upper
            .iter()
            .copied()
            .filter(|f| f.min_time_ns <= hi && f.max_time_ns >= lo)
            .collect();
        let count = take + overlapping.len();
        let total: u64 = chosen
            .iter()
            .chain(overlapping.iter())
            .map(|f| f.size_bytes)
            .sum();
        if count <= max_files && (total <= settings.max_input_bytes || take == 1) {
            // Older level first: the merge lets later inputs win.
            let mut inputs: Vec<ParquetFileRecord> =
                overlapping.iter().map(|f| (*f).clone()).collect();
            inputs.sort_by_key(|f| (f.min_time_ns, f.max_time_ns));
            inputs.extend(chosen.iter().map(|f| (*f).clone()));
            return Some(Job {
                kind,
                outputs: outputs(total, settings),
                inputs,
            });
        }
        take -= 1;
    }
    None
}

/// The first run of adjacent small level-2 files worth merging.
fn merge_small(l2: &[&ParquetFileRecord], cold: bool, settings: &PlanSettings) -> Option<Job> {
    let small = |f: &ParquetFileRecord| f.size_bytes < settings.target_file_bytes / 2;
    let max_files = settings.max_input_files.max(2);
    let mut i = 0;
    while i < l2.len() {
        if !small(l2[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < l2.len() && small(l2[j]) {
            j += 1;
        }
        let run = &l2[i..j];
        if run.len() >= 2 && (cold || run.len() >= settings.min_files.max(2)) {
            // Aim for one output of about the target size.
            let mut take = 0;
            let mut bytes = 0u64;
            for f in run.iter().take(max_files) {
                if take >= 2 && bytes.saturating_add(f.size_bytes) > settings.target_file_bytes {
                    break;
                }
                bytes = bytes.saturating_add(f.size_bytes);
                take += 1;
            }
            return Some(Job {
                kind: JobKind::L2Merge,
                inputs: run[..take].iter().map(|f| (*f).clone()).collect(),
                outputs: 1,
            });
        }
        i = j;
    }
    None
}

/// Output files for `bytes` of input at the target size (at least 1).
fn outputs(bytes: u64, settings: &PlanSettings) -> usize {
    let target = settings.target_file_bytes.max(1);
    usize::try_from(bytes.div_ceil(target))
        .unwrap_or(usize::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000_000;

    fn file(
        id: &str,
        level: u8,
        times: (i64, i64),
        offsets: (u64, u64),
        size: u64,
        created: i64,
    ) -> ParquetFileRecord {
        ParquetFileRecord {
            object_id: id.into(),
            database_id: catalog::DatabaseId(1),
            table_id: catalog::TableId(1),
            partition_key: "2026-12-07".into(),
            path: format!("1/1/2026-12-07/{id}.parquet"),
            size_bytes: size,
            row_count: size,
            min_time_ns: times.0,
            max_time_ns: times.1,
            log_partition: 0,
            min_offset: offsets.0,
            max_offset: offsets.1,
            created_at_ns: created,
            compaction_level: level,
        }
    }

    fn settings() -> PlanSettings {
        PlanSettings {
            min_files: 3,
            target_file_bytes: 1000,
            max_input_files: 4,
            max_input_bytes: 10_000,
            cold_after: Duration::from_secs(60),
        }
    }

    fn ids(job: &Job) -> Vec<&str> {
        job.inputs.iter().map(|f| f.object_id.as_str()).collect()
    }

    #[test]
    fn hot_partition_waits_for_min_files() {
        let now = 10 * MIN;
        let files = vec![
            file("a", 0, (0, 10), (1, 1), 10, now),
            file("b", 0, (5, 20), (2, 2), 10, now),
        ];
        assert_eq!(plan(&files, now, &settings()), None);
    }

    #[test]
    fn l0_files_go_to_l1_oldest_first_with_overlapping_l1() {
        let now = 10 * MIN;
        let files = vec![
            file("d", 0, (30, 40), (4, 4), 10, now),
            file("c", 0, (20, 30), (3, 3), 10, now),
            file("b", 0, (10, 20), (2, 2), 10, now),
            file("l1-old", 1, (0, 5), (0, 0), 10, now),
            file("l1-hit", 1, (18, 19), (0, 0), 10, now),
            file("a", 0, (0, 1), (1, 1), 10, now),
        ];
        let job = plan(&files, now, &settings()).unwrap();
        assert_eq!(job.kind, JobKind::L0ToL1);
        // At most 4 inputs: L0 a, b, c (offset order) need l1-old and l1-hit → 5; shrink to
        // a, b (span 0..20) which overlap both L1 files → 4.
        assert_eq!(ids(&job), vec!["l1-old", "l1-hit", "a", "b"]);
        assert_eq!(job.outputs, 1);
    }

    #[test]
    fn l0_prefix_follows_write_order_per_log_partition() {
        let now = 10 * MIN;
        let mut files = Vec::new();
        for (i, (p, off)) in [(1u32, 7u64), (0, 9), (1, 3), (0, 2)].iter().enumerate() {
            let mut f = file(&format!("f{i}"), 0, (0, 10), (*off, *off), 10, now);
            f.log_partition = *p;
            files.push(f);
        }
        let job = plan(
            &files,
            now,
            &PlanSettings {
                max_input_files: 3,
                ..settings()
            },
        )
        .unwrap();
        // Write order: partition 0 (offsets 2, 9) then partition 1 (3, 7); a prefix of it.
        assert_eq!(ids(&job), vec!["f3", "f1", "f2"]);
    }

    #[test]
    fn cold_partition_is_compacted_fully_and_then_left_alone() {
        let now = 10 * MIN;
        let old = now - 2 * MIN;
        let s = settings();
        let files = vec![
            file("a", 0, (0, 10), (1, 1), 10, old),
            file("b", 0, (5, 20), (2, 2), 10, old),
        ];
        assert_eq!(plan(&files, now, &s).unwrap().kind, JobKind::L0ToL1);
        let files = vec![file("l1", 1, (0, 20), (0, 0), 20, old)];
        assert_eq!(plan(&files, now, &s), None);
        let files = vec![
            file("l1", 1, (0, 20), (0, 0), 20, old),
            file("l2", 2, (30, 40), (0, 0), 20, old),
        ];
        let job = plan(&files, now, &s).unwrap();
        assert_eq!((job.kind, ids(&job)), (JobKind::L1ToL2, vec!["l1"]));
        let files = vec![
            file("x", 2, (0, 20), (0, 0), 20, old),
            file("y", 2, (30, 40), (0, 0), 20, old),
        ];
        let job = plan(&files, now, &s).unwrap();
        assert_eq!((job.kind, ids(&job)), (JobKind::L2Merge, vec!["x", "y"]));
        let files = vec![file("x", 2, (0, 40), (0, 0), 40, old)];
        assert_eq!(plan(&files, now, &s), None);
        // A lone level-0 file stays as it is.
        assert_eq!(
            plan(&[file("a", 0, (0, 1), (1, 1), 10, old)], now, &s),
            None
        );
    }

    #[test]
    fn large_level_2_files_are_not_rewritten() {
        let now = 10 * MIN;
        let old = now - 2 * MIN;
        let files = vec![
            file("big1", 2, (0, 10), (0, 0), 900, old),
            file("small1", 2, (11, 20), (0, 0), 10, old),
            file("big2", 2, (21, 30), (0, 0), 900, old),
            file("small2", 2, (31, 40), (0, 0), 10, old),
            file("small3", 2, (41, 50), (0, 0), 10, old),
        ];
        let job = plan(&files, now, &settings()).unwrap();
        // Only adjacent small files merge (small1 is alone between two large files).
        assert_eq!(ids(&job), vec!["small2", "small3"]);
        let files = vec![
            file("big1", 2, (0, 10), (0, 0), 900, old),
            file("big2", 2, (11, 20), (0, 0), 900, old),
        ];
        assert_eq!(plan(&files, now, &settings()), None);
    }

    #[test]
    fn large_inputs_get_several_outputs() {
        let now = 10 * MIN;
        let files: Vec<_> = (0..3)
            .map(|i| {
                file(
                    &format!("f{i}"),
                    0,
                    (i, i + 1),
                    (i as u64, i as u64),
                    1500,
                    now,
                )
            })
            .collect();
        let job = plan(&files, now, &settings()).unwrap();
        assert_eq!(job.outputs, 5); // 4 500 bytes at a 1 000-byte target
    }
}
