//! An in-process router on a real TCP port, with an in-memory catalog and write log, plus
//! helpers to send requests and read back what landed in the log. Shared by the `http_api` and
//! `manage_api` test targets (each uses a part of it).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, TimestampNanosecondArray};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use auth::{Action, Permission, TokenHash};
use catalog::{Catalog, DatabaseName, DatabaseOptions, MemCatalog, NewToken};
use reqwest::header::HeaderMap;
use router::RouterMetrics;
use router::{RouterSettings, RouterState};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use write_log::{MemWriteLog, WriteLog};

/// Operator token (everything).
pub(crate) const OPERATOR: &str = "op-token";
/// Write on `mydb` only.
pub(crate) const MYDB_WRITER: &str = "mydb-writer";
/// Read on every database.
pub(crate) const READER: &str = "reader";
/// Revoked; had write on every database.
pub(crate) const REVOKED: &str = "revoked-token";

/// A running router.
pub(crate) struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub catalog: Arc<MemCatalog>,
    pub log: Arc<MemWriteLog>,
    pub state: RouterState,
    shutdown: Option<oneshot::Sender<()>>,
}

/// A response, fully read.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

pub(crate) struct Options {
    pub settings: RouterSettings,
    pub catalog: Option<Arc<dyn Catalog>>,
    pub log: Option<Arc<dyn WriteLog>>,
    pub log_budget: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            settings: RouterSettings {
                auto_create_databases: true,
                ..RouterSettings::default()
            },
            catalog: None,
            log: None,
            log_budget: 64 << 20,
        }
    }
}

impl TestServer {
    /// Auto-create on, default limits.
    pub(crate) async fn start() -> Self {
        Self::with(Options::default()).await
    }

    pub(crate) async fn with_settings(settings: RouterSettings) -> Self {
        Self::with(Options {
            settings,
            ..Options::default()
        })
        .await
    }

    pub(crate) async fn with(options: Options) -> Self {
        let catalog = Arc::new(MemCatalog::new());
        for (token, operator, permissions) in [
            (OPERATOR, true, vec![]),
            (
                MYDB_WRITER,
                false,
                vec![Permission::database(Action::Write, "mydb")],
            ),
            (READER, false, vec![Permission::all_databases(Action::Read)]),
            (
                REVOKED,
                false,
                vec![Permission::all_databases(Action::Write)],
            ),
        ] {
            let record = catalog
                .create_token(NewToken {
                    hash: TokenHash::of(token),
                    description: token.into(),
                    operator,
                    permissions,
                })
                .await
                .unwrap();
            if token == REVOKED {
                catalog.revoke_token(record.id).await.unwrap();
            }
        }
        let log = Arc::new(MemWriteLog::new(options.log_budget));
        let router_catalog = options
            .catalog
            .unwrap_or_else(|| catalog.clone() as Arc<dyn Catalog>);
        let router_log = options
            .log
            .unwrap_or_else(|| log.clone() as Arc<dyn WriteLog>);
        let state = RouterState::new(
            router_catalog,
            router_log,
            Arc::new(RouterMetrics::new()),
            options.settings,
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            router::serve(listener, serving, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            catalog,
            log,
            state,
            shutdown: Some(tx),
        }
    }

    pub(crate) fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Sends `method path` with headers and body.
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .body(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// POST with `Authorization: Token <token>`.
    pub(crate) async fn write(&self, path: &str, token: &str, body: &str) -> Answer {
        let auth = format!("Token {token}");
        self.send(
            "POST",
            path,
            &[("authorization", auth.as_str())],
            body.to_owned(),
        )
        .await
    }

    pub(crate) async fn create_database(&self, name: &str, options: DatabaseOptions) {
        self.catalog
            .create_database(&DatabaseName::new(name).unwrap(), options)
            .await
            .unwrap();
    }

    /// Every row appended to the log for `database`, per table: `table: col=value …` with
    /// columns in batch order, nulls left out, `time` as integer nanoseconds.
    pub(crate) fn rows(&self, database: &str) -> Vec<String> {
        let mut out = Vec::new();
        for entry in self.log.entries() {
            if entry.write.database != database {
                continue;
            }
            for (table, batch) in &entry.write.tables {
                out.extend(render(table, batch));
            }
        }
        out
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn render(table: &str, batch: &arrow::record_batch::RecordBatch) -> Vec<String> {
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|row| {
            let mut cells = Vec::new();
            for (i, field) in schema.fields().iter().enumerate() {
                let column = batch.column(i);
                if column.is_null(row) {
                    continue;
                }
                let value = match column.as_any().downcast_ref::<TimestampNanosecondArray>() {
                    Some(times) => times.value(row).to_string(),
                    None => ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())
                        .unwrap()
                        .value(row)
                        .to_string(),
                };
                cells.push(format!("{}={value}", field.name()));
            }
            format!("{table}: {}", cells.join(" "))
        })
        .collect()
}

/// `{"code": code, "message": message}` (plus `line` when given), exactly.
pub(crate) fn error_body(code: &str, message: &str, line: Option<usize>) -> serde_json::Value {
    match line {
        Some(line) => serde_json::json!({"code": code, "message": message, "line": line}),
        None => serde_json::json!({"code": code, "message": message}),
    }
}

/// Gzips `data`.
pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}
