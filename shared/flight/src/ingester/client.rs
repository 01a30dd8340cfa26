//! `FlightIngesterClient`: the querier's [`UnpersistedSource`] for one remote ingester, over
//! one tonic `Channel` (HTTP/2, multiplexed, reconnecting) created lazily on the first query.
//!
//! ```text
//! unpersisted(request) ──► channel (Endpoint: address, connect timeout, TCP_NODELAY)
//!   ──► DoGet(encode_request) ──► decode_answer
//!   the whole exchange bounded by request.wait + settings.request_margin
//!   refused / unreachable / cut / too slow ──► Unavailable { ingester: address, message }
//!   ingester errors ──► the exact UnpersistedError (status details)
//! ```

use std::sync::OnceLock;
use std::time::Duration;

use arrow_flight::Ticket;
use arrow_flight::flight_service_client::FlightServiceClient;
use async_trait::async_trait;
use query::unpersisted::{
    UnpersistedAnswer, UnpersistedError, UnpersistedRequest, UnpersistedSource,
};
use tonic::transport::{Channel, Endpoint};

use super::decode::decode_answer;
use super::request::encode_request;
use super::status::from_status;

/// Timeouts and limits of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngesterClientSettings {
    /// Bound on establishing a connection.
    pub connect_timeout: Duration,
    /// Time allowed beyond the request's own `wait` for the whole answer to arrive.
    pub request_margin: Duration,
    /// Largest gRPC message accepted (ingesters send batches of ≤ 8 MiB, more only for
    /// single huge rows).
    pub max_message_bytes: usize,
}

impl Default for IngesterClientSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_margin: Duration::from_secs(30),
            max_message_bytes: 256 * 1024 * 1024,
        }
    }
}

/// A remote ingester's query API.
#[derive(Debug)]
pub struct FlightIngesterClient {
    address: String,
    settings: IngesterClientSettings,
    channel: OnceLock<Result<Channel, String>>,
}

impl FlightIngesterClient {
    /// A client of the ingester at `address` (`http://host:port`, as its lease publishes it).
    /// Nothing is dialled before the first query.
    pub fn new(address: impl Into<String>, settings: IngesterClientSettings) -> Self {
        Self {
            address: address.into(),
            settings,
            channel: OnceLock::new(),
        }
    }

    /// The address it dials.
    pub fn address(&self) -> &str {
        &self.address
    }

    fn unavailable(&self, message: String) -> UnpersistedError {
        UnpersistedError::Unavailable {
            ingester: self.address.clone(),
            message,
        }
    }

    /// The channel, created on first use (inside the runtime).
    fn channel(&self) -> Result<Channel, UnpersistedError> {
        let channel = self.channel.get_or_init(|| {
            Endpoint::from_shared(self.address.clone())
                .map(|endpoint| {
                    endpoint
                        .connect_timeout(self.settings.connect_timeout)
                        .tcp_nodelay(true)
                        .connect_lazy()
                })
                .map_err(|e| format!("invalid ingester address {:?}: {e}", self.address))
        });
        channel.clone().map_err(|message| self.unavailable(message))
    }

    async fn ask(
        &self,
        request: UnpersistedRequest,
    ) -> Result<UnpersistedAnswer, UnpersistedError> {
        let mut client = FlightServiceClient::new(self.channel()?)
            .max_decoding_message_size(self.settings.max_message_bytes);
        let ticket = Ticket {
            ticket: encode_request(&request),
        };
        let stream = client
            .do_get(ticket)
            .await
            .map_err(|status| from_status(&status, &self.address))?
            .into_inner();
        decode_answer(stream, &self.address).await
    }
}

#[async_trait]
impl UnpersistedSource for FlightIngesterClient {
    async fn unpersisted(
        &self,
        request: UnpersistedRequest,
    ) -> Result<UnpersistedAnswer, UnpersistedError> {
        let limit = request.wait.saturating_add(self.settings.request_margin);
        match tokio::time::timeout(limit, self.ask(request)).await {
            Ok(result) => result,
            Err(_) => Err(self.unavailable(format!("no complete answer within {limit:?}"))),
        }
    }
}
