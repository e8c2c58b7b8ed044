//! The proxy: the service behind the gateway's `RouteLayer`. It reads the [`Routing`] the layer
//! left in the request, answers what the gateway answers itself (400, 404, 503, `/healthz`),
//! and forwards the rest to an endpoint of the backend, streaming both bodies.
//!
//! | routing | answer |
//! |---|---|
//! | the `Host` was refused (`InvalidHost`) | 400 |
//! | `/healthz` and no path rule of the host matched | 200, from the gateway |
//! | nothing matched, no default backend | 404 |
//! | the backend resolves to nothing (`Resolved::Unavailable`) | 503 |
//! | the upstream refused, reset or broke the response | 502 |
//! | the upstream did not connect or answer in time | 504 |
//! | otherwise | the upstream's response |

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, Uri, Version, header};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ingress_kube::index::{Backend, Resolved};
use ingress_router::tower::Routing;

use crate::headers::{remove_hop_by_hop, set_forwarded};
use crate::routes::Routes;

/// The response body: the upstream's, streamed, or the gateway's own short answer.
pub type Body = Either<Incoming, Full<Bytes>>;

/// The gateway's health path, answered when no path rule of the request's host claims it.
pub const HEALTHZ: &str = "/healthz";

/// How the proxy talks to upstreams.
#[derive(Clone, Copy, Debug)]
pub struct ProxyOptions {
    /// Connecting to an endpoint (504 after).
    pub connect_timeout: Duration,
    /// From sending the request to the response head (504 after).
    pub response_timeout: Duration,
    /// Idle pooled connections kept per endpoint.
    pub max_idle_per_endpoint: usize,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        ProxyOptions {
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(60),
            max_idle_per_endpoint: 64,
        }
    }
}

/// What all connections share: the routes and the upstream connection pool.
#[derive(Debug)]
pub struct Proxy {
    routes: Arc<Routes>,
    client: Client<HttpConnector, Incoming>,
    options: ProxyOptions,
}

impl Proxy {
    /// A proxy resolving with `routes`, with its own upstream pool.
    pub fn new(routes: Arc<Routes>, options: ProxyOptions) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(options.connect_timeout));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(options.max_idle_per_endpoint)
            .build(connector);
        Proxy {
            routes,
            client,
            options,
        }
    }

    /// The routes the proxy resolves with.
    pub fn routes(&self) -> &Arc<Routes> {
        &self.routes
    }

    /// Answers one request that went through the `RouteLayer`.
    pub async fn handle(&self, mut request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let decision = match request.extensions_mut().remove::<Routing<Backend>>() {
            Some(Ok(decision)) => decision,
            Some(Err(bad_host)) => return answer(StatusCode::BAD_REQUEST, &bad_host.to_string()),
            None => {
                // Only a wiring mistake gets here: the proxy always sits behind the layer.
                tracing::error!("a request reached the proxy without routing");
                return answer(StatusCode::INTERNAL_SERVER_ERROR, "not routed");
            }
        };
        if request.uri().path() == HEALTHZ && !decision.is_route() {
            return answer(StatusCode::OK, "ok");
        }
        let Some(backend) = decision.backend() else {
            return answer(
                StatusCode::NOT_FOUND,
                "no Ingress rule matches this host and path",
            );
        };
        let snapshot = self.routes.load();
        let authority = match snapshot.resolve(backend) {
            Resolved::Endpoints(endpoints) => match self.routes.pick(backend, endpoints) {
                Some(endpoint) => endpoint.to_string(),
                None => return answer(StatusCode::SERVICE_UNAVAILABLE, "no endpoints"),
            },
            Resolved::ExternalName { host, port } => format!("{host}:{port}"),
            Resolved::Unavailable(reason) => {
                return answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("{backend}: {reason}"),
                );
            }
        };
        drop(snapshot);
        self.forward(request, &authority, peer).await
    }

    /// Sends the request to `authority` and streams the response back.
    async fn forward(
        &self,
        request: Request<Incoming>,
        authority: &str,
        peer: SocketAddr,
    ) -> Response<Body> {
        let scheme = crate::tls::Scheme::of(&request);
        let (mut parts, body) = request.into_parts();
        // The host the client asked for: HTTP/2's `:authority`, else `Host` (the layer has
        // checked that they agree).
        let host = match parts.uri.authority() {
            Some(a) => a.as_str().to_owned(),
            None => parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .to_owned(),
        };
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        parts.uri = match Uri::builder()
            .scheme("http")
            .authority(authority)
            .path_and_query(path)
            .build()
        {
            Ok(uri) => uri,
            Err(e) => return answer(StatusCode::BAD_GATEWAY, &format!("upstream address: {e}")),
        };
        // Upstreams speak HTTP/1.1, whatever the client spoke.
        parts.version = Version::HTTP_11;
        remove_hop_by_hop(&mut parts.headers);
        if let Ok(value) = HeaderValue::from_str(&host) {
            parts.headers.insert(header::HOST, value);
        }
        set_forwarded(&mut parts.headers, peer.ip(), &host, scheme.as_str());

        let sent = self.client.request(Request::from_parts(parts, body));
        match tokio::time::timeout(self.options.response_timeout, sent).await {
            Err(_) => {
                tracing::warn!(upstream = authority, "no response head in time");
                answer(
                    StatusCode::GATEWAY_TIMEOUT,
                    "the upstream did not answer in time",
                )
            }
            Ok(Err(e)) if timed_out(&e) => {
                tracing::warn!(upstream = authority, error = %e, "upstream timed out");
                answer(
                    StatusCode::GATEWAY_TIMEOUT,
                    "the upstream did not connect in time",
                )
            }
            Ok(Err(e)) => {
                tracing::warn!(upstream = authority, error = %error_chain(&e), "upstream failed");
                answer(StatusCode::BAD_GATEWAY, "the upstream failed")
            }
            Ok(Ok(response)) => {
                let (mut parts, body) = response.into_parts();
                remove_hop_by_hop(&mut parts.headers);
                Response::from_parts(parts, Either::Left(body))
            }
        }
    }
}

/// Whether a client error is a timeout (the connector's connect timeout).
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        source = e.source();
    }
    false
}

/// An error and its causes, for the log.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// The gateway's own answer: a status and a line of text.
pub fn answer(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::from(format!("{text}\n")))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The proxy as the tower service of one connection: the inner service of the gateway's
/// `RouteLayer`.
#[derive(Clone, Debug)]
pub struct ProxyService {
    proxy: Arc<Proxy>,
    peer: SocketAddr,
}

impl ProxyService {
    /// The service for a connection from `peer`.
    pub fn new(proxy: Arc<Proxy>, peer: SocketAddr) -> Self {
        ProxyService { proxy, peer }
    }
}

impl tower_service::Service<Request<Incoming>> for ProxyService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let proxy = self.proxy.clone();
        let peer = self.peer;
        Box::pin(async move { Ok(proxy.handle(request, peer).await) })
    }
}
