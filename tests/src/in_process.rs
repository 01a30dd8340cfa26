//! A router served in this test process on 127.0.0.1 (real TCP, real HTTP), with an in-memory
//! catalog holding one operator token and the write log the caller chooses.

use std::sync::Arc;

use auth::TokenHash;
use catalog::{Catalog, MemCatalog, NewToken};
use router::RouterMetrics;
use router::{RouterSettings, RouterState};
use write_log::WriteLog;

/// A running in-process router; stops when dropped.
pub struct InProcessRouter {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The catalog behind it.
    pub catalog: Arc<MemCatalog>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl InProcessRouter {
    /// Starts a router (auto-creating databases) whose operator token is `operator_token` and
    /// whose accepted writes go to `log`. Must be called inside a tokio runtime.
    pub async fn start(operator_token: &str, log: Arc<dyn WriteLog>) -> Self {
        let catalog = Arc::new(MemCatalog::new());
        catalog
            .create_token(NewToken {
                hash: TokenHash::of(operator_token),
                description: "operator".into(),
                operator: true,
                permissions: vec![],
            })
            .await
            .expect("store the operator token");
        let settings = RouterSettings {
            auto_create_databases: true,
            ..RouterSettings::default()
        };
        let state = RouterState::new(
            catalog.clone(),
            log,
            Arc::new(RouterMetrics::new()),
            settings,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(router::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Self {
            url,
            catalog,
            _stop: stop,
        }
    }
}
