//! `--demo`: the founding example on a laptop. Every replica of every Deployment in the files
//! becomes an in-process echo backend on loopback, the Services that select them get
//! EndpointSlices pointing there (fed to the same index as in static mode), the gateway starts,
//! and the demo sends the example's requests itself and prints each answer.
//!
//! The checks come from the manifests, never from a list of their own: one request per path
//! of every Ingress rule with a host (as many times as it has endpoints, up to 3, to show the
//! round robin), one for a host no rule has (`unknown.invalid`), and `/healthz` on the
//! gateway's own address. Each answer is compared with what the index says the request should
//! get: a replica of the Service the rule names, or the gateway's 404, 503 or health answer.
//!
//! With `--kube` the same demo runs as the founding example's cluster does ([`cluster`]): the
//! manifests go into an in-process API server on loopback, the demo plays kubelet and the
//! EndpointSlice controller for what is stored there, and the gateway runs in live mode as a
//! client of that server, so that `kubectl --server URL apply|patch|delete` changes what it
//! serves without a restart.

pub mod cluster;
mod deployments;

pub use cluster::Cluster;
pub use deployments::{Deployment, read_deployments};

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ingress_kube::index::Resolved;
use ingress_router::RequestView;

use crate::cli::Args;
use crate::config;
use crate::echo::{Echo, EchoReply};
use crate::live::{Live, LiveError};
use crate::proxy::HEALTHZ;
use crate::routes::Routes;
use crate::server::Gateway;

/// A host no Ingress of the demo is expected to have (`.invalid` is reserved, RFC 2606).
pub const UNKNOWN_HOST: &str = "unknown.invalid";

/// How long one check waits for its answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// An echo replica could not bind loopback.
    #[error("starting echo replica {replica}: {source}")]
    Echo {
        /// The replica.
        replica: String,
        /// Why.
        source: io::Error,
    },
    /// The gateway could not listen.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The demo's API server could not start (`--demo --kube`).
    #[error("starting the demo's API server on {addr}: {source}")]
    ApiServer {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: ingress_apiserver::ServerError,
    },
    /// No `kube::Client` for the demo's API server (`--demo --kube`).
    #[error("a client of the demo's API server: {0}")]
    Client(String),
    /// The gateway could not follow the demo's API server (`--demo --kube`).
    #[error("live mode against the demo's API server: {0}")]
    Live(#[from] LiveError),
}

/// One request the demo sends, and what should answer it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The `Host` header.
    pub host: String,
    /// The path.
    pub path: String,
    /// What should answer.
    pub expect: Expect,
}

/// What should answer a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A 200 from one of these replicas of this Service.
    Replica {
        /// `namespace/name` of the Service.
        service: String,
        /// The replicas behind it.
        replicas: BTreeSet<String>,
    },
    /// The gateway's own answer with this status.
    Status(u16),
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Replica { service, .. } => write!(f, "200 from a replica of {service}"),
            Expect::Status(status) => write!(f, "{status} from the gateway"),
        }
    }
}

/// A check's answer.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The check.
    pub check: Check,
    /// The status, or why there was none.
    pub status: Result<u16, String>,
    /// The replica that answered, for an echo reply.
    pub replica: Option<String>,
    /// The first line of the body.
    pub first_line: String,
}

impl Outcome {
    /// Whether the answer is the expected one.
    pub fn ok(&self) -> bool {
        match (&self.check.expect, &self.status) {
            (Expect::Replica { replicas, .. }, Ok(200)) => {
                self.replica.as_ref().is_some_and(|r| replicas.contains(r))
            }
            (Expect::Status(want), Ok(got)) => want == got && self.replica.is_none(),
            _ => false,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.ok() { "ok  " } else { "FAIL" };
        write!(
            f,
            "{verdict} GET http://{}{} -> ",
            self.check.host, self.check.path
        )?;
        match &self.status {
            Ok(status) => write!(f, "{status} {}", self.first_line)?,
            Err(e) => write!(f, "no answer ({e})")?,
        }
        write!(f, "   (expected {})", self.check.expect)
    }
}

/// The running demo: echo replicas, the gateway, and the checks.
#[derive(Debug)]
pub struct Demo {
    serving: Serving,
    checks: Vec<Check>,
}

/// What serves the demo.
#[derive(Debug)]
enum Serving {
    /// `--demo`: the gateway in static mode over the files, and the replicas.
    Static { gateway: Gateway, echoes: Vec<Echo> },
    /// `--demo --kube`: the gateway in live mode, and the cluster it follows (boxed: the
    /// pair is large beside the static variant).
    Kube(Box<(Live, Cluster)>),
}

impl Demo {
    /// Starts everything for `args` (`--listen` and `--apiserver-listen` may be
    /// `127.0.0.1:0`): with `--kube` the cluster and the gateway in live mode, otherwise the
    /// replicas and the gateway in static mode.
    pub async fn start(args: &Args) -> Result<Demo, DemoError> {
        if args.kube {
            Demo::start_kube(args).await
        } else {
            Demo::start_static(args).await
        }
    }

