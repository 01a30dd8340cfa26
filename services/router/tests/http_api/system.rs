//! `/ping`, `/health`, `/ready`, `/metrics`, the unsupported endpoints and the fallbacks — the
//! error table of the non-write endpoints.

use crate::common::*;

#[tokio::test]
async fn ping_get_and_head() {
    let s = TestServer::start().await;
    for method in ["GET", "HEAD"] {
        let a = s.send(method, "/ping", &[], "").await;
        assert_eq!(a.status, 204, "{method}");
        assert_eq!(a.body, "");
        assert_eq!(
            a.header("x-influxdb-version"),
            Some(env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(a.header("x-influxdb-build"), Some("Quiver"));
    }
}

#[tokio::test]
async fn health_has_the_shape_influxdb_client_parses() {
    let s = TestServer::start().await;
    let a = s.send("GET", "/health", &[], "").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(
        a.json(),
        serde_json::json!({
            "name": "quiver",
            "service": "router",
            "message": "ready for queries and writes",
            "status": "pass",
            "checks": [],
            "version": env!("CARGO_PKG_VERSION"),
            "commit": router::BUILD_COMMIT,
        })
    );
}

#[tokio::test]
async fn ready_while_serving() {
    let s = TestServer::start().await;
    let a = s.send("GET", "/ready", &[], "").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(
        a.json(),
        serde_json::json!({"name": "quiver", "service": "router", "status": "ready", "checks": []})
    );
}

#[tokio::test]
async fn metrics_count_requests_lines_fields_and_bytes() {
    let s = TestServer::start().await;
    let body = "cpu,host=a v=1,w=2i 1\ncpu v=3 2\n";
    assert_eq!(
        s.write("/api/v2/write?bucket=mydb", OPERATOR, body)
            .await
            .status,
        204
    );
    let gz = gzip(body.as_bytes());
    let a = s
        .send(
            "POST",
            "/api/v2/write?bucket=mydb",
            &[
                ("authorization", "Token op-token"),
                ("content-encoding", "gzip"),
            ],
            gz,
        )
        .await;
    assert_eq!(a.status, 204);
    assert_eq!(s.write("/write?db=mydb", OPERATOR, "bad").await.status, 400);
    assert_eq!(s.send("GET", "/nope", &[], "").await.status, 404);
    let a = s.send("GET", "/metrics", &[], "").await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    for expected in [
        "quiver_http_requests_total{endpoint=\"/api/v2/write\",status=\"204\"} 2\n",
        "quiver_http_requests_total{endpoint=\"/write\",status=\"400\"} 1\n",
        "quiver_http_requests_total{endpoint=\"unmatched\",status=\"404\"} 1\n",
        "quiver_write_lines_total 4\n",
        "quiver_write_fields_total 6\n",
        "quiver_write_rejected_lines_total 1\n",
        &format!("quiver_write_body_bytes_total {}\n", 2 * body.len() + 3),
        "quiver_http_requests_in_flight{endpoint=\"/metrics\"} 1\n",
        "quiver_http_requests_in_flight{endpoint=\"/api/v2/write\"} 0\n",
    ] {
        assert!(
            a.body.contains(expected),
            "missing {expected:?} in:\n{}",
            a.body
        );
    }
}

/// The error table of the non-write endpoints.
#[tokio::test]
async fn every_error_of_the_other_endpoints() {
    let s = TestServer::start().await;
    let rows = [
        (
            "POST",
            "/api/v2/query?org=o",
            501,
            "not implemented",
            "Flux and /api/v2/query are not supported: query with SQL or InfluxQL over Arrow Flight, or with InfluxQL over the v1 /query endpoint",
        ),
        (
            "POST",
            "/api/v2/delete?bucket=b",
            501,
            "not implemented",
            "deletes are not supported",
        ),
        (
            "GET",
            "/api/v2/dashboards",
            404,
            "not found",
            "route not found: /api/v2/dashboards",
        ),
        ("GET", "/", 404, "not found", "route not found: /"),
        (
            "POST",
            "/ping",
            405,
            "method not allowed",
            "method POST is not allowed on /ping",
        ),
        (
            "POST",
            "/health",
            405,
            "method not allowed",
            "method POST is not allowed on /health",
        ),
        (
            "GET",
            "/api/v2/query",
            405,
            "method not allowed",
            "method GET is not allowed on /api/v2/query",
        ),
        (
            "DELETE",
            "/metrics",
            405,
            "method not allowed",
            "method DELETE is not allowed on /metrics",
        ),
    ];
    for (method, path, status, code, message) in rows {
        let a = s.send(method, path, &[], "").await;
        assert_eq!(a.status, status, "{method} {path}");
        assert_eq!(a.json(), error_body(code, message, None), "{method} {path}");
        assert_eq!(
            a.header("content-type"),
            Some("application/json"),
            "{method} {path}"
        );
        assert_eq!(
            a.header("x-influxdb-version"),
            Some(env!("CARGO_PKG_VERSION")),
            "{method} {path}"
        );
        assert_eq!(
            a.header("x-influxdb-build"),
            Some("Quiver"),
            "{method} {path}"
        );
        assert_eq!(a.header("x-influxdb-error"), None, "{method} {path}");
    }
}
