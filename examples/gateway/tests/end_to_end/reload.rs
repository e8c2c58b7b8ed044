//! Hot reload in static mode, on loopback: the founding example's v1 Ingress in a watched
//! temporary directory, rewritten while clients keep requesting over keep-alive connections
//! and a WebSocket stays open; invalid edits refused; a ConfigMap-style `..data` swap; and
//! SIGHUP, sent to a gateway process of its own (never to the test process).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use futures::StreamExt;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use ingress_gateway::cli::Args;
use ingress_gateway::echo::{Echo, EchoReply};
use ingress_gateway::reload::{Outcome, Reloader, Watch};
use ingress_gateway::routes::Routes;
use ingress_gateway::server::Gateway;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{self, HttpClient, LIMIT, Reply, Scratch, V1, V2, bounded, client, websocket};

/// The founding example's manifests, as text.
const FOUNDING: &str = include_str!("../../../manifests/echo.yaml");

/// The founding example's documents.
fn founding_documents() -> Vec<&'static str> {
    FOUNDING.split("\n---\n").collect()
}

/// The founding example's v1 Ingress, for `host`.
fn v1_ingress(host: &str) -> String {
    let ingress = founding_documents()[0];
    assert!(ingress.contains("name: echo-v1") && ingress.contains(V1));
    ingress.replace(V1, host)
}

/// The rest of the founding example: the v2 Ingress (the stable host), the Services and the
/// Deployments.
fn the_rest() -> String {
    founding_documents()[1..].join("\n---\n")
}

/// Writes `text` to `path` in place, or as editors save: a temporary file renamed over it.
fn save(path: &Path, text: &str, by_rename: bool) {
    if by_rename {
        let temp = path.with_file_name(format!(
            ".{}.tmp",
            path.file_name().unwrap().to_string_lossy()
        ));
        std::fs::write(&temp, text).unwrap();
        std::fs::rename(&temp, path).unwrap();
    } else {
        std::fs::write(path, text).unwrap();
    }
}

/// Echo replicas for echo-v1 and echo-v2, and the `--endpoints` arguments for them.
async fn echoes() -> (Vec<Echo>, Vec<String>) {
    let mut echoes = Vec::new();
    let mut endpoints = Vec::new();
    for service in ["echo-v1", "echo-v2"] {
        let mut addrs = Vec::new();
        for i in 1..=2 {
            let echo = Echo::start(&format!("{service}-{i}"), &format!("default/{service}"))
                .await
                .unwrap();
            addrs.push(echo.local_addr().to_string());
            echoes.push(echo);
        }
        endpoints.push("--endpoints".to_owned());
        endpoints.push(format!("default/{service}:3000={}", addrs.join(",")));
    }
    (echoes, endpoints)
}

/// A gateway in-process, its reloader watching the files.
struct World {
    gateway: Gateway,
    reloader: Arc<Reloader>,
    watch: Watch,
    echoes: Vec<Echo>,
}

