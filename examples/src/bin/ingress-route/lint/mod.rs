//! `lint`: validation errors and warnings, and the mistakes the API server does not catch;
//! with `--profile ingress-nginx`, what ingress-nginx refuses or reads otherwise too
//! ([`nginx`]).

mod nginx;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ingress_model::validation::{ValidationOptions, validate_ingress, validate_ingress_class};
use ingress_model::{Ingress, IngressBackend, IngressKey, Loaded, Manifests, Origin, Service};
use ingress_router::{Config, DiagnosticKind, Profile, RouteTable};
use serde::Serialize;

/// How bad a finding is. Errors make `lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Error,
    Warning,
}

/// One finding, in the JSON contract's shape.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Finding {
    pub(crate) severity: Severity,
    /// A stable rule id (`invalid`, `duplicate-path`, `removed-api-version`, ...): the SARIF
    /// `ruleId`, and what scripts filter on.
    pub(crate) rule: &'static str,
    /// `Ingress namespace/name` or `IngressClass name`.
    pub(crate) object: String,
    pub(crate) file: String,
    /// 1-based line in `file`: where the parser stopped for a document that could not be
    /// loaded, else the line the object's document starts on (the loader knows where
    /// documents start, not where each field of a loaded object is).
    pub(crate) line: Option<usize>,
    /// 1-based column, where the parser reports one (documents that could not be loaded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) column: Option<usize>,
    /// API-server field path, `null` for findings about the whole object.
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

/// Every rule id `lint` reports, with what it means: the SARIF `tool.driver.rules`.
pub(crate) const RULES: &[(&str, &str)] = &[
    (
        "unreadable",
        "A file or document that cannot be read or parsed",
    ),
    ("invalid", "The API server would reject this field"),
    (
        "validation-warning",
        "The API server would accept the object with this warning",
    ),
    (
        "removed-api-version",
        "A beta API version no cluster serves since Kubernetes 1.22",
    ),
    (
        "missing-service",
        "A backend names a Service the manifests do not have",
    ),
    (
        "missing-service-port",
        "A backend names a port its Service does not have",
    ),
    (
        "tls-host-without-rule",
        "A TLS host that no rule of the same Ingress serves",
    ),
    (
        "replaced",
        "The same namespace/name was given again; the later object replaced the earlier",
    ),
    ("backend-refused", "A backend the table cannot serve"),
    (
        "invalid-pattern",
        "A path the API server accepts but the table cannot match",
    ),
    (
        "duplicate-path",
        "A path that a rule taking precedence already has: it never matches",
    ),
    (
        "unreachable-path",
        "A path that a higher-ranked path always wins over",
    ),
    (
        "host-in-several-namespaces",
        "Ingresses in several namespaces share a host",
    ),
    (
        "host-owned-by-another-namespace",
        "Another namespace owns this host",
    ),
    (
        "duplicate-location",
        "ingress-nginx renders two paths as the same nginx location: nginx refuses the configuration",
    ),
    (
        "nginx-refused",
        "ingress-nginx does not serve this Ingress (a Critical annotation, or deep inspection)",
    ),
    (
        "annotation-ignored",
        "ingress-nginx ignores this annotation value",
    ),
    (
        "canary-unused",
        "A canary path or default backend that attaches to no primary",
    ),
    (
        "nginx-invalid-path",
        "ingress-nginx's admission webhook refuses this path for its pathType",
    ),
    (
        "nginx-overlap",
        "ingress-nginx's admission webhook refuses a host and path another Ingress already has",
    ),
];

/// The documents that could not be loaded, for the reports that must carry them (SARIF,
/// JUnit): the parser's line and column where it has them.
pub(crate) fn load_error_findings(m: &Manifests) -> Vec<Finding> {
    m.errors
        .iter()
        .map(|e| Finding {
            severity: Severity::Error,
            rule: "unreadable",
            object: match (e.origin.document, e.origin.item) {
                (0, _) => "file".to_owned(),
                (d, None) => format!("document {d}"),
                (d, Some(i)) => format!("document {d}, items[{i}]"),
            },
            file: e.origin.file.clone(),
            line: Some(e.position.map_or(e.origin.line, |(line, _)| line)),
            column: e.position.map(|(_, column)| column),
            field: e.field.clone().filter(|f| !f.is_empty() && f != "."),
            message: e.kind.to_string(),
        })
        .collect()
}

