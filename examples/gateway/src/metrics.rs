//! What the gateway counts, in Prometheus' text format on the admin listener's `/metrics`
//! ([`crate::admin`]), and the access log.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `ingress_gateway_requests_total` | counter | `ingress` (`namespace/name`, empty when no rule matched), `service` (the backend Service `namespace/name`, empty for none), `status` (`2xx` ... `5xx`) |
//! | `ingress_gateway_request_duration_seconds` | histogram | `status` |
//! | `ingress_gateway_upstream_errors_total` | counter | `kind`: `refused`, `connect_timeout`, `response_timeout`, `failed` (one per request answered 502 / 504; tries that another endpoint made good are not counted) |
//! | `ingress_gateway_open_connections` | gauge | |
//! | `ingress_gateway_table_swaps_total` | counter | |
//! | `ingress_gateway_reloads_failed_total` | counter | |
//! | `ingress_gateway_reload_duration_seconds` | histogram | |
//! | `ingress_gateway_table_ingresses`, `_host_groups`, `_paths` | gauge | |
//!
//! Label sets stay bounded: `ingress` and `service` come from the table (the Ingresses and
//! Services configured, never from the request), `status` has five values. A request's
//! duration runs from the gateway receiving its head to the response head leaving the proxy
//! (the body streams after that, and is not waited for). Under `--profile ingress-nginx` a
//! request a canary took is counted (and logged) under the canary's Ingress and Service
//! ([`crate::profile`]).
//!
//! The access log (`--access-log`) is one `tracing` event per request, target
//! `ingress_gateway::access`, at `info`, with the method, host, path, status, duration, the
//! Ingress, the rule (`spec.rules[i].http.paths[j]`) and the backend; with `--log-format json`
//! each is one JSON object per line.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use http::{Method, Request, Response, header};
use ingress_kube::index::Backend;
use ingress_router::tower::Routing;
use ingress_router::{IngressKey, OwnedDecision};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tower_layer::Layer;

use crate::profile::CanaryServed;
use crate::routes::Routes;

/// Labels of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    ingress: String,
    service: String,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabel {
    kind: &'static str,
}

/// How an upstream failed, as the proxy saw it (left in its answer's extensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamError {
    /// The connection was refused or could not be made (502; the next endpoint is tried).
    Refused,
    /// No connection in time (504).
    ConnectTimeout,
    /// No response head in time (504).
    ResponseTimeout,
    /// Reset or broken after the request was sent (502).
    Failed,
}

impl UpstreamError {
    fn label(self) -> &'static str {
        match self {
            UpstreamError::Refused => "refused",
            UpstreamError::ConnectTimeout => "connect_timeout",
            UpstreamError::ResponseTimeout => "response_timeout",
            UpstreamError::Failed => "failed",
        }
    }
}

/// The gateway's metrics, shared by every connection.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<StatusLabel, Histogram>,
    upstream_errors: Family<UpstreamLabel, Counter>,
    open_connections: Gauge,
    reloads_failed: Counter,
    reload_duration: Histogram,
    /// The histograms of `durations`, by [`StatusClass`], each taken from the family once.
    durations_by_class: [OnceLock<Histogram>; 5],
}

/// 0.5 ms to about 16 s, doubling.
fn duration_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    /// The metrics of a gateway serving `routes` (whose table is read at each scrape).
    pub fn new(routes: Arc<Routes>) -> Metrics {
        let mut registry = Registry::with_prefix("ingress_gateway");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by Ingress, backend Service and status class",
            requests.clone(),
        );
        let durations =
            Family::<StatusLabel, Histogram>::new_with_constructor(duration_buckets as fn() -> _);
        registry.register(
            "request_duration_seconds",
            "From the request head to the response head",
            durations.clone(),
        );
        let upstream_errors = Family::<UpstreamLabel, Counter>::default();
        registry.register(
            "upstream_errors",
            "Upstream requests that failed, by kind",
            upstream_errors.clone(),
        );
        let open_connections = Gauge::default();
        registry.register(
            "open_connections",
            "Client connections open now",
            open_connections.clone(),
        );
        let reloads_failed = Counter::default();
        registry.register(
            "reloads_failed",
            "Reloads that kept the previous table (an invalid edit)",
            reloads_failed.clone(),
        );
        let reload_duration = duration_buckets();
        registry.register(
            "reload_duration_seconds",
            "Reading the files and building the table, per reload",
            reload_duration.clone(),
        );
        registry.register_collector(Box::new(TableCollector { routes }));
        Metrics {
            registry,
            requests,
            durations,
            upstream_errors,
            open_connections,
            reloads_failed,
            reload_duration,
            durations_by_class: Default::default(),
        }
    }

    /// The text exposition format (`text/plain; version=0.0.4`).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            // Writing to a String does not fail; an encoder error would be a bug of ours.
            let _ = writeln!(text, "# encoding failed");
        }
        text
    }

    /// A reload finished after `seconds`; `ok` false if it kept the previous table.
    pub fn reloaded(&self, seconds: f64, ok: bool) {
        self.reload_duration.observe(seconds);
        if !ok {
            self.reloads_failed.inc();
        }
    }

    /// The open-connections gauge, held up while the returned guard lives.
    pub fn connection(self: &Arc<Self>) -> ConnectionGuard {
        self.open_connections.inc();
        ConnectionGuard {
            metrics: self.clone(),
        }
    }

    /// One request answered with `status`, after `seconds`, counted for its route.
    fn record(
        &self,
        route: &RouteCounters,
        status: u16,
        seconds: f64,
        upstream: Option<UpstreamError>,
    ) {
        let class = StatusClass::of(status);
        self.durations_by_class[class as usize]
            .get_or_init(|| {
                self.durations.get_or_create_owned(&StatusLabel {
                    status: class.label(),
                })
            })
            .observe(seconds);
        route.by_class[class as usize]
            .get_or_init(|| {
                self.requests.get_or_create_owned(&RequestLabels {
                    ingress: route.ingress.clone(),
                    service: route.service.clone(),
                    status: class.label(),
                })
            })
            .inc();
        if let Some(error) = upstream {
            self.upstream_errors
                .get_or_create(&UpstreamLabel {
                    kind: error.label(),
                })
                .inc();
        }
    }

    /// The open-connections gauge's value.
    pub fn open_connections(&self) -> i64 {
        self.open_connections.get()
    }
}

