//! Threads of their own, at a lower scheduling priority, for CPU-heavy background work — so it
//! never runs on the async workers that take writes and answer queries, and, on Linux, so that
//! latency-bound work sharing the cores goes first.
//!
//! ```text
//! CpuPool::new(name, threads, Priority) ──► N threads, each lowers its own priority
//! CpuPool::submit(job) ──► queue ──► a thread runs job ──► oneshot ──► Pending (a Future;
//!                                                              keep it to wait later: cancel-safe)
//! CpuPool::run(job) = submit(job).await
//! drop(CpuPool) ──► queue closed ──► threads finish the queued jobs and exit
//! ```
//!
//! Users: the ingester's persist threads (sort, dedup, Parquet; `--persist-nice`) and the
//! Kafka reader's decode thread (`--consume-priority`).

mod pool;
mod priority;

pub use pool::{CpuPool, Pending, PoolError};
pub use priority::{ParsePriorityError, Priority, lower_current_thread};
