//! The gateway against a real nginx, on loopback, for the founding example: the same echo
//! backends (3 replicas of echo-v1, 3 of echo-v2) reached directly, through `ingress-gateway`
//! (the binary, as a process of its own) and through Debian's `nginx` configured as
//! ingress-nginx would configure it for the same Ingresses (one `server` per host, a catch-all
//! `server` answering 404, an `upstream` per Service port with `keepalive`,
//! `proxy_http_version 1.1`, the `X-Forwarded-*` headers, access logs off), driven by `wrk`.
//!
//! * `nginx_and_the_gateway_agree_and_carry_load` (CI): both answer the example's requests
//!   alike (v1 -> an echo-v1 replica, v2 -> echo-v2, an unknown host -> 404), then one second
//!   of load on each with no error and no non-2xx answer: the harness works, and nginx's
//!   configuration is the equivalent one.
//! * `under_churn_the_gateway_fails_no_request_and_keeps_its_websockets` (CI): two seconds of
//!   load while the configuration changes 10 times a second (a new host each time: a file
//!   rewritten under the gateway's hot reload; nginx.conf rewritten and `nginx -s reload`),
//!   with a WebSocket open through each: the gateway fails no request and keeps the socket.
//! * `load_against_nginx`, `churn_against_nginx` and `scale_against_nginx` (ignored; the
//!   benchmarks, by hand): requests/s and p50 / p99 / p99.9 of each and the ratios gateway /
//!   nginx; the same churn for 30 s (failed requests, p99, WebSocket drops); and 10 000
//!   Ingresses written -> served (the gateway's hot reload and table swap against nginx's
//!   reload of the equivalent configuration) with the resident memory of each:
//!
//! ```text
//! cargo test --release -p ingress-gateway --test vs_nginx -- --ignored --nocapture --test-threads 1
//! ```
//!
//! `LOAD_SECONDS` (default 10; 30 for churn), `LOAD_CONNECTIONS` (64), `LOAD_THREADS` (2:
//! nginx's `worker_processes`, the gateway's `--workers`, and wrk's threads),
//! `CHURN_RATE` (10 a second) and `SCALE_INGRESSES` (10 000) change them.
//!
//! Needs `nginx` and `wrk` on PATH (`.ci/run` installs Debian's); fails with a clear message
//! without them.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use ingress_gateway::echo::Echo;
use tokio::process::{Child, Command};

mod support;

use support::{Binary, MANIFESTS, Scratch, V1, V2, WAIT, memory_mib};

fn tool_missing(tool: &str, e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::NotFound {
        panic!(
            "{tool} is not on PATH: this test compares the gateway with Debian's nginx under wrk; install nginx and wrk"
        );
    }
    panic!("cannot run {tool}: {e}")
}

/// A port no one listens on now, for nginx's configuration (nginx cannot be given
/// `127.0.0.1:0`; a start that loses the port to someone else is retried on another).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The founding example's backends: 3 echo replicas per Service.
struct Backends {
    v1: Vec<Echo>,
    v2: Vec<Echo>,
}

impl Backends {
    async fn start() -> Backends {
        let mut v1 = Vec::new();
        let mut v2 = Vec::new();
        for i in 1..=3 {
            v1.push(
                Echo::start(&format!("echo-v1-{i}"), "default/echo-v1")
                    .await
                    .unwrap(),
            );
            v2.push(
                Echo::start(&format!("echo-v2-{i}"), "default/echo-v2")
                    .await
                    .unwrap(),
            );
        }
        Backends { v1, v2 }
    }

    fn addrs(echoes: &[Echo]) -> Vec<SocketAddr> {
        echoes.iter().map(Echo::local_addr).collect()
    }

    async fn stop(self) {
        for echo in self.v1.into_iter().chain(self.v2) {
            echo.stop().await;
        }
    }
}

