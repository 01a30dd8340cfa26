//! Quiver's file-level metadata: a versioned JSON document under the Parquet key/value key
//! `quiver:metadata`.
//!
//! ```text
//! FileMeta (from the ingester) + object id, time range, rows, sort key, creation time
//!   ──► QuiverMetadata ──► serde_json ──► KeyValue { "quiver:metadata": "{\"version\":1,…}" }
//! read: key/value list ──► find key ──► peek "version" (reject unknown) ──► QuiverMetadata
//! ```

use catalog::{DatabaseId, LogPartition, TableId};
use parquet::file::metadata::KeyValue;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// The Parquet key/value key holding [`QuiverMetadata`].
pub const QUIVER_METADATA_KEY: &str = "quiver:metadata";
/// The metadata format this build writes and reads.
pub const QUIVER_METADATA_VERSION: u32 = 1;

/// What the writer of a file knows about its rows (the ingester's persist, later the compactor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// Database id.
    pub database_id: DatabaseId,
    /// Database name (for humans and tools reading the file alone).
    pub database_name: String,
    /// Table id.
    pub table_id: TableId,
    /// Table name.
    pub table_name: String,
    /// Partition key (default: UTC day `%Y-%m-%d`); must not be empty.
    pub partition_key: String,
    /// Log partition the rows came from.
    pub log_partition: LogPartition,
    /// First log offset whose rows are in the file.
    pub min_offset: u64,
    /// Last log offset whose rows are in the file.
    pub max_offset: u64,
}

/// The decoded `quiver:metadata` of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuiverMetadata {
    /// Format version ([`QUIVER_METADATA_VERSION`]).
    pub version: u32,
    /// Object id (UUID text); also the file name.
    pub object_id: String,
    /// Database id.
    pub database_id: DatabaseId,
    /// Database name.
    pub database_name: String,
    /// Table id.
    pub table_id: TableId,
    /// Table name.
    pub table_name: String,
    /// Partition key.
    pub partition_key: String,
    /// Log partition the rows came from.
    pub log_partition: LogPartition,
    /// First log offset whose rows are in the file.
    pub min_offset: u64,
    /// Last log offset whose rows are in the file.
    pub max_offset: u64,
    /// Smallest `time` (ns).
    pub min_time_ns: i64,
    /// Largest `time` (ns).
    pub max_time_ns: i64,
    /// Rows in the file.
    pub row_count: u64,
    /// Columns the rows are sorted by: the tag columns in name order, then `time`.
    pub sort_key: Vec<String>,
    /// When the file was written (ns since the epoch).
    pub created_at_ns: i64,
    /// 0: persisted by an ingester (the offsets above say which records); 1 and 2: written by
    /// the compactor (offsets 0). Absent in files written before compaction existed.
    #[serde(default)]
    pub compaction_level: u8,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

impl QuiverMetadata {
    /// The key/value pair written into the Parquet footer.
    pub fn to_key_value(&self) -> KeyValue {
        // A struct of strings and integers always serializes.
        let json = serde_json::to_string(self).unwrap_or_else(|_| unreachable!());
        KeyValue::new(QUIVER_METADATA_KEY.to_string(), json)
    }

    /// Finds and decodes the metadata in a file's key/value list. `path` names the file in
    /// errors.
    pub fn from_key_values(kv: Option<&[KeyValue]>, path: &str) -> Result<Self, StoreError> {
        let value = kv
            .unwrap_or_default()
            .iter()
            .find(|kv| kv.key == QUIVER_METADATA_KEY)
            .and_then(|kv| kv.value.as_deref())
            .ok_or_else(|| StoreError::MissingMetadata {
                path: path.to_string(),
                key: QUIVER_METADATA_KEY,
            })?;
        let invalid = |source| StoreError::InvalidMetadata {
            path: path.to_string(),
            source,
        };
        let VersionOnly { version } = serde_json::from_str(value).map_err(invalid)?;
        if version != QUIVER_METADATA_VERSION {
            return Err(StoreError::UnsupportedMetadataVersion {
                path: path.to_string(),
                found: version,
                supported: QUIVER_METADATA_VERSION,
            });
        }
        serde_json::from_str(value).map_err(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> QuiverMetadata {
        QuiverMetadata {
            version: QUIVER_METADATA_VERSION,
            object_id: "01234567-89ab-cdef-0123-456789abcdef".into(),
            database_id: DatabaseId(1),
            database_name: "db".into(),
            table_id: TableId(2),
            table_name: "cpu".into(),
            partition_key: "2026-11-21".into(),
            log_partition: 3,
            min_offset: 10,
            max_offset: 20,
            min_time_ns: -5,
            max_time_ns: 7,
            row_count: 4,
            sort_key: vec!["host".into(), "time".into()],
            created_at_ns: 99,
            compaction_level: 0,
        }
    }

    #[test]
    fn round_trip_and_shape() {
        let kv = sample().to_key_value();
        assert_eq!(kv.key, "quiver:metadata");
        let json: serde_json::Value = serde_json::from_str(kv.value.as_deref().unwrap()).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["database_id"], 1);
        assert_eq!(json["sort_key"][1], "time");
        let back = QuiverMetadata::from_key_values(Some(&[kv]), "f").unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn errors_name_the_file() {
        let err = QuiverMetadata::from_key_values(None, "a/b.parquet").unwrap_err();
        assert_eq!(
            err.to_string(),
            "parquet file a/b.parquet has no quiver:metadata metadata (not written by Quiver?)"
        );
        let newer = KeyValue::new(QUIVER_METADATA_KEY.into(), r#"{"version":2}"#.to_string());
        let err = QuiverMetadata::from_key_values(Some(&[newer]), "f").unwrap_err();
        assert_eq!(
            err.to_string(),
            "parquet file f: quiver:metadata version 2 is not supported (this build reads 1)"
        );
        let broken = KeyValue::new(QUIVER_METADATA_KEY.into(), r#"{"version":1}"#.to_string());
        let err = QuiverMetadata::from_key_values(Some(&[broken]), "f").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("parquet file f: invalid quiver:metadata: missing field"),
            "{err}"
        );
    }
}
