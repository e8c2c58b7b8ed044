//! Ingress checks: `ValidateIngressCreate`, `ValidateIngressUpdate` and what they call
//! (`kubernetes/kubernetes` `pkg/apis/networking/validation/validation.go`), plus the create
//! warning of `pkg/registry/networking/ingress/strategy.go`.
//!
//! Each function below names the Go function it follows. Where our types differ from the
//! API's internal ones, the difference is noted: an absent `host`, `path` or `secretName` is
//! the empty string, an absent `port` is `{name: "", number: 0}`.

use super::field::Path;
use super::meta::{
    dedupe, validate_common_update, validate_object_meta, validate_object_meta_update,
};
use super::names;
use super::{FieldError, Validation, ValidationOptions};
use crate::ingress::{
    CLASS_ANNOTATION, HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressSpec, PathType, TypedLocalObjectReference,
};

/// `supportedPathTypes.List()`: sorted, as the API server lists them.
const SUPPORTED_PATH_TYPES: [&str; 3] = ["Exact", "ImplementationSpecific", "Prefix"];
/// `invalidPathSequences`, reported in this order, one error per sequence found.
const INVALID_PATH_SEQUENCES: [&str; 5] = ["//", "/./", "/../", "%2f", "%2F"];
/// `invalidPathSuffixes`, in this order (a path can end with at most one of them).
const INVALID_PATH_SUFFIXES: [&str; 2] = ["/..", "/."];

/// The create warning for the deprecated class annotation (`WarningsOnCreate`).
pub(crate) fn class_annotation_warning() -> String {
    format!(
        "annotation \"{CLASS_ANNOTATION}\" is deprecated, please use 'spec.ingressClassName' instead"
    )
}

/// `IngressValidationOptions`: the relaxations an update earns from the old object.
#[derive(Clone, Copy, Debug, Default)]
struct Options {
    /// `AllowInvalidSecretName`.
    allow_invalid_secret_name: bool,
    /// `AllowInvalidWildcardHostRule`.
    allow_invalid_wildcard_host_rule: bool,
    /// `AllowRelaxedServiceNameValidation`.
    allow_relaxed_service_name: bool,
}

/// `ValidateIngressCreate`, then `WarningsOnCreate`.
pub(crate) fn validate_create(ingress: &Ingress, options: &ValidationOptions) -> Validation {
    let opts = Options {
        allow_invalid_secret_name: false,
        allow_invalid_wildcard_host_rule: false,
        allow_relaxed_service_name: allow_relaxed_service_name(None, options),
    };
    let mut errors = Vec::new();
    validate_ingress(ingress, opts, &mut errors);

    // The field/annotation mismatch is checked on create only. The field path is
    // `annotations.<key>` (no `metadata.` prefix): field.NewPath("annotations").Child(...).
    if let (Some(annotation), Some(class)) = (
        ingress.metadata.annotation(CLASS_ANNOTATION),
        ingress.spec.ingress_class_name.as_deref(),
    ) && annotation != class
    {
        errors.push(FieldError::invalid(
            Path::new("annotations").child(CLASS_ANNOTATION).to_string(),
            annotation,
            "must match `ingressClassName` when both are specified",
        ));
    }

    // BeforeCreate (k8s.io/apiserver/pkg/registry/rest/create.go) returns the errors before it
    // asks the strategy for warnings: a rejected object gets no warnings.
    let mut warnings = Vec::new();
    if errors.is_empty()
        && ingress.metadata.annotation(CLASS_ANNOTATION).is_some()
        && ingress.spec.ingress_class_name.is_none()
    {
        warnings.push(class_annotation_warning());
    }
    Validation { errors, warnings }
}

/// `rest.ValidateUpdate` for Ingress: the common metadata checks, then `ValidateIngressUpdate`.
/// `WarningsOnUpdate` says nothing for Ingress.
pub(crate) fn validate_update(
    old: &Ingress,
    new: &Ingress,
    options: &ValidationOptions,
) -> Validation {
    let mut errors = Vec::new();
    validate_common_update(&new.metadata, &old.metadata, true, &mut errors);
    validate_object_meta_update(&new.metadata, &old.metadata, &mut errors);
    let opts = Options {
        allow_invalid_secret_name: allow_invalid_secret_name(old),
        allow_invalid_wildcard_host_rule: allow_invalid_wildcard_host_rule(old),
        allow_relaxed_service_name: allow_relaxed_service_name(Some(old), options),
    };
    validate_ingress(new, opts, &mut errors);
    Validation {
        errors: dedupe(errors),
        warnings: Vec::new(),
    }
}

