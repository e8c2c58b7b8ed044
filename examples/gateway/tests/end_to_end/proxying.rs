//! The gateway end to end, on loopback: echo backends, the gateway in-process on 127.0.0.1:0,
//! and a hyper client, HTTP/1.1 and HTTP/2 with prior knowledge.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use http_body_util::channel::Channel;
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use ingress_gateway::echo::Echo;
use ingress_gateway::server::Gateway;
use ingress_gateway::server::Server;

use crate::support::{
    self, HttpClient, LIMIT, MANIFESTS, Reply, V1, V2, bounded, client, websocket,
};

/// Ingresses beside the founding example: a Service without endpoints and one whose only
/// endpoint is dead, and a slow one.
const EXTRA: &str = "
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: more}
spec:
  rules:
  - host: empty.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: empty, port: {number: 80}}}}]}
  - host: dead.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: dead, port: {number: 80}}}}]}
  - host: slow.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: slow, port: {number: 80}}}}]}
  - host: stream.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: stream, port: {number: 80}}}}]}
  - host: raw.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: raw, port: {number: 80}}}}]}
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec: {ports: [{port: 80}], selector: {app: nothing}}
";

struct World {
    gateway: Gateway,
    echoes: Vec<Echo>,
    dir: PathBuf,
    /// A listener that accepts and never answers (the slow backend); held for the test.
    _slow: tokio::net::TcpListener,
    /// A backend that answers with the request's own body, as it arrives.
    stream: Server,
    /// A backend that accepts any upgrade and echoes raw bytes; it sends each request head
    /// it read.
    raw: tokio::task::JoinHandle<()>,
    raw_heads: tokio::sync::mpsc::UnboundedReceiver<String>,
}

/// Reads an HTTP head (up to the blank line) byte by byte, so nothing after it is consumed.
async fn read_head(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        if stream.read(&mut byte).await.unwrap_or(0) == 0 || head.len() > 64 * 1024 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The raw upgrade backend: answers every request head with `101` to whatever `Upgrade` was
/// asked, then echoes bytes until the peer closes.
fn raw_upgrade_backend(
    listener: tokio::net::TcpListener,
    heads: tokio::sync::mpsc::UnboundedSender<String>,
) -> tokio::task::JoinHandle<()> {
    use tokio::io::AsyncWriteExt;
    tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            let heads = heads.clone();
            connections.spawn(async move {
                let head = read_head(&mut stream).await;
                let protocol = head
                    .lines()
                    .find_map(|l| {
                        l.split_once(':')
                            .filter(|(n, _)| n.eq_ignore_ascii_case("upgrade"))
                            .map(|(_, v)| v.trim().to_owned())
                    })
                    .unwrap_or_default();
                let _ = heads.send(head);
                let answer = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: {protocol}\r\n\r\n"
                );
                if stream.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
                let (mut read, mut write) = stream.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
                let _ = write.shutdown().await;
            });
        }
    })
}

/// Answers every request with its own body, streamed back as it arrives.
#[derive(Clone, Debug)]
struct BodyEcho;

impl tower_service::Service<Request<Incoming>> for BodyEcho {
    type Response = Response<Incoming>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Incoming>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        ready(Ok(Response::new(request.into_body())))
    }
}

