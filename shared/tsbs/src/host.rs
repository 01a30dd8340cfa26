//! One simulated host: its fixed tags (rendered once) and its ten random walks.

use std::fmt::Write as _;

use rand::Rng;
use rand::rngs::StdRng;

/// AWS regions with their availability zones (TSBS `devops`).
pub const REGIONS: [(&str, &[&str]); 9] = [
    (
        "us-east-1",
        &["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"],
    ),
    ("us-west-1", &["us-west-1a", "us-west-1b"]),
    ("us-west-2", &["us-west-2a", "us-west-2b", "us-west-2c"]),
    ("eu-west-1", &["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("eu-central-1", &["eu-central-1a", "eu-central-1b"]),
    ("ap-southeast-1", &["ap-southeast-1a", "ap-southeast-1b"]),
    ("ap-southeast-2", &["ap-southeast-2a", "ap-southeast-2b"]),
    ("ap-northeast-1", &["ap-northeast-1a", "ap-northeast-1c"]),
    ("sa-east-1", &["sa-east-1a", "sa-east-1b", "sa-east-1c"]),
];
/// Operating systems.
pub const OSES: [&str; 3] = ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"];
/// CPU architectures.
pub const ARCHES: [&str; 2] = ["x64", "x86"];
/// Teams.
pub const TEAMS: [&str; 4] = ["SF", "NYC", "LON", "CHI"];
/// Service environments.
pub const SERVICE_ENVIRONMENTS: [&str; 3] = ["production", "staging", "test"];

pub(crate) struct Host {
    /// `cpu,hostname=…,service_environment=…` (the series key as written).
    series: String,
    values: [i64; 10],
}

impl Host {
    pub(crate) fn generate(index: usize, rng: &mut StdRng) -> Self {
        let (region, zones) = REGIONS[rng.random_range(0..REGIONS.len())];
        let datacenter = zones[rng.random_range(0..zones.len())];
        let mut series = String::with_capacity(192);
        // `write!` into a String cannot fail
        let _ = write!(
            series,
            "{},hostname=host_{index},region={region},datacenter={datacenter},rack={},os={},arch={},team={},service={},service_version={},service_environment={}",
            crate::MEASUREMENT,
            rng.random_range(0..100u32),
            OSES[rng.random_range(0..OSES.len())],
            ARCHES[rng.random_range(0..ARCHES.len())],
            TEAMS[rng.random_range(0..TEAMS.len())],
            rng.random_range(0..20u32),
            rng.random_range(0..2u32),
            SERVICE_ENVIRONMENTS[rng.random_range(0..SERVICE_ENVIRONMENTS.len())],
        );
        let values = std::array::from_fn(|_| rng.random_range(0..=100));
        Self { series, values }
    }

    /// Moves every walk by a random step in `-max_step..=max_step`, clamped to `0..=100`.
    pub(crate) fn step(&mut self, rng: &mut StdRng, max_step: i64) {
        for v in &mut self.values {
            *v = (*v + rng.random_range(-max_step..=max_step)).clamp(0, 100);
        }
    }

    pub(crate) fn write_row(&self, timestamp: i64, out: &mut String) {
        out.push_str(&self.series);
        for (i, (key, value)) in crate::FIELD_KEYS.iter().zip(self.values).enumerate() {
            out.push(if i == 0 { ' ' } else { ',' });
            out.push_str(key);
            out.push('=');
            push_small(out, value);
            out.push('i');
        }
        let _ = writeln!(out, " {timestamp}");
    }
}

/// Appends a value in `0..=100` without going through the formatter.
fn push_small(out: &mut String, value: i64) {
    let v = value.clamp(0, 100) as u8;
    if v >= 100 {
        out.push_str("100");
    } else if v >= 10 {
        out.push((b'0' + v / 10) as char);
        out.push((b'0' + v % 10) as char);
    } else {
        out.push((b'0' + v) as char);
    }
}
