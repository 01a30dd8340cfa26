//! `/api/v2/orgs`: the one organization.

use serde_json::json;

use crate::common::TestServer;
use crate::{ORG_ID, assert_error, op};

fn the_org() -> serde_json::Value {
    json!({
        "id": ORG_ID,
        "name": "quiver",
        "description": "the Quiver cluster",
        "status": "active",
        "links": {
            "self": format!("/api/v2/orgs/{ORG_ID}"),
            "buckets": "/api/v2/buckets?org=quiver",
        },
    })
}

#[tokio::test]
async fn list_and_filters() {
    let server = TestServer::start().await;
    let expected = json!({"links": {"self": "/api/v2/orgs"}, "orgs": [the_org()]});
    for path in [
        "/api/v2/orgs",
        "/api/v2/orgs?org=quiver",
        "/api/v2/orgs?orgID=7175697665720001",
        "/api/v2/orgs?limit=100&offset=0&descending=false",
    ] {
        let answer = op(&server, "GET", path, None).await;
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
        assert_eq!(answer.json(), expected, "{path}");
    }
    let answer = op(&server, "GET", "/api/v2/orgs?offset=1", None).await;
    assert_eq!(answer.json()["orgs"], json!([]));
}

#[tokio::test]
async fn unknown_orgs_are_404_and_bad_ids_400() {
    let server = TestServer::start().await;
    let answer = op(&server, "GET", "/api/v2/orgs?org=acme", None).await;
    assert_error(
        &answer,
        404,
        "not found",
        "organization name \"acme\" not found",
    );
    let answer = op(&server, "GET", "/api/v2/orgs?orgID=00000000000000aa", None).await;
    assert_error(
        &answer,
        404,
        "not found",
        "organization id \"00000000000000aa\" not found",
    );
    let answer = op(&server, "GET", "/api/v2/orgs/00000000000000aa", None).await;
    assert_error(
        &answer,
        404,
        "not found",
        "organization id \"00000000000000aa\" not found",
    );
    let answer = op(&server, "GET", "/api/v2/orgs/acme", None).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "invalid id \"acme\": ids are 16 hexadecimal characters",
    );
    let answer = op(&server, "GET", "/api/v2/orgs?limit=0", None).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "invalid query string: limit must be an integer between 1 and 100, got \"0\"",
    );
}

#[tokio::test]
async fn get_by_id() {
    let server = TestServer::start().await;
    let answer = op(&server, "GET", &format!("/api/v2/orgs/{ORG_ID}"), None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), the_org());
}
