//! The proxy: the service behind the gateway's `RouteLayer`. It reads the [`Routing`] the layer
//! left in the request, answers what the gateway answers itself (400, 404, 503, `/healthz`),
//! and forwards the rest to an endpoint of the backend, streaming both bodies.
//!
//! | routing | answer |
//! |---|---|
//! | the `Host` was refused (`InvalidHost`) | 400 |
//! | `/healthz` and no path rule of the host matched | 200, from the gateway |
//! | a redirect (the ingress-nginx profile: [`crate::profile`]) | the redirect, from the gateway |
//! | nothing matched, no default backend | 404 |
//! | the backend resolves to nothing (`Resolved::Unavailable`) | 503 |
//! | the upstream refused, reset or broke the response | 502 |
//! | the upstream did not connect or answer in time | 504 |
//! | the client's request body sent nothing for `--client-body-timeout` | 408, the connection closed |
//! | otherwise | the upstream's response, its body cut if it stalls ([`crate::idle`]) |
//!
//! Under the ingress-nginx profile the backend may be a canary's and the upstream's target a
//! rewritten one ([`crate::profile`]).
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
use http::uri::PathAndQuery;
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri, Version, header};
use http_body_util::{Either, Full};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use ingress_kube::index::{Backend, Resolved};
use ingress_router::Decision;
use ingress_router::tower::Routing;

use crate::headers::{remove_hop_by_hop, set_forwarded};
use crate::idle::IdleTimeout;
use crate::metrics::UpstreamError;
use crate::pool::{self, Failure, PoolOptions, RequestBody, Upstream, Upstreams};
use crate::profile::{self, CanaryServed};
use crate::routes::Routes;
use crate::server::Accepted;
use crate::tls::scheme_of;
use crate::upgrade::{self, Tunnels};

/// The response body: the upstream's, streamed (and cut if it stalls: [`IdleTimeout`]), or the
/// gateway's own short answer.
pub type Body = Either<IdleTimeout<pool::Body>, Full<Bytes>>;

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
    /// How long a client's request body may send nothing before the request is answered
    /// `408` (nginx's `client_body_timeout`).
    pub client_body_timeout: Duration,
    /// How long an upgraded connection (a WebSocket) may carry nothing either way before it
    /// is closed ([`crate::upgrade`]).
    pub tunnel_idle_timeout: Duration,
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
            tunnel_idle_timeout: Duration::from_secs(60),
            client_body_timeout: Duration::from_secs(60),
            upstream_keepalive_timeout: Duration::from_secs(60),
            max_idle_per_endpoint: 64,
            access_log: false,
            limits: crate::server::Limits::default(),
            workers: crate::workers::Workers::default_count(),
        }
    }
}

/// What all connections share: the routes, and the upstream connection pools, one per
/// serving thread, so that a request and its upstream connection run on one thread
/// ([`crate::pool`]).
#[derive(Debug)]
pub struct Proxy {
    routes: Arc<Routes>,
    upstreams: Upstreams,
    options: ProxyOptions,
    tunnels: Tunnels,
}

/// A client connection as the proxy tells upstreams about it: where it was accepted, and the
/// client's address as a header value (`X-Real-IP`, `X-Forwarded-For`), made once for all
/// the requests of the connection.
#[derive(Clone, Debug)]
pub struct Peer {
    accepted: Accepted,
    address: HeaderValue,
}

impl Peer {
    /// The client of the connection `accepted`.
    pub fn new(accepted: Accepted) -> Self {
        let address = HeaderValue::try_from(accepted.peer.ip().to_string())
            .expect("an IP address is a valid header value");
        Peer { accepted, address }
    }
}

/// An upstream that failed: the gateway's answer, how it failed, and the request when it was
/// not sent (no connection was made), for the next endpoint.
struct Failed {
    answer: Response<Body>,
    error: UpstreamError,
    unsent: Option<Box<Request<RequestBody>>>,
}

impl Failed {
    /// The answer is marked with how the upstream failed, for the metrics.
    fn new(mut answer: Response<Body>, error: UpstreamError) -> Self {
        answer.extensions_mut().insert(error);
        Failed {
            answer,
            error,
            unsent: None,
        }
    }
}

