//! The scale benchmark: 10 000 Ingresses across 1 000 namespaces, generated with a fixed seed
//! (`ingress_examples::generate`). Criterion times building the table and matching a fixed mix
//! of requests; a report printed before the timings gives what criterion does not: peak heap
//! while building, heap bytes per path of the built table, and match latency percentiles.
//!
//! ```sh
//! cargo bench -p ingress-examples --bench scale            # full run
//! cargo bench -p ingress-examples --bench scale -- --test  # quick check (CI)
//! ```

use std::alloc::System;
use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use ingress_examples::generate::{self, Scale};
use ingress_router::{Decision, RequestView, RouteTable};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const SCALE: Scale = Scale {
    ingresses: 10_000,
    namespaces: 1_000,
    seed: 42,
};

/// Nanoseconds at the given percentile of sorted samples.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Peak resident set size of this process so far (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn report() {
    let ingresses = generate::ingresses(SCALE);
    let requests = generate::requests(&ingresses, 200_000, 7);

    let region = Region::new(GLOBAL);
    let started = Instant::now();
    let built = RouteTable::builder().add_all(&ingresses).build();
    let build_time = started.elapsed();
    let during = region.change();
    let stats = built.table.stats();
    let errors = built
        .diagnostics
        .iter()
        .filter(|d| d.severity() == ingress_router::Severity::Error)
        .count();
    assert_eq!(errors, 0, "the generated Ingresses are valid");
    drop(built.diagnostics);
    let kept = region.change();
    let table_bytes = kept.bytes_allocated as i64 - kept.bytes_deallocated as i64;

    // Latency of single requests, each timed on its own; the cost of timing an empty call is
    // measured the same way and reported beside it.
    let table = &built.table;
    let (mut routes, mut defaults) = (0usize, 0usize);
    let mut samples = Vec::with_capacity(requests.len());
    let mut empty = Vec::with_capacity(requests.len());
    for (host, path) in &requests {
        let t = Instant::now();
        let d = table.find(&RequestView::new(black_box(host), black_box(path)));
        let ns = t.elapsed().as_nanos() as u64;
        match d {
            Decision::Route(_) => routes += 1,
            Decision::DefaultBackend(_) => defaults += 1,
            Decision::Redirect(_) | Decision::NotFound => {}
        }
        samples.push(ns);
        let t = Instant::now();
        black_box((host, path));
        empty.push(t.elapsed().as_nanos() as u64);
    }
    samples.sort_unstable();
    empty.sort_unstable();

    println!(
        "scale report: {} Ingresses in {} namespaces (seed {})",
        SCALE.ingresses, SCALE.namespaces, SCALE.seed
    );
    println!(
        "  paths {}, host groups {}, unindexed paths {}",
        stats.paths, stats.host_groups, stats.unindexed_paths
    );
    println!(
        "  build (one run, see scale/build for the distribution): {:.1} ms",
        build_time.as_secs_f64() * 1e3
    );
    println!(
        "  heap: {:.1} MiB allocated in total while building ({} allocations); the table keeps {:.1} MiB = {:.0} B/path",
        during.bytes_allocated as f64 / 1048576.0,
        during.allocations,
        table_bytes as f64 / 1048576.0,
        table_bytes as f64 / stats.paths as f64
    );
    if let Some(kib) = peak_rss_kib() {
        println!(
            "  peak memory: {:.1} MiB (peak RSS of the whole benchmark process, inputs included)",
            kib as f64 / 1024.0
        );
    }
    println!(
        "  find latency over {} requests ({:.0}% rule, {:.0}% default backend, rest 404): p50 {} ns, p99 {} ns, p99.9 {} ns (timer overhead p50 {} ns, p99 {} ns)",
        samples.len(),
        100.0 * routes as f64 / samples.len() as f64,
        100.0 * defaults as f64 / samples.len() as f64,
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        percentile(&samples, 0.999),
        percentile(&empty, 0.50),
        percentile(&empty, 0.99),
    );
}

fn benches(c: &mut Criterion) {
    report();
    let ingresses = generate::ingresses(SCALE);
    let requests = generate::requests(&ingresses, 1_000, 7);
    let table = RouteTable::builder().add_all(&ingresses).build().table;

    let mut group = c.benchmark_group("scale");
    group.sample_size(10);
    group.bench_function("build", |b| {
        b.iter(|| RouteTable::builder().add_all(black_box(&ingresses)).build())
    });
    group.finish();

    let mut group = c.benchmark_group("scale");
    group.throughput(criterion::Throughput::Elements(requests.len() as u64));
    group.bench_function("find_mix", |b| {
        b.iter(|| {
            let mut routed = 0usize;
            for (host, path) in &requests {
                routed += usize::from(!table.find(&RequestView::new(host, path)).is_not_found());
            }
            routed
        })
    });
    group.finish();
}

criterion_group!(scale, benches);
criterion_main!(scale);
