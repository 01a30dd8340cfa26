//! `quiver serve` as a real process, driven by the real InfluxDB Python clients and curl.

use end_to_end::{QuiverProcess, python};
use std::process::Command;

const TOKEN: &str = "e2e-operator-token";

fn serve(extra: &[&str]) -> (QuiverProcess, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let mut args = vec!["serve", "--bind", "127.0.0.1:0", "--data-dir", &data];
    args.extend_from_slice(extra);
    (QuiverProcess::start(&args), dir)
}

async fn post(url: &str, token: &str, body: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(url)
        .header("Authorization", format!("Token {token}"))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The value of a Prometheus sample line `name{labels} value` (labels matched as a substring).
async fn metric(url: &str, name: &str, labels: &str) -> f64 {
    let text = end_to_end::metrics_text(url).await;
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn generated_operator_token_is_printed_once_and_writes() {
    let (q, _dir) = serve(&[]);
    let token_lines: Vec<&String> = q
        .startup_output
        .iter()
        .filter(|l| l.contains("operator token"))
        .collect();
    assert_eq!(
        token_lines.len(),
        1,
        "startup output: {:?}",
        q.startup_output
    );
    let token = token_lines[0]
        .split_whitespace()
        .find(|w| w.starts_with("qvr_"))
        .unwrap_or_else(|| panic!("no qvr_ token in {:?}", token_lines[0]))
        .to_owned();
    let (status, body) = post(
        &format!("{}/api/v2/write?bucket=db1", q.url),
        &token,
        "m v=1 1",
    )
    .await;
    assert_eq!((status, body.as_str()), (204, ""));
    let (status, body) = post(
        &format!("{}/api/v2/write?bucket=db1", q.url),
        "wrong",
        "m v=1 1",
    )
    .await;
    assert_eq!(status, 401, "{body}");
    // The token is never printed again (not in later output either).
    let later = q.drain_output(std::time::Duration::from_millis(200));
    assert!(
        later.iter().all(|l| !l.contains(&token)),
        "token repeated: {later:?}"
    );
}

#[tokio::test]
async fn influxdb_client_v2_sync_batching_and_gzip_writes_are_all_accepted() {
    let (q, _dir) = serve(&["--operator-token", TOKEN]);
    let info = python("v2-info", &[], &q.url, TOKEN, "clients");
    assert_eq!(info["ping"], true, "{info}");
    assert_eq!(info["health_status"], "pass", "{info}");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"), "{info}");

    let before = metric(&q.url, "quiver_write_lines_total", "").await;
    for mode in ["sync", "batching", "gzip"] {
        let out = python("v2-write", &[mode, "1000"], &q.url, TOKEN, "clients");
        assert_eq!(out["errors"], serde_json::json!([]), "{mode}: {out}");
        if mode == "batching" {
            // 1000 points in batches of 250: every batch acknowledged with all its lines
            assert_eq!(
                out["batches"],
                serde_json::json!([250, 250, 250, 250]),
                "{out}"
            );
        }
    }
    let after = metric(&q.url, "quiver_write_lines_total", "").await;
    assert_eq!(after - before, 3000.0);

    // The schema those writes recorded is enforced on the next request.
    let (status, body) = post(
        &format!("{}/api/v2/write?bucket=clients", q.url),
        TOKEN,
        "cpu count=1.5 1",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains(
            "schema conflict: table cpu, column count is type i64 but write has type f64"
        ),
        "{body}"
    );
}

#[tokio::test]
async fn influxdb_client_v2_sees_the_first_bad_line_and_nothing_is_written() {
    let (q, _dir) = serve(&["--operator-token", TOKEN]);
    let out = python("v2-bad-line", &[], &q.url, TOKEN, "bad");
    assert_eq!(out["status"], 400, "{out}");
    assert_eq!(out["body"]["code"], "invalid", "{out}");
    assert_eq!(out["body"]["line"], 2, "{out}");
    let message = out["body"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "no data written, errors encountered on line(s):\nerror parsing line 2 (1-based): "
        ),
        "{message}"
    );
    assert_eq!(metric(&q.url, "quiver_write_lines_total", "").await, 0.0);
}

#[tokio::test]
async fn influxdb_v1_client_writes_with_basic_auth_in_every_precision() {
    let (q, _dir) = serve(&["--operator-token", TOKEN]);
    let ping = python("v1-ping", &[], &q.url, TOKEN, "v1db");
    assert_eq!(ping["version"], env!("CARGO_PKG_VERSION"));
    for precision in ["n", "u", "ms", "s", "m", "h"] {
        let out = python("v1-write", &[precision, "250"], &q.url, TOKEN, "v1db");
        assert_eq!(out["ok"], true, "{precision}: {out}");
    }
    assert_eq!(
        metric(&q.url, "quiver_write_lines_total", "").await,
        6.0 * 250.0
    );
    let bad = python("v1-bad-token", &[], &q.url, TOKEN, "v1db");
    assert_eq!(bad["status"], 401, "{bad}");
}

#[tokio::test]
async fn readme_curl_example_answers_204_and_reads_back() {
    let (q, _dir) = serve(&["--operator-token", TOKEN]);
    let readme = std::fs::read_to_string(end_to_end::workspace_root().join("README.md")).unwrap();
    assert!(
        readme.contains("'home,room=kitchen temp=72 1737100800'"),
        "README example changed"
    );
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("{}/api/v2/write?bucket=mydb&precision=s", q.url))
        .args(["--header", &format!("Authorization: Token {TOKEN}")])
        .args(["--data-binary", "home,room=kitchen temp=72 1737100800"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "204");

    // The read-backs the README shows, with the answers it prints.
    for (get, url, auth, want) in [
        (
            None,
            format!("{}/query?db=mydb", q.url),
            "Token",
            r#"{"results":[{"statement_id":0,"series":[{"name":"home","columns":["time","room","temp"],"values":[["2025-01-17T08:00:00Z","kitchen",72]]}]}]}"#,
        ),
        (
            Some("-G"),
            format!("{}/api/v3/query_sql?db=mydb&format=jsonl", q.url),
            "Bearer",
            r#"{"room":"kitchen","temp":72.0,"time":"2025-01-17T08:00:00"}"#,
        ),
    ] {
        assert!(readme.contains(want), "README answer changed: {want}");
        let out = Command::new("curl")
            .arg("-s")
            .args(get)
            .arg(&url)
            .args(["--header", &format!("Authorization: {auth} {TOKEN}")])
            .args(["--data-urlencode", "q=SELECT * FROM home"])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), want);
    }
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly() {
    let (q, _dir) = serve(&["--operator-token", TOKEN]);
    let (status, _) = post(&format!("{}/write?db=x", q.url), TOKEN, "m v=1").await;
    assert_eq!(status, 204);
    let exit = q.terminate();
    assert!(exit.success(), "exit status {exit:?}");
}
