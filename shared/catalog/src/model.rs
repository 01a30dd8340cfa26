//! Catalog records. Stored records derive serde (JSON in etcd and on disk); column types are
//! stored by their short names (`tag`, `f64`, …, `time`), database names are re-validated on read.

use std::collections::BTreeMap;
use std::time::Duration;

use auth::{Authorization, Permission, TokenHash};
use schema::{InfluxColumnType, InfluxFieldType};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DatabaseName;

/// Database id, unique within a catalog and never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseId(pub u64);

/// Table id, unique within a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TableId(pub u64);

/// Column id, unique within a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ColumnId(pub u64);

/// Token record id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenId(pub u64);

/// Per-database service limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Maximum number of tables.
    pub max_tables: usize,
    /// Maximum number of columns per table (tags, fields and `time`).
    pub max_columns_per_table: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_tables: 500,
            max_columns_per_table: 200,
        }
    }
}

/// Settings of a database to create.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DatabaseOptions {
    /// Data older than this is rejected on write and dropped; `None` keeps data forever.
    pub retention_period: Option<Duration>,
    /// Limits; `None` = [`Limits::default`].
    pub limits: Option<Limits>,
}

/// Changes to a database; `None` leaves a setting as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DatabaseUpdate {
    /// New retention period (`Some(None)` = infinite).
    pub retention_period: Option<Option<Duration>>,
    /// New limits.
    pub limits: Option<Limits>,
}

/// Changes to a token; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenUpdate {
    /// New description.
    pub description: Option<String>,
    /// `Some(false)` revokes, `Some(true)` re-activates.
    pub active: Option<bool>,
}

/// A database (v2 "bucket").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    /// Id.
    pub id: DatabaseId,
    /// Name.
    pub name: DatabaseName,
    /// Retention period; `None` = infinite.
    pub retention_period: Option<Duration>,
    /// Service limits.
    pub limits: Limits,
    /// Creation time, nanoseconds since the epoch.
    pub created_at_ns: i64,
    /// Set when the database was deleted (soft delete).
    pub deleted_at_ns: Option<i64>,
}

impl Database {
    /// Retention period in nanoseconds, saturated to `i64::MAX`.
    pub fn retention_period_ns(&self) -> Option<i64> {
        self.retention_period
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSchema {
    /// Id.
    pub id: ColumnId,
    /// Type, fixed on first write.
    #[serde(with = "column_type_serde")]
    pub column_type: InfluxColumnType,
}

/// One table (measurement) and its columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSchema {
    /// Id.
    pub id: TableId,
    /// Columns by name.
    pub columns: BTreeMap<String, ColumnSchema>,
}

/// Every table of a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSchema {
    /// The database.
    pub database_id: DatabaseId,
    /// Tables by name.
    pub tables: BTreeMap<String, TableSchema>,
}

impl DatabaseSchema {
    /// An empty schema.
    pub fn empty(database_id: DatabaseId) -> Self {
        Self {
            database_id,
            tables: BTreeMap::new(),
        }
    }

    /// The type of `table.column`, if both exist.
    pub fn column_type(&self, table: &str, column: &str) -> Option<InfluxColumnType> {
        self.tables
            .get(table)?
            .columns
            .get(column)
            .map(|c| c.column_type)
    }
}

/// A token to store. Only the hash of its value is ever given to the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// Hash of the token value.
    pub hash: TokenHash,
    /// Free text shown in listings.
    pub description: String,
    /// Operator flag: may do everything.
    pub operator: bool,
    /// Grants of a non-operator token.
    pub permissions: Vec<Permission>,
}

/// A stored token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Id.
    pub id: TokenId,
    /// Hash of the token value.
    pub hash: TokenHash,
    /// Free text.
    pub description: String,
    /// Operator flag.
    pub operator: bool,
    /// Grants.
    pub permissions: Vec<Permission>,
    /// Creation time, nanoseconds since the epoch.
    pub created_at_ns: i64,
    /// Revoked tokens authenticate nothing.
    pub revoked: bool,
}

impl TokenRecord {
    /// What this token may do (nothing once revoked).
    pub fn authorization(&self) -> Authorization {
        if self.revoked {
            return Authorization::default();
        }
        Authorization {
            operator: self.operator,
            permissions: self.permissions.clone(),
        }
    }
}

impl Serialize for DatabaseName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DatabaseName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::new(name).map_err(serde::de::Error::custom)
    }
}

/// [`InfluxColumnType`] as its short name (`tag`, `f64`, `i64`, `u64`, `string`, `bool`, `time`).
mod column_type_serde {
    use super::*;

    pub(super) fn serialize<S: Serializer>(t: &InfluxColumnType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.short_name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<InfluxColumnType, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        [InfluxColumnType::Tag, InfluxColumnType::Timestamp]
            .into_iter()
            .chain(InfluxFieldType::ALL.map(InfluxColumnType::Field))
            .find(|t| t.short_name() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown column type {name:?}")))
    }
}
