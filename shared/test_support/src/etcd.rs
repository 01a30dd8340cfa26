//! One single-member etcd (Debian's `/usr/bin/etcd`) for tests.
//!
//! ```text
//! start ──► temp dir {data/, etcd.log} ──► ports (client, peer) ──► spawn ──► /health ok?
//!             ▲                                 │ exited early (port clash): new ports, retry
//!             └─────────────── restart(): same dir, same ports ◄── kill(): SIGKILL by PID
//! ```

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// The etcd binary of the Debian `etcd-server` package.
pub(crate) const ETCD_BINARY: &str = "/usr/bin/etcd";
/// How long `start`/`restart` wait for `/health`.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(20);
/// Fresh port pairs tried when etcd exits right after spawning (someone took a port).
const START_ATTEMPTS: usize = 5;

/// Why etcd could not be started.
#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    /// Temp dir, log file or port probing failed.
    #[error("etcd test setup failed: {0}")]
    Io(#[from] std::io::Error),
    /// The binary could not be spawned.
    #[error("cannot spawn {binary}: {source}")]
    Spawn {
        /// The binary.
        binary: &'static str,
        /// Cause.
        source: std::io::Error,
    },
    /// etcd exited before it was healthy.
    #[error("etcd exited during start-up ({status}); log tail:\n{log_tail}")]
    Exited {
        /// Exit status.
        status: String,
        /// The end of its log.
        log_tail: String,
    },
    /// `/health` never answered healthy in time.
    #[error("etcd at {endpoint} not healthy after {waited:?}; log tail:\n{log_tail}")]
    NotHealthy {
        /// Client URL.
        endpoint: String,
        /// How long we waited.
        waited: Duration,
        /// The end of its log.
        log_tail: String,
    },
}

/// A running (or killed) etcd process with its own data directory. Killed on drop.
#[derive(Debug)]
pub struct EtcdProcess {
    child: Option<Child>,
    dir: tempfile::TempDir,
    client_port: u16,
    peer_port: u16,
}

impl EtcdProcess {
    /// Starts etcd on free loopback ports with a fresh data directory and waits until healthy.
    pub fn start() -> Result<Self, EtcdError> {
        let mut etcd = Self {
            child: None,
            dir: tempfile::Builder::new().prefix("quiver-etcd-").tempdir()?,
            client_port: free_port()?,
            peer_port: free_port()?,
        };
        let mut attempts = 1;
        loop {
            match etcd.spawn_and_wait() {
                Ok(()) => return Ok(etcd),
                Err(EtcdError::Exited { .. }) if attempts < START_ATTEMPTS => {
                    attempts += 1;
                    etcd.client_port = free_port()?;
                    etcd.peer_port = free_port()?;
                    // A failed first start may leave a half-initialised member directory.
                    let _ = std::fs::remove_dir_all(etcd.data_dir());
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `http://127.0.0.1:PORT`, the client URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
    }

    /// The process id while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The temp directory holding `data/` and `etcd.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kills the process with SIGKILL (by its PID) and reaps it. No-op when not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts etcd again on the same ports with the same data directory (kills it first if it
    /// is still running) and waits until healthy. Retries for a while when the old ports are not
    /// free yet.
    pub fn restart(&mut self) -> Result<(), EtcdError> {
        self.kill();
        let mut attempts = 1;
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return Ok(()),
                Err(EtcdError::Exited { .. }) if attempts < START_ATTEMPTS => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(300));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("etcd.log")
    }

    fn spawn_and_wait(&mut self) -> Result<(), EtcdError> {
        let client = format!("http://127.0.0.1:{}", self.client_port);
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        writeln!(log, "---- test harness: starting etcd on {client} ----")?;
        let child = Command::new(ETCD_BINARY)
            .arg("--name")
            .arg("quiver-test")
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("--listen-client-urls")
            .arg(&client)
            .arg("--advertise-client-urls")
            .arg(&client)
            .arg("--listen-peer-urls")
            .arg(&peer)
            .arg("--initial-advertise-peer-urls")
            .arg(&peer)
            .arg("--initial-cluster")
            .arg(format!("quiver-test={peer}"))
            .arg("--initial-cluster-state")
            .arg("new")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|source| EtcdError::Spawn {
                binary: ETCD_BINARY,
                source,
            })?;
        self.child = Some(child);
        self.wait_healthy()
    }

    fn wait_healthy(&mut self) -> Result<(), EtcdError> {
        let started = Instant::now();
        let addr = SocketAddr::from(([127, 0, 0, 1], self.client_port));
        while started.elapsed() < HEALTH_TIMEOUT {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                return Err(EtcdError::Exited {
                    status: status.to_string(),
                    log_tail: self.log_tail(),
                });
            }
            if health_ok(addr) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        Err(EtcdError::NotHealthy {
            endpoint: self.endpoint(),
            waited: HEALTH_TIMEOUT,
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

impl Drop for EtcdProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `GET /health` → `{"health":"true"}` (etcd 3.4), each step bounded by 1 s.
fn health_ok(addr: SocketAddr) -> bool {
    let timeout = Duration::from_secs(1);
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let request = format!("GET /health HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.") && response.contains("\"health\":\"true\"")
}
