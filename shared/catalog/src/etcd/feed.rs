//! The change feed: a snapshot at one etcd revision, then an etcd watch on the prefix.
//!
//! ```text
//! snapshot: range db/id/ (revision R) ──► range schema/ @R ──► range token/id/ @R
//!           ──► range dbrp/ @R
//! watch(after): etcd watch prefix from after+1 ──► WatchResponse{events}
//!     db/id/<id>      PUT ──► DatabaseUpserted | DatabaseDeleted (deleted_at_ns set); DELETE ──► DatabaseDeleted
//!     schema/<db>/…   PUT ──► SchemaChanged (the database's tables read @ the event's revision,
//!                             once per (revision, database))
//!     token/id/<id>   PUT ──► TokenUpserted; DELETE ──► TokenDeleted
//!     dbrp/<id>       PUT | DELETE ──► DbrpsChanged (every mapping read @ the event's revision,
//!                                      once per revision; after the revision's other changes)
//!     anything else   skipped
//!     compaction, cancel, disconnect ──► one Err, then the stream ends
//! ```

use std::collections::{BTreeMap, HashSet, VecDeque};

use etcd_client::{EventType, WatchOptions, WatchStream};
use futures::StreamExt;

use super::dbrps::decode_all;
use super::keys::{KeyKind, Keys};
use super::kv::{Kv, bounded, decode, map_error};
use super::schema::tables_at;
use crate::{
    CatalogChange, CatalogError, CatalogSnapshot, ChangeStream, Database, DatabaseId,
    DatabaseSchema, TableSchema, TokenRecord,
};

pub(super) async fn snapshot(kv: &Kv, keys: &Keys) -> Result<CatalogSnapshot, CatalogError> {
    let (db_kvs, revision) = kv.range(&keys.databases(), 0).await?;
    let (table_kvs, _) = kv.range(&keys.schemas(), revision).await?;
    let (token_kvs, _) = kv.range(&keys.tokens(), revision).await?;
    let (dbrp_kvs, _) = kv.range(&keys.dbrps(), revision).await?;

    let mut databases = Vec::new();
    for found in &db_kvs {
        let db: Database = decode(found)?;
        if db.deleted_at_ns.is_none() {
            databases.push(db);
        }
    }
    databases.sort_by(|a, b| a.name.cmp(&b.name));
    let mut schemas: BTreeMap<DatabaseId, DatabaseSchema> = databases
        .iter()
        .map(|db| (db.id, DatabaseSchema::empty(db.id)))
        .collect();
    for found in &table_kvs {
        let Some((db, name)) = keys.parse_table(found.key()) else {
            continue;
        };
        // Tables of deleted databases stay for the garbage collector; caches skip them.
        if let Some(schema) = schemas.get_mut(&db) {
            schema.tables.insert(name, decode::<TableSchema>(found)?);
        }
    }
    let mut tokens = token_kvs
        .iter()
        .map(decode::<TokenRecord>)
        .collect::<Result<Vec<_>, _>>()?;
    tokens.sort_by_key(|t| t.id);
    Ok(CatalogSnapshot {
        revision: revision_u64(revision)?,
        databases,
        schemas,
        tokens,
        dbrps: decode_all(&dbrp_kvs)?.into_values().collect(),
    })
}

pub(super) async fn watch(kv: &Kv, keys: &Keys, after: u64) -> Result<ChangeStream, CatalogError> {
    let start = i64::try_from(after.saturating_add(1))
        .map_err(|_| CatalogError::Internal(format!("watch revision {after} is out of range")))?;
    let options = WatchOptions::new().with_prefix().with_start_revision(start);
    let mut client = kv.client();
    let stream = bounded("watch", client.watch(keys.prefix(), Some(options))).await?;
    let state = Feed {
        stream,
        kv: kv.clone(),
        keys: keys.clone(),
        pending: VecDeque::new(),
        done: false,
    };
    Ok(futures::stream::unfold(state, Feed::next).boxed())
}

/// A change, or a schema or mapping change still to be read at its revision.
enum Pending {
    Ready(CatalogChange),
    Schema { revision: i64, database: DatabaseId },
    Dbrps { revision: i64 },
}

struct Feed {
    stream: WatchStream,
    kv: Kv,
    keys: Keys,
    pending: VecDeque<Pending>,
    done: bool,
}

