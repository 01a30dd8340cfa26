//! Persisted offsets (`offset/<partition>` → u64) and Parquet file records
//! (`files/<db_id>/<table_id>/<partition key>/<object id>` → record).
//!
//! ```text
//! commit: txn[offset == expected (absent when None)]
//!           then put offset = new, put every file record
//!           else get offset ──► OffsetConflict { expected, actual }
//! files(db, table): range files/<db>/<table>/ ──► group by partition key ──► write order
//! ```

use std::collections::BTreeMap;

use etcd_client::{Compare, CompareOp, Txn, TxnOp, TxnOpResponse};

use super::keys::Keys;
use super::kv::{Kv, MAX_TXN_OPS, absent, decode, encode, put};
use crate::write_path::sort_in_write_order;
use crate::{CatalogError, DatabaseId, LogPartition, ParquetFileRecord, PersistCommit, TableId};

pub(super) async fn offsets(
    kv: &Kv,
    keys: &Keys,
) -> Result<BTreeMap<LogPartition, u64>, CatalogError> {
    let (kvs, _) = kv.range(&keys.offsets(), 0).await?;
    let mut out = BTreeMap::new();
    for found in &kvs {
        if let Some(partition) = keys.parse_offset(found.key()) {
            out.insert(partition, decode::<u64>(found)?);
        }
    }
    Ok(out)
}

pub(super) async fn commit(
    kv: &Kv,
    keys: &Keys,
    commit: PersistCommit,
) -> Result<(), CatalogError> {
    if commit.files.len() + 1 > MAX_TXN_OPS {
        return Err(CatalogError::Internal(format!(
            "a persist commit holds {} file records, more than the {} one etcd transaction takes; commit in smaller batches",
            commit.files.len(),
            MAX_TXN_OPS - 1
        )));
    }
    let offset_key = keys.offset(commit.log_partition);
    let guard = match commit.expected_offset {
        None => absent(&offset_key),
        Some(expected) => Compare::value(
            offset_key.as_str(),
            CompareOp::Equal,
            encode("persisted offset", &expected)?,
        ),
    };
    let mut ops = vec![put(
        &offset_key,
        encode("persisted offset", &commit.new_offset)?,
    )];
    for file in &commit.files {
        let what = format!("file record {}", file.object_id);
        ops.push(put(&keys.file(file), encode(&what, file)?));
    }
    let txn = Txn::new()
        .when([guard])
        .and_then(ops)
        .or_else([TxnOp::get(offset_key.as_str(), None)]);
    let resp = kv.txn(txn).await?;
    if resp.succeeded() {
        return Ok(());
    }
    let actual = match resp.op_responses().into_iter().next() {
        Some(TxnOpResponse::Get(mut get)) => match get.take_kvs().first() {
            Some(found) => Some(decode::<u64>(found)?),
            None => None,
        },
        other => {
            return Err(CatalogError::Internal(format!(
                "etcd answered a lost persist commit with {other:?}"
            )));
        }
    };
    Err(CatalogError::OffsetConflict {
        partition: commit.log_partition,
        expected: commit.expected_offset,
        actual,
    })
}

pub(super) async fn files(
    kv: &Kv,
    keys: &Keys,
    database_id: DatabaseId,
    table_id: TableId,
) -> Result<BTreeMap<String, Vec<ParquetFileRecord>>, CatalogError> {
    let (kvs, _) = kv
        .range(&keys.table_files(database_id, table_id), 0)
        .await?;
    let mut out: BTreeMap<String, Vec<ParquetFileRecord>> = BTreeMap::new();
    for found in &kvs {
        let record: ParquetFileRecord = decode(found)?;
        out.entry(record.partition_key.clone())
            .or_default()
            .push(record);
    }
    for records in out.values_mut() {
        sort_in_write_order(records);
    }
    Ok(out)
}
