//! Serving connections: an accept loop on a tokio listener, each connection served by
//! hyper-util's auto builder (HTTP/1.1 with keep-alive and upgrades, and HTTP/2 with prior
//! knowledge), and a graceful stop. The gateway and the demo's echo backends both run on it;
//! the gateway's TLS listener runs the same loop with a TLS handshake first
//! ([`Server::spawn_tls`]).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use ingress_router::tower::RouteLayer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tower_layer::Layer;

use crate::metrics::{Metrics, ObserveLayer};
use crate::proxy::{Proxy, ProxyOptions, ProxyService};
use crate::routes::Routes;
use crate::tls::{Scheme, TlsOptions, WithScheme};
use crate::upgrade::Tunnels;

/// How long a stop waits for connections to finish their requests in flight.
pub const DRAIN: Duration = Duration::from_secs(10);

/// A running server: its address, and how to stop it.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves `listener` until [`Server::stop`]: each accepted connection gets the service
    /// `make(peer)`.
    pub fn spawn<M, S, B>(listener: TcpListener, make: M) -> io::Result<Server>
    where
        M: Fn(SocketAddr) -> S + Send + 'static,
        S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, make, stopped));
        Ok(Server {
            addr,
            stop: Some(stop),
            task,
        })
    }

    /// Serves `listener` with TLS until [`Server::stop`]: each accepted connection is handed
    /// to `acceptor` (given `handshake_timeout` to complete, in its own task), then served
    /// like [`Server::spawn`]'s.
    pub fn spawn_tls<M, S, B>(
        listener: TcpListener,
        acceptor: TlsAcceptor,
        handshake_timeout: Duration,
        make: M,
    ) -> io::Result<Server>
    where
        M: Fn(SocketAddr) -> S + Send + 'static,
        S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let tls = Tls {
            acceptor,
            handshake_timeout,
        };
        let task = tokio::spawn(tls_accept_loop(listener, tls, make, stopped));
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
    /// [`DRAIN`]), and returns when all is done.
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

async fn accept_loop<M, S, B>(listener: TcpListener, make: M, mut stopped: oneshot::Receiver<()>)
where
    M: Fn(SocketAddr) -> S + Send + 'static,
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    loop {
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
        let service = TowerToHyperService::new(make(peer));
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {DRAIN:?}; closing them");
    }
}

/// The TLS side of [`Server::spawn_tls`].
struct Tls {
    acceptor: TlsAcceptor,
    handshake_timeout: Duration,
}

/// [`accept_loop`] with a TLS handshake before serving. The handshake runs in the connection's
/// task, watched for the graceful stop from the start: a stop waits for handshakes in progress
/// (each bounded by the timeout) as for requests in flight.
async fn tls_accept_loop<M, S, B>(
    listener: TcpListener,
    tls: Tls,
    make: M,
    mut stopped: oneshot::Receiver<()>,
) where
    M: Fn(SocketAddr) -> S + Send + 'static,
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(make(peer));
        let (acceptor, timeout, builder) =
            (tls.acceptor.clone(), tls.handshake_timeout, builder.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake not done after {timeout:?}");
                    return;
                }
            };
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("TLS connections still open after {DRAIN:?}; closing them");
    }
}

/// The gateway: the `RouteLayer` of `ingress-router` in front of the [`Proxy`], on a
/// [`Server`], and on a second, TLS one when [`Gateway::bind_tls`] or [`Gateway::serve_tls`]
/// add it.
#[derive(Debug)]
pub struct Gateway {
    server: Server,
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
        let proxy = Arc::new(Proxy::new(routes.clone(), options));
        let metrics = Arc::new(Metrics::new(routes.clone()));
        let observe = ObserveLayer::new(metrics.clone(), options.access_log);
        let layer = RouteLayer::new(routes);
        let shared = proxy.clone();
        let observing = observe.clone();
        let server = Server::spawn(listener, move |peer| {
            layer.layer(
                observe
                    .for_connection()
                    .layer(ProxyService::new(shared.clone(), peer)),
            )
        })?;
        Ok(Gateway {
            server,
            proxy,
            metrics,
            observe: observing,
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
        let observe = self.observe.clone();
        let shared = self.proxy.clone();
        let server =
            Server::spawn_tls(listener, acceptor, options.handshake_timeout, move |peer| {
                WithScheme::new(
                    layer.layer(
                        observe
                            .for_connection()
                            .layer(ProxyService::new(shared.clone(), peer)),
                    ),
                    Scheme::Https,
                )
            })?;
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
    /// upgraded connections, which have no requests to finish.
    pub async fn stop(self) {
        let tls = async {
            if let Some(tls) = self.tls {
                tls.stop().await;
            }
        };
        tokio::join!(self.server.stop(), tls);
        self.proxy.tunnels().close(DRAIN).await;
    }
}
