//! Reading management requests: the JSON body (capped like writes, errors in the API's error
//! shape), the query string, the path id, and pagination.
//!
//! ```text
//! body bytes ──► read_capped ──► serde_json ──► T            (else 400 failed to decode …)
//! ?a=1&b=2   ──► decode_query ──► Query { pairs } ──► get / id / flag / page
//! /{id}      ──► Path<String> ──► parse_id ──► u64            (else 400 invalid id)
//! ```

use axum::body::Body;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

use super::super::body::read_capped;
use super::super::error::ApiError;
use super::super::params::decode_query;
use super::ids::parse_id;

/// Default `limit` of list endpoints.
pub(super) const DEFAULT_LIMIT: usize = 20;
/// Largest accepted `limit`.
pub(super) const MAX_LIMIT: usize = 100;

/// Reads the body (at most `limit` bytes) and decodes it as JSON. Unknown fields are ignored
/// (clients send whole objects back on PATCH).
pub(super) async fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, ApiError> {
    let bytes = read_capped(headers, body, limit).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidJsonBody("the body is empty".to_owned()));
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::InvalidJsonBody(e.to_string()))
}

/// The `{id}` path segment as a catalog id.
pub(super) fn path_id(path: Result<Path<String>, PathRejection>) -> Result<u64, ApiError> {
    match path {
        Ok(Path(id)) => parse_id(&id),
        Err(e) => Err(ApiError::InvalidId(e.body_text())),
    }
}

/// Decoded query parameters; for a repeated parameter the first occurrence counts.
#[derive(Debug, Default)]
pub(super) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes the raw query string.
    pub(super) fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        Ok(Self {
            pairs: match raw {
                Some(q) => decode_query(q)?,
                None => Vec::new(),
            },
        })
    }

    /// The first value of `name`.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first non-empty value of `name` (an empty value filters nothing).
    pub(super) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// `name` as a catalog id (16 hex characters); absent or empty = `None`.
    pub(super) fn id(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.non_empty(name).map(parse_id).transpose()
    }

    /// `name` as a boolean, in the forms Go's `strconv.ParseBool` takes (InfluxDB 2's parser:
    /// `true`/`false`, `1`/`0`, `t`/`f`, `TRUE`/`FALSE`, `True`/`False`); absent or empty =
    /// `None`.
    pub(super) fn flag(&self, name: &'static str) -> Result<Option<bool>, ApiError> {
        let Some(value) = self.non_empty(name) else {
            return Ok(None);
        };
        match value {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Some(true)),
            "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Some(false)),
            other => Err(ApiError::InvalidBool {
                name,
                value: other.to_owned(),
            }),
        }
    }

    /// `limit` (1..=100, default 20) and `offset` (≥ 0, default 0).
    pub(super) fn page(&self) -> Result<Page, ApiError> {
        let limit = match self.get("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::InvalidQueryString(format!(
                        "limit must be an integer between 1 and {MAX_LIMIT}, got {v:?}"
                    )));
                }
            },
        };
        let offset = match self.get("offset") {
            None => 0,
            Some(v) => v.parse::<usize>().map_err(|_| {
                ApiError::InvalidQueryString(format!(
                    "offset must be a non-negative integer, got {v:?}"
                ))
            })?,
        };
        Ok(Page { limit, offset })
    }
}

/// One page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Page {
    /// Most records returned.
    pub limit: usize,
    /// Records skipped.
    pub offset: usize,
}

impl Page {
    /// The records of this page out of `all`.
    pub(super) fn slice<T>(&self, all: Vec<T>) -> Vec<T> {
        all.into_iter().skip(self.offset).take(self.limit).collect()
    }
}

/// Percent-encodes a query value for a link.
pub(super) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_flags_treat_empty_as_absent() {
        let q = Query::parse(Some("id=000000000000002a&b=&default=True&x=T&y=0&z=yes")).unwrap();
        assert_eq!(q.id("id").unwrap(), Some(42));
        assert_eq!(q.id("b").unwrap(), None);
        assert_eq!(q.id("missing").unwrap(), None);
        assert_eq!(q.flag("default").unwrap(), Some(true));
        assert_eq!(q.flag("x").unwrap(), Some(true));
        assert_eq!(q.flag("y").unwrap(), Some(false));
        assert_eq!(q.flag("b").unwrap(), None);
        assert_eq!(
            q.flag("z").unwrap_err(),
            ApiError::InvalidBool {
                name: "z",
                value: "yes".into()
            }
        );
        let bad = Query::parse(Some("id=2a")).unwrap();
        assert_eq!(bad.id("id").unwrap_err(), ApiError::InvalidId("2a".into()));
    }

    #[test]
    fn pages_default_validate_and_slice() {
        let q = Query::parse(None).unwrap();
        assert_eq!(
            q.page().unwrap(),
            Page {
                limit: 20,
                offset: 0
            }
        );
        let q = Query::parse(Some("limit=2&offset=3&limit=9")).unwrap();
        let page = q.page().unwrap();
        assert_eq!(
            page,
            Page {
                limit: 2,
                offset: 3
            }
        );
        assert_eq!(page.slice((0..10).collect()), vec![3, 4]);
        assert_eq!(page.slice((0..4).collect()), vec![3]);
        assert!(page.slice((0..2).collect::<Vec<i32>>()).is_empty());
        for bad in ["limit=0", "limit=101", "limit=x", "offset=-1", "offset=1.5"] {
            let err = Query::parse(Some(bad)).unwrap().page().unwrap_err();
            assert!(
                matches!(err, ApiError::InvalidQueryString(_)),
                "{bad}: {err:?}"
            );
        }
    }
}
