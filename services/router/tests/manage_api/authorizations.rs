//! `/api/v2/authorizations`: tokens created over HTTP, shown once, redacted afterwards, and
//! honoured (or not) by the write API.

use auth::{Action, Permission, TokenHash};
use catalog::{Catalog, TokenId};
use router::RouterSettings;
use serde_json::{Value, json};

use crate::common::{Options, TestServer};
use crate::{ORG_ID, assert_error, create_bucket, op};

async fn create(server: &TestServer, body: Value) -> Value {
    let answer = op(server, "POST", "/api/v2/authorizations", Some(body)).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    answer.json()
}

fn catalog_id(auth: &Value) -> TokenId {
    TokenId(u64::from_str_radix(auth["id"].as_str().unwrap(), 16).unwrap())
}

fn no_auto_create() -> Options {
    Options {
        settings: RouterSettings {
            auto_create_databases: false,
            ..RouterSettings::default()
        },
        ..Options::default()
    }
}

#[tokio::test]
async fn created_token_is_shown_once_then_redacted() {
    let server = TestServer::start().await;
    let bucket = create_bucket(&server, "mydb", None).await;
    let bucket_id = bucket["id"].as_str().unwrap();
    let created = create(
        &server,
        json!({"orgID": ORG_ID, "description": "iot writer", "permissions": [
            {"action": "write", "resource": {"type": "buckets", "id": bucket_id, "orgID": ORG_ID}},
            {"action": "read", "resource": {"type": "buckets", "name": "other"}},
            {"action": "read", "resource": {"type": "buckets"}},
        ]}),
    )
    .await;
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("qvr_") && token.len() == 47, "{token}");
    let id = created["id"].as_str().unwrap().to_owned();
    let record = server
        .catalog
        .token_by_id(catalog_id(&created))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.hash, TokenHash::of(&token));
    assert_eq!(
        record.permissions,
        vec![
            Permission::database(Action::Write, "mydb"),
            Permission::database(Action::Read, "other"),
            Permission::all_databases(Action::Read),
        ]
    );
    let org = |extra: Value| {
        let mut r = json!({"type": "buckets", "orgID": ORG_ID, "org": "quiver"});
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        r
    };
    let mut expected = json!({
        "id": id,
        "token": token,
        "status": "active",
        "description": "iot writer",
        "orgID": ORG_ID,
        "org": "quiver",
        "permissions": [
            {"action": "write", "resource": org(json!({"id": bucket_id, "name": "mydb"}))},
            {"action": "read", "resource": org(json!({"name": "other"}))},
            {"action": "read", "resource": org(json!({}))},
        ],
        "createdAt": created["createdAt"],
        "updatedAt": created["createdAt"],
        "links": {"self": format!("/api/v2/authorizations/{id}")},
    });
    assert_eq!(created, expected);

    expected["token"] = json!("redacted");
    let got = op(
        &server,
        "GET",
        &format!("/api/v2/authorizations/{id}"),
        None,
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), expected);
    let list = op(&server, "GET", "/api/v2/authorizations", None).await;
    assert_eq!(list.status, 200);
    let list = list.json();
    assert_eq!(list["links"], json!({"self": "/api/v2/authorizations"}));
    let all = list["authorizations"].as_array().unwrap();
    // The four tokens of the harness plus this one; no value anywhere.
    assert_eq!(all.len(), 5);
    assert!(all.iter().all(|a| a["token"] == "redacted"), "{list}");
    assert!(!list.to_string().contains(&token));
    assert!(all.contains(&expected));
    // The harness operator shows operator permissions; the revoked token is inactive.
    let operator = all.iter().find(|a| a["description"] == "op-token").unwrap();
    assert_eq!(operator["permissions"].as_array().unwrap().len(), 6);
    assert_eq!(
        operator["permissions"][0]["resource"]["type"],
        "authorizations"
    );
    let revoked = all
        .iter()
        .find(|a| a["description"] == "revoked-token")
        .unwrap();
    assert_eq!(revoked["status"], "inactive");
}

