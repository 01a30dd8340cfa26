//! The catalog's state as plain maps, changed only by applying [`Fact`]s.
//!
//! ```text
//! operation ──► State::plan_* (validate against current state) ──► Fact
//!           ──► journal (disk backend: append + fsync) ──► State::apply(fact) ──► CatalogChange
//! ```
//!
//! Every operation becomes exactly one fact: the full new record ("put"), never a delta that
//! depends on order beyond the fact sequence itself. Replaying the same facts from an empty state
//! rebuilds the same state, ids and revision — the embedded disk backend relies on that. A DBRP
//! operation may change several mappings (a default moves): its fact carries every changed
//! record, planned by `dbrp::plan`; so does the deletion of a database that mappings name.
//! A file swap's fact carries the retired records with their retirement time, fixed when it was
//! planned, so a replay retires them at the same time again.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::dbrp::plan::{self, Dbrps};
use crate::write_path::{sort_all_files, sort_in_write_order, sort_removed};
use crate::{
    CatalogChange, CatalogError, CatalogSnapshot, ColumnId, ColumnSchema, Database, DatabaseId,
    DatabaseName, DatabaseOptions, DatabaseSchema, DatabaseUpdate, Dbrp, DbrpChanges, DbrpFilter,
    DbrpId, DbrpUpdate, FileSwap, LogPartition, NewDbrp, NewToken, ParquetFileRecord,
    PersistCommit, RemovedFile, SchemaUpsert, TableId, TableSchema, TokenId, TokenRecord,
    TokenUpdate, plan_upsert,
};

/// One durable change of the state (serialised as JSON in the disk backend's files).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// A database record, new, updated or soft-deleted (`deleted_at_ns` set).
    DatabasePut(Database),
    /// A database soft-deleted together with the DBRP mappings that named it (written instead
    /// of `DatabasePut` when mappings change, so catalogs without mappings keep the old records).
    DatabaseDeleted {
        /// The record, `deleted_at_ns` set.
        database: Database,
        /// The mappings removed and the defaults that moved.
        dbrps: DbrpChanges,
    },
    /// Tables of a database, new or grown (each with all its columns).
    TablesPut {
        /// The database.
        database_id: DatabaseId,
        /// Tables by name.
        tables: Vec<(String, TableSchema)>,
    },
    /// A token record, new or updated.
    TokenPut(TokenRecord),
    /// A token record removed.
    TokenDeleted(TokenId),
    /// DBRP mappings created, changed or deleted by one operation.
    Dbrps(DbrpChanges),
    /// A persist commit that won its compare-and-swap.
    Persist {
        /// Log partition.
        log_partition: LogPartition,
        /// Its new persisted offset.
        offset: u64,
        /// Files added.
        files: Vec<ParquetFileRecord>,
    },
    /// File records of one (database, table, partition key) retired and added by one swap
    /// (compaction, retention). A compacted snapshot also writes one per partition key: its
    /// retired records and its live ones (then none of them is live before).
    FilesReplaced {
        /// The database.
        database_id: DatabaseId,
        /// The table.
        table_id: TableId,
        /// The partition key.
        partition_key: String,
        /// Records retired (no longer live), with their retirement time.
        removed: Vec<RemovedFile>,
        /// Records made live.
        added: Vec<ParquetFileRecord>,
    },
    /// Retired file records forgotten (their objects are deleted).
    RemovedFilesPurged {
        /// Their object ids.
        object_ids: Vec<String>,
    },
    /// Every live and retired file record of a deleted database forgotten.
    DatabaseFilesPurged {
        /// The database.
        database_id: DatabaseId,
    },
}

/// Where a retired record is kept: (database, table, partition key, object id).
type RemovedKey = (DatabaseId, TableId, String, String);

fn removed_key(record: &ParquetFileRecord) -> RemovedKey {
    (
        record.database_id,
        record.table_id,
        record.partition_key.clone(),
        record.object_id.clone(),
    )
}

