//! An echo backend: answers every request with its replica name, the Service it stands for,
//! and the method, host, path and headers it received. The demo starts one per replica of
//! every Deployment; the tests start their own.
//!
//! A WebSocket handshake (RFC 6455: `GET`, `Connection: upgrade`, `Upgrade: websocket`,
//! `Sec-WebSocket-Version: 13` and a key) is accepted with `101`, and every text and binary
//! message is then sent back as it came; pings are answered and a close is returned, by
//! tokio-tungstenite. Any other request, an upgrade to another protocol included, gets the
//! ordinary reply, so that what an upgrade request carried can be read back too.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::server::{DRAIN, Server};
use crate::upgrade::Tunnels;

/// The header naming the replica that answered (also the reply's first line).
pub const REPLICA_HEADER: &str = "x-echo-replica";

/// A running echo backend.
#[derive(Debug)]
pub struct Echo {
    /// The replica's name, e.g. `echo-v1-1`.
    pub name: String,
    server: Server,
    sockets: Tunnels,
}

impl Echo {
    /// Starts a replica named `name`, standing for `service` (`namespace/name`, for the reply),
    /// on a port of 127.0.0.1 chosen by the system.
    pub async fn start(name: &str, service: &str) -> io::Result<Echo> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let sockets = Tunnels::new();
        let service = EchoService {
            name: Arc::from(name),
            service: Arc::from(service),
            sockets: sockets.clone(),
        };
        let server = Server::spawn(listener, move |_| service.clone())?;
        Ok(Echo {
            name: name.to_owned(),
            server,
            sockets,
        })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The WebSockets it has accepted (opened so far, still open).
    pub fn websockets(&self) -> &Tunnels {
        &self.sockets
    }

    /// Stops it, closing its WebSockets.
    pub async fn stop(self) {
        self.server.stop().await;
        self.sockets.close(DRAIN).await;
    }
}

/// The echo service of one replica.
#[derive(Clone, Debug)]
pub struct EchoService {
    name: Arc<str>,
    service: Arc<str>,
    sockets: Tunnels,
}

impl tower_service::Service<Request<Incoming>> for EchoService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<Incoming>) -> Self::Future {
        let response = match websocket_key(&request) {
            None => self.reply(&request),
            Some(Err(why)) => {
                let mut response = Response::new(Full::new(Bytes::from(format!(
                    "not a WebSocket handshake: {why}\n"
                ))));
                *response.status_mut() = StatusCode::BAD_REQUEST;
                response
            }
            Some(Ok(accept)) => {
                let upgraded = hyper::upgrade::on(&mut request);
                let name = self.name.clone();
                self.sockets.spawn(async move {
                    match upgraded.await {
                        Ok(upgraded) => echo_messages(TokioIo::new(upgraded)).await,
                        Err(e) => tracing::debug!(replica = %name, error = %e, "upgrade failed"),
                    }
                });
                self.switching(accept)
            }
        };
        ready(Ok(response))
    }
}

/// For a WebSocket handshake, its `Sec-WebSocket-Accept` (or why the handshake is wrong);
/// `None` for a request that does not ask for a WebSocket.
fn websocket_key<B>(request: &Request<B>) -> Option<Result<HeaderValue, &'static str>> {
    let headers = request.headers();
    let protocol = crate::upgrade::requested(request.version(), headers)?;
    if !protocol.as_bytes().eq_ignore_ascii_case(b"websocket") {
        return None;
    }
    if request.method() != Method::GET {
        return Some(Err("the method is not GET"));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Some(Err("Sec-WebSocket-Version is not 13"));
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Some(Err("no Sec-WebSocket-Key"));
    };
    Some(HeaderValue::from_str(&derive_accept_key(key.as_bytes())).map_err(|_| "bad key"))
}

