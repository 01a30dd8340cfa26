//! DBRP mappings: `dbrp/<id>` → `Dbrp`; `dbrpver` counts mapping changes, so every change
//! compares it and a change planned on a stale read loses (mappings are few and change
//! rarely: one counter serialising them all costs nothing).
//!
//! ```text
//! read:   txn of gets {dbrpver, …} at R ──► range dbrp/ @R ──► Dbrps
//! create: read {dbrpver, ids/last, db/id/<target>} ──► plan::create
//!         ──► txn[dbrpver, ids/last, target record unchanged] put/delete records, dbrpver+1, ids/last
//! update, delete: read {dbrpver} ──► plan ──► txn[dbrpver unchanged] put/delete records, dbrpver+1
//! lost compare ──► re-read, re-plan (the loser of a race for one pair sees DbrpAlreadyExists)
//! ```

use etcd_client::{Compare, KeyValue, Txn, TxnOp};

use super::keys::Keys;
use super::kv::{Kv, MAX_CAS_ATTEMPTS, backoff, contention, decode, encode, put, unchanged};
use super::last_id;
use crate::dbrp::plan::{self, Dbrps};
use crate::{CatalogError, Database, Dbrp, DbrpChanges, DbrpFilter, DbrpId, DbrpUpdate, NewDbrp};

/// The mappings and the `dbrpver` counter, read at one revision, plus the extra keys asked for.
pub(super) struct Read {
    pub(super) dbrps: Dbrps,
    version: u64,
    version_rev: i64,
    pub(super) extra: Vec<Option<KeyValue>>,
}

impl Read {
    /// `dbrpver` unchanged since this read.
    pub(super) fn unchanged(&self, keys: &Keys) -> Compare {
        unchanged(&keys.dbrp_version(), self.version_rev)
    }

    /// The operations applying `changes`, `dbrpver` bumped (nothing when there are none).
    pub(super) fn ops(
        &self,
        keys: &Keys,
        changes: &DbrpChanges,
    ) -> Result<Vec<TxnOp>, CatalogError> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let mut ops = Vec::with_capacity(changes.put.len() + changes.deleted.len() + 1);
        for dbrp in &changes.put {
            ops.push(put(&keys.dbrp(dbrp.id), encode("DBRP mapping", dbrp)?));
        }
        for id in &changes.deleted {
            ops.push(TxnOp::delete(keys.dbrp(*id), None));
        }
        ops.push(put(
            &keys.dbrp_version(),
            encode("DBRP change counter", &(self.version + 1))?,
        ));
        Ok(ops)
    }
}

/// Reads `dbrpver` and `extra` at one revision, then every mapping at that revision.
pub(super) async fn read(kv: &Kv, keys: &Keys, extra: &[String]) -> Result<Read, CatalogError> {
    let mut wanted = vec![keys.dbrp_version()];
    wanted.extend_from_slice(extra);
    let (mut found, revision) = kv.read_keys(&wanted).await?;
    let extra = found.split_off(1);
    let (version, version_rev) = match &found[0] {
        Some(v) => (decode::<u64>(v)?, v.mod_revision()),
        None => (0, 0),
    };
    let (kvs, _) = kv.range(&keys.dbrps(), revision).await?;
    let dbrps = decode_all(&kvs)?;
    Ok(Read {
        dbrps,
        version,
        version_rev,
        extra,
    })
}

/// Every mapping of a range read of `dbrp/`.
pub(super) fn decode_all(kvs: &[KeyValue]) -> Result<Dbrps, CatalogError> {
    kvs.iter()
        .map(|kv| decode::<Dbrp>(kv).map(|d| (d.id, d)))
        .collect()
}

pub(super) async fn create(kv: &Kv, keys: &Keys, new: NewDbrp) -> Result<Dbrp, CatalogError> {
    let last_key = keys.last_id();
    let target_key = keys.database(new.target);
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let read = read(kv, keys, &[last_key.clone(), target_key.clone()]).await?;
        let (last, last_rev) = last_id(read.extra[0].as_ref())?;
        let target_rev = match &read.extra[1] {
            Some(found) if decode::<Database>(found)?.deleted_at_ns.is_none() => {
                found.mod_revision()
            }
            _ => return Err(CatalogError::DatabaseIdNotFound { id: new.target.0 }),
        };
        let id = DbrpId(last + 1);
        let (dbrp, changes) = plan::create(&read.dbrps, id, new.clone())?;
        let mut ops = read.ops(keys, &changes)?;
        ops.push(put(&last_key, encode("id counter", &id.0)?));
        let txn = Txn::new()
            .when([
                read.unchanged(keys),
                unchanged(&last_key, last_rev),
                unchanged(&target_key, target_rev),
            ])
            .and_then(ops);
        if kv.txn(txn).await?.succeeded() {
            return Ok(dbrp);
        }
        backoff(attempt).await;
    }
    Err(contention("create DBRP mapping"))
}

pub(super) async fn list(
    kv: &Kv,
    keys: &Keys,
    filter: &DbrpFilter,
) -> Result<Vec<Dbrp>, CatalogError> {
    let (kvs, _) = kv.range(&keys.dbrps(), 0).await?;
    Ok(decode_all(&kvs)?
        .into_values()
        .filter(|d| filter.matches(d))
        .collect())
}

pub(super) async fn by_id(kv: &Kv, keys: &Keys, id: DbrpId) -> Result<Option<Dbrp>, CatalogError> {
    kv.get_one(&keys.dbrp(id))
        .await?
        .map(|found| decode(&found))
        .transpose()
}

pub(super) async fn update(
    kv: &Kv,
    keys: &Keys,
    id: DbrpId,
    update: DbrpUpdate,
) -> Result<Dbrp, CatalogError> {
    change(kv, keys, "update DBRP mapping", |dbrps| {
        plan::update(dbrps, id, &update)
    })
    .await
}

pub(super) async fn delete(kv: &Kv, keys: &Keys, id: DbrpId) -> Result<Dbrp, CatalogError> {
    change(kv, keys, "delete DBRP mapping", |dbrps| {
        plan::delete(dbrps, id)
    })
    .await
}

/// Plans against a read and commits it if `dbrpver` is unchanged; retries on a lost compare.
async fn change(
    kv: &Kv,
    keys: &Keys,
    what: &str,
    plan: impl Fn(&Dbrps) -> Result<(Dbrp, DbrpChanges), CatalogError>,
) -> Result<Dbrp, CatalogError> {
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let read = read(kv, keys, &[]).await?;
        let (dbrp, changes) = plan(&read.dbrps)?;
        if changes.is_empty() {
            return Ok(dbrp);
        }
        let txn = Txn::new()
            .when([read.unchanged(keys)])
            .and_then(read.ops(keys, &changes)?);
        if kv.txn(txn).await?.succeeded() {
            return Ok(dbrp);
        }
        backoff(attempt).await;
    }
    Err(contention(what))
}
