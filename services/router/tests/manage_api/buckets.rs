//! `/api/v2/buckets`: create, list (pagination, filters), get, patch retention, delete.

use std::time::Duration;

use catalog::{Catalog, DatabaseName};
use router::RouterSettings;
use serde_json::{Value, json};

use crate::common::{OPERATOR, Options, TestServer};
use crate::{ORG_ID, assert_error, create_bucket, op};

fn is_rfc3339(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() >= 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T')
}

#[tokio::test]
async fn create_returns_the_v2_bucket() {
    let server = TestServer::start().await;
    let bucket = create_bucket(&server, "air_sensor", Some(86_400)).await;
    let db = server
        .catalog
        .database_by_name(&DatabaseName::new("air_sensor").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(db.retention_period, Some(Duration::from_secs(86_400)));
    let id = format!("{:016x}", db.id.0);
    assert!(is_rfc3339(&bucket["createdAt"]), "{bucket}");
    assert_eq!(bucket["createdAt"], bucket["updatedAt"]);
    let mut shown = bucket.clone();
    shown.as_object_mut().unwrap().remove("createdAt");
    shown.as_object_mut().unwrap().remove("updatedAt");
    assert_eq!(
        shown,
        json!({
            "id": id,
            "type": "user",
            "name": "air_sensor",
            "orgID": ORG_ID,
            "schemaType": "implicit",
            "retentionRules": [{"type": "expire", "everySeconds": 86400}],
            "labels": [],
            "links": {
                "self": format!("/api/v2/buckets/{id}"),
                "org": format!("/api/v2/orgs/{ORG_ID}"),
                "write": "/api/v2/write?org=quiver&bucket=air_sensor",
            },
        })
    );
    // No rules, or everySeconds 0: kept forever; rp and shardGroupDurationSeconds are accepted.
    let forever = create_bucket(&server, "forever", None).await;
    assert_eq!(forever["retentionRules"], json!([]));
    let body = json!({"orgID": ORG_ID, "name": "zero", "rp": "0", "schemaType": "implicit",
        "retentionRules": [{"type": "expire", "everySeconds": 0, "shardGroupDurationSeconds": 0}]});
    let answer = op(&server, "POST", "/api/v2/buckets", Some(body)).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(answer.json()["retentionRules"], json!([]));
    // orgID may be left out.
    let answer = op(
        &server,
        "POST",
        "/api/v2/buckets",
        Some(json!({"name": "db/rp"})),
    )
    .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(answer.json()["name"], "db/rp");
    assert_eq!(
        answer.json()["links"]["write"],
        "/api/v2/write?org=quiver&bucket=db%2Frp"
    );
}

#[tokio::test]
async fn create_errors() {
    let server = TestServer::start().await;
    create_bucket(&server, "taken", None).await;
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!({"orgID": ORG_ID, "name": "taken"}),
            409,
            "conflict",
            "bucket with name taken already exists",
        ),
        (
            json!({"orgID": ORG_ID, "name": "my db"}),
            400,
            "invalid",
            "invalid database name \"my db\": character ' ' at position 2 is not allowed; use only A-Z, a-z, 0-9, '_', '-' and '/'",
        ),
        (
            json!({"orgID": ORG_ID, "name": ""}),
            400,
            "invalid",
            "invalid database name \"\": must be between 1 and 64 characters long, got 0",
        ),
        (
            json!({"orgID": "00000000000000aa", "name": "x"}),
            404,
            "not found",
            "organization id \"00000000000000aa\" not found",
        ),
        (
            json!({"orgID": "acme", "name": "x"}),
            400,
            "invalid",
            "invalid id \"acme\": ids are 16 hexadecimal characters",
        ),
        (
            json!({"name": "x", "retentionRules": [{"everySeconds": 1}, {"everySeconds": 2}]}),
            400,
            "invalid",
            "invalid retention rules: expected at most one rule, got 2",
        ),
        (
            json!({"name": "x", "retentionRules": [{"type": "keep", "everySeconds": 1}]}),
            400,
            "invalid",
            "invalid retention rules: rule type must be \"expire\", got \"keep\"",
        ),
        (
            json!({"name": "x", "retentionRules": [{"everySeconds": -1}]}),
            400,
            "invalid",
            "invalid retention rules: everySeconds must be 0 (keep forever) or positive, got -1",
        ),
        (
            json!({"name": "x", "description": "sensor data"}),
            400,
            "invalid",
            "description is not supported: Quiver does not store bucket descriptions; omit it",
        ),
        (
            json!({"name": "x", "schemaType": "explicit"}),
            400,
            "invalid",
            "schemaType is not supported: only \"implicit\" is available (columns are created by writes), got \"explicit\"",
        ),
        (
            json!({"orgID": ORG_ID}),
            400,
            "invalid",
            "failed to decode request body: missing field `name` at line 1 column 28",
        ),
    ];
    for (body, status, code, message) in cases {
        let answer = op(&server, "POST", "/api/v2/buckets", Some(body.clone())).await;
        assert_error(&answer, status, code, message);
    }
    let auth = format!("Token {OPERATOR}");
    let answer = server
        .send(
            "POST",
            "/api/v2/buckets",
            &[("authorization", auth.as_str())],
            "{nope",
        )
        .await;
    assert_error(
        &answer,
        400,
        "invalid",
        "failed to decode request body: key must be a string at line 1 column 2",
    );
    let answer = server
        .send(
            "POST",
            "/api/v2/buckets",
            &[("authorization", auth.as_str())],
            "",
        )
        .await;
    assert_error(
        &answer,
        400,
        "invalid",
        "failed to decode request body: the body is empty",
    );
    // Nothing was created by the failures.
    let names: Vec<String> = server
        .catalog
        .list_databases()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name.to_string())
        .collect();
    assert_eq!(names, vec!["taken".to_owned()]);
}

