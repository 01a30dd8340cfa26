//! The Arrow Flight query interface (docs/architecture.md, "Queries"): the JSON tickets the
//! InfluxDB 3 client libraries send to `DoGet`, bearer-token auth against the catalog, and the
//! Flight service that runs the SQL on a `query::QueryDatabase` session.
//!
//! ```text
//! DoGet(Ticket bytes, metadata `authorization: Bearer <token>`)
//!   ├─► ticket::QueryTicket::decode ──► database, sql_query, query_type, params
//!   │     (bad JSON / fields ──► INVALID_ARGUMENT "Invalid ticket. Error: …")
//!   ├─► auth::authorize: token hash ──► catalog token record ──► Read on the database
//!   │     (no token ──► UNAUTHENTICATED; unknown/revoked/insufficient ──► PERMISSION_DENIED)
//!   ├─► catalog.database_by_name (absent ──► NOT_FOUND "Database 'x' not found")
//!   ├─► influxql ──► influxql::execute: the InfluxQL executor's series as one batch with a
//!   │     leading iox::measurement column and group-key metadata (as InfluxDB 3)
//!   └─► sql: QueryDatabase::session ──► ctx.sql + params ──► record batch stream
//!         ──► FlightDataEncoder (schema with iox::column::type metadata first) ──► client
//! Every other call (and DoGet of a Flight SQL ticket) ──► sql::SqlService (Flight SQL)
//! ```

mod auth;
mod error;
pub mod influxql;
pub mod ingester;
mod logged;
mod service;
pub mod sql;
mod ticket;

pub use auth::{Authenticated, authenticate, authorize, bearer_token};
pub use error::{QueryServiceError, datafusion_error_to_status};
pub use logged::{execute_logged, trace_id};
pub use service::QueryFlightService;
pub use ticket::{QueryTicket, QueryType, TicketError};

/// The arrow-flight crate this crate is built against.
pub use arrow_flight;
