//! `build/{1000,10000}`: compile N generated Ingresses of 5 paths each with the default
//! configuration (validation included). `build_trusted/10000`: the same with
//! `Validation::Trusted`, as a controller reading from an API server would. `drop/10000`: what
//! freeing such a table costs; `build/*` leaves it out, because a replaced table is freed when
//! its last reader lets go of it, off the path that builds the new one. `update/10000`: replace
//! one Ingress in a 10 000-Ingress table (dropping the result included).
//! `update_shared_host/2000`: replace one of 2 000 Ingresses that share one host (each with its
//! own paths under that host), and `update_shared_host/2000_same_segment`, where every path sits
//! under the same first segment. `update_with_defaults/10000`: replace one Ingress in a table
//! where every Ingress has a `defaultBackend`. `startup/10000`: a controller's start, one
//! `with_ingress` per Ingress from an empty table, against `startup/10000_batch`, one build.
//! `build/10000_ingress_nginx` and `update/10000_ingress_nginx`: the same under the
//! ingress-nginx profile, whose nginx view is built whole on every build and update.

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
    let ingresses = support::ingresses(10_000);
    group.bench_function("10000_ingress_nginx", |b| {
        b.iter_with_large_drop(|| {
            RouteTable::builder()
                .config(Config::ingress_nginx())
                .add_all(black_box(&ingresses))
                .build()
        })
    });
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
    let nginx = RouteTable::builder()
        .config(Config::ingress_nginx())
        .add_all(&ingresses)
        .build()
        .table;
    group.bench_function(format!("{n}_ingress_nginx"), |bench| {
        bench.iter(|| {
            k ^= 1;
            nginx.with_ingress(black_box(&versions[k]))
        })
    });
    group.finish();
}

/// Two versions of one Ingress, so that alternating between them is always a real change.
fn two_versions(a: ingress_model::Ingress) -> [ingress_model::Ingress; 2] {
    let mut b = a.clone();
    let paths = &mut b.spec.rules[0].http.as_mut().unwrap().paths;
    let last = paths.len() - 1;
    let path = paths[last].path.take().unwrap_or_default();
    paths[last].path = Some(format!("{path}-v2"));
    [a, b]
}

fn update_at_scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("update_shared_host");
    for (name, segment) in [("2000", false), ("2000_same_segment", true)] {
        let ingresses = support::shared_host(2000, segment);
        let table = RouteTable::builder().add_all(&ingresses).build().table;
        let versions = two_versions(ingresses[1234].clone());
        let mut k = 0;
        group.bench_function(name, |bench| {
            bench.iter(|| {
                k ^= 1;
                table.with_ingress(black_box(&versions[k]))
            })
        });
    }
    group.finish();

    let n = 10_000;
    let ingresses: Vec<_> = (0..n).map(support::with_default_backend).collect();
    let table = RouteTable::builder().add_all(&ingresses).build().table;
    let versions = two_versions(ingresses[4242].clone());
    let mut k = 0;
    c.benchmark_group("update_with_defaults")
        .bench_function(format!("{n}"), |bench| {
            bench.iter(|| {
                k ^= 1;
                table.with_ingress(black_box(&versions[k]))
            })
        });

    let mut group = c.benchmark_group("startup");
    let ingresses = support::ingresses(n);
    let trusted = Config::default().validation(Validation::Trusted);
    group.bench_function(format!("{n}"), |bench| {
        bench.iter_with_large_drop(|| {
            let mut table = RouteTable::builder().config(trusted.clone()).build().table;
            for ingress in black_box(&ingresses) {
                table = table.with_ingress(ingress).table;
            }
            table
        })
    });
    group.bench_function(format!("{n}_batch"), |bench| {
        bench.iter_with_large_drop(|| {
            RouteTable::builder()
                .config(trusted.clone())
                .add_all(black_box(&ingresses))
                .build()
                .table
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
    targets = build, update, update_at_scale
}
criterion_main!(benches);
