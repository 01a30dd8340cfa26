//! The etcd harness against the real binary: start, health, kill, restart on the same ports
//! with the data kept.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use test_support::EtcdProcess;

/// `GET path` over plain HTTP/1.0; the whole response, or None when the connection fails.
fn http_get(endpoint: &str, path: &str) -> Option<String> {
    let addr = endpoint.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut out = String::new();
    stream.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn starts_kills_and_restarts_on_the_same_port() {
    let mut etcd = EtcdProcess::start().unwrap();
    let endpoint = etcd.endpoint();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let health = http_get(&endpoint, "/health").unwrap();
    assert!(health.contains(r#""health":"true""#), "{health}");
    let pid = etcd.pid().unwrap();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());

    etcd.kill();
    assert_eq!(etcd.pid(), None);
    assert!(
        http_get(&endpoint, "/health").is_none(),
        "port still answers after kill"
    );

    etcd.restart().unwrap();
    assert_eq!(etcd.endpoint(), endpoint);
    assert!(
        http_get(&endpoint, "/health")
            .unwrap()
            .contains(r#""health":"true""#)
    );
    assert!(etcd.dir().join("data/member").is_dir());
    let new_pid = etcd.pid().unwrap();
    drop(etcd);
    // Reaped on drop: the pid no longer names a live etcd.
    let status = std::fs::read_to_string(format!("/proc/{new_pid}/status")).unwrap_or_default();
    assert!(!status.contains("etcd"), "etcd still alive: {status}");
}

#[test]
fn two_instances_get_distinct_ports() {
    let a = EtcdProcess::start().unwrap();
    let b = EtcdProcess::start().unwrap();
    assert_ne!(a.endpoint(), b.endpoint());
}
