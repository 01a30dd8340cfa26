//! The etcd client as the backend uses it: every call bounded by a timeout, every failure mapped
//! to a [`CatalogError`], values as size-checked JSON, reads paged at one revision.
//!
//! ```text
//! backend op ──► Kv::{get_one, range, read_txn, txn, …} ──► timeout(CALL_TIMEOUT, etcd rpc)
//!                                   │ transport/gRPC Unavailable/timeout ──► Unavailable
//!                                   │ other gRPC status                   ──► Internal
//!                                   ▼
//!                 KeyValue ──► decode::<T>() (serde_json; bad bytes ──► Corrupt{key})
//! ```

use std::future::Future;
use std::time::Duration;

use etcd_client::{
    Client, Compare, CompareOp, GetOptions, GetResponse, KeyValue, Txn, TxnOp, TxnOpResponse,
    TxnResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::CatalogError;

/// Upper bound on every etcd call, so a dead etcd never hangs a write.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest value the backend writes (docs/architecture.md, "The catalog").
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// etcd's default `--max-txn-ops`.
pub(super) const MAX_TXN_OPS: usize = 128;
/// Keys per page of a range read.
const PAGE_SIZE: i64 = 500;
/// Attempts of a compare-and-swap loop before giving up.
pub(super) const MAX_CAS_ATTEMPTS: u32 = 64;

/// A cheap handle on the etcd client (clones share the connection).
#[derive(Clone)]
pub(super) struct Kv {
    client: Client,
}

impl Kv {
    pub(super) fn new(client: Client) -> Self {
        Self { client }
    }

    pub(super) fn client(&self) -> Client {
        self.client.clone()
    }

    /// The value and mod revision of one key (`None` when absent).
    pub(super) async fn get_one(&self, key: &str) -> Result<Option<KeyValue>, CatalogError> {
        let mut client = self.client.clone();
        let mut resp = bounded("get", client.get(key, None)).await?;
        Ok(resp.take_kvs().into_iter().next())
    }

    /// Every key under `prefix`, read in pages at one revision. `revision` 0 = the current
    /// one. Returns the key-values (in key order) and the revision they reflect.
    pub(super) async fn range(
        &self,
        prefix: &str,
        revision: i64,
    ) -> Result<(Vec<KeyValue>, i64), CatalogError> {
        let end = prefix_end(prefix.as_bytes());
        let mut start = prefix.as_bytes().to_vec();
        let mut revision = revision;
        let mut out = Vec::new();
        loop {
            let mut options = GetOptions::new()
                .with_range(end.clone())
                .with_limit(PAGE_SIZE);
            if revision > 0 {
                options = options.with_revision(revision);
            }
            let mut client = self.client.clone();
            let mut resp = bounded("range", client.get(start.clone(), Some(options))).await?;
            if revision == 0 {
                revision = header_revision(&resp)?;
            }
            let more = resp.more();
            let kvs = resp.take_kvs();
            let Some(last) = kvs.last() else { break };
            start = last.key().to_vec();
            start.push(0);
            out.extend(kvs);
            if !more {
                break;
            }
        }
        Ok((out, revision))
    }

    /// Runs a transaction.
    pub(super) async fn txn(&self, txn: Txn) -> Result<TxnResponse, CatalogError> {
        let mut client = self.client.clone();
        bounded("txn", client.txn(txn)).await
    }

    /// Reads several single keys at one revision (a transaction of gets). Returns, per key,
    /// its key-value if present, and the revision.
    pub(super) async fn read_keys(
        &self,
        keys: &[String],
    ) -> Result<(Vec<Option<KeyValue>>, i64), CatalogError> {
        let ops: Vec<TxnOp> = keys.iter().map(|k| TxnOp::get(k.as_str(), None)).collect();
        let resp = self.txn(Txn::new().and_then(ops)).await?;
        let revision = txn_revision(&resp)?;
        let mut out = Vec::with_capacity(keys.len());
        for op in resp.op_responses() {
            match op {
                TxnOpResponse::Get(mut get) => out.push(get.take_kvs().into_iter().next()),
                other => {
                    return Err(CatalogError::Internal(format!(
                        "etcd answered a read transaction with {other:?}"
                    )));
                }
            }
        }
        Ok((out, revision))
    }
}

/// Awaits an etcd call for at most [`CALL_TIMEOUT`], mapping errors.
pub(super) async fn bounded<T>(
    what: &str,
    call: impl Future<Output = Result<T, etcd_client::Error>>,
) -> Result<T, CatalogError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(result) => result.map_err(|e| map_error(what, e)),
        Err(_) => Err(CatalogError::Unavailable(format!(
            "etcd did not answer {what} within {} s",
            CALL_TIMEOUT.as_secs()
        ))),
    }
}

