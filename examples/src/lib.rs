//! Support code shared by the example binaries and benchmarks of this workspace (not a
//! published library).
//!
//! * [`generate`]: seeded, realistic Ingress sets and request mixes for the scale benchmark
//!   (`cargo bench -p ingress-examples --bench scale`) and for `ingress-gen`.

pub mod generate;
