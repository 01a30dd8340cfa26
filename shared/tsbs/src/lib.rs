//! TSBS `cpu-only` data, generated deterministically as InfluxDB line protocol.
//!
//! ```text
//! seed ──► StdRng ──► hosts (10 fixed tags each, pre-rendered series key)
//!                 └─► per host: 10 clamped random walks (0–100)
//! write_rows: host 0..N, then the clock advances 10 s, … ──► "cpu,hostname=host_0,… usage_user=58i,… 1451606400000000000\n"
//! ```
//!
//! The shape follows TSBS `devops` `cpu-only` (one measurement, 10 tags, 10 integer fields,
//! nanosecond timestamps from 2016-01-01T00:00:00Z, one row per host every 10 s), so a line is
//! about 340 bytes. Values are not TSBS's byte for byte (different random generator).
//!
//! ```
//! let body = tsbs::lines(123, 2, 3);
//! assert_eq!(body.lines().count(), 3);
//! assert!(body.starts_with("cpu,hostname=host_0,region="));
//! ```

mod host;

use rand::SeedableRng;
use rand::rngs::StdRng;

pub use host::{ARCHES, OSES, REGIONS, SERVICE_ENVIRONMENTS, TEAMS};

/// The measurement every line is written to.
pub const MEASUREMENT: &str = "cpu";
/// Tag keys, in the order written.
pub const TAG_KEYS: [&str; 10] = [
    "hostname",
    "region",
    "datacenter",
    "rack",
    "os",
    "arch",
    "team",
    "service",
    "service_version",
    "service_environment",
];
/// Field keys, in the order written; every value is an integer (`58i`) in `0..=100`.
pub const FIELD_KEYS: [&str; 10] = [
    "usage_user",
    "usage_system",
    "usage_idle",
    "usage_nice",
    "usage_iowait",
    "usage_irq",
    "usage_softirq",
    "usage_steal",
    "usage_guest",
    "usage_guest_nice",
];
/// 2016-01-01T00:00:00Z in nanoseconds since the epoch (the first row's timestamp).
pub const START_NS: i64 = 1_451_606_400_000_000_000;
/// Time between two rows of the same host.
pub const INTERVAL_NS: i64 = 10_000_000_000;
/// Largest step of a field's random walk per interval.
const MAX_STEP: i64 = 5;

/// A `cpu-only` generator: `hosts` hosts, one row per host per 10 s round.
pub struct CpuOnly {
    rng: StdRng,
    hosts: Vec<host::Host>,
    next_host: usize,
    round: i64,
}

impl CpuOnly {
    /// A generator for `hosts` hosts (at least 1) whose output depends only on `seed`.
    pub fn new(seed: u64, hosts: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let hosts = (0..hosts.max(1))
            .map(|i| host::Host::generate(i, &mut rng))
            .collect();
        Self {
            rng,
            hosts,
            next_host: 0,
            round: 0,
        }
    }

    /// Number of hosts (series).
    pub fn hosts(&self) -> usize {
        self.hosts.len()
    }

    /// Appends `rows` `\n`-terminated lines: the remaining hosts of the current round, then
    /// whole rounds, each 10 s after the previous one.
    pub fn write_rows(&mut self, rows: usize, out: &mut String) {
        out.reserve(rows * 350);
        for _ in 0..rows {
            let timestamp = START_NS + self.round * INTERVAL_NS;
            let host = &mut self.hosts[self.next_host];
            host.step(&mut self.rng, MAX_STEP);
            host.write_row(timestamp, out);
            self.next_host += 1;
            if self.next_host == self.hosts.len() {
                self.next_host = 0;
                self.round += 1;
            }
        }
    }
}

/// `rows` lines of `cpu-only` data for `hosts` hosts from `seed`.
pub fn lines(seed: u64, hosts: usize, rows: usize) -> String {
    let mut out = String::new();
    CpuOnly::new(seed, hosts).write_rows(rows, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_output_and_chunking_does_not_matter() {
        assert_eq!(lines(7, 10, 500), lines(7, 10, 500));
        assert_ne!(lines(7, 10, 500), lines(8, 10, 500));
        let mut generator = CpuOnly::new(7, 10);
        let mut chunked = String::new();
        for chunk in [1, 9, 90, 400] {
            generator.write_rows(chunk, &mut chunked);
        }
        assert_eq!(chunked, lines(7, 10, 500));
    }

    #[test]
    fn rows_cycle_hosts_then_advance_the_clock() {
        let body = lines(1, 3, 7);
        let rows: Vec<&str> = body.lines().collect();
        assert_eq!(rows.len(), 7);
        let hosts: Vec<&str> = rows
            .iter()
            .map(|r| r.split(',').nth(1).unwrap().trim_start_matches("hostname="))
            .collect();
        assert_eq!(
            hosts,
            [
                "host_0", "host_1", "host_2", "host_0", "host_1", "host_2", "host_0"
            ]
        );
        let times: Vec<i64> = rows
            .iter()
            .map(|r| r.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        let s = START_NS;
        let i = INTERVAL_NS;
        assert_eq!(times, [s, s, s, s + i, s + i, s + i, s + 2 * i]);
    }

    #[test]
    fn line_shape() {
        let body = lines(123, 100, 1000);
        assert!(body.ends_with('\n'));
        for row in body.lines() {
            let parts: Vec<&str> = row.split(' ').collect();
            assert_eq!(parts.len(), 3, "{row}");
            let series: Vec<&str> = parts[0].split(',').collect();
            assert_eq!(series[0], MEASUREMENT);
            let keys: Vec<&str> = series[1..]
                .iter()
                .map(|t| t.split_once('=').unwrap().0)
                .collect();
            assert_eq!(keys, TAG_KEYS);
            let fields: Vec<(&str, &str)> = parts[1]
                .split(',')
                .map(|f| f.split_once('=').unwrap())
                .collect();
            assert_eq!(fields.iter().map(|f| f.0).collect::<Vec<_>>(), FIELD_KEYS);
            for (_, v) in fields {
                let n: i64 = v.strip_suffix('i').unwrap().parse().unwrap();
                assert!((0..=100).contains(&n), "{row}");
            }
            assert_eq!(parts[2].len(), 19);
        }
    }

    #[test]
    fn walks_move_by_at_most_the_step() {
        let body = lines(5, 1, 200);
        let values: Vec<Vec<i64>> = body
            .lines()
            .map(|r| {
                r.split(' ')
                    .nth(1)
                    .unwrap()
                    .split(',')
                    .map(|f| {
                        f.split_once('=')
                            .unwrap()
                            .1
                            .trim_end_matches('i')
                            .parse()
                            .unwrap()
                    })
                    .collect()
            })
            .collect();
        let mut moved = false;
        for pair in values.windows(2) {
            for (a, b) in pair[0].iter().zip(&pair[1]) {
                assert!((a - b).abs() <= MAX_STEP);
                moved |= a != b;
            }
        }
        assert!(moved, "the walks move");
    }

    #[test]
    fn lines_are_about_340_bytes() {
        let body = lines(123, 1000, 10_000);
        let average = body.len() as f64 / 10_000.0;
        assert!(
            (320.0..=360.0).contains(&average),
            "average line {average} bytes"
        );
    }
}
