//! Conversions to and from [`k8s_openapi`] types (feature `k8s-openapi`): `TryFrom` both ways,
//! from owned values and from references, for Ingress, IngressClass, Service, EndpointSlice and
//! Secret.
//!
//! # Field by field
//!
//! A controller converts every object it watches, so the conversions copy field by field
//! instead of going through the JSON both crates speak: `TryFrom<T>` moves the strings, lists
//! and maps of an owned value across (the text is not copied), `TryFrom<&T>` clones only the
//! fields modelled here, and nothing builds an intermediate `serde_json::Value`. On 10 000
//! Ingresses as an API server returns them (labels, annotations with the `kubectl apply` record,
//! `managedFields`, TLS, four paths; `benches/k8s_conversion.rs`), against the JSON round trip in
//! the same run (2 shared cores), k8s-openapi → ours took 2.3 µs an Ingress owned and 5.5 µs
//! borrowed against 18.5 µs through JSON (8× and 3.3× faster); ours → k8s-openapi 1.0 µs owned
//! and 4.4 µs borrowed against 17.2 µs (17× and 3.9×). Borrowed conversions cost what copying
//! the text costs; owned ones little more than freeing what is not modelled.
//!
//! # What carries over
//!
//! Exactly what serialising one side to JSON and deserialising the other from it gives; a
//! property test checks that for random objects in both directions.
//!
//! * Every field our types model carries over. Fields we do not model are dropped when reading
//!   (`managedFields`, `ownerReferences`, `generation`, `deletionTimestamp`, a Service's
//!   `status`, ...) and left unset (`None`, `Default`) when writing.
//! * An empty list or map is written as absent (`None`) and an absent one reads as empty. An
//!   absent `spec` reads as the default spec; our spec is always written.
//! * `apiVersion` and `kind` are constants of k8s-openapi's types: reading fills ours in, and
//!   writing fails with a [`ConversionError`] at `apiVersion` or `kind` unless ours equal them.
//! * `metadata.creationTimestamp`: k8s-openapi holds an instant (a `jiff::Timestamp`), we hold
//!   the text. Writing parses the text as k8s-openapi's deserialiser does (jiff's RFC 3339
//!   parser) and fails at `metadata.creationTimestamp` if it does not parse; reading writes the
//!   instant as k8s-openapi serialises it, in UTC to the second (`2008-01-01T01:01:01Z`). So a
//!   timestamp survives ours → k8s-openapi → ours unchanged only in that form (the API server's
//!   own): fractions of a second and offsets do not.
//!
//! # Lossy spots
//!
//! * `pathType` is a required string in k8s-openapi and optional here. A missing path type
//!   becomes `""` (what k8s-openapi's deserialiser makes of a missing `pathType`), and `""`
//!   reads back as `Some(PathType::Unknown(""))`, not `None`: validation then reports an
//!   unsupported value instead of a required one, as the API server does for `pathType: ""`.
//!   Validate with this crate's types, before converting.
//! * The timestamp text, as above.
//! * A Secret's `stringData` is merged into `data` when writing (the API server's rule; its
//!   values win), so it reads back inside `data`, base64-encoded. A `data` value that is not
//!   base64 (the loader never gives one) fails at `data`, naming its key.
//!
//! The first two are what the JSON round trip did (the Secret rule is the API server's). The
//! one difference from it is the error: a [`ConversionError`] names the kind, the field and a
//! reason of its own, where the JSON path wrapped a `serde_json::Error`; it fails for the same
//! objects.
//!
//! Your binary picks the Kubernetes version feature of `k8s-openapi` (for example `latest`), as
//! with any library built on it.
//!
//! ```
//! use ingress_model::Ingress;
//! use k8s_openapi::api::networking::v1 as k8s;
//!
//! let theirs = k8s::Ingress {
//!     metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
//!         name: Some("web".into()),
//!         namespace: Some("prod".into()),
//!         ..Default::default()
//!     },
//!     spec: Some(k8s::IngressSpec {
//!         default_backend: Some(k8s::IngressBackend {
//!             service: Some(k8s::IngressServiceBackend {
//!                 name: "web".into(),
//!                 port: Some(k8s::ServiceBackendPort { number: Some(80), name: None }),
//!             }),
//!             resource: None,
//!         }),
//!         ..Default::default()
//!     }),
//!     status: None,
//! };
//! let ours = Ingress::try_from(&theirs)?;
//! assert_eq!(ours.key(), "prod/web");
//! assert_eq!(ours.spec.default_backend.as_ref().unwrap().to_string(), "service/web:80");
//! let back = k8s::Ingress::try_from(&ours)?;
//! assert_eq!(back, theirs);
//!
//! // Owned, the strings move instead of being copied.
//! let mut ours = Ingress::try_from(back)?;
//! // An object k8s-openapi's types cannot hold.
//! ours.api_version = "extensions/v1beta1".into();
//! let e = k8s::Ingress::try_from(ours).unwrap_err();
//! assert_eq!((e.kind, e.field), ("Ingress", "apiVersion"));
//! # Ok::<(), ingress_model::k8s::ConversionError>(())
//! ```

mod class;
mod convert;
mod ingress;
mod meta;
mod secret;
mod service;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::api::networking::v1 as networking;

use convert::TryConvert;

/// A value that has no counterpart in the target type: an `apiVersion` or `kind` other than
/// k8s-openapi's for that type, or a `creationTimestamp` one side cannot hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert {kind}: {field}: {reason}")]
pub struct ConversionError {
    /// The kind being converted (`Ingress`, `IngressClass`, `Service`, `EndpointSlice`,
    /// `Secret`).
    pub kind: &'static str,
    /// JSON path of the field that did not fit, for example `metadata.creationTimestamp`.
    pub field: &'static str,
    /// Why it did not fit.
    pub reason: String,
}

macro_rules! conversions {
    ($($ours:ty => $theirs:ty, $kind:literal;)*) => {$(
        impl TryFrom<&$theirs> for $ours {
            type Error = ConversionError;
            fn try_from(value: &$theirs) -> Result<Self, Self::Error> {
                value.try_convert().map_err(|e| e.of_kind($kind))
            }
        }

        impl TryFrom<$theirs> for $ours {
            type Error = ConversionError;
            fn try_from(value: $theirs) -> Result<Self, Self::Error> {
                value.try_convert().map_err(|e| e.of_kind($kind))
            }
        }

        impl TryFrom<&$ours> for $theirs {
            type Error = ConversionError;
            fn try_from(value: &$ours) -> Result<Self, Self::Error> {
                value.try_convert().map_err(|e| e.of_kind($kind))
            }
        }

        impl TryFrom<$ours> for $theirs {
            type Error = ConversionError;
            fn try_from(value: $ours) -> Result<Self, Self::Error> {
                value.try_convert().map_err(|e| e.of_kind($kind))
            }
        }
    )*};
}

conversions! {
    crate::Ingress => networking::Ingress, "Ingress";
    crate::IngressClass => networking::IngressClass, "IngressClass";
    crate::Service => core::Service, "Service";
    crate::EndpointSlice => discovery::EndpointSlice, "EndpointSlice";
    crate::Secret => core::Secret, "Secret";
}
