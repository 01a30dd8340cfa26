//! Which database a v1 request (`/write`, `/query`: `db` + `rp`) means — one rule for the router
//! and the querier.
//!
//! ```text
//! (db, rp non-empty) ──► mapping (db, rp)?      ──► Mapped { mapping, its database }
//! (db, rp empty)     ──► default mapping of db? ──► Mapped { … }
//! no mapping         ──► Named(v1_database_name(db, rp)): `db`, or `db/rp` unless rp is a
//!                        default name (`autogen`, `default`, `''`); the caller looks it up
//!                        (and may create it)
//! ```

use super::{Dbrp, DbrpFilter};
use crate::{Catalog, CatalogError, Database, DatabaseName};

/// The database a v1 (db, rp) pair means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V1Database {
    /// A DBRP mapping names it.
    Mapped {
        /// The mapping used.
        mapping: Dbrp,
        /// The live database it names.
        database: Database,
    },
    /// No mapping: the database of this name (which may not exist yet).
    Named(DatabaseName),
}

impl V1Database {
    /// The database's name.
    pub fn name(&self) -> &DatabaseName {
        match self {
            Self::Mapped { database, .. } => &database.name,
            Self::Named(name) => name,
        }
    }
}

/// True for the retention policy names that mean "the database's default": empty, `autogen`,
/// `default` (any case) and `''`.
pub fn is_default_retention_policy(rp: &str) -> bool {
    rp.is_empty()
        || rp.eq_ignore_ascii_case("autogen")
        || rp.eq_ignore_ascii_case("default")
        || rp == "''"
}

/// The database name of an unmapped v1 pair: `db`, or `db/rp` for a retention policy that is
/// not a default name. Fails when the result breaks the database naming rule.
pub fn v1_database_name(db: &str, rp: Option<&str>) -> Result<DatabaseName, CatalogError> {
    let name = match rp {
        Some(rp) if !is_default_retention_policy(rp) => format!("{db}/{rp}"),
        _ => db.to_owned(),
    };
    Ok(DatabaseName::new(name)?)
}

/// Resolves a v1 (db, rp): the mapping of (db, rp) — or, when `rp` is absent, empty or `''`,
/// the default mapping of `db` — names the database; without one, [`v1_database_name`].
///
/// A mapping whose database vanished meanwhile (deleted between the two reads) is
/// [`CatalogError::DatabaseIdNotFound`].
pub async fn resolve_v1_database(
    catalog: &dyn Catalog,
    db: &str,
    rp: Option<&str>,
) -> Result<V1Database, CatalogError> {
    let rp = rp.filter(|rp| !rp.is_empty() && *rp != "''");
    let filter = DbrpFilter {
        database: Some(db.to_owned()),
        retention_policy: rp.map(str::to_owned),
        default: rp.is_none().then_some(true),
        ..DbrpFilter::default()
    };
    let Some(mapping) = catalog.list_dbrps(&filter).await?.into_iter().next() else {
        return Ok(V1Database::Named(v1_database_name(db, rp)?));
    };
    let database =
        catalog
            .database_by_id(mapping.target)
            .await?
            .ok_or(CatalogError::DatabaseIdNotFound {
                id: mapping.target.0,
            })?;
    Ok(V1Database::Mapped { mapping, database })
}
