//! The cached copy of the catalog: databases, schemas, tokens and DBRP mappings, fed by a
//! snapshot, the change feed, and the results of writes made through this cache.
//!
//! ```text
//! load(snapshot)      ──► replace everything, revision = snapshot.revision
//! apply(change)       ──► skip if revision ≤ ours; else apply, respecting local overrides
//!                         (DbrpsChanged: its own revision, since a database deletion delivers
//!                         DatabaseDeleted and DbrpsChanged at the same revision)
//! local_*(result)     ──► apply now (read-your-writes) + override until the feed confirms
//! ```
//!
//! Ordering: a write's result is applied before the feed delivers its change, so the feed may
//! still deliver older changes of the same record. An override keeps the written record (or its
//! deletion) and ignores feed changes of that record until the feed delivers the written one
//! (the confirmation) or [`OVERRIDE_TTL`] passes. Schemas need no override: they only grow, so
//! cached and fed schemas are merged (union of tables and columns).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use auth::TokenHash;

use crate::dbrp::plan::Dbrps;
use crate::{
    CatalogChange, CatalogSnapshot, Database, DatabaseId, DatabaseName, DatabaseSchema, Dbrp,
    DbrpChanges, DbrpFilter, DbrpId, TokenId, TokenRecord,
};

/// How long a written record shadows older feed changes if its confirmation never comes.
pub(super) const OVERRIDE_TTL: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Override<T> {
    /// `None`: deleted.
    value: Option<T>,
    at: Instant,
}

impl<T: PartialEq> Override<T> {
    /// True when the fed value may replace the override (and the override ends).
    fn yields_to(&self, fed: Option<&T>) -> bool {
        self.value.as_ref() == fed || self.at.elapsed() >= OVERRIDE_TTL
    }
}

#[derive(Debug, Default)]
pub(super) struct View {
    revision: u64,
    databases: BTreeMap<DatabaseName, Database>,
    names: HashMap<DatabaseId, DatabaseName>,
    schemas: HashMap<DatabaseId, DatabaseSchema>,
    tokens: BTreeMap<TokenId, TokenRecord>,
    dbrps: Dbrps,
    /// Revision of the last `DbrpsChanged` applied (or of the snapshot).
    dbrp_revision: u64,
    database_overrides: HashMap<DatabaseId, Override<Database>>,
    token_overrides: HashMap<TokenId, Override<TokenRecord>>,
    dbrp_overrides: HashMap<DbrpId, Override<Dbrp>>,
}

impl View {
    pub(super) fn from_snapshot(snapshot: CatalogSnapshot) -> Self {
        let mut view = Self {
            revision: snapshot.revision,
            dbrp_revision: snapshot.revision,
            ..Self::default()
        };
        view.dbrps = snapshot.dbrps.into_iter().map(|d| (d.id, d)).collect();
        for db in snapshot.databases {
            view.put_database(db);
        }
        for (id, schema) in snapshot.schemas {
            if view.names.contains_key(&id) {
                view.schemas.insert(id, schema);
            }
        }
        for token in snapshot.tokens {
            view.tokens.insert(token.id, token);
        }
        view
    }

    // ---- reads ------------------------------------------------------------------------------

    pub(super) fn database_by_name(&self, name: &DatabaseName) -> Option<Database> {
        self.databases.get(name).cloned()
    }

    pub(super) fn database_by_id(&self, id: DatabaseId) -> Option<Database> {
        self.databases.get(self.names.get(&id)?).cloned()
    }

    pub(super) fn list_databases(&self) -> Vec<Database> {
        self.databases.values().cloned().collect()
    }

    /// The schema of a live database.
    pub(super) fn database_schema(&self, id: DatabaseId) -> Option<DatabaseSchema> {
        self.names.get(&id)?;
        Some(
            self.schemas
                .get(&id)
                .cloned()
                .unwrap_or_else(|| DatabaseSchema::empty(id)),
        )
    }

    /// Compares against every token (constant-time comparisons, no early exit on a match).
    pub(super) fn token_by_hash(&self, hash: &TokenHash) -> Option<TokenRecord> {
        let mut found = None;
        for token in self.tokens.values() {
            if token.hash == *hash {
                found = Some(token);
            }
        }
        found.cloned()
    }

    pub(super) fn token_by_id(&self, id: TokenId) -> Option<TokenRecord> {
        self.tokens.get(&id).cloned()
    }

    pub(super) fn list_tokens(&self) -> Vec<TokenRecord> {
        self.tokens.values().cloned().collect()
    }

    pub(super) fn dbrps(&self) -> &Dbrps {
        &self.dbrps
    }

    pub(super) fn list_dbrps(&self, filter: &DbrpFilter) -> Vec<Dbrp> {
        self.dbrps
            .values()
            .filter(|d| filter.matches(d))
            .cloned()
            .collect()
    }

    pub(super) fn dbrp_by_id(&self, id: DbrpId) -> Option<Dbrp> {
        self.dbrps.get(&id).cloned()
    }

    // ---- the feed ---------------------------------------------------------------------------

