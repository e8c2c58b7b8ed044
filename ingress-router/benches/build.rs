//! `build/{1000,10000}`: compile N generated Ingresses of 5 paths each with the default
//! configuration (validation included). `build_trusted/10000`: the same with
//! `Validation::Trusted`, as a controller reading from an API server would. `drop/10000`: what
//! freeing such a table costs; `build/*` leaves it out, because a replaced table is freed when
//! its last reader lets go of it, off the path that builds the new one. `update/10000`: replace
//! one Ingress in a 10 000-Ingress table (dropping the result included).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ingress_router::{Config, RouteTable, Validation};

#[path = "support/mod.rs"]
mod support;

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    for n in [1000, 10_000] {
        let ingresses = support::ingresses(n);
        group.bench_function(format!("{n}"), |b| {
            b.iter_with_large_drop(|| RouteTable::builder().add_all(black_box(&ingresses)).build())
        });
    }
    group.finish();

    let ingresses = support::ingresses(10_000);
    let trusted = Config::default().validation(Validation::Trusted);
    c.benchmark_group("build_trusted")
        .bench_function("10000", |b| {
            b.iter_with_large_drop(|| {
                RouteTable::builder()
                    .config(trusted.clone())
                    .add_all(black_box(&ingresses))
                    .build()
            })
        });
    c.benchmark_group("drop").bench_function("10000", |b| {
        b.iter_batched(
            || {
                RouteTable::builder()
                    .config(trusted.clone())
                    .add_all(&ingresses)
                    .build()
            },
            drop,
            BatchSize::PerIteration,
        )
    });
}

fn update(c: &mut Criterion) {
    let mut group = c.benchmark_group("update");
    let n = 10_000;
    let ingresses = support::ingresses(n);
    let table = RouteTable::builder().add_all(&ingresses).build().table;
    // Two versions of one Ingress, alternating, so every iteration is a real change.
    let a = support::ingress(4242);
    let mut b = a.clone();
    b.spec.rules[0].http.as_mut().unwrap().paths[1].path = Some("/api/v2".into());
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
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = build, update
}
criterion_main!(benches);
