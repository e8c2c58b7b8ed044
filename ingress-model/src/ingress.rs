//! `networking.k8s.io/v1` Ingress: the object, its rules, paths and backends.
//!
//! Field names and JSON shapes are the API's own (camelCase). Lists the API server omits when
//! empty (`omitempty`) are skipped on output when empty, so a loaded object serialises back to
//! the JSON the API server would return for every field modelled here.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::key::IngressKey;
use crate::meta::ObjectMeta;

/// The `apiVersion` of the Ingress and IngressClass kinds modelled here.
pub const NETWORKING_V1: &str = "networking.k8s.io/v1";

/// The deprecated class annotation (`kubernetes.io/ingress.class`), still honoured by controllers.
pub const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// A `networking.k8s.io/v1` Ingress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ingress {
    /// Always `networking.k8s.io/v1` for objects this crate builds.
    #[serde(default = "networking_v1")]
    pub api_version: String,
    /// Always `Ingress`.
    #[serde(default = "ingress_kind")]
    pub kind: String,
    /// Name, namespace, creation time, annotations.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub metadata: ObjectMeta,
    /// The desired routing.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub spec: IngressSpec,
    /// What the controller reported (load-balancer addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IngressStatus>,
}

fn networking_v1() -> String {
    NETWORKING_V1.to_owned()
}

fn ingress_kind() -> String {
    "Ingress".to_owned()
}

impl Default for Ingress {
    fn default() -> Self {
        Ingress {
            api_version: networking_v1(),
            kind: ingress_kind(),
            metadata: ObjectMeta::default(),
            spec: IngressSpec::default(),
            status: None,
        }
    }
}

impl Ingress {
    /// `namespace/name`, the identity used in diagnostics, updates and tie-breaks.
    pub fn key(&self) -> IngressKey {
        IngressKey::of(self)
    }

    /// The deprecated `kubernetes.io/ingress.class` annotation, if set.
    pub fn class_annotation(&self) -> Option<&str> {
        self.metadata.annotation(CLASS_ANNOTATION)
    }
}

/// `IngressSpec`: class, default backend, TLS and rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    /// Name of the IngressClass that should serve this Ingress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_class_name: Option<String>,
    /// Backend for requests that match no rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_backend: Option<IngressBackend>,
    /// TLS termination: which hosts a Secret's certificate covers.
    #[serde(
        default,
        deserialize_with = "crate::null::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tls: Vec<IngressTls>,
    /// Host and path rules.
    #[serde(
        default,
        deserialize_with = "crate::null::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub rules: Vec<IngressRule>,
}

/// `IngressTLS`: a certificate Secret and the hosts it covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressTls {
    /// Host names (exact or `*.` wildcard) the certificate covers.
    #[serde(
        default,
        deserialize_with = "crate::null::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub hosts: Vec<String>,
    /// Secret in the Ingress namespace holding `tls.crt` and `tls.key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
}

/// `IngressRule`: an optional host and its HTTP paths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressRule {
    /// Exact (`foo.bar.com`) or single-label wildcard (`*.bar.com`) host; absent or empty
    /// matches every host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The paths; a rule without `http` is allowed and routes nothing by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpIngressRuleValue>,
}

impl IngressRule {
    /// The rule host, with `None` and `""` both meaning "every host".
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref().filter(|h| !h.is_empty())
    }
}

/// `HTTPIngressRuleValue`: the list of paths of one rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpIngressRuleValue {
    /// Path conditions; must not be empty when `http` is present.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub paths: Vec<HttpIngressPath>,
}

/// `HTTPIngressPath`: a path condition and its backend.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpIngressPath {
    /// The path; may be empty only for `ImplementationSpecific`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How `path` is interpreted; required in v1 (not defaulted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_type: Option<PathType>,
    /// Where matching requests go.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub backend: IngressBackend,
}

impl HttpIngressPath {
    /// The path, with an absent path read as `""`.
    pub fn path(&self) -> &str {
        self.path.as_deref().unwrap_or("")
    }
}

