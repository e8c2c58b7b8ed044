//! The integration test binary (one binary, so the suite links once).

mod support;

mod api;
mod diagnostics;
mod hostile;
#[cfg(feature = "http")]
mod invalid_host;
mod owned;
mod send_sync;
mod update;
mod vectors;
