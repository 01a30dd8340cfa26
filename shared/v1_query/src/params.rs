//! The `/query` request's parameters, read as 1.x's `serveQuery` reads them.
//!
//! ```text
//! query-string pairs + form-body pairs (application/x-www-form-urlencoded POST)
//!   ──► form_value(key): first value in the form body, else in the query string (Go's
//!       r.FormValue) ──► q (trimmed; empty ──► missing), db, rp, epoch (trimmed),
//!       params (bind::parse), chunked/async ("true" only), chunk_size (if chunked: an
//!       integer > 0, else 10000)
//!   ──► query string only: pretty (r.URL.Query), u / p (1.x's parseCredentials)
//!   ──► QueryParams | ParamsError (1.x's texts, checked in 1.x's order)
//! ```

mod bind;

use crate::epoch::Epoch;
use crate::format::Options;

/// 1.x's `DefaultChunkSize`: rows per chunk when `chunk_size` is absent, invalid or ≤ 0.
pub const DEFAULT_CHUNK_SIZE: usize = 10_000;

/// A request-level error: 1.x answers status 400 with `{"error":"<text>"}` and the text in
/// `X-Influxdb-Error` (see [`crate::format::encode_error`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// No `q`, or only white space.
    #[error("missing required parameter \"q\"")]
    MissingQuery,
    /// `params` is not a JSON object (Go's `encoding/json` error text follows).
    #[error("error parsing query parameters: {0}")]
    InvalidParams(String),
    /// A top-level number in `params` that does not fit (Go's `strconv` error text).
    #[error("error parsing json value: {0}")]
    InvalidParamValue(String),
}

/// The parameters of one `/query` request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryParams {
    /// `q`, white space trimmed; never empty.
    pub q: String,
    /// `db`; `None` when absent or empty.
    pub db: Option<String>,
    /// `rp`; `None` when absent or empty.
    pub rp: Option<String>,
    /// `epoch`: integer times in this unit; unknown units are nanoseconds (see [`Epoch`]).
    pub epoch: Option<Epoch>,
    /// `chunked=true`.
    pub chunked: bool,
    /// Rows per chunk: `chunk_size` when chunked and a positive integer, else 10000 (the
    /// executor's internal chunk size in 1.x even when not chunked).
    pub chunk_size: usize,
    /// `pretty=true`, from the query string only (1.x reads `r.URL.Query()`).
    pub pretty: bool,
    /// `params`: bind parameters; top-level numbers with a `.` are floats, others `i64`.
    pub params: serde_json::Map<String, serde_json::Value>,
    /// `u`, from the query string only; `None` when absent or empty.
    pub user: Option<String>,
    /// `p`, from the query string only; `None` when absent or empty.
    pub password: Option<String>,
    /// `async=true`: 1.x answers 204 at once and runs the query in the background.
    pub is_async: bool,
}

impl QueryParams {
    /// Reads the parameters from the decoded query-string pairs and the decoded form-body
    /// pairs (pass an empty slice unless the request is a POST/PUT/PATCH with
    /// `Content-Type: application/x-www-form-urlencoded`).
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        query: &[(K, V)],
        form: &[(K, V)],
    ) -> Result<Self, ParamsError> {
        let form_value = |key: &str| first(form, key).or_else(|| first(query, key));
        let non_empty = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_owned);

        let q = form_value("q").map(str::trim).unwrap_or_default();
        if q.is_empty() {
            return Err(ParamsError::MissingQuery);
        }
        let epoch = form_value("epoch").and_then(Epoch::from_param);
        let params = match form_value("params") {
            Some(raw) if !raw.is_empty() => bind::parse(raw)?,
            _ => serde_json::Map::new(),
        };
        let chunked = form_value("chunked") == Some("true");
        let chunk_size = if chunked {
            form_value("chunk_size")
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
                .unwrap_or(DEFAULT_CHUNK_SIZE)
        } else {
            DEFAULT_CHUNK_SIZE
        };
        Ok(Self {
            q: q.to_owned(),
            db: non_empty(form_value("db")),
            rp: non_empty(form_value("rp")),
            epoch,
            chunked,
            chunk_size,
            pretty: Self::pretty_requested(query),
            params,
            user: non_empty(first(query, "u")),
            password: non_empty(first(query, "p")),
            is_async: form_value("async") == Some("true"),
        })
    }

    /// Whether the request asks for `pretty=true` (query string only), for encoding a
    /// [`ParamsError`] the way 1.x does when the other parameters could not be read.
    pub fn pretty_requested<K: AsRef<str>, V: AsRef<str>>(query: &[(K, V)]) -> bool {
        first(query, "pretty") == Some("true")
    }

    /// The encoder options these parameters ask for.
    pub fn options(&self) -> Options {
        Options {
            epoch: self.epoch,
            pretty: self.pretty,
        }
    }
}

