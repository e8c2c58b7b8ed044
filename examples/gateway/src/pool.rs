//! The upstream connections: one pool per serving thread of keep-alive HTTP/1.1 connections
//! to each endpoint (or ExternalName `host:port`), made with hyper's connection API
//! (`hyper::client::conn::http1`) and reused until they have been idle for
//! `--upstream-keepalive-timeout`.
//!
//! # Why not hyper-util's pooled client
//!
//! The gateway used hyper-util's legacy `Client`, which serves any runtime and any protocol,
//! and costs every request for it: its pool is behind a lock shared by all tasks, a checkout
//! races a new connection against an idle one through channels, the absolute upstream URI
//! is built and parsed per request (`endpoint.to_string()`, then `Uri` parsing) only to be
//! turned back into origin-form, the connection's address is copied into each response's
//! extensions, and after each response it spawns a task that waits for the connection to be
//! ready again before it goes back to the pool. Here each serving thread
//! ([`crate::workers`]) has a [`Pool`] of its own, so its lock is never contended; a checkout
//! is a pop from the endpoint's list, or a connect when the list is empty; and the response
//! body ([`Body`]) hands its connection back when it has been read to its end, which is
//! when hyper's connection is ready for the next request (the rare connection that is not
//! ready yet, say because the request body is still being sent, is put back by a task that
//! waits for it).
//!
//! # What stays as it was
//!
//! * New connections are made by hyper-util's [`HttpConnector`]: the connect timeout (a
//!   name's addresses share it), `TCP_NODELAY`, ExternalName hosts resolved by the system's
//!   resolver, Happy Eyeballs between address families.
//! * Each connection is driven by a task of its own on the thread that made it, with hyper's
//!   upgrades, so that a `101` turns it into a tunnel ([`crate::upgrade`]).
//! * An idle connection is used last in, first out, and kept while it has been idle less than
//!   the keep-alive timeout; a background sweep per pool (a timer only while the pool holds
//!   idle connections) closes those idle for longer, so an upstream sees its connections
//!   closed between one and two timeouts after their last request, as with hyper-util's
//!   pool. At most `--max-idle-per-endpoint` are kept per upstream; a connection returned
//!   beyond that is closed.
//! * A request that a reused connection could not take (the upstream closed it while it was
//!   idle, and hyper hands the unsent request back) is sent again, on the next idle
//!   connection or a new one: that is not a failure of the upstream.
//! * A connection whose response is abandoned (the body not read to its end, the response
//!   head timed out, a `101`) is never pooled again: hyper closes it.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::{Either, Empty};
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::client::legacy::connect::HttpConnector;

use tokio::time::Instant;
use tower_service::Service;

use crate::idle::IdleTimeout;

/// A request body sent upstream: the client's, streamed (and cut if the client stalls:
/// [`IdleTimeout`]), or none.
pub type RequestBody = Either<IdleTimeout<Incoming>, Empty<Bytes>>;

/// Where a connection goes: an endpoint's address, or an ExternalName `host:port` (resolved
/// when connecting).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Upstream {
    /// An endpoint of a Service.
    Endpoint(SocketAddr),
    /// `host:port`, resolved by DNS.
    Name(Arc<str>),
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Upstream::Endpoint(addr) => addr.fmt(f),
            Upstream::Name(authority) => f.write_str(authority),
        }
    }
}

/// How sending a request upstream failed.
#[derive(Debug)]
pub enum Failure {
    /// No connection could be made: refused, unreachable, not resolved, or not in time. The
    /// request was not sent and is handed back.
    Connect {
        /// Why (a timeout is an `io::Error` of kind `TimedOut` in its sources).
        error: Box<dyn StdError + Send + Sync>,
        /// The request, as it was given.
        request: Box<Request<RequestBody>>,
    },
    /// The upstream took the request and then closed, reset or broke the response.
    Exchange(hyper::Error),
}

/// What the pools keep: how long, how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolOptions {
    /// Making a connection (the addresses of a name share it).
    pub connect_timeout: Duration,
    /// How long an idle connection is kept (ingress-nginx's `upstream-keepalive-timeout`);
    /// zero keeps none.
    pub idle_timeout: Duration,
    /// Idle connections kept per upstream; zero keeps none.
    pub max_idle: usize,
}

/// The upstream connections of every serving thread: one [`Pool`] each, and the connector.
#[derive(Debug)]
pub struct Upstreams {
    pools: Vec<Arc<Pool>>,
    connector: HttpConnector,
}