/// The beta objects the loader converted: `lint` errors, since no cluster accepts them.
pub(crate) fn removed_version_findings(m: &Manifests) -> Vec<Finding> {
    // Converted objects are also loaded, at the same origin: name them from one map.
    let names: HashMap<&Origin, String> = m
        .ingresses
        .iter()
        .map(|l| (&l.origin, ingress_object(&l.object)))
        .chain(m.ingress_classes.iter().map(|l| {
            (
                &l.origin,
                format!("IngressClass {}", l.object.metadata.name()),
            )
        }))
        .collect();
    m.converted
        .iter()
        .map(|c| Finding {
            severity: Severity::Error,
            rule: "removed-api-version",
            object: names
                .get(&c.origin)
                .cloned()
                .unwrap_or_else(|| c.kind.to_owned()),
            file: c.origin.file.clone(),
            line: Some(c.origin.line),
            column: None,
            field: Some("apiVersion".to_owned()),
            message: c.message(),
        })
        .collect()
}

fn ingress_object(ing: &Ingress) -> String {
    format!("Ingress {}", ing.key())
}

/// API-server validation of every Ingress and IngressClass.
pub(crate) fn validation_findings(m: &Manifests, options: &ValidationOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    for Loaded { object, origin } in &m.ingresses {
        let v = validate_ingress(object, options);
        push_validation(&mut out, ingress_object(object), origin, v);
    }
    for Loaded { object, origin } in &m.ingress_classes {
        let v = validate_ingress_class(object);
        let name = format!("IngressClass {}", object.metadata.name());
        push_validation(&mut out, name, origin, v);
    }
    out
}

fn push_validation(
    out: &mut Vec<Finding>,
    object: String,
    origin: &Origin,
    v: ingress_model::validation::Validation,
) {
    for e in v.errors {
        out.push(Finding {
            severity: Severity::Error,
            rule: "invalid",
            object: object.clone(),
            file: origin.file.clone(),
            line: Some(origin.line),
            column: None,
            field: Some(e.field.clone()),
            message: e.body(),
        });
    }
    for w in v.warnings {
        out.push(Finding {
            severity: Severity::Warning,
            rule: "validation-warning",
            object: object.clone(),
            file: origin.file.clone(),
            line: Some(origin.line),
            column: None,
            field: None,
            message: w,
        });
    }
}

/// Every backend of an Ingress with its field path.
fn backends(ing: &Ingress) -> Vec<(String, &IngressBackend)> {
    let mut out = Vec::new();
    if let Some(b) = &ing.spec.default_backend {
        out.push(("spec.defaultBackend".to_owned(), b));
    }
    for (i, rule) in ing.spec.rules.iter().enumerate() {
        for (j, p) in rule.http.iter().flat_map(|h| h.paths.iter()).enumerate() {
            out.push((
                format!("spec.rules[{i}].http.paths[{j}].backend"),
                &p.backend,
            ));
        }
    }
    out
}

/// Backends that point at a Service (or a Service port) that the given manifests do not have.
/// Only meaningful when the manifests contain Services at all: with none, the Services are
/// assumed to live elsewhere.
pub(crate) fn service_findings(m: &Manifests) -> Vec<Finding> {
    let mut out = Vec::new();
    if m.services.is_empty() {
        return out;
    }
    let services: BTreeMap<(&str, &str), &Service> = m
        .services
        .iter()
        .map(|s| {
            (
                (s.object.metadata.namespace(), s.object.metadata.name()),
                &s.object,
            )
        })
        .collect();
    for Loaded {
        object: ing,
        origin,
    } in &m.ingresses
    {
        let ns = ing.metadata.namespace();
        for (field, backend) in backends(ing) {
            let Some(svc_ref) = &backend.service else {
                continue;
            };
            let warn = |rule, field: String, message: String| Finding {
                severity: Severity::Warning,
                rule,
                object: ingress_object(ing),
                file: origin.file.clone(),
                line: Some(origin.line),
                column: None,
                field: Some(field),
                message,
            };
            let Some(svc) = services.get(&(ns, svc_ref.name.as_str())) else {
                out.push(warn(
                    "missing-service",
                    format!("{field}.service.name"),
                    format!(
                        "Service {:?} is not among the given manifests (namespace {ns:?})",
                        svc_ref.name
                    ),
                ));
                continue;
            };
            let Some(port) = &svc_ref.port else { continue };
            if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
                if svc.port_named(name).is_none() {
                    out.push(warn(
                        "missing-service-port",
                        format!("{field}.service.port.name"),
                        format!("Service {ns}/{} has no port named {name:?}", svc_ref.name),
                    ));
                }
            } else if let Some(number) = port.number.filter(|n| *n != 0)
                && svc.port_numbered(number).is_none()
            {
                out.push(warn(
                    "missing-service-port",
                    format!("{field}.service.port.number"),
                    format!("Service {ns}/{} has no port {number}", svc_ref.name),
                ));
            }
        }
    }
    out
}