impl Proxy {
    /// A proxy resolving with `routes`, with an upstream pool for each of the
    /// [`ProxyOptions::workers`] serving threads (at least one, as [`crate::workers::Workers`]
    /// starts).
    pub fn new(routes: Arc<Routes>, options: ProxyOptions) -> Self {
        let upstreams = Upstreams::new(
            options.workers,
            PoolOptions {
                connect_timeout: options.connect_timeout,
                idle_timeout: options.upstream_keepalive_timeout,
                max_idle: options.max_idle_per_endpoint,
            },
        );
        Proxy {
            routes,
            upstreams,
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

    /// Answers one request that went through the `RouteLayer`, from the client `from`.
    pub async fn handle(&self, mut request: Request<Incoming>, from: &Peer) -> Response<Body> {
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
        // The borrowed view of the owned decision: what the ingress-nginx profile adds
        // (redirects, rewrites, canaries) is read from it ([`crate::profile`]).
        let decision = decision.as_decision();
        if let Decision::Redirect(redirect) = &decision {
            return profile::redirect(redirect, &request);
        }
        let Some((backend, canary)) = profile::backend(&decision, &request) else {
            return answer(
                StatusCode::NOT_FOUND,
                "no Ingress rule matches this host and path",
            );
        };
        let target = match decision.rewrite().map(|r| profile::rewritten(r, &request)) {
            Some(Ok(target)) => Some(target),
            Some(Err(why)) => return answer(StatusCode::INTERNAL_SERVER_ERROR, why),
            None => None,
        };
        let mut response = self.to_backend(request, backend, target, from).await;
        if let Some(source) = canary {
            response.extensions_mut().insert(CanaryServed {
                source: source.clone(),
                backend: backend.clone(),
            });
        }
        response
    }

    /// Sends the request to `backend`, its target replaced by `target` when the location
    /// rewrites.
    async fn to_backend(
        &self,
        request: Request<Incoming>,
        backend: &Backend,
        target: Option<PathAndQuery>,
        from: &Peer,
    ) -> Response<Body> {
        let snapshot = self.routes.load();
        match snapshot.resolve(backend) {
            Resolved::Endpoints(endpoints) => {
                self.to_endpoints(request, backend, endpoints, target, from)
                    .await
            }
            Resolved::ExternalName { host, port } => {
                let authority = format!("{host}:{port}");
                drop(snapshot);
                if let Err(e) = authority.parse::<http::uri::Authority>() {
                    let answer = answer(StatusCode::BAD_GATEWAY, &format!("upstream address: {e}"));
                    return Failed::new(answer, UpstreamError::Failed).answer;
                }
                let upstream = Upstream::Name(authority.into());
                let body_timeout = self.options.client_body_timeout;
                let (request, mut upgrade) = prepare(request, target, body_timeout, from);
                match self.forward(request, &mut upgrade, &upstream, from).await {
                    Ok(response) => response,
                    Err(failed) => failed.answer,
                }
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
        target: Option<PathAndQuery>,
        from: &Peer,
    ) -> Response<Body> {
        let balancer = self.routes.balancer();
        // A request is tried again only when another endpoint could take it and it has no
        // body (one streamed is not kept for a second try) and asks for no upgrade. A request
        // not sent is handed back whole: a retry sends the same one.
        let bodiless = request.body().is_end_stream();
        let body_timeout = self.options.client_body_timeout;
        let (mut request, mut upgrade) = prepare(request, target, body_timeout, from);
        let retry = endpoints.len() > 1 && bodiless && upgrade.is_none();
        let mut tries = 0;
        loop {
            tries += 1;
            let Some(endpoint) = balancer.pick(backend, endpoints) else {
                return answer(StatusCode::SERVICE_UNAVAILABLE, "no endpoints");
            };
            let upstream = Upstream::Endpoint(endpoint);
            let failed = match self.forward(request, &mut upgrade, &upstream, from).await {
                Ok(response) => {
                    balancer.succeeded(endpoint);
                    return response;
                }
                Err(failed) => failed,
            };
            match failed.error {
                UpstreamError::Refused | UpstreamError::ConnectTimeout => {
                    balancer.failed(endpoint);
                    match failed.unsent {
                        Some(unsent) if retry && tries < MAX_TRIES => {
                            tracing::debug!(%endpoint, tries, "trying the next endpoint");
                            request = *unsent;
                        }
                        _ => return failed.answer,
                    }
                }
                UpstreamError::ResponseTimeout => {
                    balancer.failed(endpoint);
                    return failed.answer;
                }
                UpstreamError::Failed => return failed.answer,
            }
        }
    }

    /// Sends the request to `upstream` and streams the response back, or says how the
    /// upstream failed. `upgrade` is the client's side of the upgrade it asked for, taken if
    /// the upstream switches.
    async fn forward(
        &self,
        mut request: Request<RequestBody>,
        upgrade: &mut Option<OnUpgrade>,
        upstream: &Upstream,
        from: &Peer,
    ) -> Result<Response<Body>, Failed> {
        if request.method() == Method::CONNECT {
            // CONNECT's target is authority-form: the upstream's, as hyper-util's client sent
            // it before.
            if let Ok(target) = Uri::try_from(upstream.to_string()) {
                *request.uri_mut() = target;
            }
        }
        // The pool of the thread this connection runs on.
        let sent = self.upstreams.send(from.accepted.worker, upstream, request);
        match tokio::time::timeout(self.options.response_timeout, sent).await {
            Err(_) => {
                tracing::warn!(%upstream, "no response head in time");
                let answer = answer(
                    StatusCode::GATEWAY_TIMEOUT,
                    "the upstream did not answer in time",
                );
                Err(Failed::new(answer, UpstreamError::ResponseTimeout))
            }
            Ok(Err(Failure::Connect { error, request })) => {
                let mut failed = if timed_out(&*error) {
                    tracing::warn!(%upstream, error = %error, "upstream timed out");
                    let answer = answer(
                        StatusCode::GATEWAY_TIMEOUT,
                        "the upstream did not connect in time",
                    );
                    Failed::new(answer, UpstreamError::ConnectTimeout)
                } else {
                    tracing::warn!(%upstream, error = %error_chain(&*error), "upstream failed");
                    let answer = answer(StatusCode::BAD_GATEWAY, "the upstream failed");
                    Failed::new(answer, UpstreamError::Refused)
                };
                failed.unsent = Some(request);
                Err(failed)
            }
            Ok(Err(Failure::Exchange(e))) if stalled(&e) => {
                // The client stopped sending its body: not the upstream's fault. nginx answers
                // 408 on `client_body_timeout`, and closes the connection.
                tracing::debug!(%upstream, error = %error_chain(&e), "request body timed out");
                let mut answer = answer(
                    StatusCode::REQUEST_TIMEOUT,
                    "the request body did not arrive in time",
                );
                answer
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                Ok(answer)
            }
            Ok(Err(Failure::Exchange(e))) => {
                tracing::warn!(%upstream, error = %error_chain(&e), "upstream failed");
                let answer = answer(StatusCode::BAD_GATEWAY, "the upstream failed");
                Err(Failed::new(answer, UpstreamError::Failed))
            }
            Ok(Ok((response, _lease))) if response.status() == StatusCode::SWITCHING_PROTOCOLS => {
                // The connection becomes the tunnel: never pooled again.
                Ok(self.switch(upgrade.take(), response, upstream))
            }
            Ok(Ok((response, lease))) => {
                let (mut parts, body) = response.into_parts();
                remove_hop_by_hop(&mut parts.headers);
                let body = IdleTimeout::new(lease.body(body), self.options.response_timeout);
                Ok(Response::from_parts(parts, Either::Left(body)))
            }
        }
    }

    /// The upstream accepted an upgrade: join the two connections once both are switched,
    /// and pass the `101` on with its handshake headers. A `101` the client did not ask for,
    /// or without `Upgrade`, cannot be passed on (the client would not know what it speaks
    /// now): 502.
    fn switch(
        &self,
        client: Option<OnUpgrade>,
        mut response: Response<Incoming>,
        upstream: &Upstream,
    ) -> Response<Body> {
        let (Some(client), Some(protocol)) = (client, upgrade::accepted(&response)) else {
            tracing::warn!(%upstream, "101 without an upgrade asked and named");
            return answer(
                StatusCode::BAD_GATEWAY,
                "the upstream switched protocols unasked",
            );
        };
        let upstream_side = hyper::upgrade::on(&mut response);
        self.tunnels.join(
            client,
            upstream_side,
            upstream.to_string(),
            self.options.tunnel_idle_timeout,
        );
        let (mut parts, body) = response.into_parts();
        remove_hop_by_hop(&mut parts.headers);
        upgrade::restore(&mut parts.headers, protocol);
        // A `101`'s body is empty (the bytes that follow are the tunnel's, with its own idle
        // timeout); it is wrapped only to be of the one response body type.
        let body = IdleTimeout::new(pool::Body::unpooled(body), self.options.response_timeout);
        Response::from_parts(parts, Either::Left(body))
    }
}

/// The client's request made the upstream's, once for all its tries: HTTP/1.1 in
/// origin-form (`target` when the location rewrites), hop-by-hop headers removed (an upgrade's handshake kept), `Host` the host the
/// client asked for, `X-Forwarded-*`, `X-Real-IP` and `X-Request-ID` set ([`set_forwarded`]).
/// Also returns the client's side of the upgrade it asks for, if it does.
fn prepare(
    mut request: Request<Incoming>,
    target: Option<PathAndQuery>,
    body_timeout: Duration,
    from: &Peer,
) -> (Request<RequestBody>, Option<OnUpgrade>) {
    let upgrade = upgrade::requested(request.version(), request.headers());
    let client_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
    let scheme = scheme_of(&request);
    let (mut parts, body) = request.into_parts();
    // The host the client asked for: HTTP/2's `:authority`, else `Host` (the layer has checked
    // that they agree). The `Host` value is shared, not copied.
    let host = match parts.uri.authority() {
        Some(authority) => HeaderValue::from_str(authority.as_str()).ok(),
        None => parts.headers.get(header::HOST).cloned(),
    };
    // Upstreams get the origin-form target (`/path?query`), which HTTP/1.1 clients send
    // already; HTTP/2's and an absolute-form target carry the scheme and authority too.
    if let Some(target) = target {
        parts.uri = Uri::from(target);
    } else if parts.uri.scheme().is_some() || parts.uri.authority().is_some() {
        parts.uri = match parts.uri.path_and_query() {
            Some(target) if target.as_str() != "/" => Uri::from(target.clone()),
            _ => Uri::from_static("/"),
        };
    }
    // Upstreams speak HTTP/1.1, whatever the client spoke.
    parts.version = Version::HTTP_11;
    remove_hop_by_hop(&mut parts.headers);
    // Room for what is added below (`Host` and the five of `set_forwarded`), in one growth.
    parts.headers.reserve(6);
    if let Some(upgrade) = upgrade {
        upgrade::restore(&mut parts.headers, upgrade);
    }
    if let Some(host) = &host {
        parts.headers.insert(header::HOST, host.clone());
    }
    set_forwarded(
        &mut parts.headers,
        &from.address,
        host.as_ref(),
        scheme.as_str(),
    );
    (
        Request::from_parts(parts, Either::Left(IdleTimeout::new(body, body_timeout))),
        client_upgrade,
    )
}

/// An error and its causes, outermost first.
fn causes<'e>(
    error: &'e (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'e (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}

/// Whether a client error is a timeout (the connector's connect timeout).
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    causes(error).any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    })
}

/// Whether an upstream exchange failed because the client's request body stalled
/// ([`crate::idle::Stalled`] among its causes).
fn stalled(error: &(dyn std::error::Error + 'static)) -> bool {
    causes(error).any(|e| e.is::<crate::idle::Stalled>())
}

/// An error and its causes, for the log.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    causes(error)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
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
    from: Peer,
}

impl ProxyService {
    /// The service for the connection `from`.
    pub fn new(proxy: Arc<Proxy>, from: Accepted) -> Self {
        ProxyService {
            proxy,
            from: Peer::new(from),
        }
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
        let from = self.from.clone();
        Box::pin(async move { Ok(proxy.handle(request, &from).await) })
    }
}
