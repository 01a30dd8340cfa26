//! The catalog: databases, tokens, tables and columns — behind one object-safe async trait.
//!
//! ```text
//! router ──► Arc<dyn Catalog> ──► CachedCatalog (lookups from memory, fed by watch)
//!                                   └─► EtcdCatalog  (cluster: `quiver router`; CAS transactions)
//!                                   └─► DiskCatalog  (`quiver serve --data-dir`: append log + snapshot)
//!                                   └─► MemCatalog   (tests, `quiver serve` without a data dir)
//!
//! write: DatabaseName::new ──► get_or_create_database ──► Database {id, retention, limits}
//!        columns of the write ──► SchemaUpsert ──► upsert_schema (additive, atomic)
//!                                                  └─ plan_upsert: conflicts / limits ──► CatalogError
//! v1:    (db, rp) ──► resolve_v1_database ──► DBRP mapping's database | `db` / `db/rp` by name
//! files: ingester ──► commit_persist (level-0 records + offset CAS) ──► live records
//!        compactor | retention ──► replace_files(FileSwap) ──► retired records (RemovedFile)
//!        garbage collector ──► all_parquet_files | removed_files | deleted_databases
//!                          ──► purge_removed_files | purge_database_files
//! ```
//!
//! Every backend answers the same `conformance` suite (feature `testing`, with the
//! `testing::FaultyCatalog` wrapper tests use to make a catalog fail or count its calls).
//! Schema changes are planned by the pure [`plan_upsert`] against a snapshot and applied only if the snapshot is still current
//! (compare-and-swap), so a backend never needs in-process locks to be correct.

mod bootstrap;
mod cache;
mod dbrp;
mod disk;
mod error;
mod etcd;
mod live_token;
mod memory;
mod model;
mod name;
mod upsert;
mod watch;
mod write_path;

#[cfg(feature = "testing")]
pub mod conformance;
#[cfg(feature = "testing")]
pub mod testing;

use std::collections::BTreeMap;

use async_trait::async_trait;

pub use bootstrap::{BOOTSTRAP_TOKEN_DESCRIPTION, ensure_operator_token};
pub use cache::CachedCatalog;
pub use dbrp::{
    Dbrp, DbrpChanges, DbrpFilter, DbrpId, DbrpUpdate, MAX_DBRP_NAME_BYTES, MAX_DBRPS_PER_DATABASE,
    NewDbrp, V1Database, is_default_retention_policy, resolve_v1_database, v1_database_name,
};
pub use disk::{DiskCatalog, DiskOptions};
pub use error::CatalogError;
pub use etcd::{
    CALL_TIMEOUT as ETCD_CALL_TIMEOUT, DEFAULT_ETCD_PREFIX, EtcdCatalog,
    MAX_VALUE_BYTES as ETCD_MAX_VALUE_BYTES,
};
pub use live_token::live_token;
pub use memory::MemCatalog;
pub use model::{
    ColumnId, ColumnSchema, Database, DatabaseId, DatabaseOptions, DatabaseSchema, DatabaseUpdate,
    Limits, NewToken, TableId, TableSchema, TokenId, TokenRecord, TokenUpdate,
};
pub use name::{DatabaseName, DatabaseNameError};
pub use upsert::{MAX_NEW_SCHEMA_BYTES, SchemaUpsert, UpsertPlan, plan_upsert};
pub use watch::{CatalogChange, CatalogSnapshot, ChangeStream};
pub use write_path::{
    DEFAULT_INGESTER_LEASE_TTL, FileSwap, IngesterInfo, IngesterLease, LogPartition,
    MAX_FILES_PER_PERSIST, MAX_SWAP_OPS, ParquetFileRecord, PersistCommit, RemovedFile, WriteOrder,
};