/// Every record of a catalog. Deleted databases keep their record and schema (for the garbage
/// collector) but are invisible to lookups.
#[derive(Debug, Clone, Default)]
pub struct State {
    revision: u64,
    last_id: u64,
    databases: BTreeMap<DatabaseId, Database>,
    live_names: BTreeMap<DatabaseName, DatabaseId>,
    schemas: HashMap<DatabaseId, DatabaseSchema>,
    tokens: BTreeMap<TokenId, TokenRecord>,
    dbrps: Dbrps,
    offsets: BTreeMap<LogPartition, u64>,
    /// (database, table) → partition key → live files, in write order.
    files: BTreeMap<(DatabaseId, TableId), BTreeMap<String, Vec<ParquetFileRecord>>>,
    /// Retired files.
    removed: BTreeMap<RemovedKey, RemovedFile>,
}

impl State {
    /// The revision of the last applied fact (0 when empty).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// `(revision, last id handed out)`, for a compacted snapshot.
    pub fn counters(&self) -> (u64, u64) {
        (self.revision, self.last_id)
    }

    /// Sets the counters after replaying a compacted snapshot's facts.
    pub fn restore_counters(&mut self, revision: u64, last_id: u64) {
        self.revision = revision;
        self.last_id = self.last_id.max(last_id);
    }

    fn next_id(&self, n: u64) -> u64 {
        self.last_id + n
    }

    // ---- reads ------------------------------------------------------------------------------

    pub fn database_by_name(&self, name: &DatabaseName) -> Option<Database> {
        let id = self.live_names.get(name)?;
        self.databases.get(id).cloned()
    }

    pub fn database_by_id(&self, id: DatabaseId) -> Option<Database> {
        self.databases
            .get(&id)
            .filter(|db| db.deleted_at_ns.is_none())
            .cloned()
    }

    fn live(&self, id: DatabaseId) -> Result<&Database, CatalogError> {
        self.databases
            .get(&id)
            .filter(|db| db.deleted_at_ns.is_none())
            .ok_or(CatalogError::DatabaseIdNotFound { id: id.0 })
    }

    pub fn list_databases(&self) -> Vec<Database> {
        self.live_names
            .values()
            .filter_map(|id| self.databases.get(id).cloned())
            .collect()
    }

    pub fn database_schema(&self, id: DatabaseId) -> Result<DatabaseSchema, CatalogError> {
        self.live(id)?;
        Ok(self
            .schemas
            .get(&id)
            .cloned()
            .unwrap_or_else(|| DatabaseSchema::empty(id)))
    }

    pub fn token_by_hash(&self, hash: &auth::TokenHash) -> Option<TokenRecord> {
        self.tokens.values().find(|t| t.hash == *hash).cloned()
    }

    pub fn token_by_id(&self, id: TokenId) -> Option<TokenRecord> {
        self.tokens.get(&id).cloned()
    }

    pub fn list_tokens(&self) -> Vec<TokenRecord> {
        self.tokens.values().cloned().collect()
    }

    pub fn list_dbrps(&self, filter: &DbrpFilter) -> Vec<Dbrp> {
        self.dbrps
            .values()
            .filter(|d| filter.matches(d))
            .cloned()
            .collect()
    }

    pub fn dbrp_by_id(&self, id: DbrpId) -> Option<Dbrp> {
        self.dbrps.get(&id).cloned()
    }

    pub fn snapshot(&self) -> CatalogSnapshot {
        let databases = self.list_databases();
        let schemas = databases
            .iter()
            .map(|db| {
                let schema = self
                    .schemas
                    .get(&db.id)
                    .cloned()
                    .unwrap_or_else(|| DatabaseSchema::empty(db.id));
                (db.id, schema)
            })
            .collect();
        CatalogSnapshot {
            revision: self.revision,
            databases,
            schemas,
            tokens: self.list_tokens(),
            dbrps: self.dbrps.values().cloned().collect(),
        }
    }

    pub fn persisted_offsets(&self) -> BTreeMap<LogPartition, u64> {
        self.offsets.clone()
    }

    pub fn parquet_files(
        &self,
        database_id: DatabaseId,
        table_id: TableId,
    ) -> BTreeMap<String, Vec<ParquetFileRecord>> {
        self.files
            .get(&(database_id, table_id))
            .cloned()
            .unwrap_or_default()
    }

    /// Every retired record, ordered as `Catalog::removed_files` says.
    pub fn removed_files(&self) -> Vec<RemovedFile> {
        let mut out: Vec<RemovedFile> = self.removed.values().cloned().collect();
        sort_removed(&mut out);
        out
    }

