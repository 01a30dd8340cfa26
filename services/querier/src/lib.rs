//! The querier: answers Arrow Flight queries over the Parquet files the catalog lists.
//!
//! ```text
//! EtcdArgs ──► EtcdCatalog ──► CachedCatalog (tokens, schemas from memory; file lists from etcd)
//! ObjectStoreArgs + --data-dir ──► parquet_store::object_store_from
//!   ──► query::QueryDatabase ──► flight::QueryFlightService
//!         ──► tonic Server on a TcpListener (serve) until the shutdown future resolves
//! ```
//!
//! `quiver querier` (services/quiver/src/querier.rs) binds `--bind`, calls [`connect`] and
//! [`serve`].

use std::path::Path;
use std::sync::Arc;

use catalog::{CachedCatalog, Catalog, CatalogError, EtcdCatalog};
use config::{EtcdArgs, ObjectStoreArgs};
use flight::QueryFlightService;
use parquet_store::{StoreError, object_store_from};
use query::QueryDatabase;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;

/// Why the querier could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum QuerierError {
    /// No `--etcd-endpoints`.
    #[error(
        "quiver querier needs the cluster catalog: set --etcd-endpoints (or QUIVER_ETCD_ENDPOINTS) to etcd's client URLs, e.g. http://etcd:2379"
    )]
    NoClusterCatalog,
    /// The catalog could not be opened.
    #[error("cannot open the cluster catalog: {0}")]
    Catalog(#[from] CatalogError),
    /// The object store flags are wrong.
    #[error("cannot open the object store: {0}")]
    ObjectStore(#[from] StoreError),
    /// The gRPC server failed.
    #[error("Flight server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
}

/// Opens the cluster catalog (cached, fed by etcd watches) and the object store.
pub async fn connect(
    etcd: &EtcdArgs,
    object_store: &ObjectStoreArgs,
    data_dir: Option<&Path>,
) -> Result<QueryDatabase, QuerierError> {
    if etcd.etcd_endpoints.is_empty() {
        return Err(QuerierError::NoClusterCatalog);
    }
    let store = object_store_from(object_store, data_dir)?;
    let backend = EtcdCatalog::connect(&etcd.etcd_endpoints, &etcd.etcd_prefix).await?;
    let cached = CachedCatalog::new(Arc::new(backend)).await?;
    let catalog: Arc<dyn Catalog> = Arc::new(cached);
    Ok(QueryDatabase::new(catalog, store))
}

/// Serves Arrow Flight over `db` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    db: QueryDatabase,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), QuerierError> {
    let service = QueryFlightService::new(db).into_server();
    tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), shutdown)
        .await?;
    Ok(())
}
