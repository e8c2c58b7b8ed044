//! A tower [`Layer`] that routes every `http::Request` and hands the decision to the service
//! behind it as a request extension (feature `tower`).
//!
//! [`RouteLayer`] wraps a service in a [`RouteService`]. For each request, it checks the host
//! ([`RequestView::try_from_request`]), looks the request up once in a [`RouteSource`] (a
//! [`SharedTable`] that a controller swaps, a fixed [`RouteTable`], or an `Arc` of either),
//! inserts the answer, a [`Routing`], into `request.extensions_mut()`, and calls the inner
//! service with the request. The inner service reads it with
//! `request.extensions().get::<Routing<B>>()`: `Err(InvalidHost)` is a 400 Bad Request, a
//! [`OwnedDecision`] that is not found a 404, anything else names the backend, the Ingress and
//! the rule.
//!
//! Why an extension and not a lookup in the handler: the request is routed exactly once, by
//! one table, however many layers read the answer (access log, metrics, the proxy), and the
//! answer stays valid when the table is swapped while the request is in flight. Making it costs
//! what [`RouteTable::find_owned`] costs, a reference-count increment and no allocation; the
//! one allocation of a call is `http::Extensions::insert`'s own (`tests/tower_alloc.rs` counts
//! both). The service adds no boxing: its future is the inner service's.
//!
//! # Examples
//!
//! A service written with plain std futures behind the layer, and a table swapped under it:
//!
//! ```
//! use std::convert::Infallible;
//! use std::future::{Future, Ready, ready};
//! use std::pin::pin;
//! use std::sync::Arc;
//! use std::task::{Context, Poll, Waker};
//!
//! use ingress_router::tower::{RouteLayer, Routing};
//! use ingress_router::{Ingress, IngressBackend, RouteTable, SharedTable};
//! use tower_layer::Layer;
//! use tower_service::Service;
//!
//! /// The application: says which backend the layer chose, or why there is none.
//! struct App;
//!
//! impl Service<http::Request<()>> for App {
//!     type Response = (u16, String);
//!     type Error = Infallible;
//!     type Future = Ready<Result<(u16, String), Infallible>>;
//!
//!     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
//!         Poll::Ready(Ok(()))
//!     }
//!
//!     fn call(&mut self, request: http::Request<()>) -> Self::Future {
//!         ready(Ok(match request.extensions().get::<Routing<IngressBackend>>() {
//!             Some(Ok(decision)) => match decision.backend() {
//!                 Some(backend) => (200, backend.to_string()),
//!                 None => (404, "no route".to_owned()),
//!             },
//!             Some(Err(bad_host)) => (400, bad_host.to_string()),
//!             None => (500, "not behind a RouteLayer".to_owned()),
//!         }))
//!     }
//! }
//!
//! /// Drives a future that is ready at once (a real server has its runtime do this).
//! fn now<F: Future>(future: F) -> F::Output {
//!     match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
//!         Poll::Ready(output) => output,
//!         Poll::Pending => unreachable!("the App answers at once"),
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ingress: Ingress = serde_json::from_str(r#"{
//!   "metadata": {"name": "shop", "namespace": "web"},
//!   "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [
//!     {"path": "/api", "pathType": "Prefix",
//!      "backend": {"service": {"name": "api", "port": {"number": 8080}}}}]}}]}
//! }"#)?;
//! let shared = Arc::new(SharedTable::new(RouteTable::builder().add(&ingress).build().table));
//! let mut service = RouteLayer::new(shared.clone()).layer(App);
//!
//! let get = |host: &str, path: &str| http::Request::get(path).header("host", host).body(());
//! assert_eq!(now(service.call(get("shop.example.com", "/api/items")?))?,
//!            (200, "service/api:8080".to_owned()));
//! assert_eq!(now(service.call(get("other.example.com", "/")?))?.0, 404);
//! assert_eq!(now(service.call(get("user@shop.example.com", "/api")?))?.0, 400);
//!
//! // A controller swaps the table; the next request sees the new one.
//! shared.store(RouteTable::empty());
//! assert_eq!(now(service.call(get("shop.example.com", "/api/items")?))?.0, 404);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::{InvalidHost, OwnedDecision, RequestView, RouteTable, SharedTable};

/// What [`RouteService`] leaves in a request's extensions: the decision of the table, or why
/// the request's host was refused before any lookup (answer 400 Bad Request).
///
/// Read it with `request.extensions().get::<Routing<B>>()`, `B` being the table's payload.
pub type Routing<B> = Result<OwnedDecision<B>, InvalidHost>;

/// Where [`RouteService`] looks requests up: anything that answers a [`RequestView`] with an
/// [`OwnedDecision`].
///
/// Implemented for a fixed [`RouteTable`], a swappable [`SharedTable`] (each request reads the
/// current table) and an `Arc` of any source, so one source can serve many services.
/// Implement it for a holder of your own (a snapshot that keeps a table beside other state)
/// to put that behind the layer.
pub trait RouteSource {
    /// The table's payload: the `B` of `RouteTable<B>`. `Send + Sync + 'static` because the
    /// decision travels in `http::Extensions`.
    type Backend: Send + Sync + 'static;

    /// The decision for one request, owned: see [`RouteTable::find_owned`].
    fn find_owned(&self, request: &RequestView<'_>) -> OwnedDecision<Self::Backend>;

    /// The [`Routing`] of a request: its host checked by [`RequestView::try_from_request`],
    /// then looked up with [`RouteSource::find_owned`]. Allocates nothing.
    ///
    /// A request that carries a [`Scheme`](crate::Scheme) extension is looked up as having come
    /// over that scheme (a TLS listener marks its requests `Scheme::Https`; the ingress-nginx
    /// profile's HTTPS redirects read it); without one, the URI's scheme, else plain HTTP
    /// ([`RequestView::from_request`]).
    fn route<T>(&self, request: &http::Request<T>) -> Routing<Self::Backend> {
        RequestView::try_from_request(request).map(|view| self.find_owned(&view))
    }
}

impl<B: Send + Sync + 'static> RouteSource for RouteTable<B> {
    type Backend = B;

    fn find_owned(&self, request: &RequestView<'_>) -> OwnedDecision<B> {
        RouteTable::find_owned(self, request)
    }
}

/// The table current when the request arrives; a swap afterwards does not change the answer.
impl<B: Send + Sync + 'static> RouteSource for SharedTable<B> {
    type Backend = B;

    fn find_owned(&self, request: &RequestView<'_>) -> OwnedDecision<B> {
        self.load().find_owned(request)
    }
}

