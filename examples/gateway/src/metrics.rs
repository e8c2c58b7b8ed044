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
//! (the body streams after that, and is not waited for).
//!
//! The access log (`--access-log`) is one `tracing` event per request, target
//! `ingress_gateway::access`, at `info`, with the method, host, path, status, duration, the
//! Ingress, the rule (`spec.rules[i].http.paths[j]`) and the backend; with `--log-format json`
//! each is one JSON object per line.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response, header};
use ingress_kube::index::Backend;
use ingress_router::tower::Routing;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tower_layer::Layer;

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

    fn record(&self, labels: RequestLabels, seconds: f64, upstream: Option<UpstreamError>) {
        self.durations
            .get_or_create(&StatusLabel {
                status: labels.status,
            })
            .observe(seconds);
        self.requests.get_or_create(&labels).inc();
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

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The layer that counts and logs each request: it sits between the `RouteLayer` (whose
/// decision it reads) and the proxy.
#[derive(Clone, Debug)]
pub struct ObserveLayer {
    metrics: Arc<Metrics>,
    access_log: bool,
    /// Held (never read) by every service of one connection: the connection counts as open
    /// until the last of them is dropped.
    _connection: Option<Arc<ConnectionGuard>>,
}

impl ObserveLayer {
    /// Counts into `metrics`; logs each request if `access_log`.
    pub fn new(metrics: Arc<Metrics>, access_log: bool) -> Self {
        ObserveLayer {
            metrics,
            access_log,
            _connection: None,
        }
    }

    /// The layer for one new connection: counted open until its services are dropped.
    pub fn for_connection(&self) -> Self {
        ObserveLayer {
            _connection: Some(Arc::new(self.metrics.connection())),
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
    S::Future: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let start = Instant::now();
        let decision = match request.extensions().get::<Routing<Backend>>() {
            Some(Ok(decision)) => Some(decision),
            _ => None,
        };
        let ingress = decision
            .and_then(|d| d.source())
            .map(ToString::to_string)
            .unwrap_or_default();
        let service = match decision.and_then(|d| d.backend()) {
            Some(Backend::Service(s)) => s.service.to_string(),
            Some(other) => other.to_string(),
            None => String::new(),
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
            (
                request.method().clone(),
                host,
                request.uri().path().to_owned(),
                rule,
            )
        });
        let metrics = self.layer.metrics.clone();
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            let seconds = start.elapsed().as_secs_f64();
            let status = response.status().as_u16();
            let upstream = response.extensions().get::<UpstreamError>().copied();
            if let Some((method, host, path, rule)) = access {
                tracing::info!(
                    target: "ingress_gateway::access",
                    %method,
                    host,
                    path,
                    status,
                    duration_ms = seconds * 1e3,
                    ingress,
                    rule,
                    backend = service,
                    "request"
                );
            }
            metrics.record(
                RequestLabels {
                    ingress,
                    service,
                    status: status_class(status),
                },
                seconds,
                upstream,
            );
            Ok(response)
        })
    }
}
