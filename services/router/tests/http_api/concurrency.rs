//! The write concurrency limit: 429 + Retry-After while permits are held by slow bodies, without
//! reading the rejected request's body; permits come back when requests finish.

use std::time::Duration;

use router::RouterSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;
use crate::table::parse_response;

const SLOW_BODY: &str = "cpu v=1 1\n";

/// Opens a write whose body is announced but not sent yet.
async fn start_slow_write(s: &TestServer) -> TcpStream {
    let mut stream = TcpStream::connect(s.addr()).await.unwrap();
    let head = format!(
        "POST /api/v2/write?bucket=mydb HTTP/1.1\r\nhost: t\r\nauthorization: Token op-token\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        SLOW_BODY.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

async fn finish(mut stream: TcpStream) -> Answer {
    stream.write_all(SLOW_BODY.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes))
        .await
        .unwrap()
        .unwrap();
    parse_response(&bytes)
}

#[tokio::test]
async fn writes_over_the_limit_get_429_until_permits_return() {
    let settings = RouterSettings {
        max_concurrent_writes: 2,
        auto_create_databases: true,
        ..RouterSettings::default()
    };
    let s = TestServer::with_settings(settings).await;
    let slow = [start_slow_write(&s).await, start_slow_write(&s).await];

    // Wait until both slow writes hold their permit (they show as in flight).
    let mut held = false;
    for _ in 0..100 {
        let metrics = s.state.metrics().encode().unwrap();
        if metrics.contains("quiver_http_requests_in_flight{endpoint=\"/api/v2/write\"} 2") {
            held = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(held, "slow writes never became in-flight");

    // A third write announcing a body it never sends still gets its answer: body not read.
    let mut third = TcpStream::connect(s.addr()).await.unwrap();
    third
        .write_all(b"POST /write?db=mydb HTTP/1.1\r\nhost: t\r\nauthorization: Token op-token\r\ncontent-length: 50\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut bytes = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), third.read(&mut bytes))
        .await
        .unwrap()
        .unwrap();
    let a = parse_response(&bytes[..n]);
    assert_eq!(a.status, 429);
    assert_eq!(a.header("retry-after"), Some("1"));
    assert_eq!(
        a.header("x-influxdb-error"),
        Some("this service is overloaded, please try again later")
    );
    assert_eq!(
        a.json(),
        error_body(
            "too many requests",
            "this service is overloaded, please try again later",
            None
        )
    );

    // Non-write endpoints are not limited.
    assert_eq!(s.send("GET", "/ping", &[], "").await.status, 204);

    let [a, b] = slow;
    assert_eq!(finish(a).await.status, 204);
    assert_eq!(finish(b).await.status, 204);
    assert_eq!(
        s.write("/api/v2/write?bucket=mydb", OPERATOR, "cpu v=2 2")
            .await
            .status,
        204
    );
    assert_eq!(
        s.rows("mydb"),
        [
            "cpu: v=1.0 time=1",
            "cpu: v=1.0 time=1",
            "cpu: v=2.0 time=2"
        ]
    );
}
