//! InfluxQL 1.x statements executed over Quiver's query sessions, answered as v1 results.
//!
//! ```text
//! influxql::ast::Query + Request { db, rp, now, authorization }
//!   ──► Executor::execute: per statement, in order ──► StatementResult (v1_query::result)
//!        EXPLAIN [ANALYZE] SELECT ──► explain:: (1.6's plan blocks / trace tree)
//!        SELECT … INTO ──► into:: (the SELECT's rows as points ──► PointsWriter; result
//!                   `written`)
//!        SELECT ──► select:: (1.x compile rules, DataFusion scan of the same Parquet ∪
//!                   ingester-buffer tables SQL reads, 1.x evaluation; count/min/max/sum/mean
//!                   by time window reduced to partials by DataFusion: select::partials)
//!        SHOW … ──► meta:: (catalog schema; tag values and series from the data)
//!        CREATE / DROP DATABASE ──► catalog
//!        SHOW | CREATE | ALTER | DROP RETENTION POLICY ──► retention:: (Quiver databases
//!                   `db` / `db/rp` + DBRP mappings for DEFAULT)
//!   a statement's failure is its result's `error` (1.x answers HTTP 200)
//! ```
//!
//! Database naming: v1 `db` + `rp` name the Quiver database `db` (for the default policy:
//! empty, `autogen`, `default`) or `db/rp`, exactly as the router's v1 `/write` does.

/// The wall clock as `now()` of a statement (ns since the epoch).
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whether statements DataFusion can do more of take those paths (`select::partials`: GROUP BY
/// time aggregates reduced to partials; `select::narrow`: raw LIMIT 1 reading only the rows
/// that can answer); on unless a test turns it off to compare the answers of both paths.
static PUSHDOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Turns those paths off (or on again) for this process: every statement then reads all its
/// rows and reduces them itself. For tests that compare the answers of both.
#[doc(hidden)]
pub fn set_pushdown(enabled: bool) {
    PUSHDOWN.store(enabled, std::sync::atomic::Ordering::Relaxed);
}

/// Measurement reads that took one of those paths.
static PUSHDOWN_STATEMENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many measurement reads took one of those paths in this process (for tests that must
/// know they ran).
#[doc(hidden)]
pub fn pushdown_statements() -> u64 {
    PUSHDOWN_STATEMENTS.load(std::sync::atomic::Ordering::Relaxed)
}

mod admin;
mod condition;
mod error;
mod eval;
mod executor;
mod explain;
mod fetch;
mod gomath;
mod gosort;
mod into;
mod meta;
mod retention;
mod select;

pub use error::ExecError;
pub use executor::{Executor, Request, database_name};
pub use into::{Point, PointsWriter, WritePointsError, line_protocol};
