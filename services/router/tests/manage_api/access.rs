//! Every management endpoint needs an active operator token; everything else gets the write
//! API's 401 bodies.

use crate::common::{MYDB_WRITER, READER, REVOKED, TestServer};
use crate::{as_token, assert_error};

const ENDPOINTS: [(&str, &str); 18] = [
    ("GET", "/api/v2/orgs"),
    ("GET", "/api/v2/orgs/7175697665720001"),
    ("GET", "/api/v2/buckets"),
    ("POST", "/api/v2/buckets"),
    ("GET", "/api/v2/buckets/0000000000000001"),
    ("PATCH", "/api/v2/buckets/0000000000000001"),
    ("DELETE", "/api/v2/buckets/0000000000000001"),
    ("GET", "/api/v2/authorizations"),
    ("POST", "/api/v2/authorizations"),
    ("GET", "/api/v2/authorizations/0000000000000001"),
    ("PATCH", "/api/v2/authorizations/0000000000000001"),
    ("DELETE", "/api/v2/authorizations/0000000000000001"),
    ("GET", "/api/v2/buckets?limit=1"),
    ("GET", "/api/v2/dbrps"),
    ("POST", "/api/v2/dbrps"),
    ("GET", "/api/v2/dbrps/0000000000000001"),
    ("PATCH", "/api/v2/dbrps/0000000000000001"),
    ("DELETE", "/api/v2/dbrps/0000000000000001"),
];

#[tokio::test]
async fn missing_credentials_get_401() {
    let server = TestServer::start().await;
    for (method, path) in ENDPOINTS {
        let answer = server.send(method, path, &[], "").await;
        assert_error(
            &answer,
            401,
            "unauthorized",
            "authorization required: send `Authorization: Token <token>` (or `Bearer <token>`, or HTTP Basic auth with the token as password), or the v1 `p=<token>` query parameter",
        );
    }
}

#[tokio::test]
async fn unknown_and_revoked_tokens_get_401() {
    let server = TestServer::start().await;
    for token in ["no-such-token", REVOKED] {
        for (method, path) in ENDPOINTS {
            let answer = as_token(&server, token, method, path, None).await;
            assert_error(&answer, 401, "unauthorized", "unauthorized access");
        }
    }
}

#[tokio::test]
async fn non_operator_tokens_get_401() {
    let server = TestServer::start().await;
    for token in [MYDB_WRITER, READER] {
        for (method, path) in ENDPOINTS {
            let answer = as_token(&server, token, method, path, None).await;
            assert_error(
                &answer,
                401,
                "unauthorized",
                "token is not authorized to manage buckets and tokens: an operator token is required",
            );
        }
    }
}

#[tokio::test]
async fn malformed_authorization_header_gets_401() {
    let server = TestServer::start().await;
    let answer = server
        .send(
            "GET",
            "/api/v2/buckets",
            &[("authorization", "Digest abc")],
            "",
        )
        .await;
    assert_error(
        &answer,
        401,
        "unauthorized",
        "unsupported authorization scheme \"Digest\": use `Token <token>`, `Bearer <token>` or `Basic base64(user:<token>)`",
    );
}

#[tokio::test]
async fn operator_bearer_and_basic_work_and_methods_are_checked() {
    let server = TestServer::start().await;
    let bearer = format!("Bearer {}", crate::common::OPERATOR);
    let answer = server
        .send(
            "GET",
            "/api/v2/orgs",
            &[("authorization", bearer.as_str())],
            "",
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let answer = crate::op(&server, "PUT", "/api/v2/buckets", None).await;
    assert_error(
        &answer,
        405,
        "method not allowed",
        "method PUT is not allowed on /api/v2/buckets",
    );
    let answer = crate::op(&server, "GET", "/api/v2/buckets/a/b", None).await;
    assert_error(
        &answer,
        404,
        "not found",
        "route not found: /api/v2/buckets/a/b",
    );
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern() {
    let server = TestServer::start().await;
    crate::op(&server, "GET", "/api/v2/buckets/0000000000000009", None).await;
    crate::op(&server, "GET", "/api/v2/buckets", None).await;
    let metrics = server.send("GET", "/metrics", &[], "").await.body;
    assert!(
        metrics.lines().any(
            |l| l.contains("endpoint=\"/api/v2/buckets/{id}\"") && l.contains("status=\"404\"")
        ),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l.contains("endpoint=\"/api/v2/buckets\"") && l.contains("status=\"200\"")),
        "{metrics}"
    );
}