#[tokio::test]
async fn list_filters() {
    let server = TestServer::start().await;
    let created = create(
        &server,
        json!({"orgID": ORG_ID, "permissions": [{"action": "write", "resource": {"type": "buckets"}}]}),
    )
    .await;
    let token = created["token"].as_str().unwrap();
    let path = format!("/api/v2/authorizations?token={token}");
    let one = op(&server, "GET", &path, None).await.json();
    let ids: Vec<&Value> = one["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(ids, vec![&created["id"]]);
    assert_eq!(one["authorizations"][0]["token"], "redacted");
    let none = op(
        &server,
        "GET",
        "/api/v2/authorizations?token=qvr_unknown",
        None,
    )
    .await
    .json();
    assert_eq!(none["authorizations"], json!([]));
    for path in [
        "/api/v2/authorizations?user=alice",
        "/api/v2/authorizations?userID=0000000000000001",
    ] {
        let answer = op(&server, "GET", path, None).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.json()["authorizations"], json!([]), "{path}");
    }
    let path = format!("/api/v2/authorizations?org=quiver&orgID={ORG_ID}");
    let all = op(&server, "GET", &path, None).await.json();
    assert_eq!(all["authorizations"].as_array().unwrap().len(), 5);
    let answer = op(&server, "GET", "/api/v2/authorizations?org=acme", None).await;
    assert_error(
        &answer,
        404,
        "not found",
        "organization name \"acme\" not found",
    );
}

#[tokio::test]
async fn created_tokens_write_only_where_granted_and_follow_their_status() {
    let server = TestServer::with(no_auto_create()).await;
    create_bucket(&server, "a", None).await;
    create_bucket(&server, "b", None).await;
    let created = create(
        &server,
        json!({"orgID": ORG_ID, "permissions": [{"action": "write", "resource": {"type": "buckets", "name": "a"}}]}),
    )
    .await;
    let token = created["token"].as_str().unwrap();
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v2/authorizations/{id}");

    let answer = server
        .write("/api/v2/write?bucket=a", token, "m f=1i 1")
        .await;
    assert_eq!(answer.status, 204, "{answer:?}");
    for write in ["/api/v2/write?bucket=b", "/write?db=b"] {
        let answer = server.write(write, token, "m f=1i 1").await;
        assert_error(
            &answer,
            401,
            "unauthorized",
            "token is not authorized to write to database \"b\"",
        );
    }
    // A write token cannot manage.
    let answer = crate::as_token(&server, token, "GET", "/api/v2/buckets", None).await;
    assert_eq!(answer.status, 401);

    // Deactivate → 401; the whole object sent back (as clients do) is fine.
    let mut sent_back = op(&server, "GET", &path, None).await.json();
    sent_back["status"] = json!("inactive");
    sent_back["description"] = json!("paused");
    let answer = op(&server, "PATCH", &path, Some(sent_back)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["status"], "inactive");
    assert_eq!(answer.json()["description"], "paused");
    assert_eq!(answer.json()["token"], "redacted");
    let answer = server
        .write("/api/v2/write?bucket=a", token, "m f=2i 2")
        .await;
    assert_error(&answer, 401, "unauthorized", "unauthorized access");

    // Reactivate → 204 again; the description stays.
    let answer = op(&server, "PATCH", &path, Some(json!({"status": "active"}))).await;
    assert_eq!(answer.json()["status"], "active");
    assert_eq!(answer.json()["description"], "paused");
    let answer = server
        .write("/api/v2/write?bucket=a", token, "m f=3i 3")
        .await;
    assert_eq!(answer.status, 204, "{answer:?}");
    // An empty PATCH changes nothing.
    let answer = op(&server, "PATCH", &path, Some(json!({}))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["status"], "active");

    // Delete → 401 on writes, 404 on the API.
    let answer = op(&server, "DELETE", &path, None).await;
    assert_eq!(answer.status, 204, "{answer:?}");
    let answer = server
        .write("/api/v2/write?bucket=a", token, "m f=4i 4")
        .await;
    assert_error(&answer, 401, "unauthorized", "unauthorized access");
    for method in ["GET", "PATCH", "DELETE"] {
        let body = (method == "PATCH").then(|| json!({"status": "active"}));
        let answer = op(&server, method, &path, body).await;
        assert_error(
            &answer,
            404,
            "not found",
            &format!("authorization \"{id}\" not found"),
        );
    }
    assert_eq!(server.rows("a").len(), 2);
}

#[tokio::test]
async fn inactive_on_creation_and_all_bucket_grants() {
    let server = TestServer::with(no_auto_create()).await;
    create_bucket(&server, "x", None).await;
    let created = create(
        &server,
        json!({"status": "inactive", "permissions": [{"action": "write", "resource": {"type": "buckets"}}]}),
    )
    .await;
    assert_eq!(created["status"], "inactive");
    let token = created["token"].as_str().unwrap();
    let answer = server
        .write("/api/v2/write?bucket=x", token, "m f=1i 1")
        .await;
    assert_eq!(answer.status, 401);
    let path = format!("/api/v2/authorizations/{}", created["id"].as_str().unwrap());
    op(&server, "PATCH", &path, Some(json!({"status": "active"}))).await;
    let answer = server
        .write("/api/v2/write?bucket=x", token, "m f=1i 1")
        .await;
    assert_eq!(answer.status, 204, "{answer:?}");
    // All buckets includes ones created later.
    create_bucket(&server, "later", None).await;
    let answer = server.write("/write?db=later", token, "m f=1i 1").await;
    assert_eq!(answer.status, 204, "{answer:?}");
}

