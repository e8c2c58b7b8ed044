//! Serving connections: an accept loop on a tokio listener, each connection served by
//! hyper-util's auto builder (HTTP/1.1 with keep-alive and upgrades, and HTTP/2 with prior
//! knowledge), [`Limits`] on header size, header time and open connections, and a graceful
//! stop. The gateway and the demo's echo backends both run on it. The gateway's listeners hand
//! their connections to its serving threads ([`Workers`], [`Server::spawn_on`]), the TLS one
//! after a handshake ([`Handshake`]).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use ingress_router::Scheme;
use ingress_router::tower::{RouteLayer, RouteService};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tower_layer::Layer;

use crate::metrics::{Metrics, Observe, ObserveLayer};
use crate::proxy::{Proxy, ProxyOptions, ProxyService};
use crate::routes::Routes;
use crate::tls::{TlsOptions, WithScheme};
use crate::upgrade::Tunnels;
use crate::workers::Workers;

/// How long a stop waits for connections to finish their requests in flight, by default.
pub const DRAIN: Duration = Duration::from_secs(10);

/// What one server lets its clients hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one HTTP/1.1 request head (hyper's read buffer; at least 8 KiB, hyper's
    /// minimum) and, for HTTP/2, of a header list: a client sending more gets a 431. More than
    /// 100 header fields in HTTP/1.1 is a 431 too (hyper's limit).
    pub max_header_bytes: usize,
    /// How long a request head may take to arrive (from the connection's start, or the end of
    /// the previous request): after it the connection is closed, as nginx's
    /// `client_header_timeout` closes it, without an answer (nginx logs that as a 408). This
    /// is what a slowloris client meets.
    pub header_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// How long a stop lets requests in flight finish before it closes their connections.
    pub drain: Duration,
}

impl Default for Limits {
    /// ingress-nginx's defaults: `large-client-header-buffers: 4 8k` (32 KiB),
    /// `client-header-timeout: 60s`, `max-worker-connections: 16384`.
    fn default() -> Self {
        Limits {
            max_header_bytes: 32 * 1024,
            header_timeout: Duration::from_secs(60),
            max_connections: 16_384,
            drain: DRAIN,
        }
    }
}

/// hyper's smallest read buffer.
pub const MIN_HEADER_BYTES: usize = 8 * 1024;

/// What a [`Server`] serves each connection with: a tower service of hyper requests that
/// answers every request (errors are answers too), cloned per connection and run on any
/// worker. Implemented by every service that is all that.
pub trait ConnectionService<B>:
    tower_service::Service<
        Request<Incoming>,
        Response = Response<B>,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<S, B> ConnectionService<B> for S where
    S: tower_service::Service<
            Request<Incoming>,
            Response = Response<B>,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// A response body a [`Server`] can stream: any hyper body whose chunks and errors can cross
/// threads.
pub trait ResponseBody:
    Body<Data: Send, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static
{
}

impl<B> ResponseBody for B where
    B: Body<Data: Send, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static
{
}

/// A TLS handshake before serving, given `timeout` to complete.
#[derive(Clone)]
pub struct Handshake {
    /// The TLS configuration.
    pub acceptor: TlsAcceptor,
    /// How long a client may take to complete it.
    pub timeout: Duration,
}

impl std::fmt::Debug for Handshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handshake")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// One accepted connection, as the service maker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The client's address.
    pub peer: SocketAddr,
    /// The serving thread it runs on (below [`Workers::len`]); 0 on the caller's runtime.
    pub worker: usize,
}

