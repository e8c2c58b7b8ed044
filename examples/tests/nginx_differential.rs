//! The ingress-nginx profile against a real nginx (Debian's; `.ci/run` installs it).
//!
//! Each case is a seeded, random set of Ingresses (hosts, wildcard and host-less rules, the three
//! path types, plain and regex paths, `use-regex`, `rewrite-target`, `app-root`, default
//! backends, creation timestamps that tie). The profile's servers and locations
//! ([`RouteTable::nginx_servers`]) are rendered as the `nginx.conf` ingress-nginx would
//! generate, nginx is started on loopback with one stand-in upstream that answers with the
//! upstream it was reached as and the request target it got, and every request of a generated
//! set (each host, and hosts no rule names; paths with and without their slash, longer,
//! siblings, upper case, queries, dot segments, escapes) goes to both. They must agree on the
//! status, the upstream, the target the upstream gets, and a redirect's `Location`.
//!
//! The profile's canaries and HTTPS redirects are decided by ingress-nginx's Lua, which plain
//! nginx does not run: the data-driven vectors cover them (`testdata/router-vectors/nginx.tsv`).
//! Cases whose configuration nginx would refuse (two locations that render alike, reported as
//! `duplicate-location`: ingress-nginx then keeps its previous configuration) are generated,
//! counted and skipped.
//!
//! `NGINX_DIFF_SEED` and `NGINX_DIFF_CASES` change the seed (printed) and the number of cases.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ingress_model::{Ingress, IngressBackend, IngressKey};
use ingress_router::nginx::LocationModifier;
use ingress_router::{Config, Decision, DiagnosticKind, RequestView, RouteTable};
use serde_json::{Value, json};

/// Every wait (nginx listening, a response) is bounded by this.
const WAIT: Duration = Duration::from_secs(10);

/// SplitMix64: a seeded generator, so a failing case can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }
}

const HOSTS: [Option<&str>; 4] = [Some("foo.com"), Some("bar.com"), Some("*.wild.com"), None];
const REQUEST_HOSTS: [&str; 6] = [
    "foo.com",
    "bar.com",
    "x.wild.com",
    "y.z.wild.com",
    "other.com",
    "FOO.com",
];
const PLAIN_PATHS: [&str; 13] = [
    "/", "/a", "/a/", "/a/b", "/ab", "/b", "/b/", "/b/c", "/api", "/api/v1", "/api/v1/", "/x.y",
    "/A",
];
/// Regular expressions PCRE and the regex crate read alike.
const REGEX_PATHS: [&str; 5] = [
    "/r/[0-9]+",
    "/r/[a-z]{2}$",
    "/x(/|$)(.*)",
    "/api/(.+)",
    "/a.*",
];
const TARGETS: [&str; 5] = ["/", "/$1", "/$2", "/new/$1", "/new"];
const REQUEST_PATHS: [&str; 36] = [
    "/",
    "/a",
    "/a/",
    "/a/b",
    "/a/bc",
    "/ab",
    "/abc",
    "/A",
    "/A/B",
    "/b",
    "/b/",
    "/b/c",
    "/b/c/d",
    "/api",
    "/api/",
    "/api/v1",
    "/api/v1/x",
    "/api/v2",
    "/r/1",
    "/r/12/x",
    "/r/ab",
    "/r/abc",
    "/x",
    "/x/",
    "/x/y/z",
    "/xy",
    "/x.y",
    "/new",
    "/zzz",
    "/a?q=1",
    "/x/y?q=2",
    "/a//b",
    "/a/./b",
    "/a/../b",
    "/%61/b",
    "/app",
];

