//! What the gateway's test files share: bounded waits, one request and its answer, and the
//! gateway binary run as a process of its own (for the tests that measure it or read its log).

#![allow(dead_code, unreachable_pub)] // each test file uses its own part; `pub` for them

use std::future::Future;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ingress_gateway::echo::REPLICA_HEADER;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
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

/// `future`, bounded by [`LIMIT`]; panics naming `what` if it takes longer.
pub async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(LIMIT, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: not within {LIMIT:?}"),
    }
}

/// What one request got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The echo replica that answered (`None` for the gateway's own answers).
    pub replica: Option<String>,
    /// The body.
    pub body: String,
}

/// A plain HTTP/1.1 client (pooled, keep-alive).
pub fn client() -> Client<HttpConnector, Empty<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// `GET http://{addr}{path}` with `Host: host` (none: the address), bounded by [`WAIT`].
pub async fn get_with(
    client: &Client<HttpConnector, Empty<Bytes>>,
    addr: SocketAddr,
    host: Option<&str>,
    path: &str,
) -> Reply {
    let mut request = Request::get(format!("http://{addr}{path}"));
    if let Some(host) = host {
        request = request.header("host", host);
    }
    send(client, request.body(Empty::new()).expect("a request")).await
}

/// Sends `request` (any body) and reads the answer, bounded by [`WAIT`].
pub async fn send<B>(client: &Client<HttpConnector, B>, request: Request<B>) -> Reply
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let target = request.uri().clone();
    let exchange = async {
        let response = client.request(request).await.expect("an answer");
        let status = response.status().as_u16();
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
    };
    tokio::time::timeout(WAIT, exchange)
        .await
        .unwrap_or_else(|_| panic!("no answer from {target} within {WAIT:?}"))
}

/// [`get_with`] on a client of its own.
pub async fn get(addr: SocketAddr, host: Option<&str>, path: &str) -> Reply {
    get_with(&client(), addr, host, path).await
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