    async fn start_static(args: &Args) -> Result<Demo, DemoError> {
        let mut built = config::build(args);
        for problem in &built.problems {
            tracing::warn!("skipped: {problem}");
        }
        let (deployments, problems) = read_deployments(&args.files);
        for problem in &problems {
            tracing::warn!("skipped: {problem}");
        }

        // Which Services select which Deployments' Pods.
        let mut selected_by: Vec<Vec<String>> = vec![Vec::new(); deployments.len()];
        for service in &built.manifests.services {
            let s = &service.object;
            for (i, d) in deployments.iter().enumerate() {
                if d.selected_by(s.metadata.namespace(), &s.spec.selector) {
                    selected_by[i].push(format!(
                        "{}/{}",
                        s.metadata.namespace(),
                        s.metadata.name()
                    ));
                }
            }
        }
        // One echo per replica, named as a Pod of its Deployment would be, in order.
        let mut echoes = Vec::new();
        let mut pods: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (d, services) in deployments.iter().zip(&selected_by) {
            let stands_for = if services.is_empty() {
                format!("(no Service selects {}/{})", d.namespace, d.name)
            } else {
                services.join(",")
            };
            for i in 1..=d.replicas {
                let replica = format!("{}-{i}", d.name);
                let echo = Echo::start(&replica, &stands_for)
                    .await
                    .map_err(|source| DemoError::Echo { replica, source })?;
                pods.entry((d.namespace.clone(), d.name.clone()))
                    .or_default()
                    .push(echoes.len());
                echoes.push(echo);
            }
        }
        // The EndpointSlice controller's part: a slice per Service port and replica.
        for service in &built.manifests.services {
            let s = &service.object;
            let (namespace, name) = (s.metadata.namespace(), s.metadata.name());
            for d in deployments
                .iter()
                .filter(|d| d.selected_by(namespace, &s.spec.selector))
            {
                let replicas = pods
                    .get(&(d.namespace.clone(), d.name.clone()))
                    .map_or(&[][..], Vec::as_slice);
                for (p, port) in s.spec.ports.iter().enumerate() {
                    for &r in replicas {
                        let addr = echoes[r].local_addr();
                        let slice = config::slice(
                            namespace,
                            name,
                            &format!("{name}-{}-{p}", echoes[r].name),
                            "IPv4",
                            port.name.as_deref().unwrap_or(""),
                            addr.port(),
                            &[addr.ip()],
                        );
                        for error in built.index.apply(slice).errors {
                            tracing::warn!("skipped: {error}");
                        }
                    }
                }
            }
        }

        let snapshot = built.index.snapshot().snapshot;
        let routes = Arc::new(Routes::new(snapshot));
        let gateway = Gateway::bind(args.listen, routes, crate::proxy_options(args))
            .await
            .map_err(|source| DemoError::Listen {
                addr: args.listen,
                source,
            })?;
        let replica_of: HashMap<SocketAddr, String> = echoes
            .iter()
            .map(|e| (e.local_addr(), e.name.clone()))
            .collect();
        let checks = checks(
            &built.manifests,
            &gateway.routes().load(),
            gateway.local_addr(),
            &replica_of,
        );
        Ok(Demo {
            serving: Serving::Static { gateway, echoes },
            checks,
        })
    }

    async fn start_kube(args: &Args) -> Result<Demo, DemoError> {
        let (cluster, problems) =
            Cluster::start(args.apiserver_listen, &args.controller, &args.files).await?;
        for problem in &problems {
            tracing::warn!("skipped: {problem}");
        }
        let client = cluster.client()?;
        // The gateway's own address in the status of the Ingresses it serves, unless told.
        let mut live_args = args.clone();
        if live_args.publish_service.is_none() && live_args.publish_addresses.is_empty() {
            live_args.publish_addresses = vec![args.listen.ip().to_string()];
        }
        let live = Live::start(client, &live_args, std::future::pending())
            .await?
            .ok_or(DemoError::Live(LiveError::Stopped))?;
        // The checks come from the files, as the API server held them at the start.
        let manifests = config::build(args).manifests;
        let replica_of = cluster::replica_of(&cluster.replicas());
        let checks = checks(
            &manifests,
            &live.routes().load(),
            live.local_addr(),
            &replica_of,
        );
        Ok(Demo {
            serving: Serving::Kube(Box::new((live, cluster))),
            checks,
        })
    }

    /// The gateway's address.
    pub fn local_addr(&self) -> SocketAddr {
        match &self.serving {
            Serving::Static { gateway, .. } => gateway.local_addr(),
            Serving::Kube(kube) => kube.0.local_addr(),
        }
    }

