//! Statement handles: the opaque bytes Flight SQL clients hand back to us (the
//! `statement_handle` of a `TicketStatementQuery`, the `prepared_statement_handle` of a prepared
//! statement). They are self-contained, so any querier replica can serve any call of a
//! statement and nothing is kept on the server.
//!
//! ```text
//! StatementHandle { database, sql, params (Arrow IPC stream of the bound batch, optional) }
//!   encode ──► "QVSH" 0x01 | u32 LE len + database | u32 LE len + sql | u32 LE len + params
//!   decode ◄── the same bytes; wrong magic/version, truncation, trailing bytes or non-UTF-8
//!              text ──► HandleError (INVALID_ARGUMENT "Invalid prepared statement handle: …")
//! ```
//!
//! The handle is not a secret and carries no authority: every call that presents it is
//! authorized again against the token and the database it names.

use bytes::Bytes;

const MAGIC: &[u8; 4] = b"QVSH";
const VERSION: u8 = 1;

/// A statement as the client holds it between calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementHandle {
    /// The database the statement was prepared against.
    pub database: String,
    /// The SQL text.
    pub sql: String,
    /// The bound parameter batch as an Arrow IPC stream (`None` = nothing bound).
    pub params: Option<Bytes>,
}

/// Why handle bytes cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    /// The bytes do not start with the Quiver handle prefix.
    #[error("not a statement handle issued by Quiver")]
    NotOurs,
    /// A version this querier does not know.
    #[error("unsupported handle version {0}")]
    Version(u8),
    /// The bytes end inside a field.
    #[error("truncated handle")]
    Truncated,
    /// Bytes after the last field.
    #[error("{0} unexpected trailing bytes")]
    Trailing(usize),
    /// The database or SQL is not UTF-8.
    #[error("the {0} is not valid UTF-8")]
    NotUtf8(&'static str),
}

impl StatementHandle {
    /// A handle without bound parameters.
    pub fn new(database: impl Into<String>, sql: impl Into<String>) -> Self {
        Self {
            database: database.into(),
            sql: sql.into(),
            params: None,
        }
    }

    /// The handle's wire bytes.
    pub fn encode(&self) -> Bytes {
        let params = self.params.as_deref().unwrap_or_default();
        let mut out =
            Vec::with_capacity(5 + 12 + self.database.len() + self.sql.len() + params.len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        for field in [self.database.as_bytes(), self.sql.as_bytes(), params] {
            // Fields are bounded by the gRPC message size (far below 4 GiB).
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field);
        }
        Bytes::from(out)
    }

    /// Decodes handle bytes a client sent.
    pub fn decode(bytes: &[u8]) -> Result<Self, HandleError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(HandleError::NotOurs)?;
        let (&version, mut rest) = rest.split_first().ok_or(HandleError::Truncated)?;
        if version != VERSION {
            return Err(HandleError::Version(version));
        }
        let database = field(&mut rest)?;
        let sql = field(&mut rest)?;
        let params = field(&mut rest)?;
        if !rest.is_empty() {
            return Err(HandleError::Trailing(rest.len()));
        }
        Ok(Self {
            database: utf8(database, "database name")?,
            sql: utf8(sql, "SQL text")?,
            params: (!params.is_empty()).then(|| Bytes::copy_from_slice(params)),
        })
    }
}

fn field<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], HandleError> {
    let (len, tail) = rest
        .split_first_chunk::<4>()
        .ok_or(HandleError::Truncated)?;
    let len = u32::from_le_bytes(*len) as usize;
    if tail.len() < len {
        return Err(HandleError::Truncated);
    }
    let (value, tail) = tail.split_at(len);
    *rest = tail;
    Ok(value)
}

fn utf8(bytes: &[u8], what: &'static str) -> Result<String, HandleError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| HandleError::NotUtf8(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_and_without_params() {
        let plain = StatementHandle::new("db/rp", "SELECT 'é' FROM cpu WHERE host = $1");
        assert_eq!(StatementHandle::decode(&plain.encode()).unwrap(), plain);
        let bound = StatementHandle {
            params: Some(Bytes::from_static(b"\xff\x00ipc")),
            ..plain
        };
        assert_eq!(StatementHandle::decode(&bound.encode()).unwrap(), bound);
    }

    #[test]
    fn malformed_handles() {
        let good = StatementHandle::new("db", "SELECT 1").encode();
        let cases: Vec<(Vec<u8>, HandleError)> = vec![
            (b"SELECT 1".to_vec(), HandleError::NotOurs),
            (b"QVSH".to_vec(), HandleError::Truncated),
            (b"QVSH\x07".to_vec(), HandleError::Version(7)),
            (good[..good.len() - 2].to_vec(), HandleError::Truncated),
            ([&good[..], b"xy"].concat(), HandleError::Trailing(2)),
            (
                b"QVSH\x01\x01\x00\x00\x00\xff\x00\x00\x00\x00\x00\x00\x00\x00".to_vec(),
                HandleError::NotUtf8("database name"),
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(StatementHandle::decode(&bytes), Err(expected), "{bytes:?}");
        }
        assert_eq!(
            HandleError::NotOurs.to_string(),
            "not a statement handle issued by Quiver"
        );
    }
}
