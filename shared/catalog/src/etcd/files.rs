//! File swaps and retired file records: live records stay at
//! `files/<db_id>/<table_id>/<partition key>/<object id>`, retired ones move to
//! `removed/<db_id>/<table_id>/<partition key>/<object id>` (a `RemovedFile`).
//!
//! ```text
//! replace: FileSwap::check ──► ONE txn
//!            [version(files/…/<r>) > 0                     for every retired r (≤ 60)
//!             version(files/…/<a>) == 0, version(removed/…/<a>) == 0
//!                                                          for the added a that still fit
//!                                                          in the 128 compares]
//!            then  delete files/…/<r>, put removed/…/<r> = {r, now}, put files/…/<a>  (≤ 120)
//!            else  get files/…/<r> (keys only) ──► first missing r ──► FilesChanged
//!                  none missing ──► read the compared added keys ──► FileAlreadyExists
//!                  (nothing there any more: it was purged meanwhile ──► retry)
//! removed_files:  range removed/ ──► order by removed_at_ns
//! purge_removed:  range removed/ ──► keys of the named object ids ──► txns of ≤ 128 deletes
//! all_files:      range files/ ──► order by (database, table, partition key, write order)
//! purge_database: get db/id/<id> (deleted?) ──► txn[record unchanged]
//!                   delete prefix files/<db>/, delete prefix removed/<db>/   (2 ops)
//! ```

use std::collections::HashSet;

use etcd_client::{Compare, CompareOp, DeleteOptions, GetOptions, Txn, TxnOp, TxnOpResponse};

use super::keys::Keys;
use super::kv::{
    Kv, MAX_CAS_ATTEMPTS, MAX_TXN_OPS, backoff, contention, decode, encode, put, unchanged,
};
use super::now_ns;
use crate::write_path::{sort_all_files, sort_removed};
use crate::{CatalogError, Database, DatabaseId, FileSwap, ParquetFileRecord, RemovedFile};

pub(super) async fn replace(kv: &Kv, keys: &Keys, swap: FileSwap) -> Result<(), CatalogError> {
    swap.check()?;
    let live_keys: Vec<String> = swap.remove.iter().map(|r| keys.file(r)).collect();
    let mut compares: Vec<Compare> = live_keys
        .iter()
        .map(|k| Compare::version(k.as_str(), CompareOp::Greater, 0))
        .collect();
    // An added object id must not be stored yet, live or retired. That takes two compares per
    // added record; etcd takes at most 128 compares per transaction, so a swap retiring r
    // records checks the first (128 - r) / 2 of its added records here, and relies on object
    // ids being fresh UUIDs (the compactor's) for the rest.
    let mut compared: Vec<(&ParquetFileRecord, [String; 2])> = Vec::new();
    for record in &swap.add {
        if compares.len() + 2 > MAX_TXN_OPS {
            break;
        }
        let pair = [keys.file(record), keys.removed_file(record)];
        for key in &pair {
            compares.push(Compare::version(key.as_str(), CompareOp::Equal, 0));
        }
        compared.push((record, pair));
    }
    let failure: Vec<TxnOp> = live_keys
        .iter()
        .map(|k| TxnOp::get(k.as_str(), Some(GetOptions::new().with_keys_only())))
        .collect();
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let now = now_ns();
        let mut ops = Vec::with_capacity(swap.ops());
        for (record, key) in swap.remove.iter().zip(&live_keys) {
            ops.push(TxnOp::delete(key.as_str(), None));
            let retired = RemovedFile {
                record: record.clone(),
                removed_at_ns: now,
            };
            let what = format!("retired file record {}", record.object_id);
            ops.push(put(&keys.removed_file(record), encode(&what, &retired)?));
        }
        for record in &swap.add {
            let what = format!("file record {}", record.object_id);
            ops.push(put(&keys.file(record), encode(&what, record)?));
        }
        let txn = Txn::new()
            .when(compares.clone())
            .and_then(ops)
            .or_else(failure.clone());
        let resp = kv.txn(txn).await?;
        if resp.succeeded() {
            return Ok(());
        }
        for (record, op) in swap.remove.iter().zip(resp.op_responses()) {
            match op {
                TxnOpResponse::Get(get) if get.kvs().is_empty() => {
                    return Err(swap.changed(&record.object_id));
                }
                TxnOpResponse::Get(_) => {}
                other => {
                    return Err(CatalogError::Internal(format!(
                        "etcd answered a lost file swap with {other:?}"
                    )));
                }
            }
        }
        // Every retired record was live: an added one is stored.
        let added_keys: Vec<String> = compared
            .iter()
            .flat_map(|(_, pair)| pair.iter().cloned())
            .collect();
        let (found, _) = kv.read_keys(&added_keys).await?;
        if let Some(at) = found.iter().position(Option::is_some) {
            return Err(swap.exists(&compared[at / 2].0.object_id));
        }
        // Purged since the transaction: try again.
        backoff(attempt).await;
    }
    Err(contention("replace files"))
}

