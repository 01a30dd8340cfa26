//! Real service processes for tests: loopback only, free ports chosen at run time, temporary
//! data directories, stopped by PID.
//!
//! ```text
//! EtcdProcess::start() ──► free ports (bind 127.0.0.1:0, read, drop) ──► spawn /usr/bin/etcd
//!        │                  (temp data dir, log file in it)               │
//!        │                                                    poll GET /health ≤ 20 s
//!        ▼                                                                ▼
//!   endpoint() = http://127.0.0.1:PORT   kill() = SIGKILL   restart() = same dir and ports
//! ```
//!
//! This crate depends on none of Quiver's crates, so any crate's tests can use it.

mod etcd;
mod ports;

pub use etcd::{EtcdError, EtcdProcess};
pub use ports::free_port;
