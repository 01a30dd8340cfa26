//! The catalog on etcd (v3 API, works with etcd 3.4+: put/get/txn/watch/lease only).
//!
//! ```text
//! Catalog call ──► read (txn of gets / paged range at one revision)
//!              ──► plan (plan_upsert, name/hash uniqueness, offset check)
//!              ──► ONE txn: compares (create_revision == 0 | mod_revision == R | value == V)
//!                           + puts/deletes (≤ 128 ops, each value ≤ 64 KiB JSON)
//!                  lost compare ──► re-read and retry (bounded), or the losing answer:
//!                  DatabaseAlreadyExists, TokenAlreadyExists, SchemaConflict, OffsetConflict,
//!                  DbrpAlreadyExists, FilesChanged, FileAlreadyExists
//! watch(after) ──► etcd watch on the prefix from after + 1 ──► events ──► CatalogChange
//! ```
//!
//! Key layout under the prefix (default `/quiver/`); values are JSON:
//!
//! | key                                              | value                                   |
//! |--------------------------------------------------|-----------------------------------------|
//! | `ids/last`                                       | last id handed out (one id space)       |
//! | `db/name/<name>`                                 | id of the live database of that name    |
//! | `db/id/<id>`                                     | `Database` (kept after soft delete)     |
//! | `schemaver/<db_id>`                              | change counter; every schema txn bumps it |
//! | `schema/<db_id>/<table>`                         | `TableSchema` (id and columns)          |
//! | `token/hash/<sha256 hex>`                        | token id                                |
//! | `token/id/<id>`                                  | `TokenRecord` (hash only, never a value)|
//! | `dbrpver`                                        | change counter; every DBRP txn bumps it |
//! | `dbrp/<id>`                                      | `Dbrp` (v1 db, rp, default, target id)  |
//! | `offset/<log partition>`                         | persisted offset                        |
//! | `files/<db_id>/<table_id>/<partition key>/<object id>` | live `ParquetFileRecord`          |
//! | `removed/<db_id>/<table_id>/<partition key>/<object id>` | `RemovedFile` (retired record + `removed_at_ns`) |
//! | `ingester/<ingester id>`                         | `IngesterInfo`, attached to its lease   |
//!
//! Choices: one key per table keeps each value small (a table's columns must fit in 64 KiB;
//! larger values are rejected with an error naming the size) and one key per Parquet file avoids
//! read-modify-write of file lists (the group of a (table, partition key) is a key prefix). A
//! schema change compares the database record and `schemaver/<db_id>` (so limits and the table
//! count are checked against a current view) and `ids/last`; a change touching more tables than
//! fit in one transaction is applied in chunks, each compared against the previous one (every
//! chunk is additive and valid on its own). A persist commit must fit one transaction (≤ 127
//! files). A file swap (compaction, retention) is one transaction: it compares that every
//! retired record's `files/` key still exists (and, as far as the 128 compares allow, that no
//! added object id is stored under `files/` or `removed/`), then moves each retired record from
//! `files/` to `removed/` and puts the added ones — 2 × retired + added ≤ `MAX_SWAP_OPS` (120)
//! operations. The garbage collector purges `removed/` keys in transactions of ≤ 128 deletes,
//! and a deleted database's `files/<db_id>/` and `removed/<db_id>/` with two range deletes in
//! one transaction. DBRP mappings are one key each; every mapping change (and every database
//! deletion, which takes the database's mappings along in the same transaction) compares
//! `dbrpver`, so the one-default-per-v1-database rule is planned against a current view of all
//! mappings.
//! Connection errors and timeouts (5 s per call) are [`CatalogError::Unavailable`].

mod databases;
mod dbrps;
mod feed;
mod files;
mod ingesters;
mod keys;
mod kv;
mod persist;
mod schema;
mod tokens;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use etcd_client::{Client, ConnectOptions};

use crate::{
    Catalog, CatalogError, CatalogSnapshot, ChangeStream, Database, DatabaseId, DatabaseName,
    DatabaseOptions, DatabaseSchema, DatabaseUpdate, Dbrp, DbrpFilter, DbrpId, DbrpUpdate,
    FileSwap, IngesterInfo, IngesterLease, LogPartition, NewDbrp, NewToken, ParquetFileRecord,
    PersistCommit, RemovedFile, SchemaUpsert, TableId, TokenId, TokenRecord, TokenUpdate,
};
use keys::Keys;
use kv::Kv;

