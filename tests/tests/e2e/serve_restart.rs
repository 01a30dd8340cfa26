//! `quiver serve --data-dir` keeps its catalog across restarts: databases, schema, tokens; the
//! operator token is stored once (by hash) and only generated while none exists.

use std::process::Command;

use end_to_end::{QuiverProcess, quiver_binary};

async fn write(url: &str, token: &str, db: &str, body: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/api/v2/write?bucket={db}&precision=s"))
        .header("Authorization", format!("Token {token}"))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn serve(data: &str, extra: &[&str]) -> QuiverProcess {
    let mut args = vec!["serve", "--bind", "127.0.0.1:0", "--data-dir", data];
    args.extend_from_slice(extra);
    QuiverProcess::start(&args)
}

/// `quiver admin … --data-dir DATA --format json` (serve must be stopped).
fn admin_json(data: &str, what: &[&str]) -> serde_json::Value {
    let out = Command::new(quiver_binary())
        .arg("admin")
        .args(what)
        .args(["--data-dir", data, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "quiver admin {what:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn generated_token(output: &[String]) -> Option<String> {
    output
        .iter()
        .filter(|l| l.starts_with("operator token:"))
        .flat_map(|l| l.split_whitespace())
        .find(|w| w.starts_with("qvr_"))
        .map(str::to_owned)
}

#[tokio::test]
async fn databases_schema_and_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();

    let first = serve(&data, &[]);
    let token = generated_token(&first.startup_output)
        .unwrap_or_else(|| panic!("no generated token in {:?}", first.startup_output));
    let (status, body) = write(&first.url, &token, "kept", "cpu,host=a usage=1.5 1").await;
    assert_eq!(status, 204, "{body}");
    assert!(first.terminate().success());

    let second = serve(&data, &[]);
    assert_eq!(
        generated_token(&second.startup_output),
        None,
        "no second operator token is generated: {:?}",
        second.startup_output
    );
    assert!(
        second
            .startup_output
            .iter()
            .any(|l| l.starts_with("an operator token already exists")),
        "the restart says an operator token exists: {:?}",
        second.startup_output
    );
    // The generated token survived (stored by hash) and so did the database and its schema.
    let (status, body) = write(&second.url, &token, "kept", "cpu,host=b usage=2.5 2").await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = write(&second.url, &token, "kept", "cpu,host=b usage=3i 3").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains(
            "schema conflict: table cpu, column usage is type f64 but write has type i64"
        ),
        "{body}"
    );
    let (status, _) = write(
        &second.url,
        "qvr_not_a_stored_token",
        "kept",
        "cpu usage=1 4",
    )
    .await;
    assert_eq!(status, 401);
    assert!(second.terminate().success());

    let databases = admin_json(&data, &["database", "list"]);
    let names: Vec<&str> = databases
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kept"]);
}

#[tokio::test]
async fn a_configured_operator_token_is_stored_once_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let secret = "qvr_configured_operator_secret";
    for round in 0..2 {
        let q = serve(&data, &["--operator-token", secret]);
        assert_eq!(generated_token(&q.startup_output), None);
        let (status, body) =
            write(&q.url, secret, "db", &format!("m v={round} {}", round + 1)).await;
        assert_eq!(status, 204, "round {round}: {body}");
        assert!(q.terminate().success());
    }
    let tokens = admin_json(&data, &["token", "list"]);
    let operators = tokens
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["operator"] == serde_json::Value::Bool(true))
        .count();
    assert_eq!(
        operators, 1,
        "one operator token record after two starts: {tokens}"
    );

    // Without --operator-token, the stored one counts: nothing is generated.
    let q = serve(&data, &[]);
    assert_eq!(
        generated_token(&q.startup_output),
        None,
        "{:?}",
        q.startup_output
    );
    let (status, body) = write(&q.url, secret, "db", "m v=9 9").await;
    assert_eq!(status, 204, "{body}");
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let _running = serve(&data, &[]);
    let out = Command::new(quiver_binary())
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir", &data])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is in use by another process"),
        "stderr: {stderr}"
    );
}