impl Upstreams {
    /// A pool for each of `threads` serving threads (at least one).
    pub fn new(threads: usize, options: PoolOptions) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(options.connect_timeout));
        connector.set_nodelay(true);
        Upstreams {
            pools: (0..threads.max(1))
                .map(|_| Arc::new(Pool::new(options)))
                .collect(),
            connector,
        }
    }

    /// The pool of serving thread `worker`.
    pub fn pool(&self, worker: usize) -> &Arc<Pool> {
        &self.pools[worker % self.pools.len()]
    }

    /// Sends `request` (origin-form URI, `Host` set) to `upstream` on an idle connection of
    /// `worker`'s pool, or a new one, and returns the response head with the connection it
    /// came on: [`Lease::body`] makes the response body that returns the connection to the
    /// pool once read. Must run on `worker`'s thread, where the connection's task goes.
    pub async fn send(
        &self,
        worker: usize,
        upstream: &Upstream,
        mut request: Request<RequestBody>,
    ) -> Result<(Response<Incoming>, Lease), Failure> {
        let pool = self.pool(worker);
        loop {
            let (mut sender, reused) = match pool.take(upstream) {
                Some(sender) => (sender, true),
                None => match self.connect(upstream).await {
                    Ok(sender) => (sender, false),
                    Err(error) => {
                        return Err(Failure::Connect {
                            error,
                            request: Box::new(request),
                        });
                    }
                },
            };
            match sender.try_send_request(request).await {
                Ok(response) => {
                    let lease = Lease {
                        pool: pool.clone(),
                        upstream: upstream.clone(),
                        sender,
                    };
                    return Ok((response, lease));
                }
                Err(mut e) => match e.take_message() {
                    // The idle connection was closed under us before the request went out:
                    // the next one (at worst a new one) takes it.
                    Some(unsent) if reused => {
                        tracing::debug!(%upstream, error = %e.error(), "pooled connection closed; sending again");
                        request = unsent;
                    }
                    _ => return Err(Failure::Exchange(e.into_error())),
                },
            }
        }
    }

    /// A new connection to `upstream`, its task spawned on this thread.
    async fn connect(
        &self,
        upstream: &Upstream,
    ) -> Result<SendRequest<RequestBody>, Box<dyn StdError + Send + Sync>> {
        let uri = match upstream {
            Upstream::Endpoint(addr) => Uri::try_from(format!("http://{addr}/"))?,
            Upstream::Name(authority) => Uri::try_from(format!("http://{authority}/"))?,
        };
        let mut connector = self.connector.clone();
        std::future::poll_fn(|cx| connector.poll_ready(cx)).await?;
        let stream = connector.call(uri).await?;
        let (sender, connection) = http1::Builder::new().handshake(stream).await?;
        let upstream = upstream.clone();
        tokio::spawn(async move {
            if let Err(e) = connection.with_upgrades().await {
                tracing::debug!(%upstream, error = %e, "upstream connection ended with an error");
            }
        });
        Ok(sender)
    }
}

/// One serving thread's idle connections.
#[derive(Debug)]
pub struct Pool {
    options: PoolOptions,
    idle: Mutex<Idle>,
}

#[derive(Debug, Default)]
struct Idle {
    /// Per upstream, the most recently returned last.
    connections: HashMap<Upstream, Vec<IdleConnection>, foldhash::fast::RandomState>,
    /// Whether the sweep task runs (it stops when nothing is idle).
    sweeping: bool,
}

#[derive(Debug)]
struct IdleConnection {
    sender: SendRequest<RequestBody>,
    since: Instant,
}

