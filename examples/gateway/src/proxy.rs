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
//! | otherwise | the upstream's response, its body cut if it stalls ([`crate::idle`]) |
//!
//! Endpoints are taken in turn by the [`Balancer`](crate::balance::Balancer). One that refuses
//! the connection or does not connect in time is reported failed (and skipped for a while);
//! a request without a body is then tried again on the next endpoint, up to
//! [`MAX_TRIES`] in all, as ingress-nginx's `proxy-next-upstream: error timeout` with
//! `proxy-next-upstream-tries: 3` does. A request with a body is not retried: the gateway
//! streams bodies instead of buffering them, so a second try would have nothing to send. An
//! endpoint that accepted the request and then did not answer in time is reported failed
//! too, but that request gets its 504 (a retry could double a slow request's time).
//!
//! A request asking for an `Upgrade` (a WebSocket handshake, say) keeps its `Connection:
//! upgrade` and `Upgrade` headers on the way; if the upstream answers `101`, both connections
//! become one byte tunnel ([`crate::upgrade`]).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, Uri, Version, header};
use http_body_util::{Either, Empty, Full};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use ingress_kube::index::{Backend, Resolved};
use ingress_router::tower::Routing;

use crate::headers::{remove_hop_by_hop, set_forwarded};
use crate::idle::IdleTimeout;
use crate::metrics::UpstreamError;
use crate::routes::Routes;
use crate::server::Accepted;
use crate::upgrade::{self, Tunnels};

/// The response body: the upstream's, streamed (and cut if it stalls: [`IdleTimeout`]), or the
/// gateway's own short answer.
pub type Body = Either<IdleTimeout<Incoming>, Full<Bytes>>;

/// The body sent upstream: the client's, streamed, or none for a retried bodiless request.
type UpstreamBody = Either<Incoming, Empty<Bytes>>;

/// Tries per request on endpoints that fail to connect (ingress-nginx's
/// `proxy-next-upstream-tries`).
pub const MAX_TRIES: usize = 3;

/// The gateway's health path, answered when no path rule of the request's host claims it.
pub const HEALTHZ: &str = "/healthz";

/// How the proxy talks to upstreams.
#[derive(Clone, Copy, Debug)]
pub struct ProxyOptions {
    /// Connecting to an endpoint (504 after).
    pub connect_timeout: Duration,
    /// From sending the request to the response head (504 after), and between two chunks of
    /// the response body (the body is cut after), as nginx's `proxy_read_timeout`.
    pub response_timeout: Duration,
    /// How long an idle pooled upstream connection is kept (ingress-nginx's
    /// `upstream-keepalive-timeout`).
    pub upstream_keepalive_timeout: Duration,
    /// Idle pooled connections kept per endpoint.
    pub max_idle_per_endpoint: usize,
    /// Log every request (target `ingress_gateway::access`).
    pub access_log: bool,
    /// What the gateway's listeners let one client hold.
    pub limits: crate::server::Limits,
    /// Serving threads ([`crate::workers`]), each with its own upstream pool.
    pub workers: usize,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        ProxyOptions {
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(60),
            upstream_keepalive_timeout: Duration::from_secs(60),
            max_idle_per_endpoint: 64,
            access_log: false,
            limits: crate::server::Limits::default(),
            workers: crate::workers::Workers::default_count(),
        }
    }
}

/// What all connections share: the routes, and the upstream connection pools, one per
/// serving thread, so that a request and its upstream connection run on one thread.
#[derive(Debug)]
pub struct Proxy {
    routes: Arc<Routes>,
    clients: Vec<Client<HttpConnector, UpstreamBody>>,
    options: ProxyOptions,
    tunnels: Tunnels,
}

