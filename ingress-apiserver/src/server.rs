//! The server: listening socket, accept loop, connections, and the handle a test holds.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::error::ServerError;
use crate::faults::Faults;
use crate::http::{AppState, handle};
use crate::log::RequestLog;
use crate::registry::Registry;
use crate::store::Store;

/// How a server is set up. `ServerConfig::default()` suits tests.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Served resources. Default [`Registry::builtin`].
    pub registry: Registry,
    /// Changes kept for watches to resume from; older resumes get 410. Default 10 000.
    pub history_limit: usize,
    /// Period of `BOOKMARK` events on watches that allow them. Default 5 s (the real server:
    /// about a minute).
    pub bookmark_interval: Duration,
    /// Create the namespaces `default`, `kube-system`, `kube-public` and `kube-node-lease`
    /// at start, as a new cluster has them. Default `true`.
    pub initial_namespaces: bool,
    /// Largest request body, in bytes (the real server: 3 MiB). Default 3 MiB.
    pub max_body_bytes: usize,
    /// How long [`ApiServer::shutdown`] waits for open connections to finish. Default 2 s.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            registry: Registry::builtin(),
            history_limit: 10_000,
            bookmark_interval: Duration::from_secs(5),
            initial_namespaces: true,
            max_body_bytes: 3 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

enum Command {
    Pause(oneshot::Sender<()>),
    Resume(oneshot::Sender<Result<(), ServerError>>),
}

/// A running API server on a loopback port, and the handle to steer it.
///
/// Dropping the handle stops the server (the accept loop ends, watches end, connections
/// close); [`ApiServer::shutdown`] does the same and waits for it.
#[derive(Debug)]
pub struct ApiServer {
    addr: SocketAddr,
    url: String,
    store: Store,
    faults: Faults,
    log: RequestLog,
    commands: mpsc::Sender<Command>,
    shutdown: watch::Sender<bool>,
    open_watches: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Pause(_) => "Pause",
            Command::Resume(_) => "Resume",
        })
    }
}

impl ApiServer {
    /// Start on `127.0.0.1` on a free port, with the default configuration.
    pub async fn start() -> Result<Self, ServerError> {
        Self::start_with(
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ServerConfig::default(),
        )
        .await
    }

    /// Start on `addr` (port 0: a free port), with the default configuration.
    pub async fn start_on(addr: SocketAddr) -> Result<Self, ServerError> {
        Self::start_with(addr, ServerConfig::default()).await
    }

    /// Start on `addr` with `config`.
    pub async fn start_with(addr: SocketAddr, config: ServerConfig) -> Result<Self, ServerError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { addr, source })?;
        let store = Store::new(config.registry.clone(), config.history_limit);
        if config.initial_namespaces {
            for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                // Cannot fail: the built-in Namespace kind may have been left out of the
                // registry, in which case there is nothing to create.
                let _ = store.apply(
                    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
                );
            }
        }
        let faults = Faults::default();
        let log = RequestLog::default();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let open_watches = Arc::new(AtomicUsize::new(0));
        let state = Arc::new(AppState {
            store: store.clone(),
            faults: faults.clone(),
            log: log.clone(),
            shutdown: shutdown_rx.clone(),
            bookmark_interval: config.bookmark_interval,
            open_watches: Arc::clone(&open_watches),
            max_body_bytes: config.max_body_bytes,
            address: addr.to_string(),
        });
        let (commands, commands_rx) = mpsc::channel(4);
        let accept = tokio::spawn(accept_loop(
            listener,
            addr,
            state,
            commands_rx,
            shutdown_rx,
            config.shutdown_grace,
        ));
        tracing::info!(%addr, "API server listening");
        Ok(ApiServer {
            addr,
            url: format!("http://{addr}"),
            store,
            faults,
            log,
            commands,
            shutdown,
            open_watches,
            accept: Some(accept),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Direct access to the objects, without HTTP.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The request log.
    pub fn requests(&self) -> &RequestLog {
        &self.log
    }

    /// How many watch streams are open now (a watch counts from its request until its
    /// stream ends), e.g. to wait until [`Faults::close_watches`] has taken effect.
    pub fn open_watches(&self) -> usize {
        self.open_watches.load(Ordering::SeqCst)
    }

    /// A kubeconfig (YAML) whose current context points at this server, with namespace
    /// `default` and no credentials: write it to a file for `kubectl --kubeconfig`.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: ingress-apiserver\n  cluster:\n    server: {url}\n\
             contexts:\n- name: ingress-apiserver\n  context:\n    cluster: ingress-apiserver\n    namespace: default\n    user: ingress-apiserver\n\
             current-context: ingress-apiserver\nusers:\n- name: ingress-apiserver\n  user: {{}}\n",
            url = self.url
        )
    }

    /// Stop serving, as if the server went away: close the listening socket (new
    /// connections are refused) and cut every open connection, watches included. Returns
    /// once that is done. The objects stay; [`ApiServer::resume`] serves them again on the
    /// same port.
    pub async fn pause(&self) -> Result<(), ServerError> {
        let (ack, done) = oneshot::channel();
        self.commands
            .send(Command::Pause(ack))
            .await
            .map_err(|_| ServerError::Stopped)?;
        done.await.map_err(|_| ServerError::Stopped)
    }

    /// Listen again on the same address after [`ApiServer::pause`] (no-op if not paused).
    /// Fails if the port was taken meanwhile.
    pub async fn resume(&self) -> Result<(), ServerError> {
        let (ack, done) = oneshot::channel();
        self.commands
            .send(Command::Resume(ack))
            .await
            .map_err(|_| ServerError::Stopped)?;
        done.await.map_err(|_| ServerError::Stopped)?
    }

    /// Stop: end every watch (cleanly), stop accepting, let open connections finish within
    /// [`ServerConfig::shutdown_grace`], then cut the rest.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(accept) = self.accept.take() {
            let _ = accept.await;
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    state: Arc<AppState>,
    mut commands: mpsc::Receiver<Command>,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
) {
    let mut listener = Some(listener);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = accept(listener.as_ref()) => match accepted {
                Ok(stream) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&state), shutdown.clone()));
                }
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            command = commands.recv() => match command {
                Some(Command::Pause(ack)) => {
                    listener = None;
                    connections.abort_all();
                    while connections.join_next().await.is_some() {}
                    let _ = ack.send(());
                }
                Some(Command::Resume(ack)) => {
                    let result = match listener {
                        Some(_) => Ok(()),
                        None => match TcpListener::bind(addr).await {
                            Ok(bound) => {
                                listener = Some(bound);
                                Ok(())
                            }
                            Err(source) => Err(ServerError::Bind { addr, source }),
                        },
                    };
                    let _ = ack.send(result);
                }
                None => break,
            },
            () = stopped(&mut shutdown) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    tracing::info!(%addr, "API server stopped");
}

/// Resolves once the shutdown flag is set (or its sender is gone).
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}

async fn accept(listener: Option<&TcpListener>) -> std::io::Result<TcpStream> {
    match listener {
        Some(listener) => listener.accept().await.map(|(stream, _)| stream),
        None => std::future::pending().await,
    }
}

async fn serve_connection(
    stream: TcpStream,
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Infallible>(handle(state, request).await) }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(%err, "connection ended with an error");
            }
        }
        () = stopped(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