/// `pathType`. Values outside the three the API defines are kept (as [`PathType::Unknown`]) so
/// that validation can report them in the API server's words instead of failing the load.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum PathType {
    /// Byte-for-byte equality with the request path.
    Exact,
    /// Element-wise prefix on `/`-separated segments.
    Prefix,
    /// Up to the IngressClass; see the router's configuration.
    ImplementationSpecific,
    /// Anything else, as written; always a validation error.
    Unknown(String),
}

impl PathType {
    /// The API spelling.
    pub fn as_str(&self) -> &str {
        match self {
            PathType::Exact => "Exact",
            PathType::Prefix => "Prefix",
            PathType::ImplementationSpecific => "ImplementationSpecific",
            PathType::Unknown(s) => s,
        }
    }
}

impl From<String> for PathType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "Exact" => PathType::Exact,
            "Prefix" => PathType::Prefix,
            "ImplementationSpecific" => PathType::ImplementationSpecific,
            _ => PathType::Unknown(s),
        }
    }
}

impl From<&str> for PathType {
    fn from(s: &str) -> Self {
        PathType::from(s.to_owned())
    }
}

impl From<PathType> for String {
    fn from(p: PathType) -> Self {
        match p {
            PathType::Unknown(s) => s,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for PathType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `IngressBackend`: exactly one of a Service or a typed resource reference (validation checks
/// the "exactly one"; loading keeps whatever was written).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressBackend {
    /// A Service in the Ingress namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<IngressServiceBackend>,
    /// Any other object in the Ingress namespace (optional for controllers to support).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<TypedLocalObjectReference>,
}

impl IngressBackend {
    /// A Service backend on a numbered port.
    pub fn service(name: impl Into<String>, port: i32) -> Self {
        IngressBackend {
            service: Some(IngressServiceBackend {
                name: name.into(),
                port: Some(ServiceBackendPort {
                    name: None,
                    number: Some(port),
                }),
            }),
            resource: None,
        }
    }
}

impl fmt::Display for IngressBackend {
    /// `service/NAME:PORT` or `resource/GROUP/KIND/NAME`, for human-readable output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.service, &self.resource) {
            (Some(s), _) => {
                write!(f, "service/{}", s.name)?;
                match s.port.as_ref() {
                    Some(ServiceBackendPort {
                        number: Some(n), ..
                    }) if *n != 0 => write!(f, ":{n}"),
                    Some(ServiceBackendPort { name: Some(n), .. }) => write!(f, ":{n}"),
                    _ => Ok(()),
                }
            }
            (None, Some(r)) => write!(
                f,
                "resource/{}/{}/{}",
                r.api_group.as_deref().unwrap_or(""),
                r.kind,
                r.name
            ),
            (None, None) => f.write_str("<no backend>"),
        }
    }
}

/// `IngressServiceBackend`: a Service name and port.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressServiceBackend {
    /// Service name (DNS-1035 label).
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub name: String,
    /// Service port, by name or number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<ServiceBackendPort>,
}

/// `ServiceBackendPort`: exactly one of a port name or number (`number: 0` counts as unset).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceBackendPort {
    /// Name of a port of the Service (IANA service name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Port number of the Service, 1..=65535.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<i32>,
}

/// `TypedLocalObjectReference`: an object in the same namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypedLocalObjectReference {
    /// API group of the referenced kind; core group when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_group: Option<String>,
    /// Kind of the referenced object.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub kind: String,
    /// Name of the referenced object.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub name: String,
}

/// `IngressStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressStatus {
    /// Addresses the controller publishes for this Ingress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<IngressLoadBalancerStatus>,
}

/// `IngressLoadBalancerStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressLoadBalancerStatus {
    /// One entry per load-balancer address.
    #[serde(
        default,
        deserialize_with = "crate::null::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ingress: Vec<IngressLoadBalancerIngress>,
}

/// `IngressLoadBalancerIngress`: one address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressLoadBalancerIngress {
    /// IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// DNS name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Port status.
    #[serde(
        default,
        deserialize_with = "crate::null::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ports: Vec<IngressPortStatus>,
}

/// `IngressPortStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressPortStatus {
    /// Port number.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub port: i32,
    /// `TCP`, `UDP` or `SCTP`.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub protocol: String,
    /// Problem with this port, in CamelCase reason form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