pub use kv::{CALL_TIMEOUT, MAX_VALUE_BYTES};

/// Default key prefix.
pub const DEFAULT_ETCD_PREFIX: &str = "/quiver/";

/// The catalog stored in etcd. Cheap to share; every call is bounded by [`CALL_TIMEOUT`].
pub struct EtcdCatalog {
    kv: Kv,
    keys: Keys,
    endpoints: Vec<String>,
}

impl std::fmt::Debug for EtcdCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdCatalog")
            .field("endpoints", &self.endpoints)
            .field("prefix", &self.keys.prefix())
            .finish()
    }
}

impl EtcdCatalog {
    /// A client for `endpoints` (`http://host:port`) keeping its keys under `prefix`. The
    /// connection is made lazily: this succeeds while etcd is down, and calls then fail with
    /// [`CatalogError::Unavailable`] until it is up.
    pub async fn connect(endpoints: &[String], prefix: &str) -> Result<Self, CatalogError> {
        if endpoints.is_empty() {
            return Err(CatalogError::Internal(
                "no etcd endpoint given (expected http://host:port[,http://host:port…])".into(),
            ));
        }
        if prefix.is_empty() {
            return Err(CatalogError::Internal(
                "the etcd key prefix must not be empty".into(),
            ));
        }
        let options = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(2))
            .with_timeout(CALL_TIMEOUT)
            // etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time).
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(5));
        let client = kv::bounded("connect", Client::connect(endpoints, Some(options))).await?;
        Ok(Self {
            kv: Kv::new(client),
            keys: Keys::new(prefix),
            endpoints: endpoints.to_vec(),
        })
    }

    /// The key prefix (ends with `/`).
    pub fn prefix(&self) -> &str {
        self.keys.prefix()
    }

    /// One read from etcd (a key that need not exist): `Ok` when etcd answers, what readiness
    /// checks ask.
    pub async fn ping(&self) -> Result<(), CatalogError> {
        let key = format!("{}ping", self.keys.prefix());
        self.kv.get_one(&key).await.map(|_| ())
    }
}

#[async_trait]
impl Catalog for EtcdCatalog {
    async fn create_database(
        &self,
        name: &DatabaseName,
        options: DatabaseOptions,
    ) -> Result<Database, CatalogError> {
        databases::create(&self.kv, &self.keys, name, options).await
    }

    async fn database_by_name(
        &self,
        name: &DatabaseName,
    ) -> Result<Option<Database>, CatalogError> {
        databases::by_name(&self.kv, &self.keys, name).await
    }

    async fn list_databases(&self) -> Result<Vec<Database>, CatalogError> {
        databases::list(&self.kv, &self.keys).await
    }

    async fn database_schema(&self, id: DatabaseId) -> Result<DatabaseSchema, CatalogError> {
        schema::read(&self.kv, &self.keys, id).await
    }

    async fn upsert_schema(
        &self,
        id: DatabaseId,
        upsert: &SchemaUpsert,
    ) -> Result<DatabaseSchema, CatalogError> {
        schema::upsert(&self.kv, &self.keys, id, upsert).await
    }

    async fn create_token(&self, token: NewToken) -> Result<TokenRecord, CatalogError> {
        tokens::create(&self.kv, &self.keys, token).await
    }

    async fn token_by_hash(
        &self,
        hash: &auth::TokenHash,
    ) -> Result<Option<TokenRecord>, CatalogError> {
        tokens::by_hash(&self.kv, &self.keys, hash).await
    }

    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError> {
        tokens::list(&self.kv, &self.keys).await
    }

    async fn revoke_token(&self, id: TokenId) -> Result<TokenRecord, CatalogError> {
        let update = TokenUpdate {
            description: None,
            active: Some(false),
        };
        tokens::update(&self.kv, &self.keys, id, update).await
    }

    async fn database_by_id(&self, id: DatabaseId) -> Result<Option<Database>, CatalogError> {
        databases::by_id(&self.kv, &self.keys, id).await
    }

    async fn update_database(
        &self,
        id: DatabaseId,
        update: DatabaseUpdate,
    ) -> Result<Database, CatalogError> {
        databases::update(&self.kv, &self.keys, id, update).await
    }

