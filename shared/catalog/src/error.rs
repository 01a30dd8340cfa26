//! Catalog errors. Messages are user-facing: the router returns them verbatim.

use schema::InfluxColumnType;

use crate::DatabaseNameError;

/// A failed catalog operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// Invalid database name.
    #[error(transparent)]
    InvalidDatabaseName(#[from] DatabaseNameError),
    /// The name is taken.
    #[error("database already exists: {name:?}")]
    DatabaseAlreadyExists {
        /// The name.
        name: String,
    },
    /// No such database (by name).
    #[error("database not found: {name:?}")]
    DatabaseNotFound {
        /// The name.
        name: String,
    },
    /// No such database (by id).
    #[error("database id {id} not found")]
    DatabaseIdNotFound {
        /// The id.
        id: u64,
    },
    /// A column exists with another type than the write's.
    #[error(
        "schema conflict: table {table}, column {column} is type {existing} but write has type {write}"
    )]
    SchemaConflict {
        /// Table.
        table: String,
        /// Column.
        column: String,
        /// Stored type.
        existing: InfluxColumnType,
        /// The write's type.
        write: InfluxColumnType,
    },
    /// Too many tables.
    #[error(
        "service limit reached: couldn't create table(s) {tables} in database {database:?}; it has {existing} table(s), applying this write would result in {requested}, limit is {limit}"
    )]
    TableLimit {
        /// Database name.
        database: String,
        /// The new table names, comma-separated.
        tables: String,
        /// Tables before the write.
        existing: usize,
        /// Tables after the write.
        requested: usize,
        /// The limit.
        limit: usize,
    },
    /// Too many columns in a table.
    #[error(
        "service limit reached: couldn't create columns in table {table}; table contains {existing} existing column(s), applying this write would result in {requested} columns, limit is {limit}"
    )]
    ColumnLimit {
        /// Table name.
        table: String,
        /// Columns before the write.
        existing: usize,
        /// Columns after the write.
        requested: usize,
        /// The limit.
        limit: usize,
    },
    /// A name longer than [`schema::MAX_NAME_BYTES`] (the router refuses such lines first).
    #[error("the {role} name of {bytes} bytes is longer than the limit of {limit} bytes")]
    NameTooLong {
        /// `table` or `column`.
        role: &'static str,
        /// Its length in bytes.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// One write adding more table and column names than [`crate::MAX_NEW_SCHEMA_BYTES`].
    #[error(
        "service limit reached: this write adds {bytes} bytes of new table and column names to database {database:?}, at most {limit} are added per write; send the new tables and columns in several smaller writes"
    )]
    SchemaChangeLimit {
        /// Database name.
        database: String,
        /// Bytes of new names.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A token with this hash is already stored.
    #[error("a token with this hash already exists")]
    TokenAlreadyExists,
    /// No token with this id.
    #[error("token id {id} not found")]
    TokenNotFound {
        /// The id.
        id: u64,
    },
    /// A DBRP mapping breaking a naming rule.
    #[error("DBRP provided is invalid: {reason}")]
    InvalidDbrp {
        /// What is wrong.
        reason: String,
    },
    /// The (database, retention policy) pair is already mapped.
    #[error(
        "a DBRP mapping of database {database:?} and retention policy {retention_policy:?} already exists"
    )]
    DbrpAlreadyExists {
        /// The v1 database.
        database: String,
        /// The retention policy.
        retention_policy: String,
    },
    /// No DBRP mapping with this id.
    #[error("DBRP mapping id {id} not found")]
    DbrpNotFound {
        /// The id.
        id: u64,
    },
    /// A database named by too many mappings.
    #[error(
        "service limit reached: database id {target} is already named by {limit} DBRP mappings, the most one database may have"
    )]
    DbrpLimit {
        /// The database.
        target: u64,
        /// The limit.
        limit: usize,
    },
    /// A persist commit lost its compare-and-swap: another ingester moved the offset.
    #[error(
        "persisted offset of log partition {partition} is {actual:?}, expected {expected:?}: another ingester took over the partition"
    )]
    OffsetConflict {
        /// Log partition.
        partition: u32,
        /// Offset the committer started from.
        expected: Option<u64>,
        /// Offset found in the catalog.
        actual: Option<u64>,
    },
    /// A file swap names a record to retire that is no longer live (another swap or a
    /// retention drop retired it first, or it was never committed); nothing changed.
    #[error(
        "file record {object_id} of database {database_id}, table {table_id}, partition key {partition_key:?} is no longer live (another swap or a retention drop retired it, or it was never committed); the file swap changed nothing: re-read the files and plan again"
    )]
    FilesChanged {
        /// Database.
        database_id: u64,
        /// Table.
        table_id: u64,
        /// Partition key.
        partition_key: String,
        /// The first record of the swap's `remove` list that is not live.
        object_id: String,
    },
    /// A file swap adds a record whose object id is already stored (live or retired); nothing
    /// changed.
    #[error(
        "file record {object_id} of database {database_id}, table {table_id}, partition key {partition_key:?} already exists (live or retired); the file swap changed nothing: new files need new object ids"
    )]
    FileAlreadyExists {
        /// Database.
        database_id: u64,
        /// Table.
        table_id: u64,
        /// Partition key.
        partition_key: String,
        /// The object id.
        object_id: String,
    },
    /// A file swap breaking a rule of its shape (see [`crate::FileSwap`]); nothing changed.
    #[error("invalid file swap: {reason}")]
    InvalidFileSwap {
        /// What is wrong.
        reason: String,
    },
    /// Only the files of a (soft-)deleted database may be purged.
    #[error(
        "database id {id} is not deleted: only the file records of a deleted database can be purged"
    )]
    DatabaseNotDeleted {
        /// The id.
        id: u64,
    },
    /// A stored value could not be decoded (corruption or an incompatible version).
    #[error("catalog record {key} is unreadable: {reason}")]
    Corrupt {
        /// Key or record name.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// The backend cannot be reached or timed out; retrying later may succeed.
    #[error("catalog unavailable: {0}")]
    Unavailable(String),
    /// Any other backend failure.
    #[error("catalog error: {0}")]
    Internal(String),
}
