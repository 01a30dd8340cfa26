//! A moto S3 server (`moto_server`, Python) for tests.
//!
//! ```text
//! start ──► binary: $QUIVER_PYTHON's dir/moto_server, else ~/.cache/quiver-ci/venv/bin/moto_server
//!       ──► free port ──► spawn `moto_server -H 127.0.0.1 -p PORT` (log in a temp dir)
//!       ──► poll GET / until it answers HTTP (≤ 30 s; exited early → new port, retry)
//!       ──► PUT /<bucket> (create the bucket, no auth needed)
//!   endpoint() = http://127.0.0.1:PORT, bucket(), region(), access_key_id()/secret_access_key()
//!   kill() / drop = SIGKILL by PID
//! ```
//!
//! moto keeps everything in memory: a killed server loses its objects.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// How long `start` waits for the server to answer.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Fresh ports tried when the server exits right after spawning (someone took the port).
const START_ATTEMPTS: usize = 5;
/// Region moto is addressed with.
pub const MOTO_REGION: &str = "us-east-1";
/// Access key moto accepts (any works; this one is used throughout the tests).
pub const MOTO_ACCESS_KEY_ID: &str = "test";
/// Secret key matching [`MOTO_ACCESS_KEY_ID`].
pub const MOTO_SECRET_ACCESS_KEY: &str = "test";

/// Why moto could not be started.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    /// No `moto_server` binary was found.
    #[error(
        "moto_server not found (looked at {looked_at:?}); run .ci/run once or \
         `pip install -r tests/python/requirements.txt` in a venv and set QUIVER_PYTHON"
    )]
    NotFound {
        /// Paths tried.
        looked_at: Vec<PathBuf>,
    },
    /// Temp dir, log file or port probing failed.
    #[error("moto test setup failed: {0}")]
    Io(#[from] std::io::Error),
    /// The binary could not be spawned.
    #[error("cannot spawn {binary}: {source}")]
    Spawn {
        /// The binary.
        binary: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The server exited before it answered.
    #[error("moto_server exited during start-up ({status}); log tail:\n{log_tail}")]
    Exited {
        /// Exit status.
        status: String,
        /// The end of its log.
        log_tail: String,
    },
    /// The server never answered in time.
    #[error("moto_server at {endpoint} not answering after {waited:?}; log tail:\n{log_tail}")]
    NotReady {
        /// Endpoint.
        endpoint: String,
        /// How long we waited.
        waited: Duration,
        /// The end of its log.
        log_tail: String,
    },
    /// Creating the bucket failed.
    #[error("creating bucket {bucket} on {endpoint} failed: {response}")]
    CreateBucket {
        /// Bucket.
        bucket: String,
        /// Endpoint.
        endpoint: String,
        /// Status line (or I/O error) seen.
        response: String,
    },
}

/// A running moto S3 server with one bucket. Killed on drop.
#[derive(Debug)]
pub struct MotoProcess {
    child: Option<Child>,
    dir: tempfile::TempDir,
    binary: PathBuf,
    port: u16,
    bucket: String,
}

impl MotoProcess {
    /// Starts moto on a free loopback port and creates `bucket` (S3 bucket naming rules apply:
    /// lower case, digits, `-`).
    pub fn start(bucket: &str) -> Result<Self, MotoError> {
        let mut moto = Self {
            child: None,
            dir: tempfile::Builder::new().prefix("quiver-moto-").tempdir()?,
            binary: find_binary()?,
            port: free_port()?,
            bucket: bucket.to_string(),
        };
        let mut attempts = 1;
        loop {
            match moto.spawn_and_wait() {
                Ok(()) => break,
                Err(MotoError::Exited { .. }) if attempts < START_ATTEMPTS => {
                    attempts += 1;
                    moto.port = free_port()?;
                }
                Err(e) => return Err(e),
            }
        }
        moto.create_bucket()?;
        Ok(moto)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The bucket created at start.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The region to sign requests for.
    pub fn region(&self) -> &'static str {
        MOTO_REGION
    }

    /// Access key id to use (`AWS_ACCESS_KEY_ID`).
    pub fn access_key_id(&self) -> &'static str {
        MOTO_ACCESS_KEY_ID
    }

    /// Secret access key to use (`AWS_SECRET_ACCESS_KEY`).
    pub fn secret_access_key(&self) -> &'static str {
        MOTO_SECRET_ACCESS_KEY
    }

    /// The process id while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Environment for a child process using this server through object_store's
    /// `AmazonS3Builder::from_env` (credentials and region).
    pub fn aws_env(&self) -> [(&'static str, String); 3] {
        [
            ("AWS_ACCESS_KEY_ID", MOTO_ACCESS_KEY_ID.to_string()),
            ("AWS_SECRET_ACCESS_KEY", MOTO_SECRET_ACCESS_KEY.to_string()),
            ("AWS_REGION", MOTO_REGION.to_string()),
        ]
    }

    /// Kills the server with SIGKILL (by its PID) and reaps it. No-op when not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("moto.log")
    }

    fn spawn_and_wait(&mut self) -> Result<(), MotoError> {
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        writeln!(
            log,
            "---- test harness: starting moto on port {} ----",
            self.port
        )?;
        let child = Command::new(&self.binary)
            .arg("-H")
            .arg("127.0.0.1")
            .arg("-p")
            .arg(self.port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|source| MotoError::Spawn {
                binary: self.binary.clone(),
                source,
            })?;
        self.child = Some(child);
        let started = Instant::now();
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        while started.elapsed() < READY_TIMEOUT {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                return Err(MotoError::Exited {
                    status: status.to_string(),
                    log_tail: self.log_tail(),
                });
            }
            if http_status(addr, "GET", "/").is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.kill();
        Err(MotoError::NotReady {
            endpoint: self.endpoint(),
            waited: READY_TIMEOUT,
            log_tail: self.log_tail(),
        })
    }

    fn create_bucket(&self) -> Result<(), MotoError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let failed = |response: String| MotoError::CreateBucket {
            bucket: self.bucket.clone(),
            endpoint: self.endpoint(),
            response,
        };
        let status = http_status(addr, "PUT", &format!("/{}", self.bucket))
            .map_err(|e| failed(e.to_string()))?;
        if status.contains(" 200 ") {
            Ok(())
        } else {
            Err(failed(status))
        }
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