/// The nginx.conf ingress-nginx generates for the founding example, reduced to what routing
/// and proxying do (its Lua balancer is an upstream block here; its defaults otherwise).
fn nginx_conf(
    dir: &Path,
    port: u16,
    workers: usize,
    backends: &Backends,
    extra_hosts: &[String],
) -> String {
    let upstream = |name: &str, addrs: Vec<SocketAddr>| {
        let servers: String = addrs
            .iter()
            .map(|a| format!("        server {a} max_fails=0;\n"))
            .collect();
        format!(
            "    upstream {name} {{\n{servers}        keepalive 320;\n        keepalive_requests 10000;\n        keepalive_timeout 60s;\n    }}\n"
        )
    };
    let server = |host: &str, upstream: &str| {
        format!(
            "    server {{
        listen 127.0.0.1:{port};
        server_name {host};
        location / {{
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Request-ID $request_id;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 5s;
            proxy_read_timeout 60s;
            proxy_buffering on;
            proxy_pass http://{upstream};
        }}
    }}
"
        )
    };
    let dir = dir.display();
    // A master started as root hands its workers to `nobody` unless told otherwise; they must
    // be able to use the scratch directory.
    let user = if running_as_root() {
        "user root;\n"
    } else {
        ""
    };
    format!(
        "{user}worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{
    worker_connections 16384;
    multi_accept on;
}}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_timeout 75s;
    keepalive_requests 1000;
    server_tokens off;
    # ingress-nginx's: upgrades pass, other requests keep the upstream connection alive.
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' '';
    }}
{v1}{v2}    # The catch-all server: ingress-nginx's default backend answers 404.
    server {{
        listen 127.0.0.1:{port} default_server;
        server_name _;
        location / {{ return 404; }}
    }}
{s1}{s2}{extra}}}
",
        v1 = upstream("default-echo-v1-3000", Backends::addrs(&backends.v1)),
        v2 = upstream("default-echo-v2-3000", Backends::addrs(&backends.v2)),
        s1 = server(V1, "default-echo-v1-3000"),
        s2 = server(V2, "default-echo-v2-3000"),
        extra = extra_hosts
            .iter()
            .map(|h| server(h, "default-echo-v1-3000"))
            .collect::<String>(),
    )
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

/// A running nginx (master and workers), stopped with `nginx -s stop` when dropped.
struct Nginx {
    scratch: Scratch,
    child: Child,
    addr: SocketAddr,
    workers: usize,
}

