//! The write pipeline after the HTTP layer (steps 5–10): convert, resolve the database, check
//! retention, upsert the schema, shard onto the log's partitions, cut each partition's rows into
//! records of at most 100 (table, day) groups and append them.

mod append;
mod convert;
mod records;
mod retention;
mod schema_check;
mod shard;

pub use append::append_sharded;
pub use convert::{convert_body, rejection_error};
pub use retention::check_retention;
pub use schema_check::schema_upsert;
pub use shard::shard_tables;