/// Counts one open connection until dropped.
#[derive(Debug)]
pub struct ConnectionGuard {
    metrics: Arc<Metrics>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.metrics.open_connections.dec();
    }
}

/// The table's figures, read at each scrape.
#[derive(Debug)]
struct TableCollector {
    routes: Arc<Routes>,
}

impl Collector for TableCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let swaps = ConstCounter::new(self.routes.swaps());
        swaps.encode(encoder.encode_descriptor(
            "table_swaps",
            "Tables swapped in since start",
            None,
            swaps.metric_type(),
        )?)?;
        let stats = self.routes.load().table().stats();
        for (name, help, value) in [
            ("table_ingresses", "Ingresses in the table", stats.ingresses),
            (
                "table_host_groups",
                "Host groups in the table",
                stats.host_groups,
            ),
            ("table_paths", "Path rules in the table", stats.paths),
        ] {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

/// The `status` label: a response status's class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StatusClass {
    Informational,
    Success,
    Redirection,
    ClientError,
    ServerError,
}

impl StatusClass {
    fn of(status: u16) -> StatusClass {
        match status {
            100..=199 => StatusClass::Informational,
            200..=299 => StatusClass::Success,
            300..=399 => StatusClass::Redirection,
            400..=499 => StatusClass::ClientError,
            _ => StatusClass::ServerError,
        }
    }

    fn label(self) -> &'static str {
        match self {
            StatusClass::Informational => "1xx",
            StatusClass::Success => "2xx",
            StatusClass::Redirection => "3xx",
            StatusClass::ClientError => "4xx",
            StatusClass::ServerError => "5xx",
        }
    }
}

/// The request counters of one route (an Ingress and a backend), one per status class, each
/// taken from the family on the first request of its class: what a connection keeps for the
/// route its requests last took, so that a request of the same route (a keep-alive client's
/// usual next one) formats, hashes and looks up no labels.
#[derive(Debug)]
struct RouteCounters {
    /// What the route was resolved from: compared, not formatted, to tell a request of the
    /// same route.
    source: Option<IngressKey>,
    backend: Option<Backend>,
    /// The label values.
    ingress: String,
    service: String,
    by_class: [OnceLock<Counter>; 5],
}

impl RouteCounters {
    fn new(decision: Option<&OwnedDecision<Backend>>) -> RouteCounters {
        RouteCounters::of(
            decision.and_then(|d| d.source()).cloned(),
            decision.and_then(|d| d.backend()).cloned(),
        )
    }

