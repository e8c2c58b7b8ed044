//! The parts of core/v1 Service and discovery.k8s.io/v1 EndpointSlice that routing reads:
//! which ports a Service has (to resolve named backend ports), its type and external name, and
//! which endpoints are ready.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::meta::ObjectMeta;

/// A core/v1 Service, reduced to what backend resolution needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// Always `v1`.
    #[serde(default = "core_v1")]
    pub api_version: String,
    /// Always `Service`.
    #[serde(default = "service_kind")]
    pub kind: String,
    /// Name and namespace.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub metadata: ObjectMeta,
    /// Ports, type, selector.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub spec: ServiceSpec,
}

fn core_v1() -> String {
    "v1".to_owned()
}

fn service_kind() -> String {
    "Service".to_owned()
}

impl Default for Service {
    fn default() -> Self {
        Service {
            api_version: core_v1(),
            kind: service_kind(),
            metadata: ObjectMeta::default(),
            spec: ServiceSpec::default(),
        }
    }
}

impl Service {
    /// The port named `name`, as an Ingress backend's `port.name` refers to it.
    pub fn port_named(&self, name: &str) -> Option<&ServicePort> {
        self.spec
            .ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
    }

    /// The port with number `number`, as an Ingress backend's `port.number` refers to it.
    pub fn port_numbered(&self, number: i32) -> Option<&ServicePort> {
        self.spec.ports.iter().find(|p| p.port == number)
    }
}

/// `ServiceSpec` (subset).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// `ClusterIP` (default), `NodePort`, `LoadBalancer` or `ExternalName`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// The ports the Service exposes.
    #[serde(
        default,
        deserialize_with = "crate::null::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ports: Vec<ServicePort>,
    /// Label selector of the Service's Pods.
    #[serde(
        default,
        deserialize_with = "crate::null::string_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub selector: BTreeMap<String, String>,
    /// The cluster IP, `None` for headless Services.
    #[serde(default, rename = "clusterIP", skip_serializing_if = "Option::is_none")]
    pub cluster_ip: Option<String>,
    /// DNS name for `type: ExternalName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_name: Option<String>,
}

/// `ServicePort` (subset).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    /// Port name; required when a Service has several ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `TCP` (default), `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Application protocol hint (`http`, `h2c`, `kubernetes.io/ws`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
    /// The port the Service listens on.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub port: i32,
    /// The Pod port, by number or name; defaults to `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<IntOrString>,
    /// Node port for `NodePort`/`LoadBalancer` Services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_port: Option<i32>,
}

/// Kubernetes `IntOrString`, as used by `targetPort`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    /// A number.
    Int(i32),
    /// A name.
    String(String),
}

impl fmt::Display for IntOrString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrString::Int(i) => write!(f, "{i}"),
            IntOrString::String(s) => f.write_str(s),
        }
    }
}

/// A discovery.k8s.io/v1 EndpointSlice, reduced to addresses, readiness and ports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSlice {
    /// Always `discovery.k8s.io/v1`.
    #[serde(default = "discovery_v1")]
    pub api_version: String,
    /// Always `EndpointSlice`.
    #[serde(default = "slice_kind")]
    pub kind: String,
    /// Name, namespace and the `kubernetes.io/service-name` label.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub metadata: ObjectMeta,
    /// `IPv4`, `IPv6` or `FQDN`.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub address_type: String,
    /// The endpoints.
    #[serde(
        default,
        deserialize_with = "crate::null::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub endpoints: Vec<Endpoint>,
    /// The ports every endpoint exposes.
    #[serde(
        default,
        deserialize_with = "crate::null::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ports: Vec<EndpointPort>,
}

/// The label that ties an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

fn discovery_v1() -> String {
    "discovery.k8s.io/v1".to_owned()
}

fn slice_kind() -> String {
    "EndpointSlice".to_owned()
}

impl Default for EndpointSlice {
    fn default() -> Self {
        EndpointSlice {
            api_version: discovery_v1(),
            kind: slice_kind(),
            metadata: ObjectMeta::default(),
            address_type: String::new(),
            endpoints: Vec::new(),
            ports: Vec::new(),
        }
    }
}

impl EndpointSlice {
    /// The Service this slice belongs to (its `kubernetes.io/service-name` label).
    pub fn service_name(&self) -> Option<&str> {
        self.metadata
            .labels
            .get(SERVICE_NAME_LABEL)
            .map(String::as_str)
    }
}

/// `Endpoint` (subset).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Addresses of this endpoint (all of `addressType`).
    #[serde(
        default,
        deserialize_with = "crate::null::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub addresses: Vec<String>,
    /// Readiness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<EndpointConditions>,
    /// Hostname of the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Node hosting the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// Zone of the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

impl Endpoint {
    /// Whether traffic may be sent here: `ready` unset counts as ready (the API's own rule:
    /// "nil should be interpreted as true").
    pub fn is_ready(&self) -> bool {
        self.conditions
            .as_ref()
            .and_then(|c| c.ready)
            .unwrap_or(true)
    }
}

/// `EndpointConditions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointConditions {
    /// Ready to receive traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    /// Serving (may be terminating).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<bool>,
    /// Terminating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminating: Option<bool>,
}

/// `EndpointPort`. `port` is kept as the API's int32 even when negative (as in the API's own
/// fuzz fixtures): it is the consumer's job to ignore ports outside 1..=65535.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointPort {
    /// Port name, matching a Service port name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `TCP`, `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Port number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Application protocol hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}
