//! The key layout under the prefix, both directions: building keys, and classifying a watched
//! key back into what it names (see the table in the module doc of `etcd`).

use crate::{DatabaseId, DbrpId, TokenId};

/// Builds and parses keys under one prefix (always ending in `/`).
#[derive(Debug, Clone)]
pub(super) struct Keys {
    prefix: String,
}

/// What a key under the prefix names (only what the change feed needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum KeyKind {
    /// `db/id/<id>`
    Database(DatabaseId),
    /// `schema/<db_id>/<table>`
    Table(DatabaseId),
    /// `token/id/<id>`
    Token(TokenId),
    /// `dbrp/<id>`
    Dbrp(DbrpId),
    /// Anything else (name and hash indexes, counters, offsets, live and retired files,
    /// ingesters, `dbrpver`).
    Other,
}

impl Keys {
    /// `prefix` gets a trailing `/` when it has none.
    pub(super) fn new(prefix: &str) -> Self {
        let mut prefix = prefix.to_owned();
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        Self { prefix }
    }

    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    pub(super) fn last_id(&self) -> String {
        format!("{}ids/last", self.prefix)
    }

    pub(super) fn database_name(&self, name: &str) -> String {
        format!("{}db/name/{name}", self.prefix)
    }

    pub(super) fn databases(&self) -> String {
        format!("{}db/id/", self.prefix)
    }

    pub(super) fn database(&self, id: DatabaseId) -> String {
        format!("{}db/id/{}", self.prefix, id.0)
    }

    pub(super) fn schema_version(&self, id: DatabaseId) -> String {
        format!("{}schemaver/{}", self.prefix, id.0)
    }

    pub(super) fn schemas(&self) -> String {
        format!("{}schema/", self.prefix)
    }

    pub(super) fn tables(&self, id: DatabaseId) -> String {
        format!("{}schema/{}/", self.prefix, id.0)
    }

    pub(super) fn table(&self, id: DatabaseId, table: &str) -> String {
        format!("{}schema/{}/{table}", self.prefix, id.0)
    }

    pub(super) fn token_hash(&self, hash: &auth::TokenHash) -> String {
        format!("{}token/hash/{}", self.prefix, hash.to_hex())
    }

    pub(super) fn tokens(&self) -> String {
        format!("{}token/id/", self.prefix)
    }

    pub(super) fn token(&self, id: TokenId) -> String {
        format!("{}token/id/{}", self.prefix, id.0)
    }

    pub(super) fn dbrp_version(&self) -> String {
        format!("{}dbrpver", self.prefix)
    }

    pub(super) fn dbrps(&self) -> String {
        format!("{}dbrp/", self.prefix)
    }

    pub(super) fn dbrp(&self, id: DbrpId) -> String {
        format!("{}dbrp/{}", self.prefix, id.0)
    }

    pub(super) fn offsets(&self) -> String {
        format!("{}offset/", self.prefix)
    }

    pub(super) fn offset(&self, partition: u32) -> String {
        format!("{}offset/{partition}", self.prefix)
    }

    pub(super) fn table_files(&self, db: DatabaseId, table: crate::TableId) -> String {
        format!("{}files/{}/{}/", self.prefix, db.0, table.0)
    }

    pub(super) fn file(&self, record: &crate::ParquetFileRecord) -> String {
        format!(
            "{}files/{}/{}/{}/{}",
            self.prefix,
            record.database_id.0,
            record.table_id.0,
            record.partition_key,
            record.object_id
        )
    }

    /// Every live file record: `files/`.
    pub(super) fn all_files(&self) -> String {
        format!("{}files/", self.prefix)
    }

    /// The live file records of a database: `files/<db>/`.
    pub(super) fn database_files(&self, db: DatabaseId) -> String {
        format!("{}files/{}/", self.prefix, db.0)
    }

    /// Every retired file record: `removed/`.
    pub(super) fn all_removed(&self) -> String {
        format!("{}removed/", self.prefix)
    }

    /// The retired file records of a database: `removed/<db>/`.
    pub(super) fn database_removed(&self, db: DatabaseId) -> String {
        format!("{}removed/{}/", self.prefix, db.0)
    }

