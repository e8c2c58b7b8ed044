//! `ingress-gateway`: a reverse proxy whose routing is `ingress-router` and whose backends
//! resolve through `ingress-kube`'s index, configured from Ingress manifests.
//!
//! ```text
//! ingress-gateway -f FILE|DIR... --listen ADDR [--endpoints NS/SERVICE:PORT=ADDR[,ADDR...]]...
//!                 [--reload-debounce DURATION]
//!                 [--tls-listen ADDR [--default-certificate NS/NAME]]
//! ingress-gateway --kube --listen ADDR [--namespace NS]... [--lease NS/NAME]
//!                 [--publish-service NS/NAME | --publish-address ADDR...]
//! ingress-gateway --demo [--kube] [-f FILE|DIR...] [--check]
//! (all modes: [--profile spec|ingress-nginx])
//! ```
//!
//! # How a request goes
//!
//! 1. [`server`]: hyper-util's auto server accepts HTTP/1.1 (keep-alive) and HTTP/2 with prior
//!    knowledge (h2c) on the listener, within its [`server::Limits`]: a request head over
//!    `--max-header-bytes` is a 431, one slower than `--client-header-timeout` loses its
//!    connection, and beyond `--max-connections` new connections wait. Each accepted
//!    connection is handed, in turn, to one of `--workers` serving threads ([`workers`], one
//!    per core by default), where it stays with everything it starts, upstream connections
//!    included.
//! 2. `ingress_router::tower::RouteLayer`, the tower layer any server can embed, checks the
//!    host and routes the request once, through the current index snapshot ([`routes::Routes`]),
//!    leaving a `Routing` in the request's extensions. `examples/embed.rs` in this package puts
//!    the same layer in a plain hyper server of its own
//!    (`cargo run -p ingress-gateway --example embed`).
//! 3. [`proxy`]: the service behind the layer answers a refused host with 400, no route with
//!    404, a backend without endpoints with 503, and `/healthz` itself when no path rule of the
//!    host claims it; otherwise it resolves the backend to the Service's endpoints, takes them
//!    in turn ([`balance`]: round robin per backend, skipping endpoints that recently refused
//!    or did not connect; a bodiless request is retried on the next one), and forwards it on a
//!    keep-alive HTTP/1.1 connection of the serving thread's own pool ([`pool`]):
//!    hop-by-hop headers removed, `X-Forwarded-For` appended, `X-Forwarded-Host`,
//!    `X-Forwarded-Proto`, `X-Real-IP` and a missing `X-Request-ID` set ([`headers`]), both
//!    bodies streamed, never
//!    buffered. A refused or broken upstream is a 502, one that does not connect or answer in
//!    time a 504.
//! 4. [`upgrade`]: an HTTP/1.1 request asking for an `Upgrade` (WebSocket) keeps its
//!    `Connection: upgrade` and `Upgrade` headers; when the upstream answers `101`, the client's
//!    and the upstream's connections are switched and joined, bytes copied both ways until
//!    either side closes, or neither sends anything for `--tunnel-idle-timeout` (60 s, as
//!    ingress-nginx's `proxy-read-timeout` for WebSockets). Any other answer is an ordinary response. The echo backend
//!    ([`echo`]) speaks WebSocket, echoing every message.
//!
//! 5. [`metrics`]: a layer between the two counts each request by Ingress, Service and status
//!    class (and logs it with `--access-log`); [`admin`] serves the counts on `/metrics`, with
//!    `/healthz` and `/readyz`, on `--admin-listen`.
//!
//! SIGTERM or Ctrl-C stops accepting and lets requests in flight finish, for up to
//! `--drain-timeout` (10 s), then closes what is left, WebSocket tunnels included.
//!
//! # TLS
//!
//! [`tls`]: with `--tls-listen ADDR` a second listener terminates TLS (tokio-rustls, the ring
//! provider) in front of the same layer and proxy. Its certificate resolver reads the current
//! snapshot on every handshake and serves, for the SNI name, the `kubernetes.io/tls` Secret of
//! the `spec.tls` entry that covers it (`Snapshot::certificate_for`), so certificates swap with
//! the table; each Secret's PEM is parsed into a rustls key once per content and cached, and a
//! Secret that does not parse is logged once and treated as missing. Names no usable Secret
//! covers, and clients that send no name, get `--default-certificate NS/NAME` (a TLS Secret of
//! the same snapshot) when it is given; otherwise their handshake fails rather than present a
//! certificate for another name. ALPN offers `h2` and `http/1.1`, a handshake not done in 10 s
//! is dropped, and requests that came over TLS reach the upstream with `X-Forwarded-Proto:
//! https`. Static mode takes the Secrets from the files (a reload reads them again with the
//! rest), live mode from the cluster (the controller already watches TLS Secrets).
//!
//! # Profiles
//!
//! [`profile`]: `--profile spec` (the default) routes by Kubernetes Ingress v1 as written.
//! `--profile ingress-nginx` routes as ingress-nginx did with the same Ingresses (the router's
//! ingress-nginx profile), for a migration off it, and then also answers its redirects
//! (trailing slash, `app-root`, `ssl-redirect` to HTTPS, with the listener's scheme), sends
//! upstreams the `rewrite-target` target, and hands canaries the requests their header,
//! cookie or weight takes, counting those under the canary's Ingress and Service.
//! `ingress-route diff` shows, before the switch, which requests the two profiles answer
//! differently.
//!
//! # Where the configuration comes from
//!
//! [`config`]: the files are loaded with `ingress-model` (every bad document is reported with
//! its file, document and field, and the rest is served), converted to k8s-openapi objects and
//! fed to one `ingress_kube::index::Index`, Ingresses, IngressClasses, Services,
//! EndpointSlices and Secrets alike. `--endpoints` arguments become the EndpointSlices (and,
//! for a Service the files lack, the selector-less Service) that the EndpointSlice controller
//! would have written, fed to the same index: one resolution code path, the cluster's rules.
//!
//! Which Ingresses are served is the index's class rule, with controller name `--controller`
//! (default `example.com/ingress-gateway`): those of an IngressClass of ours, and, in static
//! mode, those that name no class at all, since files handed to the gateway are meant for it
//! (`--ignore-classless` turns that off). An Ingress naming a class the files do not define as
//! ours is not served.
//!
//! # Hot reload
//!
//! [`reload`]: static mode watches every `-f` path (directories recursively, a file through
//! its directory, so that editors' rename-over saves and ConfigMap `..data` swaps are seen)
//! and reloads once changes have been quiet for `--reload-debounce` (200 ms), or at once on
//! SIGHUP. A reload rebuilds the table as the start did and swaps it in atomically: open
//! connections, WebSockets and requests in flight are untouched. An invalid edit is one whose
//! build has a problem the served table did not have (a YAML syntax error, a wrong field, an
//! unreadable path): it is refused, the served table kept, each new problem logged with its
//! file, document and field, and counted ([`reload::ReloadStats`]).
//!
//! # Live mode
//!
//! [`live`]: with `--kube` the configuration is a cluster, reached through the kubeconfig or,
//! in a Pod, its service account (`kube::Client::try_default`). `ingress-kube`'s controller
//! watches Ingresses, IngressClasses, Services, EndpointSlices and Secrets (in every namespace,
//! or each `--namespace`), feeds the same index as static mode, and publishes snapshots; the
//! gateway starts serving on the first one, once every kind has been listed, and swaps each
//! later one into its [`routes::Routes`] without dropping a connection. Traffic goes to the
//! ready endpoints of the EndpointSlices; a rule whose Service has none is a 503.
//!
//! Only Ingresses of an IngressClass whose `spec.controller` is `--controller` are served
//! (class-less ones too when such a class is the cluster default, or with
//! `--watch-ingress-without-class`). `--lease NS/NAME` turns on leader election (identity
//! `--identity`, else `$POD_NAME`, else the host name): every replica serves, the holder writes
//! `status.loadBalancer` (`--publish-service NS/NAME` or `--publish-address ADDR`) and Events.
//! SIGTERM or Ctrl-C stops the gateway (draining), then the controller, which releases the
//! Lease. `examples/deploy/gateway.yaml` runs it this way; `tests/end_to_end/live.rs` runs it in-process
//! against `ingress-apiserver` with kubectl editing and deleting Ingresses.
//!
//! # The demo
//!
//! [`demo`]: `--demo` starts an echo backend on loopback for every replica of every Deployment
//! in the files, wires the Services that select them, serves, and sends the requests the
//! manifests call for, printing each answer. `--demo --kube` does the same the way a cluster
//! does it ([`demo::cluster`]): the objects go into `ingress-apiserver` on loopback, the demo
//! plays kubelet and the EndpointSlice controller for whatever is stored there (whoever wrote
//! it), and the gateway runs in live mode against that server, so `kubectl --server URL apply`,
//! `patch` and `delete` change what it serves without a restart. The demo's cluster starts
//! with the IngressClass `gateway` of `examples/deploy/gateway.yaml` (ours and the default),
//! and the gateway publishes its own listen address in the status of what it serves.
//!
//! # In a test
//!
//! Everything runs in-process: bind `127.0.0.1:0`, build the routes, spawn the gateway.
//!
//! ```
//! use std::sync::Arc;
//!
//! use clap::Parser;
//! use ingress_gateway::cli::Args;
//! use ingress_gateway::routes::Routes;
//! use ingress_gateway::server::Gateway;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let manifests = concat!(env!("CARGO_MANIFEST_DIR"), "/../manifests/echo.yaml");
//! let args = Args::try_parse_from(["ingress-gateway", "-f", manifests, "--listen", "127.0.0.1:0"])?;
//! let mut built = ingress_gateway::config::build(&args);
//! assert!(built.problems.is_empty());
//! let routes = Arc::new(Routes::new(built.index.snapshot().snapshot));
//! let gateway = Gateway::bind(args.listen, routes, ingress_gateway::proxy_options(&args)).await?;
//! assert!(gateway.local_addr().port() != 0);
//! gateway.stop().await;
//! # Ok(())
//! # }
//! ```