impl Proxy {
    /// A proxy resolving with `routes`, with an upstream pool for each of the
    /// [`ProxyOptions::workers`] serving threads (at least one, as [`crate::workers::Workers`]
    /// starts).
    pub fn new(routes: Arc<Routes>, options: ProxyOptions) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(options.connect_timeout));
        connector.set_nodelay(true);
        // A clone of a client shares its pool: each thread gets a client built anew.
        let clients = (0..options.workers.max(1))
            .map(|_| {
                Client::builder(TokioExecutor::new())
                    .pool_max_idle_per_host(options.max_idle_per_endpoint)
                    .pool_idle_timeout(options.upstream_keepalive_timeout)
                    .pool_timer(TokioTimer::new())
                    .build(connector.clone())
            })
            .collect();
        Proxy {
            routes,
            clients,
            options,
            tunnels: Tunnels::new(),
        }
    }

    /// The routes the proxy resolves with.
    pub fn routes(&self) -> &Arc<Routes> {
        &self.routes
    }

    /// How it talks to upstreams, and the limits of its listeners.
    pub fn options(&self) -> &ProxyOptions {
        &self.options
    }

    /// The upgraded connections (WebSockets and the like) the proxy tunnels.
    pub fn tunnels(&self) -> &Tunnels {
        &self.tunnels
    }

    /// Answers one request that went through the `RouteLayer`, on the connection `from`.
    pub async fn handle(&self, mut request: Request<Incoming>, from: Accepted) -> Response<Body> {
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
        match snapshot.resolve(backend) {
            Resolved::Endpoints(endpoints) => {
                self.to_endpoints(request, backend, endpoints, from).await
            }
            Resolved::ExternalName { host, port } => {
                let authority = format!("{host}:{port}");
                drop(snapshot);
                self.forward(request.map(Either::Left), &authority, from)
                    .await
                    .0
            }
            Resolved::Unavailable(reason) => answer(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("{backend}: {reason}"),
            ),
        }
    }

    /// Sends the request to the backend's endpoints in turn: see the module docs for what a
    /// failure does.
    async fn to_endpoints(
        &self,
        request: Request<Incoming>,
        backend: &Backend,
        endpoints: &[SocketAddr],
        from: Accepted,
    ) -> Response<Body> {
        let balancer = self.routes.balancer();
        let scheme = crate::tls::Scheme::of(&request);
        // What a retry needs: the head again (the body is empty). Only kept when another
        // endpoint could take it.
        let retry = (endpoints.len() > 1
            && request.body().is_end_stream()
            && upgrade::requested(request.version(), request.headers()).is_none())
        .then(|| {
            (
                request.method().clone(),
                request.uri().clone(),
                request.version(),
                request.headers().clone(),
            )
        });
        let mut request = Some(request.map(Either::Left));
        let mut tries = 0;
        loop {
            tries += 1;
            let Some(endpoint) = balancer.pick(backend, endpoints) else {
                return answer(StatusCode::SERVICE_UNAVAILABLE, "no endpoints");
            };
            let attempt = match (request.take(), &retry) {
                (Some(request), _) => request,
                (None, Some((method, uri, version, headers))) => {
                    let mut again = Request::new(Either::Right(Empty::new()));
                    *again.method_mut() = method.clone();
                    *again.uri_mut() = uri.clone();
                    *again.version_mut() = *version;
                    *again.headers_mut() = headers.clone();
                    again.extensions_mut().insert(scheme);
                    again
                }
                (None, None) => unreachable!("a request without a retry head is tried once"),
            };
            let (response, error) = self.forward(attempt, &endpoint.to_string(), from).await;
            match error {
                None => {
                    balancer.succeeded(endpoint);
                    return response;
                }
                Some(UpstreamError::Refused | UpstreamError::ConnectTimeout) => {
                    balancer.failed(endpoint);
                    if retry.is_none() || tries == MAX_TRIES {
                        return response;
                    }
                    tracing::debug!(%endpoint, tries, "trying the next endpoint");
                }
                Some(UpstreamError::ResponseTimeout) => {
                    balancer.failed(endpoint);
                    return response;
                }
                Some(UpstreamError::Failed) => return response,
            }
        }
    }

    /// Sends the request to `authority` and streams the response back; says how the upstream
    /// failed if it did (the answer carries it too, for the metrics).
    async fn forward(
        &self,
        mut request: Request<UpstreamBody>,
        authority: &str,
        from: Accepted,
    ) -> (Response<Body>, Option<UpstreamError>) {
        let upgrade = upgrade::requested(request.version(), request.headers());
        let client_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
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
            Err(e) => {
                let answer = answer(StatusCode::BAD_GATEWAY, &format!("upstream address: {e}"));
                return failed(answer, UpstreamError::Failed);
            }
        };
        // Upstreams speak HTTP/1.1, whatever the client spoke.
        parts.version = Version::HTTP_11;
        remove_hop_by_hop(&mut parts.headers);
        if let Some(upgrade) = upgrade {
            upgrade::restore(&mut parts.headers, upgrade);
        }
        if let Ok(value) = HeaderValue::from_str(&host) {
            parts.headers.insert(header::HOST, value);
        }
        set_forwarded(&mut parts.headers, from.peer.ip(), &host, scheme.as_str());

        // The pool of the thread this connection runs on.
        let client = &self.clients[from.worker % self.clients.len()];
        let sent = client.request(Request::from_parts(parts, body));
        match tokio::time::timeout(self.options.response_timeout, sent).await {
            Err(_) => {
                tracing::warn!(upstream = authority, "no response head in time");
                let answer = answer(
                    StatusCode::GATEWAY_TIMEOUT,
                    "the upstream did not answer in time",
                );
                failed(answer, UpstreamError::ResponseTimeout)
            }
            Ok(Err(e)) if timed_out(&e) => {
                tracing::warn!(upstream = authority, error = %e, "upstream timed out");
                let answer = answer(
                    StatusCode::GATEWAY_TIMEOUT,
                    "the upstream did not connect in time",
                );
                failed(answer, UpstreamError::ConnectTimeout)
            }
            Ok(Err(e)) => {
                tracing::warn!(upstream = authority, error = %error_chain(&e), "upstream failed");
                let kind = if e.is_connect() {
                    UpstreamError::Refused
                } else {
                    UpstreamError::Failed
                };
                failed(answer(StatusCode::BAD_GATEWAY, "the upstream failed"), kind)
            }
            Ok(Ok(response)) if response.status() == StatusCode::SWITCHING_PROTOCOLS => {
                (self.switch(client_upgrade, response, authority), None)
            }
            Ok(Ok(response)) => {
                let (mut parts, body) = response.into_parts();
                remove_hop_by_hop(&mut parts.headers);
                let body = IdleTimeout::new(body, self.options.response_timeout);
                (Response::from_parts(parts, Either::Left(body)), None)
            }
        }
    }
}

