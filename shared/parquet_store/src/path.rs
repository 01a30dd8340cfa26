//! Object-store paths of Parquet files.
//!
//! ```text
//! (DatabaseId 1, TableId 2, "2026-11-21", uuid) ──► 1/2/2026-11-21/<uuid>.parquet
//! partition key "a/b%c"                          ──► 1/2/a%2Fb%25c/<uuid>.parquet
//! ```
//!
//! Each segment goes through object_store's `PathPart`, which percent-encodes `/`, `%`, control
//! characters, non-ASCII bytes and the characters S3 and GCS advise against, and turns `.`/`..`
//! into `%2E`/`%2E%2E`, so any partition key maps to exactly one directory level.

use std::fmt;

use catalog::{DatabaseId, TableId};
use object_store::path::{Path, PathPart};
use uuid::Uuid;

use crate::StoreError;

/// File name suffix of every Parquet object.
pub const PARQUET_SUFFIX: &str = ".parquet";

/// `<db_id>/<table_id>/<partition_key>/<object_id>.parquet`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParquetFilePath {
    path: Path,
}

impl ParquetFilePath {
    /// The path of one file. An empty partition key is rejected (it would vanish from the path).
    pub fn new(
        database_id: DatabaseId,
        table_id: TableId,
        partition_key: &str,
        object_id: Uuid,
    ) -> Result<Self, StoreError> {
        if partition_key.is_empty() {
            return Err(StoreError::EmptyPartitionKey);
        }
        let file = format!("{object_id}{PARQUET_SUFFIX}");
        let parts = [
            PathPart::from(database_id.0.to_string()),
            PathPart::from(table_id.0.to_string()),
            PathPart::from(partition_key),
            PathPart::from(file),
        ];
        Ok(Self {
            path: Path::from_iter(parts),
        })
    }

    /// The directory holding every file of one (table, partition key): `<db>/<table>/<key>`.
    pub fn partition_prefix(
        database_id: DatabaseId,
        table_id: TableId,
        partition_key: &str,
    ) -> Result<Path, StoreError> {
        if partition_key.is_empty() {
            return Err(StoreError::EmptyPartitionKey);
        }
        Ok(Path::from_iter([
            PathPart::from(database_id.0.to_string()),
            PathPart::from(table_id.0.to_string()),
            PathPart::from(partition_key),
        ]))
    }

    /// The object-store path.
    pub fn object_path(&self) -> &Path {
        &self.path
    }

    /// The path as stored in the catalog (`ParquetFileRecord::path`).
    pub fn as_str(&self) -> &str {
        self.path.as_ref()
    }
}

impl fmt::Display for ParquetFilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a path stored in the catalog back into an object path (no re-encoding).
pub fn parse_object_path(text: &str) -> Result<Path, StoreError> {
    Path::parse(text).map_err(|source| StoreError::InvalidPath {
        path: text.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> Uuid {
        Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)
    }

    #[test]
    fn layout() {
        let path = ParquetFilePath::new(DatabaseId(1), TableId(2), "2026-11-21", id()).unwrap();
        assert_eq!(
            path.as_str(),
            "1/2/2026-11-21/01234567-89ab-cdef-0123-456789abcdef.parquet"
        );
        assert_eq!(path.object_path().parts().count(), 4);
        let prefix =
            ParquetFilePath::partition_prefix(DatabaseId(1), TableId(2), "2026-11-21").unwrap();
        assert!(path.object_path().prefix_matches(&prefix));
    }

    #[test]
    fn partition_keys_are_one_escaped_segment() {
        for (key, encoded) in [
            ("a/b", "a%2Fb"),
            ("100%", "100%25"),
            ("..", "%2E%2E"),
            (".", "%2E"),
            ("x\ny", "x%0Ay"),
            ("host=a|b", "host=a%7Cb"),
            ("ü é", "%C3%BC %C3%A9"),
        ] {
            let path = ParquetFilePath::new(DatabaseId(7), TableId(8), key, id()).unwrap();
            let parts: Vec<_> = path.object_path().parts().collect();
            assert_eq!(parts.len(), 4, "{key:?} → {path}");
            assert_eq!(parts[2].as_ref(), encoded, "{key:?}");
            // What the catalog stores parses back to the same path, without re-encoding.
            assert_eq!(
                &parse_object_path(path.as_str()).unwrap(),
                path.object_path()
            );
        }
    }

    #[test]
    fn empty_partition_key_is_rejected() {
        let err = ParquetFilePath::new(DatabaseId(1), TableId(2), "", id()).unwrap_err();
        assert_eq!(err.to_string(), "partition key must not be empty");
    }
}
