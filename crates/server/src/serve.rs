//! Serving on a socket: at most `max_connections` at once (more wait in the listen backlog),
//! a client that takes longer than `header_timeout` to send its headers is cut off, and on
//! shutdown the listener closes at once while requests in flight finish (up to
//! `drain_timeout`). Each request carries the client's address (`ConnectInfo`) and ours
//! ([`LocalAddr`], what `nextLink`s are built from when there is no `--public-url`).

use crate::settings::Settings;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// The address a request came in on (the socket's local address): one of the server's own.
#[derive(Debug, Clone, Copy)]
pub struct LocalAddr(pub SocketAddr);

/// What a finished [`serve`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// Every request in flight finished.
    All,
    /// The drain timeout passed first; those requests were cut off.
    TimedOut,
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: &Settings,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<Drained> {
    let slots = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // The address this client reached: with a listener on 0.0.0.0 it is the interface's
        // address, not 0.0.0.0.
        let local = match stream.local_addr() {
            Ok(a) => a,
            Err(_) => continue,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(remote));
            req.extensions_mut().insert(LocalAddr(local));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that breaks off, or is cut off by the header timeout, is not an error of
            // the server.
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, client = %remote, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; draining requests in flight");
    Ok(
        match tokio::time::timeout(settings.drain_timeout, graceful.shutdown()).await {
            Ok(()) => Drained::All,
            Err(_) => Drained::TimedOut,
        },
    )
}
