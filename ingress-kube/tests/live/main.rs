//! ingress-kube with a real `kube::Client` against an API server, mostly the in-process one
//! (`ingress-apiserver`): one test binary for these files, because each links the kube
//! client, hyper and rustls, sharing `support`. `cargo test -p ingress-kube --test live
//! lease_status::` runs one file's tests.

#[path = "../support/mod.rs"]
mod support;

mod controller;
mod driver;
mod driver_cluster;
mod driver_kubectl;
mod driver_scale;
mod lease_status;
mod rbac;