impl Pool {
    fn new(options: PoolOptions) -> Self {
        Pool {
            options,
            idle: Mutex::new(Idle::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Idle> {
        // A panic while holding the lock leaves the lists whole.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn keeps(&self, connection: &IdleConnection, now: Instant) -> bool {
        now.saturating_duration_since(connection.since) < self.options.idle_timeout
            && !connection.sender.is_closed()
    }

    /// The most recently returned idle connection to `upstream` that is still open and
    /// within the timeout; those that are not are dropped on the way (closing them).
    fn take(&self, upstream: &Upstream) -> Option<SendRequest<RequestBody>> {
        let now = Instant::now();
        let mut idle = self.lock();
        let list = idle.connections.get_mut(upstream)?;
        while let Some(connection) = list.pop() {
            if self.keeps(&connection, now) && connection.sender.is_ready() {
                return Some(connection.sender);
            }
        }
        None
    }

    /// Keeps `sender`, ready for its next request, unless the pool holds enough for
    /// `upstream` already (then it is closed).
    fn put(self: &Arc<Self>, upstream: Upstream, sender: SendRequest<RequestBody>) {
        if self.options.max_idle == 0 || self.options.idle_timeout.is_zero() || sender.is_closed() {
            return;
        }
        let since = Instant::now();
        let mut idle = self.lock();
        let list = idle.connections.entry(upstream).or_default();
        if list.len() >= self.options.max_idle {
            return;
        }
        list.push(IdleConnection { sender, since });
        if !idle.sweeping
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            idle.sweeping = true;
            runtime.spawn(sweep(Arc::downgrade(self), self.options.idle_timeout));
        }
    }

    /// Drops the idle connections past their timeout (or closed by the upstream); says
    /// whether any is left.
    fn sweep(&self) -> bool {
        let now = Instant::now();
        let mut idle = self.lock();
        idle.connections.retain(|_, list| {
            list.retain(|connection| self.keeps(connection, now));
            !list.is_empty()
        });
        let left = !idle.connections.is_empty();
        idle.sweeping = left;
        left
    }

    /// Idle connections held now.
    pub fn idle(&self) -> usize {
        self.lock().connections.values().map(Vec::len).sum()
    }
}

/// Sweeps `pool` every `period` while it holds idle connections (and exists).
async fn sweep(pool: Weak<Pool>, period: Duration) {
    loop {
        tokio::time::sleep(period).await;
        match pool.upgrade() {
            Some(pool) if pool.sweep() => {}
            _ => return,
        }
    }
}

/// A connection in use, from its request to the end of its response; dropped, the
/// connection is closed ([`Lease::body`] returns it instead).
pub struct Lease {
    pool: Arc<Pool>,
    upstream: Upstream,
    sender: SendRequest<RequestBody>,
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

impl Lease {
    /// The response body `body` (of the response this lease's request got), returning the
    /// connection to the pool when read to its end.
    pub fn body(self, body: Incoming) -> Body {
        Body {
            inner: body,
            lease: Some(self),
        }
    }

    /// Back to the pool: at once if the connection is ready for the next request, else once
    /// it is (a task waits), unless it closes first.
    fn release(self) {
        let Lease {
            pool,
            upstream,
            mut sender,
        } = self;
        if sender.is_ready() {
            pool.put(upstream, sender);
        } else if !sender.is_closed()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if sender.ready().await.is_ok() {
                    pool.put(upstream, sender);
                }
            });
        }
    }
}

/// An upstream response body: streamed as hyper reads it, the connection returned to its
/// pool at the end. A body dropped before its end closes the connection (hyper cannot reuse
/// a connection with a response half read).
#[derive(Debug)]
pub struct Body {
    inner: Incoming,
    lease: Option<Lease>,
}

impl Body {
    /// A body whose connection is not pooled again (a `101`'s: the connection becomes the
    /// tunnel).
    pub fn unpooled(inner: Incoming) -> Body {
        Body { inner, lease: None }
    }

