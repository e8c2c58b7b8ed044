//! The integration test binary (one binary, so the suite links once; STYLE.md).

mod support;

mod api;
mod diagnostics;
mod hostile;
mod send_sync;
mod update;
mod vectors;
