//! Rows the ingesters hold but have not persisted yet: the querier side of the ingester query
//! API (docs/architecture.md, "Queries").
//!
//! ```text
//! contract: UnpersistedRequest / UnpersistedAnswer / UnpersistedSource (one ingester),
//!           IngesterDirectory (who owns which partition), HighWatermarks (the log's ends)
//! reader:   UnpersistedReader (per querier) ──► QueryUnpersisted (per query: high-water
//!           marks once) ──► table_batches (fan-out, retries, deadline) ──► align
//! ```

mod align;
mod contract;
mod reader;
#[cfg(test)]
mod reader_tests;

pub use align::align_to_schema;
pub use reader::{QueryUnpersisted, UnpersistedReader, UnpersistedSettings};

pub use contract::{
    HighWatermarks, IngesterDirectory, IngesterHandle, PartitionAnswer, PartitionWait,
    UnpersistedAnswer, UnpersistedChunk, UnpersistedError, UnpersistedRequest, UnpersistedSource,
};
