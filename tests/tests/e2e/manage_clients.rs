//! The management API of `quiver serve`, driven by the real Python `influxdb-client`
//! (`tests/python/manage.py lifecycle`): the client parsing our JSON is the compatibility check.

use end_to_end::{QuiverProcess, python_script};
use serde_json::json;

const OPERATOR: &str = "qvr_manage_clients_operator";

#[test]
fn influxdb_client_manages_orgs_buckets_and_authorizations() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let q = QuiverProcess::start(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--operator-token",
        OPERATOR,
        "--auto-create-databases=false",
    ]);
    let doc = python_script("manage.py", "lifecycle", &[], &q.url, OPERATOR, "py_db");

    assert_eq!(
        doc["orgs"],
        json!([{"id": "7175697665720001", "name": "quiver", "status": "active"}])
    );
    let created = &doc["created"];
    let bucket_id = created["id"].as_str().unwrap();
    assert_eq!(bucket_id.len(), 16, "{doc}");
    assert_eq!(created["name"], "py_db");
    assert_eq!(created["org_id"], "7175697665720001");
    assert_eq!(created["type"], "user");
    assert_eq!(created["every_seconds"], json!([3600]));
    assert!(
        created["created_at_year"].as_i64().unwrap() >= 2024,
        "{doc}"
    );
    assert_eq!(
        doc["duplicate"],
        json!({"status": 409, "body": {"code": "conflict", "message": "bucket with name py_db already exists"}})
    );
    assert_eq!(doc["found_by_name"], created["id"]);
    assert_eq!(doc["missing_by_name"], json!(null));
    assert_eq!(doc["all_names"], json!(["py_db", "py_db_other"]));
    assert_eq!(doc["page"]["names"], json!(["py_db_other"]));
    assert_eq!(doc["page"]["next"], json!(null));
    assert_eq!(doc["iterated"], json!(["py_db", "py_db_other"]));
    assert_eq!(doc["updated_every_seconds"], json!([7200]));

    let auth = &doc["auth"];
    assert_eq!(auth["token_prefix"], "qvr_");
    assert_eq!(auth["status"], "active");
    assert_eq!(auth["description"], "python writer");
    assert_eq!(
        auth["permissions"],
        json!([{"action": "write", "type": "buckets", "id": bucket_id, "name": "py_db"}])
    );
    assert_eq!(doc["write_granted"], 204);
    assert_eq!(doc["write_other"], 401);
    assert_eq!(doc["listed_tokens"], json!(["redacted"]));
    assert_eq!(doc["listed_ids_contain_new"], true);
    assert_eq!(doc["value_in_listing"], false);
    assert_eq!(doc["deactivated_status"], "inactive");
    assert_eq!(doc["write_inactive"], 401);
    assert_eq!(doc["reactivated_status"], "active");
    assert_eq!(doc["write_reactivated"], 204);
    assert_eq!(doc["write_deleted"], 401);
    assert_eq!(doc["listed_after_delete"], false);
    assert_eq!(doc["found_after_delete"], json!(null));
    assert_eq!(doc["write_deleted_bucket"], 404);
}