#[tokio::test]
async fn list_paginates_in_creation_order_with_links() {
    let server = TestServer::start().await;
    let mut ids = Vec::new();
    for name in ["c", "a", "e", "b", "d"] {
        ids.push(create_bucket(&server, name, None).await["id"].clone());
    }
    let answer = op(&server, "GET", "/api/v2/buckets", None).await;
    assert_eq!(answer.status, 200);
    let all = answer.json();
    let names: Vec<&str> = all["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c", "a", "e", "b", "d"]);
    assert_eq!(
        all["links"],
        json!({"self": "/api/v2/buckets?descending=false&limit=20&offset=0"})
    );

    let page = op(&server, "GET", "/api/v2/buckets?limit=2&offset=2", None)
        .await
        .json();
    let names: Vec<&str> = page["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["e", "b"]);
    assert_eq!(
        page["links"],
        json!({
            "self": "/api/v2/buckets?descending=false&limit=2&offset=2",
            "next": "/api/v2/buckets?descending=false&limit=2&offset=4",
            "prev": "/api/v2/buckets?descending=false&limit=2&offset=0",
        })
    );
    let past = op(&server, "GET", "/api/v2/buckets?limit=1&offset=50", None)
        .await
        .json();
    assert_eq!(past["buckets"], json!([]));
    assert_eq!(
        past["links"],
        json!({
            "self": "/api/v2/buckets?descending=false&limit=1&offset=50",
            "prev": "/api/v2/buckets?descending=false&limit=1&offset=49",
        })
    );

    // Filters: name, id, after, org, orgID.
    let by_name = op(&server, "GET", "/api/v2/buckets?name=e&org=quiver", None)
        .await
        .json();
    assert_eq!(by_name["buckets"].as_array().unwrap().len(), 1);
    assert_eq!(by_name["buckets"][0]["id"], ids[2]);
    let path = format!(
        "/api/v2/buckets?id={}&orgID={ORG_ID}",
        ids[3].as_str().unwrap()
    );
    let by_id = op(&server, "GET", &path, None).await.json();
    assert_eq!(by_id["buckets"][0]["name"], "b");
    let path = format!("/api/v2/buckets?after={}", ids[2].as_str().unwrap());
    let after = op(&server, "GET", &path, None).await.json();
    let names: Vec<&str> = after["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b", "d"]);
    let none = op(&server, "GET", "/api/v2/buckets?name=zzz", None)
        .await
        .json();
    assert_eq!(none["buckets"], json!([]));

    let answer = op(&server, "GET", "/api/v2/buckets?limit=101", None).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "invalid query string: limit must be an integer between 1 and 100, got \"101\"",
    );
    let answer = op(&server, "GET", "/api/v2/buckets?offset=-1", None).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "invalid query string: offset must be a non-negative integer, got \"-1\"",
    );
    let answer = op(&server, "GET", "/api/v2/buckets?org=acme", None).await;
    assert_error(
        &answer,
        404,
        "not found",
        "organization name \"acme\" not found",
    );
    let answer = op(&server, "GET", "/api/v2/buckets?id=12", None).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "invalid id \"12\": ids are 16 hexadecimal characters",
    );
}

