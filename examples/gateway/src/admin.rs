//! The admin listener (`--admin-listen ADDR`), apart from traffic so that probes and scrapes
//! never depend on a Host or an Ingress rule:
//!
//! | path | answer |
//! |---|---|
//! | `/healthz` | 200 while the process serves (a liveness probe) |
//! | `/readyz` | 200 once the gateway serves its first table, 503 before (a readiness probe: in live mode the first snapshot waits for every kind to be listed) |
//! | `/metrics` | the Prometheus text format of the serving gateway's [`Metrics`]; 503 before |
//!
//! The listener starts before the gateway (so that probes get an answer while live mode
//! waits for the cluster) and learns of it through [`AdminState::serving`].
//! | anything else | 404 |

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::net::TcpListener;

use crate::metrics::Metrics;
use crate::server::Server;

/// What the admin listener reports: the gateway's metrics, once it serves.
#[derive(Debug, Default)]
pub struct AdminState {
    metrics: OnceLock<Arc<Metrics>>,
}

impl AdminState {
    /// The gateway serves its first table, counting into `metrics`: ready from now on.
    pub fn serving(&self, metrics: Arc<Metrics>) {
        let _ = self.metrics.set(metrics);
    }

    /// Whether the gateway serves.
    pub fn is_ready(&self) -> bool {
        self.metrics.get().is_some()
    }
}

/// The running admin listener.
#[derive(Debug)]
pub struct Admin {
    server: Server,
}

impl Admin {
    /// Binds `addr` and serves the admin paths.
    pub async fn bind(addr: SocketAddr, state: Arc<AdminState>) -> io::Result<Admin> {
        let listener = TcpListener::bind(addr).await?;
        let service = AdminService { state };
        let server = Server::spawn(listener, move |_| service.clone())?;
        Ok(Admin { server })
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

#[derive(Clone, Debug)]
struct AdminService {
    state: Arc<AdminState>,
}

impl tower_service::Service<Request<Incoming>> for AdminService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let text =
            |status: StatusCode, body: &str| (status, "text/plain; charset=utf-8", body.to_owned());
        let (status, content_type, body) = match request.uri().path() {
            "/healthz" => text(StatusCode::OK, "ok\n"),
            "/readyz" if self.state.is_ready() => text(StatusCode::OK, "ready\n"),
            "/readyz" | "/metrics" if !self.state.is_ready() => {
                text(StatusCode::SERVICE_UNAVAILABLE, "no table yet\n")
            }
            "/metrics" => (
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                self.state
                    .metrics
                    .get()
                    .map(|m| m.encode())
                    .unwrap_or_default(),
            ),
            _ => text(StatusCode::NOT_FOUND, "not an admin path\n"),
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        ready(Ok(response))
    }
}