/// Sends every text and binary message back until the peer closes. tokio-tungstenite answers
/// pings and the close handshake itself.
async fn echo_messages(io: TokioIo<hyper::upgrade::Upgraded>) {
    let mut socket = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
    while let Some(message) = socket.next().await {
        let message = match message {
            Ok(message) => message,
            Err(e) => {
                tracing::debug!(error = %e, "WebSocket ended with an error");
                return;
            }
        };
        if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
            return;
        }
    }
}

impl EchoService {
    /// The `101` accepting a WebSocket, named by the replica as every reply is.
    fn switching(&self, accept: HeaderValue) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        if let Ok(name) = HeaderValue::from_str(&self.name) {
            headers.insert(REPLICA_HEADER, name);
        }
        response
    }

    fn reply<B>(&self, request: &Request<B>) -> Response<Full<Bytes>> {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()))
            .unwrap_or("");
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let mut text = format!(
            "{}\nservice: {}\nmethod: {}\nhost: {host}\npath: {path}\n",
            self.name,
            self.service,
            request.method()
        );
        for (name, value) in request.headers() {
            text.push_str(&format!(
                "header: {name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        let mut response = Response::new(Full::new(Bytes::from(text)));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if let Ok(name) = HeaderValue::from_str(&self.name) {
            response.headers_mut().insert(REPLICA_HEADER, name);
        }
        response
    }
}

/// An echo reply, read back: what a test or the demo's checks look at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EchoReply {
    /// The replica that answered.
    pub replica: String,
    /// The Service it stands for.
    pub service: String,
    /// The method it received.
    pub method: String,
    /// The `Host` it received.
    pub host: String,
    /// The path and query it received.
    pub path: String,
    /// The headers it received, in order, names lowercase.
    pub headers: Vec<(String, String)>,
}

impl EchoReply {
    /// Reads a reply body; `None` if it is not an echo reply.
    pub fn parse(text: &str) -> Option<EchoReply> {
        let mut lines = text.lines();
        let mut reply = EchoReply {
            replica: lines.next()?.to_owned(),
            ..EchoReply::default()
        };
        for line in lines {
            let (key, value) = line.split_once(": ")?;
            match key {
                "service" => reply.service = value.to_owned(),
                "method" => reply.method = value.to_owned(),
                "host" => reply.host = value.to_owned(),
                "path" => reply.path = value.to_owned(),
                "header" => {
                    let (name, value) = value.split_once(": ").unwrap_or((value, ""));
                    reply.headers.push((name.to_owned(), value.to_owned()));
                }
                _ => return None,
            }
        }
        (!reply.service.is_empty()).then_some(reply)
    }

    /// The values of a header, in order.
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_reads_back() {
        let service = EchoService {
            name: "echo-v1-2".into(),
            service: "default/echo-v1".into(),
            sockets: Tunnels::new(),
        };
        let request = Request::post("/a?b=c")
            .header("host", "v1.example")
            .header("x-one", "1")
            .body(())
            .unwrap();
        let response = service.reply(&request);
        assert_eq!(response.headers()[REPLICA_HEADER], "echo-v1-2");
        let body = response.into_body();
        let text = futures_now(body);
        let reply = EchoReply::parse(&text).unwrap();
        assert_eq!(reply.replica, "echo-v1-2");
        assert_eq!(reply.service, "default/echo-v1");
        assert_eq!(
            (
                reply.method.as_str(),
                reply.host.as_str(),
                reply.path.as_str()
            ),
            ("POST", "v1.example", "/a?b=c")
        );
        assert_eq!(reply.header("x-one"), ["1"]);
        assert_eq!(EchoReply::parse("not found\n"), None);
    }

    fn futures_now(body: Full<Bytes>) -> String {
        use http_body_util::BodyExt;
        use std::future::Future;
        let mut collect = std::pin::pin!(body.collect());
        match collect
            .as_mut()
            .poll(&mut Context::from_waker(std::task::Waker::noop()))
        {
            Poll::Ready(Ok(c)) => String::from_utf8(c.to_bytes().to_vec()).unwrap(),
            _ => unreachable!("a full body is ready"),
        }
    }
}
