//! Free loopback ports: bind `127.0.0.1:0`, read the port the kernel chose, drop the listener.
//! Another process may take the port before the caller binds it, so callers retry on a clash.

use std::net::TcpListener;

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
