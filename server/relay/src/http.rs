//! HTTP for both servers: hyper on a tokio runtime, with axum's router.
//! Connections are kept alive and served concurrently, each under a
//! [`Guard`]: a request's headers must arrive within a timeout, an idle
//! connection is closed, and one client address holds a bounded number of
//! connections, so slow or idle clients cannot take the file descriptors
//! from everyone else.

use axum::body::Body;
use axum::extract::ConnectInfo;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one client may hold of a server: a client that sends its headers
/// a byte at a time (slowloris) or opens connections and sends nothing
/// cannot take the server's file descriptors from everyone else.
#[derive(Debug, Clone)]
pub struct Guard {
    /// A request's headers must arrive within this.
    pub header_timeout: Duration,
    /// A connection with no request in progress is closed after this.
    pub idle_timeout: Duration,
    /// Connections one client IP may hold open at once; more are closed
    /// as soon as they are accepted.
    pub per_ip: usize,
    /// Peers the cap does not apply to (the site's proxies, whose
    /// connections carry many clients).
    pub exempt: Vec<IpAddr>,
    /// After shutdown is asked for, how long requests in progress have to
    /// finish before their connections are dropped.
    pub drain: Duration,
}

impl Default for Guard {
    fn default() -> Guard {
        Guard {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            per_ip: 64,
            exempt: Vec::new(),
            drain: Duration::from_secs(10),
        }
    }
}

/// One client's count of open connections, given back when it closes.
struct Slot {
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock() {
            if let Some(n) = open.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&self.ip);
                }
            }
        }
    }
}

/// Serves `app` on `listener` under `guard` (HTTP/1.1 with keep-alive;
/// each request carries its peer as `ConnectInfo`) until `shutdown`
/// resolves; then stops accepting, closes idle connections, and waits up
/// to `guard.drain` for the requests in progress to be answered.
pub async fn serve_guarded(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    guard: Guard,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let open: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    // `stop` tells every connection to finish; each holds a `done` sender,
    // so the receiver ends when the last connection has closed.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let (done, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(s) => s,
            // Out of file descriptors, or a connection reset before it was
            // accepted: the next accept may work.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let slot = {
            let Ok(mut counts) = open.lock() else { continue };
            let n = counts.entry(peer.ip()).or_insert(0);
            if *n >= guard.per_ip && !guard.exempt.contains(&peer.ip()) {
                continue;
            }
            *n += 1;
            Slot {
                ip: peer.ip(),
                open: Arc::clone(&open),
            }
        };
        // Answers go out at once (no Nagle delay behind a small write).
        let _ = stream.set_nodelay(true);
        let (app, guard) = (app.clone(), guard.clone());
        let (mut stopping, done) = (stopping.clone(), done.clone());
        tokio::spawn(async move {
            let (_slot, _done) = (slot, done);
            let mut finishing = false;
            // Idle: no request in progress since `last` (a request that
            // waits on its handler is not idle).
            let busy = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let last = Arc::new(Mutex::new(tokio::time::Instant::now()));
            let service = {
                let (busy, last) = (Arc::clone(&busy), Arc::clone(&last));
                hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    let (app, busy, last) = (app.clone(), Arc::clone(&busy), Arc::clone(&last));
                    busy.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async move {
                        let response = app.oneshot(request.map(Body::new)).await;
                        busy.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                        if let Ok(mut l) = last.lock() {
                            *l = tokio::time::Instant::now();
                        }
                        response
                    }
                })
            };
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(guard.header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            loop {
                // Idle since the last answer; while a request is in
                // progress, look again a whole timeout later.
                let now = tokio::time::Instant::now();
                let busy_now = busy.load(std::sync::atomic::Ordering::SeqCst) > 0;
                let since = if busy_now { now } else { last.lock().map_or(now, |l| *l) };
                tokio::select! {
                    _ = &mut connection => return,
                    _ = stopping.changed(), if !finishing => {
                        // Answers what is in progress, then closes.
                        finishing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                    _ = tokio::time::sleep_until(since + guard.idle_timeout) => {
                        let idle = busy.load(std::sync::atomic::Ordering::SeqCst) == 0
                            && last.lock().is_ok_and(|l| l.elapsed() >= guard.idle_timeout);
                        if idle {
                            return;
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(done);
    if tokio::time::timeout(guard.drain, all_done.recv()).await.is_err() {
        tracing::warn!("requests still in progress at the drain deadline were dropped");
    }
    Ok(())
}