pub mod admin;
pub mod balance;
pub mod cli;
pub mod config;
pub mod demo;
pub mod echo;
pub mod headers;
pub mod idle;
pub mod live;
pub mod metrics;
pub mod pool;
pub mod profile;
pub mod proxy;
pub mod reload;
pub mod routes;
pub mod server;
pub mod tls;
pub mod upgrade;
pub mod workers;

use std::process::ExitCode;
use std::sync::Arc;

use crate::admin::{Admin, AdminState};
use crate::cli::Args;
use crate::proxy::ProxyOptions;
use crate::routes::Routes;
use crate::server::Gateway;

/// The proxy options of the command line.
pub fn proxy_options(args: &Args) -> ProxyOptions {
    ProxyOptions {
        connect_timeout: args.connect_timeout,
        response_timeout: args.response_timeout,
        tunnel_idle_timeout: args.tunnel_idle_timeout,
        client_body_timeout: args.client_body_timeout,
        upstream_keepalive_timeout: args.upstream_keepalive_timeout,
        max_idle_per_endpoint: args.max_idle_per_endpoint,
        access_log: args.access_log,
        limits: server::Limits {
            max_header_bytes: args.max_header_bytes,
            header_timeout: args.client_header_timeout,
            max_connections: args.max_connections,
            drain: args.drain_timeout,
        },
        workers: args
            .workers
            .map_or_else(workers::Workers::default_count, std::num::NonZeroUsize::get),
    }
}