    /// Where `record` is kept once retired.
    pub(super) fn removed_file(&self, record: &crate::ParquetFileRecord) -> String {
        format!(
            "{}removed/{}/{}/{}/{}",
            self.prefix,
            record.database_id.0,
            record.table_id.0,
            record.partition_key,
            record.object_id
        )
    }

    pub(super) fn ingesters(&self) -> String {
        format!("{}ingester/", self.prefix)
    }

    pub(super) fn ingester(&self, id: &str) -> String {
        format!("{}ingester/{id}", self.prefix)
    }

    /// The database and table name of a `schema/<db_id>/<table>` key.
    pub(super) fn parse_table(&self, key: &[u8]) -> Option<(DatabaseId, String)> {
        let rest = std::str::from_utf8(key.strip_prefix(self.prefix.as_bytes())?).ok()?;
        let (db, table) = rest.strip_prefix("schema/")?.split_once('/')?;
        Some((DatabaseId(db.parse().ok()?), table.to_owned()))
    }

    /// The partition of an `offset/<partition>` key.
    pub(super) fn parse_offset(&self, key: &[u8]) -> Option<u32> {
        let rest = std::str::from_utf8(key.strip_prefix(self.prefix.as_bytes())?).ok()?;
        rest.strip_prefix("offset/")?.parse().ok()
    }

    /// Classifies a key seen by the watch.
    pub(super) fn kind(&self, key: &[u8]) -> KeyKind {
        let Some(rest) = key.strip_prefix(self.prefix.as_bytes()) else {
            return KeyKind::Other;
        };
        let Ok(rest) = std::str::from_utf8(rest) else {
            return KeyKind::Other;
        };
        if let Some(id) = rest.strip_prefix("db/id/") {
            return id
                .parse()
                .map_or(KeyKind::Other, |id| KeyKind::Database(DatabaseId(id)));
        }
        if let Some(id) = rest.strip_prefix("token/id/") {
            return id
                .parse()
                .map_or(KeyKind::Other, |id| KeyKind::Token(TokenId(id)));
        }
        if let Some(id) = rest.strip_prefix("dbrp/") {
            return id
                .parse()
                .map_or(KeyKind::Other, |id| KeyKind::Dbrp(DbrpId(id)));
        }
        match self.parse_table(key) {
            Some((db, _)) => KeyKind::Table(db),
            None => KeyKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_kind() {
        let keys = Keys::new("/quiver");
        assert_eq!(keys.prefix(), "/quiver/");
        assert_eq!(keys.database(DatabaseId(7)), "/quiver/db/id/7");
        let kind = |k: String| keys.kind(k.as_bytes());
        assert_eq!(
            kind(keys.database(DatabaseId(7))),
            KeyKind::Database(DatabaseId(7))
        );
        assert_eq!(
            kind(keys.table(DatabaseId(12), "cpu/with/slash")),
            KeyKind::Table(DatabaseId(12))
        );
        assert_eq!(kind(keys.token(TokenId(3))), KeyKind::Token(TokenId(3)));
        assert_eq!(kind(keys.dbrp(DbrpId(5))), KeyKind::Dbrp(DbrpId(5)));
        let table_key = keys.table(DatabaseId(4), "m/x");
        assert_eq!(
            keys.parse_table(table_key.as_bytes()),
            Some((DatabaseId(4), "m/x".to_owned()))
        );
        assert_eq!(keys.parse_offset(keys.offset(9).as_bytes()), Some(9));
        for other in [
            keys.database_name("a/b"),
            keys.last_id(),
            keys.schema_version(DatabaseId(1)),
            keys.dbrp_version(),
            keys.offset(0),
            keys.ingester("i-1"),
            keys.token_hash(&auth::TokenHash::of("x")),
            "/other/db/id/1".to_owned(),
        ] {
            assert_eq!(kind(other.clone()), KeyKind::Other, "{other}");
        }
    }

    #[test]
    fn database_prefixes_do_not_overlap() {
        let keys = Keys::new("/q/");
        assert!(
            !keys
                .table(DatabaseId(10), "t")
                .starts_with(&keys.tables(DatabaseId(1)))
        );
    }
}
