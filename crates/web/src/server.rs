//! The HTTP/1.1 server loop. `axum::serve` has no limits of its own: a client that
//! sends its headers one byte a minute holds a connection (and its memory) forever, and
//! nothing bounds how many connections are open. This loop adds what a site facing the
//! internet, or a proxy in front of it, needs: a header read timeout, a cap on open
//! connections (beyond it new ones wait in the kernel's backlog instead of each taking
//! memory here), TCP_NODELAY (a response's last bytes are not held back by Nagle's
//! algorithm), and a graceful shutdown that stops accepting, lets in-flight requests
//! finish within a grace period, then returns so the caller can flush what it keeps.
//!
//! Request bodies have their own read timeout, applied by the router
//! ([`crate::router`]) from the same settings.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How the server treats connections. Every value is a setting (see the README's
/// configuration table); the defaults suit a site behind a proxy or facing readers.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// The longest a client may take to send a request's headers (slow-header attacks).
    pub header_read_timeout: Duration,
    /// The longest a client may take to send a request's body.
    pub body_read_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight before closing their
    /// connections.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, waits up
/// to the grace period for requests in flight, and returns. Each request carries its
/// peer address as [`ConnectInfo<SocketAddr>`], as with axum's own `serve`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A slot first: at the cap, connections stay in the kernel's queue.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection from {peer}: {e}");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(
                "requests still running after {} s of shutdown were cut off",
                limits.shutdown_grace.as_secs()
            );
        }
    }
}
