//! The JSON of `/api/v2/dbrps`: a catalog [`Dbrp`] as InfluxDB 2's `DBRP`, the create and update
//! requests, and the list and single-mapping envelopes.
//!
//! ```text
//! Dbrp {id, database, retention_policy, default, target} ──► DbrpOut {"id","orgID","bucketID",
//!     "database","retention_policy","default","virtual":false}   (ids: 16 hex characters)
//! GET list ──► {"content":[DbrpOut…]}   GET one, PATCH ──► {"content":DbrpOut}   POST ──► DbrpOut
//! PostDbrp {"orgID"|"org", "bucketID", "database", "retention_policy", "default"?} ──► NewDbrp
//! PatchDbrp {"retention_policy"?, "default"?} ──► DbrpUpdate
//! ```

use catalog::{Dbrp, DbrpUpdate};
use serde::{Deserialize, Serialize};

use super::ids::{ORG_ID, format_id};

/// A mapping, as InfluxDB 2 clients parse it.
#[derive(Debug, Serialize)]
pub(super) struct DbrpOut {
    id: String,
    #[serde(rename = "orgID")]
    org_id: &'static str,
    #[serde(rename = "bucketID")]
    bucket_id: String,
    database: String,
    retention_policy: String,
    default: bool,
    /// InfluxDB 2 OSS lists generated "virtual" mappings of buckets too; Quiver stores every
    /// mapping it lists (an unmapped v1 name resolves by its name instead).
    #[serde(rename = "virtual")]
    virtual_: bool,
}

impl DbrpOut {
    /// The v2 view of a mapping.
    pub(super) fn from_dbrp(dbrp: &Dbrp) -> Self {
        Self {
            id: format_id(dbrp.id.0),
            org_id: ORG_ID,
            bucket_id: format_id(dbrp.target.0),
            database: dbrp.database.clone(),
            retention_policy: dbrp.retention_policy.clone(),
            default: dbrp.default,
            virtual_: false,
        }
    }
}

/// `{"content":[…]}`.
#[derive(Debug, Serialize)]
pub(super) struct DbrpList {
    /// The mappings, by id.
    pub content: Vec<DbrpOut>,
}

/// `{"content":{…}}`.
#[derive(Debug, Serialize)]
pub(super) struct DbrpOne {
    /// The mapping.
    pub content: DbrpOut,
}

/// `POST /api/v2/dbrps` (InfluxDB 2's `DBRPCreate`: `bucketID`, `database` and
/// `retention_policy` are required).
#[derive(Debug, Deserialize)]
pub(super) struct PostDbrp {
    /// Owning organization by id (the one organization; may be omitted).
    #[serde(rename = "orgID")]
    pub org_id: Option<String>,
    /// Owning organization by name (the one organization; may be omitted).
    pub org: Option<String>,
    /// The bucket (database) the mapping names.
    #[serde(rename = "bucketID")]
    pub bucket_id: String,
    /// The v1 database.
    pub database: String,
    /// The v1 retention policy.
    pub retention_policy: String,
    /// Make it the v1 database's default (its first mapping is the default anyway).
    pub default: Option<bool>,
}

/// `PATCH /api/v2/dbrps/{id}`; other fields (a whole mapping sent back) are ignored: the v1
/// database and the bucket of a mapping never change.
#[derive(Debug, Deserialize)]
pub(super) struct PatchDbrp {
    /// New retention policy name.
    pub retention_policy: Option<String>,
    /// `true` makes it the default; `false` hands the default to another mapping of the same v1
    /// database, if there is one.
    pub default: Option<bool>,
}

impl PatchDbrp {
    /// The catalog update.
    pub(super) fn into_update(self) -> DbrpUpdate {
        DbrpUpdate {
            retention_policy: self.retention_policy,
            default: self.default,
        }
    }
}

#[cfg(test)]
mod tests {
    use catalog::{DatabaseId, DbrpId};

    use super::*;

    #[test]
    fn a_mapping_has_influxdb_2s_fields_in_order() {
        let dbrp = Dbrp {
            id: DbrpId(42),
            database: "telegraf".into(),
            retention_policy: "autogen".into(),
            default: true,
            target: DatabaseId(7),
        };
        let json = serde_json::to_string(&DbrpOne {
            content: DbrpOut::from_dbrp(&dbrp),
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"content":{"id":"000000000000002a","orgID":"7175697665720001","bucketID":"0000000000000007","database":"telegraf","retention_policy":"autogen","default":true,"virtual":false}}"#
        );
    }

    #[test]
    fn requests_decode_with_optional_fields() {
        let post: PostDbrp = serde_json::from_str(
            r#"{"bucketID":"0000000000000007","database":"db","retention_policy":"rp"}"#,
        )
        .unwrap();
        assert_eq!(post.default, None);
        assert_eq!(post.org_id, None);
        let missing =
            serde_json::from_str::<PostDbrp>(r#"{"database":"db","retention_policy":"rp"}"#);
        assert!(
            missing
                .unwrap_err()
                .to_string()
                .contains("missing field `bucketID`")
        );
        let patch: PatchDbrp =
            serde_json::from_str(r#"{"default":true,"database":"ignored","virtual":false}"#)
                .unwrap();
        assert_eq!(
            patch.into_update(),
            DbrpUpdate {
                retention_policy: None,
                default: Some(true)
            }
        );
    }
}
