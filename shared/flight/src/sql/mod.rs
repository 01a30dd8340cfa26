//! Flight SQL on the querier's Flight service (docs/architecture.md, "Queries"; calls and
//! status codes in docs/compatibility.md), as the ADBC Flight SQL driver and arrow-flight's
//! `FlightSqlServiceClient` use it.
//!
//! ```text
//! gRPC ──► QueryFlightService (crate::service)
//!            DoGet with a JSON ticket ──► the influxdb3 client path (crate::service)
//!            everything else ──► SqlService (service.rs; arrow-flight decodes the commands)
//!   headers.rs   database from `database` | `bucket` | `bucket-name` | `iox-namespace-name`
//!   handle.rs    self-contained statement handles (database, SQL, bound parameters)
//!   params.rs    placeholders ──► parameter schema; DoPut batch ──► ParamValues
//!   plan.rs      plan_query (queries only), Flight schemas, FlightData streams, FlightInfo
//!   metadata.rs  GetCatalogs / GetDbSchemas / GetTables / GetTableTypes from the session
//!   sql_info.rs  GetSqlInfo in the spec's union schema
//! ```

mod handle;
mod headers;
mod metadata;
pub(crate) mod params;
mod plan;
mod service;
mod sql_info;

pub use handle::{HandleError, StatementHandle};
pub use headers::{DATABASE_HEADERS, database_header};
pub use metadata::TABLE_TYPES;
pub use plan::{FlightDataStream, flight_schema, plan_query, record_batch_stream};
pub use service::{CLOSE_SESSION, SqlService};
pub use sql_info::{ARROW_VERSION, SERVER_NAME, sql_info_data};
