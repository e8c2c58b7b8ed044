//! The `route` output: the JSON contract (one object per request) and the human line.
//!
//! The JSON shape is a public contract that scripts rely on; `tests/ingress_route.rs` checks it
//! field by field. Add fields if needed; never rename or remove one.

use ingress_model::{IngressBackend, IngressKey, ServiceBackendPort};
use ingress_router::nginx::{Canary, CanaryVerdict};
use ingress_router::{Certificate, Decision, RequestView};
use serde_json::{Value, json};

use crate::requests::RequestSpec;

/// Everything `route` says of one request: the table's decision and, under the ingress-nginx
/// profile, its redirect, rewrite and canary worked out for this request.
pub(crate) struct Answer<'t> {
    pub(crate) decision: Decision<'t, IngressBackend>,
    /// The canary attached to the decision's backend, and whether it takes this request.
    pub(crate) canary: Option<(Canary<'t, IngressBackend>, CanaryVerdict)>,
    /// The `Location` of a redirect.
    pub(crate) location: Option<String>,
    /// The request target the upstream gets, when a rewrite changes it.
    pub(crate) rewrite: Option<String>,
}

impl<'t> Answer<'t> {
    /// Works out the request-dependent parts of `decision`.
    pub(crate) fn new(
        decision: Decision<'t, IngressBackend>,
        view: &RequestView<'_>,
        req: &RequestSpec,
    ) -> Self {
        Answer {
            canary: decision.canary().map(|c| (c, c.decide(req))),
            location: decision.redirect().map(|r| r.location(view)),
            rewrite: decision.rewrite().map(|r| r.upstream_target(view)),
            decision,
        }
    }

    /// The backend that serves: the canary's when it takes the request.
    pub(crate) fn backend(&self) -> Option<&'t IngressBackend> {
        match &self.canary {
            Some((c, v)) if v.canary => Some(c.backend),
            _ => self.decision.backend(),
        }
    }

    /// The Ingress whose backend serves (or that redirects).
    pub(crate) fn ingress(&self) -> Option<&'t IngressKey> {
        match &self.canary {
            Some((c, v)) if v.canary => Some(c.source),
            _ => self.decision.source(),
        }
    }

    /// `route`, `default-backend`, `redirect` or `not-found`.
    pub(crate) fn outcome(&self) -> &'static str {
        match self.decision {
            Decision::Route(_) => "route",
            Decision::DefaultBackend(_) => "default-backend",
            Decision::Redirect(_) => "redirect",
            _ => "not-found",
        }
    }
}

/// One JSON object for one request (see the module docs).
pub(crate) fn route_json(
    req: &RequestSpec,
    answer: &Answer<'_>,
    tls: Option<&Certificate<'_>>,
) -> Value {
    let rule = answer.decision.rule();
    json!({
        "request": req.given,
        "outcome": answer.outcome(),
        "backend": answer.backend(),
        "ingress": answer.ingress().map(IngressKey::as_str),
        "host": rule.and_then(|r| r.host()),
        "path": rule.map(|r| r.path()),
        "pathType": rule.map(|r| r.path_type().as_str()),
        "tls": tls.map(|c| json!({ "secretName": c.secret_name })),
        "redirect": answer.decision.redirect().map(|r| json!({
            "status": r.status,
            "location": answer.location,
            "reason": r.kind.to_string(),
        })),
        "rewrite": answer.rewrite,
        "canary": answer.canary.as_ref().map(|(c, v)| json!({
            "ingress": c.source.as_str(),
            "backend": c.backend,
            "taken": v.canary,
            "reason": v.reason.to_string(),
        })),
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
pub(crate) fn request_label(req: &RequestSpec) -> String {
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
    answer: &Answer<'_>,
    tls: Option<&Certificate<'_>>,
) -> String {
    let mut line = format!("{} -> ", request_label(req));
    match &answer.decision {
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
        Decision::Redirect(r) => {
            line.push_str(&format!(
                "{} redirect to {} ({}",
                r.status,
                answer.location.as_deref().unwrap_or(""),
                r.kind
            ));
            if let Some(source) = r.source {
                line.push_str(&format!(", Ingress {source}"));
            }
            line.push(')');
        }
        _ => line.push_str("not found (404)"),
    }
    if let Some(target) = &answer.rewrite {
        line.push_str(&format!("; the upstream gets {target}"));
    }
    if let Some((c, verdict)) = &answer.canary {
        let what = if verdict.canary {
            "takes it instead"
        } else {
            "does not take it"
        };
        line.push_str(&format!(
            "; canary {} of Ingress {} {what}: {}",
            describe_backend(c.backend),
            c.source,
            verdict.reason
        ));
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
