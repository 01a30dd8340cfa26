//! `QueryFlightService`: the one Arrow Flight service of the querier. `DoGet` with a JSON
//! ticket runs the influxdb3 client libraries' query; everything else is Flight SQL, served by
//! [`SqlService`].
//!
//! ```text
//! do_get(ticket, metadata)
//!   ├─ ticket = protobuf Any of an arrow.flight.protocol.sql.* message ──► SqlService
//!   └─ anything else is a JSON ticket:
//!        QueryTicket::decode ──► authorize(Read, db) ──► catalog.database_by_name
//!        ──► influxql? influxql::execute (InfluxQL executor, iox::measurement column)
//!        ──► QueryDatabase::session ──► plan_query (queries only: no DDL/DML/SET)
//!            ──► with_param_values($name params) ──► execute_stream
//!        (logged in system.queries from planning to the stream's end: logged.rs)
//!        ──► FlightDataEncoder (schema message first, even for empty results; tags hydrated
//!            to Utf8, field metadata iox::column::type kept)
//! get_flight_info / do_put: cmd must be a Flight SQL Any (else INVALID_ARGUMENT) ──► SqlService
//!   (a Flight SQL message that does not decode ──► INVALID_ARGUMENT, not arrow-flight's INTERNAL)
//! handshake / do_action ──► SqlService; list_actions: the three actions Quiver answers
//! list_flights / poll_flight_info / get_schema / do_exchange ──► UNIMPLEMENTED
//! ```

use std::pin::Pin;
use std::sync::Arc;

use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::sql::Any;
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo,
    HandshakeRequest, HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use catalog::DatabaseName;
use datafusion::common::ParamValues;
use datafusion::common::metadata::ScalarAndMetadata;
use datafusion::execution::SendableRecordBatchStream;
use futures::Stream;
use prost::Message;
use query::QueryDatabase;
use query::system::QueryType as LoggedType;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status, Streaming};

use crate::logged::execute_logged;
use crate::sql::{CLOSE_SESSION, SqlService, params, plan_query, record_batch_stream};
use crate::{QueryServiceError, QueryTicket, QueryType, TicketError, authenticate, authorize};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The `type_url` prefix of every Flight SQL message.
const FLIGHT_SQL_TYPE_PREFIX: &str = "type.googleapis.com/arrow.flight.protocol.sql.";

/// The Flight service over a [`QueryDatabase`]: JSON tickets and Flight SQL.
#[derive(Debug, Clone)]
pub struct QueryFlightService {
    db: QueryDatabase,
    sql: SqlService,
    /// Where InfluxQL tickets' SELECT INTO writes (`None`: SELECT INTO fails).
    points_writer: Option<Arc<dyn influxql_query::PointsWriter>>,
}

impl QueryFlightService {
    /// Serves queries over `db`'s catalog and object store.
    pub fn new(db: QueryDatabase) -> Self {
        let sql = SqlService::new(db.clone());
        Self {
            db,
            sql,
            points_writer: None,
        }
    }

    /// InfluxQL tickets' SELECT INTO writes with `writer`.
    pub fn with_points_writer(
        mut self,
        writer: Option<Arc<dyn influxql_query::PointsWriter>>,
    ) -> Self {
        self.points_writer = writer;
        self
    }

    /// The tonic service to add to a `tonic::transport::Server`.
    pub fn into_server(self) -> FlightServiceServer<Self> {
        FlightServiceServer::new(self)
    }

    /// Decodes, authorizes and starts the query of a JSON `DoGet` ticket.
    pub async fn execute_ticket(
        &self,
        metadata: &MetadataMap,
        ticket: &[u8],
    ) -> Result<SendableRecordBatchStream, QueryServiceError> {
        let ticket = QueryTicket::decode(ticket).map_err(|e| match e {
            TicketError::UnknownQueryType(_) => QueryServiceError::UnknownQueryType(e),
            _ => QueryServiceError::InvalidTicket(e),
        })?;
        let catalog = self.db.catalog();
        authorize(catalog.as_ref(), metadata, &ticket.database).await?;
        let name = DatabaseName::new(ticket.database.as_str())
            .map_err(QueryServiceError::InvalidDatabaseName)?;
        let database = catalog
            .database_by_name(&name)
            .await?
            .ok_or_else(|| QueryServiceError::DatabaseNotFound(ticket.database.clone()))?;
        if ticket.query_type == QueryType::InfluxQl {
            return crate::influxql::execute(
                &self.db,
                self.points_writer.clone(),
                metadata,
                &ticket,
            )
            .await;
        }
        let planning = async {
            let ctx = self.db.session(&database).await?;
            let mut frame = plan_query(&ctx, &ticket.sql_query).await?;
            let placeholders = params::placeholders(frame.logical_plan())?;
            params::check_all_bound(
                &placeholders,
                |id| ticket.params.contains_key(id.trim_start_matches('$')),
                "add it to the ticket's \"params\" (named $name placeholders only)",
            )?;
            if !ticket.params.is_empty() {
                let params = ticket
                    .params
                    .iter()
                    .map(|(name, value)| {
                        (name.clone(), ScalarAndMetadata::new(value.clone(), None))
                    })
                    .collect();
                frame = frame.with_param_values(ParamValues::Map(params))?;
            }
            Ok(frame)
        };
        execute_logged(
            &self.db,
            &database,
            LoggedType::Sql,
            &ticket.sql_query,
            metadata,
            planning,
        )
        .await
    }
}