impl Feed {
    async fn next(mut self) -> Option<(Result<CatalogChange, CatalogError>, Self)> {
        loop {
            if let Some(pending) = self.pending.pop_front() {
                let item = match pending {
                    Pending::Ready(change) => Ok(change),
                    Pending::Schema { revision, database } => {
                        self.schema_change(revision, database).await
                    }
                    Pending::Dbrps { revision } => self.dbrps_change(revision).await,
                };
                if item.is_err() {
                    self.done = true;
                    self.pending.clear();
                }
                return Some((item, self));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.receive().await {
                self.done = true;
                return Some((Err(e), self));
            }
        }
    }

    /// Waits for the next watch response and queues its changes.
    async fn receive(&mut self) -> Result<(), CatalogError> {
        let resp = match self.stream.message().await {
            Ok(Some(resp)) => resp,
            Ok(None) => {
                return Err(CatalogError::Unavailable(
                    "etcd closed the catalog watch".into(),
                ));
            }
            Err(e) => return Err(map_error("watch", e)),
        };
        if resp.compact_revision() > 0 {
            return Err(CatalogError::Unavailable(format!(
                "catalog watch fell behind: etcd compacted revisions up to {}",
                resp.compact_revision()
            )));
        }
        if resp.canceled() {
            return Err(CatalogError::Unavailable(format!(
                "etcd canceled the catalog watch: {}",
                resp.cancel_reason()
            )));
        }
        let mut schemas_seen = HashSet::new();
        // Mapping changes of a revision come last, once: the cache applies a database deletion
        // before the mappings it took along.
        let mut dbrp_revisions = Vec::new();
        for event in resp.events() {
            let Some(kv) = event.kv() else { continue };
            let revision = kv.mod_revision();
            let put = event.event_type() == EventType::Put;
            let change = match self.keys.kind(kv.key()) {
                KeyKind::Database(id) if put => {
                    let database: Database = decode(kv)?;
                    Pending::Ready(match database.deleted_at_ns {
                        Some(_) => CatalogChange::DatabaseDeleted {
                            revision: revision_u64(revision)?,
                            id,
                        },
                        None => CatalogChange::DatabaseUpserted {
                            revision: revision_u64(revision)?,
                            database,
                        },
                    })
                }
                KeyKind::Database(id) => Pending::Ready(CatalogChange::DatabaseDeleted {
                    revision: revision_u64(revision)?,
                    id,
                }),
                KeyKind::Table(database) => {
                    if !schemas_seen.insert((revision, database)) {
                        continue;
                    }
                    Pending::Schema { revision, database }
                }
                KeyKind::Token(_) if put => Pending::Ready(CatalogChange::TokenUpserted {
                    revision: revision_u64(revision)?,
                    token: decode(kv)?,
                }),
                KeyKind::Token(id) => Pending::Ready(CatalogChange::TokenDeleted {
                    revision: revision_u64(revision)?,
                    id,
                }),
                KeyKind::Dbrp(_) => {
                    if !dbrp_revisions.contains(&revision) {
                        dbrp_revisions.push(revision);
                    }
                    continue;
                }
                KeyKind::Other => continue,
            };
            self.pending.push_back(change);
        }
        for revision in dbrp_revisions {
            // After every queued change of the same revision (events are in revision order).
            let at = self
                .pending
                .iter()
                .position(|p| pending_revision(p) > revision)
                .unwrap_or(self.pending.len());
            self.pending.insert(at, Pending::Dbrps { revision });
        }
        Ok(())
    }

    async fn dbrps_change(&self, revision: i64) -> Result<CatalogChange, CatalogError> {
        let (kvs, _) = self.kv.range(&self.keys.dbrps(), revision).await?;
        Ok(CatalogChange::DbrpsChanged {
            revision: revision_u64(revision)?,
            dbrps: decode_all(&kvs)?.into_values().collect(),
        })
    }

    async fn schema_change(
        &self,
        revision: i64,
        database: DatabaseId,
    ) -> Result<CatalogChange, CatalogError> {
        let schema = tables_at(&self.kv, &self.keys, database, revision).await?;
        Ok(CatalogChange::SchemaChanged {
            revision: revision_u64(revision)?,
            schema,
        })
    }
}

/// The etcd revision of a queued change (0 when it cannot be told, which sorts first).
fn pending_revision(pending: &Pending) -> i64 {
    match pending {
        Pending::Ready(change) => i64::try_from(change.revision()).unwrap_or(i64::MAX),
        Pending::Schema { revision, .. } | Pending::Dbrps { revision } => *revision,
    }
}

fn revision_u64(revision: i64) -> Result<u64, CatalogError> {
    u64::try_from(revision)
        .map_err(|_| CatalogError::Internal(format!("etcd returned revision {revision}")))
}
