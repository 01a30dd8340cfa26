//! [`UnpersistedError`] ⇄ gRPC status: a code for generic clients and, in the status details,
//! a protobuf `quiver.ingester.v1.QueryError` carrying the variant and its fields, so the
//! querier gets back exactly the error the ingester returned.
//!
//! ```text
//! NotOwned, NoOwner                        ──► FAILED_PRECONDITION
//! Timeout                                  ──► DEADLINE_EXCEEDED
//! Unavailable, HighWatermarks, Directory   ──► UNAVAILABLE
//! status with QueryError details ──► that variant
//! any other status (transport, bad ticket, deadline of the channel) ──► Unavailable {
//!   ingester: the address asked, message: "<code>: <message>" }
//! ```

use bytes::Bytes;
use prost::Message;
use query::unpersisted::UnpersistedError;
use tonic::{Code, Status};

use super::proto::{self, query_error::Kind};

/// The status an ingester answers `error` with.
pub fn to_status(error: &UnpersistedError) -> Status {
    use UnpersistedError as E;
    let (code, kind) = match error.clone() {
        E::NotOwned { partition } => (
            Code::FailedPrecondition,
            Kind::NotOwned(proto::NotOwned { partition }),
        ),
        E::Timeout {
            partition,
            wanted,
            applied,
            waited_ms,
        } => (
            Code::DeadlineExceeded,
            Kind::Timeout(proto::Timeout {
                partition,
                wanted,
                applied,
                waited_ms,
            }),
        ),
        E::Unavailable { ingester, message } => (
            Code::Unavailable,
            Kind::Unavailable(proto::Unavailable { ingester, message }),
        ),
        E::HighWatermarks(message) => (Code::Unavailable, Kind::HighWatermarks(message)),
        E::Directory(message) => (Code::Unavailable, Kind::Directory(message)),
        E::NoOwner { partition } => (
            Code::FailedPrecondition,
            Kind::NoOwner(proto::NoOwner { partition }),
        ),
    };
    let details = proto::QueryError { kind: Some(kind) }.encode_to_vec();
    Status::with_details(code, error.to_string(), Bytes::from(details))
}

/// The error a status from the ingester at `ingester` (its address) stands for.
pub fn from_status(status: &Status, ingester: &str) -> UnpersistedError {
    use UnpersistedError as E;
    let kind = proto::QueryError::decode(status.details())
        .ok()
        .and_then(|e| e.kind);
    match kind {
        Some(Kind::NotOwned(e)) => E::NotOwned {
            partition: e.partition,
        },
        Some(Kind::Timeout(e)) => E::Timeout {
            partition: e.partition,
            wanted: e.wanted,
            applied: e.applied,
            waited_ms: e.waited_ms,
        },
        Some(Kind::Unavailable(e)) => E::Unavailable {
            ingester: e.ingester,
            message: e.message,
        },
        Some(Kind::HighWatermarks(message)) => E::HighWatermarks(message),
        Some(Kind::Directory(message)) => E::Directory(message),
        Some(Kind::NoOwner(e)) => E::NoOwner {
            partition: e.partition,
        },
        None => E::Unavailable {
            ingester: ingester.to_owned(),
            message: format!("{:?}: {}", status.code(), status.message()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_survives_a_status() {
        let errors = [
            UnpersistedError::NotOwned { partition: 7 },
            UnpersistedError::Timeout {
                partition: 1,
                wanted: 42,
                applied: Some(40),
                waited_ms: 1_000,
            },
            UnpersistedError::Timeout {
                partition: 1,
                wanted: 0,
                applied: None,
                waited_ms: 0,
            },
            UnpersistedError::Unavailable {
                ingester: "ing-1".into(),
                message: "shutting down".into(),
            },
            UnpersistedError::HighWatermarks("broker down".into()),
            UnpersistedError::Directory("etcd down".into()),
            UnpersistedError::NoOwner { partition: 2 },
        ];
        for error in errors {
            let status = to_status(&error);
            assert_eq!(status.message(), error.to_string());
            assert_eq!(from_status(&status, "http://x:1"), error);
        }
        assert_eq!(
            to_status(&UnpersistedError::NotOwned { partition: 0 }).code(),
            Code::FailedPrecondition
        );
        assert_eq!(
            to_status(&UnpersistedError::Timeout {
                partition: 0,
                wanted: 1,
                applied: None,
                waited_ms: 1
            })
            .code(),
            Code::DeadlineExceeded
        );
    }

    #[test]
    fn a_status_without_details_is_unavailable() {
        let status = Status::unavailable("tcp connect error");
        assert_eq!(
            from_status(&status, "http://127.0.0.1:1"),
            UnpersistedError::Unavailable {
                ingester: "http://127.0.0.1:1".into(),
                message: "Unavailable: tcp connect error".into(),
            }
        );
    }
}
