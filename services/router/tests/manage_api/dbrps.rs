//! `/api/v2/dbrps`: create, list with every filter, get, patch (retention policy, default),
//! delete, every error row, the mappings of a deleted bucket, and a mapping made here routing
//! a v1 write.

use serde_json::{Value, json};

use crate::common::{OPERATOR, TestServer};
use crate::{ORG_ID, assert_error, create_bucket, op};

/// Creates a mapping over HTTP and returns its JSON.
async fn create(server: &TestServer, bucket_id: &str, db: &str, rp: &str, default: bool) -> Value {
    let body = json!({"orgID": ORG_ID, "bucketID": bucket_id, "database": db,
        "retention_policy": rp, "default": default});
    let answer = op(server, "POST", "/api/v2/dbrps", Some(body)).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    answer.json()
}

/// `(retention_policy, default)` of every mapping `GET path` lists.
async fn listed(server: &TestServer, path: &str) -> Vec<(String, bool)> {
    let answer = op(server, "GET", path, None).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.json()["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["retention_policy"].as_str().unwrap().to_owned(),
                d["default"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, bool)]) -> Vec<(String, bool)> {
    expected
        .iter()
        .map(|(r, d)| ((*r).to_owned(), *d))
        .collect()
}

#[tokio::test]
async fn create_get_patch_delete() {
    let server = TestServer::start().await;
    let bucket = create_bucket(&server, "telegraf_data", None).await;
    let bucket_id = bucket["id"].as_str().unwrap();

    let first = create(&server, bucket_id, "telegraf", "autogen", false).await;
    let id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 16, "{first}");
    let expected = json!({"id": id, "orgID": ORG_ID, "bucketID": bucket_id,
        "database": "telegraf", "retention_policy": "autogen", "default": true, "virtual": false});
    assert_eq!(
        first, expected,
        "the first mapping of a v1 database is its default"
    );

    let path = format!("/api/v2/dbrps/{id}");
    let got = op(&server, "GET", &format!("{path}?orgID={ORG_ID}"), None).await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.json(), json!({"content": expected}));

    // A second mapping taking the default; `org` instead of `orgID`.
    let body = json!({"org": "quiver", "bucketID": bucket_id, "database": "telegraf",
        "retention_policy": "weekly", "default": true});
    let weekly = op(&server, "POST", "/api/v2/dbrps", Some(body)).await;
    assert_eq!(weekly.status, 201, "{weekly:?}");
    let weekly_id = weekly.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        listed(&server, "/api/v2/dbrps?db=telegraf").await,
        pairs(&[("autogen", false), ("weekly", true)])
    );

    let patched = op(
        &server,
        "PATCH",
        &path,
        Some(json!({"retention_policy": "forever", "default": true})),
    )
    .await;
    assert_eq!(patched.status, 200, "{patched:?}");
    let mut renamed = expected.clone();
    renamed["retention_policy"] = json!("forever");
    assert_eq!(patched.json(), json!({"content": renamed}));
    assert_eq!(
        listed(&server, "/api/v2/dbrps").await,
        pairs(&[("forever", true), ("weekly", false)])
    );
    // A whole mapping sent back: the fields that cannot change are ignored.
    let mut sent_back = renamed.clone();
    sent_back["database"] = json!("other");
    sent_back["default"] = json!(false);
    let patched = op(&server, "PATCH", &path, Some(sent_back)).await;
    assert_eq!(patched.status, 200, "{patched:?}");
    assert_eq!(patched.json()["content"]["database"], "telegraf");
    assert_eq!(
        listed(&server, "/api/v2/dbrps").await,
        pairs(&[("forever", false), ("weekly", true)]),
        "un-defaulting hands the default on"
    );

    let deleted = op(
        &server,
        "DELETE",
        &format!("/api/v2/dbrps/{weekly_id}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    assert!(deleted.body.is_empty());
    assert_eq!(
        listed(&server, "/api/v2/dbrps").await,
        pairs(&[("forever", true)]),
        "deleting the default hands it to what is left"
    );
    let again = op(
        &server,
        "DELETE",
        &format!("/api/v2/dbrps/{weekly_id}"),
        None,
    )
    .await;
    assert_error(
        &again,
        404,
        "not found",
        &format!("unable to find DBRP \"{weekly_id}\""),
    );
}

#[tokio::test]
async fn list_filters() {
    let server = TestServer::start().await;
    let a = create_bucket(&server, "a", None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = create_bucket(&server, "b", None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = create(&server, &a, "db1", "autogen", false).await;
    create(&server, &b, "db1", "weekly", false).await;
    create(&server, &b, "db2", "autogen", false).await;

    let all = op(&server, "GET", "/api/v2/dbrps", None).await;
    assert_eq!(all.json()["content"].as_array().unwrap().len(), 3);
    let ids: Vec<String> = all.json()["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "by id: {ids:?}");

    let count = |path: String| {
        let server = &server;
        async move {
            let answer = op(server, "GET", &path, None).await;
            assert_eq!(answer.status, 200, "{path}: {answer:?}");
            answer.json()["content"].as_array().unwrap().len()
        }
    };
    assert_eq!(count("/api/v2/dbrps?db=db1".into()).await, 2);
    assert_eq!(count("/api/v2/dbrps?rp=autogen".into()).await, 2);
    assert_eq!(count("/api/v2/dbrps?db=db1&rp=weekly".into()).await, 1);
    assert_eq!(count(format!("/api/v2/dbrps?bucketID={b}")).await, 2);
    assert_eq!(count("/api/v2/dbrps?default=true".into()).await, 2);
    assert_eq!(count("/api/v2/dbrps?default=false".into()).await, 1);
    assert_eq!(
        count(format!("/api/v2/dbrps?id={}", one["id"].as_str().unwrap())).await,
        1
    );
    assert_eq!(
        count(format!(
            "/api/v2/dbrps?id={}&db=db2",
            one["id"].as_str().unwrap()
        ))
        .await,
        0,
        "every filter must match"
    );
    assert_eq!(
        count(format!(
            "/api/v2/dbrps?orgID={ORG_ID}&org=quiver&db=&rp=&id=&bucketID="
        ))
        .await,
        3,
        "empty values filter nothing"
    );
    assert_eq!(count("/api/v2/dbrps?db=nothing".into()).await, 0);

    let answer = op(&server, "GET", "/api/v2/dbrps?default=yes", None).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "invalid default parameter \"yes\": expected true or false",
    );
    let answer = op(&server, "GET", "/api/v2/dbrps?bucketID=12", None).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "invalid id \"12\": ids are 16 hexadecimal characters",
    );
    let answer = op(&server, "GET", "/api/v2/dbrps?org=acme", None).await;
    assert_error(
        &answer,
        404,
        "not found",
        "organization name \"acme\" not found",
    );
}

#[tokio::test]
async fn create_errors() {
    let server = TestServer::start().await;
    let bucket = create_bucket(&server, "target", None).await;
    let id = bucket["id"].as_str().unwrap().to_owned();
    create(&server, &id, "taken", "autogen", false).await;
    let ok = |db: &str, rp: &str| json!({"orgID": ORG_ID, "bucketID": id, "database": db, "retention_policy": rp});
    let cases: Vec<(Value, u16, &str, String)> = vec![
        (
            ok("taken", "autogen"),
            409,
            "conflict",
            "a DBRP mapping of database \"taken\" and retention policy \"autogen\" already exists"
                .into(),
        ),
        (
            ok("a/b", "rp"),
            400,
            "invalid",
            "DBRP provided is invalid: database \"a/b\" must not contain '/'".into(),
        ),
        (
            ok("db", ""),
            400,
            "invalid",
            "DBRP provided is invalid: retention policy \"\" must not be empty".into(),
        ),
        (
            json!({"bucketID": "00000000000000ff", "database": "db", "retention_policy": "rp"}),
            404,
            "not found",
            "bucket \"00000000000000ff\" not found".into(),
        ),
        (
            json!({"bucketID": "nope", "database": "db", "retention_policy": "rp"}),
            400,
            "invalid",
            "invalid id \"nope\": ids are 16 hexadecimal characters".into(),
        ),
        (
            json!({"orgID": "00000000000000aa", "bucketID": id, "database": "db",
                "retention_policy": "rp"}),
            404,
            "not found",
            "organization id \"00000000000000aa\" not found".into(),
        ),
        (
            json!({"org": "acme", "bucketID": id, "database": "db", "retention_policy": "rp"}),
            404,
            "not found",
            "organization name \"acme\" not found".into(),
        ),
    ];
    for (body, status, code, message) in cases {
        let answer = op(&server, "POST", "/api/v2/dbrps", Some(body.clone())).await;
        assert_error(&answer, status, code, &message);
    }
    // Required fields (InfluxDB 2's DBRPCreate: bucketID, database, retention_policy).
    let answer = op(
        &server,
        "POST",
        "/api/v2/dbrps",
        Some(json!({"database": "db", "retention_policy": "rp"})),
    )
    .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    let message = answer.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("failed to decode request body: missing field `bucketID`"),
        "{message}"
    );
    let answer = op(&server, "POST", "/api/v2/dbrps", None).await;
    assert_error(
        &answer,
        400,
        "invalid",
        "failed to decode request body: the body is empty",
    );
    assert_eq!(
        listed(&server, "/api/v2/dbrps").await,
        pairs(&[("autogen", true)]),
        "refused requests leave nothing behind"
    );
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let server = TestServer::start().await;
    for (method, body) in [
        ("GET", None),
        ("PATCH", Some(json!({"default": true}))),
        ("DELETE", None),
    ] {
        let answer = op(
            &server,
            method,
            "/api/v2/dbrps/00000000000000ff",
            body.clone(),
        )
        .await;
        assert_error(
            &answer,
            404,
            "not found",
            "unable to find DBRP \"00000000000000ff\"",
        );
        let answer = op(&server, method, "/api/v2/dbrps/nope", body).await;
        assert_error(
            &answer,
            400,
            "invalid",
            "invalid id \"nope\": ids are 16 hexadecimal characters",
        );
    }
    let bucket = create_bucket(&server, "b", None).await;
    let mapping = create(&server, bucket["id"].as_str().unwrap(), "db", "rp", false).await;
    let path = format!("/api/v2/dbrps/{}", mapping["id"].as_str().unwrap());
    let answer = op(
        &server,
        "PATCH",
        &path,
        Some(json!({"retention_policy": "x/y"})),
    )
    .await;
    assert_error(
        &answer,
        400,
        "invalid",
        "DBRP provided is invalid: retention policy \"x/y\" must not contain '/'",
    );
    let answer = op(
        &server,
        "GET",
        &format!("{path}?orgID=00000000000000aa"),
        None,
    )
    .await;
    assert_error(
        &answer,
        404,
        "not found",
        "organization id \"00000000000000aa\" not found",
    );
}

#[tokio::test]
async fn deleting_a_bucket_deletes_its_mappings() {
    let server = TestServer::start().await;
    let gone = create_bucket(&server, "gone", None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = create_bucket(&server, "kept", None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    create(&server, &gone, "v1", "autogen", false).await;
    create(&server, &kept, "v1", "weekly", false).await;
    let answer = op(&server, "DELETE", &format!("/api/v2/buckets/{gone}"), None).await;
    assert_eq!(answer.status, 204, "{answer:?}");
    assert_eq!(
        listed(&server, "/api/v2/dbrps").await,
        pairs(&[("weekly", true)]),
        "the deleted bucket's mapping is gone and the default moved"
    );
    let body = json!({"bucketID": gone, "database": "v1", "retention_policy": "again"});
    let answer = op(&server, "POST", "/api/v2/dbrps", Some(body)).await;
    assert_error(
        &answer,
        404,
        "not found",
        &format!("bucket \"{gone}\" not found"),
    );
}

/// A mapping made over HTTP routes v1 writes, with and without `rp`, to its bucket.
#[tokio::test]
async fn a_mapping_routes_v1_writes() {
    let server = TestServer::start().await;
    let bucket = create_bucket(&server, "metrics", None).await;
    create(
        &server,
        bucket["id"].as_str().unwrap(),
        "telegraf",
        "autogen",
        false,
    )
    .await;
    for query in ["db=telegraf", "db=telegraf&rp=autogen"] {
        let answer = server
            .write(&format!("/write?{query}"), OPERATOR, "cpu v=1 1")
            .await;
        assert_eq!(answer.status, 204, "{query}: {answer:?}");
    }
    assert_eq!(server.rows("metrics").len(), 2);
    assert!(server.rows("telegraf").is_empty());
}
