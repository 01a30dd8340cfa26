//! The DataFusion side shared by every system table: a `SystemTable` builds its rows when it is
//! scanned; `SystemTableProvider` turns them into an in-memory scan.
//!
//! ```text
//! planner ──► SystemTableProvider::scan(projection, filters)
//!               ├─ table.rows(filters)     (reads the catalog / query log NOW, not earlier)
//!               └─ MemorySourceConfig([[batch]], schema, projection) ──► DataSourceExec
//! every filter is pushed down as Inexact: a table may use it to read less (e.g.
//! `table_name = 'cpu'`), DataFusion re-applies all of them on the rows
//! ```

use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

/// One system table: a fixed schema and rows built on demand.
#[async_trait]
pub(super) trait SystemTable: Debug + Send + Sync + 'static {
    /// The table's schema (never changes).
    fn schema(&self) -> SchemaRef;

    /// Every row of the table as of now; `filters` are hints (all re-applied by DataFusion).
    async fn rows(&self, filters: &[Expr]) -> Result<RecordBatch>;
}

/// A [`SystemTable`] as a DataFusion table.
#[derive(Debug)]
pub(super) struct SystemTableProvider<T>(pub(super) T);

#[async_trait]
impl<T: SystemTable> TableProvider for SystemTableProvider<T> {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }

    fn table_type(&self) -> TableType {
        // As IOx and InfluxDB 3 list their system tables in information_schema.
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batch = self.0.rows(filters).await?;
        let exec =
            MemorySourceConfig::try_new_exec(&[vec![batch]], self.0.schema(), projection.cloned())?;
        Ok(exec)
    }
}
