//! One `tansu` broker (a Kafka-protocol broker with SQLite storage) for tests.
//!
//! ```text
//! start ──► temp dir {tansu.db, tansu.log} (cwd: the sqlite URL is relative) ──► free port
//!       ──► spawn `tansu broker --listener-url tcp://127.0.0.1:P …` ──► Metadata v1 answers
//!           with broker 127.0.0.1:P? (≤ 30 s)
//! create_topic(name, n) ──► `tansu topic create` CLI
//! kill() = SIGKILL by PID; restart() = same port, same storage; killed on drop
//! ```
//!
//! Storage: SQLite (`$QUIVER_TANSU_STORAGE` overrides, e.g. `memory://tansu/`).
//! The binary is `$QUIVER_TANSU`, default `~/.cache/quiver-ci/tansu/bin/tansu` (built with
//! `cargo install tansu --locked --features libsql,dynostore`). Product code never depends on
//! tansu; tests use it as "a Kafka broker".

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// How long `start`/`restart` wait for the broker to answer.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Fresh ports tried when the broker exits right after spawning (someone took the port).
const START_ATTEMPTS: usize = 5;

/// Why the broker could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum TansuError {
    /// Temp dir, log file or port probing failed.
    #[error("tansu test setup failed: {0}")]
    Io(#[from] std::io::Error),
    /// The binary is not there.
    #[error(
        "tansu binary not found at {0} (set QUIVER_TANSU, or `cargo install tansu --locked --features libsql,dynostore --root ~/.cache/quiver-ci/tansu`)"
    )]
    Missing(PathBuf),
    /// The broker exited before it answered.
    #[error("tansu exited during start-up ({status}); log tail:\n{log_tail}")]
    Exited {
        /// Exit status.
        status: String,
        /// The end of its log.
        log_tail: String,
    },
    /// No metadata answer in time.
    #[error(
        "tansu at {address} did not answer a metadata request after {waited:?}; log tail:\n{log_tail}"
    )]
    NotReady {
        /// Listener address.
        address: String,
        /// How long we waited.
        waited: Duration,
        /// The end of its log.
        log_tail: String,
    },
    /// `tansu topic create` failed.
    #[error("creating topic {topic} failed ({status}): {output}")]
    CreateTopic {
        /// Topic name.
        topic: String,
        /// Exit status.
        status: String,
        /// Its output.
        output: String,
    },
}

/// A running (or killed) tansu broker with its own storage. Killed on drop.
#[derive(Debug)]
pub struct TansuProcess {
    binary: PathBuf,
    child: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
}

/// The broker's storage: `$QUIVER_TANSU_STORAGE` (e.g. `memory://tansu/` for benchmarks that
/// compare storage costs), else SQLite in the broker's temp dir (survives a broker restart).
fn storage_engine() -> String {
    std::env::var("QUIVER_TANSU_STORAGE").unwrap_or_else(|_| "sqlite://tansu.db".to_owned())
}

/// The tansu binary: `$QUIVER_TANSU` or `~/.cache/quiver-ci/tansu/bin/tansu`.
pub fn tansu_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("QUIVER_TANSU") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    home.join(".cache/quiver-ci/tansu/bin/tansu")
}

