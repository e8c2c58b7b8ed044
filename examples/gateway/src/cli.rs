//! The command line: static mode (`-f FILE|DIR... --listen ADDR`), live mode (`--kube`) and
//! the demo (`--demo`).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::Parser;

use crate::config::EndpointsArg;
use crate::profile::ProfileArg;

/// The controller name the gateway's IngressClasses name in `spec.controller`.
pub const DEFAULT_CONTROLLER: &str = "example.com/ingress-gateway";

/// `ingress-gateway`: a reverse proxy routing by Ingress manifests.
///
/// Static mode serves the Ingresses of the given files; backends come from the Services and
/// EndpointSlices in them and from `--endpoints`. `--demo` also starts an echo backend for every
/// replica of every Deployment in the files and wires the Services to them. `--kube` follows a
/// cluster instead (kubeconfig or in-cluster).
#[derive(Clone, Debug, Parser)]
#[command(name = "ingress-gateway", version, about, long_about = None)]
pub struct Args {
    /// Manifest files or directories (YAML or JSON; directories are read recursively).
    /// Not needed with `--kube` (the cluster is the configuration).
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE|DIR",
        required_unless_present = "kube"
    )]
    pub files: Vec<PathBuf>,

    /// Address to serve HTTP/1.1 and HTTP/2 (prior knowledge) on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Endpoints of a Service port: `NS/SERVICE:PORT=ADDR[,ADDR...]` (`PORT` the Service port's
    /// number or name, `ADDR` an `IP:PORT` to connect to). Repeatable.
    #[arg(long = "endpoints", value_name = "NS/SERVICE:PORT=ADDR[,ADDR...]")]
    pub endpoints: Vec<EndpointsArg>,

    /// The controller name this gateway answers to in IngressClasses' `spec.controller`.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_CONTROLLER)]
    pub controller: String,

    /// Whose routing semantics: `spec` (Kubernetes Ingress v1 as written) or `ingress-nginx`
    /// (what ingress-nginx did with the same Ingresses, with its redirects, `rewrite-target`
    /// and canaries), for a migration off ingress-nginx.
    #[arg(long, value_name = "PROFILE", default_value = "spec")]
    pub profile: ProfileArg,

    /// Ignore Ingresses that name no class. By default static mode serves them: files handed
    /// to the gateway are meant for it.
    #[arg(long)]
    pub ignore_classless: bool,

    /// Give up on an upstream that has not connected after this long (504).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// Give up on an upstream whose response head has not arrived after this long (504), or
    /// whose response body has sent nothing for this long (the body is cut). nginx's
    /// `proxy_read_timeout`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub response_timeout: Duration,

    /// Close an upgraded connection (a WebSocket) on which neither side has sent anything for
    /// this long. ingress-nginx closes WebSockets after its `proxy-read-timeout` (60 s).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub tunnel_idle_timeout: Duration,

    /// Close an idle pooled upstream connection after this long. ingress-nginx's
    /// `upstream-keepalive-timeout`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub upstream_keepalive_timeout: Duration,

    /// Answer `408` (and close the connection) when a request body sends nothing for this
    /// long. ingress-nginx's `client-body-timeout`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub client_body_timeout: Duration,

    /// Idle upstream connections kept per endpoint.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_idle_per_endpoint: usize,

    /// The most bytes of one request's head (431 beyond; at least 8192). ingress-nginx's
    /// `large-client-header-buffers: 4 8k`.
    #[arg(long, value_name = "BYTES", default_value_t = 32 * 1024, value_parser = parse_header_bytes)]
    pub max_header_bytes: usize,

    /// How long a request's head may take to arrive before the connection is closed (slow
    /// clients, slowloris). ingress-nginx's `client-header-timeout`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub client_header_timeout: Duration,

    /// Serving threads, each running the connections handed to it and its own upstream pool,
    /// as nginx's `worker_processes`. Default: one per core the process may use
    /// (`worker_processes auto`).
    #[arg(long, value_name = "N")]
    pub workers: Option<std::num::NonZeroUsize>,

    /// Client connections served at once per listener; more wait in the backlog.
    #[arg(long, value_name = "N", default_value_t = 16_384)]
    pub max_connections: usize,

    /// On SIGTERM or Ctrl-C: how long requests in flight (and WebSockets) may go on after the
    /// listeners close.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub drain_timeout: Duration,

    /// Serve `/healthz`, `/readyz` and Prometheus `/metrics` on this address (static and live
    /// mode).
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,

    /// Log every request (method, host, path, status, duration, Ingress, rule, backend) at
    /// `info`, target `ingress_gateway::access`.
    #[arg(long)]
    pub access_log: bool,

    /// The log's format on stderr: `text`, or `json` (one object per line).
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub log_format: LogFormat,

    /// Static mode: reload once the `-f` files have had no change for this long (SIGHUP
    /// reloads at once). A reload with a problem the served files did not have is refused.
    #[arg(long, value_name = "DURATION", default_value = "200ms", value_parser = parse_duration)]
    pub reload_debounce: Duration,

    /// Start an echo backend on loopback for every replica of every Deployment in the files,
    /// send the example requests, print the answers and curl commands, and serve until Ctrl-C.
    #[arg(long)]
    pub demo: bool,

    /// With `--demo`: exit after the printed checks, non-zero if an answer is not as expected.
    #[arg(long, requires = "demo")]
    pub check: bool,

    /// Live mode: follow a cluster through its API server (the kubeconfig, or the Pod's
    /// service account in-cluster). With `--demo`, the cluster is the demo's own: an
    /// in-process API server holding the files' objects, changed with `kubectl --server`.
    #[arg(long)]
    pub kube: bool,

    /// With `--demo --kube`: the address of the demo's API server (`127.0.0.1:0`: a free
    /// port, printed at start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0", requires_all = ["demo", "kube"])]
    pub apiserver_listen: SocketAddr,

    /// With `--kube`: watch Ingresses, Services, EndpointSlices and Secrets in this namespace
    /// only. Repeatable; default every namespace.
    #[arg(long = "namespace", value_name = "NS", requires = "kube")]
    pub namespaces: Vec<String>,

    /// With `--kube`: also serve Ingresses that name no class when no class of ours is the
    /// cluster default (ingress-nginx's flag of the same name).
    #[arg(long, requires = "kube")]
    pub watch_ingress_without_class: bool,

    /// With `--kube`: write this Service's addresses in the status of the Ingresses served.
    #[arg(
        long,
        value_name = "NS/NAME",
        requires = "kube",
        conflicts_with = "publish_addresses"
    )]
    pub publish_service: Option<ObjectName>,

    /// With `--kube`: write this IP or hostname in the status of the Ingresses served.
    /// Repeatable.
    #[arg(long = "publish-address", value_name = "ADDR", requires = "kube")]
    pub publish_addresses: Vec<String>,

    /// With `--kube`: hold this Lease (leader election). Every replica serves traffic; only
    /// the holder writes status and Events.
    #[arg(long, value_name = "NS/NAME", requires = "kube")]
    pub lease: Option<ObjectName>,

    /// With `--lease`: this replica's identity in the Lease. Default: `$POD_NAME`, else the
    /// host name.
    #[arg(long, value_name = "NAME", requires = "lease")]
    pub identity: Option<String>,

    /// Address to also serve HTTPS on (HTTP/1.1 and HTTP/2 by ALPN), with the certificates of
    /// the `kubernetes.io/tls` Secrets the Ingresses' `spec.tls` name, picked by SNI.
    #[arg(long, value_name = "ADDR")]
    pub tls_listen: Option<SocketAddr>,

    /// With `--tls-listen`: the `kubernetes.io/tls` Secret served to names no Secret covers
    /// (and to clients that send no name). Without it those handshakes fail.
    #[arg(long, value_name = "NS/NAME", requires = "tls_listen")]
    pub default_certificate: Option<ObjectName>,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (fields as fields), for log pipelines.
    Json,
}

