//! The runner of the per-endpoint error tables: one fresh server per row, set up as the row
//! needs, then the request, then exact status, code, message, line and headers — and nothing
//! in the write log.

use std::sync::Arc;
use std::time::Duration;

use catalog::{CatalogError, DatabaseOptions, Limits};
use router::RouterSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use write_log::WriteLogError;

use crate::common::*;
use crate::stubs::{FailingLog, failing_catalog};

/// How the server of a row is set up.
#[derive(Debug, Clone)]
pub(crate) enum Setup {
    /// Auto-create on, 10 MiB cap.
    Default,
    /// Auto-create off.
    NoAutoCreate,
    /// 64-byte body cap.
    SmallCap,
    /// No write permits at all.
    NoPermits,
    /// `mydb` exists with a 1 h retention.
    Retention,
    /// `mydb` exists with at most one table; `cpu` already written.
    OneTable,
    /// `cpu v=1` already written to `mydb`.
    PriorWrite,
    /// Every catalog call fails.
    Catalog(CatalogError),
    /// Every append fails.
    Log(WriteLogError),
}

/// How the request is sent.
#[derive(Debug, Clone)]
pub(crate) enum Send {
    /// reqwest: path and query, headers, body.
    Http {
        query: &'static str,
        headers: Vec<(&'static str, &'static str)>,
        body: Vec<u8>,
    },
    /// Raw bytes after the request line's path (headers and body written by hand), then
    /// half-close; `Connection: close` is added.
    Raw {
        query: &'static str,
        head: &'static str,
        body: &'static [u8],
    },
}

/// One row: the request, and the exact answer.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub name: &'static str,
    pub setup: Setup,
    pub method: &'static str,
    pub send: Send,
    pub status: u16,
    pub code: &'static str,
    /// Exact message; one `*` matches any text (used for "now"-dependent timestamps).
    pub message: &'static str,
    pub line: Option<usize>,
}

pub(crate) fn http(
    query: &'static str,
    headers: &[(&'static str, &'static str)],
    body: impl AsRef<[u8]>,
) -> Send {
    Send::Http {
        query,
        headers: headers.to_vec(),
        body: body.as_ref().to_vec(),
    }
}

pub(crate) const AUTH: (&str, &str) = ("authorization", "Token op-token");

/// Runs every row against `path`; `v1` expects the `X-Influxdb-Error` header.
pub(crate) async fn run(path: &str, v1: bool, rows: Vec<Row>) {
    for row in rows {
        let (server, expect_log_rows) = server_for(&row.setup).await;
        let answer = match &row.send {
            Send::Http {
                query,
                headers,
                body,
            } => {
                server
                    .send(
                        row.method,
                        &format!("{path}?{query}"),
                        headers,
                        body.clone(),
                    )
                    .await
            }
            Send::Raw { query, head, body } => {
                raw(&server, row.method, &format!("{path}?{query}"), head, body).await
            }
        };
        let ctx = format!("row {:?}: {answer:?}", row.name);
        assert_eq!(answer.status, row.status, "{ctx}");
        let json = answer.json();
        assert_eq!(json["code"], row.code, "{ctx}");
        let message = json["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message: {ctx}"));
        assert!(
            matches(row.message, message),
            "{ctx}\nexpected message {:?}",
            row.message
        );
        let keys = json.as_object().unwrap().len();
        match row.line {
            Some(line) => {
                assert_eq!(json["line"], line, "{ctx}");
                assert_eq!(keys, 3, "{ctx}");
            }
            None => assert_eq!(keys, 2, "only code and message: {ctx}"),
        }
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{ctx}"
        );
        assert_eq!(
            answer.header("x-influxdb-version"),
            Some(router::VERSION),
            "{ctx}"
        );
        assert_eq!(answer.header("x-influxdb-build"), Some("Quiver"), "{ctx}");
        let retry = matches!(row.status, 429 | 503).then_some("1");
        assert_eq!(answer.header("retry-after"), retry, "{ctx}");
        let v1_header = v1.then(|| message.replace('\n', " "));
        assert_eq!(
            answer.header("x-influxdb-error").map(str::to_owned),
            v1_header,
            "{ctx}"
        );
        assert_eq!(
            server.log.entries().len(),
            expect_log_rows,
            "nothing appended: {ctx}"
        );
    }
}

/// The server for a setup, and how many appends the setup itself made.
async fn server_for(setup: &Setup) -> (TestServer, usize) {
    let auto = RouterSettings {
        auto_create_databases: true,
        ..RouterSettings::default()
    };
    let server = match setup {
        Setup::Default | Setup::Retention | Setup::OneTable | Setup::PriorWrite => {
            TestServer::with_settings(auto).await
        }
        Setup::NoAutoCreate => TestServer::with_settings(RouterSettings::default()).await,
        Setup::SmallCap => {
            TestServer::with_settings(RouterSettings {
                max_request_bytes: 64,
                ..auto
            })
            .await
        }
        Setup::NoPermits => {
            TestServer::with_settings(RouterSettings {
                max_concurrent_writes: 0,
                ..auto
            })
            .await
        }
        Setup::Catalog(e) => {
            TestServer::with(Options {
                catalog: Some(Arc::new(failing_catalog(e.clone()))),
                ..Options::default()
            })
            .await
        }
        Setup::Log(e) => {
            TestServer::with(Options {
                log: Some(Arc::new(FailingLog(e.clone()))),
                ..Options::default()
            })
            .await
        }
    };
    let prior = match setup {
        Setup::Retention => {
            let retention = DatabaseOptions {
                retention_period: Some(Duration::from_secs(3600)),
                limits: None,
            };
            server.create_database("mydb", retention).await;
            0
        }
        Setup::OneTable => {
            let limits = Limits {
                max_tables: 1,
                ..Limits::default()
            };
            server
                .create_database(
                    "mydb",
                    DatabaseOptions {
                        retention_period: None,
                        limits: Some(limits),
                    },
                )
                .await;
            assert_eq!(
                server
                    .write("/api/v2/write?bucket=mydb", OPERATOR, "cpu v=1 1")
                    .await
                    .status,
                204
            );
            1
        }
        Setup::PriorWrite => {
            assert_eq!(
                server
                    .write("/api/v2/write?bucket=mydb", OPERATOR, "cpu v=1 1")
                    .await
                    .status,
                204
            );
            1
        }
        _ => 0,
    };
    (server, prior)
}

/// Sends a hand-written request and reads the answer until the server closes.
async fn raw(server: &TestServer, method: &str, path: &str, head: &str, body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let request =
        format!("{method} {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n{head}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes))
        .await
        .unwrap()
        .unwrap();
    parse_response(&bytes)
}

/// Parses a non-chunked HTTP/1.1 response.
pub(crate) fn parse_response(bytes: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    for line in lines {
        let (k, v) = line.split_once(':').unwrap();
        headers.append(
            reqwest::header::HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
            v.trim().parse().unwrap(),
        );
    }
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// `pattern` equals `text`, where one `*` in the pattern matches any run of characters.
fn matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, suffix)) => {
            text.len() >= prefix.len() + suffix.len()
                && text.starts_with(prefix)
                && text.ends_with(suffix)
        }
    }
}