/// TLS hosts that no rule of the same Ingress serves: the Kubernetes docs require `tls[].hosts`
/// to match `rules[].host` explicitly. A wildcard TLS host counts as matched when it covers a
/// rule host (`*.example.com` covers `a.example.com`).
pub(crate) fn tls_findings(m: &Manifests) -> Vec<Finding> {
    let mut out = Vec::new();
    for Loaded {
        object: ing,
        origin,
    } in &m.ingresses
    {
        let rule_hosts: BTreeSet<&str> = ing.spec.rules.iter().filter_map(|r| r.host()).collect();
        for (i, tls) in ing.spec.tls.iter().enumerate() {
            for (j, host) in tls.hosts.iter().enumerate() {
                let covered = rule_hosts.iter().any(|r| {
                    *r == host
                        || host.strip_prefix("*.").is_some_and(|suffix| {
                            r.split_once('.').is_some_and(|(label, rest)| {
                                !label.is_empty() && label != "*" && rest == suffix
                            })
                        })
                });
                if !covered {
                    out.push(Finding {
                        severity: Severity::Warning,
                        rule: "tls-host-without-rule",
                        object: ingress_object(ing),
                        file: origin.file.clone(),
                        line: Some(origin.line),
            column: None,
                        field: Some(format!("spec.tls[{i}].hosts[{j}]")),
                        message: format!(
                            "TLS host {host:?} matches no rule host of this Ingress: requests for it are not routed by this Ingress"
                        ),
                    });
                }
            }
        }
    }
    out
}

/// What the router notices beyond validation: duplicate and unreachable paths, hosts shared by
/// namespaces, unsupported backends. Validation findings are not repeated (the router runs the
/// same validation).
pub(crate) fn router_findings(m: &Manifests, config: &Config) -> Vec<Finding> {
    let origins: BTreeMap<IngressKey, &Origin> = m
        .ingresses
        .iter()
        .rev() // the first file that defines a key wins the map
        .map(|l| (l.object.key(), &l.origin))
        .collect();
    let built = RouteTable::builder()
        .config(config.clone())
        .add_all(m.ingresses.iter().map(|l| &l.object))
        .build();
    let nginx = config.profile == Profile::IngressNginx;
    built
        .diagnostics
        .into_iter()
        .filter(|d| {
            !matches!(
                d.kind,
                DiagnosticKind::Invalid(_)
                    | DiagnosticKind::ValidationWarning(_)
                    | DiagnosticKind::NotServed(_)
            )
        })
        .map(|d| Finding {
            // Under ingress-nginx, what nginx refuses or the controller does not serve is an
            // error; the rest (and everything under the spec profile) is a warning.
            severity: if nginx
                && matches!(
                    d.kind,
                    DiagnosticKind::DuplicateLocation { .. }
                        | DiagnosticKind::NginxRefused(_)
                        | DiagnosticKind::InvalidPattern(_)
                ) {
                Severity::Error
            } else {
                Severity::Warning
            },
            rule: d.kind.code(),
            object: format!("Ingress {}", d.source),
            file: origins
                .get(&d.source)
                .map(|o| o.file.clone())
                .unwrap_or_default(),
            line: origins.get(&d.source).map(|o| o.line),
            column: None,
            field: Some(d.field.clone()).filter(|f| !f.is_empty()),
            message: d.kind.to_string(),
        })
        .collect()
}

/// Every finding, grouped by file and object (stable: input order inside an object).
pub(crate) fn findings(
    m: &Manifests,
    options: &ValidationOptions,
    config: &Config,
) -> Vec<Finding> {
    let mut all = removed_version_findings(m);
    all.extend(validation_findings(m, options));
    all.extend(service_findings(m));
    all.extend(tls_findings(m));
    all.extend(router_findings(m, config));
    if config.profile == Profile::IngressNginx {
        all.extend(nginx::findings(m, config));
    }
    all.sort_by(|a, b| (&a.file, a.line, &a.object).cmp(&(&b.file, b.line, &b.object)));
    all
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}: {}: {}: ", self.file, self.object)?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}