impl TansuProcess {
    /// Starts a broker on a free loopback port with fresh SQLite storage and waits until it
    /// answers a Kafka metadata request.
    pub fn start() -> Result<Self, TansuError> {
        let binary = tansu_binary();
        if !binary.is_file() {
            return Err(TansuError::Missing(binary));
        }
        let mut tansu = Self {
            binary,
            child: None,
            dir: tempfile::Builder::new().prefix("quiver-tansu-").tempdir()?,
            port: free_port()?,
        };
        let mut attempts = 1;
        loop {
            match tansu.spawn_and_wait() {
                Ok(()) => return Ok(tansu),
                Err(TansuError::Exited { .. }) if attempts < START_ATTEMPTS => {
                    attempts += 1;
                    tansu.port = free_port()?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `127.0.0.1:PORT`, the bootstrap address for Kafka clients.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The process id while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The temp directory holding `tansu.db` and `tansu.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Creates `topic` with `partitions` partitions through the `tansu topic create` CLI.
    pub fn create_topic(&self, topic: &str, partitions: u32) -> Result<(), TansuError> {
        let output = Command::new(&self.binary)
            .current_dir(self.dir.path())
            .arg("topic")
            .arg("create")
            .arg("--broker")
            .arg(format!("tcp://{}", self.bootstrap()))
            .arg("--partitions")
            .arg(partitions.to_string())
            .arg(topic)
            .stdin(Stdio::null())
            .output()?;
        if !output.status.success() {
            return Err(TansuError::CreateTopic {
                topic: topic.to_owned(),
                status: output.status.to_string(),
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            });
        }
        Ok(())
    }

    /// Kills the broker with SIGKILL (by its PID) and reaps it. No-op when not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port with the same storage (kills it first if it is
    /// still running) and waits until it answers. Retries while the old port is not free yet.
    pub fn restart(&mut self) -> Result<(), TansuError> {
        self.kill();
        let mut attempts = 1;
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return Ok(()),
                Err(TansuError::Exited { .. }) if attempts < START_ATTEMPTS => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(300));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("tansu.log")
    }

    fn spawn_and_wait(&mut self) -> Result<(), TansuError> {
        let url = format!("tcp://{}", self.bootstrap());
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        writeln!(log, "---- test harness: starting tansu on {url} ----")?;
        let child = Command::new(&self.binary)
            .current_dir(self.dir.path())
            .arg("broker")
            .arg("--cluster-id")
            .arg("quiver-test")
            .arg("--listener-url")
            .arg(&url)
            .arg("--advertised-listener-url")
            .arg(&url)
            .arg("--storage-engine")
            .arg(storage_engine())
            .env_remove("STORAGE_ENGINE")
            .env_remove("LISTENER_URL")
            .env_remove("ADVERTISED_LISTENER_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), TansuError> {
        let started = Instant::now();
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        while started.elapsed() < READY_TIMEOUT {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                return Err(TansuError::Exited {
                    status: status.to_string(),
                    log_tail: self.log_tail(),
                });
            }
            if metadata_answers(addr) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        Err(TansuError::NotReady {
            address: self.bootstrap(),
            waited: READY_TIMEOUT,
            log_tail: self.log_tail(),
        })
    }

    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = File::open(self.log_path()) {
            let _ = f.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for TansuProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends a Kafka Metadata v1 request (all topics) and checks that the answer lists a broker
/// advertised on `addr`'s port. Each step is bounded by 1 s.
fn metadata_answers(addr: SocketAddr) -> bool {
    const CORRELATION: i32 = 0x5157;
    let timeout = Duration::from_secs(1);
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let client_id = b"quiver-test";
    let mut body = Vec::new();
    body.extend_from_slice(&3i16.to_be_bytes()); // api key: Metadata
    body.extend_from_slice(&1i16.to_be_bytes()); // api version 1
    body.extend_from_slice(&CORRELATION.to_be_bytes());
    body.extend_from_slice(&(client_id.len() as i16).to_be_bytes());
    body.extend_from_slice(client_id);
    body.extend_from_slice(&(-1i32).to_be_bytes()); // topics: null = all
    let mut request = (body.len() as i32).to_be_bytes().to_vec();
    request.extend_from_slice(&body);
    if stream.write_all(&request).is_err() {
        return false;
    }
    let mut size = [0u8; 4];
    if stream.read_exact(&mut size).is_err() {
        return false;
    }
    let size = i32::from_be_bytes(size);
    if !(12..=1 << 20).contains(&size) {
        return false;
    }
    let mut response = vec![0u8; size as usize];
    if stream.read_exact(&mut response).is_err() {
        return false;
    }
    // correlation id, brokers count, first broker: node id, host (i16 length + bytes), port.
    let i32_at = |at: usize| {
        response
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_be_bytes)
    };
    if i32_at(0) != Some(CORRELATION) || i32_at(4).is_none_or(|n| n < 1) {
        return false;
    }
    let Some(host_len) = response
        .get(12..14)
        .and_then(|b| b.try_into().ok())
        .map(i16::from_be_bytes)
    else {
        return false;
    };
    let port_at = 14 + usize::try_from(host_len).unwrap_or(0);
    i32_at(port_at) == Some(i32::from(addr.port()))
}
