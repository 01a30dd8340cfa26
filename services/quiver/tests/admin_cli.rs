//! `quiver admin` against the on-disk catalog of a data directory: every subcommand, both
//! output formats, exit codes and messages, the lock held by a running `serve`, and tokens
//! created offline working once `serve` starts on that directory.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_quiver");

/// Runs `quiver admin args…` with no inherited QUIVER_* variables.
fn admin(args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("admin").args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("QUIVER_") {
            cmd.env_remove(k);
        }
    }
    cmd.output().unwrap()
}

/// Runs and expects success; returns stdout.
#[track_caller]
fn ok(args: &[&str]) -> String {
    let out = admin(args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{args:?}: {stderr}\n{stdout}");
    assert_eq!(stderr, "", "{args:?}");
    stdout
}

/// Runs and expects exit code 1; returns stderr.
#[track_caller]
fn fails(args: &[&str]) -> String {
    let out = admin(args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&ok(&all)).unwrap()
}

#[test]
fn databases_create_list_update_delete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = ok(&[
        "database",
        "create",
        "mydb",
        "--retention",
        "30d",
        "--data-dir",
        d,
    ]);
    assert!(
        out.starts_with("database \"mydb\" created (id ") && out.ends_with(", retention 30d)\n"),
        "{out}"
    );
    let created = json(&["database", "create", "other", "--data-dir", d]);
    assert_eq!(created["name"], "other");
    assert_eq!(created["retention"], "infinite");
    assert_eq!(created["retention_seconds"], Value::Null);

    let table = ok(&["database", "list", "--data-dir", d]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("NAME") && lines[0].contains("RETENTION")
    );
    assert!(
        lines[1].contains("mydb") && lines[1].contains("30d"),
        "{table}"
    );
    assert!(
        lines[2].contains("other") && lines[2].contains("infinite"),
        "{table}"
    );

    let updated = json(&[
        "database",
        "update",
        "mydb",
        "--retention",
        "12h",
        "--data-dir",
        d,
    ]);
    assert_eq!(updated["retention_seconds"], 43_200);
    let list = json(&["database", "list", "--data-dir", d]);
    assert_eq!(list[0]["retention"], "12h");

    let deleted = ok(&["database", "delete", "other", "--data-dir", d]);
    assert!(
        deleted.starts_with("database \"other\" deleted"),
        "{deleted}"
    );
    let names: Vec<Value> = json(&["database", "list", "--data-dir", d])
        .as_array()
        .unwrap()
        .iter()
        .map(|db| db["name"].clone())
        .collect();
    assert_eq!(names, ["mydb"]);

    // Errors: exit 1 and a message saying what is wrong.
    let e = fails(&["database", "create", "mydb", "--data-dir", d]);
    assert_eq!(e, "error: database already exists: \"mydb\"\n");
    let e = fails(&["database", "create", "my db", "--data-dir", d]);
    assert!(
        e.contains("invalid database name \"my db\": character ' ' at position 2"),
        "{e}"
    );
    let e = fails(&["database", "delete", "other", "--data-dir", d]);
    assert_eq!(e, "error: database not found: \"other\"\n");
    let e = fails(&[
        "database",
        "update",
        "nope",
        "--retention",
        "1d",
        "--data-dir",
        d,
    ]);
    assert_eq!(e, "error: database not found: \"nope\"\n");
}

#[test]
fn tokens_create_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = ok(&[
        "token",
        "create",
        "--write",
        "mydb",
        "--read",
        "*",
        "--description",
        "ci writer",
        "--data-dir",
        d,
    ]);
    let lines: Vec<&str> = out.lines().collect();
    let id = lines[0].strip_prefix("token id: ").unwrap().to_owned();
    let value = lines[1].strip_prefix("token: ").unwrap().to_owned();
    assert_eq!(id.len(), 16);
    assert!(value.starts_with("qvr_") && value.len() == 47, "{value}");
    assert!(lines[2].contains("only time"), "{out}");

    let op = json(&["token", "create", "--operator", "--data-dir", d]);
    assert_eq!(op["operator"], true);
    assert!(op["token"].as_str().unwrap().starts_with("qvr_"));

    // Listings never show values.
    let table = ok(&["token", "list", "--data-dir", d]);
    assert!(
        !table.contains(&value) && !table.contains("qvr_"),
        "{table}"
    );
    assert!(
        table.contains(&id) && table.contains("read:*,write:mydb"),
        "{table}"
    );
    assert!(
        table.contains("ci writer") && table.contains("operator"),
        "{table}"
    );
    let list = json(&["token", "list", "--data-dir", d]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("token").is_none())
    );
    assert_eq!(
        list[0]["permissions"],
        serde_json::json!(["read:*", "write:mydb"])
    );
    assert_eq!(list[0]["active"], true);

    assert_eq!(
        ok(&["token", "revoke", &id, "--data-dir", d]),
        format!("token {id} revoked\n")
    );
    let list = json(&["token", "list", "--data-dir", d]);
    assert_eq!(list[0]["active"], false);
    let again = ok(&[
        "token",
        "revoke",
        id.trim_start_matches('0'),
        "--data-dir",
        d,
    ]);
    assert_eq!(
        again,
        format!("token {id} revoked (it was already revoked)\n")
    );

    let e = fails(&["token", "revoke", "00000000000000ff", "--data-dir", d]);
    assert_eq!(e, "error: token 00000000000000ff not found\n");
    let e = fails(&["token", "revoke", "xyz", "--data-dir", d]);
    assert!(e.contains("invalid token id \"xyz\""), "{e}");
    let e = fails(&["token", "create", "--data-dir", d]);
    assert!(e.contains("a token needs at least one grant"), "{e}");
    let e = fails(&[
        "token",
        "create",
        "--operator",
        "--write",
        "a",
        "--data-dir",
        d,
    ]);
    assert!(e.contains("--operator tokens may do everything"), "{e}");
    let e = fails(&["token", "create", "--write", "a b", "--data-dir", d]);
    assert!(e.contains("invalid database name \"a b\""), "{e}");
}

