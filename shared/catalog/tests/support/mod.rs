//! A backend that can be switched "down" — every call fails with `Unavailable` and open watch
//! streams end with an error, as when etcd is unreachable — and counts the calls it receives:
//! `catalog::testing::FaultyCatalog` over a `MemCatalog`.

use std::sync::Arc;

use catalog::testing::{FaultyCatalog, Method};
use catalog::{CatalogError, MemCatalog};

#[derive(Debug)]
pub(crate) struct Switch {
    pub catalog: Arc<FaultyCatalog>,
}

impl Switch {
    pub(crate) fn new(inner: Arc<MemCatalog>) -> Self {
        Self {
            catalog: Arc::new(FaultyCatalog::new(inner)),
        }
    }

    pub(crate) fn set_down(&self, down: bool) {
        if down {
            self.catalog.fail_all(CatalogError::Unavailable(
                "switched down by the test".into(),
            ));
        } else {
            self.catalog.heal();
        }
    }

    /// Calls received so far (failed ones included), except the feed's `snapshot` and `watch`.
    pub(crate) fn calls(&self) -> usize {
        self.catalog.calls_where(|m: Method| !m.is_feed())
    }
}
