//! Planning and streaming shared by the JSON-ticket path and Flight SQL.
//!
//! ```text
//! plan_query(ctx, sql) ──► nesting bound (query::nesting: deeper ──► INVALID_ARGUMENT, before
//!   any tree is built) ──► ctx.sql_with_options (queries only: no DDL, DML or SET)
//!   (parse / plan errors ──► INVALID_ARGUMENT with DataFusion's message)
//! flight_schema(schema) ──► the schema clients receive: dictionary tags hydrated to their
//!   value type, field metadata (iox::column::type) kept
//! record_batch_stream / one_batch ──► FlightDataEncoder (schema message first, even when no
//!   rows follow) ──► DoGet stream; execution errors ──► their gRPC status
//! flight_info(schema, descriptor, ticket) ──► one endpoint, no location (same server)
//! ```

use std::pin::Pin;
use std::sync::Arc;

use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::{
    FlightData, FlightDescriptor, FlightEndpoint, FlightInfo, IpcMessage, SchemaAsIpc, Ticket,
};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::ipc::writer::IpcWriteOptions;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::prelude::{DataFrame, SQLOptions, SessionContext};
use futures::{Stream, TryStreamExt};
use query::nesting::{MAX_SQL_NESTING, check_sql_nesting};
use tonic::Status;

use crate::{QueryServiceError, datafusion_error_to_status};

/// A stream of Flight data as tonic wants it.
pub type FlightDataStream = Pin<Box<dyn Stream<Item = Result<FlightData, Status>> + Send>>;

/// Plans `sql` in `ctx`; only queries are allowed.
pub async fn plan_query(ctx: &SessionContext, sql: &str) -> Result<DataFrame, QueryServiceError> {
    check_sql_nesting(sql, MAX_SQL_NESTING)?;
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    Ok(ctx.sql_with_options(sql, options).await?)
}

/// The schema a client receives for `schema`'s batches over Flight.
pub fn flight_schema(schema: &Schema) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Dictionary(_, values) => f.as_ref().clone().with_data_type(*values.clone()),
            _ => f.as_ref().clone(),
        })
        .collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// Streams a query's batches as Flight data.
pub fn record_batch_stream(stream: SendableRecordBatchStream) -> FlightDataStream {
    let schema = stream.schema();
    let batches = stream.map_err(|e| FlightError::Tonic(Box::new(datafusion_error_to_status(&e))));
    let flight = FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(batches)
        .map_err(Status::from);
    Box::pin(flight)
}

/// Streams one batch (a metadata answer) as Flight data.
pub(super) fn one_batch(batch: RecordBatch) -> FlightDataStream {
    let schema: SchemaRef = batch.schema();
    let flight = FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(futures::stream::iter([Ok(batch)]))
        .map_err(Status::from);
    Box::pin(flight)
}

/// A `FlightInfo` whose single endpoint is `ticket` on this server.
pub(super) fn flight_info(
    schema: &Schema,
    descriptor: FlightDescriptor,
    ticket: impl Into<bytes::Bytes>,
) -> Result<FlightInfo, QueryServiceError> {
    let endpoint = FlightEndpoint::new().with_ticket(Ticket {
        ticket: ticket.into(),
    });
    Ok(FlightInfo::new()
        .try_with_schema(schema)?
        .with_descriptor(descriptor)
        .with_endpoint(endpoint)
        .with_total_records(-1)
        .with_total_bytes(-1))
}

/// `schema` as the IPC message Flight SQL puts in `dataset_schema` / `parameter_schema`.
pub(super) fn schema_bytes(schema: &Schema) -> Result<bytes::Bytes, QueryServiceError> {
    let IpcMessage(bytes) = SchemaAsIpc::new(schema, &IpcWriteOptions::default()).try_into()?;
    Ok(bytes)
}

/// The Flight schema of a planned query.
pub(super) fn frame_schema(frame: &DataFrame) -> Arc<Schema> {
    Arc::new(flight_schema(frame.schema().as_arrow()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn hydrates_dictionaries_and_keeps_metadata() {
        let meta = HashMap::from([(
            "iox::column::type".to_string(),
            "iox::column_type::tag".to_string(),
        )]);
        let schema = Schema::new(vec![
            Field::new(
                "host",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                true,
            )
            .with_metadata(meta.clone()),
            Field::new("usage", DataType::Float64, true),
        ]);
        let out = flight_schema(&schema);
        assert_eq!(out.field(0).data_type(), &DataType::Utf8);
        assert_eq!(out.field(0).metadata(), &meta);
        assert_eq!(out.field(1), schema.field(1));
    }

    #[tokio::test]
    async fn only_queries_are_planned() {
        let ctx = SessionContext::new();
        assert!(plan_query(&ctx, "SELECT 1").await.is_ok());
        for sql in [
            "CREATE TABLE t AS SELECT 1",
            "SET datafusion.execution.batch_size = 1",
        ] {
            let err = plan_query(&ctx, sql).await.unwrap_err();
            assert_eq!(
                Status::from(err).code(),
                tonic::Code::InvalidArgument,
                "{sql}"
            );
        }
    }
}
