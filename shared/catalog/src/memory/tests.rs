//! The in-memory engine against the conformance suite.

use std::sync::Arc;

use super::MemCatalog;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_conformance_suite() {
    crate::conformance::run(Arc::new(MemCatalog::new())).await;
}

#[tokio::test]
async fn a_watch_older_than_the_history_fails_so_the_caller_reloads() {
    use futures::StreamExt;

    use crate::{Catalog, DatabaseName, DatabaseOptions};

    let catalog = MemCatalog::new();
    for i in 0..4100 {
        let name = DatabaseName::new(format!("db_{i}")).unwrap();
        catalog
            .create_database(&name, DatabaseOptions::default())
            .await
            .unwrap();
    }
    let mut stale = catalog.watch(0).await.unwrap();
    let err = stale.next().await.unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "catalog unavailable: catalog change history no longer reaches back to revision 0; reload a snapshot"
    );
    assert!(
        stale.next().await.is_none(),
        "the stream ends after the error"
    );

    let revision = catalog.snapshot().await.unwrap().revision;
    let mut recent = catalog.watch(revision - 10).await.unwrap();
    for expected in revision - 9..=revision {
        let change = recent.next().await.unwrap().unwrap();
        assert_eq!(change.revision(), expected);
    }
}
