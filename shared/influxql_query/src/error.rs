//! Why a statement failed. Every variant ends as the statement's `error` text in the v1 answer.
//!
//! ```text
//! 1.x's own statement errors ──► Statement(text, word for word)
//! where 1.x panics ──► Panic(Go's runtime error text)
//! catalog / DataFusion / Arrow failures ──► their own variants (text from the source)
//! ```

use thiserror::Error;

/// A statement's failure.
#[derive(Debug, Error)]
pub enum ExecError {
    /// A 1.x statement error (its text exactly as 1.x words it).
    #[error("{0}")]
    Statement(String),
    /// The query layer failed (session setup, catalog).
    #[error("{0}")]
    Query(#[from] query::QueryError),
    /// The catalog failed.
    #[error("{0}")]
    Catalog(#[from] catalog::CatalogError),
    /// DataFusion failed while reading data.
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow failed while converting data.
    #[error("{0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Where 1.x's query panics (its text, e.g. Go's runtime error): 1.x answers a result with
    /// `statement_id: -1` whose error is the query's text followed by ` [panic:<text>]`, and
    /// runs no later statement (`query/executor.go`, `executeQuery`'s recover).
    #[error("{0}")]
    Panic(String),
    /// A broken invariant.
    #[error("internal error: {0}")]
    Internal(String),
}
