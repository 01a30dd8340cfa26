//! Request bodies: gzip, the decompression bomb, 413 before and after decompression (declared,
//! streamed and inflated), 415, any Content-Type.

use std::time::Duration;

use router::RouterSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;
use crate::table::parse_response;

#[tokio::test]
async fn gzip_bodies_are_inflated() {
    let s = TestServer::start().await;
    let body = gzip(b"cpu,host=a v=1 1\ncpu,host=b v=2 2\n");
    for (path, encoding) in [
        ("/api/v2/write?bucket=mydb", "gzip"),
        ("/write?db=mydb", "GZIP"),
    ] {
        let a = s
            .send(
                "POST",
                path,
                &[
                    ("authorization", "Token op-token"),
                    ("content-encoding", encoding),
                ],
                body.clone(),
            )
            .await;
        assert_eq!(a.status, 204, "{path}: {}", a.body);
    }
    let a = s
        .send(
            "POST",
            "/write?db=mydb",
            &[
                ("authorization", "Token op-token"),
                ("content-encoding", "identity"),
            ],
            "cpu v=3 3",
        )
        .await;
    assert_eq!(a.status, 204);
    assert_eq!(
        s.rows("mydb"),
        [
            "cpu: host=a v=1.0 time=1",
            "cpu: host=b v=2.0 time=2",
            "cpu: host=a v=1.0 time=1",
            "cpu: host=b v=2.0 time=2",
            "cpu: v=3.0 time=3"
        ]
    );
}

#[tokio::test]
async fn any_content_type_is_accepted() {
    let s = TestServer::start().await;
    for ct in [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/octet-stream",
        "application/json",
        "",
    ] {
        let a = s
            .send(
                "POST",
                "/write?db=mydb",
                &[("authorization", "Token op-token"), ("content-type", ct)],
                "cpu v=1 1",
            )
            .await;
        assert_eq!(a.status, 204, "{ct:?}: {}", a.body);
    }
    assert_eq!(s.rows("mydb").len(), 5);
}

#[tokio::test]
async fn a_decompression_bomb_is_stopped_at_the_cap() {
    let s = TestServer::start().await; // 10 MiB cap
    let bomb = gzip(&vec![0u8; 50 * 1024 * 1024]);
    assert!(bomb.len() < 100 * 1024, "bomb is {} bytes", bomb.len());
    let a = s
        .send(
            "POST",
            "/api/v2/write?bucket=mydb",
            &[
                ("authorization", "Token op-token"),
                ("content-encoding", "gzip"),
            ],
            bomb,
        )
        .await;
    assert_eq!(a.status, 413);
    assert_eq!(
        a.json(),
        error_body(
            "request too large",
            "max request size (10485760 bytes) exceeded after decompression",
            None
        )
    );
    assert!(s.log.is_empty());
}

#[tokio::test]
async fn exactly_the_cap_is_accepted_and_one_more_byte_is_not() {
    let line = "cpu v=1 1\n";
    let settings = RouterSettings {
        max_request_bytes: line.len() * 10,
        auto_create_databases: true,
        ..RouterSettings::default()
    };
    let s = TestServer::with_settings(settings).await;
    let at_cap = line.repeat(10);
    assert_eq!(
        s.write("/api/v2/write?bucket=mydb", OPERATOR, &at_cap)
            .await
            .status,
        204
    );
    let over = format!("{at_cap} ");
    let a = s.write("/api/v2/write?bucket=mydb", OPERATOR, &over).await;
    assert_eq!(
        a.json(),
        error_body(
            "request too large",
            "max request size (100 bytes) exceeded",
            None
        )
    );
    // Compressed it fits, inflated it does not.
    let gz = gzip(over.as_bytes());
    assert!(gz.len() <= 100, "compressed body fits: {}", gz.len());
    let a = s
        .send(
            "POST",
            "/write?db=mydb",
            &[
                ("authorization", "Token op-token"),
                ("content-encoding", "gzip"),
            ],
            gz,
        )
        .await;
    assert_eq!(
        a.json(),
        error_body(
            "request too large",
            "max request size (100 bytes) exceeded after decompression",
            None
        )
    );
    let gz = gzip(at_cap.as_bytes());
    let a = s
        .send(
            "POST",
            "/write?db=mydb",
            &[
                ("authorization", "Token op-token"),
                ("content-encoding", "gzip"),
            ],
            gz,
        )
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(s.rows("mydb").len(), 20);
}

#[tokio::test]
async fn a_streamed_body_over_the_cap_is_cut_off() {
    let settings = RouterSettings {
        max_request_bytes: 1000,
        auto_create_databases: true,
        ..RouterSettings::default()
    };
    let s = TestServer::with_settings(settings).await;
    let mut stream = TcpStream::connect(s.addr()).await.unwrap();
    let head = "POST /api/v2/write?bucket=mydb HTTP/1.1\r\nhost: t\r\nauthorization: Token op-token\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = "cpu v=1 1\n".repeat(60); // 600 bytes
    for _ in 0..2 {
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        stream.write_all(framed.as_bytes()).await.unwrap();
    }
    // No terminating chunk: the server must answer without waiting for the end.
    let mut bytes = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut bytes))
        .await
        .unwrap()
        .unwrap();
    let a = parse_response(&bytes[..n]);
    assert_eq!(a.status, 413);
    assert_eq!(
        a.json(),
        error_body(
            "request too large",
            "max request size (1000 bytes) exceeded",
            None
        )
    );
    assert!(s.log.is_empty());
}