impl<T: RouteSource + ?Sized> RouteSource for Arc<T> {
    type Backend = T::Backend;

    fn find_owned(&self, request: &RequestView<'_>) -> OwnedDecision<T::Backend> {
        (**self).find_owned(request)
    }
}

/// A tower [`Layer`] that puts a [`RouteService`] in front of a service: every request
/// reaches it with its [`Routing`] in its extensions.
///
/// The source is cloned into each service the layer makes: give it an `Arc` (as
/// `Arc<SharedTable<B>>`) to share one table among connections. See the
/// [module documentation](self) for an example.
#[derive(Clone, Debug)]
pub struct RouteLayer<S> {
    source: S,
}

impl<S> RouteLayer<S> {
    /// A layer routing through `source`.
    pub fn new(source: S) -> Self {
        RouteLayer { source }
    }

    /// The source requests are routed through.
    pub fn source(&self) -> &S {
        &self.source
    }
}

impl<S: Clone, Inner> Layer<Inner> for RouteLayer<S> {
    type Service = RouteService<S, Inner>;

    fn layer(&self, inner: Inner) -> Self::Service {
        RouteService {
            source: self.source.clone(),
            inner,
        }
    }
}

/// The service [`RouteLayer`] makes: routes each request through its [`RouteSource`], inserts
/// the [`Routing`] into the request's extensions and calls the inner service with it.
///
/// Readiness and errors are the inner service's; the response future is the inner service's
/// own, unboxed.
#[derive(Clone, Debug)]
pub struct RouteService<S, Inner> {
    source: S,
    inner: Inner,
}