    /// The counters of the Ingress `source` and its backend `backend`.
    fn of(source: Option<IngressKey>, backend: Option<Backend>) -> RouteCounters {
        let ingress = source.as_ref().map(ToString::to_string).unwrap_or_default();
        let service = match &backend {
            Some(Backend::Service(s)) => s.service.to_string(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        RouteCounters {
            source,
            backend,
            ingress,
            service,
            by_class: Default::default(),
        }
    }

    fn counts(&self, decision: Option<&OwnedDecision<Backend>>) -> bool {
        self.source.as_ref() == decision.and_then(|d| d.source())
            && self.backend.as_ref() == decision.and_then(|d| d.backend())
    }
}

/// What the services of one connection share: the open-connections gauge held up, and the
/// counters of the route its requests last took.
#[derive(Debug)]
struct ConnectionState {
    _open: ConnectionGuard,
    last_route: Mutex<Option<Arc<RouteCounters>>>,
}

impl ConnectionState {
    /// The counters of the route of `decision`: the last ones if the route is the same.
    fn route(&self, decision: Option<&OwnedDecision<Backend>>) -> Arc<RouteCounters> {
        let mut last = self
            .last_route
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &*last {
            Some(route) if route.counts(decision) => route.clone(),
            _ => {
                let route = Arc::new(RouteCounters::new(decision));
                *last = Some(route.clone());
                route
            }
        }
    }
}

/// The layer that counts and logs each request: it sits between the `RouteLayer` (whose
/// decision it reads) and the proxy.
#[derive(Clone, Debug)]
pub struct ObserveLayer {
    metrics: Arc<Metrics>,
    access_log: bool,
    /// Shared by every service of one connection: the connection counts as open until the
    /// last of them is dropped.
    connection: Option<Arc<ConnectionState>>,
}

impl ObserveLayer {
    /// Counts into `metrics`; logs each request if `access_log`.
    pub fn new(metrics: Arc<Metrics>, access_log: bool) -> Self {
        ObserveLayer {
            metrics,
            access_log,
            connection: None,
        }
    }

    /// The layer for one new connection: counted open until its services are dropped.
    pub fn for_connection(&self) -> Self {
        ObserveLayer {
            connection: Some(Arc::new(ConnectionState {
                _open: self.metrics.connection(),
                last_route: Mutex::new(None),
            })),
            ..self.clone()
        }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            layer: self.clone(),
        }
    }
}

/// See [`ObserveLayer`].
#[derive(Clone, Debug)]
pub struct Observe<S> {
    inner: S,
    layer: ObserveLayer,
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for Observe<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>, Error = Infallible>,
    S::Future: Unpin,
{
    type Response = Response<ResBody>;
    type Error = Infallible;
    type Future = Observed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let start = Instant::now();
        let decision = match request.extensions().get::<Routing<Backend>>() {
            Some(Ok(decision)) => Some(decision),
            _ => None,
        };
        let route = match &self.layer.connection {
            Some(connection) => connection.route(decision),
            None => Arc::new(RouteCounters::new(decision)),
        };
        let access = self.layer.access_log.then(|| {
            // Only the access log names the rule: no text is made for it otherwise.
            let rule = decision
                .and_then(|d| d.rule())
                .map(|r| r.field())
                .unwrap_or_default();
            let host = request
                .uri()
                .authority()
                .map(|a| a.as_str().to_owned())
                .or_else(|| {
                    request
                        .headers()
                        .get(header::HOST)
                        .and_then(|h| h.to_str().ok())
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            Box::new(Access {
                method: request.method().clone(),
                host,
                path: request.uri().path().to_owned(),
                rule,
            })
        });
        Observed {
            inner: self.inner.call(request),
            start,
            metrics: self.layer.metrics.clone(),
            route,
            access,
        }
    }
}

/// What the access log says of a request besides its answer.
#[derive(Debug)]
struct Access {
    method: Method,
    host: String,
    path: String,
    rule: String,
}

/// The future of an [`Observe`] service: the inner service's, counted (and logged) when it
/// answers. A plain future rather than a boxed one: the inner future is boxed already.
#[derive(Debug)]
pub struct Observed<F> {
    inner: F,
    start: Instant,
    metrics: Arc<Metrics>,
    route: Arc<RouteCounters>,
    access: Option<Box<Access>>,
}

impl<F, ResBody> Future for Observed<F>
where
    F: Future<Output = Result<Response<ResBody>, Infallible>> + Unpin,
{
    type Output = Result<Response<ResBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Ok(response) = ready!(Pin::new(&mut this.inner).poll(cx));
        let seconds = this.start.elapsed().as_secs_f64();
        let status = response.status().as_u16();
        let upstream = response.extensions().get::<UpstreamError>().copied();
        if let Some(canary) = response.extensions().get::<CanaryServed>() {
            // A canary took the request: its own counters (made anew: a canary's requests are
            // the exception, and a connection's cached route stays the primary's).
            this.route = Arc::new(RouteCounters::of(
                Some(canary.source.clone()),
                Some(canary.backend.clone()),
            ));
        }
        if let Some(access) = this.access.take() {
            tracing::info!(
                target: "ingress_gateway::access",
                method = %access.method,
                host = access.host,
                path = access.path,
                status,
                duration_ms = seconds * 1e3,
                ingress = this.route.ingress,
                rule = access.rule,
                backend = this.route.service,
                "request"
            );
        }
        this.metrics.record(&this.route, status, seconds, upstream);
        Poll::Ready(Ok(response))
    }
}
