//! InfluxQL 1.x statements executed over Quiver's query sessions, answered as v1 results.
//!
//! ```text
//! influxql::ast::Query + Request { db, rp, now, authorization }
//!   ──► Executor::execute: per statement, in order ──► StatementResult (v1_query::result)
//!        SELECT ──► select:: (1.x compile rules, DataFusion scan of the same Parquet ∪
//!                   ingester-buffer tables SQL reads, 1.x evaluation)
//!        SHOW … ──► meta:: (catalog schema; tag values and series from the data)
//!        CREATE / DROP DATABASE ──► catalog
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

mod condition;
mod error;
mod eval;
mod executor;
mod fetch;
mod gomath;
mod meta;
mod select;

pub use error::ExecError;
pub use executor::{Executor, Request, database_name};
