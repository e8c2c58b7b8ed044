//! An echo backend: answers every request with its replica name, the Service it stands for,
//! and the method, host, path and headers it received. The demo starts one per replica of
//! every Deployment; the tests start their own.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, header};
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::net::TcpListener;

use crate::server::Server;

/// The header naming the replica that answered (also the reply's first line).
pub const REPLICA_HEADER: &str = "x-echo-replica";

/// A running echo backend.
#[derive(Debug)]
pub struct Echo {
    /// The replica's name, e.g. `echo-v1-1`.
    pub name: String,
    server: Server,
}

impl Echo {
    /// Starts a replica named `name`, standing for `service` (`namespace/name`, for the reply),
    /// on a port of 127.0.0.1 chosen by the system.
    pub async fn start(name: &str, service: &str) -> io::Result<Echo> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let service = EchoService {
            name: Arc::from(name),
            service: Arc::from(service),
        };
        let server = Server::spawn(listener, move |_| service.clone())?;
        Ok(Echo {
            name: name.to_owned(),
            server,
        })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Stops it.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// The echo service of one replica.
#[derive(Clone, Debug)]
pub struct EchoService {
    name: Arc<str>,
    service: Arc<str>,
}

impl tower_service::Service<Request<Incoming>> for EchoService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        ready(Ok(self.reply(&request)))
    }
}

impl EchoService {
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
