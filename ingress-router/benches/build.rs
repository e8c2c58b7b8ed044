//! `build/{1000,10000}` (compile N generated Ingresses of 5 paths each, validation included) and
//! `update/10000` (replace one Ingress in a 10 000-Ingress table).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ingress_router::RouteTable;

#[path = "support/mod.rs"]
mod support;

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    for n in [1000, 10_000] {
        let ingresses = support::ingresses(n);
        group.bench_function(format!("{n}"), |b| {
            b.iter(|| RouteTable::builder().add_all(black_box(&ingresses)).build())
        });
    }
    group.finish();
}

fn update(c: &mut Criterion) {
    let mut group = c.benchmark_group("update");
    let n = 10_000;
    let ingresses = support::ingresses(n);
    let table = RouteTable::builder().add_all(&ingresses).build().table;
    // Two versions of one Ingress that share its host with nobody, and one of an Ingress whose
    // host-less path joins the shared group.
    let mut a = support::ingress(4242);
    let b = {
        let mut b = a.clone();
        b.spec.rules[0].http.as_mut().unwrap().paths[1].path = Some("/api/v2".into());
        b
    };
    a.spec.rules[0].http.as_mut().unwrap().paths[1].path = Some("/api".into());
    let versions = [a, b];
    let mut k = 0;
    group.bench_function(format!("{n}"), |bench| {
        bench.iter(|| {
            k ^= 1;
            table.with_ingress(black_box(&versions[k]))
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = build, update
}
criterion_main!(benches);