/// The catalog of a Quiver cluster. Object-safe: use it as `Arc<dyn Catalog>`.
///
/// Semantics every backend must keep (checked by the `conformance` suite, feature `testing`):
/// - names are unique; creating an existing database fails with
///   [`CatalogError::DatabaseAlreadyExists`] (the loser of a race sees that error);
/// - [`Catalog::upsert_schema`] is additive and atomic: either every new table and column of the
///   request is added or none is; existing columns never change type;
/// - tokens are stored by hash only;
/// - DBRP mappings follow the rules of the `dbrp` module (unique pairs, one default per v1
///   database, deleted with the database they name);
/// - a Parquet file record is *live* (listed by [`Catalog::parquet_files`], read by queries)
///   from its `commit_persist` or `replace_files` until a [`Catalog::replace_files`] retires
///   it; it is then *retired* ([`RemovedFile`]) until the garbage collector, having deleted its
///   object, purges it. A swap is all or nothing, and a record is retired at most once: of two
///   swaps naming the same live record, one fails with [`CatalogError::FilesChanged`].
#[async_trait]
pub trait Catalog: Send + Sync + std::fmt::Debug + 'static {
    /// Creates a database. Fails when the name is taken.
    async fn create_database(
        &self,
        name: &DatabaseName,
        options: DatabaseOptions,
    ) -> Result<Database, CatalogError>;

    /// Looks a database up by name.
    async fn database_by_name(&self, name: &DatabaseName)
    -> Result<Option<Database>, CatalogError>;

    /// All databases, ordered by name.
    async fn list_databases(&self) -> Result<Vec<Database>, CatalogError>;

    /// The tables and columns of a database.
    async fn database_schema(&self, id: DatabaseId) -> Result<DatabaseSchema, CatalogError>;

    /// Adds the tables and columns of `upsert` that do not exist yet, atomically, and returns the
    /// resulting schema. Type conflicts and limit violations reject the whole request.
    async fn upsert_schema(
        &self,
        id: DatabaseId,
        upsert: &SchemaUpsert,
    ) -> Result<DatabaseSchema, CatalogError>;

    /// Stores a token record (by hash). Fails when the hash is already stored.
    async fn create_token(&self, token: NewToken) -> Result<TokenRecord, CatalogError>;

    /// Looks a token up by the hash of its value (revoked tokens are returned too).
    async fn token_by_hash(
        &self,
        hash: &auth::TokenHash,
    ) -> Result<Option<TokenRecord>, CatalogError>;

    /// All token records, ordered by id.
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError>;

    /// Marks a token revoked; returns the updated record.
    async fn revoke_token(&self, id: TokenId) -> Result<TokenRecord, CatalogError>;

    // ---- issue 3: management -------------------------------------------------------------

    /// Looks a live (not deleted) database up by id.
    async fn database_by_id(&self, id: DatabaseId) -> Result<Option<Database>, CatalogError>;

    /// Changes a live database's retention period and/or limits; returns the new record.
    async fn update_database(
        &self,
        id: DatabaseId,
        update: DatabaseUpdate,
    ) -> Result<Database, CatalogError>;

    /// Soft-deletes a database: it disappears from lookups and listings, its name may be used
    /// again by a new database (with a new id), its record stays (with `deleted_at_ns`) so the
    /// compactor's garbage collector can remove its data. The DBRP mappings naming it
    /// are deleted with it (atomically). Returns the deleted record.
    async fn delete_database(&self, id: DatabaseId) -> Result<Database, CatalogError>;

    /// Looks a token record up by id.
    async fn token_by_id(&self, id: TokenId) -> Result<Option<TokenRecord>, CatalogError>;

    /// Changes a token's description and/or active state (inactive = revoked; v2
    /// `PATCH /api/v2/authorizations/{id}` can re-activate). Returns the new record.
    async fn update_token(
        &self,
        id: TokenId,
        update: TokenUpdate,
    ) -> Result<TokenRecord, CatalogError>;

    /// Deletes a token record for good.
    async fn delete_token(&self, id: TokenId) -> Result<(), CatalogError>;

    // ---- DBRP mappings (v1 database + retention policy ──► database) ---------------------

    /// Creates a mapping naming a live database. Fails with
    /// [`CatalogError::DbrpAlreadyExists`], [`CatalogError::InvalidDbrp`],
    /// [`CatalogError::DbrpLimit`] or [`CatalogError::DatabaseIdNotFound`].
    async fn create_dbrp(&self, new: NewDbrp) -> Result<Dbrp, CatalogError>;

    /// The mappings `filter` accepts, ordered by id.
    async fn list_dbrps(&self, filter: &DbrpFilter) -> Result<Vec<Dbrp>, CatalogError>;

    /// Looks a mapping up by id.
    async fn dbrp_by_id(&self, id: DbrpId) -> Result<Option<Dbrp>, CatalogError>;

    /// Changes a mapping's retention policy and/or default flag; returns the new record.
    async fn update_dbrp(&self, id: DbrpId, update: DbrpUpdate) -> Result<Dbrp, CatalogError>;

    /// Deletes a mapping (its v1 database's default moves on); returns the deleted record.
    async fn delete_dbrp(&self, id: DbrpId) -> Result<Dbrp, CatalogError>;

    // ---- issue 3: change feed for caches -------------------------------------------------

    /// A consistent snapshot of databases, schemas, tokens and DBRP mappings at one revision.
    async fn snapshot(&self) -> Result<CatalogSnapshot, CatalogError>;

    /// Every change with a revision greater than `after_revision`, in order, as it happens.
    async fn watch(&self, after_revision: u64) -> Result<ChangeStream, CatalogError>;

    // ---- issue 3 APIs for the write path (used by issue 4) ---------------------------------

    /// The persisted offset of every log partition that has one.
    async fn persisted_offsets(&self) -> Result<BTreeMap<LogPartition, u64>, CatalogError>;

    /// Adds the commit's file records and advances its partition's persisted offset, atomically,
    /// only if the offset is still `expected_offset`; otherwise
    /// [`CatalogError::OffsetConflict`] and nothing changes.
    async fn commit_persist(&self, commit: PersistCommit) -> Result<(), CatalogError>;

    /// The live Parquet file records of a table, grouped by partition key (ascending), each
    /// key's records in [`ParquetFileRecord::write_order`] (older first). Retired records are
    /// not listed; a partition key whose records are all retired is absent.
    async fn parquet_files(
        &self,
        database_id: DatabaseId,
        table_id: TableId,
    ) -> Result<BTreeMap<String, Vec<ParquetFileRecord>>, CatalogError>;

    // ---- issue 17: compaction, retention, garbage collection ------------------------------

    /// Replaces live file records of one (database, table, partition key) by new ones, in ONE
    /// transaction: if every `remove` record is still live, each becomes a [`RemovedFile`] with
    /// `removed_at_ns` = now (the catalog process's wall clock) and each `add` record becomes
    /// live; otherwise [`CatalogError::FilesChanged`] names the first `remove` record that is
    /// not live, and nothing changes. `add` may be empty (retention drops files); `remove` may
    /// not (new files alone are an ingester's `commit_persist`).
    ///
    /// Refused, with nothing changed: an empty `remove`, more than [`MAX_SWAP_OPS`]
    /// operations ([`FileSwap::ops`]), a record of another database, table or partition key
    /// than the swap's, an object id named twice ([`CatalogError::InvalidFileSwap`]), and an
    /// added object id that is already stored, live or retired
    /// ([`CatalogError::FileAlreadyExists`]; the etcd backend checks this within the swap's
    /// transaction as far as etcd's operation limit allows and relies on UUIDs beyond).
    async fn replace_files(&self, swap: FileSwap) -> Result<(), CatalogError>;

    /// Every retired file record, ordered by `removed_at_ns` (then database, table, partition
    /// key, object id).
    async fn removed_files(&self) -> Result<Vec<RemovedFile>, CatalogError>;

    /// Forgets the retired records of these object ids (the garbage collector calls it after
    /// deleting their objects). Unknown ids are ignored; live records are never touched. Not
    /// atomic across large batches (the etcd backend deletes at most 128 records per
    /// transaction), but every record it forgets stays forgotten, so a failed call is retried
    /// as a whole.
    async fn purge_removed_files(&self, object_ids: &[String]) -> Result<(), CatalogError>;

    /// Every live file record of every table of every database, soft-deleted databases
    /// included (what the garbage collector must not delete), ordered by database, table,
    /// partition key, then write order.
    async fn all_parquet_files(&self) -> Result<Vec<ParquetFileRecord>, CatalogError>;

    /// The soft-deleted database records (`deleted_at_ns` set), ordered by id.
    async fn deleted_databases(&self) -> Result<Vec<Database>, CatalogError>;

    /// Forgets every live and retired file record of a soft-deleted database (the garbage
    /// collector calls it after deleting the database's objects); the database record stays.
    /// A live database is refused with [`CatalogError::DatabaseNotDeleted`], an unknown id
    /// with [`CatalogError::DatabaseIdNotFound`]. Calling it again is harmless.
    async fn purge_database_files(&self, id: DatabaseId) -> Result<(), CatalogError>;

    /// Publishes an ingester under a lease of `ttl`; it disappears when the lease is not kept
    /// alive or is released.
    async fn register_ingester(
        &self,
        info: IngesterInfo,
        ttl: std::time::Duration,
    ) -> Result<Box<dyn IngesterLease>, CatalogError>;

    /// The ingesters whose leases are alive.
    async fn ingesters(&self) -> Result<Vec<IngesterInfo>, CatalogError>;
}

/// Returns the database `name`, creating it with `options` when absent. Safe against concurrent
/// creators: the loser of a creation race reads the winner's database. The flag is true when
/// this call created it.
pub async fn get_or_create_database(
    catalog: &dyn Catalog,
    name: &DatabaseName,
    options: DatabaseOptions,
) -> Result<(Database, bool), CatalogError> {
    if let Some(db) = catalog.database_by_name(name).await? {
        return Ok((db, false));
    }
    match catalog.create_database(name, options).await {
        Ok(db) => Ok((db, true)),
        Err(CatalogError::DatabaseAlreadyExists { .. }) => catalog
            .database_by_name(name)
            .await?
            .map(|db| (db, false))
            .ok_or_else(|| CatalogError::DatabaseNotFound {
                name: name.to_string(),
            }),
        Err(e) => Err(e),
    }
}
