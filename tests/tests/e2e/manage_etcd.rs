//! Management of a cluster with real etcd: `quiver admin` processes create a database and a
//! token in etcd, the Python `influxdb-client` writes through a `quiver router` with that token,
//! `quiver admin token revoke` stops it within 1 s. An operator token made by the CLI drives
//! the router's management API, and what that API creates is what the CLI lists.

use std::process::Command;
use std::time::{Duration, Instant};

use end_to_end::{Cluster, python_script, quiver_binary, write_lp};
use serde_json::Value;

/// `quiver admin args… --etcd-endpoints <etcd>`; panics with stderr unless it exits 0.
fn admin(endpoint: &str, args: &[&str]) -> String {
    let out = Command::new(quiver_binary())
        .arg("admin")
        .args(args)
        .args(["--etcd-endpoints", endpoint])
        .env_remove("QUIVER_DATA_DIR")
        .output()
        .expect("quiver admin runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "quiver admin {args:?}: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `(id, value)` from the output of `token create`.
fn created_token(output: &str) -> (String, String) {
    let mut lines = output.lines();
    let id = lines.next().and_then(|l| l.strip_prefix("token id: "));
    let value = lines.next().and_then(|l| l.strip_prefix("token: "));
    match (id, value) {
        (Some(id), Some(value)) => (id.to_owned(), value.to_owned()),
        _ => panic!("unexpected `token create` output: {output}"),
    }
}

#[tokio::test]
async fn cli_tokens_write_through_the_router_and_stop_within_a_second_of_revocation() {
    let cluster = Cluster::start(1).await;
    let etcd = cluster.etcd.endpoint();
    let router = cluster.url(0).to_owned();

    let out = admin(
        &etcd,
        &["database", "create", "e2e_db", "--retention", "30d"],
    );
    assert!(out.starts_with("database \"e2e_db\" created"), "{out}");
    admin(&etcd, &["database", "create", "e2e_other"]);
    let (id, token) = created_token(&admin(
        &etcd,
        &[
            "token",
            "create",
            "--write",
            "e2e_db",
            "--description",
            "e2e writer",
        ],
    ));

    // The real client writes with the CLI's token; another database is refused.
    let doc = python_script("manage.py", "write", &[], &router, &token, "e2e_db");
    assert_eq!(doc["status"], 204, "{doc}");
    let doc = python_script("manage.py", "write", &[], &router, &token, "e2e_other");
    assert_eq!(doc["status"], 401, "{doc}");

    let listed: Value =
        serde_json::from_str(&admin(&etcd, &["token", "list", "--format", "json"])).unwrap();
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap_or_else(|| panic!("token {id} not listed: {listed}"));
    assert_eq!(mine["active"], true);
    assert!(
        !listed.to_string().contains(&token),
        "listing shows a token value"
    );

    // Revoke with the CLI; the router must refuse the token within 1 s.
    let out = admin(&etcd, &["token", "revoke", &id]);
    assert_eq!(out, format!("token {id} revoked\n"));
    let revoked_at = Instant::now();
    let client = reqwest::Client::new();
    let mut last = 0;
    for _ in 0..200 {
        let (status, _, _) = write_lp(&client, &router, "e2e_db", &token, "m f=1i").await;
        last = status;
        if status == 401 || revoked_at.elapsed() > Duration::from_secs(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen_after = revoked_at.elapsed();
    assert_eq!(last, 401, "still accepted {seen_after:?} after revocation");
    assert!(
        seen_after <= Duration::from_secs(1),
        "401 only after {seen_after:?}"
    );
    let doc = python_script("manage.py", "write", &[], &router, &token, "e2e_db");
    assert_eq!(doc["status"], 401, "{doc}");
}

#[tokio::test]
async fn cli_operator_token_manages_the_cluster_over_http() {
    let cluster = Cluster::start(1).await;
    let etcd = cluster.etcd.endpoint();
    let router = cluster.url(0).to_owned();
    let (_, operator) = created_token(&admin(
        &etcd,
        &["token", "create", "--operator", "--description", "ops"],
    ));
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{router}/api/v2/buckets"))
        .header("Authorization", format!("Token {operator}"))
        .json(
            &serde_json::json!({"name": "from_http", "retentionRules": [{"everySeconds": 86400}]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["name"], "from_http", "{created}");

    let listed: Value =
        serde_json::from_str(&admin(&etcd, &["database", "list", "--format", "json"])).unwrap();
    let db = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "from_http")
        .unwrap_or_else(|| panic!("not listed: {listed}"));
    assert_eq!(db["id"], created["id"]);
    assert_eq!(db["retention"], "1d");

    // The Python client manages the cluster with the CLI's operator token.
    let doc = python_script(
        "manage.py",
        "lifecycle",
        &[],
        &router,
        &operator,
        "py_cluster",
    );
    assert_eq!(doc["write_granted"], 204, "{doc}");
    assert_eq!(doc["write_inactive"], 401, "{doc}");
    assert_eq!(doc["write_reactivated"], 204, "{doc}");
    assert_eq!(doc["write_deleted"], 401, "{doc}");
    assert_eq!(doc["write_deleted_bucket"], 404, "{doc}");
}
