//! The in-memory engine against the conformance suite.

use std::sync::Arc;

use super::MemCatalog;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_conformance_suite() {
    crate::conformance::run(Arc::new(MemCatalog::new())).await;
}
