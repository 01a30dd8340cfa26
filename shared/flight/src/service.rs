//! `QueryFlightService`: the Arrow Flight service of the querier. `DoGet` runs the ticket's SQL;
//! every other Flight method answers UNIMPLEMENTED (Flight SQL comes later).
//!
//! ```text
//! do_get(ticket, metadata)
//!   ──► QueryTicket::decode ──► authorize(Read, db) ──► catalog.database_by_name
//!   ──► influxql? UNIMPLEMENTED
//!   ──► QueryDatabase::session ──► sql_with_options (queries only: no DDL/DML/SET)
//!       ──► with_param_values($name params) ──► execute_stream
//!   ──► FlightDataEncoder (schema message first, even for empty results; tags hydrated to
//!       Utf8, field metadata iox::column::type kept)
//! ```

use std::pin::Pin;

use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo,
    HandshakeRequest, HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use catalog::DatabaseName;
use datafusion::common::ParamValues;
use datafusion::common::metadata::ScalarAndMetadata;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::prelude::SQLOptions;
use futures::{Stream, TryStreamExt};
use query::QueryDatabase;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status, Streaming};

use crate::{
    QueryServiceError, QueryTicket, QueryType, TicketError, authorize, datafusion_error_to_status,
};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The Flight service over a [`QueryDatabase`].
#[derive(Debug, Clone)]
pub struct QueryFlightService {
    db: QueryDatabase,
}

impl QueryFlightService {
    /// Serves queries over `db`'s catalog and object store.
    pub fn new(db: QueryDatabase) -> Self {
        Self { db }
    }

    /// The tonic service to add to a `tonic::transport::Server`.
    pub fn into_server(self) -> FlightServiceServer<Self> {
        FlightServiceServer::new(self)
    }

    /// Decodes, authorizes and starts the query of a `DoGet` ticket.
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
            return Err(QueryServiceError::InfluxQlNotImplemented);
        }
        let ctx = self.db.session(&database).await?;
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let mut frame = ctx.sql_with_options(&ticket.sql_query, options).await?;
        if !ticket.params.is_empty() {
            let params = ticket
                .params
                .into_iter()
                .map(|(name, value)| (name, ScalarAndMetadata::new(value, None)))
                .collect();
            frame = frame.with_param_values(ParamValues::Map(params))?;
        }
        Ok(frame.execute_stream().await?)
    }
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
        let stream = self
            .execute_ticket(request.metadata(), &request.get_ref().ticket)
            .await
            .map_err(|e| {
                tracing::debug!(error = %e, "DoGet rejected");
                Status::from(e)
            })?;
        let schema = stream.schema();
        let batches =
            stream.map_err(|e| FlightError::Tonic(Box::new(datafusion_error_to_status(&e))));
        let flight = FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(batches)
            .map_err(Status::from);
        Ok(Response::new(Box::pin(flight)))
    }

    async fn handshake(
        &self,
        _request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        unimplemented("Handshake")
    }

    async fn list_flights(
        &self,
        _request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        unimplemented("ListFlights")
    }

    async fn get_flight_info(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        unimplemented("GetFlightInfo")
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
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        unimplemented("DoPut")
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        unimplemented("DoExchange")
    }

    async fn do_action(
        &self,
        _request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        unimplemented("DoAction")
    }

    async fn list_actions(
        &self,
        _request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        unimplemented("ListActions")
    }
}
