//! Every flag is also read from its `QUIVER_*` environment variable, and flags win.
//! One test in its own process: environment variables are process-global.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use clap::Parser;
use config::{LogFormat, ServeConfig};

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeConfig,
}

#[test]
fn environment_variables_configure_every_flag_and_flags_win() {
    let vars = [
        ("QUIVER_BIND", "127.0.0.1:9999"),
        ("QUIVER_DATA_DIR", "/tmp/quiver-env"),
        ("QUIVER_OPERATOR_TOKEN", "qvr_env"),
        ("QUIVER_AUTO_CREATE_DATABASES", "false"),
        ("QUIVER_MAX_HTTP_REQUEST_SIZE", "2048"),
        ("QUIVER_MAX_CONCURRENT_WRITES", "7"),
        ("QUIVER_WRITE_LOG_MEMORY_BUDGET", "8192"),
        ("QUIVER_LOG", "warn"),
        ("QUIVER_LOG_FORMAT", "json"),
    ];
    for (k, v) in vars {
        // SAFETY: this test binary has a single test, so no other thread reads the environment.
        unsafe { std::env::set_var(k, v) };
    }
    let c = Cli::try_parse_from(["quiver"]).unwrap().serve;
    assert_eq!(c.bind, "127.0.0.1:9999");
    assert_eq!(
        c.common.storage.data_dir.as_deref(),
        Some(std::path::Path::new("/tmp/quiver-env"))
    );
    assert_eq!(c.common.auth.operator_token.as_deref(), Some("qvr_env"));
    assert!(!c.auto_create_databases);
    assert_eq!(c.common.write_api.max_http_request_size, 2048);
    assert_eq!(c.common.write_api.max_concurrent_writes, 7);
    assert_eq!(c.common.write_log.write_log_memory_budget, 8192);
    assert_eq!(c.common.logging.log_filter.as_deref(), Some("warn"));
    assert_eq!(c.common.logging.log_format, LogFormat::Json);

    let c = Cli::try_parse_from(["quiver", "--bind", "127.0.0.1:1", "--auto-create-databases"])
        .unwrap()
        .serve;
    assert_eq!(c.bind, "127.0.0.1:1", "the flag wins over QUIVER_BIND");
    assert!(
        c.auto_create_databases,
        "the flag wins over QUIVER_AUTO_CREATE_DATABASES"
    );
}
