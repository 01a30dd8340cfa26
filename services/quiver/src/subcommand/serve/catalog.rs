//! The catalog of `quiver serve`: on disk in the data directory (or in memory without one),
//! read through the watch-fed cache, with the operator token bootstrap.
//!
//! ```text
//! --data-dir DIR ──► DiskCatalog::open(DIR/catalog)  (locked while serve runs)  ─┐
//! no --data-dir  ──► MemCatalog                                                  ├─► CachedCatalog
//! --operator-token T ──► ensure_operator_token(T)   (by hash, idempotent across restarts)
//! no token, no active operator token stored ──► generate, store by hash, print once on stdout
//! no token, an active operator token stored ──► say so on stdout (how to create another)
//! ```

use std::path::Path;
use std::sync::Arc;

use auth::{Token, generate_token};
use catalog::{CachedCatalog, Catalog, DiskCatalog, MemCatalog, ensure_operator_token};
use config::CommonArgs;

use crate::common::RunError;

/// The catalog directory inside `--data-dir`.
pub(super) const CATALOG_DIR: &str = "catalog";

/// Opens `serve`'s catalog and makes sure an operator token exists.
pub(super) async fn open(common: &CommonArgs) -> Result<Arc<dyn Catalog>, RunError> {
    let data_dir = common.storage.data_dir.as_deref();
    let backend: Arc<dyn Catalog> = match data_dir {
        Some(dir) => {
            let dir = dir.join(CATALOG_DIR);
            let disk = DiskCatalog::open(&dir).map_err(|source| RunError::EmbeddedCatalog {
                path: dir.clone(),
                source,
            })?;
            tracing::info!(dir = %dir.display(), "catalog on local disk");
            Arc::new(disk)
        }
        None => {
            tracing::info!("catalog in memory (no --data-dir): nothing survives a restart");
            Arc::new(MemCatalog::new())
        }
    };
    let cache = CachedCatalog::new(backend)
        .await
        .map_err(|source| RunError::EmbeddedCatalog {
            path: data_dir.map_or_else(|| "memory".into(), |d| d.join(CATALOG_DIR)),
            source,
        })?;
    let catalog: Arc<dyn Catalog> = Arc::new(cache);
    bootstrap(
        catalog.as_ref(),
        common.auth.operator_token.as_deref(),
        data_dir,
    )
    .await?;
    Ok(catalog)
}

async fn bootstrap(
    catalog: &dyn Catalog,
    configured: Option<&str>,
    data_dir: Option<&Path>,
) -> Result<(), RunError> {
    if let Some(value) = configured {
        let record = ensure_operator_token(catalog, value).await?;
        if record.revoked {
            println!(
                "warning: the configured operator token (id {}) is revoked; it authenticates nothing",
                record.id.0
            );
        }
        return Ok(());
    }
    let existing = catalog
        .list_tokens()
        .await?
        .into_iter()
        .find(|t| t.operator && !t.revoked);
    if let Some(existing) = existing {
        let dir = data_dir.map_or_else(|| "DIR".to_owned(), |d| d.display().to_string());
        println!(
            "an operator token already exists in the catalog (id {}, {:?}); it is not shown again.",
            existing.id.0, existing.description
        );
        println!(
            "to create another: POST /api/v2/authorizations with an operator token, or stop the server and run `quiver admin token create --operator --data-dir {dir}`"
        );
        return Ok(());
    }
    let token: Token = generate_token();
    ensure_operator_token(catalog, token.expose()).await?;
    // Printed once, on stdout only; never logged.
    println!("operator token: {}", token.expose());
    println!(
        "(generated because --operator-token / QUIVER_OPERATOR_TOKEN is not set and the catalog holds none; it is shown only now — save it)"
    );
    Ok(())
}
