//! SQL over a database's persisted data: one DataFusion session per query, one deduplicating
//! table provider per table (docs/architecture.md, "Queries").
//!
//! ```text
//! QueryDatabase::new(catalog, object store)
//!   └─► session(&Database) ──► catalog.database_schema ──► SessionContext
//!         (information_schema on, object store registered under quiver://objects/)
//!           └─► one PersistedTable per table (Arrow schema from schema::arrow_schema)
//!
//! SQL ──► DataFusion planner ──► PersistedTable::scan
//!           ├─ catalog.parquet_files(db, table): files grouped by partition key
//!           ├─ prune files by time bounds of the filters (filters::TimeBounds)
//!           ├─ DataSourceExec (DataFusion Parquet): one file group per partition key, files in
//!           │  write order; row groups pruned by tag/time predicates only
//!           └─ DedupExec: per partition key, sort + dedup on tags + time, last write wins
//!                ──► ProjectionExec (the columns the query asked for)
//!          ──► filters (all of them, re-applied after dedup), aggregates, … ──► batches
//! ```
//!
//! Field predicates are never evaluated before dedup: a filter on a field could drop the newer
//! row of a key and resurrect the older one. Tag and time predicates are safe there because
//! every duplicate of a row shares its tags and time.

mod dedup_exec;
mod error;
mod filters;
pub mod nesting;
mod overlap;
mod session;
pub mod system;
mod table;
pub mod unpersisted;
mod yield_points;

pub use dedup_exec::DedupExec;
pub use error::QueryError;
pub use filters::TimeBounds;
pub use session::{OBJECT_STORE_URL, QueryDatabase};
pub use system::{
    QueryLog, QueryLogEntry, QueryObserver, QueryPhase, QueryRecord, QueryType, SYSTEM_SCHEMA,
    register_system_schema,
};
pub use table::PersistedTable;
pub use yield_points::YieldPoints;

/// The DataFusion crate this crate is built against.
pub use datafusion;
