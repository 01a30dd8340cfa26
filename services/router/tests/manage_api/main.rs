//! The management API over real HTTP with an in-process router: every endpoint, every error
//! row, pagination, redaction, and tokens created here used on the write API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

#[path = "../support/mod.rs"]
mod common;

mod access;
mod authorizations;
mod buckets;
mod dbrps;
mod orgs;

use common::{Answer, OPERATOR, TestServer};
use serde_json::Value;

/// Sends `method path` with the operator token and an optional JSON body.
pub(crate) async fn op(
    server: &TestServer,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Answer {
    as_token(server, OPERATOR, method, path, body).await
}

/// Sends `method path` with `token` and an optional JSON body.
pub(crate) async fn as_token(
    server: &TestServer,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let auth = format!("Token {token}");
    let mut headers = vec![("authorization", auth.as_str())];
    let body = match body {
        Some(v) => {
            headers.push(("content-type", "application/json"));
            v.to_string()
        }
        None => String::new(),
    };
    server.send(method, path, &headers, body).await
}

/// Asserts status and the exact `{"code","message"}` body.
#[track_caller]
pub(crate) fn assert_error(answer: &Answer, status: u16, code: &str, message: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(
        answer.json(),
        common::error_body(code, message, None),
        "{answer:?}"
    );
    assert_eq!(answer.header("content-type"), Some("application/json"));
}

/// Creates a bucket and returns its JSON.
pub(crate) async fn create_bucket(
    server: &TestServer,
    name: &str,
    every_seconds: Option<u64>,
) -> Value {
    let mut body = serde_json::json!({"orgID": ORG_ID, "name": name});
    if let Some(s) = every_seconds {
        body["retentionRules"] = serde_json::json!([{"type": "expire", "everySeconds": s}]);
    }
    let answer = op(server, "POST", "/api/v2/buckets", Some(body)).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    answer.json()
}

/// The organization id the API reports.
pub const ORG_ID: &str = "7175697665720001";
