//! `find/{10,1000,10000}/{table,reference,matchit_per_host}`: a fixed mix of hitting and missing
//! requests against N generated Ingresses of 5 paths each (see `support`). Each iteration runs
//! the whole mix. `find/{n}/table_ingress_nginx`: the same table under the ingress-nginx
//! profile (nginx's locations and lookup), against `find/{n}/table` in the same run.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ingress_router::reference::Reference;
use ingress_router::{Config, RequestView, RouteTable};

#[path = "support/mod.rs"]
mod support;

fn find(c: &mut Criterion) {
    let mut group = c.benchmark_group("find");
    for n in [10, 1000, 10_000] {
        let ingresses = support::ingresses(n);
        let requests = support::requests(n);
        let table = RouteTable::builder().add_all(&ingresses).build().table;
        let reference = Reference::new(&Config::default(), &ingresses);
        let baseline = support::MatchitPerHost::new(&ingresses);

        // The three must agree on the mix, or the comparison is meaningless.
        for (h, p) in &requests {
            let t = table.find(&RequestView::new(h, p)).backend();
            assert_eq!(t, reference.find(h, p).backend(), "{h} {p}");
            if !p.contains("/..") {
                assert_eq!(t, baseline.find(h, p), "baseline: {h} {p}");
            }
        }

        group.bench_function(format!("{n}/table"), |b| {
            b.iter(|| {
                for (h, p) in &requests {
                    black_box(table.find(&RequestView::new(black_box(h), black_box(p))));
                }
            })
        });
        let nginx = RouteTable::builder()
            .config(Config::ingress_nginx())
            .add_all(&ingresses)
            .build()
            .table;
        group.bench_function(format!("{n}/table_ingress_nginx"), |b| {
            b.iter(|| {
                for (h, p) in &requests {
                    black_box(nginx.find(&RequestView::new(black_box(h), black_box(p))));
                }
            })
        });
        group.bench_function(format!("{n}/matchit_per_host"), |b| {
            b.iter(|| {
                for (h, p) in &requests {
                    black_box(baseline.find(black_box(h), black_box(p)));
                }
            })
        });
        group.bench_function(format!("{n}/reference"), |b| {
            b.iter(|| {
                for (h, p) in &requests {
                    black_box(reference.find(black_box(h), black_box(p)));
                }
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = find
}
criterion_main!(benches);
