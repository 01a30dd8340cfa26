//! The garbage collector: deletes objects no catalog record needs any more, once a grace
//! period has passed — long enough for a query that listed a file before it was retired to
//! finish reading it.
//!
//! ```text
//! 1 retired records (compaction swaps, retention) with removed_at < now − grace
//!     ──► delete their objects (already gone is fine) ──► purge_removed_files
//! 2 soft-deleted databases with deleted_at < now − grace
//!     ──► delete every object under <db_id>/ ──► purge_database_files
//! 3 orphans: list every object, THEN read the records (live ∪ retired): an object under
//!   Quiver's layout (<db>/<table>/<key>/<uuid>.parquet) that no record names and that was
//!   last modified before now − grace (a crashed persist's or compaction's upload)
//!     ──► delete
//! ```
//!
//! Listing before reading the records means an object committed meanwhile is seen as
//! referenced; the grace period covers an upload whose commit is still in flight.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use catalog::Catalog;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::{CompactError, CompactorMetrics};

/// What one pass deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Objects of retired records deleted.
    pub replaced: u64,
    /// Objects of deleted databases deleted.
    pub deleted_database: u64,
    /// Orphaned objects deleted.
    pub orphans: u64,
}

/// One pass of the collector at `now_ns`.
pub async fn collect(
    catalog: &Arc<dyn Catalog>,
    store: &Arc<dyn ObjectStore>,
    grace: Duration,
    now_ns: i64,
    metrics: &CompactorMetrics,
) -> Result<GcReport, CompactError> {
    let grace_ns = i64::try_from(grace.as_nanos()).unwrap_or(i64::MAX);
    let horizon = now_ns.saturating_sub(grace_ns);
    let mut report = GcReport::default();

    // 1. Retired records.
    let retired: Vec<_> = catalog
        .removed_files()
        .await?
        .into_iter()
        .filter(|r| r.removed_at_ns < horizon)
        .collect();
    let mut purged = Vec::new();
    let mut bytes = 0;
    for removed in &retired {
        delete(store, &removed.record.path).await?;
        bytes += removed.record.size_bytes;
        purged.push(removed.record.object_id.clone());
    }
    if !purged.is_empty() {
        catalog.purge_removed_files(&purged).await?;
        report.replaced = purged.len() as u64;
        metrics.gc("replaced", report.replaced, bytes);
    }

    // 2. Deleted databases.
    for db in catalog.deleted_databases().await? {
        if db.deleted_at_ns.is_none_or(|at| at >= horizon) {
            continue;
        }
        let prefix = Path::from(db.id.0.to_string());
        let objects: Vec<_> = store.list(Some(&prefix)).try_collect().await?;
        let mut bytes = 0;
        for object in &objects {
            delete_path(store, &object.location).await?;
            bytes += object.size;
        }
        catalog.purge_database_files(db.id).await?;
        if !objects.is_empty() {
            report.deleted_database += objects.len() as u64;
            metrics.gc("deleted_database", objects.len() as u64, bytes);
            tracing::info!(
                database_id = db.id.0,
                objects = objects.len(),
                "deleted the data of a deleted database"
            );
        }
    }

    // 3. Orphans: list first, then read what the records name.
    let objects: Vec<_> = store.list(None).try_collect().await?;
    let mut named: HashSet<String> = catalog
        .all_parquet_files()
        .await?
        .into_iter()
        .map(|r| r.path)
        .collect();
    named.extend(
        catalog
            .removed_files()
            .await?
            .into_iter()
            .map(|r| r.record.path),
    );
    let mut bytes = 0;
    for object in objects {
        let path = object.location.to_string();
        let modified_ns = object
            .last_modified
            .timestamp_nanos_opt()
            .unwrap_or(i64::MAX);
        if named.contains(&path) || modified_ns >= horizon || !is_quiver_object(&path) {
            continue;
        }
        delete_path(store, &object.location).await?;
        bytes += object.size;
        report.orphans += 1;
    }
    if report.orphans > 0 {
        metrics.gc("orphan", report.orphans, bytes);
        tracing::info!(objects = report.orphans, "deleted orphaned objects");
    }
    Ok(report)
}

/// `<db_id>/<table_id>/<partition key>/<uuid>.parquet`: only objects of that shape are
/// Quiver's to delete (a bucket may hold other things).
fn is_quiver_object(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() == 4
        && parts[0].parse::<u64>().is_ok()
        && parts[1].parse::<u64>().is_ok()
        && !parts[2].is_empty()
        && parts[3]
            .strip_suffix(parquet_store::PARQUET_SUFFIX)
            .is_some_and(|id| {
                id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            })
}

async fn delete(store: &Arc<dyn ObjectStore>, path: &str) -> Result<(), CompactError> {
    let path = parquet_store::parse_object_path(path)?;
    delete_path(store, &path).await
}

async fn delete_path(store: &Arc<dyn ObjectStore>, path: &Path) -> Result<(), CompactError> {
    match store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::is_quiver_object;

    #[test]
    fn only_quiver_layout_objects_are_collected() {
        assert!(is_quiver_object(
            "1/2/2026-12-07/0e6f1a3c-58a2-4f43-9d57-3c0f6b1f2a10.parquet"
        ));
        assert!(!is_quiver_object(
            "backups/2/x/0e6f1a3c-58a2-4f43-9d57-3c0f6b1f2a10.parquet"
        ));
        assert!(!is_quiver_object("1/2/2026-12-07/notes.txt"));
        assert!(!is_quiver_object(
            "1/2/0e6f1a3c-58a2-4f43-9d57-3c0f6b1f2a10.parquet"
        ));
    }
}
