//! Serving routes on a listener until shutdown.
//!
//! ```text
//! TcpListener ──► tap: TCP_NODELAY on every accepted connection
//!             ──► axum::serve (HTTP/1.1 and h2c: REST and gRPC on one port)
//!             ──► until `shutdown` resolves, then open requests drain
//! ```
//!
//! Why `TCP_NODELAY`: a response's last small frame (a gRPC trailer, a short JSON body) would
//! otherwise wait under Nagle's algorithm for the client's delayed ACK — about 40 ms added to
//! every Flight answer on Linux.

use std::future::Future;
use std::io;

use axum::Router;
use axum::serve::ListenerExt;
use tokio::net::{TcpListener, TcpStream};

/// Serves `routes` on `listener` (every accepted connection with `TCP_NODELAY`) until
/// `shutdown` resolves, then drains the requests in flight.
pub async fn serve<F>(listener: TcpListener, routes: Router, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    axum::serve(listener.tap_io(no_delay), routes)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Turns Nagle's algorithm off on an accepted connection (a failure is logged: the connection
/// still works, only slower).
fn no_delay(stream: &mut TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY on an accepted connection");
    }
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener;

    use super::*;

    #[tokio::test]
    async fn accepted_connections_have_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut tapped = listener.tap_io(no_delay);
        let client = tokio::spawn(TcpStream::connect(addr));
        let (accepted, _) = tapped.accept().await;
        assert!(
            accepted.nodelay().unwrap(),
            "the shell's listener sets TCP_NODELAY"
        );
        drop(client.await.unwrap().unwrap());
    }
}
