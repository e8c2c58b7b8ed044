//! Kubernetes `networking.k8s.io/v1` Ingress as plain Rust data: serde types, manifest
//! loading, and validation that says what the API server would say.
//!
//! This crate does no I/O beyond reading the files it is handed. It is the foundation of
//! `ingress-router` (which compiles Ingresses into a routing table) and `ingress-kube` (which
//! keeps that table in sync with a cluster).
//!
//! # Types
//!
//! [`Ingress`], [`IngressClass`], the parts of [`Service`] and [`EndpointSlice`] that routing
//! needs, and [`Secret`] (the certificates of `spec.tls`). Field names and JSON shapes are exactly the API's (camelCase); unknown fields are
//! ignored, never rejected; a loaded object serialises back to the same JSON for every field
//! modelled here (lists the API server omits when empty are omitted when empty).
//!
//! ```
//! use ingress_model::{Ingress, PathType};
//!
//! let ingress: Ingress = serde_json::from_str(r#"{
//!   "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
//!   "metadata": {"name": "echo", "namespace": "default"},
//!   "spec": {"rules": [{"host": "v1.echo.example", "http": {"paths": [
//!     {"path": "/", "pathType": "Prefix",
//!      "backend": {"service": {"name": "echo-v1", "port": {"number": 3000}}}}]}}]}
//! }"#)?;
//! let path = &ingress.spec.rules[0].http.as_ref().unwrap().paths[0];
//! assert_eq!(path.path_type, Some(PathType::Prefix));
//! assert_eq!(path.backend.to_string(), "service/echo-v1:3000");
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! # Loading manifests
//!
//! [`Manifests`] loads files, directories, multi-document YAML, JSON and `kind: List` wrappers,
//! passes over kinds it does not model, and reports every broken document with its file,
//! document number, line and column and field path, without giving up on the rest. See the
//! [`load`] module for the limits it enforces and why it uses `serde-saphyr`.
//!
//! # Validation
//!
//! The [`validation`] module checks objects as the API server does
//! (`pkg/apis/networking/validation`, and `pkg/apis/core/validation` for Secrets), with the API
//! server's field paths and words.
//!
//! # Default IngressClass
//!
//! [`default_class`] is the `DefaultIngressClass` admission rule as a pure function.
//!
//! # Features
//!
//! * `k8s-openapi`: `TryFrom` conversions to and from the `k8s_openapi` types, field by field
//!   (module `k8s`).

pub mod beta;
pub mod class;
pub mod ingress;
#[cfg(feature = "k8s-openapi")]
pub mod k8s;
mod key;
pub mod load;
pub mod meta;
mod null;
pub mod secret;
pub mod service;
pub mod time;
pub mod validation;

pub use class::{
    DEFAULT_CLASS_ANNOTATION, IngressClass, IngressClassParametersReference, IngressClassSpec,
    default_class,
};
pub use ingress::{
    CLASS_ANNOTATION, HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend,
    IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressPortStatus, IngressRule,
    IngressServiceBackend, IngressSpec, IngressStatus, IngressTls, NETWORKING_V1, PathType,
    ServiceBackendPort, TypedLocalObjectReference,
};
pub use key::IngressKey;
pub use load::{Converted, LoadError, LoadErrorKind, LoadOptions, Loaded, Manifests, Origin};
pub use meta::ObjectMeta;
pub use secret::{SECRET_TYPE_TLS, Secret, TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY};
pub use service::{
    Endpoint, EndpointConditions, EndpointPort, EndpointSlice, IntOrString, SERVICE_NAME_LABEL,
    Service, ServicePort, ServiceSpec,
};
pub use time::Timestamp;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
