//! `ObjectStoreArgs` (+ the data directory) → `Arc<dyn ObjectStore>`.
//!
//! ```text
//! ObjectStoreArgs { object_store, bucket, s3_* } + data_dir
//!   ├─ flags that do not apply to the kind ──► StoreError::FlagNotApplicable
//!   ├─ file   ──► mkdir -p <data-dir>/objects ──► LocalFileSystem (staged file + rename)
//!   ├─ s3     ──► AmazonS3Builder::from_env() (AWS_* credentials) + flags (path-style)
//!   ├─ gcs    ──► GoogleCloudStorageBuilder::from_env() + bucket
//!   ├─ azure  ──► MicrosoftAzureBuilder::from_env() + container (= --bucket)
//!   └─ memory ──► InMemory
//! ```
//!
//! Every store makes an object visible all at once (a put or a completed multipart upload), so
//! a reader never sees half a Parquet file.

use std::path::Path;
use std::sync::Arc;

use config::{ObjectStoreArgs, ObjectStoreKind};
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;

use crate::StoreError;

/// Asks `store` for an object that need not exist: `Ok` when the store answers (found or not
/// found), the store's error otherwise — what readiness checks ask.
pub async fn probe(store: &dyn ObjectStore) -> Result<(), object_store::Error> {
    use object_store::ObjectStoreExt;
    match store
        .head(&object_store::path::Path::from("quiver-readiness-probe"))
        .await
    {
        Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sub-directory of `--data-dir` that holds the objects of `--object-store file`.
pub const OBJECTS_DIR: &str = "objects";

/// Builds the store the flags describe. `data_dir` is `--data-dir` (`StorageArgs`); `file`
/// stores objects under `<data_dir>/objects` (created if missing). S3, GCS and Azure take their
/// credentials from the standard environment variables of object_store's builders
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, …;
/// `GOOGLE_SERVICE_ACCOUNT`, …; `AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`, …).
///
/// `--object-store` absent → [`StoreError::MissingKind`]; `serve` first applies
/// [`ObjectStoreArgs::or_default`].
pub fn object_store_from(
    args: &ObjectStoreArgs,
    data_dir: Option<&Path>,
) -> Result<Arc<dyn ObjectStore>, StoreError> {
    let kind = args.object_store.ok_or(StoreError::MissingKind)?;
    check_flags(args, kind)?;
    match kind {
        ObjectStoreKind::File => {
            let dir = data_dir
                .ok_or(StoreError::MissingDataDir)?
                .join(OBJECTS_DIR);
            std::fs::create_dir_all(&dir).map_err(|source| StoreError::CreateDir {
                path: dir.clone(),
                source,
            })?;
            let store = LocalFileSystem::new_with_prefix(&dir)
                .map_err(|source| StoreError::Configure { kind, source })?
                .with_automatic_cleanup(true);
            Ok(Arc::new(store))
        }
        ObjectStoreKind::S3 => s3_store(args, AmazonS3Builder::from_env()),
        ObjectStoreKind::Gcs => {
            let bucket = bucket(args, kind)?;
            let store = GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|source| StoreError::Configure { kind, source })?;
            Ok(Arc::new(store))
        }
        ObjectStoreKind::Azure => {
            let container = bucket(args, kind)?;
            let store = MicrosoftAzureBuilder::from_env()
                .with_container_name(container)
                .build()
                .map_err(|source| StoreError::Configure { kind, source })?;
            Ok(Arc::new(store))
        }
        ObjectStoreKind::Memory => Ok(Arc::new(InMemory::new())),
    }
}

/// Builds an S3 store from the S3 flags on top of `base` (`AmazonS3Builder::from_env()` in
/// production; tests pass explicit credentials). With `--s3-endpoint`, requests use path-style
/// addressing (`http://endpoint/bucket/key`), which S3-compatible servers expect.
pub fn s3_store(
    args: &ObjectStoreArgs,
    base: AmazonS3Builder,
) -> Result<Arc<dyn ObjectStore>, StoreError> {
    let kind = ObjectStoreKind::S3;
    let mut builder = base
        .with_bucket_name(bucket(args, kind)?)
        .with_allow_http(args.s3_allow_http);
    if let Some(endpoint) = &args.s3_endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false);
    }
    if let Some(region) = &args.s3_region {
        builder = builder.with_region(region);
    }
    let store = builder
        .build()
        .map_err(|source| StoreError::Configure { kind, source })?;
    Ok(Arc::new(store))
}

fn bucket(args: &ObjectStoreArgs, kind: ObjectStoreKind) -> Result<&str, StoreError> {
    args.bucket
        .as_deref()
        .filter(|b| !b.is_empty())
        .ok_or(StoreError::MissingBucket { kind })
}

/// Rejects flags the chosen kind would silently ignore.
fn check_flags(args: &ObjectStoreArgs, kind: ObjectStoreKind) -> Result<(), StoreError> {
    let is_s3 = kind == ObjectStoreKind::S3;
    let has_bucket = matches!(
        kind,
        ObjectStoreKind::S3 | ObjectStoreKind::Gcs | ObjectStoreKind::Azure
    );
    let not_applicable = |flag, applies_to| StoreError::FlagNotApplicable {
        flag,
        applies_to,
        kind,
    };
    if args.bucket.is_some() && !has_bucket {
        return Err(not_applicable("--bucket", "s3, gcs or azure"));
    }
    if args.s3_endpoint.is_some() && !is_s3 {
        return Err(not_applicable("--s3-endpoint", "s3"));
    }
    if args.s3_region.is_some() && !is_s3 {
        return Err(not_applicable("--s3-region", "s3"));
    }
    if args.s3_allow_http && !is_s3 {
        return Err(not_applicable("--s3-allow-http", "s3"));
    }
    Ok(())
}
