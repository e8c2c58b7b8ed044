//! The fuzz targets' bodies, as plain functions: the `fuzz_targets/` binaries feed them
//! libFuzzer's input, and `ingress-router/tests/fuzz_regressions.rs` replays the inputs kept in
//! `testdata/fuzz-regressions/<target>/` through the same functions in the normal test suite.
//!
//! [`run`] decodes its input the way libFuzzer's `fuzz_target!` does (raw bytes, or
//! `Arbitrary::arbitrary_take_rest` for the structured targets), so a crash file from `fuzz/artifacts/<target>/` can be copied into
//! `testdata/fuzz-regressions/<target>/` as it is.

pub mod differential;
pub mod load_manifests;
pub mod request_parsing;

/// Decodes `data` as the given target does and runs it. Unknown targets panic.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "load_manifests" => load_manifests::load_manifests(data),
        "differential" => {
            let u = arbitrary::Unstructured::new(data);
            if let Ok(case) = <differential::Case as arbitrary::Arbitrary>::arbitrary_take_rest(u) {
                differential::differential(&case);
            }
        }
        "request_parsing" => {
            let u = arbitrary::Unstructured::new(data);
            if let Ok((host, path, nginx)) =
                <(&[u8], &[u8], bool) as arbitrary::Arbitrary>::arbitrary_take_rest(u)
            {
                request_parsing::request_parsing(host, path, nginx);
            }
        }
        other => panic!("unknown fuzz target {other:?}"),
    }
}
