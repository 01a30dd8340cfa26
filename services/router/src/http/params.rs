//! Step 2: the query parameters of `/api/v2/write`, `/write` and `/api/v3/write_lp`, unified
//! into [`WriteParams`], and the database they name ([`resolve_target`]).
//!
//! ```text
//! v2 ?bucket&org&precision&accept_partial         ──► Database(bucket)
//! v3 ?db&precision&accept_partial&no_sync         ──► Database(db)      (precision auto by default)
//! v1 ?db&rp&precision&accept_partial&u&p          ──► V1 { db, rp }
//! resolve_target: Database(name) ──► name
//!                 V1 { db, rp }  ──► catalog::resolve_v1_database: the DBRP mapping of (db, rp) —
//!                                    or db's default mapping when rp is absent — names a live
//!                                    database; without one, `db` or `db/rp` by name as before
//! ```
//!
//! Checks, in order — v2: `precision`, `accept_partial`, `bucket`, `org`, name rule;
//! v3: `precision`, `accept_partial`, `no_sync`, `db`, name rule; v1: `precision`,
//! `accept_partial`, `db`, then (resolving) the name rule of an unmapped name. Unknown
//! parameters are ignored; for a repeated parameter the first occurrence counts.

use catalog::{Catalog, CatalogError, Database, DatabaseName, V1Database, resolve_v1_database};
use line_protocol::{Precision, TimestampUnit};

use super::error::ApiError;

/// The write API flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteApi {
    /// `POST /api/v2/write`
    V2,
    /// `POST /write`
    V1,
    /// `POST /api/v3/write_lp` (InfluxDB 3)
    V3,
}

/// Parameters of a write request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteParams {
    /// The database the request names (resolved by [`resolve_target`]).
    pub target: WriteTarget,
    /// Timestamp unit: a precision, or (v3 `auto`, its default) guessed per line.
    pub precision: TimestampUnit,
    /// Write the valid lines even when some are rejected.
    pub accept_partial: bool,
    /// v1 `p` (a token).
    pub password: Option<String>,
}

/// The database a write request names, before DBRP mappings are consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteTarget {
    /// v2 `bucket`, v3 `db`: a database name, verbatim.
    Database(DatabaseName),
    /// v1 `db` and `rp` (absent, or a value, maybe empty).
    V1 {
        /// The v1 database (non-empty).
        db: String,
        /// The v1 retention policy.
        rp: Option<String>,
    },
}

impl WriteTarget {
    /// The database name when no DBRP mapping applies: v2/v3 the name, v1 `db`, or `db/rp`
    /// unless `rp` is a default name (empty, `autogen`, `default`, `''`).
    pub fn unmapped_name(&self) -> Result<DatabaseName, ApiError> {
        match self {
            Self::Database(name) => Ok(name.clone()),
            Self::V1 { db, rp } => Ok(catalog::v1_database_name(db, rp.as_deref())?),
        }
    }
}

/// The database a write goes to: its name (what tokens are checked against), and its record
/// when a DBRP mapping named it (so it exists; otherwise step 6 looks it up or creates it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTarget {
    /// The database's name.
    pub name: DatabaseName,
    /// The live database a mapping named.
    pub mapped: Option<Database>,
}

/// Resolves `target` through the catalog's DBRP mappings (v1 only; a cached catalog answers
/// from memory).
pub async fn resolve_target(
    catalog: &dyn Catalog,
    target: WriteTarget,
) -> Result<ResolvedTarget, ApiError> {
    let (db, rp) = match target {
        WriteTarget::Database(name) => {
            return Ok(ResolvedTarget { name, mapped: None });
        }
        WriteTarget::V1 { db, rp } => (db, rp),
    };
    match resolve_v1_database(catalog, &db, rp.as_deref()).await {
        Ok(V1Database::Mapped { database, .. }) => Ok(ResolvedTarget {
            name: database.name.clone(),
            mapped: Some(database),
        }),
        Ok(V1Database::Named(name)) => Ok(ResolvedTarget { name, mapped: None }),
        // The mapping's database was deleted between the two reads (the deletion takes the
        // mapping along): as if it never existed.
        Err(CatalogError::DatabaseIdNotFound { .. }) => Err(ApiError::DatabaseNotFound(db)),
        Err(e) => Err(e.into()),
    }
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
        (WriteApi::V3, None) => TimestampUnit::Auto,
        (_, None) => Precision::Nanoseconds.into(),
        (WriteApi::V2, Some(p)) => v2_precision(p)?.into(),
        (WriteApi::V1, Some(p)) => v1_precision(p)?.into(),
        (WriteApi::V3, Some(p)) => v3_precision(p)?,
    };
    let accept_partial = match get("accept_partial") {
        None => api == WriteApi::V3,
        Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(ApiError::InvalidAcceptPartial(other.to_owned())),
    };
    let (target, password) = match api {
        WriteApi::V2 => {
            let bucket = get("bucket")
                .filter(|b| !b.is_empty())
                .ok_or(ApiError::MissingBucket)?;
            if get("org") == Some("") {
                return Err(ApiError::MissingOrg);
            }
            (WriteTarget::Database(DatabaseName::new(bucket)?), None)
        }
        WriteApi::V3 => {
            match get("no_sync") {
                None | Some("true" | "false") => {}
                Some(other) => return Err(ApiError::InvalidNoSync(other.to_owned())),
            }
            let db = get("db")
                .filter(|d| !d.is_empty())
                .ok_or(ApiError::MissingV3Database)?;
            (WriteTarget::Database(DatabaseName::new(db)?), None)
        }
        WriteApi::V1 => {
            let db = get("db")
                .filter(|d| !d.is_empty())
                .ok_or(ApiError::MissingDatabase)?;
            let target = WriteTarget::V1 {
                db: db.to_owned(),
                rp: get("rp").map(str::to_owned),
            };
            (target, get("p").map(str::to_owned))
        }
    };
    Ok(WriteParams {
        target,
        precision,
        accept_partial,
        password,
    })
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

