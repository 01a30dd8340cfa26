//! The ingester's knobs, independent of how they were configured (flags in `config`).

use std::time::Duration;

use cpu_pool::Priority;

/// When to persist, and how much memory to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersistSettings {
    /// Persist a log partition once its buffer holds this many rows.
    pub max_rows: usize,
    /// Persist a log partition once its buffer holds this many Arrow bytes.
    pub max_bytes: usize,
    /// Persist a log partition once its oldest unpersisted record is this old.
    pub max_age: Duration,
    /// Above this many buffered bytes (all partitions, including running persists), persist the
    /// largest buffers and pause consuming until back under 3/4 of it.
    pub memory_budget: usize,
    /// How long a graceful shutdown may spend persisting.
    pub shutdown_timeout: Duration,
    /// Threads that sort, deduplicate and encode persists (`cpu_pool`).
    pub threads: usize,
    /// Those threads' priority (Linux; `Priority::NORMAL` = the process's).
    pub priority: Priority,
}

impl Default for PersistSettings {
    fn default() -> Self {
        Self {
            max_rows: 1_000_000,
            max_bytes: 256 * 1024 * 1024,
            max_age: Duration::from_secs(300),
            memory_budget: 1024 * 1024 * 1024,
            shutdown_timeout: Duration::from_secs(60),
            threads: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            priority: Priority::Idle,
        }
    }
}

/// Who this ingester is, as published in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Stable id, unique in the cluster.
    pub id: String,
    /// Address queriers use (`http://host:port`).
    pub address: String,
}