impl Drop for MotoProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `moto_server` next to `$QUIVER_PYTHON`, else in the CI venv (`$QUIVER_CI_CACHE`, else
/// `~/.cache/quiver-ci`).
fn find_binary() -> Result<PathBuf, MotoError> {
    let mut candidates = Vec::new();
    if let Some(python) = std::env::var_os("QUIVER_PYTHON")
        && let Some(dir) = Path::new(&python).parent()
    {
        candidates.push(dir.join("moto_server"));
    }
    if let Some(cache) = crate::python::ci_cache() {
        candidates.push(cache.join("venv/bin/moto_server"));
    }
    match candidates.iter().find(|p| p.is_file()) {
        Some(found) => Ok(found.clone()),
        None => Err(MotoError::NotFound {
            looked_at: candidates,
        }),
    }
}

/// Sends one bodiless HTTP/1.0 request and returns the status line (each step bounded by 2 s).
fn http_status(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<String> {
    let timeout = Duration::from_secs(2);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let request = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    let status = text.lines().next().unwrap_or_default().to_string();
    if status.starts_with("HTTP/1.") {
        Ok(status)
    } else {
        Err(std::io::Error::other(format!(
            "not an HTTP response: {status:?}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_creates_the_bucket_and_dies_with_its_handle() {
        let mut moto = MotoProcess::start("quiver-test").unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], moto.port));
        // The bucket exists: listing it answers 200.
        let status = http_status(addr, "GET", "/quiver-test").unwrap();
        assert!(status.contains(" 200 "), "{status}");
        let missing = http_status(addr, "GET", "/no-such-bucket").unwrap();
        assert!(missing.contains(" 404 "), "{missing}");
        assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
        assert!(moto.pid().is_some());
        moto.kill();
        assert!(moto.pid().is_none());
        assert!(http_status(addr, "GET", "/").is_err());
    }
}
