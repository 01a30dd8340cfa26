//! The DoGet ticket of the ingester query API: [`UnpersistedRequest`] ⇄ protobuf
//! `quiver.ingester.v1.UnpersistedQuery`.
//!
//! ```text
//! UnpersistedRequest { columns: None | Some(list) } ──► project = false | true, columns
//!                    { time_bounds {min, max} }     ──► time_min?, time_max?
//!                    { tags {column ──► values} }   ──► tags [TagValues]
//!                    { partitions [(p, min?)] }     ──► PartitionWait { partition, min_offset? }
//!                    { wait }                       ──► wait_ms (saturating)
//! ```

use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use query::TimeBounds;
use query::unpersisted::{PartitionWait, UnpersistedRequest};

use super::proto;

/// Why a ticket is not a valid request.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Not a protobuf `UnpersistedQuery`.
    #[error("invalid ingester query ticket: {0}")]
    Decode(#[from] prost::DecodeError),
    /// A required field is empty.
    #[error("invalid ingester query ticket: {0} is empty")]
    Missing(&'static str),
}

/// The ticket bytes of `request`.
pub fn encode_request(request: &UnpersistedRequest) -> Bytes {
    let query = proto::UnpersistedQuery {
        database: request.database.clone(),
        table: request.table.clone(),
        project: request.columns.is_some(),
        columns: request.columns.clone().unwrap_or_default(),
        time_min: request.time_bounds.min,
        time_max: request.time_bounds.max,
        partitions: request
            .partitions
            .iter()
            .map(|w| proto::PartitionWait {
                partition: w.partition,
                min_offset: w.min_offset,
            })
            .collect(),
        wait_ms: u64::try_from(request.wait.as_millis()).unwrap_or(u64::MAX),
        tags: request
            .tags
            .iter()
            .map(|(column, values)| proto::TagValues {
                column: column.clone(),
                values: values.clone(),
            })
            .collect(),
    };
    Bytes::from(query.encode_to_vec())
}

/// The request in ticket bytes.
pub fn decode_request(ticket: &[u8]) -> Result<UnpersistedRequest, RequestError> {
    let query = proto::UnpersistedQuery::decode(ticket)?;
    if query.database.is_empty() {
        return Err(RequestError::Missing("database"));
    }
    if query.table.is_empty() {
        return Err(RequestError::Missing("table"));
    }
    Ok(UnpersistedRequest {
        database: query.database,
        table: query.table,
        columns: query.project.then_some(query.columns),
        time_bounds: TimeBounds {
            min: query.time_min,
            max: query.time_max,
        },
        tags: query
            .tags
            .into_iter()
            .map(|t| (t.column, t.values))
            .collect(),
        partitions: query
            .partitions
            .into_iter()
            .map(|w| PartitionWait {
                partition: w.partition,
                min_offset: w.min_offset,
            })
            .collect(),
        wait: Duration::from_millis(query.wait_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(columns: Option<Vec<String>>) -> UnpersistedRequest {
        let mut r = UnpersistedRequest::new(
            "db",
            "cpu",
            [(3, Some(0)), (1, None)],
            Duration::from_millis(1500),
        );
        r.columns = columns;
        r.time_bounds.min = Some(-5);
        r.tags = [
            ("host".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
            ("region".to_owned(), vec!["eu".to_owned()]),
        ]
        .into();
        r
    }

    #[test]
    fn round_trips_columns_bounds_tags_and_partitions() {
        for columns in [None, Some(vec!["host".into(), "time".into()]), Some(vec![])] {
            let r = request(columns);
            assert_eq!(decode_request(&encode_request(&r)).unwrap(), r);
        }
    }

    #[test]
    fn rejects_garbage_and_empty_names() {
        let err = decode_request(b"\xff\xff\xff").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid ingester query ticket: "),
            "{err}"
        );
        let mut r = request(None);
        r.table.clear();
        assert_eq!(
            decode_request(&encode_request(&r)).unwrap_err().to_string(),
            "invalid ingester query ticket: table is empty"
        );
    }
}
