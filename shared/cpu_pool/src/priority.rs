//! How far below the process's own priority a background thread runs.

use std::fmt;
use std::str::FromStr;

/// Scheduling priority of a background thread relative to the process (Linux; elsewhere
/// every value runs at the process's priority).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// The nice value raised by this increment (0 keeps the process's priority; the result is
    /// capped at 19). A busy thread at nice +10 still gets about a tenth of a contended core.
    Nice(u8),
    /// `SCHED_IDLE`: the thread runs only on cycles no other thread of normal priority wants,
    /// and a waking thread of normal priority preempts it at once. Under sustained saturation by
    /// other work it can be starved.
    Idle,
}

impl Priority {
    /// The process's own priority.
    pub const NORMAL: Priority = Priority::Nice(0);
}

/// A priority that is neither `idle` nor a nice increment 0–19.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected `idle` or a nice increment 0-19, got `{0}`")]
pub struct ParsePriorityError(pub String);

impl FromStr for Priority {
    type Err = ParsePriorityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("idle") {
            return Ok(Priority::Idle);
        }
        match s.parse::<u8>() {
            Ok(n) if n <= 19 => Ok(Priority::Nice(n)),
            _ => Err(ParsePriorityError(s.to_owned())),
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Priority::Nice(n) => write!(f, "{n}"),
            Priority::Idle => f.write_str("idle"),
        }
    }
}

/// Lowers the calling thread's priority (Linux keeps one per thread); other threads of the
/// process are unaffected. `Nice(0)` does nothing.
#[cfg(target_os = "linux")]
pub fn lower_current_thread(priority: Priority) -> std::io::Result<()> {
    match priority {
        Priority::Nice(0) => Ok(()),
        Priority::Nice(n) => {
            // SAFETY: gettid and getpriority/setpriority take no pointers; PRIO_PROCESS with a
            // thread id addresses only that thread on Linux.
            unsafe {
                let tid = libc::gettid() as libc::id_t;
                *libc::__errno_location() = 0;
                let current = libc::getpriority(libc::PRIO_PROCESS, tid);
                if current == -1 && *libc::__errno_location() != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                let target = (current + i32::from(n)).min(19);
                if libc::setpriority(libc::PRIO_PROCESS, tid, target) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        }
        Priority::Idle => {
            let param = libc::sched_param { sched_priority: 0 };
            // SAFETY: pid 0 is the calling thread; `param` outlives the call.
            if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        }
    }
}

/// Lowers the calling thread's priority: not supported here, does nothing.
#[cfg(not(target_os = "linux"))]
pub fn lower_current_thread(_priority: Priority) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_idle_and_nice_increments() {
        assert_eq!("idle".parse(), Ok(Priority::Idle));
        assert_eq!(" IDLE ".parse(), Ok(Priority::Idle));
        assert_eq!("0".parse(), Ok(Priority::NORMAL));
        assert_eq!("19".parse(), Ok(Priority::Nice(19)));
        for bad in ["20", "-1", "", "low"] {
            let err = bad.parse::<Priority>().unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "expected `idle` or a nice increment 0-19, got `{}`",
                    bad.trim()
                )
            );
        }
        for p in [Priority::Idle, Priority::Nice(7)] {
            assert_eq!(p.to_string().parse(), Ok(p));
        }
    }
}
