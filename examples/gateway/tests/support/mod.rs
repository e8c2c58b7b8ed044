//! What the gateway's test files share: bounded waits, the gateway in-process, one request and
//! its answer, and the gateway binary run as a process of its own (for the tests that measure
//! it or read its log).

#![allow(dead_code, unreachable_pub)] // each test file uses its own part; `pub` for them

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use http::{Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use ingress_gateway::cli::Args;
use ingress_gateway::echo::{EchoReply, REPLICA_HEADER};
use ingress_gateway::routes::Routes;
use ingress_gateway::server::Gateway;
use ingress_kube::index::Index;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};

/// The founding example's manifests.
pub const MANIFESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../manifests/echo.yaml");
/// Its v1 host.
pub const V1: &str = "v1.echo.192.168.49.5.sslip.io";
/// Its v2 host.
pub const V2: &str = "v2.echo.192.168.49.5.sslip.io";
/// The longest one request, start or log line of the gateway binary may take.
pub const WAIT: Duration = Duration::from_secs(20);
/// The longest one await on loopback may take in the tests that run the gateway in-process
/// (a connect, a handshake, a request, a body, a stop, a reload).
pub const LIMIT: Duration = Duration::from_secs(10);

/// A scratch directory of its own under the system's temporary directory, removed when
/// dropped: `tag` names it for a person who looks while a test runs.
pub struct Scratch(PathBuf);

impl Scratch {
    /// A new, empty directory.
    pub fn new(tag: &str) -> Scratch {
        // Tests of one binary run at once in one process: a number of its own for each.
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ingress-gateway-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Scratch(dir)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.0
    }

    /// `name` in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `future`, bounded by [`LIMIT`]; panics naming `what` if it takes longer.
pub async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(LIMIT, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: not within {LIMIT:?}"),
    }
}

/// The binary's arguments (`args`, without its name) parsed, and their manifests and
/// `--endpoints` built as the binary builds them; they must build without problems.
pub fn build(args: &[String]) -> (Args, Index) {
    let argv = std::iter::once("ingress-gateway".to_owned()).chain(args.iter().cloned());
    let args = Args::try_parse_from(argv).unwrap();
    let built = ingress_gateway::config::build(&args);
    assert!(built.problems.is_empty(), "{:?}", built.problems);
    (args, built.index)
}

/// A gateway in-process on the `--listen` address of `args`, serving `index`.
pub async fn serve(args: &Args, index: &mut Index) -> Gateway {
    let routes = Arc::new(Routes::new(index.snapshot().snapshot));
    Gateway::bind(args.listen, routes, ingress_gateway::proxy_options(args))
        .await
        .unwrap()
}

/// [`build`], then [`serve`].
pub async fn gateway(args: &[String]) -> Gateway {
    let (args, mut index) = build(args);
    serve(&args, &mut index).await
}

/// The founding example's gateway, in-process on a free port, with echo-v1's one endpoint at
/// `v1` and `extra` arguments.
pub async fn v1_gateway(v1: SocketAddr, extra: &[&str]) -> Gateway {
    let mut argv = vec![
        "-f".to_owned(),
        MANIFESTS.into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        format!("--endpoints=default/echo-v1:3000={v1}"),
    ];
    argv.extend(extra.iter().map(|a| (*a).to_owned()));
    gateway(&argv).await
}

/// What one request got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The echo replica that answered (`None` for the gateway's own answers).
    pub replica: Option<String>,
    /// The body.
    pub body: String,
}

impl Reply {
    /// Reads `response` to its end (unbounded: the caller bounds it).
    pub async fn read(response: Response<Incoming>) -> Reply {
        let status = response.status();
        let replica = response
            .headers()
            .get(REPLICA_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.into_body().collect().await.expect("the body");
        Reply {
            status,
            replica,
            body: String::from_utf8_lossy(&body.to_bytes()).into_owned(),
        }
    }

    /// The body as the echo's reply; panics if it is none.
    pub fn echo(&self) -> EchoReply {
        EchoReply::parse(&self.body)
            .unwrap_or_else(|| panic!("not an echo reply ({}): {}", self.status, self.body))
    }
}

/// The client of [`client`].
pub type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// A plain HTTP/1.1 client (pooled, keep-alive).
pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// `GET http://{addr}{path}` with `Host: host` (none: the address) and `headers`, bounded by
/// `limit`.
pub async fn get_within(
    client: &HttpClient,
    addr: SocketAddr,
    host: Option<&str>,
    path: &str,
    headers: &[(&str, &str)],
    limit: Duration,
) -> Reply {
    let mut request = Request::get(format!("http://{addr}{path}"));
    if let Some(host) = host {
        request = request.header("host", host);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send_within(
        client,
        request.body(Empty::new()).expect("a request"),
        limit,
    )
    .await
}

/// [`get_within`], no more headers, bounded by [`WAIT`].
pub async fn get_with(
    client: &HttpClient,
    addr: SocketAddr,
    host: Option<&str>,
    path: &str,
) -> Reply {
    get_within(client, addr, host, path, &[], WAIT).await
}

/// [`get_with`] on a client of its own.
pub async fn get(addr: SocketAddr, host: Option<&str>, path: &str) -> Reply {
    get_with(&client(), addr, host, path).await
}

/// Sends `request` (any body) and reads the answer, bounded by [`WAIT`].
pub async fn send<B>(client: &Client<HttpConnector, B>, request: Request<B>) -> Reply
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    send_within(client, request, WAIT).await
}

/// Sends `request` (any body) and reads the answer, bounded by `limit`.
pub async fn send_within<B>(
    client: &Client<HttpConnector, B>,
    request: Request<B>,
    limit: Duration,
) -> Reply
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let target = request.uri().clone();
    let exchange = async {
        let response = client.request(request).await.expect("an answer");
        Reply::read(response).await
    };
    tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or_else(|_| panic!("no answer from {target} within {limit:?}"))
}