fn first<'a, K: AsRef<str>, V: AsRef<str>>(pairs: &'a [(K, V)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.as_ref() == key)
        .map(|(_, v)| v.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type Pairs = Vec<(&'static str, &'static str)>;

    fn parse(query: &[(&'static str, &'static str)]) -> Result<QueryParams, ParamsError> {
        let none: Pairs = Vec::new();
        QueryParams::from_pairs(query, &none)
    }

    #[test]
    fn missing_or_blank_q() {
        assert_eq!(parse(&[("db", "x")]), Err(ParamsError::MissingQuery));
        assert_eq!(parse(&[("q", "  \n")]), Err(ParamsError::MissingQuery));
        assert_eq!(
            ParamsError::MissingQuery.to_string(),
            r#"missing required parameter "q""#
        );
    }

    #[test]
    fn defaults() {
        let p = parse(&[("q", " SHOW DATABASES ")]).unwrap();
        assert_eq!(p.q, "SHOW DATABASES");
        assert_eq!(p.db, None);
        assert_eq!(p.rp, None);
        assert_eq!(p.epoch, None);
        assert!(!p.chunked && !p.pretty && !p.is_async);
        assert_eq!(p.chunk_size, DEFAULT_CHUNK_SIZE);
        assert!(p.params.is_empty());
        assert_eq!(p.options(), Options::default());
    }

    #[test]
    fn all_parameters() {
        let p = parse(&[
            ("q", "SELECT 1"),
            ("db", "testdb"),
            ("rp", "autogen"),
            ("epoch", "ms"),
            ("chunked", "true"),
            ("chunk_size", "2"),
            ("pretty", "true"),
            ("params", r#"{"h":"server03","n":3,"f":1.5,"b":true}"#),
            ("u", "alice"),
            ("p", "secret"),
            ("async", "true"),
        ])
        .unwrap();
        assert_eq!(p.db.as_deref(), Some("testdb"));
        assert_eq!(p.rp.as_deref(), Some("autogen"));
        assert_eq!(p.epoch, Some(Epoch::Millisecond));
        assert!(p.chunked && p.pretty && p.is_async);
        assert_eq!(p.chunk_size, 2);
        assert_eq!(
            serde_json::Value::Object(p.params),
            json!({"h": "server03", "n": 3, "f": 1.5, "b": true})
        );
        assert_eq!(p.user.as_deref(), Some("alice"));
        assert_eq!(p.password.as_deref(), Some("secret"));
    }

    #[test]
    fn chunk_size_as_1x() {
        let size = |chunked: &'static str, v: &'static str| {
            parse(&[("q", "x"), ("chunked", chunked), ("chunk_size", v)])
                .unwrap()
                .chunk_size
        };
        assert_eq!(size("true", "5"), 5);
        assert_eq!(size("true", "+7"), 7);
        assert_eq!(size("true", "0"), DEFAULT_CHUNK_SIZE);
        assert_eq!(size("true", "-3"), DEFAULT_CHUNK_SIZE);
        assert_eq!(size("true", "abc"), DEFAULT_CHUNK_SIZE);
        assert_eq!(size("true", " 5"), DEFAULT_CHUNK_SIZE);
        assert_eq!(size("true", "99999999999999999999"), DEFAULT_CHUNK_SIZE);
        assert_eq!(size("false", "5"), DEFAULT_CHUNK_SIZE);
        assert_eq!(size("TRUE", "5"), DEFAULT_CHUNK_SIZE);
        assert!(!parse(&[("q", "x"), ("chunked", "1")]).unwrap().chunked);
    }

    #[test]
    fn epoch_values() {
        let epoch = |v: &'static str| parse(&[("q", "x"), ("epoch", v)]).unwrap().epoch;
        assert_eq!(epoch("xx"), Some(Epoch::Nanosecond));
        assert_eq!(epoch(" s "), Some(Epoch::Second));
        assert_eq!(epoch(""), None);
        assert_eq!(epoch("h"), Some(Epoch::Hour));
    }

    #[test]
    fn form_body_wins_like_form_value() {
        let query: Pairs = vec![
            ("q", "FROM QUERY"),
            ("db", "qdb"),
            ("pretty", "false"),
            ("u", "qu"),
            ("p", "qp"),
        ];
        let form: Pairs = vec![
            ("q", "FROM FORM"),
            ("db", "fdb"),
            ("pretty", "true"),
            ("u", "fu"),
            ("p", "fp"),
        ];
        let p = QueryParams::from_pairs(&query, &form).unwrap();
        assert_eq!(p.q, "FROM FORM");
        assert_eq!(p.db.as_deref(), Some("fdb"));
        assert!(!p.pretty, "pretty is read from the query string only");
        assert_eq!(p.user.as_deref(), Some("qu"));
        assert_eq!(p.password.as_deref(), Some("qp"));

        // An empty q in the form hides the query string's, as r.FormValue does.
        let form: Pairs = vec![("q", "")];
        assert_eq!(
            QueryParams::from_pairs(&query, &form),
            Err(ParamsError::MissingQuery)
        );
        // Only the first value of a repeated key counts.
        let query: Pairs = vec![("q", "first"), ("q", "second")];
        assert_eq!(parse(&query).unwrap().q, "first");
    }

    #[test]
    fn pretty_for_errors() {
        assert!(QueryParams::pretty_requested(&[("pretty", "true")]));
        assert!(!QueryParams::pretty_requested(&[("pretty", "1")]));
        let none: Pairs = Vec::new();
        assert!(!QueryParams::pretty_requested(&none));
    }

    #[test]
    fn params_errors_in_1x_order() {
        assert_eq!(
            parse(&[("params", "{")]),
            Err(ParamsError::MissingQuery),
            "q is checked first"
        );
        assert_eq!(
            parse(&[("q", "x"), ("params", "{bad}")])
                .unwrap_err()
                .to_string(),
            "error parsing query parameters: invalid character 'b' looking for beginning of object key string"
        );
    }
}
