//! What a change costs in an index of 10 000 Ingresses (one host, two paths, one Service with
//! a three-Pod EndpointSlice each), against the router alone:
//!
//! * `change/slice`: an EndpointSlice update, then `snapshot()`: re-resolves one Service.
//! * `change/ingress`: an Ingress update, then `snapshot()`: conversion, the router's
//!   `with_ingress`, and the diagnostics comparison.
//! * `change/table_only`: the router's `with_ingress` for the same update (the baseline).
//! * `rebuild/all`: every object applied to a new index, then `snapshot()`: what a controller
//!   that regenerates its whole configuration on each change pays (the baseline the two
//!   `change` rows are measured against).
//! * `lookup/route`: `Snapshot::route` (match and resolve); `lookup/find`: the table's `find`
//!   alone (the baseline).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ingress_kube::index::{Index, IndexConfig};
use ingress_router::RequestView;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use serde_json::{from_value, json};

const N: usize = 10_000;
const CONTROLLER: &str = "example.com/ingress-gateway";

fn ingress(i: usize, api: &str) -> Ingress {
    from_value(json!({
        "metadata": {"name": format!("app-{i}"), "namespace": "bench",
                     "creationTimestamp": "2024-01-01T00:00:00Z"},
        "spec": {"ingressClassName": "gateway", "rules": [{"host": format!("app-{i}.example.com"), "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": format!("svc-{i}"), "port": {"number": 80}}}},
            {"path": api, "pathType": "Prefix", "backend": {"service": {"name": format!("svc-{i}"), "port": {"name": "http"}}}}
        ]}}]}
    }))
    .expect("ingress")
}

fn service(i: usize) -> Service {
    from_value(json!({
        "metadata": {"name": format!("svc-{i}"), "namespace": "bench"},
        "spec": {"selector": {"app": format!("app-{i}")}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
    }))
    .expect("service")
}

fn slice(i: usize, pods: usize) -> EndpointSlice {
    let endpoints: Vec<_> = (0..pods)
        .map(|p| json!({"addresses": [format!("10.{}.{}.{}", i / 250, i % 250, p + 1)], "conditions": {"ready": true}}))
        .collect();
    from_value(json!({
        "metadata": {"name": format!("svc-{i}-abcde"), "namespace": "bench",
                     "labels": {"kubernetes.io/service-name": format!("svc-{i}")}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": endpoints
    }))
    .expect("slice")
}

fn populated() -> Index {
    let mut index = Index::new(IndexConfig::new(CONTROLLER));
    let class: IngressClass = from_value(json!({
        "metadata": {"name": "gateway"}, "spec": {"controller": CONTROLLER}
    }))
    .expect("class");
    index.apply(class);
    index.reset((0..N).map(|i| ingress(i, "/api")).collect());
    index.reset((0..N).map(service).collect());
    index.reset((0..N).map(|i| slice(i, 3)).collect());
    index
}

fn changes(c: &mut Criterion) {
    let mut index = populated();
    let mut group = c.benchmark_group("change");

    // Two versions of each object, alternating from the one stored, so every iteration is a
    // real change (also in `--test` mode, which runs each benchmark once).
    let slices = [slice(4242, 3), slice(4242, 4)];
    let mut k = 0;
    group.bench_function("slice", |b| {
        b.iter(|| {
            k ^= 1;
            let change = index.apply(black_box(slices[k].clone()));
            assert!(change.routing);
            index.snapshot()
        })
    });

    let versions = [ingress(4242, "/api"), ingress(4242, "/api/v2")];
    let mut k = 0;
    group.bench_function("ingress", |b| {
        b.iter(|| {
            k ^= 1;
            let change = index.apply(black_box(versions[k].clone()));
            assert!(change.routing);
            index.snapshot()
        })
    });

    let models: Vec<ingress_model::Ingress> = versions
        .iter()
        .map(|v| ingress_model::Ingress::try_from(v).expect("model"))
        .collect();
    let snapshot = index.snapshot().snapshot;
    let mut k = 0;
    group.bench_function("table_only", |b| {
        b.iter(|| {
            k ^= 1;
            snapshot.table().with_ingress(black_box(&models[k]))
        })
    });
    group.finish();
}

fn rebuild(c: &mut Criterion) {
    let mut group = c.benchmark_group("rebuild");
    group.bench_function("all", |b| b.iter(|| populated().snapshot()));
    group.finish();
}

fn lookups(c: &mut Criterion) {
    let mut index = populated();
    let snapshot = index.snapshot().snapshot;
    let request = RequestView::new("app-4242.example.com", "/api/users/7");
    let mut group = c.benchmark_group("lookup");
    group.bench_function("route", |b| {
        b.iter(|| snapshot.route(black_box(&request)).resolved.is_some())
    });
    group.bench_function("find", |b| {
        b.iter(|| {
            snapshot
                .table()
                .find(black_box(&request))
                .backend()
                .is_some()
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = changes, rebuild, lookups
}
criterion_main!(benches);