    /// Applies a fed change; returns false when its revision was already applied.
    pub(super) fn apply(&mut self, change: CatalogChange) -> bool {
        if let CatalogChange::DbrpsChanged { revision, dbrps } = change {
            if revision <= self.dbrp_revision {
                return false;
            }
            self.dbrp_revision = revision;
            self.replace_dbrps(dbrps);
            return true;
        }
        if change.revision() <= self.revision {
            return false;
        }
        self.revision = change.revision();
        match change {
            CatalogChange::DatabaseUpserted { database, .. } => {
                if let Some(o) = self.database_overrides.get(&database.id) {
                    if !o.yields_to(Some(&database)) {
                        return true;
                    }
                    self.database_overrides.remove(&database.id);
                }
                self.put_database(database);
            }
            CatalogChange::DatabaseDeleted { id, .. } => {
                // Deletion is final: nothing older can override it.
                self.database_overrides.remove(&id);
                self.remove_database(id);
            }
            CatalogChange::SchemaChanged { schema, .. } => self.merge_schema(schema),
            CatalogChange::TokenUpserted { token, .. } => {
                if let Some(o) = self.token_overrides.get(&token.id) {
                    if !o.yields_to(Some(&token)) {
                        return true;
                    }
                    self.token_overrides.remove(&token.id);
                }
                self.tokens.insert(token.id, token);
            }
            CatalogChange::TokenDeleted { id, .. } => {
                self.token_overrides.remove(&id);
                self.tokens.remove(&id);
            }
            CatalogChange::DbrpsChanged { .. } => {} // handled above
        }
        true
    }

    /// The fed mappings, with the overrides of local writes not yet confirmed laid over them.
    fn replace_dbrps(&mut self, fed: Vec<Dbrp>) {
        let mut dbrps: Dbrps = fed.into_iter().map(|d| (d.id, d)).collect();
        self.dbrp_overrides.retain(|id, o| {
            if o.yields_to(dbrps.get(id)) {
                return false;
            }
            match &o.value {
                Some(dbrp) => dbrps.insert(*id, dbrp.clone()),
                None => dbrps.remove(id),
            };
            true
        });
        self.dbrps = dbrps;
    }

    // ---- results of writes made through the cache -------------------------------------------

    pub(super) fn local_database(&mut self, db: Database) {
        self.database_overrides.insert(
            db.id,
            Override {
                value: Some(db.clone()),
                at: Instant::now(),
            },
        );
        self.put_database(db);
    }

    /// A database read from the backend (not written by us): added only if unknown here.
    pub(super) fn learned_database(&mut self, db: Database) {
        if !self.names.contains_key(&db.id) && !self.database_overrides.contains_key(&db.id) {
            self.put_database(db);
        }
    }

    pub(super) fn local_database_deleted(&mut self, id: DatabaseId) {
        self.database_overrides.insert(
            id,
            Override {
                value: None,
                at: Instant::now(),
            },
        );
        self.remove_database(id);
    }

    pub(super) fn local_schema(&mut self, schema: DatabaseSchema) {
        self.merge_schema(schema);
    }

    pub(super) fn local_token(&mut self, token: TokenRecord) {
        self.token_overrides.insert(
            token.id,
            Override {
                value: Some(token.clone()),
                at: Instant::now(),
            },
        );
        self.tokens.insert(token.id, token);
    }

    pub(super) fn local_token_deleted(&mut self, id: TokenId) {
        self.token_overrides.insert(
            id,
            Override {
                value: None,
                at: Instant::now(),
            },
        );
        self.tokens.remove(&id);
    }

    /// Mapping changes made through this cache (or derived from a database deletion made
    /// through it).
    pub(super) fn local_dbrps(&mut self, changes: &DbrpChanges) {
        let at = Instant::now();
        for dbrp in &changes.put {
            let value = Some(dbrp.clone());
            self.dbrp_overrides.insert(dbrp.id, Override { value, at });
        }
        for id in &changes.deleted {
            self.dbrp_overrides
                .insert(*id, Override { value: None, at });
        }
        changes.apply_to(&mut self.dbrps);
    }

    // ---- helpers ----------------------------------------------------------------------------

    fn put_database(&mut self, db: Database) {
        if let Some(old) = self.names.insert(db.id, db.name.clone())
            && old != db.name
        {
            self.databases.remove(&old);
        }
        // A name taken over by a new database (the old one was deleted): drop the old id.
        if let Some(previous) = self.databases.get(&db.name)
            && previous.id != db.id
        {
            let stale = previous.id;
            self.names.remove(&stale);
            self.schemas.remove(&stale);
        }
        self.databases.insert(db.name.clone(), db);
    }

    fn remove_database(&mut self, id: DatabaseId) {
        if let Some(name) = self.names.remove(&id)
            && self.databases.get(&name).is_some_and(|db| db.id == id)
        {
            self.databases.remove(&name);
        }
        self.schemas.remove(&id);
    }

    fn merge_schema(&mut self, fed: DatabaseSchema) {
        if !self.names.contains_key(&fed.database_id) {
            return;
        }
        let id = fed.database_id;
        let cached = self
            .schemas
            .entry(id)
            .or_insert_with(|| DatabaseSchema::empty(id));
        for (table_name, table) in fed.tables {
            match cached.tables.get_mut(&table_name) {
                None => {
                    cached.tables.insert(table_name, table);
                }
                Some(existing) => {
                    for (column, schema) in table.columns {
                        existing.columns.entry(column).or_insert(schema);
                    }
                }
            }
        }
    }
}