impl World {
    async fn start(files: &[&Path]) -> World {
        let (echoes, endpoints) = echoes().await;
        let mut argv = Vec::new();
        for file in files {
            argv.push("-f".into());
            argv.push(file.display().to_string());
        }
        argv.extend(["--listen".into(), "127.0.0.1:0".into()]);
        argv.extend(["--reload-debounce".into(), "20ms".into()]);
        argv.extend(endpoints);
        let (args, mut index) = support::build(&argv);
        let gateway = support::serve(&args, &mut index).await;
        // No problems to carry over: `build` saw none.
        let reloader = Arc::new(Reloader::new(args.clone(), gateway.routes().clone(), &[]));
        let watch = Watch::spawn(reloader.clone(), args.reload_debounce, false);
        World {
            gateway,
            reloader,
            watch,
            echoes,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.gateway.local_addr()
    }

    async fn stop(self) {
        bounded("watch stop", self.watch.stop()).await;
        bounded("gateway stop", self.gateway.stop()).await;
        for echo in self.echoes {
            bounded("echo stop", echo.stop()).await;
        }
    }
}

/// `GET /` for `host`.
async fn get(client: &HttpClient, gateway: SocketAddr, host: &str) -> Reply {
    support::get_within(client, gateway, Some(host), "/", &[], LIMIT).await
}

/// The Service that answered `host`, if an echo did.
async fn served_by(client: &HttpClient, gateway: SocketAddr, host: &str) -> Option<String> {
    let reply = get(client, gateway, host).await;
    (reply.status == StatusCode::OK)
        .then(|| EchoReply::parse(&reply.body).map(|r| r.service))
        .flatten()
}

/// Polls (bounded) until `host` is served by `service`.
async fn until_routed(client: &HttpClient, gateway: SocketAddr, host: &str, service: &str) {
    bounded(&format!("{host} to route to {service}"), async {
        while served_by(client, gateway, host).await.as_deref() != Some(service) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
}

/// What one keep-alive client saw.
#[derive(Debug, Default)]
struct Tally {
    sent: u64,
    failed: u64,
    first_failure: Option<String>,
}

/// Requests `host` over one keep-alive connection until `stop` (at most `max` requests and
/// `LIMIT * 6`), checking that each answer is a 200 from `service`.
async fn keep_requesting(
    gateway: SocketAddr,
    host: &'static str,
    service: &'static str,
    stop: Arc<AtomicBool>,
) -> Tally {
    const MAX: u64 = 1_000_000;
    let deadline = Instant::now() + LIMIT * 6;
    let mut tally = Tally::default();
    let stream = bounded("connect", tokio::net::TcpStream::connect(gateway))
        .await
        .unwrap();
    let (mut sender, connection) = bounded(
        "handshake",
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream)),
    )
    .await
    .unwrap();
    let driver = tokio::spawn(connection);
    while !stop.load(Ordering::Relaxed) && tally.sent < MAX && Instant::now() < deadline {
        tally.sent += 1;
        let failure = match tokio::time::timeout(LIMIT, async {
            sender.ready().await?;
            let request = Request::get("/")
                .header("host", host)
                .body(Empty::new())
                .unwrap();
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, String::from_utf8_lossy(&body).into_owned()))
        })
        .await
        {
            Err(_) => Some("no answer in time".to_owned()),
            Ok(Err(e)) => Some(format!("connection: {e}")),
            Ok(Ok((status, text))) => match EchoReply::parse(&text) {
                Some(reply) if status == StatusCode::OK && reply.service == service => None,
                _ => Some(format!("{status}: {text}")),
            },
        };
        if let Some(failure) = failure {
            tally.failed += 1;
            let broken = failure.starts_with("connection") || failure.starts_with("no answer");
            tally.first_failure.get_or_insert(failure);
            if broken {
                break;
            }
        }
    }
    drop(sender);
    let _ = bounded("connection end", driver).await;
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_edits_reroute_while_clients_and_a_websocket_carry_on() {
    const EDITS: usize = 100;
    const CLIENTS: usize = 3;
    let dir = Scratch::new("reload-edits");
    let v1_file = dir.path("v1.yaml");
    std::fs::write(&v1_file, v1_ingress(V1)).unwrap();
    std::fs::write(dir.path("rest.yaml"), the_rest()).unwrap();
    let world = World::start(&[dir.dir()]).await;
    let client = client();
    until_routed(&client, world.addr(), V1, "default/echo-v1").await;

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(keep_requesting(
                world.addr(),
                V2,
                "default/echo-v2",
                stop.clone(),
            ))
        })
        .collect();
    let (mut socket, _) = websocket(world.addr(), &format!("ws://{V2}/ws")).await;

    let mut times = Vec::with_capacity(EDITS);
    let mut previous = V1.to_owned();
    let started = Instant::now();
    for n in 1..=EDITS {
        let host = format!("edit-{n}.v1.example");
        let edited = Instant::now();
        save(&v1_file, &v1_ingress(&host), n % 2 == 0);
        until_routed(&client, world.addr(), &host, "default/echo-v1").await;
        times.push(edited.elapsed());
        support::echoed(&mut socket, Message::text(format!("after edit {n}"))).await;
        previous = host;
    }
    let editing = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut tallies = Vec::new();
    for client in clients {
        tallies.push(bounded("client", client).await.unwrap());
    }

    // The WebSocket outlived every reload.
    support::echoed(&mut socket, Message::binary(vec![7u8; 64 * 1024])).await;
    assert_eq!(world.gateway.tunnels().opened(), 1);

    // The last host routes; the one before it and the first are gone.
    assert_eq!(
        served_by(&client, world.addr(), &previous).await.as_deref(),
        Some("default/echo-v1")
    );
    for gone in ["edit-99.v1.example", V1] {
        let status = get(&client, world.addr(), gone).await.status;
        assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
    }

    let sent: u64 = tallies.iter().map(|t| t.sent).sum();
    let failed: u64 = tallies.iter().map(|t| t.failed).sum();
    times.sort();
    let mean = times.iter().sum::<Duration>() / u32::try_from(times.len()).unwrap();
    let stats = world.reloader.stats();
    println!(
        "{EDITS} edits in {editing:?}: {sent} requests over {CLIENTS} keep-alive connections \
         ({:?} each), {failed} failed; edit -> routed mean {mean:?}, p50 {:?}, p90 {:?}, max \
         {:?}; reloads ok {}, failed {}",
        tallies.iter().map(|t| t.sent).collect::<Vec<_>>(),
        times[times.len() / 2],
        times[times.len() * 9 / 10],
        times[times.len() - 1],
        stats.ok(),
        stats.failed(),
    );
    for tally in &tallies {
        assert!(tally.sent > 0, "{tally:?}");
        assert_eq!(tally.failed, 0, "{tally:?}");
    }
    assert!(stats.ok() >= EDITS as u64, "{}", stats.ok());

    // The rebuild alone (load, convert, index, swap), without the debounce.
    let mut rebuilds = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let outcome = world.reloader.trigger("measure").await;
        rebuilds.push(started.elapsed());
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    }
    rebuilds.sort();
    println!(
        "a rebuild of the founding example: p50 {:?}, max {:?}",
        rebuilds[rebuilds.len() / 2],
        rebuilds[rebuilds.len() - 1]
    );

    bounded("WebSocket close", socket.close(None))
        .await
        .unwrap();
    while let Some(Ok(_)) = bounded("closing", socket.next()).await {}
    drop(socket);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_edit_keeps_the_served_table_and_is_counted() {
    let dir = Scratch::new("reload-invalid");
    let v1_file = dir.path("v1.yaml");
    std::fs::write(&v1_file, v1_ingress(V1)).unwrap();
    std::fs::write(dir.path("rest.yaml"), the_rest()).unwrap();
    let world = World::start(&[dir.dir()]).await;
    let client = client();
    let stats = world.reloader.stats();
    assert_eq!(
        (stats.ok(), stats.failed(), stats.last_error()),
        (0, 0, None)
    );

    // A YAML syntax error: an unclosed flow sequence, under a new host.
    let broken = v1_ingress("broken.v1.example").replace("  rules:\n", "  rules: [\n");
    save(&v1_file, &broken, false);
    bounded("the refused reload", async {
        while stats.failed() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let error = stats.last_error().unwrap();
    assert!(error.contains("v1.yaml: document 1"), "{error}");
    assert_eq!(stats.ok(), 0);
    // The old table is whole: v1 as it was, v2 beside it, nothing of the edit.
    assert_eq!(
        served_by(&client, world.addr(), V1).await.as_deref(),
        Some("default/echo-v1")
    );
    assert_eq!(
        served_by(&client, world.addr(), V2).await.as_deref(),
        Some("default/echo-v2")
    );
    assert_eq!(
        get(&client, world.addr(), "broken.v1.example").await.status,
        StatusCode::NOT_FOUND
    );

    // The trigger itself (what SIGHUP calls) refuses it again, naming file and field.
    let failed = stats.failed();
    let wrong_field = v1_ingress("wrong.v1.example").replace("pathType: Prefix", "pathType: 42");
    save(&v1_file, &wrong_field, true);
    match world.reloader.trigger("test").await {
        Outcome::Refused { problems } => {
            assert!(
                problems.iter().any(|p| p.contains("v1.yaml: document 1")),
                "{problems:?}"
            );
        }
        applied => panic!("{applied:?}"),
    }
    assert!(stats.failed() > failed);
    assert_eq!(
        served_by(&client, world.addr(), V1).await.as_deref(),
        Some("default/echo-v1")
    );

    // Fixed: the next reload goes through.
    save(&v1_file, &v1_ingress("fixed.v1.example"), true);
    until_routed(&client, world.addr(), "fixed.v1.example", "default/echo-v1").await;
    assert_eq!(
        get(&client, world.addr(), V1).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(stats.ok() >= 1);

    // Removing the file is an edit like any other: the route goes.
    std::fs::remove_file(&v1_file).unwrap();
    bounded("the route to go", async {
        while get(&client, world.addr(), "fixed.v1.example").await.status != StatusCode::NOT_FOUND {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(
        served_by(&client, world.addr(), V2).await.as_deref(),
        Some("default/echo-v2")
    );
    world.stop().await;
}

/// Lays out a ConfigMap volume's next version as the kubelet does: the files in a new
/// timestamped directory, `..data_tmp` pointing at it, renamed over `..data`. (The kubelet
/// then removes the old directory; the test does it once the swap alone has been seen.)
fn configmap_version(dir: &Path, version: &str, text: &str) {
    let versioned = dir.join(version);
    std::fs::create_dir(&versioned).unwrap();
    std::fs::write(versioned.join("echo.yaml"), text).unwrap();
    let tmp = dir.join("..data_tmp");
    std::os::unix::fs::symlink(version, &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configmap_data_swap_is_picked_up_through_the_file_and_the_directory() {
    // `-f` the file (`echo.yaml`, through `..data`), then `-f` the whole volume.
    for whole_volume in [false, true] {
        configmap_swaps(whole_volume).await;
    }
}

async fn configmap_swaps(whole_volume: bool) {
    let dir = Scratch::new(if whole_volume {
        "configmap-dir"
    } else {
        "configmap-file"
    });
    let text = |host: &str| format!("{}\n---\n{}", v1_ingress(host), the_rest());
    configmap_version(dir.dir(), "..2026_12_03_07_00_00.1", &text(V1));
    std::os::unix::fs::symlink("..data/echo.yaml", dir.path("echo.yaml")).unwrap();
    let file = dir.path("echo.yaml");
    let world = World::start(&[if whole_volume {
        dir.dir()
    } else {
        file.as_path()
    }])
    .await;
    let client = client();
    assert_eq!(
        served_by(&client, world.addr(), V1).await.as_deref(),
        Some("default/echo-v1")
    );

    let versions = [
        "..2026_12_03_07_00_00.1",
        "..2026_12_03_07_01_00.2",
        "..2026_12_03_07_02_00.3",
    ];
    let mut previous = V1.to_owned();
    for (i, pair) in versions.windows(2).enumerate() {
        let host = format!("swap-{i}.v1.example");
        configmap_version(dir.dir(), pair[1], &text(&host));
        until_routed(&client, world.addr(), &host, "default/echo-v1").await;
        std::fs::remove_dir_all(dir.path(pair[0])).unwrap();
        assert_eq!(
            get(&client, world.addr(), &previous).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            served_by(&client, world.addr(), V2).await.as_deref(),
            Some("default/echo-v2")
        );
        previous = host;
    }
    assert_eq!(world.reloader.stats().failed(), 0);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_a_gateway_process() {
    use tokio::io::AsyncBufReadExt;

    let dir = Scratch::new("reload-sighup");
    let v1_file = dir.path("v1.yaml");
    std::fs::write(&v1_file, v1_ingress(V1)).unwrap();
    std::fs::write(dir.path("rest.yaml"), the_rest()).unwrap();
    let (echoes, endpoints) = echoes().await;
    // A debounce far longer than the test: only SIGHUP can reload in time.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ingress-gateway"))
        .arg("-f")
        .arg(dir.dir())
        .args(["--listen", "127.0.0.1:0", "--reload-debounce", "10m"])
        .args(&endpoints)
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap().to_string();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let addr: SocketAddr = bounded("the gateway to listen", async {
        loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("the gateway exited");
            if let Some((_, addr)) = line.split_once("http://") {
                return addr.trim().parse().unwrap();
            }
        }
    })
    .await;
    // The rest of the log, read so the pipe never fills.
    let log = tokio::spawn(async move {
        let mut log = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            log.push(line);
        }
        log
    });
    let client = client();
    until_routed(&client, addr, V1, "default/echo-v1").await;

    save(&v1_file, &v1_ingress("hup.v1.example"), true);
    // Well inside the debounce, the edit is not served yet.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        served_by(&client, addr, V1).await.as_deref(),
        Some("default/echo-v1")
    );
    let status = bounded(
        "kill -HUP",
        tokio::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status(),
    )
    .await
    .unwrap();
    assert!(status.success());
    until_routed(&client, addr, "hup.v1.example", "default/echo-v1").await;
    assert_eq!(get(&client, addr, V1).await.status, StatusCode::NOT_FOUND);

    let status = bounded(
        "kill -TERM",
        tokio::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status(),
    )
    .await
    .unwrap();
    assert!(status.success());
    let exit = bounded("the gateway to exit", child.wait()).await.unwrap();
    assert!(exit.success(), "{exit:?}");
    let log = bounded("the log", log).await.unwrap();
    assert!(
        log.iter()
            .any(|l| l.contains("reloaded") && l.contains("SIGHUP")),
        "{log:#?}"
    );
    for echo in echoes {
        bounded("echo stop", echo.stop()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_bad_document_does_not_refuse_edits_around_it() {
    let dir = Scratch::new("reload-known-bad");
    let file = dir.path("all.yaml");
    let bad = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec: {rules: 42}\n";
    std::fs::write(&file, format!("{}\n---\n{bad}", v1_ingress(V1))).unwrap();
    let args = Args::try_parse_from([
        "ingress-gateway".to_owned(),
        "-f".into(),
        file.display().to_string(),
    ])
    .unwrap();
    let mut built = ingress_gateway::config::build(&args);
    assert_eq!(built.problems.len(), 1, "{:?}", built.problems);
    let routes = Arc::new(Routes::new(built.index.snapshot().snapshot));
    let reloader = Arc::new(Reloader::new(args, routes.clone(), &built.problems));
    let routed = |host: &str| {
        let snapshot = routes.load();
        snapshot
            .route(&ingress_router::RequestView::new(host, "/"))
            .decision
            .source()
            .map(|s| s.to_string())
    };

    // The good Ingress grows by a few lines: the bad document moves down, still the same
    // problem (document 2, `spec.rules`), so the edit goes through.
    let longer = v1_ingress("moved.v1.example")
        .replace("metadata:\n", "metadata:\n  labels:\n    a: b\n    c: d\n");
    std::fs::write(&file, format!("{longer}\n---\n{bad}")).unwrap();
    assert!(
        matches!(
            reloader.trigger("test").await,
            Outcome::Applied { problems: 1, .. }
        ),
        "{:?}",
        reloader.stats().last_error()
    );
    assert_eq!(
        routed("moved.v1.example").as_deref(),
        Some("default/echo-v1")
    );

    // A second bad document is new: refused, the table as it was.
    let worse = v1_ingress("worse.v1.example").replace("number: 3000", "number: http");
    std::fs::write(&file, format!("{worse}\n---\n{bad}")).unwrap();
    match reloader.trigger("test").await {
        Outcome::Refused { problems } => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("all.yaml: document 1"), "{problems:?}");
        }
        applied => panic!("{applied:?}"),
    }
    assert_eq!(
        routed("moved.v1.example").as_deref(),
        Some("default/echo-v1")
    );
    assert_eq!(routed("worse.v1.example"), None);

    // Fixing the known bad one is fine too.
    std::fs::write(&file, v1_ingress("clean.v1.example")).unwrap();
    assert_eq!(
        reloader.trigger("test").await,
        Outcome::Applied {
            ingresses: 1,
            problems: 0
        }
    );
    assert_eq!(
        routed("clean.v1.example").as_deref(),
        Some("default/echo-v1")
    );
    assert_eq!((reloader.stats().ok(), reloader.stats().failed()), (2, 1));
}
