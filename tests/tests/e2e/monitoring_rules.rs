//! The Prometheus alerting rules shipped in `monitoring/` (docs/operations.md "Alerts"):
//! `promtool` accepts them and their unit tests (`monitoring/alerts_test.yml`) pass, and every
//! Quiver metric they name is one the services export.
//!
//! `promtool` is `$QUIVER_PROMTOOL`, else `promtool` on the PATH (`.ci/run` extracts it from
//! Debian's `prometheus` package).

use std::path::{Path, PathBuf};
use std::process::Command;

fn monitoring_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("monitoring")
}

fn promtool() -> String {
    std::env::var("QUIVER_PROMTOOL").unwrap_or_else(|_| "promtool".to_owned())
}

fn run_promtool(args: &[&str]) -> String {
    let out = Command::new(promtool())
        .args(args)
        .current_dir(monitoring_dir())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "running {} (set QUIVER_PROMTOOL or install Debian's prometheus package): {e}",
                promtool()
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

#[test]
fn promtool_accepts_the_rules_and_their_unit_tests_pass() {
    let checked = run_promtool(&["check", "rules", "alerts.yml"]);
    assert!(checked.contains("SUCCESS: 8 rules found"), "{checked}");
    let tested = run_promtool(&["test", "rules", "alerts_test.yml"]);
    assert!(tested.contains("SUCCESS"), "{tested}");
}

/// Every `quiver_…` name in `text`.
fn metric_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("quiver_") {
        let start = i + at;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_lowercase() || bytes[end] == b'_') {
            end += 1;
        }
        // A name, not the end of a longer word.
        if start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            names.push(text[start..end].to_owned());
        }
        i = end;
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_metric_the_rules_name_is_exported() {
    let rules = std::fs::read_to_string(monitoring_dir().join("alerts.yml")).expect("alerts.yml");
    let ingester = ingester::IngesterMetrics::new()
        .encode()
        .expect("ingester metrics");
    let router = router::RouterMetrics::new()
        .encode()
        .expect("router metrics");
    let querier = querier::QuerierMetrics::new()
        .encode()
        .expect("querier metrics");
    let compactor = compactor::CompactorMetrics::new()
        .encode()
        .expect("compactor metrics");
    let exported = format!("{ingester}{router}{querier}{compactor}");
    let names = metric_names(&rules);
    assert!(names.len() >= 8, "{names:?}");
    for name in names {
        // Counters are declared without `_total` and sampled with it.
        let family = name.strip_suffix("_total").unwrap_or(&name);
        assert!(
            exported.contains(&format!("# TYPE {family} ")),
            "alerts.yml names {name}, which no service exports"
        );
    }
}