/// A running server: its address, and how to stop it.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves `listener` on the caller's runtime until [`Server::stop`], with the default
    /// [`Limits`]: each accepted connection gets the service `make(accepted)`.
    pub fn spawn<M, S, B>(listener: TcpListener, make: M) -> io::Result<Server>
    where
        M: Fn(Accepted) -> S + Send + 'static,
        S: ConnectionService<B>,
        B: ResponseBody,
    {
        Server::spawn_limited(listener, Limits::default(), make)
    }

    /// [`Server::spawn`] with these limits.
    pub fn spawn_limited<M, S, B>(
        listener: TcpListener,
        limits: Limits,
        make: M,
    ) -> io::Result<Server>
    where
        M: Fn(Accepted) -> S + Send + 'static,
        S: ConnectionService<B>,
        B: ResponseBody,
    {
        Server::start(listener, limits, None, None, make)
    }

    /// Serves `listener` until [`Server::stop`], handing each accepted connection to the next
    /// of `workers` in turn, after the TLS `handshake` if there is one (done there too): the
    /// gateway's listeners. The accept loop and the drain run on the caller's runtime.
    pub fn spawn_on<M, S, B>(
        listener: TcpListener,
        limits: Limits,
        workers: Arc<Workers>,
        handshake: Option<Handshake>,
        make: M,
    ) -> io::Result<Server>
    where
        M: Fn(Accepted) -> S + Send + 'static,
        S: ConnectionService<B>,
        B: ResponseBody,
    {
        Server::start(listener, limits, Some(workers), handshake, make)
    }

    fn start<M, S, B>(
        listener: TcpListener,
        limits: Limits,
        workers: Option<Arc<Workers>>,
        handshake: Option<Handshake>,
        make: M,
    ) -> io::Result<Server>
    where
        M: Fn(Accepted) -> S + Send + 'static,
        S: ConnectionService<B>,
        B: ResponseBody,
    {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(
            listener, limits, workers, handshake, make, stopped,
        ));
        Ok(Server {
            addr,
            stop: Some(stop),
            task,
        })
    }

    /// The address it listens on (the port the system chose for `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets the connections finish their requests in flight (up to
    /// [`Limits::drain`]), and returns when all is done.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Server {
    /// A server dropped without [`Server::stop`] stops at once.
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// hyper-util's auto builder with the limits set.
fn builder(limits: Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(MIN_HEADER_BYTES));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    builder
}

/// Accepts while a connection slot is free, and serves each connection in a task of its own,
/// on the next worker if there are workers (after the TLS handshake, if any, which the
/// graceful stop waits for as for a request in flight, each bounded by its timeout).
async fn accept_loop<M, S, B>(
    listener: TcpListener,
    limits: Limits,
    workers: Option<Arc<Workers>>,
    handshake: Option<Handshake>,
    make: M,
    mut stopped: oneshot::Receiver<()>,
) where
    M: Fn(Accepted) -> S + Send + 'static,
    S: ConnectionService<B>,
    B: ResponseBody,
{
    let builder = builder(limits);
    let graceful = GracefulShutdown::new();
    // Every connection's task, so that those still open after the drain can be closed.
    let mut connections = JoinSet::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let slot = tokio::select! {
            _ = &mut stopped => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        // The socket is registered with the reactor of the runtime that accepted it. The task
        // that serves it registers it again with its own (a worker's): otherwise each of its
        // readiness events would be a wake-up sent across threads.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!(%peer, error = %e, "cannot hand the connection over");
                continue;
            }
        };
        let (worker, runtime) = match &workers {
            Some(workers) => {
                let (worker, runtime) = workers.next();
                (worker, Some(runtime))
            }
            None => (0, None),
        };
        let service = TowerToHyperService::new(make(Accepted { peer, worker }));
        let (builder, handshake, watcher) =
            (builder.clone(), handshake.clone(), graceful.watcher());
        while connections.try_join_next().is_some() {}
        let serve = async move {
            let _slot = slot;
            let stream = match TcpStream::from_std(stream) {
                Ok(stream) => stream,
                Err(e) => return tracing::warn!(%peer, error = %e, "cannot serve the connection"),
            };
            let served = match handshake {
                None => {
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    watcher.watch(connection.into_owned()).await
                }
                Some(Handshake { acceptor, timeout }) => {
                    let stream = match tokio::time::timeout(timeout, acceptor.accept(stream)).await
                    {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(e)) => {
                            return tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        }
                        Err(_) => {
                            return tracing::debug!(%peer, "TLS handshake not done after {timeout:?}");
                        }
                    };
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    watcher.watch(connection.into_owned()).await
                }
            };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        };
        match runtime {
            Some(runtime) => connections.spawn_on(serve, runtime),
            None => connections.spawn(serve),
        };
    }
    drop(listener);
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open after {:?}; closing them",
            limits.drain
        );
        connections.shutdown().await;
    }
}

