//! Fuzz target `load_manifests`: see `ingress_fuzz::load_manifests` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ingress_fuzz::run("load_manifests", data));
