//! The removed beta versions of Ingress (`extensions/v1beta1`, `networking.k8s.io/v1beta1`),
//! read by converting them to `networking.k8s.io/v1` exactly as the API server's conversion
//! did while it still served them (Kubernetes 1.19 to 1.21).
//!
//! The conversion, field by field:
//!
//! | v1beta1 | v1 |
//! |---|---|
//! | `spec.backend` | `spec.defaultBackend` |
//! | `backend.serviceName` | `backend.service.name` |
//! | `backend.servicePort: 80` | `backend.service.port.number: 80` |
//! | `backend.servicePort: http` | `backend.service.port.name: http` |
//! | `backend.resource` | `backend.resource` |
//! | a path without `pathType` | `pathType: ImplementationSpecific` (the beta default) |
//! | `spec.ingressClassName`, `spec.tls`, rule hosts, paths, `metadata`, `status` | the same |
//!
//! A backend gets a `service` when it names a service or a port, as the API server's
//! conversion decides; one with neither is left without, which validation then reports.
//! `networking.k8s.io/v1beta1` IngressClass has the v1 shape: only its `apiVersion` changes.
//!
//! ```
//! use ingress_model::{LoadOptions, Manifests};
//!
//! let m = Manifests::load_str("old.yaml", "
//! apiVersion: extensions/v1beta1
//! kind: Ingress
//! metadata: {name: web}
//! spec:
//!   backend: {serviceName: fallback, servicePort: 80}
//!   rules:
//!   - host: shop.example.com
//!     http:
//!       paths:
//!       - path: /api
//!         backend: {serviceName: api, servicePort: http}
//! ", &LoadOptions::default());
//! assert!(m.errors.is_empty());
//! let ingress = &m.ingresses[0].object;
//! assert_eq!(ingress.api_version, "networking.k8s.io/v1");
//! assert_eq!(ingress.spec.default_backend.as_ref().unwrap().to_string(), "service/fallback:80");
//! let path = &ingress.spec.rules[0].http.as_ref().unwrap().paths[0];
//! assert_eq!(path.path_type.as_ref().unwrap().as_str(), "ImplementationSpecific");
//! assert_eq!(path.backend.to_string(), "service/api:http");
//! // The loader says what it converted, so tools can warn.
//! assert_eq!(m.converted[0].from, "extensions/v1beta1");
//! ```

use serde::Deserialize;

use crate::ingress::{
    HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressStatus, IngressTls, NETWORKING_V1, PathType,
    ServiceBackendPort, TypedLocalObjectReference,
};
use crate::meta::ObjectMeta;
use crate::service::IntOrString;

/// A v1beta1 Ingress as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IngressV1Beta1 {
    #[serde(default, deserialize_with = "crate::null::or_default")]
    metadata: ObjectMeta,
    #[serde(default, deserialize_with = "crate::null::or_default")]
    spec: SpecV1Beta1,
    #[serde(default)]
    status: Option<IngressStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecV1Beta1 {
    #[serde(default)]
    ingress_class_name: Option<String>,
    #[serde(default)]
    backend: Option<BackendV1Beta1>,
    #[serde(default, deserialize_with = "crate::null::or_default")]
    tls: Vec<IngressTls>,
    #[serde(default, deserialize_with = "crate::null::or_default")]
    rules: Vec<RuleV1Beta1>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuleV1Beta1 {
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    http: Option<HttpV1Beta1>,
}

#[derive(Debug, Default, Deserialize)]
struct HttpV1Beta1 {
    #[serde(default, deserialize_with = "crate::null::or_default")]
    paths: Vec<PathV1Beta1>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PathV1Beta1 {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    path_type: Option<PathType>,
    #[serde(default, deserialize_with = "crate::null::or_default")]
    backend: BackendV1Beta1,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BackendV1Beta1 {
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default)]
    service_port: Option<IntOrString>,
    #[serde(default)]
    resource: Option<TypedLocalObjectReference>,
}

impl IngressV1Beta1 {
    /// The v1 object the API server's conversion gave.
    pub(crate) fn into_v1(self) -> Ingress {
        Ingress {
            api_version: NETWORKING_V1.to_owned(),
            kind: "Ingress".to_owned(),
            metadata: self.metadata,
            spec: IngressSpec {
                ingress_class_name: self.spec.ingress_class_name,
                default_backend: self.spec.backend.map(BackendV1Beta1::into_v1),
                tls: self.spec.tls,
                rules: self
                    .spec
                    .rules
                    .into_iter()
                    .map(RuleV1Beta1::into_v1)
                    .collect(),
            },
            status: self.status,
        }
    }
}

impl RuleV1Beta1 {
    fn into_v1(self) -> IngressRule {
        IngressRule {
            host: self.host,
            http: self.http.map(|http| HttpIngressRuleValue {
                paths: http.paths.into_iter().map(PathV1Beta1::into_v1).collect(),
            }),
        }
    }
}

impl PathV1Beta1 {
    fn into_v1(self) -> HttpIngressPath {
        HttpIngressPath {
            path: self.path,
            // The beta API defaulted a missing pathType on write.
            path_type: Some(self.path_type.unwrap_or(PathType::ImplementationSpecific)),
            backend: self.backend.into_v1(),
        }
    }
}

impl BackendV1Beta1 {
    /// As the API server's conversion: a `service` when a service name or a port is given
    /// (a string port, even empty, counts as given), with the port by name or by number.
    fn into_v1(self) -> IngressBackend {
        let named = self.service_name.as_deref().is_some_and(|n| !n.is_empty());
        let port = match self.service_port {
            Some(IntOrString::Int(0)) | None => None,
            Some(IntOrString::Int(n)) => Some(ServiceBackendPort {
                name: None,
                number: Some(n),
            }),
            Some(IntOrString::String(s)) => Some(ServiceBackendPort {
                name: Some(s),
                number: None,
            }),
        };
        let service = (named || port.is_some()).then(|| IngressServiceBackend {
            name: self.service_name.unwrap_or_default(),
            port: Some(port.unwrap_or_default()),
        });
        IngressBackend {
            service,
            resource: self.resource,
        }
    }
}