/// `validateIngress`: metadata (name is a DNS-1123 subdomain, `ValidateIngressName`), then
/// the spec.
fn validate_ingress(ingress: &Ingress, opts: Options, errs: &mut Vec<FieldError>) {
    validate_object_meta(&ingress.metadata, true, names::is_dns1123_subdomain, errs);
    validate_spec(&ingress.spec, &Path::new("spec"), opts, errs);
}

/// `ValidateIngressSpec`: rules or defaultBackend, then defaultBackend, rules, TLS and
/// ingressClassName, in that order.
fn validate_spec(spec: &IngressSpec, path: &Path, opts: Options, errs: &mut Vec<FieldError>) {
    if spec.rules.is_empty() && spec.default_backend.is_none() {
        // The bad value is the (nil) rules list, which the API server JSON-encodes as `null`.
        errs.push(FieldError::invalid_rendered(
            path.to_string(),
            "null",
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(backend) = &spec.default_backend {
        validate_backend(backend, &path.child("defaultBackend"), opts, errs);
    }
    validate_rules(&spec.rules, &path.child("rules"), opts, errs);
    validate_tls(spec, &path.child("tls"), opts, errs);
    if let Some(class) = &spec.ingress_class_name {
        // ValidateIngressClassName = NameIsDNSSubdomain.
        for msg in names::is_dns1123_subdomain(class) {
            errs.push(FieldError::invalid(
                path.child("ingressClassName").to_string(),
                class,
                msg,
            ));
        }
    }
}

/// `validateIngressTLS`: hosts (wildcard form when they contain `*`, else DNS-1123
/// subdomains; IP literals are *not* rejected here, unlike rule hosts) and secret names.
fn validate_tls(spec: &IngressSpec, path: &Path, opts: Options, errs: &mut Vec<FieldError>) {
    for (i, tls) in spec.tls.iter().enumerate() {
        let tls_path = path.index(i);
        for (j, host) in tls.hosts.iter().enumerate() {
            let msgs = if host.contains('*') {
                names::is_wildcard_dns1123_subdomain(host)
            } else {
                names::is_dns1123_subdomain(host)
            };
            for msg in msgs {
                errs.push(FieldError::invalid(
                    tls_path.child("hosts").index(j).to_string(),
                    host,
                    msg,
                ));
            }
        }
        if !opts.allow_invalid_secret_name {
            let secret = tls.secret_name.as_deref().unwrap_or("");
            for msg in tls_secret_name_errors(secret) {
                errs.push(FieldError::invalid(
                    tls_path.child("secretName").to_string(),
                    secret,
                    msg,
                ));
            }
        }
    }
}

/// `validateTLSSecretName`: empty is allowed (the controller's default certificate);
/// otherwise `ValidateSecretName` = `NameIsDNSSubdomain`.
fn tls_secret_name_errors(name: &str) -> Vec<String> {
    if name.is_empty() {
        Vec::new()
    } else {
        names::is_dns1123_subdomain(name)
    }
}

/// `validateIngressRules`: each host, then (unless relaxed for wildcard hosts on update) the
/// rule's paths.
fn validate_rules(rules: &[IngressRule], path: &Path, opts: Options, errs: &mut Vec<FieldError>) {
    for (i, rule) in rules.iter().enumerate() {
        let rule_path = path.index(i);
        let host = rule.host.as_deref().unwrap_or("");
        let mut wildcard = false;
        if !host.is_empty() {
            let host_path = rule_path.child("host");
            if names::parse_ip_sloppy(host).is_some() {
                errs.push(FieldError::invalid(
                    host_path.to_string(),
                    host,
                    "must be a DNS name, not an IP address",
                ));
            }
            if host.contains('*') {
                for msg in names::is_wildcard_dns1123_subdomain(host) {
                    errs.push(FieldError::invalid(host_path.to_string(), host, msg));
                }
                wildcard = true;
            } else {
                for msg in names::is_dns1123_subdomain(host) {
                    errs.push(FieldError::invalid(host_path.to_string(), host, msg));
                }
            }
        }
        if !wildcard || !opts.allow_invalid_wildcard_host_rule {
            validate_rule_value(rule.http.as_ref(), &rule_path, opts, errs);
        }
    }
}

/// `validateIngressRuleValue` and `validateHTTPIngressRuleValue`: a rule without `http` is
/// fine; with `http`, it needs at least one path.
fn validate_rule_value(
    http: Option<&HttpIngressRuleValue>,
    path: &Path,
    opts: Options,
    errs: &mut Vec<FieldError>,
) {
    let Some(http) = http else { return };
    let http_path = path.child("http");
    if http.paths.is_empty() {
        errs.push(FieldError::required(
            http_path.child("paths").to_string(),
            "",
        ));
    }
    for (i, p) in http.paths.iter().enumerate() {
        validate_http_path(p, &http_path.child("paths").index(i), opts, errs);
    }
}

/// `validateHTTPIngressPath`: pathType required (and nothing else checked without it), the
/// path rules of each type, then the backend.
fn validate_http_path(p: &HttpIngressPath, path: &Path, opts: Options, errs: &mut Vec<FieldError>) {
    let Some(path_type) = &p.path_type else {
        errs.push(FieldError::required(
            path.child("pathType").to_string(),
            "pathType must be specified",
        ));
        return;
    };
    let value = p.path();
    let value_path = path.child("path");
    match path_type {
        PathType::Exact | PathType::Prefix => {
            if !value.starts_with('/') {
                errs.push(FieldError::invalid(
                    value_path.to_string(),
                    value,
                    "must be an absolute path",
                ));
            }
            if !value.is_empty() {
                for seq in INVALID_PATH_SEQUENCES {
                    if value.contains(seq) {
                        errs.push(FieldError::invalid(
                            value_path.to_string(),
                            value,
                            format!("must not contain '{seq}'"),
                        ));
                    }
                }
                for suffix in INVALID_PATH_SUFFIXES {
                    if value.ends_with(suffix) {
                        errs.push(FieldError::invalid(
                            value_path.to_string(),
                            value,
                            format!("cannot end with '{suffix}'"),
                        ));
                    }
                }
            }
        }
        PathType::ImplementationSpecific => {
            if !value.is_empty() && !value.starts_with('/') {
                errs.push(FieldError::invalid(
                    value_path.to_string(),
                    value,
                    "must be an absolute path",
                ));
            }
        }
        PathType::Unknown(other) => {
            errs.push(FieldError::not_supported(
                path.child("pathType").to_string(),
                other,
                &SUPPORTED_PATH_TYPES,
            ));
        }
    }
    validate_backend(&p.backend, &path.child("backend"), opts, errs);
}

/// `validateIngressBackend`: exactly one of service and resource; for a service, its name
/// (DNS-1035 label, or DNS-1123 label when relaxed) and exactly one of port name and number.
fn validate_backend(
    backend: &IngressBackend,
    path: &Path,
    opts: Options,
    errs: &mut Vec<FieldError>,
) {
    match (&backend.service, &backend.resource) {
        (Some(_), Some(_)) => {
            errs.push(FieldError::invalid(
                path.to_string(),
                "",
                "cannot set both resource and service backends",
            ));
        }
        (None, Some(resource)) => {
            validate_typed_local_object_reference(resource, &path.child("resource"), errs);
        }
        (Some(service), None) => {
            let service_path = path.child("service");
            let name_path = service_path.child("name");
            if service.name.is_empty() {
                errs.push(FieldError::required(name_path.to_string(), ""));
            } else {
                // apivalidation.ValidateServiceName = NameIsDNS1035Label; the relaxed form is
                // NameIsDNSLabel.
                let msgs = if opts.allow_relaxed_service_name {
                    names::is_dns1123_label(&service.name)
                } else {
                    names::is_dns1035_label(&service.name)
                };
                for msg in msgs {
                    errs.push(FieldError::invalid(
                        name_path.to_string(),
                        &service.name,
                        msg,
                    ));
                }
            }
            let port = service.port.as_ref();
            let port_name = port.and_then(|p| p.name.as_deref()).unwrap_or("");
            let port_number = port.and_then(|p| p.number).unwrap_or(0);
            let port_path = service_path.child("port");
            match (!port_name.is_empty(), port_number != 0) {
                (true, true) => errs.push(FieldError::invalid(
                    path.to_string(),
                    "",
                    "cannot set both port name & port number",
                )),
                (true, false) => {
                    for msg in names::is_valid_port_name(port_name) {
                        errs.push(FieldError::invalid(
                            port_path.child("name").to_string(),
                            port_name,
                            msg,
                        ));
                    }
                }
                (false, true) => {
                    for msg in names::is_valid_port_num(i64::from(port_number)) {
                        errs.push(FieldError::invalid_int(
                            port_path.child("number").to_string(),
                            i64::from(port_number),
                            msg,
                        ));
                    }
                }
                (false, false) => errs.push(FieldError::required(
                    path.to_string(),
                    "port name or number is required",
                )),
            }
        }
        (None, None) => {
            errs.push(FieldError::invalid(
                path.to_string(),
                "",
                "resource or service backend is required",
            ));
        }
    }
}

/// `validateIngressTypedLocalObjectReference`: apiGroup (when set, even to `""`) a DNS-1123
/// subdomain; kind and name required and usable as REST path segments.
fn validate_typed_local_object_reference(
    r: &TypedLocalObjectReference,
    path: &Path,
    errs: &mut Vec<FieldError>,
) {
    validate_object_reference(r.api_group.as_deref(), &r.kind, &r.name, path, errs);
}

/// The checks `validateIngressTypedLocalObjectReference` and
/// `validateIngressClassParametersReference` share: `apiGroup` (when set, even to `""`) a
/// DNS-1123 subdomain; `kind` and `name` required and usable as REST path segments.
pub(super) fn validate_object_reference(
    api_group: Option<&str>,
    kind: &str,
    name: &str,
    path: &Path,
    errs: &mut Vec<FieldError>,
) {
    if let Some(group) = api_group {
        for msg in names::is_dns1123_subdomain(group) {
            errs.push(FieldError::invalid(
                path.child("apiGroup").to_string(),
                group,
                msg,
            ));
        }
    }
    for (field, value) in [("kind", kind), ("name", name)] {
        if value.is_empty() {
            errs.push(FieldError::required(path.child(field).to_string(), ""));
        } else {
            for msg in names::is_path_segment_name(value) {
                errs.push(FieldError::invalid(
                    path.child(field).to_string(),
                    value,
                    msg,
                ));
            }
        }
    }
}

// === update relaxations ===

/// `allowInvalidSecretName`: the old object already had a secretName that fails validation.
fn allow_invalid_secret_name(old: &Ingress) -> bool {
    old.spec
        .tls
        .iter()
        .any(|tls| !tls_secret_name_errors(tls.secret_name.as_deref().unwrap_or("")).is_empty())
}

/// `allowInvalidWildcardHostRule`: the old object had a wildcard-host rule whose rule value
/// (paths and backends, checked with no relaxation) was invalid.
fn allow_invalid_wildcard_host_rule(old: &Ingress) -> bool {
    old.spec.rules.iter().any(|rule| {
        if !rule.host.as_deref().unwrap_or("").contains('*') {
            return false;
        }
        let mut errs = Vec::new();
        validate_rule_value(
            rule.http.as_ref(),
            &Path::new(""),
            Options::default(),
            &mut errs,
        );
        !errs.is_empty()
    })
}

/// `allowRelaxedServiceNameValidation`: the `RelaxedServiceNameValidation` feature gate, or
/// (on update) an old object that already used a Service name that is a DNS-1123 label but
/// not a DNS-1035 label, in defaultBackend or any rule path.
fn allow_relaxed_service_name(old: Option<&Ingress>, options: &ValidationOptions) -> bool {
    if options.relaxed_service_name_validation {
        return true;
    }
    let Some(old) = old else { return false };
    let relaxed_only = |backend: &IngressBackend| {
        backend.service.as_ref().is_some_and(|s| {
            names::is_dns1123_label(&s.name).is_empty()
                && !names::is_dns1035_label(&s.name).is_empty()
        })
    };
    old.spec.default_backend.as_ref().is_some_and(relaxed_only)
        || old
            .spec
            .rules
            .iter()
            .filter_map(|r| r.http.as_ref())
            .flat_map(|h| h.paths.iter())
            .any(|p| relaxed_only(&p.backend))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingress::{IngressServiceBackend, IngressTls, ServiceBackendPort};

    fn ingress(rules: Vec<IngressRule>) -> Ingress {
        let mut ing = Ingress::default();
        ing.metadata.name = Some("test".to_owned());
        ing.metadata.namespace = Some("default".to_owned());
        ing.spec.rules = rules;
        ing
    }

    fn rule(host: &str, path_type: Option<&str>, path: &str) -> IngressRule {
        IngressRule {
            host: Some(host.to_owned()),
            http: Some(HttpIngressRuleValue {
                paths: vec![HttpIngressPath {
                    path: Some(path.to_owned()),
                    path_type: path_type.map(PathType::from),
                    backend: IngressBackend::service("svc", 80),
                }],
            }),
        }
    }

    fn shown(v: &Validation) -> Vec<String> {
        v.errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn valid_ingress_has_no_errors() {
        let v = validate_create(
            &ingress(vec![rule("foo.com", Some("Prefix"), "/")]),
            &ValidationOptions::default(),
        );
        assert!(v.is_valid(), "{v:?}");
        assert!(v.warnings.is_empty());
    }

    #[test]
    fn every_bad_sequence_is_reported() {
        let v = validate_create(
            &ingress(vec![rule("foo.com", Some("Exact"), "x//%2f/./..")]),
            &ValidationOptions::default(),
        );
        let p = "spec.rules[0].http.paths[0].path: Invalid value: \"x//%2f/./..\": ";
        assert_eq!(
            shown(&v),
            [
                format!("{p}must be an absolute path"),
                format!("{p}must not contain '//'"),
                format!("{p}must not contain '/./'"),
                format!("{p}must not contain '%2f'"),
                format!("{p}cannot end with '/..'"),
            ]
        );
    }

    #[test]
    fn missing_path_type_skips_the_backend() {
        let mut r = rule("foo.com", None, "");
        r.http.as_mut().unwrap().paths[0].backend = IngressBackend::default();
        let v = validate_create(&ingress(vec![r]), &ValidationOptions::default());
        assert_eq!(
            shown(&v),
            ["spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"]
        );
    }

    #[test]
    fn ipv6_host_gets_two_errors() {
        let v = validate_create(
            &ingress(vec![rule("::1", Some("Prefix"), "/")]),
            &ValidationOptions::default(),
        );
        assert_eq!(v.errors.len(), 2, "{v:?}");
        assert_eq!(v.errors[0].detail, "must be a DNS name, not an IP address");
        assert!(
            v.errors[1]
                .detail
                .starts_with("a lowercase RFC 1123 subdomain")
        );
    }

    #[test]
    fn tls_hosts_may_be_ips() {
        let mut ing = ingress(vec![rule("foo.com", Some("Prefix"), "/")]);
        ing.spec.tls = vec![IngressTls {
            hosts: vec!["1.2.3.4".to_owned()],
            secret_name: None,
        }];
        assert!(validate_create(&ing, &ValidationOptions::default()).is_valid());
    }

    #[test]
    fn relaxed_service_names() {
        let mut ing = ingress(vec![rule("foo.com", Some("Prefix"), "/")]);
        ing.spec.rules[0].http.as_mut().unwrap().paths[0]
            .backend
            .service = Some(IngressServiceBackend {
            name: "1svc".to_owned(),
            port: Some(ServiceBackendPort {
                name: None,
                number: Some(80),
            }),
        });
        let strict = validate_create(&ing, &ValidationOptions::default());
        assert_eq!(strict.errors.len(), 1);
        assert_eq!(
            strict.errors[0].field,
            "spec.rules[0].http.paths[0].backend.service.name"
        );
        let gate = ValidationOptions {
            relaxed_service_name_validation: true,
        };
        assert!(validate_create(&ing, &gate).is_valid());
        assert!(validate_update(&ing, &ing, &ValidationOptions::default()).is_valid());
    }

    #[test]
    fn warning_only_for_annotation_without_field_and_only_when_valid() {
        let mut ing = ingress(vec![rule("foo.com", Some("Prefix"), "/")]);
        ing.metadata
            .annotations
            .insert(CLASS_ANNOTATION.to_owned(), "nginx".to_owned());
        let v = validate_create(&ing, &ValidationOptions::default());
        assert!(v.is_valid());
        assert_eq!(
            v.warnings,
            [
                "annotation \"kubernetes.io/ingress.class\" is deprecated, please use 'spec.ingressClassName' instead"
            ]
        );
        assert!(
            validate_update(&ing, &ing, &ValidationOptions::default())
                .warnings
                .is_empty()
        );
        ing.spec.ingress_class_name = Some("nginx".to_owned());
        assert!(
            validate_create(&ing, &ValidationOptions::default())
                .warnings
                .is_empty()
        );
    }
}
