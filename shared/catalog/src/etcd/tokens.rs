//! Tokens: `token/hash/<sha256 hex>` → id and `token/id/<id>` → record. Only hashes are stored.
//!
//! ```text
//! create: read {hash, ids/last} ──► txn[hash absent, ids/last unchanged] put hash, record, ids/last
//! update: read record ──► txn[record unchanged] put record          (revoke = active: false)
//! delete: read record ──► txn[record unchanged] delete record, hash
//! ```

use etcd_client::{Txn, TxnOp};

use super::keys::Keys;
use super::kv::{
    Kv, MAX_CAS_ATTEMPTS, absent, backoff, contention, decode, encode, put, unchanged,
};
use super::{last_id, now_ns};
use crate::{CatalogError, NewToken, TokenId, TokenRecord, TokenUpdate};

pub(super) async fn create(
    kv: &Kv,
    keys: &Keys,
    token: NewToken,
) -> Result<TokenRecord, CatalogError> {
    let hash_key = keys.token_hash(&token.hash);
    let last_key = keys.last_id();
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let (found, _) = kv.read_keys(&[hash_key.clone(), last_key.clone()]).await?;
        if found[0].is_some() {
            return Err(CatalogError::TokenAlreadyExists);
        }
        let (last, last_rev) = last_id(found[1].as_ref())?;
        let record = TokenRecord {
            id: TokenId(last + 1),
            hash: token.hash,
            description: token.description.clone(),
            operator: token.operator,
            permissions: token.permissions.clone(),
            created_at_ns: now_ns(),
            revoked: false,
        };
        let txn = Txn::new()
            .when([absent(&hash_key), unchanged(&last_key, last_rev)])
            .and_then([
                put(&hash_key, encode("token hash index", &record.id)?),
                put(&keys.token(record.id), encode("token record", &record)?),
                put(&last_key, encode("id counter", &record.id.0)?),
            ]);
        if kv.txn(txn).await?.succeeded() {
            return Ok(record);
        }
        backoff(attempt).await;
    }
    Err(contention("create token"))
}

pub(super) async fn by_hash(
    kv: &Kv,
    keys: &Keys,
    hash: &auth::TokenHash,
) -> Result<Option<TokenRecord>, CatalogError> {
    let Some(id_kv) = kv.get_one(&keys.token_hash(hash)).await? else {
        return Ok(None);
    };
    let id: TokenId = decode(&id_kv)?;
    by_id(kv, keys, id).await
}

pub(super) async fn by_id(
    kv: &Kv,
    keys: &Keys,
    id: TokenId,
) -> Result<Option<TokenRecord>, CatalogError> {
    Ok(read(kv, keys, id).await?.map(|(record, _)| record))
}

pub(super) async fn list(kv: &Kv, keys: &Keys) -> Result<Vec<TokenRecord>, CatalogError> {
    let (kvs, _) = kv.range(&keys.tokens(), 0).await?;
    let mut out = kvs
        .iter()
        .map(decode::<TokenRecord>)
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|t| t.id);
    Ok(out)
}

pub(super) async fn update(
    kv: &Kv,
    keys: &Keys,
    id: TokenId,
    update: TokenUpdate,
) -> Result<TokenRecord, CatalogError> {
    let key = keys.token(id);
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let (mut record, rev) = read(kv, keys, id)
            .await?
            .ok_or(CatalogError::TokenNotFound { id: id.0 })?;
        if let Some(description) = &update.description {
            record.description.clone_from(description);
        }
        if let Some(active) = update.active {
            record.revoked = !active;
        }
        let txn = Txn::new()
            .when([unchanged(&key, rev)])
            .and_then([put(&key, encode("token record", &record)?)]);
        if kv.txn(txn).await?.succeeded() {
            return Ok(record);
        }
        backoff(attempt).await;
    }
    Err(contention("update token"))
}

pub(super) async fn delete(kv: &Kv, keys: &Keys, id: TokenId) -> Result<(), CatalogError> {
    let key = keys.token(id);
    for attempt in 0..MAX_CAS_ATTEMPTS {
        let (record, rev) = read(kv, keys, id)
            .await?
            .ok_or(CatalogError::TokenNotFound { id: id.0 })?;
        let txn = Txn::new().when([unchanged(&key, rev)]).and_then([
            TxnOp::delete(key.as_str(), None),
            TxnOp::delete(keys.token_hash(&record.hash), None),
        ]);
        if kv.txn(txn).await?.succeeded() {
            return Ok(());
        }
        backoff(attempt).await;
    }
    Err(contention("delete token"))
}

async fn read(
    kv: &Kv,
    keys: &Keys,
    id: TokenId,
) -> Result<Option<(TokenRecord, i64)>, CatalogError> {
    let Some(found) = kv.get_one(&keys.token(id)).await? else {
        return Ok(None);
    };
    Ok(Some((decode(&found)?, found.mod_revision())))
}
