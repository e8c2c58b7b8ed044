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
//! The conversion works on the document's tree ([`to_v1`]), before it is typed: every field it
//! does not rename (labels, annotations, unknown fields) stays as written and in its place, so
//! the loader and [`rewrite`] (the `ingress-route convert` command) share it. A type error in a
//! converted document is reported at its v1 field path (`spec.defaultBackend...` for what was
//! written `spec.backend...`), without a line number.
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

use serde_json::{Map, Value};

pub mod rewrite;

/// The removed versions of Ingress, converted by [`to_v1`].
pub const INGRESS_VERSIONS: [&str; 2] = ["extensions/v1beta1", "networking.k8s.io/v1beta1"];
/// The removed version of IngressClass, converted by [`to_v1`].
pub const INGRESS_CLASS_VERSION: &str = "networking.k8s.io/v1beta1";

/// What [`to_v1`] converted: the kind and the `apiVersion` it was written in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    /// `Ingress` or `IngressClass`.
    pub kind: &'static str,
    /// The `apiVersion` it was written in, e.g. `extensions/v1beta1`.
    pub from: String,
}

/// The removed version `document` is written in, if it is a beta Ingress or IngressClass.
pub fn removed_version(document: &Value) -> Option<Removed> {
    let version = document.get("apiVersion")?.as_str()?;
    let kind = match document.get("kind")?.as_str()? {
        "Ingress" if INGRESS_VERSIONS.contains(&version) => "Ingress",
        "IngressClass" if version == INGRESS_CLASS_VERSION => "IngressClass",
        _ => return None,
    };
    Some(Removed {
        kind,
        from: version.to_owned(),
    })
}

/// Converts a beta Ingress or IngressClass document to `networking.k8s.io/v1` in place, as the
/// API server did, and says what it was; any other document is left alone (`None`).
///
/// Shapes the conversion does not expect (`spec: 5`, a backend that is a string) are left as
/// they are, for typing to report with their field path.
pub fn to_v1(document: &mut Value) -> Option<Removed> {
    let removed = removed_version(document)?;
    let Value::Object(object) = document else {
        return None;
    };
    object.insert(
        "apiVersion".to_owned(),
        Value::String(crate::ingress::NETWORKING_V1.to_owned()),
    );
    if removed.kind == "Ingress"
        && let Some(Value::Object(spec)) = object.get_mut("spec")
    {
        convert_spec(spec);
    }
    Some(removed)
}

/// `spec.backend` becomes `spec.defaultBackend`, in its place; every backend is converted.
fn convert_spec(spec: &mut Map<String, Value>) {
    let entries = std::mem::take(spec);
    *spec = entries
        .into_iter()
        .map(|(key, mut value)| {
            if key == "backend" {
                convert_backend(&mut value);
                ("defaultBackend".to_owned(), value)
            } else {
                (key, value)
            }
        })
        .collect();
    let Some(Value::Array(rules)) = spec.get_mut("rules") else {
        return;
    };
    for rule in rules {
        let Some(Value::Array(paths)) = rule.pointer_mut("/http/paths") else {
            continue;
        };
        for path in paths {
            if let Value::Object(path) = path {
                convert_path(path);
            }
        }
    }
}

/// A missing (or null) `pathType` is `ImplementationSpecific`, placed after `path`.
fn convert_path(path: &mut Map<String, Value>) {
    if let Some(backend) = path.get_mut("backend") {
        convert_backend(backend);
    }
    if path.get("pathType").is_some_and(|t| !t.is_null()) {
        return;
    }
    let implementation_specific = || Value::String("ImplementationSpecific".to_owned());
    let entries = std::mem::take(path);
    let had_path = entries.contains_key("path");
    for (key, value) in entries {
        match key.as_str() {
            "pathType" => {}
            "path" => {
                path.insert(key, value);
                path.insert("pathType".to_owned(), implementation_specific());
            }
            _ => {
                path.insert(key, value);
            }
        }
    }
    if !had_path {
        path.insert("pathType".to_owned(), implementation_specific());
    }
}

/// `serviceName` / `servicePort` become `service: {name, port: {number | name}}`, in the place
/// of the first of them. As the API server's conversion: a `service` when the name is not
/// empty, or the port is a non-zero number or a string (even empty); a null is absent.
fn convert_backend(backend: &mut Value) {
    let Value::Object(fields) = backend else {
        return;
    };
    let name = fields.get("serviceName").filter(|v| !v.is_null()).cloned();
    let port = match fields.get("servicePort") {
        Some(Value::Number(n)) if n.as_i64() == Some(0) => None,
        Some(Value::Number(n)) => Some(("number", Value::Number(n.clone()))),
        Some(Value::String(s)) => Some(("name", Value::String(s.clone()))),
        // Neither a number nor a string: kept as the number, for typing to refuse.
        Some(Value::Null) | None => None,
        Some(other) => Some(("number", other.clone())),
    };
    let named = name.as_ref().is_some_and(|n| n.as_str() != Some(""));
    let service = (named || port.is_some()).then(|| {
        let mut service = Map::new();
        service.insert(
            "name".to_owned(),
            name.unwrap_or_else(|| Value::String(String::new())),
        );
        let mut port_fields = Map::new();
        if let Some((key, value)) = port {
            port_fields.insert(key.to_owned(), value);
        }
        service.insert("port".to_owned(), Value::Object(port_fields));
        Value::Object(service)
    });
    let entries = std::mem::take(fields);
    let mut service = service;
    for (key, value) in entries {
        match key.as_str() {
            "serviceName" | "servicePort" => {
                if let Some(service) = service.take() {
                    fields.insert("service".to_owned(), service);
                }
            }
            _ => {
                fields.insert(key, value);
            }
        }
    }
}