    /// Every live record, ordered as `Catalog::all_parquet_files` says.
    pub fn all_parquet_files(&self) -> Vec<ParquetFileRecord> {
        let mut out: Vec<ParquetFileRecord> = self
            .files
            .values()
            .flat_map(|by_key| by_key.values().flatten().cloned())
            .collect();
        // The maps iterate in key order and each list is kept in write order, so this is sorted
        // already; the (then linear) sort keeps the order independent of that.
        sort_all_files(&mut out);
        out
    }

    /// Soft-deleted database records, by id.
    pub fn deleted_databases(&self) -> Vec<Database> {
        self.databases
            .values()
            .filter(|db| db.deleted_at_ns.is_some())
            .cloned()
            .collect()
    }

    /// The live record `object_id` of one partition key.
    fn live_file(
        &self,
        database_id: DatabaseId,
        table_id: TableId,
        partition_key: &str,
        object_id: &str,
    ) -> Option<&ParquetFileRecord> {
        self.files
            .get(&(database_id, table_id))?
            .get(partition_key)?
            .iter()
            .find(|f| f.object_id == object_id)
    }

    // ---- planning: validate an operation, return the fact that performs it ------------------

    pub fn plan_create_database(
        &self,
        name: &DatabaseName,
        options: DatabaseOptions,
        now_ns: i64,
    ) -> Result<Fact, CatalogError> {
        if self.live_names.contains_key(name) {
            return Err(CatalogError::DatabaseAlreadyExists {
                name: name.to_string(),
            });
        }
        Ok(Fact::DatabasePut(Database {
            id: DatabaseId(self.next_id(1)),
            name: name.clone(),
            retention_period: options.retention_period,
            limits: options.limits.unwrap_or_default(),
            created_at_ns: now_ns,
            deleted_at_ns: None,
        }))
    }

    pub fn plan_update_database(
        &self,
        id: DatabaseId,
        update: DatabaseUpdate,
    ) -> Result<Fact, CatalogError> {
        let mut db = self.live(id)?.clone();
        if let Some(retention) = update.retention_period {
            db.retention_period = retention;
        }
        if let Some(limits) = update.limits {
            db.limits = limits;
        }
        Ok(Fact::DatabasePut(db))
    }

    pub fn plan_delete_database(&self, id: DatabaseId, now_ns: i64) -> Result<Fact, CatalogError> {
        let mut db = self.live(id)?.clone();
        db.deleted_at_ns = Some(now_ns);
        let dbrps = plan::delete_target(&self.dbrps, id);
        if dbrps.is_empty() {
            return Ok(Fact::DatabasePut(db));
        }
        Ok(Fact::DatabaseDeleted {
            database: db,
            dbrps,
        })
    }

    /// The new mapping and the fact creating it.
    pub fn plan_create_dbrp(&self, new: NewDbrp) -> Result<(Dbrp, Fact), CatalogError> {
        self.live(new.target)?;
        let (dbrp, changes) = plan::create(&self.dbrps, DbrpId(self.next_id(1)), new)?;
        Ok((dbrp, Fact::Dbrps(changes)))
    }

    /// The updated mapping and the fact, `None` when nothing changes.
    pub fn plan_update_dbrp(
        &self,
        id: DbrpId,
        update: &DbrpUpdate,
    ) -> Result<(Dbrp, Option<Fact>), CatalogError> {
        let (dbrp, changes) = plan::update(&self.dbrps, id, update)?;
        Ok((dbrp, (!changes.is_empty()).then_some(Fact::Dbrps(changes))))
    }

    /// The deleted mapping and the fact.
    pub fn plan_delete_dbrp(&self, id: DbrpId) -> Result<(Dbrp, Fact), CatalogError> {
        let (dbrp, changes) = plan::delete(&self.dbrps, id)?;
        Ok((dbrp, Fact::Dbrps(changes)))
    }