#[test]
fn dbrps_create_list_delete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    ok(&["database", "create", "metrics", "--data-dir", d]);
    ok(&["database", "create", "archive", "--data-dir", d]);
    let out = ok(&[
        "dbrp",
        "create",
        "--db",
        "telegraf",
        "--rp",
        "autogen",
        "--database",
        "metrics",
        "--data-dir",
        d,
    ]);
    let id = out
        .strip_prefix("DBRP mapping ")
        .and_then(|rest| rest.split_once(' '))
        .map(|(id, _)| id.to_owned())
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(id.len(), 16, "{out}");
    assert_eq!(
        out,
        format!("DBRP mapping {id} created: telegraf/autogen (default) → database \"metrics\"\n"),
        "the first mapping of a v1 database is its default"
    );
    let yearly = json(&[
        "dbrp",
        "create",
        "--db",
        "telegraf",
        "--rp",
        "yearly",
        "--database",
        "archive",
        "--default",
        "--data-dir",
        d,
    ]);
    assert_eq!(yearly["db"], "telegraf");
    assert_eq!(yearly["rp"], "yearly");
    assert_eq!(yearly["default"], true);
    assert_eq!(yearly["database"], "archive");
    assert_eq!(yearly["database_id"].as_str().unwrap().len(), 16);
    ok(&[
        "dbrp",
        "create",
        "--db",
        "other",
        "--rp",
        "rp",
        "--database",
        "metrics",
        "--data-dir",
        d,
    ]);

    let table = ok(&["dbrp", "list", "--data-dir", d]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    for column in ["ID", "DB", "RP", "DEFAULT", "DATABASE"] {
        assert!(lines[0].contains(column), "{table}");
    }
    assert!(
        lines[1].contains(&id)
            && lines[1].contains("autogen")
            && lines[1].contains(" no ")
            && lines[1].ends_with("metrics"),
        "the default moved to yearly: {table}"
    );
    assert!(
        lines[2].contains("yearly") && lines[2].contains(" yes "),
        "{table}"
    );
    let only = json(&["dbrp", "list", "--db", "telegraf", "--data-dir", d]);
    let rps: Vec<&str> = only
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["rp"].as_str().unwrap())
        .collect();
    assert_eq!(rps, ["autogen", "yearly"]);

    let yearly_id = yearly["id"].as_str().unwrap();
    assert_eq!(
        ok(&["dbrp", "delete", yearly_id, "--data-dir", d]),
        format!(
            "DBRP mapping {yearly_id} deleted (telegraf/yearly (default) → database \"archive\")\n"
        )
    );
    let list = json(&["dbrp", "list", "--db", "telegraf", "--data-dir", d]);
    assert_eq!(list[0]["rp"], "autogen");
    assert_eq!(list[0]["default"], true, "the default moved back");

    // Deleting a database takes its mappings along.
    ok(&["database", "delete", "metrics", "--data-dir", d]);
    assert_eq!(
        json(&["dbrp", "list", "--data-dir", d]),
        serde_json::json!([])
    );

    let e = fails(&["dbrp", "delete", yearly_id, "--data-dir", d]);
    assert_eq!(e, format!("error: DBRP mapping {yearly_id} not found\n"));
    let e = fails(&["dbrp", "delete", "xyz", "--data-dir", d]);
    assert!(e.contains("invalid DBRP mapping id \"xyz\""), "{e}");
    let e = fails(&[
        "dbrp",
        "create",
        "--db",
        "t",
        "--rp",
        "r",
        "--database",
        "missing",
        "--data-dir",
        d,
    ]);
    assert_eq!(e, "error: database not found: \"missing\"\n");
    let e = fails(&[
        "dbrp",
        "create",
        "--db",
        "a/b",
        "--rp",
        "r",
        "--database",
        "archive",
        "--data-dir",
        d,
    ]);
    assert_eq!(
        e,
        "error: DBRP provided is invalid: database \"a/b\" must not contain '/'\n"
    );
    ok(&[
        "dbrp",
        "create",
        "--db",
        "t",
        "--rp",
        "r",
        "--database",
        "archive",
        "--data-dir",
        d,
    ]);
    let e = fails(&[
        "dbrp",
        "create",
        "--db",
        "t",
        "--rp",
        "r",
        "--database",
        "archive",
        "--data-dir",
        d,
    ]);
    assert_eq!(
        e,
        "error: a DBRP mapping of database \"t\" and retention policy \"r\" already exists\n"
    );
}