#[tokio::test]
async fn get_patch_and_their_errors() {
    let server = TestServer::start().await;
    let bucket = create_bucket(&server, "sensors", Some(3600)).await;
    let id = bucket["id"].as_str().unwrap();
    let path = format!("/api/v2/buckets/{id}");
    let got = op(&server, "GET", &path, None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), bucket);

    // Retention changes; the same name (what clients send back) is fine.
    let body = json!({"name": "sensors", "description": "",
        "retentionRules": [{"type": "expire", "everySeconds": 7200}]});
    let patched = op(&server, "PATCH", &path, Some(body)).await;
    assert_eq!(patched.status, 200, "{patched:?}");
    assert_eq!(
        patched.json()["retentionRules"],
        json!([{"type": "expire", "everySeconds": 7200}])
    );
    let db = server
        .catalog
        .database_by_name(&DatabaseName::new("sensors").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(db.retention_period, Some(Duration::from_secs(7200)));
    // No rules: unchanged. everySeconds 0: forever.
    let same = op(&server, "PATCH", &path, Some(json!({"retentionRules": []}))).await;
    assert_eq!(same.json()["retentionRules"][0]["everySeconds"], 7200);
    let forever = op(
        &server,
        "PATCH",
        &path,
        Some(json!({"retentionRules": [{"everySeconds": 0}]})),
    )
    .await;
    assert_eq!(forever.json()["retentionRules"], json!([]));

    let answer = op(&server, "PATCH", &path, Some(json!({"name": "renamed"}))).await;
    assert_error(
        &answer,
        400,
        "invalid",
        &format!(
            "buckets cannot be renamed: bucket {id} is named \"sensors\", the request names it \"renamed\"; create a new bucket and write there instead"
        ),
    );
    let answer = op(&server, "PATCH", &path, Some(json!({"description": "d"}))).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "description is not supported: Quiver does not store bucket descriptions; omit it",
    );
    for method in ["GET", "PATCH", "DELETE"] {
        let body = (method == "PATCH").then(|| json!({}));
        let answer = op(&server, method, "/api/v2/buckets/00000000000000ff", body).await;
        assert_error(
            &answer,
            404,
            "not found",
            "bucket \"00000000000000ff\" not found",
        );
        let body = (method == "PATCH").then(|| json!({}));
        let answer = op(&server, method, "/api/v2/buckets/nope", body).await;
        assert_error(
            &answer,
            400,
            "invalid",
            "invalid id \"nope\": ids are 16 hexadecimal characters",
        );
    }
}

#[tokio::test]
async fn delete_is_soft_and_writes_then_get_404() {
    let server = TestServer::with(Options {
        settings: RouterSettings {
            auto_create_databases: false,
            ..RouterSettings::default()
        },
        ..Options::default()
    })
    .await;
    let bucket = create_bucket(&server, "mydb", None).await;
    let id = bucket["id"].as_str().unwrap().to_owned();
    let answer = server
        .write("/api/v2/write?bucket=mydb", OPERATOR, "m f=1i 1")
        .await;
    assert_eq!(answer.status, 204, "{answer:?}");

    let path = format!("/api/v2/buckets/{id}");
    let answer = op(&server, "DELETE", &path, None).await;
    assert_eq!(answer.status, 204, "{answer:?}");
    assert_eq!(answer.body, "");
    let answer = server
        .write("/api/v2/write?bucket=mydb", OPERATOR, "m f=2i 2")
        .await;
    assert_error(&answer, 404, "not found", "database not found: \"mydb\"");
    for method in ["GET", "DELETE"] {
        let answer = op(&server, method, &path, None).await;
        assert_error(
            &answer,
            404,
            "not found",
            &format!("bucket \"{id}\" not found"),
        );
    }
    let list = op(&server, "GET", "/api/v2/buckets", None).await.json();
    assert_eq!(list["buckets"], json!([]));

    // The name is free again, under a new id.
    let again = create_bucket(&server, "mydb", None).await;
    assert_ne!(again["id"], bucket["id"]);
    let answer = server
        .write("/api/v2/write?bucket=mydb", OPERATOR, "m f=3i 3")
        .await;
    assert_eq!(answer.status, 204, "{answer:?}");
}
