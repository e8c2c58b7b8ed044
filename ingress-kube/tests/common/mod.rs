//! Builders for the k8s-openapi objects the tests feed the index, written as the JSON an API
//! server returns.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;

use ingress_kube::index::{Index, IndexConfig, Resolved, Routed, Snapshot};
use ingress_router::RequestView;
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use serde_json::{Value, from_value, json};

/// Our controller name.
pub const CONTROLLER: &str = "example.com/ingress-gateway";

/// Deserialises a k8s-openapi object; the tests' JSON is always well formed.
pub fn object<T: for<'de> k8s_openapi::serde::Deserialize<'de>>(value: Value) -> T {
    from_value(value).expect("test object")
}

/// An IngressClass `name` of `controller`, the cluster default when `default`.
pub fn class(name: &str, controller: &str, default: bool) -> IngressClass {
    let mut meta = json!({"name": name, "creationTimestamp": "2024-01-01T00:00:00Z"});
    if default {
        meta["annotations"] = json!({"ingressclass.kubernetes.io/is-default-class": "true"});
    }
    object(json!({"metadata": meta, "spec": {"controller": controller}}))
}

/// An index with one class of ours, `gateway`.
pub fn index() -> Index {
    index_with(IndexConfig::new(CONTROLLER))
}

/// An index with `config` and one class of ours, `gateway`.
pub fn index_with(config: IndexConfig) -> Index {
    let mut index = Index::new(config);
    let change = index.apply(class("gateway", CONTROLLER, false));
    assert!(change.errors.is_empty(), "{:?}", change.errors);
    index
}

/// An Ingress `namespace/name` of class `gateway`, with one Prefix path per `(path, backend)`
/// on `host`; a backend is a JSON `IngressBackend`.
pub fn ingress(namespace: &str, name: &str, host: &str, paths: &[(&str, Value)]) -> Ingress {
    let paths: Vec<Value> = paths
        .iter()
        .map(|(path, backend)| json!({"path": path, "pathType": "Prefix", "backend": backend}))
        .collect();
    object(json!({
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": "2024-01-01T00:00:00Z"},
        "spec": {"ingressClassName": "gateway", "rules": [{"host": host, "http": {"paths": paths}}]}
    }))
}

/// `{"service": {"name": name, "port": {"number": port}}}`.
pub fn to_number(name: &str, port: i32) -> Value {
    json!({"service": {"name": name, "port": {"number": port}}})
}

/// `{"service": {"name": name, "port": {"name": port}}}`.
pub fn to_name(name: &str, port: &str) -> Value {
    json!({"service": {"name": name, "port": {"name": port}}})
}

/// A Service with a selector and `ports` (JSON `ServicePort`s).
pub fn service(namespace: &str, name: &str, ports: Value) -> Service {
    object(json!({
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"app": name}, "ports": ports, "clusterIP": "10.96.0.10"}
    }))
}

/// An EndpointSlice of Service `service` with `ports` and `endpoints` (JSON).
pub fn slice(
    namespace: &str,
    name: &str,
    service: &str,
    address_type: &str,
    ports: Value,
    endpoints: Value,
) -> EndpointSlice {
    object(json!({
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {"kubernetes.io/service-name": service}},
        "addressType": address_type,
        "ports": ports,
        "endpoints": endpoints
    }))
}

/// A ready endpoint with these addresses.
pub fn ready(addresses: &[&str]) -> Value {
    json!({"addresses": addresses, "conditions": {"ready": true, "serving": true, "terminating": false}})
}

/// A `kubernetes.io/tls` Secret.
pub fn tls_secret(namespace: &str, name: &str, cert: &str, key: &str) -> Secret {
    use base64_free::encode;
    object(json!({
        "metadata": {"name": name, "namespace": namespace},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": encode(cert.as_bytes()), "tls.key": encode(key.as_bytes())}
    }))
}

/// Base64 for Secret `data` values (the JSON form of k8s-openapi's `ByteString`), without a
/// dependency.
mod base64_free {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

/// Routes `host` + `path` through the current snapshot.
pub fn route<'s>(snapshot: &'s Snapshot, host: &str, path: &str) -> Routed<'s> {
    snapshot.route(&RequestView::new(host, path))
}

/// The endpoints a request lands on (panics with the outcome when it is not endpoints).
pub fn endpoints(index: &mut Index, host: &str, path: &str) -> Vec<SocketAddr> {
    let snapshot = index.snapshot().snapshot;
    let routed = route(&snapshot, host, path);
    match routed.resolved {
        Some(Resolved::Endpoints(e)) => e.to_vec(),
        other => panic!("{host}{path}: expected endpoints, got {other:?}"),
    }
}

/// What a request resolves to, owned: `Err(status)` for 404, `Ok(debug text)` otherwise.
pub fn outcome(index: &mut Index, host: &str, path: &str) -> Result<String, u16> {
    let snapshot = index.snapshot().snapshot;
    let routed = route(&snapshot, host, path);
    match routed.resolved {
        None => Err(404),
        Some(r) => Ok(format!("{r:?}")),
    }
}

/// Socket addresses from strings.
pub fn addrs(list: &[&str]) -> Vec<SocketAddr> {
    list.iter()
        .map(|a| a.parse().expect("socket address"))
        .collect()
}
