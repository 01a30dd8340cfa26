//! The `quiver` binary: flags and their `QUIVER_*` variables parse, the listening line and the
//! generated operator token are printed, the server answers, and SIGTERM stops it cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_quiver");

/// A real etcd for the `router` subcommand (it refuses to run without a cluster catalog).
fn etcd() -> test_support::EtcdProcess {
    test_support::EtcdProcess::start().expect("start etcd")
}

/// A real Kafka-protocol broker for the `router` subcommand (it refuses to run without a log).
fn kafka() -> test_support::TansuProcess {
    test_support::TansuProcess::start().expect("start tansu")
}

struct Running {
    child: Child,
    base: String,
    stdout_lines: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `quiver args…` with `envs` (and no inherited QUIVER_* variables) and waits for the
/// listening line.
fn start(args: &[&str], envs: &[(&str, &str)]) -> Running {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("QUIVER_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(envs.iter().copied());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    // From here on, dropping `running` kills the child, whatever happens.
    let mut running = Running {
        child,
        base: String::new(),
        stdout_lines: Vec::new(),
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("no listening line ({e}); got {:?}", running.stdout_lines));
        running.stdout_lines.push(line.clone());
        if let Some(addr) = line.strip_prefix("quiver listening on ") {
            running.base = addr.to_owned();
            return running;
        }
    }
}

async fn post(base: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("authorization", format!("Token {token}"))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn sigterm_and_wait(running: &mut Running) -> std::process::ExitStatus {
    let pid = running.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    for _ in 0..100 {
        if let Some(status) = running.child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("quiver did not stop on SIGTERM");
}

#[tokio::test]
async fn serve_generates_and_prints_the_operator_token_once_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut q = start(
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            data_dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(q.base.starts_with("http://127.0.0.1:"), "{}", q.base);
    assert!(data_dir.is_dir(), "--data-dir is created");
    let tokens: Vec<&String> = q
        .stdout_lines
        .iter()
        .filter(|l| l.starts_with("operator token: "))
        .collect();
    assert_eq!(tokens.len(), 1, "{:?}", q.stdout_lines);
    let token = tokens[0].trim_start_matches("operator token: ").to_owned();
    assert!(token.starts_with("qvr_"), "{token}");

    // serve auto-creates databases; the generated token is an operator token.
    assert_eq!(
        post(&q.base, "/api/v2/write?bucket=db1", &token, "cpu v=1 1").await,
        (204, String::new())
    );
    assert_eq!(
        post(&q.base, "/api/v2/write?bucket=db1", "wrong", "cpu v=1 1")
            .await
            .0,
        401
    );
    let ping = reqwest::get(format!("{}/ping", q.base)).await.unwrap();
    assert_eq!(ping.status().as_u16(), 204);

    let status = sigterm_and_wait(&mut q);
    assert!(status.success(), "graceful exit, got {status:?}");
}

#[tokio::test]
async fn router_reads_every_setting_from_quiver_env_vars() {
    let etcd = etcd();
    let endpoint = etcd.endpoint();
    let kafka = kafka();
    let brokers = kafka.bootstrap();
    let q = start(
        &["router"],
        &[
            ("QUIVER_KAFKA_BROKERS", brokers.as_str()),
            ("QUIVER_KAFKA_CREATE_TOPIC_PARTITIONS", "2"),
            ("QUIVER_ETCD_ENDPOINTS", endpoint.as_str()),
            ("QUIVER_ETCD_PREFIX", "/env-test/"),
            ("QUIVER_BIND", "127.0.0.1:0"),
            ("QUIVER_OPERATOR_TOKEN", "env-token"),
            ("QUIVER_MAX_HTTP_REQUEST_SIZE", "20"),
            ("QUIVER_LOG_FORMAT", "json"),
        ],
    );
    assert!(
        !q.stdout_lines.iter().any(|l| l.contains("operator token")),
        "{:?}",
        q.stdout_lines
    );
    // The router does not auto-create by default: the known token reaches the 404.
    let (status, body) = post(
        &q.base,
        "/api/v2/write?bucket=db1",
        "env-token",
        "cpu v=1 1",
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body,
        r#"{"code":"not found","message":"database not found: \"db1\""}"#
    );
    let (status, body) = post(
        &q.base,
        "/api/v2/write?bucket=db1",
        "env-token",
        &"x".repeat(21),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (
            413,
            r#"{"code":"request too large","message":"max request size (20 bytes) exceeded"}"#
        )
    );
}

#[tokio::test]
async fn auto_create_can_be_switched_off_on_serve_and_on_on_router() {
    let q = start(
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--operator-token",
            "t",
            "--auto-create-databases=false",
        ],
        &[],
    );
    assert_eq!(
        post(&q.base, "/write?db=db1", "t", "cpu v=1 1").await.0,
        404
    );
    drop(q);
    // Each router run gets its own catalog prefix on one etcd, so db1 starts absent each time.
    let etcd = etcd();
    let endpoint = etcd.endpoint();
    let kafka = kafka();
    let brokers = kafka.bootstrap();
    let q = start(
        &[
            "router",
            "--kafka-brokers",
            &brokers,
            "--kafka-create-topic-partitions",
            "2",
            "--bind",
            "127.0.0.1:0",
            "--auto-create-databases",
            "--etcd-endpoints",
            &endpoint,
            "--etcd-prefix",
            "/flag/",
        ],
        &[("QUIVER_OPERATOR_TOKEN", "t")],
    );
    assert_eq!(
        post(&q.base, "/write?db=db1", "t", "cpu v=1 1").await.0,
        204
    );
    drop(q);
    let q = start(
        &[
            "router",
            "--bind",
            "127.0.0.1:0",
            "--operator-token",
            "t",
            "--etcd-endpoints",
            &endpoint,
            "--etcd-prefix",
            "/env/",
            "--kafka-brokers",
            &brokers,
        ],
        &[("QUIVER_AUTO_CREATE_DATABASES", "true")],
    );
    assert_eq!(
        post(&q.base, "/write?db=db1", "t", "cpu v=1 1").await.0,
        204
    );
}

#[test]
fn help_lists_subcommands_and_flags_and_bad_flags_fail() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("router") && help.contains("serve"), "{help}");
    for sub in ["router", "serve"] {
        let out = Command::new(BIN).args([sub, "--help"]).output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        for flag in [
            "--bind <ADDR:PORT>",
            "--data-dir <DIR>",
            "--operator-token <TOKEN>",
            "--auto-create-databases",
            "--max-http-request-size <BYTES>",
            "--max-concurrent-writes <N>",
            "--write-log-memory-budget <BYTES>",
            "--log-filter <FILTER>",
            "--log-format <LOG_FORMAT>",
            "QUIVER_MAX_CONCURRENT_WRITES",
        ] {
            assert!(help.contains(flag), "{sub} --help lacks {flag}:\n{help}");
        }
    }
    let out = Command::new(BIN)
        .args(["serve", "--max-concurrent-writes", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("must be at least 1"), "{err}");
    let etcd = etcd();
    let kafka = kafka();
    let out = Command::new(BIN)
        .args([
            "router",
            "--bind",
            "not an address",
            "--etcd-endpoints",
            &etcd.endpoint(),
            "--kafka-brokers",
            &kafka.bootstrap(),
            "--kafka-create-topic-partitions",
            "1",
        ])
        .env_remove("QUIVER_OPERATOR_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("error: cannot listen on not an address"),
        "{err}"
    );
}