    /// The demo's cluster, with `--kube`.
    pub fn cluster(&self) -> Option<&Cluster> {
        match &self.serving {
            Serving::Static { .. } => None,
            Serving::Kube(kube) => Some(&kube.1),
        }
    }

    /// The checks the demo sends.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The echo replicas running now, in start order (Deployment order with `--kube`).
    pub fn replicas(&self) -> Vec<String> {
        match &self.serving {
            Serving::Static { echoes, .. } => echoes.iter().map(|e| e.name.clone()).collect(),
            Serving::Kube(kube) => kube
                .1
                .replicas()
                .into_iter()
                .map(|(name, _)| name)
                .collect(),
        }
    }

    /// Sends every check through the gateway and reads the answers.
    pub async fn run_checks(&self) -> Vec<Outcome> {
        let client: Client<HttpConnector, Empty<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let mut outcomes = Vec::with_capacity(self.checks.len());
        for check in &self.checks {
            let (status, text) =
                match send(&client, self.local_addr(), &check.host, &check.path).await {
                    Ok((status, text)) => (Ok(status.as_u16()), text),
                    Err(e) => (Err(e), String::new()),
                };
            let reply = EchoReply::parse(&text);
            outcomes.push(Outcome {
                check: check.clone(),
                status,
                replica: reply.map(|r| r.replica),
                first_line: text.lines().next().unwrap_or("").to_owned(),
            });
        }
        outcomes
    }

    /// The curl commands a person can try, one per distinct check host.
    pub fn curl_commands(&self) -> Vec<String> {
        let addr = self.local_addr();
        let mut seen = BTreeSet::new();
        let mut commands = Vec::new();
        for check in &self.checks {
            if check.path == HEALTHZ && check.host == addr.to_string() {
                commands.push(format!("curl -I http://{addr}{HEALTHZ}"));
            } else if seen.insert((check.host.clone(), check.path.clone())) {
                commands.push(format!(
                    "curl -H 'Host: {}' http://{addr}{}",
                    check.host, check.path
                ));
            }
        }
        commands
    }

    /// Stops the gateway, then the replicas (and with `--kube` the controller, then the
    /// cluster).
    pub async fn stop(self) {
        match self.serving {
            Serving::Static { gateway, echoes } => {
                gateway.stop().await;
                for echo in echoes {
                    echo.stop().await;
                }
            }
            Serving::Kube(kube) => {
                let (live, cluster) = *kube;
                live.stop().await;
                cluster.stop().await;
            }
        }
    }

