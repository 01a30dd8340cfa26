//! Step 2: the query parameters of `/api/v2/write` and `/write`, unified into [`WriteParams`].
//!
//! Checks, in order — v2: `precision`, `accept_partial`, `bucket`, `org`, name rule;
//! v1: `precision`, `accept_partial`, `db`, name rule. Unknown parameters are ignored; for a
//! repeated parameter the first occurrence counts.

use catalog::DatabaseName;
use line_protocol::Precision;

use super::error::ApiError;

/// The write API flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteApi {
    /// `POST /api/v2/write`
    V2,
    /// `POST /write`
    V1,
}

/// Parameters of a write request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteParams {
    /// Target database (v2 `bucket` verbatim; v1 `db` or `db/rp`).
    pub database: DatabaseName,
    /// Timestamp precision.
    pub precision: Precision,
    /// Write the valid lines even when some are rejected.
    pub accept_partial: bool,
    /// v1 `p` (a token).
    pub password: Option<String>,
}

/// Parses the query string of a write request.
pub fn parse_write_params(api: WriteApi, query: Option<&str>) -> Result<WriteParams, ApiError> {
    let pairs = decode_query(query.unwrap_or(""))?;
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };

    let precision = match (api, get("precision")) {
        (_, None) => Precision::Nanoseconds,
        (WriteApi::V2, Some(p)) => v2_precision(p)?,
        (WriteApi::V1, Some(p)) => v1_precision(p)?,
    };
    let accept_partial = match get("accept_partial") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(ApiError::InvalidAcceptPartial(other.to_owned())),
    };
    let (database, password) = match api {
        WriteApi::V2 => {
            let bucket = get("bucket")
                .filter(|b| !b.is_empty())
                .ok_or(ApiError::MissingBucket)?;
            if get("org") == Some("") {
                return Err(ApiError::MissingOrg);
            }
            (bucket.to_owned(), None)
        }
        WriteApi::V1 => {
            let db = get("db")
                .filter(|d| !d.is_empty())
                .ok_or(ApiError::MissingDatabase)?;
            let database = match get("rp") {
                Some(rp) if !is_default_rp(rp) => format!("{db}/{rp}"),
                _ => db.to_owned(),
            };
            (database, get("p").map(str::to_owned))
        }
    };
    Ok(WriteParams {
        database: DatabaseName::new(database)?,
        precision,
        accept_partial,
        password,
    })
}

fn is_default_rp(rp: &str) -> bool {
    rp.is_empty()
        || rp.eq_ignore_ascii_case("autogen")
        || rp.eq_ignore_ascii_case("default")
        || rp == "''"
}

fn v2_precision(p: &str) -> Result<Precision, ApiError> {
    Ok(match p {
        "ns" => Precision::Nanoseconds,
        "us" => Precision::Microseconds,
        "ms" => Precision::Milliseconds,
        "s" => Precision::Seconds,
        "m" => Precision::Minutes,
        "h" => Precision::Hours,
        other => return Err(ApiError::InvalidV2Precision(other.to_owned())),
    })
}

fn v1_precision(p: &str) -> Result<Precision, ApiError> {
    Ok(match p {
        "ns" | "n" => Precision::Nanoseconds,
        "us" | "u" => Precision::Microseconds,
        "ms" => Precision::Milliseconds,
        "s" => Precision::Seconds,
        "m" => Precision::Minutes,
        "h" => Precision::Hours,
        other => return Err(ApiError::InvalidV1Precision(other.to_owned())),
    })
}

/// Decodes `application/x-www-form-urlencoded` pairs (`+` is a space, `%XX` a byte); a value
/// that does not decode to UTF-8 is an error rather than silently replaced.
pub fn decode_query(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode_component(k)?, decode_component(v)?))
        })
        .collect()
}

fn decode_component(s: &str) -> Result<String, ApiError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|&c| hex(c)),
                bytes.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push((hi << 4) | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out)
        .map_err(|_| ApiError::InvalidQueryString(format!("{s:?} does not decode to valid UTF-8")))
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1(q: &str) -> Result<WriteParams, ApiError> {
        parse_write_params(WriteApi::V1, Some(q))
    }

    fn v2(q: &str) -> Result<WriteParams, ApiError> {
        parse_write_params(WriteApi::V2, Some(q))
    }

    #[test]
    fn decodes_form_encoding() {
        let pairs = decode_query("bucket=db%2Frp&x=a+b&flag&=v&e=%zz").unwrap();
        let expect = [
            ("bucket", "db/rp"),
            ("x", "a b"),
            ("flag", ""),
            ("", "v"),
            ("e", "%zz"),
        ];
        let expect: Vec<(String, String)> = expect
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(pairs, expect);
        assert!(matches!(
            decode_query("db=%ff"),
            Err(ApiError::InvalidQueryString(_))
        ));
        assert_eq!(decode_query("db=%e2%82%ac").unwrap()[0].1, "€");
        assert_eq!(decode_query("a=%4").unwrap()[0].1, "%4");
    }

    #[test]
    fn v2_bucket_org_precision() {
        let p = v2("org=o&bucket=db%2Frp&precision=ms").unwrap();
        assert_eq!(p.database.as_str(), "db/rp");
        assert_eq!(p.precision, Precision::Milliseconds);
        assert!(!p.accept_partial);
        assert_eq!(v2("bucket=b").unwrap().precision, Precision::Nanoseconds);
        assert_eq!(v2("org=o").unwrap_err(), ApiError::MissingBucket);
        assert_eq!(v2("bucket=").unwrap_err(), ApiError::MissingBucket);
        assert_eq!(v2("bucket=b&org=").unwrap_err(), ApiError::MissingOrg);
        assert_eq!(
            v2("bucket=b&precision=n").unwrap_err(),
            ApiError::InvalidV2Precision("n".into())
        );
        assert!(
            v2("bucket=b&orgID=&org=-&precision=h&accept_partial=true")
                .unwrap()
                .accept_partial
        );
    }

    #[test]
    fn v1_db_rp_precision_password() {
        let p = v1("db=mydb&rp=weekly&u=x&p=tok&consistency=all&precision=u").unwrap();
        assert_eq!(p.database.as_str(), "mydb/weekly");
        assert_eq!(p.precision, Precision::Microseconds);
        assert_eq!(p.password.as_deref(), Some("tok"));
        for rp in ["", "autogen", "AUTOGEN", "Default", "''"] {
            assert_eq!(
                v1(&format!("db=d&rp={rp}")).unwrap().database.as_str(),
                "d",
                "{rp}"
            );
        }
        assert_eq!(
            v1("db=&precision=s").unwrap_err(),
            ApiError::MissingDatabase
        );
        assert_eq!(
            v1("db=d&precision=us").unwrap().precision,
            Precision::Microseconds
        );
        assert_eq!(
            v1("db=d&precision=n").unwrap().precision,
            Precision::Nanoseconds
        );
        assert_eq!(
            v1("db=d&precision=x").unwrap_err(),
            ApiError::InvalidV1Precision("x".into())
        );
        assert_eq!(
            v1("db=d&accept_partial=1").unwrap_err(),
            ApiError::InvalidAcceptPartial("1".into())
        );
        assert!(matches!(
            v1("db=a%20b"),
            Err(ApiError::InvalidDatabaseName(_))
        ));
    }
}
