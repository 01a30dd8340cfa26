//! Where Parquet files live: the `--object-store` block of ingesters and queriers
//! (and `serve`).
//!
//! ```text
//! --object-store file|s3|gcs|azure|memory   (QUIVER_OBJECT_STORE)
//!   file   ──► <--data-dir>/objects            (--data-dir is StorageArgs' flag)
//!   s3     ──► --bucket, --s3-endpoint, --s3-region, --s3-allow-http; credentials from AWS_*
//!   gcs    ──► --bucket; credentials from GOOGLE_* (object_store's GoogleCloudStorageBuilder)
//!   azure  ──► --bucket (the container); credentials from AZURE_* (MicrosoftAzureBuilder)
//!   memory ──► in-process, lost on exit (tests, `serve` without --data-dir)
//! ```
//!
//! The flag has no default here: cluster services must name their store (a missing flag is an
//! error when the store is built), while `serve` fills it in with
//! [`ObjectStoreArgs::or_default`] (`file` with `--data-dir`, else `memory`). Turning the block
//! into a store is `parquet_store::object_store_from`.

use std::fmt;
use std::path::Path;

use clap::builder::BoolishValueParser;
use clap::{Args, ValueEnum};

/// The kind of object store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectStoreKind {
    /// Local files under `<data-dir>/objects`.
    File,
    /// Amazon S3 or an S3-compatible server.
    S3,
    /// Google Cloud Storage.
    Gcs,
    /// Azure Blob Storage.
    Azure,
    /// In memory (lost on exit).
    Memory,
}

impl ObjectStoreKind {
    /// The flag value (`file`, `s3`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::S3 => "s3",
            Self::Gcs => "gcs",
            Self::Azure => "azure",
            Self::Memory => "memory",
        }
    }
}

impl fmt::Display for ObjectStoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Object storage for Parquet files.
#[derive(Debug, Clone, Default, Args)]
pub struct ObjectStoreArgs {
    /// Where Parquet files are stored: `file` (under `<data-dir>/objects`), `s3`, `gcs`,
    /// `azure` or `memory`. Required for ingesters, queriers and compactors; `serve` defaults to
    /// `file` with `--data-dir`, else `memory`.
    #[arg(
        long = "object-store",
        env = "QUIVER_OBJECT_STORE",
        value_name = "KIND",
        value_enum
    )]
    pub object_store: Option<ObjectStoreKind>,

    /// Bucket (S3, GCS) or container (Azure). Required for those stores.
    #[arg(long = "bucket", env = "QUIVER_BUCKET", value_name = "NAME")]
    pub bucket: Option<String>,

    /// S3 endpoint URL for S3-compatible servers (e.g. `http://127.0.0.1:9000`); requests then
    /// use path-style addressing. Default: AWS (or `AWS_ENDPOINT`).
    #[arg(long = "s3-endpoint", env = "QUIVER_S3_ENDPOINT", value_name = "URL")]
    pub s3_endpoint: Option<String>,

    /// S3 region. Default: `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    #[arg(long = "s3-region", env = "QUIVER_S3_REGION", value_name = "REGION")]
    pub s3_region: Option<String>,

    /// Allow plain `http://` S3 endpoints. Accepts `--s3-allow-http`, `--s3-allow-http=false`.
    #[arg(
        long = "s3-allow-http",
        env = "QUIVER_S3_ALLOW_HTTP",
        value_name = "BOOL",
        default_value = "false",
        default_missing_value = "true",
        num_args = 0..=1,
        action = clap::ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub s3_allow_http: bool,
}

impl ObjectStoreArgs {
    /// The same block with `--object-store` filled in when it was not given: `file` when a data
    /// directory is configured, else `memory`. For `serve`, which must work with no flags.
    pub fn or_default(&self, data_dir: Option<&Path>) -> Self {
        let mut args = self.clone();
        if args.object_store.is_none() {
            args.object_store = Some(if data_dir.is_some() {
                ObjectStoreKind::File
            } else {
                ObjectStoreKind::Memory
            });
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        store: ObjectStoreArgs,
    }

    #[test]
    fn parses_every_flag() {
        let cli = Cli::try_parse_from([
            "x",
            "--object-store",
            "s3",
            "--bucket",
            "b",
            "--s3-endpoint",
            "http://127.0.0.1:9000",
            "--s3-region",
            "eu-west-1",
            "--s3-allow-http",
        ])
        .unwrap();
        assert_eq!(cli.store.object_store, Some(ObjectStoreKind::S3));
        assert_eq!(cli.store.bucket.as_deref(), Some("b"));
        assert_eq!(
            cli.store.s3_endpoint.as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(cli.store.s3_region.as_deref(), Some("eu-west-1"));
        assert!(cli.store.s3_allow_http);
    }

    #[test]
    fn defaults_and_unknown_kind() {
        let cli = Cli::try_parse_from(["x"]).unwrap();
        assert_eq!(cli.store.object_store, None);
        assert!(!cli.store.s3_allow_http);
        let err = Cli::try_parse_from(["x", "--object-store", "ftp"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("invalid value 'ftp' for '--object-store <KIND>'"),
            "{err}"
        );
        let explicit = Cli::try_parse_from(["x", "--s3-allow-http=false"]).unwrap();
        assert!(!explicit.store.s3_allow_http);
    }

    #[test]
    fn serve_default_depends_on_data_dir() {
        let none = ObjectStoreArgs::default();
        assert_eq!(
            none.or_default(Some(Path::new("/d"))).object_store,
            Some(ObjectStoreKind::File)
        );
        assert_eq!(
            none.or_default(None).object_store,
            Some(ObjectStoreKind::Memory)
        );
        let s3 = ObjectStoreArgs {
            object_store: Some(ObjectStoreKind::S3),
            ..ObjectStoreArgs::default()
        };
        assert_eq!(
            s3.or_default(Some(Path::new("/d"))).object_store,
            Some(ObjectStoreKind::S3)
        );
    }
}