impl<S, Inner> RouteService<S, Inner> {
    /// A service routing through `source` in front of `inner` (what [`RouteLayer::layer`]
    /// makes).
    pub fn new(source: S, inner: Inner) -> Self {
        RouteService { source, inner }
    }

    /// The source requests are routed through.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The inner service.
    pub fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn inner_mut(&mut self) -> &mut Inner {
        &mut self.inner
    }

    /// The inner service, consuming this one.
    pub fn into_inner(self) -> Inner {
        self.inner
    }
}

impl<S, Inner, Body> Service<http::Request<Body>> for RouteService<S, Inner>
where
    S: RouteSource,
    Inner: Service<http::Request<Body>>,
{
    type Response = Inner::Response;
    type Error = Inner::Error;
    type Future = Inner::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let routing = self.source.route(&request);
        request.extensions_mut().insert(routing);
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IngressBackend;

    fn table() -> RouteTable<IngressBackend> {
        let ingress: crate::Ingress = serde_json::from_str(
            r#"{"metadata": {"name": "web", "namespace": "default"},
                "spec": {"defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
                         "rules": [{"host": "foo.com", "http": {"paths": [
                   {"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}"#,
        )
        .unwrap();
        RouteTable::builder().add(&ingress).build().table
    }

    fn backend_of<S: RouteSource<Backend = IngressBackend>>(source: &S, host: &str) -> String {
        let request = http::Request::get("/x")
            .header("host", host)
            .body(())
            .unwrap();
        match source.route(&request) {
            Ok(decision) => decision
                .backend()
                .map_or_else(|| "404".to_owned(), ToString::to_string),
            Err(_) => "400".to_owned(),
        }
    }

    #[test]
    fn every_source_routes_alike() {
        let table = table();
        let shared = SharedTable::new(table.clone());
        let arc = Arc::new(table.clone());
        for (host, want) in [
            ("foo.com", "service/web:80"),
            ("FOO.com:8080", "service/web:80"),
            ("other.com", "service/fallback:80"),
            ("user@foo.com", "400"),
            ("foo.com:http", "400"),
        ] {
            assert_eq!(backend_of(&table, host), want, "{host}");
            assert_eq!(backend_of(&shared, host), want, "{host}");
            assert_eq!(backend_of(&arc, host), want, "{host}");
        }
        assert_eq!(
            backend_of(&RouteTable::<IngressBackend>::empty(), "foo.com"),
            "404"
        );
    }

    #[test]
    fn a_scheme_extension_says_the_request_came_over_tls() {
        // Under the ingress-nginx profile a host with TLS redirects plain HTTP to HTTPS.
        let ingress: crate::Ingress = serde_json::from_str(
            r#"{"metadata": {"name": "web", "namespace": "default"},
                "spec": {"tls": [{"hosts": ["foo.com"], "secretName": "foo"}],
                         "rules": [{"host": "foo.com", "http": {"paths": [
                   {"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}"#,
        )
        .unwrap();
        let table = RouteTable::builder()
            .config(crate::Config::ingress_nginx())
            .add(&ingress)
            .build()
            .table;
        let mut request = http::Request::get("/x")
            .header("host", "foo.com")
            .body(())
            .unwrap();
        assert!(table.route(&request).unwrap().is_redirect());
        request.extensions_mut().insert(crate::Scheme::Https);
        assert!(table.route(&request).unwrap().is_route());
    }

    #[test]
    fn a_request_without_host_is_refused_before_lookup() {
        let request = http::Request::get("/").body(()).unwrap();
        assert_eq!(table().route(&request).err(), Some(InvalidHost::Missing));
    }
}
