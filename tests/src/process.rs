//! A `quiver` child process on a free loopback port, stopped by PID when dropped. Its stderr
//! (the log) is copied to the test's stderr line by line, each line prefixed with the process's
//! name (`ingester ing-0 |`, `router |`, …), so the log of a cluster test tells who said what.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// The `quiver` binary of this workspace, never stale.
///
/// `cargo nextest run --workspace` (`./scripts/test`) already builds `target/<profile>/quiver`
/// (the `quiver` package has integration tests), with the workspace's feature set. A separate
/// `cargo build -p quiver` would resolve features differently and rebuild DataFusion, so the
/// built binary is used as long as no source file of the workspace is newer than it; otherwise
/// (e.g. `cargo test -p end_to_end` after an edit) it is rebuilt once per test process.
pub fn quiver_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/<test binary>  →  target/
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe
            .parent()
            .and_then(|d| d.parent())
            .expect("target/<profile>");
        let target_dir = profile_dir.parent().expect("target dir");
        let bin = profile_dir.join("quiver");
        let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
        if built.is_some_and(|t| newest_source(&crate::workspace_root()).is_none_or(|s| s <= t)) {
            return bin;
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        // Benches (target/release/…) measure the release binary.
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut args = vec!["build", "-p", "quiver", "--bin", "quiver"];
        if release {
            args.push("--release");
        }
        let status = Command::new(cargo)
            .args(&args)
            .current_dir(crate::workspace_root())
            .env("CARGO_TARGET_DIR", target_dir)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the quiver binary failed");
        bin
    })
    .clone()
}

/// The newest modification time of the workspace's Rust sources, manifests and protos
/// (`services/`, `shared/`, `proto/`, the root manifest and lock file).
fn newest_source(root: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut stack: Vec<PathBuf> = ["services", "shared", "proto"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    for file in ["Cargo.toml", "Cargo.lock"] {
        newest = newest.max(
            std::fs::metadata(root.join(file))
                .and_then(|m| m.modified())
                .ok(),
        );
    }
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name != "target" && name != "fuzz" {
                    stack.push(path);
                }
            } else if path
                .extension()
                .is_some_and(|e| e == "rs" || e == "toml" || e == "proto")
            {
                newest = newest.max(entry.metadata().and_then(|m| m.modified()).ok());
            }
        }
    }
    newest
}

/// A running `quiver` process.
pub struct QuiverProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// Every stdout line seen up to (and including) the "listening" line.
    pub startup_output: Vec<String>,
    rest: Mutex<mpsc::Receiver<String>>,
}

impl QuiverProcess {
    /// Spawns `quiver <args…>` (pass `--bind 127.0.0.1:0`) and waits up to 60 s for
    /// `quiver listening on http://ADDR` on stdout.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// [`QuiverProcess::start`] with extra environment variables (e.g. S3 credentials).
    pub fn start_with_env(args: &[&str], env: &[(&str, String)]) -> Self {
        let mut child = Command::new(quiver_binary())
            .args(args)
            // `info` unless the caller's environment asks for more (QUIVER_LOG=…,router=debug).
            .env(
                "QUIVER_LOG",
                std::env::var("QUIVER_LOG").unwrap_or_else(|_| "info".to_owned()),
            )
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn quiver");
        let stderr = child.stderr.take().expect("piped stderr");
        let label = label(args);
        std::thread::spawn(move || {
            // Bytes, not lines of UTF-8: the pipe must be drained whatever the child writes.
            for line in BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
                // Straight to the file descriptor, as an inherited stderr would be.
                let line = String::from_utf8_lossy(&line);
                let _ = writeln!(std::io::stderr().lock(), "{label} | {line}");
            }
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut startup_output = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    let url = line.strip_prefix("quiver listening on ").map(str::to_owned);
                    startup_output.push(line);
                    if let Some(url) = url {
                        return Self {
                            child,
                            url,
                            startup_output,
                            rest: Mutex::new(rx),
                        };
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "quiver {args:?} did not report its address ({e}); output: {startup_output:?}"
                    );
                }
            }
        }
    }

    /// The process id (for kill -9 style tests).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stdout lines printed after start-up, waiting at most `wait` for the first one.
    pub fn drain_output(&self, wait: Duration) -> Vec<String> {
        let rx = self.rest.lock().expect("output lock");
        let mut lines = Vec::new();
        if let Ok(l) = rx.recv_timeout(wait) {
            lines.push(l);
            lines.extend(rx.try_iter());
        }
        lines
    }

    /// Sends SIGTERM and waits (up to 30 s) for the exit status: graceful shutdown.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("quiver did not exit within 30 s of SIGTERM");
    }
}

/// The name a process's log lines are prefixed with: its subcommand, and its id when it has one
/// (`--ingester-id`).
fn label(args: &[&str]) -> String {
    let subcommand = args.first().copied().unwrap_or("quiver");
    match args.iter().position(|a| *a == "--ingester-id") {
        Some(i) => format!("{subcommand} {}", args.get(i + 1).copied().unwrap_or("?")),
        None => subcommand.to_owned(),
    }
}

impl Drop for QuiverProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