/// InfluxDB 3's words and their short forms; `auto` guesses each line's unit.
fn v3_precision(p: &str) -> Result<TimestampUnit, ApiError> {
    Ok(match p {
        "auto" => TimestampUnit::Auto,
        "nanosecond" | "ns" | "n" => Precision::Nanoseconds.into(),
        "microsecond" | "us" | "u" => Precision::Microseconds.into(),
        "millisecond" | "ms" => Precision::Milliseconds.into(),
        "second" | "s" => Precision::Seconds.into(),
        other => return Err(ApiError::InvalidV3Precision(other.to_owned())),
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

    fn v3(q: &str) -> Result<WriteParams, ApiError> {
        parse_write_params(WriteApi::V3, Some(q))
    }

    /// The name an unmapped target writes to.
    fn name(p: &WriteParams) -> String {
        p.target.unmapped_name().unwrap().to_string()
    }

    fn fixed(p: Precision) -> TimestampUnit {
        TimestampUnit::Fixed(p)
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
        assert_eq!(name(&p), "db/rp");
        assert_eq!(p.precision, fixed(Precision::Milliseconds));
        assert!(!p.accept_partial);
        assert_eq!(
            v2("bucket=b").unwrap().precision,
            fixed(Precision::Nanoseconds)
        );
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
        assert_eq!(
            p.target,
            WriteTarget::V1 {
                db: "mydb".into(),
                rp: Some("weekly".into())
            }
        );
        assert_eq!(name(&p), "mydb/weekly");
        assert_eq!(p.precision, fixed(Precision::Microseconds));
        assert_eq!(p.password.as_deref(), Some("tok"));
        for rp in ["", "autogen", "AUTOGEN", "Default", "''"] {
            assert_eq!(name(&v1(&format!("db=d&rp={rp}")).unwrap()), "d", "{rp}");
        }
        assert_eq!(
            v1("db=&precision=s").unwrap_err(),
            ApiError::MissingDatabase
        );
        assert_eq!(
            v1("db=d&precision=us").unwrap().precision,
            fixed(Precision::Microseconds)
        );
        assert_eq!(
            v1("db=d&precision=n").unwrap().precision,
            fixed(Precision::Nanoseconds)
        );
        assert_eq!(
            v1("db=d&precision=x").unwrap_err(),
            ApiError::InvalidV1Precision("x".into())
        );
        assert_eq!(
            v1("db=d&accept_partial=1").unwrap_err(),
            ApiError::InvalidAcceptPartial("1".into())
        );
        // A v1 name is checked when it resolves: a DBRP mapping may name any printable text.
        let spaced = v1("db=a%20b").unwrap();
        assert!(matches!(
            spaced.target.unmapped_name(),
            Err(ApiError::InvalidDatabaseName(_))
        ));
    }

    #[test]
    fn v3_db_precision_words_partial_by_default() {
        let p = v3("db=sensors&no_sync=true&org=ignored").unwrap();
        assert_eq!(name(&p), "sensors");
        assert_eq!(p.precision, TimestampUnit::Auto, "auto by default");
        assert!(p.accept_partial, "accept_partial defaults to true");
        assert_eq!(p.password, None);
        for (words, precision) in [
            (["nanosecond", "ns", "n"].as_slice(), Precision::Nanoseconds),
            (&["microsecond", "us", "u"], Precision::Microseconds),
            (&["millisecond", "ms"], Precision::Milliseconds),
            (&["second", "s"], Precision::Seconds),
        ] {
            for word in words {
                let p = v3(&format!("db=d&precision={word}")).unwrap();
                assert_eq!(p.precision, fixed(precision), "{word}");
            }
        }
        assert_eq!(
            v3("db=d&precision=auto").unwrap().precision,
            TimestampUnit::Auto
        );
        assert!(!v3("db=d&accept_partial=false").unwrap().accept_partial);
        for (query, error) in [
            ("precision=s", ApiError::MissingV3Database),
            ("db=", ApiError::MissingV3Database),
            ("db=d&precision=m", ApiError::InvalidV3Precision("m".into())),
            (
                "db=d&precision=Second",
                ApiError::InvalidV3Precision("Second".into()),
            ),
            (
                "db=d&accept_partial=yes",
                ApiError::InvalidAcceptPartial("yes".into()),
            ),
            ("db=d&no_sync=1", ApiError::InvalidNoSync("1".into())),
        ] {
            assert_eq!(v3(query).unwrap_err(), error, "{query}");
        }
        assert!(matches!(
            v3("db=a%20b"),
            Err(ApiError::InvalidDatabaseName(_))
        ));
        assert_eq!(
            parse_write_params(WriteApi::V3, None).unwrap_err(),
            ApiError::MissingV3Database
        );
    }
}
