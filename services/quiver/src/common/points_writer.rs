//! SELECT INTO's points writer for `quiver serve` and `quiver querier`: InfluxQL's points as
//! line protocol through the router's write pipeline ([`router::LineWriter`]).
//!
//! ```text
//! influxql_query::Executor (SELECT … INTO, target resolved + WRITE authorized)
//!   ──► IntoWriter::write_points ──► influxql_query::line_protocol (ns timestamps)
//!   ──► router::LineWriter::write: convert ──► retention ──► schema upsert ──► shard
//!       ──► WriteLog (serve: the embedded log; querier: the cluster's Kafka topic)
//!   a schema conflict of two field types ──► 1.x's "field type conflict" text
//! ```
//!
//! It lives here, where both crates are linked anyway, so the querier does not depend on the
//! router nor the router on the InfluxQL executor (DataFusion).

use std::sync::Arc;

use catalog::{Catalog, CatalogError, Database};
use influxql_query::{Point, PointsWriter, WritePointsError, line_protocol};
use router::{LineWriter, WriteError};
use write_log::WriteLog;

/// Writes SELECT INTO's points into the cluster as `POST /write` would.
#[derive(Debug)]
pub(crate) struct IntoWriter {
    writer: LineWriter,
}

impl IntoWriter {
    /// A writer into `catalog`'s databases through `log`, ready to hand to the executors.
    pub(crate) fn shared(
        catalog: Arc<dyn Catalog>,
        log: Arc<dyn WriteLog>,
    ) -> Arc<dyn PointsWriter> {
        Arc::new(Self {
            writer: LineWriter::new(catalog, log),
        })
    }
}

#[async_trait::async_trait]
impl PointsWriter for IntoWriter {
    async fn write_points(
        &self,
        database: &Database,
        points: &[Point],
    ) -> Result<(), WritePointsError> {
        match self.writer.write(database, line_protocol(points)).await {
            Ok(_) => Ok(()),
            Err(WriteError::Catalog(
                ref e @ CatalogError::SchemaConflict {
                    ref table,
                    ref column,
                    existing,
                    write,
                },
            )) => Err(WritePointsError::schema_conflict(
                table,
                column,
                existing,
                write,
                e.to_string(),
            )),
            Err(e) => Err(WritePointsError::Other(e.to_string())),
        }
    }
}
