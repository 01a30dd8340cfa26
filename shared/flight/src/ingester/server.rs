//! `IngesterFlightService`: the ingester's Flight service. `DoGet` answers a
//! `quiver.ingester.v1.UnpersistedQuery` ticket from an [`UnpersistedSource`]; every other
//! Flight method answers UNIMPLEMENTED. No authentication: the ingester port is cluster-internal
//! (like its `/metrics`).
//!
//! ```text
//! do_get(ticket) ──► request::decode_request (bad ticket ──► INVALID_ARGUMENT)
//!   ──► source.unpersisted(request) (waits for the offsets; errors ──► status::to_status)
//!   ──► AnswerEncoder (schema, batches with origins, end) ──► streamed as encoded
//! ```

use std::pin::Pin;
use std::sync::Arc;

use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo,
    HandshakeRequest, HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use futures::Stream;
use query::unpersisted::UnpersistedSource;
use tonic::{Request, Response, Status, Streaming};

use super::encode::AnswerEncoder;
use super::request::decode_request;
use super::status::to_status;

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The Flight service of an ingester.
#[derive(Debug, Clone)]
pub struct IngesterFlightService {
    source: Arc<dyn UnpersistedSource>,
}

impl IngesterFlightService {
    /// Answers from `source` (the ingester's in-process query handle).
    pub fn new(source: Arc<dyn UnpersistedSource>) -> Self {
        Self { source }
    }

    /// The tonic service (add it to a tonic server, or route it in axum).
    pub fn into_server(self) -> FlightServiceServer<Self> {
        FlightServiceServer::new(self)
    }
}

fn unimplemented<T>(method: &'static str) -> Result<T, Status> {
    Err(Status::unimplemented(format!(
        "{method} is not implemented by the Quiver ingester (DoGet with an ingester query ticket only)"
    )))
}

#[tonic::async_trait]
impl FlightService for IngesterFlightService {
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
        let query = decode_request(&request.get_ref().ticket)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let table = query.table.clone();
        let answer = self.source.unpersisted(query).await.map_err(|e| {
            tracing::debug!(error = %e, "ingester query refused");
            to_status(&e)
        })?;
        let encoder = AnswerEncoder::new(&table, answer).map_err(|e| {
            tracing::error!(error = %e, "cannot encode an ingester answer");
            Status::internal(e.to_string())
        })?;
        let messages =
            futures::stream::iter(encoder.map(|m| m.map_err(|e| Status::internal(e.to_string()))));
        Ok(Response::new(Box::pin(messages)))
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
