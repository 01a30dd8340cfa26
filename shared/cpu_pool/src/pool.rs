//! The pool: a job queue shared by N threads; each job's result comes back on a oneshot.
//!
//! Starvation: a thread at nice +10 still gets about a tenth of a busy core; one at
//! `SCHED_IDLE` gets almost nothing while other work saturates the cores. The ingester bounds
//! what that can cost: when persisting or decoding falls behind, its memory budget pauses
//! consuming and the log keeps the rows, so nothing is lost while writes stay fast.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::priority::{Priority, lower_current_thread};

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
    /// Starts `threads` threads (at least one) named `name-N`, each at `priority` (Linux only,
    /// elsewhere ignored; a refusal by the OS is logged and the thread runs anyway).
    pub fn new(name: &str, threads: usize, priority: Priority) -> std::io::Result<Self> {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || worker(&receiver, priority))?;
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
        self.submit(job).await
    }

    /// Queues `job` and returns at once; the [`Pending`] resolves to its result. Dropping the
    /// `Pending` does not cancel the job (its result is then dropped); awaiting it by `&mut`
    /// and dropping that future keeps the result for the next await.
    pub fn submit<T, F>(&self, job: F) -> Pending<T>
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
        // A closed queue drops `job` and with it the sender: the Pending reports Closed.
        if let Ok(queue) = self.queue.lock()
            && let Some(sender) = queue.as_ref()
        {
            let _ = sender.send(job);
        }
        Pending(result)
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

fn worker(receiver: &Mutex<Receiver<Job>>, priority: Priority) {
    if let Err(error) = lower_current_thread(priority) {
        tracing::warn!(%error, %priority, "cannot lower the priority of a background thread");
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

/// The result of a job queued with [`CpuPool::submit`].
#[derive(Debug)]
pub struct Pending<T>(oneshot::Receiver<Result<T, PoolError>>);

impl<T> Future for Pending<T> {
    type Output = Result<T, PoolError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(PoolError::Closed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_named_threads_and_return_their_values() {
        let pool = CpuPool::new("test-pool", 2, Priority::NORMAL).unwrap();
        let (a, b) = tokio::join!(
            pool.run(|| std::thread::current().name().map(str::to_owned)),
            pool.run(|| (1..=100u64).sum::<u64>())
        );
        assert!(a.unwrap().unwrap().starts_with("test-pool-"));
        assert_eq!(b.unwrap(), 5050);
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_pool_keeps_working() {
        let pool = CpuPool::new("test-pool", 1, Priority::NORMAL).unwrap();
        let err = pool.run(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert_eq!(err, PoolError::Panicked("boom".into()));
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_closed_pool_refuses_jobs() {
        let pool = CpuPool::new("test-pool", 1, Priority::NORMAL).unwrap();
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
        let pool = CpuPool::new("test-pool", 1, Priority::Nice(5)).unwrap();
        let inside = pool.run(nice).await.unwrap();
        assert_eq!(inside, (base + 5).min(19));
        assert_eq!(nice(), base, "the caller's priority is unchanged");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn idle_pool_threads_run_under_sched_idle() {
        fn policy() -> i32 {
            // SAFETY: no pointers; pid 0 is the calling thread.
            unsafe { libc::sched_getscheduler(0) }
        }
        let pool = CpuPool::new("test-pool", 1, Priority::Idle).unwrap();
        assert_eq!(pool.run(policy).await.unwrap(), libc::SCHED_IDLE);
        assert_eq!(
            policy(),
            libc::SCHED_OTHER,
            "the caller's policy is unchanged"
        );
    }

    #[tokio::test]
    async fn a_pending_result_survives_a_dropped_wait() {
        let pool = CpuPool::new("test-pool", 1, Priority::NORMAL).unwrap();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let mut pending = pool.submit(move || {
            wait.recv().unwrap();
            42
        });
        // A wait that gives up before the job is done...
        let timed_out =
            tokio::time::timeout(std::time::Duration::from_millis(20), &mut pending).await;
        assert!(timed_out.is_err());
        go.send(()).unwrap();
        // ...leaves the result for the next one.
        assert_eq!(pending.await.unwrap(), 42);
    }
}
