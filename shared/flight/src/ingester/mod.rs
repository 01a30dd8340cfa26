//! The ingester query API over Arrow Flight (docs/architecture.md, "Queries" and "The
//! ingester"): the wire protocol of
//! `proto/quiver/ingester/v1/query.proto`, the ingester's Flight service, the querier's client
//! and the directory of ingesters from the catalog's leases.
//!
//! ```text
//! querier: CatalogIngesterDirectory::ingesters() ──► catalog.ingesters() (etcd leases)
//!            ──► one FlightIngesterClient per address (lazy tonic Channel, cached)
//!          FlightIngesterClient::unpersisted(UnpersistedRequest)
//!            ──► request::encode ──► DoGet(Ticket = UnpersistedQuery protobuf) ─────────┐
//! ingester: IngesterFlightService::do_get ◄──────────────────────────────────────────────┘
//!            ──► request::decode ──► Arc<dyn UnpersistedSource>::unpersisted
//!            ├─ Err ──► status::to_status (code + QueryError in the status details)
//!            └─ Ok  ──► encode::AnswerEncoder: schema (union of columns, canonical order),
//!                       per batch dictionaries + RecordBatch (app_metadata: partition, key),
//!                       last: app_metadata only (every partition's applied offset)
//! querier:   decode::decode_answer ──► UnpersistedAnswer (or status::from_status ──► the
//!            exact UnpersistedError; transport failures ──► Unavailable { ingester, message })
//! ```

mod client;
mod decode;
mod directory;
mod encode;
mod request;
mod server;
mod status;
#[cfg(test)]
mod tests;

/// Generated from `proto/quiver/ingester/v1/query.proto`.
#[allow(missing_docs, clippy::all)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/quiver.ingester.v1.rs"));
}

pub use client::{FlightIngesterClient, IngesterClientSettings};
pub use decode::decode_answer;
pub use directory::CatalogIngesterDirectory;
pub use encode::{AnswerEncoder, EncodeError};
pub use request::{RequestError, decode_request, encode_request};
pub use server::IngesterFlightService;
pub use status::{from_status, to_status};