pub(super) async fn removed(kv: &Kv, keys: &Keys) -> Result<Vec<RemovedFile>, CatalogError> {
    let (kvs, _) = kv.range(&keys.all_removed(), 0).await?;
    let mut out = kvs
        .iter()
        .map(decode::<RemovedFile>)
        .collect::<Result<Vec<_>, _>>()?;
    sort_removed(&mut out);
    Ok(out)
}

pub(super) async fn purge_removed(
    kv: &Kv,
    keys: &Keys,
    object_ids: &[String],
) -> Result<(), CatalogError> {
    if object_ids.is_empty() {
        return Ok(());
    }
    let wanted: HashSet<&str> = object_ids.iter().map(String::as_str).collect();
    let (kvs, _) = kv.range(&keys.all_removed(), 0).await?;
    let mut doomed = Vec::new();
    for found in &kvs {
        let retired: RemovedFile = decode(found)?;
        if wanted.contains(retired.record.object_id.as_str()) {
            doomed.push(found.key().to_vec());
        }
    }
    // Deleting a retired key is final, so batches need no compare: a retry redoes the rest.
    for batch in doomed.chunks(MAX_TXN_OPS) {
        let ops: Vec<TxnOp> = batch
            .iter()
            .map(|key| TxnOp::delete(key.clone(), None))
            .collect();
        kv.txn(Txn::new().and_then(ops)).await?;
    }
    Ok(())
}

pub(super) async fn all(kv: &Kv, keys: &Keys) -> Result<Vec<ParquetFileRecord>, CatalogError> {
    let (kvs, _) = kv.range(&keys.all_files(), 0).await?;
    let mut out = kvs
        .iter()
        .map(decode::<ParquetFileRecord>)
        .collect::<Result<Vec<_>, _>>()?;
    sort_all_files(&mut out);
    Ok(out)
}

pub(super) async fn purge_database(
    kv: &Kv,
    keys: &Keys,
    id: DatabaseId,
) -> Result<(), CatalogError> {
    let key = keys.database(id);
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let found = kv
            .get_one(&key)
            .await?
            .ok_or(CatalogError::DatabaseIdNotFound { id: id.0 })?;
        let db: Database = decode(&found)?;
        if db.deleted_at_ns.is_none() {
            return Err(CatalogError::DatabaseNotDeleted { id: id.0 });
        }
        // A range delete is one operation however many keys it takes.
        let prefix = || Some(DeleteOptions::new().with_prefix());
        let txn = Txn::new()
            .when([unchanged(&key, found.mod_revision())])
            .and_then([
                TxnOp::delete(keys.database_files(id), prefix()),
                TxnOp::delete(keys.database_removed(id), prefix()),
            ]);
        if kv.txn(txn).await?.succeeded() {
            return Ok(());
        }
        backoff(attempt).await;
    }
    Err(contention("purge database files"))
}
