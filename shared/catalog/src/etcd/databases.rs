//! Databases: `db/name/<name>` → id (live names only) and `db/id/<id>` → record.
//!
//! ```text
//! create: read {name, ids/last} ──► txn[name absent, ids/last unchanged] put name, record, ids/last
//! update: read record ──► txn[record unchanged] put record
//! delete: read record, mappings (dbrps::read) ──► plan::delete_target
//!         ──► txn[record, dbrpver unchanged] put record{deleted_at_ns}, delete name,
//!             delete its DBRP mappings (+ moved defaults, dbrpver+1) — at most 2 × 50 + 3 ops
//! ```

use etcd_client::{Txn, TxnOp};

use super::dbrps;
use super::keys::Keys;
use super::kv::{
    self, Kv, MAX_CAS_ATTEMPTS, absent, backoff, contention, decode, encode, put, unchanged,
};
use super::{last_id, now_ns};
use crate::dbrp::plan;
use crate::{CatalogError, Database, DatabaseId, DatabaseName, DatabaseOptions, DatabaseUpdate};

pub(super) async fn create(
    kv: &Kv,
    keys: &Keys,
    name: &DatabaseName,
    options: DatabaseOptions,
) -> Result<Database, CatalogError> {
    let name_key = keys.database_name(name.as_str());
    let last_key = keys.last_id();
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let (found, _) = kv.read_keys(&[name_key.clone(), last_key.clone()]).await?;
        if found[0].is_some() {
            return Err(already_exists(name));
        }
        let (last, last_rev) = last_id(found[1].as_ref())?;
        let db = Database {
            id: DatabaseId(last + 1),
            name: name.clone(),
            retention_period: options.retention_period,
            limits: options.limits.unwrap_or_default(),
            created_at_ns: now_ns(),
            deleted_at_ns: None,
        };
        let txn = Txn::new()
            .when([absent(&name_key), unchanged(&last_key, last_rev)])
            .and_then([
                put(&name_key, encode("database name", &db.id)?),
                put(&keys.database(db.id), encode("database record", &db)?),
                put(&last_key, encode("id counter", &db.id.0)?),
            ]);
        if kv.txn(txn).await?.succeeded() {
            return Ok(db);
        }
        backoff(attempt).await;
    }
    Err(contention("create database"))
}

pub(super) async fn by_name(
    kv: &Kv,
    keys: &Keys,
    name: &DatabaseName,
) -> Result<Option<Database>, CatalogError> {
    let Some(id_kv) = kv.get_one(&keys.database_name(name.as_str())).await? else {
        return Ok(None);
    };
    let id: DatabaseId = decode(&id_kv)?;
    by_id(kv, keys, id).await
}

pub(super) async fn by_id(
    kv: &Kv,
    keys: &Keys,
    id: DatabaseId,
) -> Result<Option<Database>, CatalogError> {
    Ok(read_live(kv, keys, id).await?.map(|(db, _)| db))
}

pub(super) async fn list(kv: &Kv, keys: &Keys) -> Result<Vec<Database>, CatalogError> {
    let (kvs, _) = kv.range(&keys.databases(), 0).await?;
    let mut out = Vec::with_capacity(kvs.len());
    for kv in &kvs {
        let db: Database = decode(kv)?;
        if db.deleted_at_ns.is_none() {
            out.push(db);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Soft-deleted database records, by id.
pub(super) async fn deleted(kv: &Kv, keys: &Keys) -> Result<Vec<Database>, CatalogError> {
    let (kvs, _) = kv.range(&keys.databases(), 0).await?;
    let mut out = Vec::new();
    for kv in &kvs {
        let db: Database = decode(kv)?;
        if db.deleted_at_ns.is_some() {
            out.push(db);
        }
    }
    out.sort_by_key(|db| db.id);
    Ok(out)
}

pub(super) async fn update(
    kv: &Kv,
    keys: &Keys,
    id: DatabaseId,
    update: DatabaseUpdate,
) -> Result<Database, CatalogError> {
    let key = keys.database(id);
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let (mut db, rev) = read_live(kv, keys, id)
            .await?
            .ok_or(CatalogError::DatabaseIdNotFound { id: id.0 })?;
        if let Some(retention) = update.retention_period {
            db.retention_period = retention;
        }
        if let Some(limits) = update.limits {
            db.limits = limits;
        }
        let txn = Txn::new()
            .when([unchanged(&key, rev)])
            .and_then([put(&key, encode("database record", &db)?)]);
        if kv.txn(txn).await?.succeeded() {
            return Ok(db);
        }
        backoff(attempt).await;
    }
    Err(contention("update database"))
}

pub(super) async fn delete(kv: &Kv, keys: &Keys, id: DatabaseId) -> Result<Database, CatalogError> {
    let key = keys.database(id);
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let (mut db, rev) = read_live(kv, keys, id)
            .await?
            .ok_or(CatalogError::DatabaseIdNotFound { id: id.0 })?;
        db.deleted_at_ns = Some(now_ns());
        // The mappings naming it go with it; comparing `dbrpver` keeps a new one from slipping in.
        let mappings = dbrps::read(kv, keys, &[]).await?;
        let gone = plan::delete_target(&mappings.dbrps, id);
        // While the record is live, its name key points at it (both change in one txn).
        let mut ops = vec![
            put(&key, encode("database record", &db)?),
            TxnOp::delete(keys.database_name(db.name.as_str()), None),
        ];
        ops.extend(mappings.ops(keys, &gone)?);
        let txn = Txn::new()
            .when([unchanged(&key, rev), mappings.unchanged(keys)])
            .and_then(ops);
        if kv.txn(txn).await?.succeeded() {
            return Ok(db);
        }
        backoff(attempt).await;
    }
    Err(contention("delete database"))
}

/// The live record of `id` and its mod revision.
pub(super) async fn read_live(
    kv: &Kv,
    keys: &Keys,
    id: DatabaseId,
) -> Result<Option<(Database, i64)>, CatalogError> {
    let Some(found) = kv.get_one(&keys.database(id)).await? else {
        return Ok(None);
    };
    let db: Database = kv::decode(&found)?;
    Ok(db
        .deleted_at_ns
        .is_none()
        .then_some((db, found.mod_revision())))
}

fn already_exists(name: &DatabaseName) -> CatalogError {
    CatalogError::DatabaseAlreadyExists {
        name: name.to_string(),
    }
}