/// One random Ingress: a few rules on a few hosts, maybe annotations and a default backend.
fn ingress(rng: &mut Rng, n: usize) -> Value {
    let name = format!("ing-{}", rng.pick(&["a", "b", "c", "d"]));
    let name = format!("{name}{n}");
    let mut annotations = serde_json::Map::new();
    let prefix = "nginx.ingress.kubernetes.io";
    let regex = rng.chance(7);
    if regex {
        annotations.insert(format!("{prefix}/use-regex"), json!("true"));
    }
    if rng.chance(6) {
        annotations.insert(
            format!("{prefix}/rewrite-target"),
            json!(*rng.pick(&TARGETS)),
        );
    }
    if rng.chance(5) {
        annotations.insert(format!("{prefix}/app-root"), json!("/app"));
    }
    let mut rules = Vec::new();
    for _ in 0..rng.below(3) + usize::from(!rng.chance(10)) {
        let host = *rng.pick(&HOSTS);
        let mut paths = Vec::new();
        for _ in 0..rng.below(3) + 1 {
            let path = if regex || rng.chance(10) {
                *rng.pick(&REGEX_PATHS)
            } else {
                *rng.pick(&PLAIN_PATHS)
            };
            let path_type = *rng.pick(&["Exact", "Prefix", "Prefix", "ImplementationSpecific"]);
            let service = format!("svc-{}", rng.below(6));
            paths.push(json!({
                "path": path, "pathType": path_type,
                "backend": {"service": {"name": service, "port": {"number": 80}}}
            }));
        }
        let mut rule = json!({"http": {"paths": paths}});
        if let Some(h) = host {
            rule["host"] = json!(h);
        }
        rules.push(rule);
    }
    let mut spec = json!({ "rules": rules });
    if rng.chance(20) {
        spec["defaultBackend"] = json!({"service": {"name": "fallback", "port": {"number": 80}}});
    }
    if rules_empty(&spec) && spec.get("defaultBackend").is_none() {
        spec["defaultBackend"] = json!({"service": {"name": "lonely", "port": {"number": 80}}});
    }
    // Three instants for many Ingresses: ties are common, as with bulk applies.
    let created = format!("2024-01-0{}T00:00:00Z", rng.below(3) + 1);
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": *rng.pick(&["default", "shop"]),
                     "creationTimestamp": created, "annotations": annotations},
        "spec": spec,
    })
}

fn rules_empty(spec: &Value) -> bool {
    spec["rules"].as_array().is_none_or(Vec::is_empty)
}

/// The upstream name ingress-nginx gives a Service backend of an Ingress's namespace.
fn upstream(source: &IngressKey, backend: &IngressBackend) -> String {
    let service = backend.service.as_ref().expect("Service backends only");
    let port = service.port.as_ref().and_then(|p| p.number).unwrap_or(0);
    format!("{}-{}-{port}", source.namespace(), service.name)
}