/// The gateway: the `RouteLayer` of `ingress-router` in front of the [`Proxy`], on a
/// [`Server`], and on a second, TLS one when [`Gateway::bind_tls`] or [`Gateway::serve_tls`]
/// add it; both serve their connections on the gateway's [`Workers`]
/// ([`ProxyOptions::workers`] threads).
#[derive(Debug)]
pub struct Gateway {
    server: Server,
    workers: Arc<Workers>,
    proxy: Arc<Proxy>,
    metrics: Arc<Metrics>,
    /// The per-request observation of the plain listener, for the TLS one.
    observe: ObserveLayer,
    tls: Option<Server>,
}

impl Gateway {
    /// Serves `routes` on `listener`.
    pub fn spawn(
        listener: TcpListener,
        routes: Arc<Routes>,
        options: ProxyOptions,
    ) -> io::Result<Gateway> {
        let workers = Arc::new(Workers::start(options.workers)?);
        let proxy = Arc::new(Proxy::new(routes.clone(), options));
        let metrics = Arc::new(Metrics::new(routes.clone()));
        let observe = ObserveLayer::new(metrics.clone(), options.access_log);
        let layer = RouteLayer::new(routes);
        let server = Server::spawn_on(
            listener,
            options.limits,
            workers.clone(),
            None,
            per_connection(layer, observe.clone(), proxy.clone(), Scheme::Http),
        )?;
        Ok(Gateway {
            server,
            workers,
            proxy,
            metrics,
            observe,
            tls: None,
        })
    }

    /// Also serves TLS on `listener`, with the certificates of the routes' Secrets (see
    /// [`tls`](crate::tls)); its requests reach the upstream with `X-Forwarded-Proto: https`.
    /// Replaces a TLS listener added before (which stops at once).
    pub fn serve_tls(&mut self, listener: TcpListener, options: &TlsOptions) -> io::Result<()> {
        let acceptor =
            crate::tls::acceptor(self.proxy.routes().clone(), options).map_err(io::Error::other)?;
        let layer = RouteLayer::new(self.proxy.routes().clone());
        let handshake = Handshake {
            acceptor,
            timeout: options.handshake_timeout,
        };
        let server = Server::spawn_on(
            listener,
            self.proxy.options().limits,
            self.workers.clone(),
            Some(handshake),
            per_connection(
                layer,
                self.observe.clone(),
                self.proxy.clone(),
                Scheme::Https,
            ),
        )?;
        self.tls = Some(server);
        Ok(())
    }

    /// Binds `addr` and serves TLS on it: see [`Gateway::serve_tls`].
    pub async fn bind_tls(&mut self, addr: SocketAddr, options: &TlsOptions) -> io::Result<()> {
        let listener = TcpListener::bind(addr).await?;
        self.serve_tls(listener, options)
    }

    /// The address of the TLS listener, when there is one.
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.tls.as_ref().map(Server::local_addr)
    }

    /// Binds `addr` and serves `routes` on it.
    pub async fn bind(
        addr: SocketAddr,
        routes: Arc<Routes>,
        options: ProxyOptions,
    ) -> io::Result<Gateway> {
        let listener = TcpListener::bind(addr).await?;
        Gateway::spawn(listener, routes, options)
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The routes it serves (store a new snapshot to swap them).
    pub fn routes(&self) -> &Arc<Routes> {
        self.proxy.routes()
    }

    /// What it counts (the admin listener's `/metrics`).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The upgraded connections (WebSockets and the like) it tunnels.
    pub fn tunnels(&self) -> &Tunnels {
        self.proxy.tunnels()
    }

    /// Stops gracefully, both listeners at once: see [`Server::stop`]; then closes the
    /// upgraded connections, which have no requests to finish, and ends the serving threads.
    pub async fn stop(self) {
        let tls = async {
            if let Some(tls) = self.tls {
                tls.stop().await;
            }
        };
        tokio::join!(self.server.stop(), tls);
        self.proxy
            .tunnels()
            .close(self.proxy.options().limits.drain)
            .await;
    }
}

/// The service stack of one connection: route, observe, proxy, with the scheme the client
/// spoke.
fn per_connection(
    layer: RouteLayer<Arc<Routes>>,
    observe: ObserveLayer,
    proxy: Arc<Proxy>,
    scheme: Scheme,
) -> impl Fn(Accepted) -> WithScheme<RouteService<Arc<Routes>, Observe<ProxyService>>> + Send + 'static
{
    move |accepted| {
        WithScheme::new(
            layer.layer(
                observe
                    .for_connection()
                    .layer(ProxyService::new(proxy.clone(), accepted)),
            ),
            scheme,
        )
    }
}
