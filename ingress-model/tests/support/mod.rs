//! Shared by the test targets: proptest strategies for our types (`model`) and for k8s-openapi's
//! (`k8s`). Each target uses a part of them.

#![allow(dead_code, unreachable_pub)]

#[cfg(feature = "k8s-openapi")]
pub mod k8s;
pub mod model;
