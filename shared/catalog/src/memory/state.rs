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

use std::collections::{BTreeMap, HashMap};

use crate::dbrp::plan::{self, Dbrps};
use crate::write_path::sort_in_write_order;
use crate::{
    CatalogChange, CatalogError, CatalogSnapshot, ColumnId, ColumnSchema, Database, DatabaseId,
    DatabaseName, DatabaseOptions, DatabaseSchema, DatabaseUpdate, Dbrp, DbrpChanges, DbrpFilter,
    DbrpId, DbrpUpdate, LogPartition, NewDbrp, NewToken, ParquetFileRecord, PersistCommit,
    SchemaUpsert, TableId, TableSchema, TokenId, TokenRecord, TokenUpdate, plan_upsert,
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
    /// (database, table) → partition key → files, in write order.
    files: BTreeMap<(DatabaseId, TableId), BTreeMap<String, Vec<ParquetFileRecord>>>,
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
        }
    }

    /// Adds `files`, keeping each partition key's list in write order.
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
    /// carried separately (see [`State::counters`] and [`State::restore_counters`]): a commit
    /// records a file together with its partition's offset, so every file is in some fact.
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
        let mut files_by_partition: BTreeMap<LogPartition, Vec<ParquetFileRecord>> =
            BTreeMap::new();
        for by_key in self.files.values() {
            for file in by_key.values().flatten() {
                files_by_partition
                    .entry(file.log_partition)
                    .or_default()
                    .push(file.clone());
            }
        }
        for (partition, offset) in &self.offsets {
            facts.push(Fact::Persist {
                log_partition: *partition,
                offset: *offset,
                files: files_by_partition.remove(partition).unwrap_or_default(),
            });
        }
        facts
    }
}
