//! The conformance suite every [`Catalog`] backend must pass. Each check panics with a message
//! naming the broken rule. Call [`run`] from the backend's tests with a fresh, empty catalog,
//! on a multi-threaded runtime (`#[tokio::test(flavor = "multi_thread")]`): the concurrency
//! checks spawn tasks.
//!
//! ```text
//! run ──► databases (CRUD, update, soft delete, name reuse, creation race)
//!     ──► schema    (additive, atomic, limits, concurrent conflicting upserts)
//!     ──► tokens    (create, lookups, update, revoke, delete)
//!     ──► feed      (snapshot contents, watch order/content/promptness, replay after a revision)
//!     ──► write_path (persist CAS, file grouping, offsets, ingester leases)
//!     ──► dbrps     (create, default rule, filters, update, delete, deleted databases, the v1
//!                    resolution rule, feed, limit, races)
//!     ──► files     (write order, file swaps and their refusals, the largest swaps, races,
//!                    retired records and their purge, deleted databases' files)
//! ```
//!
//! Nothing here relies on one backend's details: ids are opaque, revisions only increase (and
//! may skip values), lease expiry is checked with TTLs of whole seconds and bounded waits.

// A test suite: a failed `unwrap`/`expect` is its report (behind the `testing` feature only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod databases;
mod dbrps;
mod feed;
mod files;
mod schema;
mod tokens;
mod write_path;

use std::sync::Arc;

use crate::{Catalog, DatabaseName};

/// Runs every check against `catalog`, which must start empty.
pub async fn run(catalog: Arc<dyn Catalog>) {
    databases::run(Arc::clone(&catalog)).await;
    schema::run(Arc::clone(&catalog)).await;
    tokens::run(catalog.as_ref()).await;
    feed::run(catalog.as_ref()).await;
    write_path::run(Arc::clone(&catalog)).await;
    dbrps::run(Arc::clone(&catalog)).await;
    files::run(catalog).await;
}

fn name(s: &str) -> DatabaseName {
    DatabaseName::new(s).expect("conformance names are valid")
}