/// `NAMESPACE/NAME` of an object, as `--publish-service` and `--lease` take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectName {
    /// The namespace.
    pub namespace: String,
    /// The name.
    pub name: String,
}

impl FromStr for ObjectName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.split_once('/') {
            Some((namespace, name))
                if !namespace.is_empty() && !name.is_empty() && !name.contains('/') =>
            {
                Ok(ObjectName {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                })
            }
            _ => Err(format!("`{text}`: expected NAMESPACE/NAME")),
        }
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// `--max-header-bytes`: 8 KiB (hyper's smallest buffer) to 16 MiB.
fn parse_header_bytes(text: &str) -> Result<usize, String> {
    let bytes: usize = text.trim().parse().map_err(|e| format!("`{text}`: {e}"))?;
    if (crate::server::MIN_HEADER_BYTES..=16 << 20).contains(&bytes) {
        Ok(bytes)
    } else {
        Err(format!("`{text}`: between 8192 and 16777216 bytes"))
    }
}

/// `250ms`, `5s`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}`: expected a number and a unit (ms, s, m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        other => Err(format!("`{text}`: unknown unit `{other}` (ms, s, m)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("5h").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn the_demo_needs_only_files() {
        let args = Args::try_parse_from(["ingress-gateway", "--demo", "-f", "x.yaml"]).unwrap();
        assert!(args.demo && !args.check);
        assert_eq!(args.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(args.controller, DEFAULT_CONTROLLER);
        assert_eq!(args.profile, ProfileArg::Spec);
        assert!(Args::try_parse_from(["ingress-gateway", "--check", "-f", "x"]).is_err());
        let args = ["ingress-gateway", "-f", "x", "--profile", "ingress-nginx"];
        let args = Args::try_parse_from(args).unwrap();
        assert_eq!(args.profile, ProfileArg::IngressNginx);
        let unknown = ["ingress-gateway", "-f", "x", "--profile", "traefik"];
        assert!(Args::try_parse_from(unknown).is_err());
    }

    #[test]
    fn files_are_required_unless_live() {
        assert!(Args::try_parse_from(["ingress-gateway"]).is_err());
        let args = Args::try_parse_from(["ingress-gateway", "--kube"]).unwrap();
        assert!(args.kube && args.files.is_empty() && args.namespaces.is_empty());
        // Live-mode flags mean nothing without --kube.
        assert!(Args::try_parse_from(["ingress-gateway", "-f", "x", "--namespace", "a"]).is_err());
        assert!(Args::try_parse_from(["ingress-gateway", "-f", "x", "--lease", "a/b"]).is_err());
        // The demo's own cluster: files optional (kubectl can apply them later).
        let args = Args::try_parse_from(["ingress-gateway", "--demo", "--kube"]).unwrap();
        assert!(args.demo && args.kube && args.files.is_empty());
        assert_eq!(args.apiserver_listen, "127.0.0.1:0".parse().unwrap());
        let apiserver = ["--apiserver-listen", "127.0.0.1:6443"];
        assert!(
            Args::try_parse_from(
                [&["ingress-gateway", "--demo", "-f", "x"][..], &apiserver].concat()
            )
            .is_err()
        );
    }

    #[test]
    fn live_flags_read_their_values() {
        let args = Args::try_parse_from([
            "ingress-gateway",
            "--kube",
            "--namespace=shop",
            "--namespace",
            "blog",
            "--publish-address=203.0.113.7",
            "--publish-address=lb.example.com",
            "--lease=ingress-system/gw",
            "--identity=gw-0",
        ])
        .unwrap();
        assert_eq!(args.namespaces, ["shop", "blog"]);
        assert_eq!(args.publish_addresses, ["203.0.113.7", "lb.example.com"]);
        let lease = args.lease.unwrap();
        assert_eq!(
            (lease.namespace.as_str(), lease.name.as_str()),
            ("ingress-system", "gw")
        );
        assert_eq!(args.identity.as_deref(), Some("gw-0"));
        // One source of addresses at a time.
        assert!(
            Args::try_parse_from([
                "ingress-gateway",
                "--kube",
                "--publish-service=a/b",
                "--publish-address=1.2.3.4"
            ])
            .is_err()
        );
    }

    #[test]
    fn tls_flags_read_their_values() {
        let args = Args::try_parse_from(["ingress-gateway", "-f", "x"]).unwrap();
        assert_eq!((args.tls_listen, args.default_certificate), (None, None));
        let args = Args::try_parse_from([
            "ingress-gateway",
            "-f",
            "x",
            "--tls-listen=127.0.0.1:8443",
            "--default-certificate=ingress/fallback",
        ])
        .unwrap();
        assert_eq!(args.tls_listen, Some("127.0.0.1:8443".parse().unwrap()));
        assert_eq!(
            args.default_certificate.unwrap().to_string(),
            "ingress/fallback"
        );
        // A default certificate means nothing without a TLS listener.
        let lone = ["ingress-gateway", "-f", "x", "--default-certificate=a/b"];
        assert!(Args::try_parse_from(lone).is_err());
    }

    #[test]
    fn object_names_need_a_namespace_and_a_name() {
        assert_eq!(
            "ns/name".parse::<ObjectName>().unwrap().to_string(),
            "ns/name"
        );
        for bad in ["name", "/name", "ns/", "a/b/c", ""] {
            let error = bad.parse::<ObjectName>().unwrap_err();
            assert!(error.contains("NAMESPACE/NAME"), "{bad}: {error}");
        }
    }
}
