//! The JSON `DoGet` ticket of the InfluxDB 3 client libraries.
//!
//! ```text
//! bytes ──► serde_json object
//!   database | namespace_name | bucket | bucket-name  (exactly one, non-empty string)
//!   sql_query                                          (string, required)
//!   query_type  "sql" (default when absent) | "influxql" | other ──► error
//!   params      {name: string|number|bool|null}        (optional; `$name` in the SQL)
//!   is_debug    bool                                   (optional, ignored)
//! ```

use std::collections::BTreeMap;

use datafusion::scalar::ScalarValue;
use serde_json::{Map, Value};

/// Keys naming the database, in the order IOx accepts them.
const DATABASE_KEYS: [&str; 4] = ["database", "namespace_name", "bucket", "bucket-name"];

/// The query language of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryType {
    /// SQL (DataFusion dialect).
    Sql,
    /// InfluxQL.
    InfluxQl,
}

/// A decoded ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTicket {
    /// Database name.
    pub database: String,
    /// Query text.
    pub sql_query: String,
    /// Query language.
    pub query_type: QueryType,
    /// Named parameters (`$name` placeholders), as DataFusion scalars.
    pub params: BTreeMap<String, ScalarValue>,
}

/// Why a ticket is invalid. `Display` is the part after "Invalid ticket. Error: ", except for
/// [`TicketError::UnknownQueryType`], whose message stands alone (as in IOx).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// Not JSON, or not a JSON object.
    #[error("ticket is not a JSON object: {0}")]
    NotJson(String),
    /// No database key.
    #[error("missing 'database' (or 'namespace_name', 'bucket', 'bucket-name')")]
    MissingDatabase,
    /// More than one database key.
    #[error("more than one database given: {0}")]
    ConflictingDatabase(String),
    /// A field has the wrong JSON type or is empty.
    #[error("'{field}' must be {expected}")]
    BadField {
        /// Field name.
        field: String,
        /// What it must be.
        expected: &'static str,
    },
    /// No `sql_query`.
    #[error("missing 'sql_query'")]
    MissingQuery,
    /// A `query_type` other than sql/influxql.
    #[error("Unknown query type. Expected 'sql' or 'influxql', got {0}")]
    UnknownQueryType(String),
}

impl QueryTicket {
    /// Decodes the ticket bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, TicketError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| TicketError::NotJson(e.to_string()))?;
        let Value::Object(object) = value else {
            return Err(TicketError::NotJson(format!("found {}", json_kind(&value))));
        };
        let database = database(&object)?;
        let sql_query = match object.get("sql_query") {
            None => return Err(TicketError::MissingQuery),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(bad("sql_query", "a string")),
        };
        let query_type = match object.get("query_type") {
            None | Some(Value::Null) => QueryType::Sql,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("sql") => QueryType::Sql,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("influxql") => QueryType::InfluxQl,
            Some(Value::String(s)) => return Err(TicketError::UnknownQueryType(s.clone())),
            Some(other) => return Err(TicketError::UnknownQueryType(other.to_string())),
        };
        if let Some(debug) = object.get("is_debug")
            && !debug.is_boolean()
            && !debug.is_null()
        {
            return Err(bad("is_debug", "a boolean"));
        }
        let params = match object.get("params") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(map)) => params(map)?,
            Some(_) => return Err(bad("params", "an object")),
        };
        Ok(Self {
            database,
            sql_query,
            query_type,
            params,
        })
    }
}

fn database(object: &Map<String, Value>) -> Result<String, TicketError> {
    let given: Vec<(&str, &Value)> = DATABASE_KEYS
        .iter()
        .filter_map(|k| object.get(*k).map(|v| (*k, v)))
        .collect();
    match given.as_slice() {
        [] => Err(TicketError::MissingDatabase),
        [(_, Value::String(name))] if !name.is_empty() => Ok(name.clone()),
        [(key, _)] => Err(bad(key, "a non-empty string")),
        many => Err(TicketError::ConflictingDatabase(
            many.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "),
        )),
    }
}

