//! The `route` output: the JSON contract (one object per request) and the human line.
//!
//! The JSON shape is a public contract that scripts rely on; `tests/ingress_route.rs` checks it
//! field by field. Add fields if needed; never rename or remove one.

use ingress_model::{IngressBackend, ServiceBackendPort};
use ingress_router::{Certificate, Decision};
use serde_json::{Value, json};

use crate::requests::RequestSpec;

/// `route`, `default-backend` or `not-found` (the `spec` profile never redirects).
fn outcome(decision: &Decision<'_, IngressBackend>) -> &'static str {
    match decision {
        Decision::Route(_) => "route",
        Decision::DefaultBackend(_) => "default-backend",
        Decision::NotFound => "not-found",
    }
}

/// One JSON object for one request (see the module docs).
pub(crate) fn route_json(
    req: &RequestSpec,
    decision: &Decision<'_, IngressBackend>,
    tls: Option<&Certificate<'_>>,
) -> Value {
    let (backend, ingress, host, path, path_type) = match decision {
        Decision::Route(m) => (
            json!(m.backend),
            json!(m.source.as_str()),
            json!(m.rule.host()),
            json!(m.rule.path()),
            json!(m.rule.path_type().as_str()),
        ),
        Decision::DefaultBackend(d) => (
            json!(d.backend),
            json!(d.source.as_str()),
            Value::Null,
            Value::Null,
            Value::Null,
        ),
        Decision::NotFound => (
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ),
    };
    json!({
        "request": req.given,
        "outcome": outcome(decision),
        "backend": backend,
        "ingress": ingress,
        "host": host,
        "path": path,
        "pathType": path_type,
        "tls": tls.map(|c| json!({ "secretName": c.secret_name })),
        "redirect": Value::Null,
        "rewrite": Value::Null,
    })
}

/// `Service echo-v1 port 3000`, `Service web port "http"`, `resource k8s.example.com/Bucket/b`.
pub(crate) fn describe_backend(b: &IngressBackend) -> String {
    match (&b.service, &b.resource) {
        (Some(s), _) => match &s.port {
            Some(ServiceBackendPort {
                number: Some(n), ..
            }) if *n != 0 => format!("Service {} port {n}", s.name),
            Some(ServiceBackendPort { name: Some(n), .. }) => {
                format!("Service {} port {n:?}", s.name)
            }
            _ => format!("Service {}", s.name),
        },
        (None, Some(r)) => format!(
            "resource {}/{}/{}",
            r.api_group.as_deref().unwrap_or(""),
            r.kind,
            r.name
        ),
        (None, None) => "no backend".to_owned(),
    }
}

/// What the human output calls the request: its URL, or `host` + `path`.
fn request_label(req: &RequestSpec) -> String {
    match req.given.get("url").and_then(Value::as_str) {
        Some(url) => url.to_owned(),
        None => format!(
            "{}://{}{}",
            req.scheme,
            req.host.as_deref().unwrap_or("<no Host>"),
            req.path
        ),
    }
}

/// One human-readable line for one request.
pub(crate) fn route_line(
    req: &RequestSpec,
    decision: &Decision<'_, IngressBackend>,
    tls: Option<&Certificate<'_>>,
) -> String {
    let mut line = format!("{} -> ", request_label(req));
    match decision {
        Decision::Route(m) => line.push_str(&format!(
            "{} (Ingress {}, host {}, {} {})",
            describe_backend(m.backend),
            m.source,
            m.rule.host().unwrap_or("*"),
            m.rule.path_type(),
            m.rule.path()
        )),
        Decision::DefaultBackend(d) => line.push_str(&format!(
            "{} (default backend of Ingress {})",
            describe_backend(d.backend),
            d.source
        )),
        Decision::NotFound => line.push_str("not found (404)"),
    }
    if let Some(c) = tls {
        match c.secret_name {
            Some(secret) => line.push_str(&format!(
                "; TLS secret {}/{secret} (Ingress {})",
                c.namespace(),
                c.source
            )),
            None => line.push_str(&format!(
                "; TLS with the controller's default certificate (Ingress {})",
                c.source
            )),
        }
    }
    line
}