/// The binary: static mode, live mode with `--kube`, or the demo with `--demo`. Logs what it
/// skipped, serves until Ctrl-C or SIGTERM, then drains. With `--admin-listen`, the admin
/// listener runs beside it from the start ([`admin`]).
pub async fn run(args: Args) -> ExitCode {
    let state = Arc::new(AdminState::default());
    let admin = match args.admin_listen {
        None => None,
        Some(addr) => match Admin::bind(addr, state.clone()).await {
            Ok(admin) => {
                tracing::info!("admin listener on http://{}", admin.local_addr());
                Some(admin)
            }
            Err(e) => {
                tracing::error!("cannot listen on {addr} (--admin-listen): {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let code = if args.demo {
        demo::run(&args).await
    } else if args.kube {
        live::run(&args, &state).await
    } else {
        serve_files(&args, &state).await
    };
    if let Some(admin) = admin {
        admin.stop().await;
    }
    code
}

/// Static mode.
async fn serve_files(args: &Args, state: &AdminState) -> ExitCode {
    let mut built = config::build(args);
    for problem in &built.problems {
        tracing::warn!("skipped: {problem}");
    }
    let routes = Arc::new(Routes::new(built.index.snapshot().snapshot));
    let mut gateway = match Gateway::bind(args.listen, routes, proxy_options(args)).await {
        Ok(gateway) => gateway,
        Err(e) => {
            tracing::error!("cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    if let Some(addr) = args.tls_listen
        && let Err(e) = gateway
            .bind_tls(addr, &tls::TlsOptions::from_args(args))
            .await
    {
        tracing::error!("cannot listen on {addr}: {e}");
        return ExitCode::FAILURE;
    }
    state.serving(gateway.metrics().clone());
    tracing::info!(
        "serving {} Ingresses on http://{}",
        built.manifests.ingresses.len(),
        gateway.local_addr()
    );
    if let Some(addr) = gateway.tls_local_addr() {
        tracing::info!("and on https://{addr}");
    }
    let reloader = Arc::new(
        reload::Reloader::new(args.clone(), gateway.routes().clone(), &built.problems)
            .with_metrics(gateway.metrics().clone()),
    );
    drop(built);
    let watch = reload::Watch::spawn(reloader, args.reload_debounce, true);
    shutdown_signal().await;
    tracing::info!("stopping: draining connections");
    watch.stop().await;
    gateway.stop().await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM on Unix (what a container runtime sends).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