/// One `GET uri` over HTTP/2 with prior knowledge on `stream` (the authority in the URI, as an
/// HTTP/2 client sends it), each step bounded by [`LIMIT`]; the connection is closed after.
pub async fn h2_get<S>(stream: S, uri: &str) -> Reply
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) = bounded(
        "h2 handshake",
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)),
    )
    .await
    .unwrap();
    let driver = tokio::spawn(connection);
    let request = Request::get(uri)
        .version(Version::HTTP_2)
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = bounded("h2 request", sender.send_request(request))
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    let reply = bounded("h2 body", Reply::read(response)).await;
    drop(sender);
    let _ = bounded("h2 close", driver).await;
    reply
}

/// A WebSocket to `url` through the gateway at `addr` (the URL gives the `Host`; the socket is
/// the gateway's), each step bounded by [`LIMIT`]: the socket and the handshake's answer.
pub async fn websocket(addr: SocketAddr, url: &str) -> (WebSocket, WebSocketAnswer) {
    let stream = bounded("connect", tokio::net::TcpStream::connect(addr))
        .await
        .unwrap();
    bounded(
        "WebSocket handshake",
        tokio_tungstenite::client_async(url, stream),
    )
    .await
    .expect("the handshake went through the gateway")
}

/// The socket of [`websocket`].
pub type WebSocket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;
/// The handshake's answer of [`websocket`].
pub type WebSocketAnswer = tokio_tungstenite::tungstenite::handshake::client::Response;

/// Sends `message` on `socket` and checks that the same message comes back (the echo
/// backend's WebSocket echoes each one), each step bounded.
pub async fn echoed(socket: &mut WebSocket, message: tokio_tungstenite::tungstenite::Message) {
    use futures::{SinkExt, StreamExt};
    bounded("WebSocket send", socket.send(message.clone()))
        .await
        .expect("the WebSocket takes the message");
    let back = bounded("WebSocket echo", socket.next())
        .await
        .expect("the WebSocket is open")
        .expect("a message back");
    assert_eq!(back, message);
}

/// The gateway binary, started with `args` and `RUST_LOG=info`; its log (stderr) is read line
/// by line.
pub struct Binary {
    /// The process (killed when dropped).
    pub child: Child,
    log: Lines<BufReader<ChildStderr>>,
}

impl Binary {
    /// Starts it.
    pub fn spawn(args: &[String], env: &[(&str, &str)]) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ingress-gateway"))
            .args(args)
            .env("RUST_LOG", "warn,ingress_gateway=info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the gateway binary");
        let log = BufReader::new(child.stderr.take().expect("stderr")).lines();
        Binary { child, log }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("a running gateway")
    }

    /// The next log line, bounded by [`WAIT`]; `None` once it exited.
    pub async fn next_line(&mut self) -> Option<String> {
        tokio::time::timeout(WAIT, self.log.next_line())
            .await
            .expect("a log line in time")
            .expect("read the gateway's log")
    }

    /// Reads the log until `found` gives a value.
    pub async fn wait_for<T>(&mut self, mut found: impl FnMut(&str) -> Option<T>) -> T {
        loop {
            let line = self
                .next_line()
                .await
                .expect("the gateway exited before logging what was waited for");
            if let Some(value) = found(&line) {
                return value;
            }
        }
    }

    /// The address logged after `prefix` (e.g. `"admin listener on http://"`), if the line has
    /// one.
    pub fn address_after(line: &str, prefix: &str) -> Option<SocketAddr> {
        let at = line.find(prefix)?;
        line[at + prefix.len()..]
            .split(|c: char| c.is_whitespace() || c == '"')
            .next()?
            .parse()
            .ok()
    }

    /// Where it serves traffic: the address of its `serving ... on http://ADDR` line.
    pub async fn serving_address(&mut self) -> SocketAddr {
        self.wait_for(|line| {
            line.contains("serving ")
                .then(|| Binary::address_after(line, " on http://"))
                .flatten()
        })
        .await
    }

    /// Keeps reading (and dropping) its log, so that it never blocks on a full pipe.
    pub fn drain_log(mut self) -> Child {
        tokio::spawn(async move { while let Ok(Some(_)) = self.log.next_line().await {} });
        self.child
    }
}

/// `VmRSS` (`field` `"VmRSS"`) or `VmHWM` (peak) of a process, MiB; 0 if it is gone.
pub fn memory_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}
