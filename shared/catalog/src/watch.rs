//! The catalog's change feed: a consistent snapshot at a revision, then every change after it.
//! Caches in routers and queriers load the snapshot and apply the changes (docs/architecture.md,
//! "The catalog").

use std::collections::BTreeMap;

use futures::stream::BoxStream;

use crate::{CatalogError, Database, DatabaseId, DatabaseSchema, Dbrp, TokenId, TokenRecord};

/// Everything a cache needs, as of `revision`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogSnapshot {
    /// Catalog revision the snapshot reflects (monotonic; etcd's store revision for etcd).
    pub revision: u64,
    /// Live (not deleted) databases.
    pub databases: Vec<Database>,
    /// Schemas of the live databases.
    pub schemas: BTreeMap<DatabaseId, DatabaseSchema>,
    /// Every token record (revoked ones included).
    pub tokens: Vec<TokenRecord>,
    /// Every DBRP mapping, ordered by id.
    pub dbrps: Vec<Dbrp>,
}

/// One change, carrying the revision that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogChange {
    /// A database was created or updated (its full record).
    DatabaseUpserted {
        /// Revision of the change.
        revision: u64,
        /// The record.
        database: Database,
    },
    /// A database was deleted (soft delete: its name is free again).
    DatabaseDeleted {
        /// Revision of the change.
        revision: u64,
        /// The deleted database.
        id: DatabaseId,
    },
    /// Tables or columns were added to a database (its full schema after the change).
    SchemaChanged {
        /// Revision of the change.
        revision: u64,
        /// The schema.
        schema: DatabaseSchema,
    },
    /// A token was created or updated (revocation included).
    TokenUpserted {
        /// Revision of the change.
        revision: u64,
        /// The record.
        token: TokenRecord,
    },
    /// A token was deleted.
    TokenDeleted {
        /// Revision of the change.
        revision: u64,
        /// The token.
        id: TokenId,
    },
    /// DBRP mappings were created, changed or deleted (every mapping after the change, ordered
    /// by id: one operation may touch several, and mappings are few). A database deletion that
    /// takes mappings with it delivers this right after its `DatabaseDeleted`, at the same
    /// revision.
    DbrpsChanged {
        /// Revision of the change.
        revision: u64,
        /// Every mapping.
        dbrps: Vec<Dbrp>,
    },
}

impl CatalogChange {
    /// The revision of the change.
    pub fn revision(&self) -> u64 {
        match self {
            Self::DatabaseUpserted { revision, .. }
            | Self::DatabaseDeleted { revision, .. }
            | Self::SchemaChanged { revision, .. }
            | Self::TokenUpserted { revision, .. }
            | Self::TokenDeleted { revision, .. }
            | Self::DbrpsChanged { revision, .. } => *revision,
        }
    }
}

/// Changes after a revision, in order. The stream ends with an error when the backend loses
/// the feed (e.g. etcd compacted the revision or the connection dropped); callers reload a
/// snapshot and watch again.
pub type ChangeStream = BoxStream<'static, Result<CatalogChange, CatalogError>>;