impl Nginx {
    async fn start(workers: usize, backends: &Backends) -> Nginx {
        let scratch = Scratch::new("nginx");
        for attempt in 1..=3 {
            let port = free_port();
            let conf = scratch.path("nginx.conf");
            std::fs::write(
                &conf,
                nginx_conf(scratch.dir(), port, workers, backends, &[]),
            )
            .expect("write nginx.conf");
            let mut child = Command::new("nginx")
                .arg("-p")
                .arg(scratch.dir())
                .arg("-e")
                .arg(scratch.path("error.log"))
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap_or_else(|e| tool_missing("nginx", &e));
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let deadline = Instant::now() + WAIT;
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    let log =
                        std::fs::read_to_string(scratch.path("error.log")).unwrap_or_default();
                    assert!(
                        attempt < 3 && log.contains("Address already in use"),
                        "nginx exited ({status}):\n{log}"
                    );
                    break;
                }
                if tokio::net::TcpStream::connect(addr).await.is_ok() {
                    return Nginx {
                        scratch,
                        child,
                        addr,
                        workers,
                    };
                }
                assert!(
                    Instant::now() < deadline,
                    "nginx did not listen within {WAIT:?}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        unreachable!("three attempts either returned or failed an assertion")
    }

    fn signal(&self, signal: &str) {
        let conf = self.scratch.path("nginx.conf");
        let _ = std::process::Command::new("nginx")
            .arg("-p")
            .arg(self.scratch.dir())
            .arg("-e")
            .arg(self.scratch.path("error.log"))
            .arg("-c")
            .arg(conf)
            .args(["-s", signal])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Rewrites nginx.conf with `extra_hosts` routed to echo-v1 and reloads (`nginx -s
    /// reload`: new workers start on the new configuration, old ones finish what they hold).
    fn reload(&self, backends: &Backends, extra_hosts: &[String]) {
        let conf = nginx_conf(
            self.scratch.dir(),
            self.addr.port(),
            self.workers,
            backends,
            extra_hosts,
        );
        std::fs::write(self.scratch.path("nginx.conf"), conf).expect("write nginx.conf");
        self.signal("reload");
    }

    /// The master and its workers.
    fn processes(&self) -> Vec<u32> {
        let Some(master) = self.child.id() else {
            return Vec::new();
        };
        let mut pids = vec![master];
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            // The parent is the second field after the name.
            if stat_fields(pid).get(1).and_then(|p| p.parse::<u32>().ok()) == Some(master) {
                pids.push(pid);
            }
        }
        pids
    }

    /// The resident memory of the master and its workers, MiB.
    fn rss_mib(&self) -> f64 {
        self.processes()
            .into_iter()
            .map(|pid| memory_mib(pid, "VmRSS"))
            .sum()
    }

    async fn stop(mut self) {
        self.signal("stop");
        if tokio::time::timeout(WAIT, self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

impl Drop for Nginx {
    /// Also on a failed assertion: a master killed outright would leave its workers behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.signal("stop");
        }
    }
}

/// `ingress-gateway` in static mode over a directory holding the founding example's
/// manifests (hot reload on, 10 ms debounce, so each edit is its own swap), its Services'
/// endpoints given on the command line, `threads` serving threads (`--workers`), and the admin
/// listener.
struct GatewayProcess {
    child: Child,
    addr: SocketAddr,
    admin: SocketAddr,
    dir: Scratch,
}

impl GatewayProcess {
    async fn start(threads: usize, backends: &Backends) -> GatewayProcess {
        let dir = Scratch::new("gateway");
        std::fs::copy(MANIFESTS, dir.path("echo.yaml")).expect("copy the manifests");
        let list = |echoes: &[Echo]| {
            Backends::addrs(echoes)
                .iter()
                .map(SocketAddr::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut binary = Binary::spawn(
            &[
                "-f".into(),
                dir.dir().display().to_string(),
                "--listen".into(),
                "127.0.0.1:0".into(),
                "--admin-listen".into(),
                "127.0.0.1:0".into(),
                "--reload-debounce".into(),
                "10ms".into(),
                format!("--endpoints=default/echo-v1:3000={}", list(&backends.v1)),
                format!("--endpoints=default/echo-v2:3000={}", list(&backends.v2)),
                format!("--workers={threads}"),
            ],
            // The accept loop, reloads and the admin listener: nginx's master.
            &[("TOKIO_WORKER_THREADS", "1")],
        );
        let admin = binary
            .wait_for(|line| Binary::address_after(line, "admin listener on http://"))
            .await;
        let addr = binary.serving_address().await;
        let child = binary.drain_log();
        GatewayProcess {
            child,
            addr,
            admin,
            dir,
        }
    }

    /// Writes `extra.yaml` with an Ingress per host, routed to echo-v1 (through a temporary
    /// file and a rename, as editors and ConfigMap updates do).
    fn write_hosts(&self, hosts: &[String]) {
        let mut yaml = String::new();
        for (i, host) in hosts.iter().enumerate() {
            let _ = write!(
                yaml,
                "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: extra-{i}}}\nspec:\n  rules:\n  - host: {host}\n    http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: echo-v1, port: {{number: 3000}}}}}}}}]}}\n"
            );
        }
        let staged = self.dir.path(".extra.yaml.tmp");
        std::fs::write(&staged, yaml).expect("write the extra Ingresses");
        std::fs::rename(&staged, self.dir.path("extra.yaml")).expect("move them in place");
    }

    /// A counter or gauge of its `/metrics`.
    async fn metric(&self, name: &str) -> f64 {
        let support::Reply {
            status, body: text, ..
        } = support::get(self.admin, None, "/metrics").await;
        assert_eq!(status, 200);
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    }

    fn rss_mib(&self) -> f64 {
        self.child.id().map_or(0.0, |pid| memory_mib(pid, "VmRSS"))
    }

    /// The gateway is one process, its threads included.
    fn processes(&self) -> Vec<u32> {
        self.child.id().into_iter().collect()
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// What wrk measured.
#[derive(Debug, Clone, Copy)]
struct Load {
    requests: u64,
    seconds: f64,
    socket_errors: u64,
    non_2xx: u64,
    p50_us: f64,
    p99_us: f64,
    p999_us: f64,
    /// CPU time (user and system) the measured processes spent during the load, seconds.
    cpu_seconds: f64,
}

impl Load {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    /// CPU microseconds per request answered: what the load cost the measured processes,
    /// however busy the machine was (wall-clock requests/s moves with whatever else runs on
    /// the cores; the CPU a request costs hardly does).
    fn cpu_us_per_request(&self) -> f64 {
        self.cpu_seconds * 1e6 / self.requests.max(1) as f64
    }
}

/// The fields of `/proc/PID/stat` after the command name (which may hold spaces): `state`
/// first, then `ppid`, ...; empty if the process is gone.
fn stat_fields(pid: u32) -> Vec<String> {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let (_, rest) = stat.rsplit_once(')')?;
            Some(rest.split_whitespace().map(str::to_owned).collect())
        })
        .unwrap_or_default()
}

/// The CPU time (user and system, all threads) the processes `pids` have used so far, seconds.
fn cpu_seconds(pids: &[u32]) -> f64 {
    // Clock ticks per second of `/proc`'s times (USER_HZ, 100 on Linux).
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    });
    let used: u64 = pids
        .iter()
        .map(|&pid| {
            // `utime` and `stime`: fields 14 and 15 of the line (`state`, field 3, is 0 here).
            let fields = stat_fields(pid);
            let field = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
            field(11).unwrap_or(0) + field(12).unwrap_or(0)
        })
        .sum();
    used as f64 / ticks
}

/// wrk's `done` hook, printing what it measured as one line of JSON.
const WRK_SCRIPT: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"p50":%d,"p99":%d,"p999":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
"#;

/// wrk on `addr` with `Host: host`; the CPU time of the processes `measured` (the target) is
/// counted from start to end.
async fn wrk(
    scratch: &Scratch,
    (addr, measured): (SocketAddr, &[u32]),
    host: &str,
    threads: usize,
    connections: usize,
    seconds: u64,
) -> Load {
    let cpu_before = cpu_seconds(measured);
    let script = scratch.path("report.lua");
    std::fs::write(&script, WRK_SCRIPT).expect("write the wrk script");
    let run = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("-s")
        .arg(&script)
        .args(["-H", &format!("Host: {host}")])
        .arg(format!("http://{addr}/"))
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(seconds) + WAIT, run)
        .await
        .expect("wrk finishes in time")
        .unwrap_or_else(|e| tool_missing("wrk", &e));
    let cpu_seconds = cpu_seconds(measured) - cpu_before;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "wrk failed: {stdout}");
    let json = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WRK "))
        .unwrap_or_else(|| panic!("no report from wrk: {stdout}"));
    let v: serde_json::Value = serde_json::from_str(json).expect("wrk's report");
    let n = |k: &str| v[k].as_u64().expect("a count");
    Load {
        requests: n("requests"),
        seconds: n("duration_us") as f64 / 1e6,
        socket_errors: n("connect") + n("read") + n("write") + n("timeout"),
        non_2xx: n("status"),
        p50_us: n("p50") as f64,
        p99_us: n("p99") as f64,
        p999_us: n("p999") as f64,
        cpu_seconds,
    }
}

