//! The write pipeline after the HTTP layer (steps 5–8): convert, resolve the database, check
//! retention, upsert the schema, shard onto the log's partitions and append.

mod convert;
mod retention;
mod schema_check;
mod shard;

pub use convert::{convert_body, rejection_error};
pub use retention::check_retention;
pub use schema_check::schema_upsert;
pub use shard::shard_tables;
