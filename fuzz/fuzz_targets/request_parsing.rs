//! Fuzz target `request_parsing`: see `ingress_fuzz::request_parsing` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ingress_fuzz::run("request_parsing", data));
