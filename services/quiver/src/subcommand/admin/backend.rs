//! Which catalog `quiver admin` talks to: the cluster's etcd, or the on-disk catalog in the
//! data directory of a stopped `quiver serve`.
//!
//! ```text
//! --etcd-endpoints URL… [--etcd-prefix P] ──► EtcdCatalog::connect
//! --data-dir DIR                          ──► DiskCatalog::open(DIR/catalog)
//!                                               └─ locked by `serve` ──► CatalogInUse (use HTTP)
//! neither / both                          ──► NoCatalog / TwoCatalogs
//! ```

use std::sync::Arc;

use catalog::{Catalog, CatalogError, DiskCatalog, EtcdCatalog};
use config::AdminTarget;

use super::error::AdminError;

/// Opens the catalog `target` names.
pub(super) async fn open(target: &AdminTarget) -> Result<Arc<dyn Catalog>, AdminError> {
    let etcd = &target.etcd;
    match (&target.storage.data_dir, etcd.etcd_endpoints.is_empty()) {
        (None, true) => Err(AdminError::NoCatalog),
        (Some(_), false) => Err(AdminError::TwoCatalogs),
        (None, false) => {
            let catalog = EtcdCatalog::connect(&etcd.etcd_endpoints, &etcd.etcd_prefix).await?;
            Ok(Arc::new(catalog))
        }
        (Some(dir), true) => {
            let dir = dir.join("catalog");
            match DiskCatalog::open(&dir) {
                Ok(catalog) => Ok(Arc::new(catalog)),
                // The one "unavailable" answer of `open`: the directory lock is held.
                Err(CatalogError::Unavailable(_)) => Err(AdminError::CatalogInUse { dir }),
                Err(e) => Err(e.into()),
            }
        }
    }
}
