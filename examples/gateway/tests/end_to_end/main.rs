//! The gateway end to end on loopback: one test binary for every file here (each links the
//! whole proxy, kube client and TLS stack, so one binary instead of ten is minutes of CI
//! linking saved), sharing `support`. Each module is one subject; `cargo test -p
//! ingress-gateway --test end_to_end reload::` runs one of them.
//!
//! `vs_nginx` (the benchmarks against a real nginx) stays a binary of its own, so that its
//! release build for the by-hand runs compiles nothing else.

#[path = "../support/mod.rs"]
mod support;

mod admin;
mod big_body;
mod demo;
mod failover;
mod limits;
mod live;
mod nginx_profile;
mod proxying;
mod reload;
mod timeouts;
mod tls;
