//! Fuzz target `differential`: see `ingress_fuzz::differential` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ingress_fuzz::run("differential", data));