#[test]
fn the_catalog_must_be_named_once() {
    let e = fails(&["database", "list"]);
    assert!(e.contains("no catalog given: use --etcd-endpoints"), "{e}");
    let e = fails(&[
        "database",
        "list",
        "--data-dir",
        "/tmp/x",
        "--etcd-endpoints",
        "http://127.0.0.1:1",
    ]);
    assert!(e.contains("both --etcd-endpoints and --data-dir"), "{e}");
    // Nothing listens on port 1: the catalog is unavailable, said plainly.
    let e = fails(&["database", "list", "--etcd-endpoints", "http://127.0.0.1:1"]);
    assert!(e.starts_with("error: catalog unavailable: "), "{e}");
    // Bad flag values are clap errors (exit 2) naming the rule.
    let out = admin(&[
        "database",
        "create",
        "x",
        "--retention",
        "soon",
        "--data-dir",
        "/tmp/x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a positive number and a unit"));
}

struct Serve(Child, String);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &str) -> Serve {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        dir,
        "--operator-token",
        "qvr_op",
    ])
    .arg("--auto-create-databases=false")
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("QUIVER_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut serve = Serve(child, String::new());
    for _ in 0..100 {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("serve prints its address");
        if let Some(url) = line.strip_prefix("quiver listening on ") {
            serve.1 = url.to_owned();
            return serve;
        }
    }
    panic!("no listening line");
}

async fn write(url: &str, token: &str, db: &str) -> u16 {
    post(url, token, &format!("/api/v2/write?bucket={db}")).await
}

async fn post(url: &str, token: &str, path_and_query: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{url}{path_and_query}"))
        .header("authorization", format!("Token {token}"))
        .body("m f=1i 1")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn serve_holds_the_directory_and_uses_what_admin_created() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    ok(&["database", "create", "mydb", "--data-dir", d]);
    ok(&[
        "dbrp",
        "create",
        "--db",
        "telegraf",
        "--rp",
        "autogen",
        "--database",
        "mydb",
        "--data-dir",
        d,
    ]);
    let out = ok(&["token", "create", "--write", "mydb", "--data-dir", d]);
    let token = out
        .lines()
        .nth(1)
        .unwrap()
        .strip_prefix("token: ")
        .unwrap()
        .to_owned();

    let server = serve(d);
    assert_eq!(write(&server.1, &token, "mydb").await, 204);
    assert_eq!(write(&server.1, &token, "other").await, 401);
    // The mapping made offline routes v1 writes (auto-creation is off: unmapped is 404), and
    // InfluxDB 3's write API is served too.
    assert_eq!(post(&server.1, &token, "/write?db=telegraf").await, 204);
    assert_eq!(post(&server.1, "qvr_op", "/write?db=unmapped").await, 404);
    assert_eq!(post(&server.1, &token, "/write?db=unmapped").await, 401);
    assert_eq!(
        post(&server.1, &token, "/api/v3/write_lp?db=mydb").await,
        204
    );

    let e = fails(&["token", "list", "--data-dir", d]);
    assert!(
        e.contains("is locked by another process (a running `quiver serve`?)"),
        "{e}"
    );
    assert!(e.contains("/api/v2/authorizations"), "{e}");
    drop(server);

    // Stopped: admin works again, and a revocation is seen by the next serve.
    let list = json(&["token", "list", "--data-dir", d]);
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["operator"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(&["token", "revoke", &id, "--data-dir", d]);
    let server = serve(d);
    assert_eq!(write(&server.1, &token, "mydb").await, 401);
}

#[test]
fn help_documents_subcommands_and_flags() {
    let help = ok(&["--help"]);
    assert!(
        help.contains("database") && help.contains("token") && help.contains("dbrp"),
        "{help}"
    );
    let out = admin(&["dbrp", "create", "--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in ["--db <V1DB>", "--rp <RP>", "--database <NAME>", "--default"] {
        assert!(
            help.contains(flag),
            "dbrp create --help lacks {flag}:\n{help}"
        );
    }
    let out = admin(&["token", "create", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--read <DB>",
        "--write <DB>",
        "--description <TEXT>",
        "--operator",
        "--etcd-endpoints",
        "--etcd-prefix",
        "--data-dir <DIR>",
        "--format <FORMAT>",
        "QUIVER_ETCD_ENDPOINTS",
    ] {
        assert!(
            help.contains(flag),
            "token create --help lacks {flag}:\n{help}"
        );
    }
    let out = admin(&["database", "create", "--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("--retention <DURATION>"), "{help}");
}