/// The gateway's answer for a failed upstream, marked with how it failed.
fn failed(
    mut answer: Response<Body>,
    error: UpstreamError,
) -> (Response<Body>, Option<UpstreamError>) {
    answer.extensions_mut().insert(error);
    (answer, Some(error))
}

impl Proxy {
    /// The upstream accepted an upgrade: join the two connections once both are switched,
    /// and pass the `101` on with its handshake headers. A `101` the client did not ask for,
    /// or without `Upgrade`, cannot be passed on (the client would not know what it speaks
    /// now): 502.
    fn switch(
        &self,
        client: Option<hyper::upgrade::OnUpgrade>,
        mut response: Response<Incoming>,
        authority: &str,
    ) -> Response<Body> {
        let (Some(client), Some(protocol)) = (client, upgrade::accepted(&response)) else {
            tracing::warn!(
                upstream = authority,
                "101 without an upgrade asked and named"
            );
            return answer(
                StatusCode::BAD_GATEWAY,
                "the upstream switched protocols unasked",
            );
        };
        let upstream = hyper::upgrade::on(&mut response);
        self.tunnels.join(client, upstream, authority.to_owned());
        let (mut parts, body) = response.into_parts();
        remove_hop_by_hop(&mut parts.headers);
        upgrade::restore(&mut parts.headers, protocol);
        // A `101`'s body is empty (the bytes that follow are the tunnel's, which has no
        // timeout); it is wrapped only to be of the one response body type.
        let body = IdleTimeout::new(body, self.options.response_timeout);
        Response::from_parts(parts, Either::Left(body))
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
    from: Accepted,
}

impl ProxyService {
    /// The service for the connection `from`.
    pub fn new(proxy: Arc<Proxy>, from: Accepted) -> Self {
        ProxyService { proxy, from }
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
        let from = self.from;
        Box::pin(async move { Ok(proxy.handle(request, from).await) })
    }
}
