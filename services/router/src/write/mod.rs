//! The write pipeline after the HTTP layer (steps 5–8 of the crate doc): convert, resolve the
//! database, check retention, upsert the schema, then (8a) shard onto the log's partitions, (8b)
//! cut each partition's rows into records of at most 100 (table, day) groups and (8c) append
//! them. Every step fails with [`WriteError`]; `http::error` maps it to a response.
//! Steps 6b–8 are one function, [`store_tables`], shared by the HTTP write and the library
//! writer [`crate::LineWriter`] (InfluxQL's SELECT INTO).

mod append;
mod convert;
mod error;
mod records;
mod retention;
mod schema_check;
mod shard;
mod store;

pub use append::AppendError;
pub(crate) use append::append_sharded;
pub(crate) use convert::{convert_body, rejection_error};
pub use error::WriteError;
pub(crate) use retention::check_retention;
pub(crate) use schema_check::schema_upsert;
pub(crate) use shard::shard_tables;
pub(crate) use store::store_tables;
