//! Backends that fail, to reach the 5xx rows of the error tables.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use catalog::testing::FaultyCatalog;
use catalog::{CatalogError, LogPartition, MemCatalog};
use write_log::{LogPosition, LogWrite, WriteLog, WriteLogError};

/// A catalog on which every call fails with `error`.
pub(crate) fn failing_catalog(error: CatalogError) -> FaultyCatalog {
    let catalog = FaultyCatalog::new(Arc::new(MemCatalog::new()));
    catalog.fail_all(error);
    catalog
}

/// Every append fails with the same error.
#[derive(Debug)]
pub(crate) struct FailingLog(pub WriteLogError);

#[async_trait]
impl WriteLog for FailingLog {
    fn partition_count(&self) -> u32 {
        1
    }
    async fn append(&self, _: LogPartition, _: LogWrite) -> Result<LogPosition, WriteLogError> {
        Err(self.0.clone())
    }
    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, WriteLogError> {
        Err(self.0.clone())
    }
    async fn flush(&self) -> Result<(), WriteLogError> {
        Ok(())
    }
}