/// Connection problems and timeouts are `Unavailable` (retry later); the rest `Internal`.
pub(super) fn map_error(what: &str, e: etcd_client::Error) -> CatalogError {
    use etcd_client::Error as E;
    use tonic::Code;
    match &e {
        E::TransportError(_) | E::IoError(_) => {
            CatalogError::Unavailable(format!("etcd {what}: {e}"))
        }
        E::GRpcStatus(status)
            if matches!(
                status.code(),
                Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown
            ) =>
        {
            CatalogError::Unavailable(format!("etcd {what}: {}", status.message()))
        }
        E::WatchError(_) | E::LeaseKeepAliveError(_) => {
            CatalogError::Unavailable(format!("etcd {what}: {e}"))
        }
        _ => CatalogError::Internal(format!("etcd {what}: {e}")),
    }
}

/// The store revision in a range response header.
pub(super) fn header_revision(resp: &GetResponse) -> Result<i64, CatalogError> {
    resp.header()
        .map(|h| h.revision())
        .ok_or_else(|| CatalogError::Internal("etcd response without a header".into()))
}

/// The store revision after a transaction.
pub(super) fn txn_revision(resp: &TxnResponse) -> Result<i64, CatalogError> {
    resp.header()
        .map(|h| h.revision())
        .ok_or_else(|| CatalogError::Internal("etcd transaction response without a header".into()))
}

/// JSON of `value`, rejected when over [`MAX_VALUE_BYTES`].
pub(super) fn encode<T: Serialize>(what: &str, value: &T) -> Result<Vec<u8>, CatalogError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| CatalogError::Internal(format!("cannot encode {what}: {e}")))?;
    if bytes.len() > MAX_VALUE_BYTES {
        return Err(CatalogError::Internal(format!(
            "{what} would take {} bytes in the catalog, more than the {} KiB limit of one etcd value",
            bytes.len(),
            MAX_VALUE_BYTES / 1024
        )));
    }
    Ok(bytes)
}

/// Decodes a stored JSON value; undecodable bytes are [`CatalogError::Corrupt`].
pub(super) fn decode<T: DeserializeOwned>(kv: &KeyValue) -> Result<T, CatalogError> {
    serde_json::from_slice(kv.value()).map_err(|e| CatalogError::Corrupt {
        key: String::from_utf8_lossy(kv.key()).into_owned(),
        reason: e.to_string(),
    })
}

/// `key` unchanged since `revision` (0 = still absent).
pub(super) fn unchanged(key: &str, revision: i64) -> Compare {
    Compare::mod_revision(key, CompareOp::Equal, revision)
}

/// `key` does not exist.
pub(super) fn absent(key: &str) -> Compare {
    Compare::create_revision(key, CompareOp::Equal, 0)
}

/// A put of JSON bytes.
pub(super) fn put(key: &str, value: Vec<u8>) -> TxnOp {
    TxnOp::put(key, value, None)
}

/// The first key after every key starting with `prefix` (etcd's range end for a prefix).
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// Sleeps a little before retrying a lost compare-and-swap (grows with the attempt number).
pub(super) async fn backoff(attempt: u32) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter_us = u64::from(nanos % 1000);
    let base_us = 200 * u64::from(attempt.min(20));
    tokio::time::sleep(Duration::from_micros(base_us + jitter_us)).await;
}

/// Error after [`MAX_CAS_ATTEMPTS`] lost compare-and-swaps.
pub(super) fn contention(what: &str) -> CatalogError {
    CatalogError::Unavailable(format!(
        "{what}: lost {MAX_CAS_ATTEMPTS} compare-and-swap attempts to concurrent catalog changes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_the_last_byte() {
        assert_eq!(prefix_end(b"/quiver/db/"), b"/quiver/db0".to_vec());
        assert_eq!(prefix_end(b"a\xff"), b"b".to_vec());
        assert_eq!(prefix_end(b"\xff"), vec![0]);
    }

    #[test]
    fn values_over_64_kib_are_rejected_with_the_size() {
        let big = "x".repeat(MAX_VALUE_BYTES);
        let err = encode("table cpu", &big).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "catalog error: table cpu would take {} bytes in the catalog, more than the 64 KiB limit of one etcd value",
                MAX_VALUE_BYTES + 2
            )
        );
        assert!(encode("small", &"x".repeat(100)).is_ok());
    }
}
