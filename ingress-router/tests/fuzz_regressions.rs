//! Replays every input kept in `testdata/fuzz-regressions/<target>/` through the same code the
//! fuzz targets run (`fuzz/src/`), so an input that once crashed a target (or that stresses a
//! limit: alias bombs, deep nesting, table/reference disagreements) stays fixed in the normal
//! test run.
//!
//! To keep a crash found by `cargo fuzz run <target>`: minimise it (`cargo fuzz tmin <target>
//! <file>`), copy the result into `testdata/fuzz-regressions/<target>/` with a name that says
//! what it is, and fix the bug.

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code, unreachable_pub, missing_docs)]
mod fuzz;

use std::path::Path;

fn replay(target: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/fuzz-regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        let started = std::time::Instant::now();
        fuzz::run(target, &data);
        // libFuzzer's -timeout in CI is 10 s per input; a debug build gets more room.
        assert!(
            started.elapsed().as_secs() < 30,
            "{}: took {:?}",
            file.display(),
            started.elapsed()
        );
    }
    files.len()
}

#[test]
fn load_manifests_regressions() {
    assert!(replay("load_manifests") >= 7);
}

#[test]
fn differential_regressions() {
    assert!(replay("differential") >= 5);
}

#[test]
fn request_parsing_regressions() {
    assert!(replay("request_parsing") >= 15);
}