    async fn delete_database(&self, id: DatabaseId) -> Result<Database, CatalogError> {
        databases::delete(&self.kv, &self.keys, id).await
    }

    async fn token_by_id(&self, id: TokenId) -> Result<Option<TokenRecord>, CatalogError> {
        tokens::by_id(&self.kv, &self.keys, id).await
    }

    async fn update_token(
        &self,
        id: TokenId,
        update: TokenUpdate,
    ) -> Result<TokenRecord, CatalogError> {
        tokens::update(&self.kv, &self.keys, id, update).await
    }

    async fn delete_token(&self, id: TokenId) -> Result<(), CatalogError> {
        tokens::delete(&self.kv, &self.keys, id).await
    }

    async fn create_dbrp(&self, new: NewDbrp) -> Result<Dbrp, CatalogError> {
        dbrps::create(&self.kv, &self.keys, new).await
    }

    async fn list_dbrps(&self, filter: &DbrpFilter) -> Result<Vec<Dbrp>, CatalogError> {
        dbrps::list(&self.kv, &self.keys, filter).await
    }

    async fn dbrp_by_id(&self, id: DbrpId) -> Result<Option<Dbrp>, CatalogError> {
        dbrps::by_id(&self.kv, &self.keys, id).await
    }

    async fn update_dbrp(&self, id: DbrpId, update: DbrpUpdate) -> Result<Dbrp, CatalogError> {
        dbrps::update(&self.kv, &self.keys, id, update).await
    }

    async fn delete_dbrp(&self, id: DbrpId) -> Result<Dbrp, CatalogError> {
        dbrps::delete(&self.kv, &self.keys, id).await
    }

    async fn snapshot(&self) -> Result<CatalogSnapshot, CatalogError> {
        feed::snapshot(&self.kv, &self.keys).await
    }

    async fn watch(&self, after_revision: u64) -> Result<ChangeStream, CatalogError> {
        feed::watch(&self.kv, &self.keys, after_revision).await
    }

    async fn persisted_offsets(&self) -> Result<BTreeMap<LogPartition, u64>, CatalogError> {
        persist::offsets(&self.kv, &self.keys).await
    }

    async fn commit_persist(&self, commit: PersistCommit) -> Result<(), CatalogError> {
        persist::commit(&self.kv, &self.keys, commit).await
    }

    async fn parquet_files(
        &self,
        database_id: DatabaseId,
        table_id: TableId,
    ) -> Result<BTreeMap<String, Vec<ParquetFileRecord>>, CatalogError> {
        persist::files(&self.kv, &self.keys, database_id, table_id).await
    }

    async fn replace_files(&self, swap: FileSwap) -> Result<(), CatalogError> {
        files::replace(&self.kv, &self.keys, swap).await
    }

    async fn removed_files(&self) -> Result<Vec<RemovedFile>, CatalogError> {
        files::removed(&self.kv, &self.keys).await
    }

    async fn purge_removed_files(&self, object_ids: &[String]) -> Result<(), CatalogError> {
        files::purge_removed(&self.kv, &self.keys, object_ids).await
    }

    async fn all_parquet_files(&self) -> Result<Vec<ParquetFileRecord>, CatalogError> {
        files::all(&self.kv, &self.keys).await
    }

    async fn deleted_databases(&self) -> Result<Vec<Database>, CatalogError> {
        databases::deleted(&self.kv, &self.keys).await
    }

    async fn purge_database_files(&self, id: DatabaseId) -> Result<(), CatalogError> {
        files::purge_database(&self.kv, &self.keys, id).await
    }

    async fn register_ingester(
        &self,
        info: IngesterInfo,
        ttl: Duration,
    ) -> Result<Box<dyn IngesterLease>, CatalogError> {
        ingesters::register(&self.kv, &self.keys, info, ttl).await
    }

    async fn ingesters(&self) -> Result<Vec<IngesterInfo>, CatalogError> {
        ingesters::list(&self.kv, &self.keys).await
    }
}

/// Nanoseconds since the epoch.
fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The `ids/last` counter: its value and mod revision (0 when never written).
fn last_id(kv: Option<&etcd_client::KeyValue>) -> Result<(u64, i64), CatalogError> {
    match kv {
        Some(kv) => Ok((kv::decode(kv)?, kv.mod_revision())),
        None => Ok((0, 0)),
    }
}