    /// The `kubectl` commands with which a person changes the demo's cluster (`--kube`), made
    /// of the objects the files hold: watch the Ingresses, apply and delete each file, scale a
    /// Deployment, look at the slices the demo wrote.
    pub fn kubectl_commands(&self, args: &Args) -> Vec<String> {
        let Some(cluster) = self.cluster() else {
            return Vec::new();
        };
        let kubectl = format!("kubectl --server {}", cluster.url());
        let mut commands = vec![
            format!("{kubectl} get ingress,deployments,services,pods -A"),
            format!("{kubectl} get ingress -A -w"),
        ];
        for file in &args.files {
            commands.push(format!(
                "{kubectl} apply --validate=false -f {}",
                file.display()
            ));
        }
        let (deployments, _) = read_deployments(&args.files);
        if let Some(d) = deployments.first() {
            commands.push(format!(
                "{kubectl} -n {} patch deployment {} -p '{{\"spec\":{{\"replicas\":1}}}}'",
                d.namespace, d.name
            ));
        }
        commands.push(format!(
            "{kubectl} get endpointslices -A -l endpointslice.kubernetes.io/managed-by={}",
            cluster::MANAGED_BY
        ));
        for file in &args.files {
            commands.push(format!("{kubectl} delete -f {}", file.display()));
        }
        commands
    }
}

/// The checks: every path of every Ingress rule with a plain host (as many times as it has
/// endpoints, up to 3), an unknown host, and `/healthz` on the gateway's address. What should
/// answer is what the index routes the request to.
fn checks(
    manifests: &ingress_model::Manifests,
    snapshot: &ingress_kube::index::Snapshot,
    gateway: SocketAddr,
    replica_of: &HashMap<SocketAddr, String>,
) -> Vec<Check> {
    let mut requests: Vec<(String, String)> = Vec::new();
    for ingress in &manifests.ingresses {
        for rule in &ingress.object.spec.rules {
            let Some(host) = rule.host.as_deref().filter(|h| !h.starts_with("*.")) else {
                continue;
            };
            for path in rule.http.iter().flat_map(|h| &h.paths) {
                let path = path.path.as_deref().unwrap_or("/");
                if !requests.iter().any(|(h, p)| h == host && p == path) {
                    requests.push((host.to_owned(), path.to_owned()));
                }
            }
        }
    }
    requests.push((UNKNOWN_HOST.to_owned(), "/".to_owned()));
    requests.push((gateway.to_string(), HEALTHZ.to_owned()));

    let mut checks = Vec::new();
    for (host, path) in requests {
        let routed = snapshot.route(&RequestView::new(&host, &path));
        let (expect, times) = match (routed.resolved, routed.error_status()) {
            _ if path == HEALTHZ && routed.decision.rule().is_none() => (Expect::Status(200), 1),
            (Some(Resolved::Endpoints(endpoints)), _) => {
                let service = routed
                    .decision
                    .backend()
                    .map_or_else(String::new, |b| match b {
                        ingress_kube::index::Backend::Service(s) => s.service.to_string(),
                        other => other.to_string(),
                    });
                let replicas: BTreeSet<String> = endpoints
                    .iter()
                    .filter_map(|e| replica_of.get(e).cloned())
                    .collect();
                let times = replicas.len().clamp(1, 3);
                (Expect::Replica { service, replicas }, times)
            }
            (_, Some(status)) => (Expect::Status(status), 1),
            // An ExternalName: nothing the demo can check on loopback.
            (_, None) => continue,
        };
        for _ in 0..times {
            checks.push(Check {
                host: host.clone(),
                path: path.clone(),
                expect: expect.clone(),
            });
        }
    }
    checks
}

/// One GET through the gateway with a `Host` header, bounded in time.
async fn send(
    client: &Client<HttpConnector, Empty<Bytes>>,
    gateway: SocketAddr,
    host: &str,
    path: &str,
) -> Result<(StatusCode, String), String> {
    let request = Request::get(format!("http://{gateway}{path}"))
        .header("host", host)
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let response = client.request(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok((
            status,
            String::from_utf8_lossy(&body.to_bytes()).into_owned(),
        ))
    };
    tokio::time::timeout(CHECK_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {CHECK_TIMEOUT:?}"))?
}

/// `--demo`: start, print the checks' answers and the curl commands, then serve until Ctrl-C
/// (or, with `--check`, stop and exit non-zero if an answer was not as expected).
pub async fn run(args: &Args) -> ExitCode {
    let demo = match Demo::start(args).await {
        Ok(demo) => demo,
        Err(e) => {
            tracing::error!("demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("echo replicas on loopback: {}", demo.replicas().join(", "));
    println!("ingress-gateway listening on http://{}", demo.local_addr());
    println!();
    let outcomes = demo.run_checks().await;
    for outcome in &outcomes {
        println!("{outcome}");
    }
    let failed = outcomes.iter().filter(|o| !o.ok()).count();
    println!();
    if failed == 0 {
        println!("all {} checks passed", outcomes.len());
    } else {
        println!("{failed} of {} checks FAILED", outcomes.len());
    }
    if args.check {
        demo.stop().await;
        return if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    println!();
    println!("try:");
    for command in demo.curl_commands() {
        println!("  {command}");
    }
    if let Some(cluster) = demo.cluster() {
        println!();
        println!(
            "the demo's cluster is an API server on {}; change it with kubectl and watch the \
             gateway follow, without a restart:",
            cluster.url()
        );
        for command in demo.kubectl_commands(args) {
            println!("  {command}");
        }
    }
    println!();
    println!("serving until Ctrl-C");
    crate::shutdown_signal().await;
    demo.stop().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(expect: Expect, status: Result<u16, String>, replica: Option<&str>) -> Outcome {
        Outcome {
            check: Check {
                host: "h".into(),
                path: "/".into(),
                expect,
            },
            status,
            replica: replica.map(str::to_owned),
            first_line: String::new(),
        }
    }

    #[test]
    fn only_the_expected_answer_passes() {
        let v1 = Expect::Replica {
            service: "default/echo-v1".into(),
            replicas: BTreeSet::from(["echo-v1-1".to_owned()]),
        };
        assert!(outcome(v1.clone(), Ok(200), Some("echo-v1-1")).ok());
        assert!(!outcome(v1.clone(), Ok(200), Some("echo-v2-1")).ok());
        assert!(!outcome(v1.clone(), Ok(502), None).ok());
        assert!(!outcome(v1, Err("timeout".into()), None).ok());
        assert!(outcome(Expect::Status(404), Ok(404), None).ok());
        assert!(!outcome(Expect::Status(404), Ok(200), None).ok());
        // A backend answering in the gateway's place is not the gateway's answer.
        assert!(!outcome(Expect::Status(200), Ok(200), Some("echo-v1-1")).ok());
        let shown = outcome(Expect::Status(404), Ok(200), None).to_string();
        assert!(shown.starts_with("FAIL GET http://h/ -> 200"), "{shown}");
    }
}