    fn release(&mut self) {
        if let Some(lease) = self.lease.take() {
            lease.release();
        }
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &frame {
            // hyper writes a body whose length it knows up to its end and polls no further:
            // its last frame is its end.
            None => this.release(),
            Some(Ok(_)) if this.inner.is_end_stream() => this.release(),
            Some(Ok(_)) => {}
            Some(Err(_)) => this.lease = None,
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Body {
    /// An empty body is never polled: it ends here.
    fn drop(&mut self) {
        if self.inner.is_end_stream() {
            self.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// An upstream answering each request `ok` (or `101` for `/upgrade`), counting the
    /// connections it accepted and those that were closed.
    async fn upstream() -> (SocketAddr, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (accepted, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let counts = (accepted.clone(), closed.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counts.0.fetch_add(1, Ordering::SeqCst);
                let closed = counts.1.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let mut head = Vec::new();
                    loop {
                        let n = stream.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            closed.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        head.extend_from_slice(&buf[..n]);
                        while let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                            let request: Vec<u8> = head.drain(..end + 4).collect();
                            let answer: &[u8] = if request.starts_with(b"GET /upgrade ") {
                                b"HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: x\r\n\r\n"
                            } else {
                                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
                            };
                            let _ = stream.write_all(answer).await;
                        }
                    }
                });
            }
        });
        (addr, accepted, closed)
    }

    fn get(path: &str) -> Request<RequestBody> {
        Request::builder()
            .uri(path)
            .header("host", "upstream")
            .body(Either::Right(Empty::new()))
            .unwrap()
    }

    fn options(idle_timeout: Duration, max_idle: usize) -> PoolOptions {
        PoolOptions {
            connect_timeout: Duration::from_secs(5),
            idle_timeout,
            max_idle,
        }
    }

    async fn exchange(upstreams: &Upstreams, to: &Upstream, path: &str) -> Bytes {
        let (response, lease) = upstreams.send(0, to, get(path)).await.unwrap();
        let body = lease.body(response.into_body());
        body.collect().await.unwrap().to_bytes()
    }

    #[tokio::test]
    async fn a_connection_read_to_its_end_is_reused_and_one_abandoned_is_not() {
        let (addr, accepted, closed) = upstream().await;
        let upstreams = Upstreams::new(1, options(Duration::from_secs(60), 8));
        let to = Upstream::Endpoint(addr);
        for _ in 0..3 {
            assert_eq!(exchange(&upstreams, &to, "/").await, "ok");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert_eq!(upstreams.pool(0).idle(), 1);

        // A body dropped before it is read: the connection is not pooled again.
        let (response, lease) = upstreams.send(0, &to, get("/")).await.unwrap();
        let body = lease.body(response.into_body());
        drop(body);
        assert_eq!(upstreams.pool(0).idle(), 0);
        assert_eq!(exchange(&upstreams, &to, "/").await, "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
        tokio::time::timeout(Duration::from_secs(5), async {
            while closed.load(Ordering::SeqCst) < 1 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the abandoned connection is closed");
    }

    #[tokio::test]
    async fn idle_connections_are_closed_after_the_timeout_without_traffic() {
        let (addr, accepted, closed) = upstream().await;
        let upstreams = Upstreams::new(1, options(Duration::from_millis(100), 8));
        let to = Upstream::Endpoint(addr);
        assert_eq!(exchange(&upstreams, &to, "/").await, "ok");
        assert_eq!(upstreams.pool(0).idle(), 1);
        tokio::time::timeout(Duration::from_secs(5), async {
            while closed.load(Ordering::SeqCst) < 1 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the sweep closes the idle connection");
        assert_eq!(upstreams.pool(0).idle(), 0);
        assert_eq!(exchange(&upstreams, &to, "/").await, "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn at_most_max_idle_connections_are_kept_per_upstream() {
        let (addr, accepted, _) = upstream().await;
        let upstreams = Upstreams::new(1, options(Duration::from_secs(60), 2));
        let to = Upstream::Endpoint(addr);
        let mut open = Vec::new();
        for _ in 0..4 {
            open.push(upstreams.send(0, &to, get("/")).await.unwrap());
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 4);
        for (response, lease) in open {
            lease.body(response.into_body()).collect().await.unwrap();
        }
        assert_eq!(upstreams.pool(0).idle(), 2);
    }

    #[tokio::test]
    async fn a_request_on_a_connection_closed_while_idle_goes_out_on_a_new_one() {
        // An upstream that answers one request per connection and then closes it, without
        // saying so in the response.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut buf = vec![0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
            }
        });
        let upstreams = Upstreams::new(1, options(Duration::from_secs(60), 8));
        let to = Upstream::Endpoint(addr);
        assert_eq!(exchange(&upstreams, &to, "/").await, "ok");
        // Let the connection's task see the close.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(exchange(&upstreams, &to, "/").await, "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_refused_connection_hands_the_request_back() {
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap()
        };
        let upstreams = Upstreams::new(1, options(Duration::from_secs(60), 8));
        match upstreams
            .send(0, &Upstream::Endpoint(addr), get("/again"))
            .await
        {
            Err(Failure::Connect { request, .. }) => assert_eq!(request.uri(), "/again"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_switched_connection_is_not_pooled() {
        let (addr, accepted, _) = upstream().await;
        let upstreams = Upstreams::new(1, options(Duration::from_secs(60), 8));
        let to = Upstream::Endpoint(addr);
        let (response, lease) = upstreams.send(0, &to, get("/upgrade")).await.unwrap();
        assert_eq!(response.status(), 101);
        drop(lease);
        assert_eq!(exchange(&upstreams, &to, "/").await, "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }
}
