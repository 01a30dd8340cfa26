//! Errors of building a query session.

use catalog::CatalogError;
use datafusion::error::DataFusionError;

/// Why a query session could not be built.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The catalog failed.
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    /// DataFusion rejected the session setup.
    #[error("query engine: {0}")]
    DataFusion(#[from] DataFusionError),
}
