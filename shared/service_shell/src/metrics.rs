//! One `/metrics` per process: the process's own figures, then every service's registry.
//!
//! ```text
//! GET /metrics ──► ProcessMetrics (read from /proc/self at scrape time)
//!                   process_resident_memory_bytes, process_virtual_memory_bytes,
//!                   process_cpu_seconds_total, process_open_fds, process_max_fds,
//!                   process_start_time_seconds, process_threads
//!              ──► each service's MetricsText (router, ingester, querier), in order
//!              ──► joined: one `# EOF` at the end (OpenMetrics text)
//! ```
//!
//! The names are the Prometheus client libraries' standard process metrics, so the usual
//! dashboards and alerts work unchanged.

use std::sync::Arc;

use observability::MetricsText;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The last line of the OpenMetrics text format.
const EOF: &str = "# EOF\n";

/// The process's resource use, read when scraped (Linux; elsewhere nothing is reported).
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessMetrics;

impl MetricsText for ProcessMetrics {
    fn encode_text(&self) -> Result<String, std::fmt::Error> {
        let mut registry = Registry::default();
        if let Some(stats) = ProcessStats::read() {
            let gauge = |registry: &mut Registry, name: &str, help: &str, value: f64| {
                let g = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
                g.set(value);
                registry.register(name, help, g);
            };
            gauge(
                &mut registry,
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                stats.resident_bytes as f64,
            );
            gauge(
                &mut registry,
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                stats.virtual_bytes as f64,
            );
            gauge(
                &mut registry,
                "process_open_fds",
                "Number of open file descriptors",
                stats.open_fds as f64,
            );
            gauge(
                &mut registry,
                "process_max_fds",
                "Maximum number of open file descriptors",
                stats.max_fds as f64,
            );
            gauge(
                &mut registry,
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch in seconds",
                stats.start_time_seconds,
            );
            gauge(
                &mut registry,
                "process_threads",
                "Number of OS threads in the process",
                stats.threads as f64,
            );
            let cpu = Counter::<f64, std::sync::atomic::AtomicU64>::default();
            cpu.inc_by(stats.cpu_seconds);
            registry.register(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds",
                cpu,
            );
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry)?;
        Ok(out)
    }
}

/// What `/proc/self` says of this process.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ProcessStats {
    resident_bytes: u64,
    virtual_bytes: u64,
    cpu_seconds: f64,
    start_time_seconds: f64,
    threads: u64,
    open_fds: u64,
    max_fds: u64,
}

impl ProcessStats {
    #[cfg(target_os = "linux")]
    fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The fields after the command name (which may hold spaces and parentheses).
        let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
        let field = |n: usize| -> Option<u64> { fields.get(n - 3)?.parse().ok() };
        // SAFETY: sysconf only reads configuration values.
        let (ticks, page) = unsafe {
            (
                libc::sysconf(libc::_SC_CLK_TCK),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        let ticks = u64::try_from(ticks).ok().filter(|&t| t > 0)?;
        let page = u64::try_from(page).ok().filter(|&p| p > 0)?;
        let boot_time = std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("btime "))?
            .trim()
            .parse::<u64>()
            .ok()?;
        let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct it is given.
        let max_fds = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            limit.rlim_cur
        } else {
            0
        };
        Some(Self {
            // Fields as numbered in proc(5): utime 14, stime 15, num_threads 20,
            // starttime 22, vsize 23, rss 24 (pages).
            cpu_seconds: (field(14)? + field(15)?) as f64 / ticks as f64,
            threads: field(20)?,
            start_time_seconds: boot_time as f64 + field(22)? as f64 / ticks as f64,
            virtual_bytes: field(23)?,
            resident_bytes: field(24)?.saturating_mul(page),
            open_fds,
            max_fds,
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn read() -> Option<Self> {
        None
    }
}

/// The text of one `/metrics`: each part in order, one `# EOF` at the end.
pub fn encode_all(parts: &[Arc<dyn MetricsText>]) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    for part in parts {
        if let Some(body) = out.strip_suffix(EOF) {
            out.truncate(body.len());
        }
        out.push_str(&part.encode_text()?);
    }
    if !out.ends_with(EOF) {
        out.push_str(EOF);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed(&'static str);

    impl MetricsText for Fixed {
        fn encode_text(&self) -> Result<String, std::fmt::Error> {
            Ok(self.0.to_owned())
        }
    }

    #[test]
    fn process_metrics_are_read_from_proc() {
        let text = ProcessMetrics.encode_text().unwrap();
        let value = |name: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{name} missing from {text}"))
                .parse()
                .unwrap()
        };
        assert!(
            value("process_resident_memory_bytes") > 1_000_000.0,
            "{text}"
        );
        assert!(value("process_virtual_memory_bytes") >= value("process_resident_memory_bytes"));
        assert!(value("process_open_fds") >= 3.0, "{text}");
        assert!(
            value("process_max_fds") >= value("process_open_fds"),
            "{text}"
        );
        assert!(value("process_threads") >= 1.0, "{text}");
        assert!(value("process_cpu_seconds_total") >= 0.0, "{text}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let start = value("process_start_time_seconds");
        assert!(
            start <= now + 1.0 && start > now - 86_400.0,
            "{start} vs {now}"
        );
    }

    #[test]
    fn parts_join_with_one_eof() {
        let parts: Vec<Arc<dyn MetricsText>> = vec![
            Arc::new(Fixed("a 1\n# EOF\n")),
            Arc::new(Fixed("b 2\n# EOF\n")),
            Arc::new(Fixed("c 3\n")),
        ];
        assert_eq!(encode_all(&parts).unwrap(), "a 1\nb 2\nc 3\n# EOF\n");
    }
}