/// The `nginx.conf` of the profile's servers: what ingress-nginx renders, with one stand-in
/// upstream told apart by a header.
fn render(
    table: &RouteTable<IngressBackend>,
    dir: &std::path::Path,
    port: u16,
    echo: SocketAddr,
) -> String {
    let servers = table.nginx_servers().expect("the ingress-nginx profile");
    let mut conf = String::new();
    let user = if running_as_root() {
        "user root;\n"
    } else {
        ""
    };
    let d = dir.display();
    let _ = write!(
        conf,
        "{user}worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 256; }}\nhttp {{\n    access_log off;\n\
         \x20   client_body_temp_path {d}/client_body;\n    proxy_temp_path {d}/proxy;\n\
         \x20   fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n\
         \x20   scgi_temp_path {d}/scgi;\n\
         \x20   server_name_in_redirect off;\n    port_in_redirect off;\n\
         \x20   upstream echo {{ server {echo}; }}\n"
    );
    for server in &servers {
        let (listen, name) = match &server.host {
            None => (format!("127.0.0.1:{port} default_server"), "_".to_owned()),
            Some(h) => match h.strip_prefix("*.") {
                Some(suffix) => (
                    format!("127.0.0.1:{port}"),
                    format!(
                        "\"~^(?<subdomain>[\\w-]+)\\.{}$\"",
                        suffix.replace('.', "\\.")
                    ),
                ),
                None => (format!("127.0.0.1:{port}"), h.clone()),
            },
        };
        let _ = writeln!(
            conf,
            "    server {{\n        listen {listen};\n        server_name {name};"
        );
        if let Some(root) = server.app_root {
            let _ = writeln!(
                conf,
                "        if ($uri = /) {{ return 302 $scheme://$http_host{root}; }}"
            );
        }
        for l in &server.locations {
            let head = match l.modifier {
                LocationModifier::Exact => format!("= \"{}\"", l.path),
                LocationModifier::Prefix => format!("\"{}\"", l.path),
                LocationModifier::Regex => format!("~* \"^{}\"", l.path),
                other => panic!("a modifier this test does not render: {other:?}"),
            };
            let _ = writeln!(conf, "        location {head} {{");
            if let Some(r) = l.rewrite {
                let _ = writeln!(
                    conf,
                    "            rewrite \"(?i){}\" {} break;",
                    r.path(),
                    r.target()
                );
            }
            match l.upstream {
                Some(u) => {
                    let _ = writeln!(
                        conf,
                        "            proxy_set_header X-Upstream {u};\n            proxy_pass http://echo;"
                    );
                }
                None => conf.push_str("            return 404;\n"),
            }
            conf.push_str("        }\n");
        }
        conf.push_str("    }\n");
    }
    conf.push_str("}\n");
    conf
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

/// The stand-in upstream: answers `<X-Upstream> <request target>` and closes.
struct Echo {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Echo {
    fn start() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the echo upstream");
        let addr = listener.local_addr().expect("its address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(WAIT));
                let head = read_head(&mut conn);
                let target = head.split(' ').nth(1).unwrap_or("").to_owned();
                let upstream = header(&head, "x-upstream").unwrap_or("-").to_owned();
                let body = format!("{upstream} {target}");
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Echo {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop up so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads up to the end of a request or response head.
fn read_head(conn: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A running nginx, stopped when dropped.
struct Nginx {
    child: Child,
    addr: SocketAddr,
}

impl Nginx {
    /// Starts nginx on `conf` (a function of the port); `Err` with its log if it refuses it.
    fn start(dir: PathBuf, conf: impl Fn(u16) -> String) -> Result<Nginx, String> {
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let path = dir.join("nginx.conf");
            std::fs::write(&path, conf(port)).expect("write nginx.conf");
            let _ = std::fs::remove_file(dir.join("error.log"));
            let child = Command::new("nginx")
                .arg("-p")
                .arg(&dir)
                .arg("-e")
                .arg(dir.join("error.log"))
                .arg("-c")
                .arg(&path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "nginx could not be started ({e}): install Debian's nginx (.ci/run does)"
                    )
                });
            let mut nginx = Nginx {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
            };
            let deadline = Instant::now() + WAIT;
            loop {
                if let Ok(Some(_)) = nginx.child.try_wait() {
                    let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                    if log.contains("Address already in use") {
                        break;
                    }
                    return Err(log);
                }
                if TcpStream::connect(nginx.addr).is_ok() {
                    return Ok(nginx);
                }
                assert!(
                    Instant::now() < deadline,
                    "nginx did not listen within {WAIT:?}"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Err("no free port in three tries".to_owned())
    }

    /// Sends one request; the status, the `Location` and the body.
    fn get(&self, host: &str, target: &str) -> (u16, Option<String>, String) {
        let mut conn = TcpStream::connect(self.addr).expect("connect to nginx");
        conn.set_read_timeout(Some(WAIT)).expect("a read timeout");
        write!(
            conn,
            "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .expect("send the request");
        let mut response = Vec::new();
        conn.read_to_end(&mut response).expect("read the response");
        let response = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (
            status,
            header(head, "location").map(str::to_owned),
            body.to_owned(),
        )
    }
}

impl Drop for Nginx {
    /// SIGTERM, nginx's fast shutdown: the master stops its worker and exits (a master killed
    /// outright would leave its worker behind).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + WAIT;
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the profile expects nginx to answer.
fn expected(
    decision: &Decision<'_, IngressBackend>,
    view: &RequestView<'_>,
) -> (u16, Option<String>, Option<String>) {
    let served = |source: &IngressKey, backend: &IngressBackend| {
        let target = decision
            .rewrite()
            .map_or_else(|| view.target().to_owned(), |r| r.upstream_target(view));
        (
            200,
            None,
            Some(format!("{} {target}", upstream(source, backend))),
        )
    };
    match decision {
        Decision::Route(m) => served(m.source, m.backend),
        Decision::DefaultBackend(d) => served(d.source, d.backend),
        Decision::Redirect(r) => (r.status, Some(r.location(view)), None),
        _ => (404, None, None),
    }
}

#[test]
fn the_profile_and_nginx_agree_on_generated_ingresses_and_requests() {
    let seed: u64 = std::env::var("NGINX_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_208);
    let cases: u64 = std::env::var("NGINX_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let dir = std::env::temp_dir().join(format!("ingress-nginx-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let echo = Echo::start();
    let (mut compared, mut skipped, mut disagreements) = (0, 0, Vec::new());
    // Answers by status, and cases with a server in regex mode: what the run exercised.
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut regex_cases = 0;
    for case in 0..cases {
        let mut rng = Rng(seed ^ (case << 32));
        let objects: Vec<Value> = (0..rng.below(5) + 2)
            .map(|n| ingress(&mut rng, n))
            .collect();
        let ingresses: Vec<Ingress> = objects
            .iter()
            .map(|o| serde_json::from_value(o.clone()).expect("a generated Ingress"))
            .collect();
        let built = RouteTable::builder()
            .config(Config::ingress_nginx())
            .add_all(&ingresses)
            .build();
        let duplicate = built
            .diagnostics
            .iter()
            .any(|d| matches!(d.kind, DiagnosticKind::DuplicateLocation { .. }));
        let table = built.table;
        if duplicate {
            // nginx refuses such a configuration (`duplicate location`) and ingress-nginx keeps
            // its previous one: there is nothing to compare.
            skipped += 1;
            continue;
        }
        let servers = table.nginx_servers().unwrap_or_default();
        regex_cases += usize::from(servers.iter().any(|s| s.regex_mode));
        let nginx = match Nginx::start(dir.clone(), |port| render(&table, &dir, port, echo.addr)) {
            Ok(n) => n,
            Err(log) => panic!(
                "seed {seed} case {case}: nginx refused the rendered configuration:\n{log}\n{}",
                std::fs::read_to_string(dir.join("nginx.conf")).unwrap_or_default()
            ),
        };
        for host in REQUEST_HOSTS {
            for _ in 0..8 {
                let target = *rng.pick(&REQUEST_PATHS);
                let view = RequestView::new(host, target);
                let want = expected(&table.find(&view), &view);
                let (status, location, body) = nginx.get(host, target);
                let got = (status, location, (status == 200).then_some(body));
                compared += 1;
                *statuses.entry(status).or_default() += 1;
                if got != want {
                    disagreements.push(format!(
                        "case {case}: {host}{target}: nginx {got:?}, profile {want:?}"
                    ));
                }
            }
        }
        if !disagreements.is_empty() {
            let conf = std::fs::read_to_string(dir.join("nginx.conf")).unwrap_or_default();
            let manifests = serde_json::to_string_pretty(&objects).unwrap_or_default();
            drop(nginx);
            let _ = std::fs::remove_dir_all(&dir);
            panic!(
                "seed {seed}: the profile and nginx disagree:\n{}\n\nmanifests:\n{manifests}\n\nnginx.conf:\n{conf}",
                disagreements.join("\n")
            );
        }
    }
    drop(echo);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "seed {seed}: {compared} requests compared over {} cases, {regex_cases} with a regex-mode \
         server ({skipped} skipped: duplicate locations); answers by status: {statuses:?}",
        cases - skipped
    );
    assert!(compared >= 300, "only {compared} requests compared");
    // The generator must reach every kind of answer, or agreement means little.
    for status in [200, 301, 404] {
        assert!(
            statuses.contains_key(&status),
            "no {status} among {statuses:?}"
        );
    }
    assert!(regex_cases > 0, "no case put a server in regex mode");
}
