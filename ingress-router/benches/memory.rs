//! Heap bytes per path of a built table, measured with a counting allocator (printed, not
//! timed). A separate bench binary so the counting allocator does not slow the timed benches.

use std::alloc::System;

use ingress_router::RouteTable;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[path = "support/mod.rs"]
mod support;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    // `cargo bench -- --test` runs every bench once; this one is fast either way.
    for n in [1000, 10_000] {
        let ingresses = support::ingresses(n);
        let region = Region::new(GLOBAL);
        let built = RouteTable::builder().add_all(&ingresses).build();
        let table_stats = region.change();
        let paths = built.table.stats().paths;
        // Drop the diagnostics before measuring what the table alone keeps.
        drop(built.diagnostics);
        let kept = region.change();
        let table_bytes = kept.bytes_allocated as isize - kept.bytes_deallocated as isize;

        let region = Region::new(GLOBAL);
        let baseline = support::MatchitPerHost::new(&ingresses);
        let b = region.change();
        let baseline_bytes = b.bytes_allocated as isize - b.bytes_deallocated as isize;
        std::hint::black_box(&baseline);

        println!(
            "memory/{n}: {paths} paths, table {table_bytes} B ({:.0} B/path, payload \
             IngressBackend included; {} allocations while building), matchit_per_host \
             {baseline_bytes} B ({:.0} B/path)",
            table_bytes as f64 / paths as f64,
            table_stats.allocations,
            baseline_bytes as f64 / paths as f64,
        );
        drop(built.table);
    }
}