#[tokio::test]
async fn create_errors() {
    let server = TestServer::start().await;
    let before = server.catalog.list_tokens().await.unwrap().len();
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!({"permissions": []}),
            400,
            "invalid",
            "invalid permission: permissions must not be empty: grant read or write on buckets",
        ),
        (
            json!({"permissions": [{"action": "delete", "resource": {"type": "buckets"}}]}),
            400,
            "invalid",
            "invalid permission: permission 0: action must be \"read\" or \"write\", got \"delete\"",
        ),
        (
            json!({"permissions": [
                {"action": "read", "resource": {"type": "buckets"}},
                {"action": "write", "resource": {"type": "authorizations"}}]}),
            400,
            "invalid",
            "invalid permission: permission 1: resource type \"authorizations\" cannot be granted: tokens grant read or write on \"buckets\"; operator tokens (which manage buckets and tokens) are created with `quiver admin token create --operator`",
        ),
        (
            json!({"permissions": [{"action": "read", "resource": {"type": "buckets", "id": "00000000000000ff"}}]}),
            400,
            "invalid",
            "invalid permission: permission 0: bucket \"00000000000000ff\" not found",
        ),
        (
            json!({"permissions": [{"action": "read", "resource": {"type": "buckets", "id": "zz"}}]}),
            400,
            "invalid",
            "invalid permission: permission 0: invalid id \"zz\": ids are 16 hexadecimal characters",
        ),
        (
            json!({"permissions": [{"action": "read", "resource": {"type": "buckets", "name": "a b"}}]}),
            400,
            "invalid",
            "invalid permission: permission 0: invalid database name \"a b\": character ' ' at position 1 is not allowed; use only A-Z, a-z, 0-9, '_', '-' and '/'",
        ),
        (
            json!({"permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": "00000000000000aa"}}]}),
            400,
            "invalid",
            "invalid permission: permission 0: organization id \"00000000000000aa\" not found",
        ),
        (
            json!({"userID": "0000000000000001", "permissions": [{"action": "read", "resource": {"type": "buckets"}}]}),
            400,
            "invalid",
            "userID is not supported: Quiver has no users; tokens belong to the organization, omit it",
        ),
        (
            json!({"orgID": "00000000000000aa", "permissions": [{"action": "read", "resource": {"type": "buckets"}}]}),
            404,
            "not found",
            "organization id \"00000000000000aa\" not found",
        ),
        (
            json!({"status": "paused", "permissions": [{"action": "read", "resource": {"type": "buckets"}}]}),
            400,
            "invalid",
            "failed to decode request body: unknown variant `paused`, expected `active` or `inactive` at line 1 column 82",
        ),
        (
            json!({"description": "no permissions"}),
            400,
            "invalid",
            "failed to decode request body: missing field `permissions` at line 1 column 32",
        ),
    ];
    for (body, status, code, message) in cases {
        let answer = op(&server, "POST", "/api/v2/authorizations", Some(body)).await;
        assert_error(&answer, status, code, message);
    }
    // A bucket id and a name that disagree.
    let bucket = create_bucket(&server, "real", None).await;
    let body = json!({"permissions": [{"action": "read", "resource":
        {"type": "buckets", "id": bucket["id"], "name": "other"}}]});
    let answer = op(&server, "POST", "/api/v2/authorizations", Some(body)).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "invalid permission: permission 0: resource id names bucket \"real\" but resource name is \"other\"",
    );
    assert_eq!(server.catalog.list_tokens().await.unwrap().len(), before);

    let answer = op(&server, "GET", "/api/v2/authorizations/123", None).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "invalid id \"123\": ids are 16 hexadecimal characters",
    );
    let answer = op(
        &server,
        "PATCH",
        "/api/v2/authorizations/0000000000000001",
        Some(json!({"status": "gone"})),
    )
    .await;
    assert_error(
        &answer,
        400,
        "invalid",
        "failed to decode request body: unknown variant `gone`, expected `active` or `inactive` at line 1 column 16",
    );
}
