//! Live mode (`--kube`): the routes follow a cluster through `ingress-kube`'s
//! [`Controller`]: its driver watches Ingresses, IngressClasses, Services, EndpointSlices and
//! Secrets and publishes index snapshots; the gateway starts serving on the first one (every
//! kind listed once, so it never starts on a table whose backends are still missing) and
//! stores each later one in its [`Routes`], without dropping a connection. A backend whose
//! EndpointSlices list no ready endpoint is a 503, as in static mode.
//!
//! With `--lease NS/NAME` the controller holds that Lease; only the holder writes Ingress
//! status (`--publish-service` / `--publish-address`) and Events, while every replica serves.
//! [`Live::stop`] stops the gateway first, then the controller, which releases the Lease so
//! that another replica takes over at once.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use ingress_kube::controller::{Controller, ControllerConfig};
use ingress_kube::driver::{DriverConfig, Namespaces};
use ingress_kube::index::IndexConfig;
use ingress_kube::lease::LeaseConfig;
use ingress_kube::status::Publish;
use tokio::task::JoinHandle;

use crate::admin::AdminState;
use crate::cli::Args;
use crate::routes::Routes;
use crate::server::Gateway;

/// Why live mode could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No kubeconfig and not in a cluster, or a kubeconfig that does not load.
    #[error("no Kubernetes client (kubeconfig or in-cluster service account): {0}")]
    Client(#[source] kube::Error),
    /// The controller stopped before its first snapshot.
    #[error("the controller stopped before its first snapshot")]
    Stopped,
    /// The gateway could not listen.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
}

/// The controller configuration of the command line: `--controller`, `--profile`,
/// `--watch-ingress-without-class`, `--namespace`, `--lease` (with [`identity`]),
/// `--publish-service` or `--publish-address`.
pub fn controller_config(args: &Args) -> ControllerConfig {
    let index = IndexConfig::new(args.controller.clone())
        .accept_classless(args.watch_ingress_without_class)
        .router(args.profile.config());
    let namespaces = if args.namespaces.is_empty() {
        Namespaces::All
    } else {
        Namespaces::List(args.namespaces.clone())
    };
    let mut config = ControllerConfig::new(DriverConfig::new(index).namespaces(namespaces));
    if let Some(lease) = &args.lease {
        config = config.lease(LeaseConfig::new(
            lease.namespace.clone(),
            lease.name.clone(),
            identity(args),
        ));
    }
    if let Some(service) = &args.publish_service {
        config = config.publish(Publish::Service {
            namespace: service.namespace.clone(),
            name: service.name.clone(),
        });
    } else if !args.publish_addresses.is_empty() {
        config = config.publish(Publish::Addresses(args.publish_addresses.clone()));
    }
    config
}

/// This replica's name in the Lease: `--identity`, else `$POD_NAME` (the Downward API, as
/// `examples/deploy/gateway.yaml` sets it), else the host name, else one made of the process
/// id.
pub fn identity(args: &Args) -> String {
    let non_empty = |s: String| {
        let s = s.trim().to_owned();
        (!s.is_empty()).then_some(s)
    };
    args.identity
        .clone()
        .and_then(non_empty)
        .or_else(|| std::env::var("POD_NAME").ok().and_then(non_empty))
        .or_else(|| std::env::var("HOSTNAME").ok().and_then(non_empty))
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .and_then(non_empty)
        })
        .unwrap_or_else(|| format!("ingress-gateway-{}", std::process::id()))
}

/// The gateway in live mode: the controller, the gateway serving its snapshots, and the task
/// that swaps each new one in.
#[derive(Debug)]
pub struct Live {
    gateway: Gateway,
    controller: Controller,
    follow: JoinHandle<()>,
}

impl Live {
    /// Starts the controller with `client`, waits for its first snapshot, then serves it on
    /// `--listen` (and `--tls-listen`, with the watched Secrets' certificates) and follows every
    /// later one. `Ok(None)` if `cancel` completes first (the
    /// controller is shut down, releasing anything it held).
    pub async fn start(
        client: kube::Client,
        args: &Args,
        cancel: impl Future<Output = ()>,
    ) -> Result<Option<Live>, LiveError> {
        let controller = Controller::start(client, controller_config(args));
        // Subscribed before the first snapshot, so that none published from here on is missed.
        let mut updates = controller.driver().subscribe();
        let first = tokio::select! {
            ready = controller.driver().ready() => ready,
            () = cancel => {
                controller.shutdown().await;
                return Ok(None);
            }
        };
        let first = match first {
            Ok(first) => first,
            Err(_) => {
                controller.shutdown().await;
                return Err(LiveError::Stopped);
            }
        };
        let routes = Arc::new(Routes::new(first));
        let mut gateway =
            match Gateway::bind(args.listen, routes.clone(), crate::proxy_options(args)).await {
                Ok(gateway) => gateway,
                Err(source) => {
                    controller.shutdown().await;
                    return Err(LiveError::Listen {
                        addr: args.listen,
                        source,
                    });
                }
            };
        if let Some(addr) = args.tls_listen {
            let options = crate::tls::TlsOptions::from_args(args);
            if let Err(source) = gateway.bind_tls(addr, &options).await {
                gateway.stop().await;
                controller.shutdown().await;
                return Err(LiveError::Listen { addr, source });
            }
        }
        let follow = tokio::spawn(async move {
            loop {
                let published = updates.borrow_and_update().clone();
                if let Some(snapshot) = published {
                    tracing::debug!(generation = snapshot.generation(), "serving a new snapshot");
                    routes.store(snapshot);
                }
                if updates.changed().await.is_err() {
                    return;
                }
            }
        });
        Ok(Some(Live {
            gateway,
            controller,
            follow,
        }))
    }

    /// The gateway's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.gateway.local_addr()
    }

    /// The gateway's TLS address (`--tls-listen`), when it has one.
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.gateway.tls_local_addr()
    }

    /// The routes served now.
    pub fn routes(&self) -> &Arc<Routes> {
        self.gateway.routes()
    }

    /// What the gateway counts.
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        self.gateway.metrics()
    }

    /// The controller: its driver's snapshots and errors, whether this replica leads.
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// Stops the gateway (draining requests in flight), then the controller (releasing the
    /// Lease).
    pub async fn stop(self) {
        self.gateway.stop().await;
        self.follow.abort();
        self.controller.shutdown().await;
    }
}

/// `--kube`: a client from the kubeconfig or the Pod's service account, then [`Live`] until
/// Ctrl-C or SIGTERM.
pub async fn run(args: &Args, admin: &AdminState) -> std::process::ExitCode {
    use std::process::ExitCode;
    let client = match kube::Client::try_default().await {
        Ok(client) => client,
        Err(e) => {
            tracing::error!("{}", LiveError::Client(e));
            return ExitCode::FAILURE;
        }
    };
    let signal = crate::shutdown_signal();
    tokio::pin!(signal);
    tracing::info!("live mode: waiting for the first snapshot of the cluster");
    let live = match Live::start(client, args, &mut signal).await {
        Ok(Some(live)) => live,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    admin.serving(live.metrics().clone());
    tracing::info!(
        "serving the cluster's Ingresses on http://{}",
        live.local_addr()
    );
    if let Some(addr) = live.tls_local_addr() {
        tracing::info!("and on https://{addr}");
    }
    signal.await;
    tracing::info!("stopping: draining connections, then releasing the Lease");
    live.stop().await;
    ExitCode::SUCCESS
}
