//! Threads of their own for the ingester's CPU-heavy background work — sorting, deduplicating
//! and encoding Parquet when it persists — so it never runs on the async workers that consume
//! the log, answer queries and (in `quiver serve`) take writes, and, on Linux, at a lower
//! scheduling priority (a higher nice value), so that latency-bound work on the same cores goes
//! first and persisting takes the cycles left over.
//!
//! ```text
//! CpuPool::run(job) ──► queue ──► one of N threads (nice +k) runs job ──► oneshot ──► awaiting task
//! drop(CpuPool) ──► queue closed ──► threads finish the queued jobs and exit
//! ```
//!
//! Starvation is bounded: Linux's scheduler still gives a nice +10 thread about a tenth of a
//! busy core, and when persisting falls behind, the ingester's memory budget pauses consuming
//! (the log keeps the rows), so nothing is lost while writes stay fast.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Why a job did not return a value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    /// The job panicked (the panic message, when it is a string).
    #[error("background job panicked: {0}")]
    Panicked(String),
    /// The pool is shutting down.
    #[error("background pool is shut down")]
    Closed,
}

/// A fixed set of background threads.
#[derive(Debug)]
pub struct CpuPool {
    queue: Mutex<Option<Sender<Job>>>,
}

impl CpuPool {
    /// Starts `threads` threads (at least one) named `name-N`, each with its nice value raised
    /// by `nice` (0 keeps the process's priority; Linux only, elsewhere ignored).
    pub fn new(name: &str, threads: usize, nice: i32) -> std::io::Result<Self> {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || worker(&receiver, nice))?;
        }
        Ok(Self {
            queue: Mutex::new(Some(sender)),
        })
    }

    /// Runs `job` on a pool thread and waits for its result.
    pub async fn run<T, F>(&self, job: F) -> Result<T, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let outcome = catch_unwind(AssertUnwindSafe(job)).map_err(|panic| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_owned());
                PoolError::Panicked(message)
            });
            // The caller may have stopped waiting; the result is then dropped.
            let _ = done.send(outcome);
        });
        {
            let queue = self.queue.lock().map_err(|_| PoolError::Closed)?;
            let sender = queue.as_ref().ok_or(PoolError::Closed)?;
            sender.send(job).map_err(|_| PoolError::Closed)?;
        }
        result.await.map_err(|_| PoolError::Closed)?
    }

    /// Stops taking jobs; the threads finish what is queued and exit.
    pub fn close(&self) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.take();
        }
    }
}

impl Drop for CpuPool {
    fn drop(&mut self) {
        self.close();
    }
}

fn worker(receiver: &Mutex<Receiver<Job>>, nice: i32) {
    if let Err(error) = lower_priority(nice) {
        tracing::warn!(%error, nice, "cannot lower the priority of a background thread");
    }
    loop {
        // The lock is held only while waiting for the next job, never while running one.
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return, // queue closed and drained
        }
    }
}

/// Raises the calling thread's nice value by `nice` (Linux keeps one per thread).
#[cfg(target_os = "linux")]
fn lower_priority(nice: i32) -> std::io::Result<()> {
    if nice <= 0 {
        return Ok(());
    }
    // SAFETY: gettid and getpriority/setpriority take no pointers; PRIO_PROCESS with a thread
    // id addresses only that thread on Linux.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        *libc::__errno_location() = 0;
        let current = libc::getpriority(libc::PRIO_PROCESS, tid);
        if current == -1 && *libc::__errno_location() != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let target = (current + nice).min(19);
        if libc::setpriority(libc::PRIO_PROCESS, tid, target) == -1 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_nice: i32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_named_threads_and_return_their_values() {
        let pool = CpuPool::new("test-pool", 2, 0).unwrap();
        let (a, b) = tokio::join!(
            pool.run(|| std::thread::current().name().map(str::to_owned)),
            pool.run(|| (1..=100u64).sum::<u64>())
        );
        assert!(a.unwrap().unwrap().starts_with("test-pool-"));
        assert_eq!(b.unwrap(), 5050);
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_pool_keeps_working() {
        let pool = CpuPool::new("test-pool", 1, 0).unwrap();
        let err = pool.run(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert_eq!(err, PoolError::Panicked("boom".into()));
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_closed_pool_refuses_jobs() {
        let pool = CpuPool::new("test-pool", 1, 0).unwrap();
        pool.close();
        assert_eq!(pool.run(|| 1).await.unwrap_err(), PoolError::Closed);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn pool_threads_run_at_a_higher_nice_value() {
        fn nice() -> i32 {
            // SAFETY: no pointers; PRIO_PROCESS with the calling thread's id.
            unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
        }
        let base = nice();
        let pool = CpuPool::new("test-pool", 1, 5).unwrap();
        let inside = pool.run(nice).await.unwrap();
        assert_eq!(inside, (base + 5).min(19));
        assert_eq!(nice(), base, "the caller's priority is unchanged");
    }
}
