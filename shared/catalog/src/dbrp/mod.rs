//! DBRP mappings: an InfluxDB 1.x (database, retention policy) pair mapped to a Quiver database
//! (the v2 "bucket"), as InfluxDB 2's `/api/v2/dbrps`.
//!
//! ```text
//! create_dbrp(NewDbrp) ──► plan::create (names, unique (db, rp), limit, default rule) ──► changes
//! update_dbrp(id, rp?, default?) ──► plan::update ──► changes      (backends apply the changes
//! delete_dbrp(id) ──► plan::delete ──► changes                       atomically, one revision)
//! delete_database(target) ──► plan::delete_target: its mappings go with it
//! v1 write/query (db, rp) ──► resolve_v1_database ──► Mapped{mapping, database} | Named(db[/rp])
//! ```
//!
//! Rules every backend keeps (the `conformance` suite checks them): a (database, retention
//! policy) pair is mapped at most once; a v1 database with mappings has exactly one default
//! (its first mapping becomes the default, making another the default clears the old one,
//! un-defaulting or deleting the default hands it to the mapping with the lowest id); a mapping
//! names a live database, and deleting that database deletes its mappings. The rules are
//! planned by the pure functions of [`plan`] against the current mappings, so the in-process
//! engine, etcd and the cache agree by construction.

pub(crate) mod plan;
mod resolve;

use serde::{Deserialize, Serialize};

use crate::DatabaseId;

pub use resolve::{V1Database, is_default_retention_policy, resolve_v1_database, v1_database_name};

/// Most mappings that may name one database (keeps deleting a database within one etcd
/// transaction: each of its mappings is one delete, plus at most one default hand-over).
pub const MAX_DBRPS_PER_DATABASE: usize = 50;

/// Longest v1 database or retention policy name of a mapping, in bytes.
pub const MAX_DBRP_NAME_BYTES: usize = 256;

/// DBRP mapping id: from the same id space as databases and tokens, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DbrpId(pub u64);

/// A stored mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dbrp {
    /// Id.
    pub id: DbrpId,
    /// The v1 database name (any printable text without `/` or `\`).
    pub database: String,
    /// The v1 retention policy name (same rule).
    pub retention_policy: String,
    /// The mapping used when a v1 request names no retention policy.
    pub default: bool,
    /// The database written to and read from (the v2 "bucket").
    pub target: DatabaseId,
}

/// A mapping to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDbrp {
    /// The v1 database name.
    pub database: String,
    /// The v1 retention policy name.
    pub retention_policy: String,
    /// Make it the database's default (the first mapping of a database is the default anyway).
    pub default: bool,
    /// The database it names; must be live.
    pub target: DatabaseId,
}

/// Changes to a mapping; `None` leaves a setting as it is. The v1 database and the target
/// never change (delete and create instead).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbrpUpdate {
    /// New retention policy name (must stay unique within the v1 database).
    pub retention_policy: Option<String>,
    /// `Some(true)` makes it the default; `Some(false)` hands the default to the mapping of the
    /// same v1 database with the lowest id (a database's only mapping stays its default).
    pub default: Option<bool>,
}

/// Which mappings [`crate::Catalog::list_dbrps`] returns; every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbrpFilter {
    /// This mapping only.
    pub id: Option<DbrpId>,
    /// Of this v1 database.
    pub database: Option<String>,
    /// With this retention policy.
    pub retention_policy: Option<String>,
    /// Naming this database.
    pub target: Option<DatabaseId>,
    /// Defaults only (`true`) or non-defaults only (`false`).
    pub default: Option<bool>,
}

impl DbrpFilter {
    /// True when `dbrp` passes every given condition.
    pub fn matches(&self, dbrp: &Dbrp) -> bool {
        self.id.is_none_or(|id| dbrp.id == id)
            && self
                .database
                .as_deref()
                .is_none_or(|db| dbrp.database == db)
            && self
                .retention_policy
                .as_deref()
                .is_none_or(|rp| dbrp.retention_policy == rp)
            && self.target.is_none_or(|t| dbrp.target == t)
            && self.default.is_none_or(|d| dbrp.default == d)
    }
}

/// What one mapping operation changes: records written (new or changed) and ids removed. The
/// backends apply it atomically.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbrpChanges {
    /// New or changed records.
    pub put: Vec<Dbrp>,
    /// Removed mappings.
    pub deleted: Vec<DbrpId>,
}

impl DbrpChanges {
    /// Nothing changes.
    pub fn is_empty(&self) -> bool {
        self.put.is_empty() && self.deleted.is_empty()
    }

    /// Applies the changes to a map of mappings by id.
    pub fn apply_to(&self, dbrps: &mut std::collections::BTreeMap<DbrpId, Dbrp>) {
        for id in &self.deleted {
            dbrps.remove(id);
        }
        for dbrp in &self.put {
            dbrps.insert(dbrp.id, dbrp.clone());
        }
    }
}
