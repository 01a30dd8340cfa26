//! Why a `quiver admin` command failed. Printed as `error: <message>` on stderr, exit code 1.

use std::path::PathBuf;

use catalog::{CatalogError, DatabaseNameError};

/// A failed admin command.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AdminError {
    /// Neither backend named.
    #[error(
        "no catalog given: use --etcd-endpoints URL[,URL…] for a cluster, or --data-dir DIR for the data directory of a stopped `quiver serve`"
    )]
    NoCatalog,
    /// Both backends named.
    #[error(
        "both --etcd-endpoints and --data-dir are given (flags or QUIVER_ETCD_ENDPOINTS / QUIVER_DATA_DIR): name one catalog"
    )]
    TwoCatalogs,
    /// Another process (a running `quiver serve`) holds the catalog directory's lock.
    #[error(
        "the catalog in {} is locked by another process (a running `quiver serve`?): manage it through that server's HTTP API instead (/api/v2/buckets, /api/v2/authorizations and /api/v2/dbrps with an operator token), or stop the server first", dir.display()
    )]
    CatalogInUse {
        /// The catalog directory.
        dir: PathBuf,
    },
    /// A database name breaking the rules.
    #[error(transparent)]
    InvalidName(#[from] DatabaseNameError),
    /// `token create` without any grant.
    #[error(
        "a token needs at least one grant: --read DB, --write DB (`*` = every database) or --operator"
    )]
    NoGrant,
    /// `--operator` with grants.
    #[error("--operator tokens may do everything: drop --read/--write, or drop --operator")]
    OperatorWithGrants,
    /// A token id that is not hex.
    #[error(
        "invalid token id {0:?}: expected the hexadecimal id shown by `quiver admin token list`"
    )]
    InvalidTokenId(String),
    /// No such token.
    #[error("token {0} not found")]
    TokenNotFound(String),
    /// A DBRP mapping id that is not hex.
    #[error(
        "invalid DBRP mapping id {0:?}: expected the hexadecimal id shown by `quiver admin dbrp list`"
    )]
    InvalidDbrpId(String),
    /// No such DBRP mapping.
    #[error("DBRP mapping {0} not found")]
    DbrpNotFound(String),
    /// `topic create` without brokers.
    #[error("no Kafka brokers given: use --kafka-brokers HOST:PORT[,…] (or QUIVER_KAFKA_BROKERS)")]
    NoKafka,
    /// The Kafka admin request failed.
    #[error("{0}")]
    Kafka(#[from] write_log::WriteLogError),
    /// The catalog refused or failed.
    #[error("{0}")]
    Catalog(#[from] CatalogError),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
    /// JSON encoding failed.
    #[error("cannot encode the output as JSON: {0}")]
    Json(#[from] serde_json::Error),
}
