//! Helpers shared by the integration tests: building Ingresses tersely.

#![allow(dead_code, unreachable_pub)]

pub mod vectors;

use ingress_model::{
    HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressTls,
    PathType, Timestamp, TypedLocalObjectReference,
};

/// An Ingress `namespace/name` created `t` seconds after 2020-01-01T00:00:00Z (`None`: no
/// timestamp).
pub fn ingress(namespace: &str, name: &str, t: Option<i64>) -> Ingress {
    let mut i = Ingress::default();
    i.metadata.name = Some(name.to_owned());
    i.metadata.namespace = Some(namespace.to_owned());
    i.metadata.creation_timestamp = t.map(|t| Timestamp::from_unix_seconds(1_577_836_800 + t));
    i
}

/// A backend named as in the vectors: a Service on port 80, or `resource:GROUP/KIND/NAME`.
pub fn backend(name: &str) -> IngressBackend {
    match name.strip_prefix("resource:") {
        Some(r) => {
            let mut parts = r.splitn(3, '/');
            let group = parts.next().unwrap_or_default();
            let kind = parts.next().unwrap_or_default();
            let name = parts.next().unwrap_or_default();
            IngressBackend {
                service: None,
                resource: Some(TypedLocalObjectReference {
                    api_group: (!group.is_empty()).then(|| group.to_owned()),
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                }),
            }
        }
        None => IngressBackend::service(name, 80),
    }
}

/// The name a vector expects for a backend (inverse of [`backend`]).
pub fn backend_name(b: &IngressBackend) -> String {
    match (&b.service, &b.resource) {
        (Some(s), _) => s.name.clone(),
        (None, Some(r)) => format!(
            "resource:{}/{}/{}",
            r.api_group.as_deref().unwrap_or(""),
            r.kind,
            r.name
        ),
        (None, None) => "<none>".to_owned(),
    }
}

/// Appends a rule with one path.
pub fn add_path(i: &mut Ingress, host: &str, path_type: &str, path: &str, to: &str) {
    i.spec.rules.push(IngressRule {
        host: (!host.is_empty()).then(|| host.to_owned()),
        http: Some(HttpIngressRuleValue {
            paths: vec![HttpIngressPath {
                path: Some(path.to_owned()),
                path_type: Some(PathType::from(path_type)),
                backend: backend(to),
            }],
        }),
    });
}

/// Builder-style [`add_path`].
pub fn with_path(mut i: Ingress, host: &str, path_type: &str, path: &str, to: &str) -> Ingress {
    add_path(&mut i, host, path_type, path, to);
    i
}

/// Sets `spec.defaultBackend`.
pub fn with_default(mut i: Ingress, to: &str) -> Ingress {
    i.spec.default_backend = Some(backend(to));
    i
}

/// Appends a `spec.tls` entry.
pub fn with_tls(mut i: Ingress, hosts: &[&str], secret: Option<&str>) -> Ingress {
    i.spec.tls.push(IngressTls {
        hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        secret_name: secret.map(str::to_owned),
    });
    i
}