fn params(map: &Map<String, Value>) -> Result<BTreeMap<String, ScalarValue>, TicketError> {
    map.iter()
        .map(|(name, value)| {
            let scalar = match value {
                Value::Null => ScalarValue::Null,
                Value::Bool(b) => ScalarValue::Boolean(Some(*b)),
                Value::String(s) => ScalarValue::Utf8(Some(s.clone())),
                Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                    (Some(i), _, _) => ScalarValue::Int64(Some(i)),
                    (None, Some(u), _) => ScalarValue::UInt64(Some(u)),
                    (None, None, Some(f)) => ScalarValue::Float64(Some(f)),
                    _ => return Err(bad(&format!("params.{name}"), "a finite number")),
                },
                Value::Array(_) | Value::Object(_) => {
                    return Err(bad(
                        &format!("params.{name}"),
                        "a string, number, boolean or null",
                    ));
                }
            };
            Ok((name.clone(), scalar))
        })
        .collect()
}

fn bad(field: &str, expected: &'static str) -> TicketError {
    TicketError::BadField {
        field: field.to_string(),
        expected,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> Result<QueryTicket, TicketError> {
        QueryTicket::decode(json.as_bytes())
    }

    #[test]
    fn influxdb3_python_ticket() {
        let t = decode(r#"{"database":"db","sql_query":"SELECT 1","query_type":"sql"}"#).unwrap();
        assert_eq!(
            t,
            QueryTicket {
                database: "db".into(),
                sql_query: "SELECT 1".into(),
                query_type: QueryType::Sql,
                params: BTreeMap::new(),
            }
        );
    }

    #[test]
    fn aliases_default_type_and_params() {
        for key in ["namespace_name", "bucket", "bucket-name"] {
            let t = decode(&format!(r#"{{"{key}":"b","sql_query":"q"}}"#)).unwrap();
            assert_eq!((t.database.as_str(), t.query_type), ("b", QueryType::Sql));
        }
        let t = decode(
            r#"{"database":"d","sql_query":"q","query_type":"influxql","is_debug":false,
                "params":{"s":"x","i":-3,"u":18446744073709551615,"f":1.5,"b":true,"n":null}}"#,
        )
        .unwrap();
        assert_eq!(t.query_type, QueryType::InfluxQl);
        assert_eq!(t.params["s"], ScalarValue::Utf8(Some("x".into())));
        assert_eq!(t.params["i"], ScalarValue::Int64(Some(-3)));
        assert_eq!(t.params["u"], ScalarValue::UInt64(Some(u64::MAX)));
        assert_eq!(t.params["f"], ScalarValue::Float64(Some(1.5)));
        assert_eq!(t.params["b"], ScalarValue::Boolean(Some(true)));
        assert_eq!(t.params["n"], ScalarValue::Null);
    }

    #[test]
    fn errors() {
        let cases = [
            (
                "nope",
                "ticket is not a JSON object: expected ident at line 1 column 2",
            ),
            ("[1]", "ticket is not a JSON object: found an array"),
            (
                r#"{"sql_query":"q"}"#,
                "missing 'database' (or 'namespace_name', 'bucket', 'bucket-name')",
            ),
            (
                r#"{"database":"a","bucket":"b","sql_query":"q"}"#,
                "more than one database given: database, bucket",
            ),
            (
                r#"{"database":"","sql_query":"q"}"#,
                "'database' must be a non-empty string",
            ),
            (r#"{"database":"d"}"#, "missing 'sql_query'"),
            (
                r#"{"database":"d","sql_query":1}"#,
                "'sql_query' must be a string",
            ),
            (
                r#"{"database":"d","sql_query":"q","query_type":"flux"}"#,
                "Unknown query type. Expected 'sql' or 'influxql', got flux",
            ),
            (
                r#"{"database":"d","sql_query":"q","params":[1]}"#,
                "'params' must be an object",
            ),
            (
                r#"{"database":"d","sql_query":"q","params":{"a":[1]}}"#,
                "'params.a' must be a string, number, boolean or null",
            ),
            (
                r#"{"database":"d","sql_query":"q","is_debug":"yes"}"#,
                "'is_debug' must be a boolean",
            ),
        ];
        for (json, message) in cases {
            assert_eq!(decode(json).unwrap_err().to_string(), message, "{json}");
        }
    }
}