/// One GET of `/` with a `Host` header: the status and the replica that answered.
async fn get(addr: SocketAddr, host: &str) -> (u16, Option<String>) {
    let reply = support::get(addr, Some(host), "/").await;
    (reply.status.as_u16(), reply.replica)
}

/// The founding example's answers through a proxy at `addr`: which replicas answer each
/// host over six requests, and the status of an unknown host.
async fn answers(addr: SocketAddr) -> (BTreeSet<String>, BTreeSet<String>, u16) {
    let mut v1 = BTreeSet::new();
    let mut v2 = BTreeSet::new();
    for _ in 0..6 {
        let (status, replica) = get(addr, V1).await;
        assert_eq!(status, 200);
        v1.extend(replica);
        let (status, replica) = get(addr, V2).await;
        assert_eq!(status, 200);
        v2.extend(replica);
    }
    let (unknown, replica) = get(addr, "unknown.invalid").await;
    assert_eq!(replica, None, "the proxy's own 404");
    (v1, v2, unknown)
}

struct Run {
    direct: Load,
    gateway: Load,
    nginx: Load,
}

/// Starts the backends, the gateway and nginx, checks that they route alike, and loads each
/// in turn with the same wrk settings (the v1 host; direct: one replica).
async fn compare(threads: usize, connections: usize, seconds: u64) -> Run {
    let backends = Backends::start().await;
    let gateway = GatewayProcess::start(threads, &backends).await;
    let nginx = Nginx::start(threads, &backends).await;

    let replicas =
        |echoes: &[Echo]| -> BTreeSet<String> { echoes.iter().map(|e| e.name.clone()).collect() };
    let expected = (replicas(&backends.v1), replicas(&backends.v2), 404);
    assert_eq!(answers(gateway.addr).await, expected, "through the gateway");
    assert_eq!(answers(nginx.addr).await, expected, "through nginx");

    let scratch = Scratch::new("wrk");
    // Direct, the CPU counted is this process's: the echo backends (and this test's idle
    // runtime).
    let direct = (backends.v1[0].local_addr(), &[std::process::id()][..]);
    let direct = wrk(&scratch, direct, V1, threads, connections, seconds).await;
    let through_gateway = (gateway.addr, &gateway.processes()[..]);
    let through_gateway = wrk(&scratch, through_gateway, V1, threads, connections, seconds).await;
    let through_nginx = (nginx.addr, &nginx.processes()[..]);
    let through_nginx = wrk(&scratch, through_nginx, V1, threads, connections, seconds).await;

    nginx.stop().await;
    gateway.stop().await;
    backends.stop().await;
    Run {
        direct,
        gateway: through_gateway,
        nginx: through_nginx,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_and_the_gateway_agree_and_carry_load() {
    let run = compare(1, 4, 1).await;
    for (what, load) in [
        ("direct", run.direct),
        ("gateway", run.gateway),
        ("nginx", run.nginx),
    ] {
        assert!(load.requests > 0, "{what}: {load:?}");
        assert_eq!(
            (load.socket_errors, load.non_2xx),
            (0, 0),
            "{what}: {load:?}"
        );
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: seconds of load; run by hand with --release --ignored --nocapture"]
async fn load_against_nginx() {
    let seconds = env_or("LOAD_SECONDS", 10);
    let connections = usize::try_from(env_or("LOAD_CONNECTIONS", 64)).unwrap();
    let threads = usize::try_from(env_or("LOAD_THREADS", 2)).unwrap();
    let run = compare(threads, connections, seconds).await;
    eprintln!(
        "wrk -t{threads} -c{connections} -d{seconds}s, Host {V1}; nginx worker_processes {threads}, gateway {threads} worker threads"
    );
    eprintln!(
        "{:<8} {:>10} {:>9} {:>9} {:>9} {:>8} {:>7} {:>11}",
        "target", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "non-2xx", "errors", "CPU us/req"
    );
    for (what, load) in [
        ("direct", run.direct),
        ("gateway", run.gateway),
        ("nginx", run.nginx),
    ] {
        eprintln!(
            "{what:<8} {:>10.0} {:>9.3} {:>9.3} {:>9.3} {:>8} {:>7} {:>11.1}",
            load.rps(),
            load.p50_us / 1e3,
            load.p99_us / 1e3,
            load.p999_us / 1e3,
            load.non_2xx,
            load.socket_errors,
            load.cpu_us_per_request()
        );
    }
    eprintln!(
        "CPU us/req: user and system time of the target's processes during its load (direct: the echo backends, in this test's process; nginx: master and workers), per request answered"
    );
    eprintln!(
        "gateway / nginx: requests/s {:.2}x, p99 {:.2}x, p99.9 {:.2}x, CPU per request {:.2}x",
        run.gateway.rps() / run.nginx.rps(),
        run.gateway.p99_us / run.nginx.p99_us,
        run.gateway.p999_us / run.nginx.p999_us,
        run.gateway.cpu_us_per_request() / run.nginx.cpu_us_per_request()
    );
    for (what, load) in [("gateway", run.gateway), ("nginx", run.nginx)] {
        assert_eq!(
            (load.socket_errors, load.non_2xx),
            (0, 0),
            "{what}: {load:?}"
        );
    }
}

/// A WebSocket through a proxy (host v1), and whether it still echoes.
struct Socket {
    socket: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
}

impl Socket {
    async fn open(proxy: SocketAddr) -> Socket {
        let stream = tokio::net::TcpStream::connect(proxy)
            .await
            .expect("connect");
        let (socket, response) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::client_async(format!("ws://{V1}/ws"), stream),
        )
        .await
        .expect("the handshake in time")
        .expect("the WebSocket handshake through the proxy");
        assert_eq!(response.status(), 101);
        Socket { socket }
    }

    /// Sends a message and waits for its echo: false if the socket was dropped.
    async fn alive(&mut self, n: usize) -> bool {
        use futures::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        let text = format!("ping {n}");
        if self.socket.send(Message::text(text.clone())).await.is_err() {
            return false;
        }
        matches!(
            tokio::time::timeout(WAIT, self.socket.next()).await,
            Ok(Some(Ok(message))) if message == Message::text(text)
        )
    }
}

/// What a proxy did under configuration churn.
#[derive(Debug, Clone, Copy)]
struct Churn {
    load: Load,
    changes: usize,
    websocket_dropped: bool,
}

/// Load on the v1 host for `seconds` while `change(i)` runs `rate` times a second and a
/// WebSocket is pinged every 200 ms.
async fn under_churn(
    proxy: SocketAddr,
    (threads, connections, seconds, rate): (usize, usize, u64, u64),
    mut change: impl FnMut(usize),
) -> Churn {
    let mut socket = Socket::open(proxy).await;
    assert!(socket.alive(0).await);
    let scratch = Scratch::new("churn-wrk");
    // nginx's workers change with each reload: no CPU is counted here.
    let load = wrk(&scratch, (proxy, &[]), V1, threads, connections, seconds);
    tokio::pin!(load);
    let period = Duration::from_millis(1000 / rate.max(1));
    let mut ticks = tokio::time::interval(period);
    // A late tick (a ping took long) moves the rest rather than bursting two changes at once.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut changes = 0;
    let mut websocket_dropped = false;
    let load = loop {
        tokio::select! {
            load = &mut load => break load,
            _ = ticks.tick() => {
                changes += 1;
                change(changes);
                if changes % 2 == 0 && !websocket_dropped {
                    websocket_dropped = !socket.alive(changes).await;
                }
            }
        }
    };
    websocket_dropped |= !socket.alive(usize::MAX).await;
    Churn {
        load,
        changes,
        websocket_dropped,
    }
}

/// The gateway's table swaps (hot reload of a file) against `nginx -s reload`, each `rate`
/// times a second under the same load; each change adds a new host.
async fn compare_churn(
    threads: usize,
    connections: usize,
    seconds: u64,
    rate: u64,
) -> (Churn, Churn, f64) {
    let backends = Backends::start().await;
    let gateway = GatewayProcess::start(threads, &backends).await;
    let nginx = Nginx::start(threads, &backends).await;
    let settings = (threads, connections, seconds, rate);
    let through_gateway = under_churn(gateway.addr, settings, |i| {
        gateway.write_hosts(&[format!("churn-{i}.example")]);
    })
    .await;
    // Give the last edit its debounce before counting swaps.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let swaps = gateway.metric("ingress_gateway_table_swaps_total").await;
    let through_nginx = under_churn(nginx.addr, settings, |i| {
        nginx.reload(&backends, &[format!("churn-{i}.example")]);
    })
    .await;
    nginx.stop().await;
    gateway.stop().await;
    backends.stop().await;
    (through_gateway, through_nginx, swaps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_churn_the_gateway_fails_no_request_and_keeps_its_websockets() {
    let (gateway, nginx, swaps) = compare_churn(1, 4, 2, 10).await;
    assert!(gateway.load.requests > 0 && nginx.load.requests > 0);
    assert!(
        swaps >= 5.0,
        "{swaps} swaps for {} changes",
        gateway.changes
    );
    assert_eq!(
        (
            gateway.load.socket_errors,
            gateway.load.non_2xx,
            gateway.websocket_dropped
        ),
        (0, 0, false),
        "{gateway:?}"
    );
    // nginx is measured, not judged: what a reload costs it is the point of the comparison.
    eprintln!("gateway: {gateway:?} ({swaps} swaps)\nnginx: {nginx:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: 30 s of churn per proxy; run by hand with --release --ignored --nocapture"]
async fn churn_against_nginx() {
    let seconds = env_or("LOAD_SECONDS", 30);
    let connections = usize::try_from(env_or("LOAD_CONNECTIONS", 64)).unwrap();
    let threads = usize::try_from(env_or("LOAD_THREADS", 2)).unwrap();
    let rate = env_or("CHURN_RATE", 10);
    let (gateway, nginx, swaps) = compare_churn(threads, connections, seconds, rate).await;
    eprintln!(
        "{rate} changes/s for {seconds}s under wrk -t{threads} -c{connections}: gateway table swaps (hot reload, {swaps} swaps) vs nginx -s reload"
    );
    eprintln!(
        "{:<8} {:>8} {:>10} {:>9} {:>9} {:>8} {:>7} {:>10}",
        "target", "changes", "req/s", "p99 ms", "p99.9 ms", "non-2xx", "errors", "ws dropped"
    );
    for (what, churn) in [("gateway", gateway), ("nginx", nginx)] {
        eprintln!(
            "{what:<8} {:>8} {:>10.0} {:>9.3} {:>9.3} {:>8} {:>7} {:>10}",
            churn.changes,
            churn.load.rps(),
            churn.load.p99_us / 1e3,
            churn.load.p999_us / 1e3,
            churn.load.non_2xx,
            churn.load.socket_errors,
            churn.websocket_dropped
        );
    }
    assert_eq!(
        (
            gateway.load.socket_errors,
            gateway.load.non_2xx,
            gateway.websocket_dropped
        ),
        (0, 0, false)
    );
}

/// From "the Ingresses are written" to "their last host answers": polls every 5 ms.
async fn until_served(proxy: SocketAddr, host: &str) -> Duration {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(300);
    loop {
        if get(proxy, host).await.0 == 200 {
            return started.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "{host} not served after 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: 10 000 Ingresses into each proxy; run by hand with --release --ignored --nocapture"]
async fn scale_against_nginx() {
    let n = usize::try_from(env_or("SCALE_INGRESSES", 10_000)).unwrap();
    let threads = usize::try_from(env_or("LOAD_THREADS", 2)).unwrap();
    let hosts: Vec<String> = (0..n).map(|i| format!("scale-{i}.example")).collect();
    let last = hosts.last().expect("at least one host").clone();
    let backends = Backends::start().await;
    let gateway = GatewayProcess::start(threads, &backends).await;
    let nginx = Nginx::start(threads, &backends).await;
    let (gateway_before, nginx_before) = (gateway.rss_mib(), nginx.rss_mib());

    gateway.write_hosts(&hosts);
    let gateway_took = until_served(gateway.addr, &last).await;
    let reload_started = Instant::now();
    nginx.reload(&backends, &hosts);
    let nginx_took = until_served(nginx.addr, &last)
        .await
        .max(reload_started.elapsed());
    // Both answer the first host of the set too.
    assert_eq!(get(gateway.addr, &hosts[0]).await.0, 200);
    assert_eq!(get(nginx.addr, &hosts[0]).await.0, 200);
    eprintln!("{n} Ingresses written -> serving them (polled every 5 ms), and resident memory:");
    eprintln!(
        "gateway: {:.3} s (file written, hot reload, table swap); RSS {gateway_before:.0} MiB before, {:.0} MiB after",
        gateway_took.as_secs_f64(),
        gateway.rss_mib()
    );
    eprintln!(
        "nginx:   {:.3} s (nginx.conf with {n} more servers written, nginx -s reload); RSS (master + workers) {nginx_before:.0} MiB before, {:.0} MiB after",
        nginx_took.as_secs_f64(),
        nginx.rss_mib()
    );
    nginx.stop().await;
    gateway.stop().await;
    backends.stop().await;
}