/// True when `bytes` are a protobuf `Any` holding a Flight SQL message. A JSON ticket never
/// is: its first byte `{` is not a valid protobuf field key of `Any`.
fn is_flight_sql(bytes: &[u8]) -> bool {
    Any::decode(bytes).is_ok_and(|any| any.type_url.starts_with(FLIGHT_SQL_TYPE_PREFIX))
}

fn check_descriptor(descriptor: &FlightDescriptor) -> Result<(), Status> {
    if is_flight_sql(&descriptor.cmd) {
        return Ok(());
    }
    Err(QueryServiceError::InvalidCommand(
        "the FlightDescriptor's cmd must be a protobuf Any holding a Flight SQL command \
         (arrow.flight.protocol.sql.*); plain SQL goes in CommandStatementQuery"
            .to_string(),
    )
    .into())
}

/// arrow-flight's Flight SQL dispatch answers a command or action whose protobuf does not
/// decode (a known `type_url` around bytes that are not that message) with INTERNAL and the
/// Arrow error's debug text; it is the client's request that is wrong: INVALID_ARGUMENT.
fn undecodable_is_invalid(status: Status) -> Status {
    const PREFIX: &str = "ParseError(\"Unable to decode";
    if status.code() != tonic::Code::Internal || !status.message().starts_with(PREFIX) {
        return status;
    }
    let detail = status
        .message()
        .trim_start_matches("ParseError(\"")
        .trim_end_matches("\")");
    QueryServiceError::InvalidCommand(detail.to_string()).into()
}

fn unimplemented<T>(method: &'static str) -> Result<T, Status> {
    Err(QueryServiceError::Unimplemented(method).into())
}

#[tonic::async_trait]
impl FlightService for QueryFlightService {
    type HandshakeStream = BoxStream<HandshakeResponse>;
    type ListFlightsStream = BoxStream<FlightInfo>;
    type DoGetStream = BoxStream<FlightData>;
    type DoPutStream = BoxStream<PutResult>;
    type DoExchangeStream = BoxStream<FlightData>;
    type DoActionStream = BoxStream<arrow_flight::Result>;
    type ListActionsStream = BoxStream<ActionType>;

    async fn do_get(
        &self,
        request: Request<Ticket>,
    ) -> Result<Response<Self::DoGetStream>, Status> {
        if is_flight_sql(&request.get_ref().ticket) {
            return FlightService::do_get(&self.sql, request)
                .await
                .map_err(undecodable_is_invalid);
        }
        let stream = self
            .execute_ticket(request.metadata(), &request.get_ref().ticket)
            .await
            .map_err(|e| {
                tracing::debug!(error = %e, "DoGet rejected");
                Status::from(e)
            })?;
        Ok(Response::new(record_batch_stream(stream)))
    }

    async fn handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        FlightService::handshake(&self.sql, request).await
    }

    async fn list_flights(
        &self,
        _request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        unimplemented("ListFlights")
    }

    async fn get_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        check_descriptor(request.get_ref())?;
        FlightService::get_flight_info(&self.sql, request)
            .await
            .map_err(undecodable_is_invalid)
    }

    async fn poll_flight_info(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        unimplemented("PollFlightInfo")
    }

    async fn get_schema(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        unimplemented("GetSchema")
    }

    async fn do_put(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        FlightService::do_put(&self.sql, request)
            .await
            .map_err(undecodable_is_invalid)
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        unimplemented("DoExchange")
    }

    async fn do_action(
        &self,
        request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        FlightService::do_action(&self.sql, request)
            .await
            .map_err(undecodable_is_invalid)
    }

    async fn list_actions(
        &self,
        request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        authenticate(self.db.catalog().as_ref(), request.metadata())
            .await
            .map_err(Status::from)?;
        let actions = [
            (
                "CreatePreparedStatement",
                "Creates a prepared statement (Flight SQL). Request: ActionCreatePreparedStatementRequest; response: ActionCreatePreparedStatementResult",
            ),
            (
                "ClosePreparedStatement",
                "Closes a prepared statement (Flight SQL). Request: ActionClosePreparedStatementRequest",
            ),
            (
                CLOSE_SESSION,
                "Closes the client session (Quiver keeps no session state). Response: CloseSessionResult",
            ),
        ]
        .map(|(r#type, description)| {
            Ok(ActionType {
                r#type: r#type.to_string(),
                description: description.to_string(),
            })
        });
        Ok(Response::new(Box::pin(futures::stream::iter(actions))))
    }
}
