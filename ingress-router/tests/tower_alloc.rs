//! `RouteService` costs a reference-count increment and the extension insert: producing a
//! `Routing` allocates nothing, and a call allocates exactly what `http::Extensions::insert`
//! of that value allocates on its own (measured here, in the same process, as the baseline).
//!
//! One test in its own binary, because the counting allocator counts every thread of the
//! process (see `zero_alloc.rs` for why the counter is `stats_alloc`'s).

use std::alloc::System;
use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ingress_model::{Ingress, IngressBackend};
use ingress_router::tower::{RouteLayer, RouteSource, Routing};
use ingress_router::{RouteTable, SharedTable};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tower_layer::Layer;
use tower_service::Service;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Hands the request back, so the test keeps it (and its extension) past the count.
struct Echo;

impl Service<http::Request<()>> for Echo {
    type Response = http::Request<()>;
    type Error = Infallible;
    type Future = Ready<Result<http::Request<()>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<()>) -> Self::Future {
        ready(Ok(request))
    }
}

fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("Echo answers at once"),
    }
}

fn table() -> RouteTable<IngressBackend> {
    let ingress: Ingress = serde_json::from_str(
        r#"{"metadata": {"name": "shop", "namespace": "web"},
            "spec": {"defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
                     "rules": [
              {"host": "shop.example.com", "http": {"paths": [
                {"path": "/api", "pathType": "Prefix",
                 "backend": {"service": {"name": "api", "port": {"number": 8080}}}},
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}},
              {"host": "*.example.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": "wild", "port": {"number": 80}}}}]}}]}}"#,
    )
    .expect("the test's Ingress");
    RouteTable::builder().add(&ingress).build().table
}

/// Routes, defaults, misses and refused hosts.
const REQUESTS: &[(&str, &str)] = &[
    ("shop.example.com", "/api/items"),
    ("Shop.Example.com:443", "/"),
    ("x.example.com", "/a/b"),
    ("other.org", "/"),
    ("user@shop.example.com", "/api"),
    ("shop.example.com:http", "/"),
];

fn requests() -> Vec<http::Request<()>> {
    REQUESTS
        .iter()
        .map(|(host, path)| {
            http::Request::get(*path)
                .header("host", *host)
                .body(())
                .expect("a valid request")
        })
        .collect()
}

#[test]
fn a_call_allocates_only_the_extension_insert() {
    let shared = Arc::new(SharedTable::new(table()));
    let fixed = table();
    let mut service = RouteLayer::new(shared.clone()).layer(Echo);

    // 1. Producing the Routing: nothing. (arc-swap gives each thread that reads a swappable
    // pointer a slot of its own, once, at its first read: that happens here, before counting.)
    let heads = requests();
    assert!(shared.route(&heads[0]).is_ok());
    let mut kept: Vec<Routing<IngressBackend>> = Vec::with_capacity(heads.len() * 3);
    let region = Region::new(GLOBAL);
    for request in &heads {
        kept.push(shared.route(black_box(request)));
        kept.push(fixed.route(black_box(request)));
        kept.push(RouteSource::route(&shared, black_box(request)));
    }
    let stats = region.change();
    assert_eq!(
        (
            stats.allocations,
            stats.reallocations,
            stats.bytes_allocated
        ),
        (0, 0, 0),
        "producing a Routing allocated: {stats:?}"
    );
    let refused = kept.iter().filter(|r| r.is_err()).count();
    let routed = kept
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|d| d.backend().is_some()))
        .count();
    assert_eq!((refused, routed), (2 * 3, 4 * 3), "{kept:?}");

    // 2. The baseline: inserting those same values into fresh requests' extensions.
    let mut baseline_requests = requests();
    let values: Vec<Routing<IngressBackend>> = heads.iter().map(|r| shared.route(r)).collect();
    let region = Region::new(GLOBAL);
    for (request, value) in baseline_requests.iter_mut().zip(values) {
        black_box(request.extensions_mut().insert(value));
    }
    let baseline = region.change();
    assert!(baseline.allocations > 0, "the insert's cost was not seen");

    // 3. Calls through the layer: exactly the baseline.
    let calls = requests();
    let mut answers = Vec::with_capacity(calls.len());
    let region = Region::new(GLOBAL);
    for request in calls {
        answers.push(now(service.call(black_box(request))));
    }
    let stats = region.change();
    assert_eq!(
        (
            stats.allocations,
            stats.reallocations,
            stats.bytes_allocated
        ),
        (
            baseline.allocations,
            baseline.reallocations,
            baseline.bytes_allocated
        ),
        "a call allocated more than Extensions::insert ({baseline:?}): {stats:?}"
    );

    // The calls carried the same answers as the direct lookups.
    for (answer, request) in answers.into_iter().zip(&baseline_requests) {
        let answer = answer.expect("Echo never fails");
        let got = answer.extensions().get::<Routing<IngressBackend>>();
        let want = request.extensions().get::<Routing<IngressBackend>>();
        fn show(r: Option<&Routing<IngressBackend>>) -> Option<Result<Option<String>, String>> {
            r.map(|r| match r {
                Ok(d) => Ok(d.backend().map(ToString::to_string)),
                Err(e) => Err(e.to_string()),
            })
        }
        assert_eq!(show(got), show(want));
        assert!(got.is_some());
    }
}
