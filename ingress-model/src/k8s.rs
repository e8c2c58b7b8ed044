//! Conversions to and from [`k8s_openapi`] types (feature `k8s-openapi`).
//!
//! Our types use exactly the API's JSON shapes, so each conversion goes through the JSON
//! representation the two crates share: every field we model is carried over, fields we do not
//! model are dropped (model → k8s-openapi leaves them unset). Conversions are `TryFrom` because
//! a value may not fit the other side's type; with the current shapes that only happens for
//! values no API server produces. One lossy spot, from k8s-openapi's own design: a required
//! string we keep optional (a missing `pathType`) becomes `""` in k8s-openapi, so validate with
//! this crate's types, before converting.
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
//! # Ok::<(), ingress_model::k8s::ConversionError>(())
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::api::networking::v1 as networking;

/// A value that has no counterpart in the target type (a required field is missing, or a value
/// is out of the target's range).
#[derive(Debug, thiserror::Error)]
#[error("cannot convert {kind}: {source}")]
pub struct ConversionError {
    /// The kind being converted.
    pub kind: &'static str,
    /// What did not fit, with its field.
    #[source]
    pub source: serde_json::Error,
}

fn convert<A: Serialize, B: DeserializeOwned>(
    kind: &'static str,
    a: &A,
) -> Result<B, ConversionError> {
    serde_json::to_value(a)
        .and_then(serde_json::from_value)
        .map_err(|source| ConversionError { kind, source })
}

macro_rules! conversions {
    ($($ours:ty => $theirs:ty, $kind:literal;)*) => {$(
        impl TryFrom<&$theirs> for $ours {
            type Error = ConversionError;
            fn try_from(value: &$theirs) -> Result<Self, Self::Error> {
                convert($kind, value)
            }
        }

        impl TryFrom<$theirs> for $ours {
            type Error = ConversionError;
            fn try_from(value: $theirs) -> Result<Self, Self::Error> {
                convert($kind, &value)
            }
        }

        impl TryFrom<&$ours> for $theirs {
            type Error = ConversionError;
            fn try_from(value: &$ours) -> Result<Self, Self::Error> {
                convert($kind, value)
            }
        }

        impl TryFrom<$ours> for $theirs {
            type Error = ConversionError;
            fn try_from(value: $ours) -> Result<Self, Self::Error> {
                convert($kind, &value)
            }
        }
    )*};
}

conversions! {
    crate::Ingress => networking::Ingress, "Ingress";
    crate::IngressClass => networking::IngressClass, "IngressClass";
    crate::Service => core::Service, "Service";
    crate::EndpointSlice => discovery::EndpointSlice, "EndpointSlice";
}
