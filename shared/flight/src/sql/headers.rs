//! The database a Flight SQL call addresses: gRPC metadata, as InfluxDB 3 reads it.
//!
//! ```text
//! metadata ──► database | bucket | bucket-name | iox-namespace-name (deprecated)
//!   none                         ──► None (the caller answers MissingDatabaseHeader,
//!                                    INVALID_ARGUMENT, unless a statement handle names one)
//!   several with different names ──► ConflictingDatabaseHeaders   (INVALID_ARGUMENT)
//!   empty / not UTF-8            ──► InvalidDatabaseHeader        (INVALID_ARGUMENT)
//!   otherwise                    ──► Some(name) (several equal headers are fine)
//! ```

use tonic::metadata::MetadataMap;

use crate::QueryServiceError;

/// Headers naming the database, in order of preference.
pub const DATABASE_HEADERS: [&str; 4] = ["database", "bucket", "bucket-name", "iox-namespace-name"];

/// The database named by the request's headers, `None` when there is no such header.
pub fn database_header(metadata: &MetadataMap) -> Result<Option<String>, QueryServiceError> {
    let mut found: Vec<(&'static str, String)> = Vec::new();
    for header in DATABASE_HEADERS {
        for value in metadata.get_all(header) {
            let name = value
                .to_str()
                .map_err(|_| QueryServiceError::InvalidDatabaseHeader(header))?
                .trim();
            if name.is_empty() {
                return Err(QueryServiceError::InvalidDatabaseHeader(header));
            }
            found.push((header, name.to_string()));
        }
    }
    match found.split_first() {
        None => Ok(None),
        Some(((_, first), rest)) if rest.iter().all(|(_, name)| name == first) => {
            Ok(Some(first.clone()))
        }
        Some(_) => {
            let names: Vec<&str> = found.iter().map(|(header, _)| *header).collect();
            Err(QueryServiceError::ConflictingDatabaseHeaders(format!(
                "[{}]",
                names.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn required_database(m: &MetadataMap) -> Result<String, QueryServiceError> {
        database_header(m)?.ok_or(QueryServiceError::MissingDatabaseHeader)
    }

    fn metadata(pairs: &[(&'static str, &str)]) -> MetadataMap {
        let mut m = MetadataMap::new();
        for (k, v) in pairs {
            m.append(*k, v.parse().unwrap());
        }
        m
    }

    #[test]
    fn every_header_and_agreement() {
        for header in DATABASE_HEADERS {
            let m = metadata(&[(header, "db")]);
            assert_eq!(required_database(&m).unwrap(), "db", "{header}");
        }
        let m = metadata(&[("database", "db"), ("bucket", "db")]);
        assert_eq!(required_database(&m).unwrap(), "db");
        assert_eq!(database_header(&metadata(&[])).unwrap(), None);
    }

    #[test]
    fn errors() {
        let cases = [
            (
                metadata(&[]),
                "no 'database' header in request (send the gRPC header 'database: <name>'; \
                 'bucket', 'bucket-name' and 'iox-namespace-name' are accepted too)",
            ),
            (
                metadata(&[("database", "a"), ("bucket-name", "b")]),
                "More than one headers are found in request: [database, bucket-name]",
            ),
            (
                metadata(&[("bucket", " ")]),
                "Invalid 'bucket' header: the database name must be a non-empty UTF-8 string",
            ),
        ];
        for (m, message) in cases {
            assert_eq!(required_database(&m).unwrap_err().to_string(), message);
        }
    }
}
