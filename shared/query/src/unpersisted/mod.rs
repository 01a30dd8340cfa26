//! Rows the ingesters hold but have not persisted yet: the querier side of the ingester query
//! API (design.md §6).
//!
//! ```text
//! contract: UnpersistedRequest / UnpersistedAnswer / UnpersistedSource (one ingester),
//!           IngesterDirectory (who owns which partition), HighWatermarks (the log's ends)
//! ```

mod contract;

pub use contract::{
    HighWatermarks, IngesterDirectory, IngesterHandle, PartitionAnswer, PartitionWait,
    UnpersistedAnswer, UnpersistedChunk, UnpersistedError, UnpersistedRequest, UnpersistedSource,
};
