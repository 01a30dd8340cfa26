//! Schemas: one key per table, `schema/<db_id>/<table>` → `TableSchema`; `schemaver/<db_id>`
//! serialises changes of one database.
//!
//! ```text
//! upsert: read {record, schemaver, ids/last} at R ──► tables at R ──► plan_upsert
//!           (conflict/limit ──► error) ──► new ids from ids/last ──► changed tables
//!         ──► txn[record, schemaver, ids/last unchanged] put tables…, schemaver, ids/last
//!             (more tables than fit: further txns, each [schemaver unchanged since the last])
//!         lost compare ──► re-read, re-plan (the loser of a type race gets SchemaConflict)
//! ```

use std::collections::BTreeMap;

use etcd_client::Txn;

use super::keys::Keys;
use super::kv::{
    Kv, MAX_CAS_ATTEMPTS, MAX_TXN_OPS, backoff, contention, decode, encode, put, txn_revision,
    unchanged,
};
use super::last_id;
use crate::{
    CatalogError, ColumnId, ColumnSchema, Database, DatabaseId, DatabaseSchema, SchemaUpsert,
    TableId, TableSchema, plan_upsert,
};

/// Table keys per transaction (the rest of the 128 ops: schemaver and ids/last).
const TABLES_PER_TXN: usize = MAX_TXN_OPS - 2;

/// The schema of a live database.
pub(super) async fn read(
    kv: &Kv,
    keys: &Keys,
    id: DatabaseId,
) -> Result<DatabaseSchema, CatalogError> {
    Ok(read_state(kv, keys, id).await?.schema)
}

/// The tables of `id` as of `revision` (0 = now).
pub(super) async fn tables_at(
    kv: &Kv,
    keys: &Keys,
    id: DatabaseId,
    revision: i64,
) -> Result<DatabaseSchema, CatalogError> {
    let (kvs, _) = kv.range(&keys.tables(id), revision).await?;
    let mut schema = DatabaseSchema::empty(id);
    for found in &kvs {
        let Some((_, name)) = keys.parse_table(found.key()) else {
            continue;
        };
        schema.tables.insert(name, decode::<TableSchema>(found)?);
    }
    Ok(schema)
}

/// What an upsert plans against, read at one revision.
struct State {
    db: Database,
    db_rev: i64,
    version: u64,
    version_rev: i64,
    last_id: u64,
    last_id_rev: i64,
    schema: DatabaseSchema,
}

async fn read_state(kv: &Kv, keys: &Keys, id: DatabaseId) -> Result<State, CatalogError> {
    let (found, revision) = kv
        .read_keys(&[keys.database(id), keys.schema_version(id), keys.last_id()])
        .await?;
    let not_found = CatalogError::DatabaseIdNotFound { id: id.0 };
    let db_kv = found[0].as_ref().ok_or(not_found.clone())?;
    let db: Database = decode(db_kv)?;
    if db.deleted_at_ns.is_some() {
        return Err(not_found);
    }
    let (version, version_rev) = match &found[1] {
        Some(v) => (decode::<u64>(v)?, v.mod_revision()),
        None => (0, 0),
    };
    let (last_id, last_id_rev) = last_id(found[2].as_ref())?;
    let schema = tables_at(kv, keys, id, revision).await?;
    Ok(State {
        db,
        db_rev: db_kv.mod_revision(),
        version,
        version_rev,
        last_id,
        last_id_rev,
        schema,
    })
}

pub(super) async fn upsert(
    kv: &Kv,
    keys: &Keys,
    id: DatabaseId,
    upsert: &SchemaUpsert,
) -> Result<DatabaseSchema, CatalogError> {
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let state = read_state(kv, keys, id).await?;
        let plan = plan_upsert(
            state.db.name.as_str(),
            &state.schema,
            &state.db.limits,
            upsert,
        )?;
        if plan.is_empty() {
            return Ok(state.schema);
        }
        let (changed, ids_used) = changed_tables(&state, plan)?;
        let mut encoded = Vec::with_capacity(changed.len());
        for (name, table) in &changed {
            let what = format!("schema of table {name:?}");
            encoded.push((keys.table(id, name), encode(&what, table)?));
        }
        if apply(kv, keys, &state, encoded, ids_used).await? {
            let mut schema = state.schema;
            schema.tables.extend(changed);
            return Ok(schema);
        }
        backoff(attempt).await;
    }
    Err(contention("schema change"))
}

/// The full new records of every table the plan touches, and how many ids it used.
fn changed_tables(
    state: &State,
    plan: crate::UpsertPlan,
) -> Result<(BTreeMap<String, TableSchema>, u64), CatalogError> {
    let mut next = state.last_id;
    let mut changed: BTreeMap<String, TableSchema> = BTreeMap::new();
    for table in plan.new_tables {
        next += 1;
        let table_schema = TableSchema {
            id: TableId(next),
            columns: BTreeMap::new(),
        };
        changed.insert(table, table_schema);
    }
    for (table, column, column_type) in plan.new_columns {
        next += 1;
        if !changed.contains_key(&table) {
            let existing = state.schema.tables.get(&table).cloned().ok_or_else(|| {
                CatalogError::Internal(format!(
                    "schema plan names table {table:?} that is neither new nor stored"
                ))
            })?;
            changed.insert(table.clone(), existing);
        }
        if let Some(entry) = changed.get_mut(&table) {
            let schema = ColumnSchema {
                id: ColumnId(next),
                column_type,
            };
            entry.columns.insert(column, schema);
        }
    }
    Ok((changed, next - state.last_id))
}

/// Writes the changed tables; false when a compare was lost (nothing or a valid prefix of the
/// change was written; the caller re-plans).
async fn apply(
    kv: &Kv,
    keys: &Keys,
    state: &State,
    tables: Vec<(String, Vec<u8>)>,
    ids_used: u64,
) -> Result<bool, CatalogError> {
    let id = state.db.id;
    let version_key = keys.schema_version(id);
    let last_key = keys.last_id();
    let mut version = state.version;
    let mut version_rev = state.version_rev;
    let mut first = true;
    let mut tables = tables.into_iter().peekable();
    while tables.peek().is_some() {
        version += 1;
        let mut ops: Vec<_> = tables
            .by_ref()
            .take(TABLES_PER_TXN)
            .map(|(key, value)| put(&key, value))
            .collect();
        ops.push(put(&version_key, encode("schema version", &version)?));
        let mut compares = vec![unchanged(&version_key, version_rev)];
        if first {
            compares.push(unchanged(&keys.database(id), state.db_rev));
            compares.push(unchanged(&last_key, state.last_id_rev));
            ops.push(put(
                &last_key,
                encode("id counter", &(state.last_id + ids_used))?,
            ));
            first = false;
        }
        let resp = kv.txn(Txn::new().when(compares).and_then(ops)).await?;
        if !resp.succeeded() {
            return Ok(false);
        }
        version_rev = txn_revision(&resp)?;
    }
    Ok(true)
}