    /// `Ok(None)`: the schema already holds everything (nothing to write).
    pub fn plan_upsert_schema(
        &self,
        id: DatabaseId,
        upsert: &SchemaUpsert,
    ) -> Result<Option<Fact>, CatalogError> {
        let db = self.live(id)?;
        let current = self
            .schemas
            .get(&id)
            .cloned()
            .unwrap_or_else(|| DatabaseSchema::empty(id));
        let plan = plan_upsert(db.name.as_str(), &current, &db.limits, upsert)?;
        if plan.is_empty() {
            return Ok(None);
        }
        let mut ids = 0;
        let mut changed: BTreeMap<String, TableSchema> = BTreeMap::new();
        for table in plan.new_tables {
            ids += 1;
            changed.insert(
                table,
                TableSchema {
                    id: TableId(self.next_id(ids)),
                    columns: BTreeMap::new(),
                },
            );
        }
        for (table, column, column_type) in plan.new_columns {
            ids += 1;
            let entry = match changed.entry(table) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let existing = current.tables.get(e.key()).cloned().ok_or_else(|| {
                        CatalogError::Internal(format!(
                            "schema plan names table {:?} that is neither new nor stored",
                            e.key()
                        ))
                    })?;
                    e.insert(existing)
                }
            };
            entry.columns.insert(
                column,
                ColumnSchema {
                    id: ColumnId(self.next_id(ids)),
                    column_type,
                },
            );
        }
        Ok(Some(Fact::TablesPut {
            database_id: id,
            tables: changed.into_iter().collect(),
        }))
    }

    pub fn plan_create_token(&self, token: NewToken, now_ns: i64) -> Result<Fact, CatalogError> {
        if self.tokens.values().any(|t| t.hash == token.hash) {
            return Err(CatalogError::TokenAlreadyExists);
        }
        Ok(Fact::TokenPut(TokenRecord {
            id: TokenId(self.next_id(1)),
            hash: token.hash,
            description: token.description,
            operator: token.operator,
            permissions: token.permissions,
            created_at_ns: now_ns,
            revoked: false,
        }))
    }

    pub fn plan_update_token(
        &self,
        id: TokenId,
        update: TokenUpdate,
    ) -> Result<Fact, CatalogError> {
        let mut record = self
            .tokens
            .get(&id)
            .cloned()
            .ok_or(CatalogError::TokenNotFound { id: id.0 })?;
        if let Some(description) = update.description {
            record.description = description;
        }
        if let Some(active) = update.active {
            record.revoked = !active;
        }
        Ok(Fact::TokenPut(record))
    }

    pub fn plan_delete_token(&self, id: TokenId) -> Result<Fact, CatalogError> {
        if !self.tokens.contains_key(&id) {
            return Err(CatalogError::TokenNotFound { id: id.0 });
        }
        Ok(Fact::TokenDeleted(id))
    }

    pub fn plan_commit_persist(&self, commit: PersistCommit) -> Result<Fact, CatalogError> {
        let actual = self.offsets.get(&commit.log_partition).copied();
        if actual != commit.expected_offset {
            return Err(CatalogError::OffsetConflict {
                partition: commit.log_partition,
                expected: commit.expected_offset,
                actual,
            });
        }
        Ok(Fact::Persist {
            log_partition: commit.log_partition,
            offset: commit.new_offset,
            files: commit.files,
        })
    }

    /// The swap's fact, retiring records at `now_ns`; see `Catalog::replace_files`.
    pub fn plan_replace_files(&self, swap: FileSwap, now_ns: i64) -> Result<Fact, CatalogError> {
        swap.check()?;
        let (db, table, key) = (swap.database_id, swap.table_id, swap.partition_key.as_str());
        let mut removed = Vec::with_capacity(swap.remove.len());
        for record in &swap.remove {
            let live = self
                .live_file(db, table, key, &record.object_id)
                .ok_or_else(|| swap.changed(&record.object_id))?;
            removed.push(RemovedFile {
                record: live.clone(),
                removed_at_ns: now_ns,
            });
        }
        for record in &swap.add {
            if self.live_file(db, table, key, &record.object_id).is_some()
                || self.removed.contains_key(&removed_key(record))
            {
                return Err(swap.exists(&record.object_id));
            }
        }
        Ok(Fact::FilesReplaced {
            database_id: db,
            table_id: table,
            partition_key: swap.partition_key,
            removed,
            added: swap.add,
        })
    }

    /// `None` when no retired record has one of these ids.
    pub fn plan_purge_removed_files(&self, object_ids: &[String]) -> Option<Fact> {
        let wanted: HashSet<&str> = object_ids.iter().map(String::as_str).collect();
        let found: BTreeSet<&String> = self
            .removed
            .keys()
            .filter(|(_, _, _, id)| wanted.contains(id.as_str()))
            .map(|(_, _, _, id)| id)
            .collect();
        (!found.is_empty()).then(|| Fact::RemovedFilesPurged {
            object_ids: found.into_iter().cloned().collect(),
        })
    }

    /// `Ok(None)` when the deleted database has no file records left.
    pub fn plan_purge_database_files(&self, id: DatabaseId) -> Result<Option<Fact>, CatalogError> {
        let db = self
            .databases
            .get(&id)
            .ok_or(CatalogError::DatabaseIdNotFound { id: id.0 })?;
        if db.deleted_at_ns.is_none() {
            return Err(CatalogError::DatabaseNotDeleted { id: id.0 });
        }
        let live = self.files.keys().any(|(db, _)| *db == id);
        let retired = self.removed.keys().any(|(db, ..)| *db == id);
        Ok((live || retired).then_some(Fact::DatabaseFilesPurged { database_id: id }))
    }

    // ---- applying ---------------------------------------------------------------------------

    /// Applies `fact` as the next revision; returns the changes caches must see (all of that
    /// revision), in order.
    pub fn apply(&mut self, fact: Fact) -> Vec<CatalogChange> {
        self.revision += 1;
        let revision = self.revision;
        match fact {
            Fact::DatabasePut(db) => vec![self.apply_database(revision, db)],
            Fact::DatabaseDeleted { database, dbrps } => vec![
                self.apply_database(revision, database),
                self.apply_dbrps(revision, &dbrps),
            ],
            Fact::Dbrps(dbrps) => vec![self.apply_dbrps(revision, &dbrps)],
            Fact::TablesPut {
                database_id,
                tables,
            } => vec![self.apply_tables(revision, database_id, tables)],
            Fact::TokenPut(token) => {
                self.last_id = self.last_id.max(token.id.0);
                self.tokens.insert(token.id, token.clone());
                vec![CatalogChange::TokenUpserted { revision, token }]
            }
            Fact::TokenDeleted(id) => {
                self.last_id = self.last_id.max(id.0);
                self.tokens.remove(&id);
                vec![CatalogChange::TokenDeleted { revision, id }]
            }
            Fact::Persist {
                log_partition,
                offset,
                files,
            } => {
                self.offsets.insert(log_partition, offset);
                self.add_files(files);
                Vec::new()
            }
            Fact::FilesReplaced {
                database_id,
                table_id,
                partition_key,
                removed,
                added,
            } => {
                let gone: HashSet<&str> = removed
                    .iter()
                    .map(|r| r.record.object_id.as_str())
                    .collect();
                self.drop_files(database_id, table_id, &partition_key, |f| {
                    gone.contains(f.object_id.as_str())
                });
                for retired in &removed {
                    self.removed
                        .insert(removed_key(&retired.record), retired.clone());
                }
                self.add_files(added);
                Vec::new()
            }
            Fact::RemovedFilesPurged { object_ids } => {
                let gone: HashSet<String> = object_ids.into_iter().collect();
                self.removed.retain(|(_, _, _, id), _| !gone.contains(id));
                Vec::new()
            }
            Fact::DatabaseFilesPurged { database_id } => {
                self.files.retain(|(db, _), _| *db != database_id);
                self.removed.retain(|(db, ..), _| *db != database_id);
                Vec::new()
            }
        }
    }

    /// Makes `files` live, keeping each partition key's list in write order.
    fn add_files(&mut self, files: Vec<ParquetFileRecord>) {
        let mut touched = Vec::new();
        for file in files {
            let (table, key) = (
                (file.database_id, file.table_id),
                file.partition_key.clone(),
            );
            self.files
                .entry(table)
                .or_default()
                .entry(key.clone())
                .or_default()
                .push(file);
            touched.push((table, key));
        }
        touched.sort();
        touched.dedup();
        for (table, key) in touched {
            if let Some(list) = self.files.get_mut(&table).and_then(|k| k.get_mut(&key)) {
                sort_in_write_order(list);
            }
        }
    }

    /// Drops the live files of one partition key that `gone` accepts, and the key (and the
    /// table's entry) once empty.
    fn drop_files(
        &mut self,
        database_id: DatabaseId,
        table_id: TableId,
        partition_key: &str,
        gone: impl Fn(&ParquetFileRecord) -> bool,
    ) {
        let table = (database_id, table_id);
        let Some(by_key) = self.files.get_mut(&table) else {
            return;
        };
        if let Some(list) = by_key.get_mut(partition_key) {
            list.retain(|f| !gone(f));
            if list.is_empty() {
                by_key.remove(partition_key);
            }
        }
        if by_key.is_empty() {
            self.files.remove(&table);
        }
    }

    fn apply_database(&mut self, revision: u64, db: Database) -> CatalogChange {
        self.last_id = self.last_id.max(db.id.0);
        self.schemas
            .entry(db.id)
            .or_insert_with(|| DatabaseSchema::empty(db.id));
        let change = if db.deleted_at_ns.is_some() {
            if self.live_names.get(&db.name) == Some(&db.id) {
                self.live_names.remove(&db.name);
            }
            CatalogChange::DatabaseDeleted {
                revision,
                id: db.id,
            }
        } else {
            self.live_names.insert(db.name.clone(), db.id);
            CatalogChange::DatabaseUpserted {
                revision,
                database: db.clone(),
            }
        };
        self.databases.insert(db.id, db);
        change
    }

    fn apply_tables(
        &mut self,
        revision: u64,
        database_id: DatabaseId,
        tables: Vec<(String, TableSchema)>,
    ) -> CatalogChange {
        let schema = self
            .schemas
            .entry(database_id)
            .or_insert_with(|| DatabaseSchema::empty(database_id));
        for (name, table) in tables {
            self.last_id = self.last_id.max(table.id.0);
            for column in table.columns.values() {
                self.last_id = self.last_id.max(column.id.0);
            }
            schema.tables.insert(name, table);
        }
        let schema = schema.clone();
        CatalogChange::SchemaChanged { revision, schema }
    }

    fn apply_dbrps(&mut self, revision: u64, changes: &DbrpChanges) -> CatalogChange {
        let ids = changes.put.iter().map(|d| d.id);
        for id in ids.chain(changes.deleted.iter().copied()) {
            self.last_id = self.last_id.max(id.0);
        }
        changes.apply_to(&mut self.dbrps);
        CatalogChange::DbrpsChanged {
            revision,
            dbrps: self.dbrps.values().cloned().collect(),
        }
    }

    /// Facts that rebuild this state from empty, for a compacted snapshot. The counters are
    /// carried separately (see [`State::counters`] and [`State::restore_counters`]). Offsets
    /// are `Persist` facts without files; file records, live and retired, are one
    /// `FilesReplaced` per partition key (a compacted file names no log partition whose offset
    /// could carry it).
    pub fn to_facts(&self) -> Vec<Fact> {
        let mut facts: Vec<Fact> = self
            .databases
            .values()
            .cloned()
            .map(Fact::DatabasePut)
            .collect();
        for (id, schema) in &self.schemas {
            if !schema.tables.is_empty() {
                facts.push(Fact::TablesPut {
                    database_id: *id,
                    tables: schema
                        .tables
                        .iter()
                        .map(|(n, t)| (n.clone(), t.clone()))
                        .collect(),
                });
            }
        }
        facts.extend(self.tokens.values().cloned().map(Fact::TokenPut));
        if !self.dbrps.is_empty() {
            facts.push(Fact::Dbrps(DbrpChanges {
                put: self.dbrps.values().cloned().collect(),
                deleted: Vec::new(),
            }));
        }
        for (partition, offset) in &self.offsets {
            facts.push(Fact::Persist {
                log_partition: *partition,
                offset: *offset,
                files: Vec::new(),
            });
        }
        type Files = (Vec<RemovedFile>, Vec<ParquetFileRecord>);
        let mut by_key: BTreeMap<(DatabaseId, TableId, &str), Files> = BTreeMap::new();
        for ((db, table, key, _), retired) in &self.removed {
            by_key
                .entry((*db, *table, key.as_str()))
                .or_default()
                .0
                .push(retired.clone());
        }
        for ((db, table), keys) in &self.files {
            for (key, live) in keys {
                by_key
                    .entry((*db, *table, key.as_str()))
                    .or_default()
                    .1
                    .extend(live.iter().cloned());
            }
        }
        for ((database_id, table_id, partition_key), (removed, added)) in by_key {
            facts.push(Fact::FilesReplaced {
                database_id,
                table_id,
                partition_key: partition_key.to_owned(),
                removed,
                added,
            });
        }
        facts
    }
}