impl World {
    async fn start() -> World {
        let dir = std::env::temp_dir().join(format!(
            "ingress-gateway-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("extra.yaml"), EXTRA).unwrap();
        let mut echoes = Vec::new();
        for (service, replicas) in [("echo-v1", 3), ("echo-v2", 2)] {
            for i in 1..=replicas {
                let name = format!("{service}-{i}");
                echoes.push(
                    Echo::start(&name, &format!("default/{service}"))
                        .await
                        .unwrap(),
                );
            }
        }
        let addrs = |prefix: &str| {
            echoes
                .iter()
                .filter(|e| e.name.starts_with(prefix))
                .map(|e| e.local_addr().to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        // A port nobody listens on: bound, then released.
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let slow = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = Server::spawn(
            tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            |_| BodyEcho,
        )
        .unwrap();
        let raw_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let raw_addr = raw_listener.local_addr().unwrap();
        let (heads, raw_heads) = tokio::sync::mpsc::unbounded_channel();
        let raw = raw_upgrade_backend(raw_listener, heads);
        let gateway = support::gateway(&[
            "-f".into(),
            MANIFESTS.into(),
            "-f".into(),
            dir.display().to_string(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--endpoints".into(),
            format!("default/echo-v1:3000={}", addrs("echo-v1-")),
            "--endpoints".into(),
            format!("default/echo-v2:3000={}", addrs("echo-v2-")),
            "--endpoints".into(),
            format!("default/dead:80={dead}"),
            "--endpoints".into(),
            format!("default/slow:80={}", slow.local_addr().unwrap()),
            "--endpoints".into(),
            format!("default/stream:80={}", stream.local_addr()),
            "--endpoints".into(),
            format!("default/raw:80={raw_addr}"),
            "--response-timeout".into(),
            "500ms".into(),
        ])
        .await;
        World {
            gateway,
            echoes,
            dir,
            _slow: slow,
            stream,
            raw,
            raw_heads,
        }
    }

    async fn stop(self) {
        bounded("gateway stop", self.gateway.stop()).await;
        bounded("stream stop", self.stream.stop()).await;
        self.raw.abort();
        for echo in self.echoes {
            bounded("echo stop", echo.stop()).await;
        }
        std::fs::remove_dir_all(&self.dir).unwrap();
    }

    fn addr(&self) -> SocketAddr {
        self.gateway.local_addr()
    }
}

/// HTTP/2 with prior knowledge to the gateway, the host in `:authority` (the URI), as an
/// HTTP/2 client sends it.
async fn get_h2(gateway: SocketAddr, host: &str, path: &str) -> Reply {
    let stream = bounded("connect", tokio::net::TcpStream::connect(gateway))
        .await
        .unwrap();
    support::h2_get(stream, &format!("http://{host}{path}")).await
}

/// HTTP/1.1 through the pooled client, or HTTP/2.
#[derive(Clone, Copy, Debug)]
enum Proto {
    H1,
    H2,
}

async fn get_with(
    proto: Proto,
    client: &HttpClient,
    gateway: SocketAddr,
    host: &str,
    path: &str,
) -> Reply {
    match proto {
        Proto::H1 => get(client, gateway, host, path, &[]).await,
        Proto::H2 => get_h2(gateway, host, path).await,
    }
}

async fn get(
    client: &HttpClient,
    gateway: SocketAddr,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    support::get_within(client, gateway, Some(host), path, headers, LIMIT).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_founding_example_routes_by_host_over_both_protocols() {
    let world = World::start().await;
    let client = client();
    for proto in [Proto::H1, Proto::H2] {
        let mut v1 = BTreeSet::new();
        for _ in 0..6 {
            let answer = get_with(proto, &client, world.addr(), V1, "/some/path?q=1").await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            let reply = answer.echo();
            assert_eq!(reply.service, "default/echo-v1");
            assert_eq!(
                (reply.host.as_str(), reply.path.as_str()),
                (V1, "/some/path?q=1")
            );
            v1.insert(reply.replica);
        }
        assert_eq!(
            v1,
            BTreeSet::from(["echo-v1-1".into(), "echo-v1-2".into(), "echo-v1-3".into()])
        );
        let answer = get_with(proto, &client, world.addr(), V2, "/").await;
        assert_eq!(answer.status, StatusCode::OK, "{proto:?}");
        assert!(
            answer.echo().replica.starts_with("echo-v2-"),
            "{}",
            answer.body
        );

        let answer = get_with(proto, &client, world.addr(), "unknown.example", "/").await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    }
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_dead_and_slow_backends_get_503_502_504() {
    let world = World::start().await;
    let client = client();
    let answer = get(&client, world.addr(), "empty.example", "/", &[]).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("no ready endpoints"),
        "{}",
        answer.body
    );
    let answer = get(&client, world.addr(), "dead.example", "/", &[]).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{}", answer.body);
    let answer = get(&client, world.addr(), "slow.example", "/", &[]).await;
    assert_eq!(
        answer.status,
        StatusCode::GATEWAY_TIMEOUT,
        "{}",
        answer.body
    );
    // The gateway is still fine.
    assert_eq!(
        get(&client, world.addr(), V1, "/", &[]).await.status,
        StatusCode::OK
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hop_by_hop_headers_stay_and_the_upstream_learns_who_asked() {
    let world = World::start().await;
    let answer = get(
        &client(),
        world.addr(),
        V1,
        "/",
        &[
            ("connection", "x-secret"),
            ("x-secret", "only for the first hop"),
            ("proxy-connection", "keep-alive"),
            ("keep-alive", "timeout=5"),
            ("x-forwarded-for", "203.0.113.7"),
            ("x-kept", "yes"),
        ],
    )
    .await;
    let reply = answer.echo();
    for gone in ["x-secret", "proxy-connection", "keep-alive"] {
        assert!(
            reply.header(gone).is_empty(),
            "{gone} reached the upstream: {reply:?}"
        );
    }
    assert!(
        !reply
            .header("connection")
            .iter()
            .any(|c| c.contains("x-secret")),
        "{reply:?}"
    );
    assert_eq!(reply.header("x-kept"), ["yes"]);
    assert_eq!(reply.header("x-forwarded-for"), ["203.0.113.7, 127.0.0.1"]);
    assert_eq!(reply.header("x-real-ip"), ["127.0.0.1"]);
    assert_eq!(reply.header("x-forwarded-host"), [V1]);
    assert_eq!(reply.header("x-forwarded-proto"), ["http"]);
    assert_eq!(reply.host, V1);

    // Over HTTP/2 the host is the `:authority`; the upstream still gets it as `Host`.
    let reply = get_h2(world.addr(), V1, "/h2").await.echo();
    assert_eq!((reply.host.as_str(), reply.path.as_str()), (V1, "/h2"));
    assert_eq!(reply.header("x-forwarded-host"), [V1]);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_hosts_get_400_and_healthz_never_shadows_a_rule() {
    let world = World::start().await;
    let client = client();
    for bad in [
        "user@x",
        "user@v1.echo.192.168.49.5.sslip.io",
        "a b",
        "x:http",
    ] {
        let answer = get(&client, world.addr(), bad, "/", &[]).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            answer.body
        );
    }
    let answer = get(&client, world.addr(), "127.0.0.1", "/healthz", &[]).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "ok\n")
    );
    // The v1 host's `/` Prefix rule claims /healthz: it goes to the backend.
    let answer = get(&client, world.addr(), V1, "/healthz", &[]).await;
    assert_eq!(answer.echo().path, "/healthz");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_stream_through_both_ways() {
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 64;
    let world = World::start().await;
    let stream = bounded("connect", tokio::net::TcpStream::connect(world.addr()))
        .await
        .unwrap();
    let (mut sender, connection) = bounded(
        "h1 handshake",
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .unwrap();
    let driver = tokio::spawn(connection);
    let (mut body, channel) = Channel::<Bytes>::new(4);
    // Origin form: an absolute-form target's authority would override `Host`.
    let request = Request::post("/upload")
        .header("host", "stream.example")
        .body(channel)
        .unwrap();
    let responding = tokio::spawn(sender.send_request(request));
    bounded("first chunk", body.send_data(Bytes::from_static(b"first")))
        .await
        .unwrap();

    // The answer starts while the request body is still open: nothing waited for all of it.
    let response = bounded("response head", responding).await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut answer = response.into_body();
    let first = bounded("first echoed frame", answer.frame())
        .await
        .expect("a frame")
        .unwrap();
    assert_eq!(first.into_data().ok().as_deref(), Some(&b"first"[..]));

    let feeding = tokio::spawn(async move {
        for i in 0..CHUNKS {
            let chunk = Bytes::from(vec![u8::try_from(i % 251).unwrap(); CHUNK]);
            if body.send_data(chunk).await.is_err() {
                return false;
            }
        }
        true // dropping `body` ends the request
    });
    let mut received = 0usize;
    let mut sum = 0u64;
    while let Some(frame) = bounded("echoed frame", answer.frame()).await {
        let frame: Frame<Bytes> = frame.unwrap();
        if let Ok(data) = frame.into_data() {
            received += data.len();
            sum += data.iter().map(|&b| u64::from(b)).sum::<u64>();
        }
    }
    assert!(bounded("feeder", feeding).await.unwrap());
    assert_eq!(received, CHUNK * CHUNKS);
    let want: u64 = (0..CHUNKS).map(|i| (i % 251) as u64 * CHUNK as u64).sum();
    assert_eq!(sum, want);
    drop(driver);
    world.stop().await;
}

/// Waits (bounded) until `done()` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    bounded(what, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_through_the_gateway_echoes_messages() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let world = World::start().await;
    let (mut socket, response) = websocket(world.addr(), &format!("ws://{V1}/chat")).await;
    // tungstenite checked `Upgrade`, `Connection` and `Sec-WebSocket-Accept`, which only the
    // backend could compute from the key it received.
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    let replica = response.headers()["x-echo-replica"].to_str().unwrap();
    assert!(replica.starts_with("echo-v1-"), "{replica}");

    for i in 0..20 {
        support::echoed(&mut socket, Message::text(format!("message {i}"))).await;
    }
    let blob: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
    support::echoed(&mut socket, Message::binary(blob)).await;
    assert_eq!(world.gateway.tunnels().open(), 1);

    // Plain requests go on beside it.
    let answer = get(&client(), world.addr(), V2, "/", &[]).await;
    assert_eq!(answer.status, StatusCode::OK);

    bounded("close", socket.close(None)).await.unwrap();
    // The backend answers the close; then the tunnel ends.
    while let Some(Ok(message)) = bounded("closing", socket.next()).await {
        assert!(message.is_close(), "{message:?}");
    }
    // The backend closed its side; a client closes its own once the close handshake is done.
    drop(socket);
    until("the tunnel to end", || world.gateway.tunnels().open() == 0).await;
    assert_eq!(world.gateway.tunnels().opened(), 1);

    // A WebSocket still open when the gateway stops is closed by the stop.
    let (mut open, _) = websocket(world.addr(), &format!("ws://{V2}/")).await;
    bounded("send", open.send(Message::text("still here")))
        .await
        .unwrap();
    assert!(bounded("echo", open.next()).await.unwrap().is_ok());
    world.stop().await;
    match bounded("the stop to close it", open.next()).await {
        None | Some(Err(_)) => {}
        Some(Ok(message)) => assert!(message.is_close(), "{message:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_reaches_the_backend_with_its_handshake_and_tunnels_any_protocol() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut world = World::start().await;
    let mut stream = bounded("connect", tokio::net::TcpStream::connect(world.addr()))
        .await
        .unwrap();
    let request = "GET /tunnel HTTP/1.1\r\nHost: raw.example\r\nConnection: keep-alive, Upgrade\r\n\
                   Upgrade: raw-echo/1\r\nKeep-Alive: timeout=5\r\nX-Kept: yes\r\n\r\n";
    bounded("write head", stream.write_all(request.as_bytes()))
        .await
        .unwrap();
    let answer = bounded("101", read_head(&mut stream))
        .await
        .to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 101"), "{answer}");
    assert!(answer.contains("\r\nupgrade: raw-echo/1\r\n"), "{answer}");
    assert!(answer.contains("\r\nconnection: upgrade\r\n"), "{answer}");

    let head = bounded("the backend's head", world.raw_heads.recv())
        .await
        .unwrap()
        .to_ascii_lowercase();
    assert!(head.starts_with("get /tunnel http/1.1\r\n"), "{head}");
    for kept in [
        "connection: upgrade",
        "upgrade: raw-echo/1",
        "x-kept: yes",
        "host: raw.example",
        "x-forwarded-for: 127.0.0.1",
    ] {
        assert!(head.contains(&format!("\r\n{kept}\r\n")), "{kept}: {head}");
    }
    assert!(!head.contains("keep-alive"), "{head}");

    // Bytes of no HTTP at all, both ways.
    for round in 0..5 {
        let bytes = format!("\x00raw bytes {round}\x7f");
        bounded("write", stream.write_all(bytes.as_bytes()))
            .await
            .unwrap();
        let mut back = vec![0u8; bytes.len()];
        bounded("read", stream.read_exact(&mut back)).await.unwrap();
        assert_eq!(back, bytes.as_bytes());
    }
    // Our half-close reaches the backend, whose close reaches us.
    stream.shutdown().await.unwrap();
    let mut rest = Vec::new();
    bounded("eof", stream.read_to_end(&mut rest)).await.unwrap();
    assert!(rest.is_empty());
    until("the tunnel to end", || world.gateway.tunnels().open() == 0).await;

    // An upgrade the backend does not accept is an ordinary answer, which saw the handshake.
    let answer = get(
        &client(),
        world.addr(),
        V1,
        "/",
        &[("connection", "Upgrade"), ("upgrade", "foo/1")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let reply = answer.echo();
    assert_eq!(reply.header("upgrade"), ["foo/1"]);
    assert_eq!(reply.header("connection"), ["upgrade"]);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_upgrade_asked_connection_and_upgrade_are_stripped() {
    let world = World::start().await;
    let client = client();
    for headers in [
        // `Upgrade` alone is no upgrade: `Connection` does not name it.
        &[("upgrade", "websocket"), ("connection", "keep-alive")][..],
        // Nor is `Connection: upgrade` without an `Upgrade`.
        &[("connection", "upgrade")][..],
    ] {
        let answer = get(&client, world.addr(), V1, "/", headers).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let reply = answer.echo();
        assert!(reply.header("upgrade").is_empty(), "{headers:?}: {reply:?}");
        assert!(
            !reply
                .header("connection")
                .iter()
                .any(|c| c.to_ascii_lowercase().contains("upgrade")),
            "{headers:?}: {reply:?}"
        );
    }
    // A WebSocket handshake the backend refuses is passed on as the refusal.
    let answer = get(
        &client,
        world.addr(),
        V1,
        "/",
        &[("connection", "upgrade"), ("upgrade", "websocket")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(
        answer.body.contains("Sec-WebSocket-Version"),
        "{}",
        answer.body
    );
    assert_eq!(world.gateway.tunnels().opened(), 0);
    world.stop().await;
}
