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
//! `MotoProcess::start(bucket)` does the same for a moto S3 server (see `moto.rs`), and
//! `TansuProcess::start()` for a Kafka-protocol broker (see `tansu.rs`).
//! `python_interpreter()` finds the Python with the real InfluxDB clients (see `python.rs`).
//!
//! This crate depends on none of Quiver's crates, so any crate's tests can use it.

mod etcd;
mod moto;
mod ports;
mod python;
mod tansu;

pub use etcd::{EtcdError, EtcdProcess};
pub use moto::{MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY, MotoError, MotoProcess};
pub use ports::free_port;
pub use python::python_interpreter;
pub use tansu::{TansuError, TansuProcess, tansu_binary};
