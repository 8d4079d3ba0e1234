//! Serving connections: a cap on how many are open at once, a deadline for a request's
//! headers, a limit on how long a kept-alive connection may sit idle, and graceful shutdown.
//!
//! A client that opens connections and sends nothing, or its headers a byte at a time, holds
//! a socket and a task each; without these limits a few hundred such clients keep every slot.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// The limits on connections, from the settings.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Connections open at once; further ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// From a connection's first byte (or the end of its previous request) to the end of a
    /// request's headers.
    pub header_read: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle: Duration,
}

/// Accepts connections on `listener` until `shutdown` resolves, then waits up to `grace` for
/// the requests in flight.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
    grace: Duration,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            serve_one(stream, peer, router, limits, stop).await;
            drop(slot);
        });
    }
    let _ = stop_tx.send(true);
    // Every connection holds a slot until it closes: holding them all means none is left.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {grace:?}: closing anyway");
    }
}

/// What one connection is doing, for the idle check.
#[derive(Default)]
struct Activity {
    in_flight: AtomicUsize,
    /// Milliseconds since the connection opened, when its last request ended.
    last_done: AtomicU64,
}

async fn serve_one(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let opened = Instant::now();
    let activity = Arc::new(Activity::default());
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            let router = router.clone();
            let activity = activity.clone();
            request.extensions_mut().insert(ConnectInfo(peer));
            activity.in_flight.fetch_add(1, Ordering::SeqCst);
            async move {
                let response = router
                    .oneshot(request.map(axum::body::Body::new))
                    .await
                    .unwrap_or_else(|never: Infallible| match never {});
                activity
                    .last_done
                    .store(opened.elapsed().as_millis() as u64, Ordering::SeqCst);
                activity.in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let tick = (limits.idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
    let mut ticks = tokio::time::interval(tick);
    let mut closing = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%peer, %err, "connection ended with an error");
                }
                return;
            }
            _ = stop.changed(), if !closing => {
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
            _ = ticks.tick(), if !closing => {
                let idle_since = Duration::from_millis(activity.last_done.load(Ordering::SeqCst));
                let idle = activity.in_flight.load(Ordering::SeqCst) == 0
                    && opened.elapsed().saturating_sub(idle_since) > limits.idle;
                if idle {
                    // Between requests: the connection closes once nothing is in flight.
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}
