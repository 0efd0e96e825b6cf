//! The connection loop: hyper's HTTP/1 server with a timer (so its header read timeout fires), an idle timeout
//! for connections that move no bytes, a cap on open connections, and a graceful drain at shutdown.
//!
//! axum's own `serve` runs hyper without a timer, so a client that trickles its request head (slowloris) or parks
//! an idle keep-alive connection holds a socket forever. Here:
//! - `header_read_timeout` (hyper's): a client has this long to send a complete request head, counted from when
//!   the server starts waiting for it (the connection's open, or the end of the previous response), so it is also
//!   how long an idle keep-alive connection stays open. Then hyper closes the connection.
//! - `idle_timeout`: a connection that moves no bytes either way for this long is closed, whatever state it is in
//!   (a stalled request body, a client that stops reading its response).
//! - `max_connections`: at the cap the loop stops accepting; further clients wait in the kernel's listen backlog
//!   until a connection closes (never an accepted-then-dropped socket).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::limits::EdgeLimits;
use crate::metrics::Metrics;

/// How long the loop backs off after a failed `accept` (out of file descriptors, say) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, asks every connection to finish its
/// current request and close, and waits for them at most `limits.request_timeout` plus one second.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: EdgeLimits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "registry_accept_failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let (stream, peer) = stream;
        let _ = stream.set_nodelay(true);
        let (io, activity) = Tracked::new(stream);
        // Each request carries its connection's peer address (the client address of `auth::client`).
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                request
            },
        );
        let connection = http.serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        let idle = limits.idle_timeout;
        let metrics = metrics.clone();
        tokio::spawn(async move {
            metrics.connection_opened();
            tokio::select! {
                result = connection => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "registry_connection_error");
                    }
                }
                () = activity.idle_for(idle) => {
                    tracing::debug!("registry_connection_idle_closed");
                }
            }
            metrics.connection_closed();
            drop(permit);
        });
    }
    drop(listener);
    let drain = limits.request_timeout + Duration::from_secs(1);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            drain_seconds = drain.as_secs_f64(),
            "registry_shutdown_drain_timed_out"
        );
    }
}

/// When a connection last moved a byte, as milliseconds since `start`.
#[derive(Debug)]
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(now, Ordering::Relaxed);
    }

    /// Resolves once no byte has moved for `idle`.
    async fn idle_for(self: Arc<Self>, idle: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// A TCP stream that records when it last read or wrote a byte.
#[derive(Debug)]
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl Tracked {
    fn new(stream: TcpStream) -> (Self, Arc<Activity>) {
        let activity = Arc::new(Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        });
        (
            Tracked {
                stream,
                activity: activity.clone(),
            },
            activity,
        )
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Raises the soft open-file limit to the hard limit (Unix), so the connection cap, not `EMFILE`, bounds the
/// server. Returns the soft limit in force afterwards (`None` where there is no such limit or it cannot be read).
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => Some(limit),
            Err(e) => {
                tracing::warn!(error = %e, "registry_open_file_limit_unchanged");
                rlimit::getrlimit(rlimit::Resource::NOFILE)
                    .ok()
                    .map(|(soft, _)| soft)
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// File descriptors kept back from the connection cap for the store, log files and the listener.
pub const RESERVED_FILES: u64 = 64;

/// The connection cap that fits under `open_files` (keeping [`RESERVED_FILES`] back), at least 1.
pub fn connection_cap(configured: usize, open_files: Option<u64>) -> usize {
    match open_files {
        Some(limit) => {
            let fits = usize::try_from(limit.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
            configured.min(fits).max(1)
        }
        None => configured.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_fits_under_the_file_limit() {
        assert_eq!(
            connection_cap(4096, Some(1024)),
            1024 - RESERVED_FILES as usize
        );
        assert_eq!(connection_cap(100, Some(1_048_576)), 100);
        assert_eq!(connection_cap(100, None), 100);
        assert_eq!(connection_cap(100, Some(10)), 1);
    }
}
