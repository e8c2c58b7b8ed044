//! IngressClass checks: `ValidateIngressClass`, `ValidateIngressClassUpdate` and what they
//! call (`kubernetes/kubernetes` `pkg/apis/networking/validation/validation.go`), after the v1
//! defaulting of `pkg/apis/networking/v1/defaults.go` (`SetDefaults_IngressClass`).

use super::field::Path;
use super::meta::{
    FIELD_IMMUTABLE, dedupe, validate_common_update, validate_object_meta,
    validate_object_meta_update,
};
use super::names;
use super::{FieldError, Validation};
use crate::class::{IngressClass, IngressClassParametersReference, IngressClassSpec};

/// `maxLenIngressClassController`.
const MAX_CONTROLLER_LENGTH: usize = 250;
/// `IngressClassParametersReferenceScopeCluster`.
const SCOPE_CLUSTER: &str = "Cluster";
/// `IngressClassParametersReferenceScopeNamespace`.
const SCOPE_NAMESPACE: &str = "Namespace";
/// `supportedIngressClassParametersReferenceScopes.List()`: sorted.
const SUPPORTED_SCOPES: [&str; 2] = [SCOPE_CLUSTER, SCOPE_NAMESPACE];
/// `httpPathFmt` of `IsDomainPrefixedPath`: RFC 3986 path characters.
const HTTP_PATH_FMT: &str = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+";

/// `ValidateIngressClass`. The IngressClass strategy has no warnings.
pub(crate) fn validate_create(class: &IngressClass) -> Validation {
    let mut errors = Vec::new();
    validate_class(class, &mut errors);
    Validation {
        errors,
        warnings: Vec::new(),
    }
}

/// `rest.ValidateUpdate` for IngressClass: the common metadata checks, then
/// `ValidateIngressClassUpdate` (metadata update, immutable controller, then every create
/// check on the new object).
pub(crate) fn validate_update(old: &IngressClass, new: &IngressClass) -> Validation {
    let mut errors = Vec::new();
    validate_common_update(&new.metadata, &old.metadata, false, &mut errors);
    validate_object_meta_update(&new.metadata, &old.metadata, &mut errors);
    // validateIngressClassSpecUpdate: ValidateImmutableField(new.Controller, old.Controller).
    let new_controller = new.spec.controller.as_deref().unwrap_or("");
    if new_controller != old.spec.controller.as_deref().unwrap_or("") {
        errors.push(FieldError::invalid(
            Path::new("spec").child("controller").to_string(),
            new_controller,
            FIELD_IMMUTABLE,
        ));
    }
    validate_class(new, &mut errors);
    Validation {
        errors: dedupe(errors),
        warnings: Vec::new(),
    }
}

/// Metadata (cluster-scoped; name is a DNS-1123 subdomain, `ValidateIngressClassName`), then
/// `validateIngressClassSpec`.
fn validate_class(class: &IngressClass, errs: &mut Vec<FieldError>) {
    validate_object_meta(&class.metadata, false, names::is_dns1123_subdomain, errs);
    validate_spec(&class.spec, &Path::new("spec"), errs);
}

/// `validateIngressClassSpec`: controller required, at most 250 bytes and a domain-prefixed
/// path; then the parameters.
fn validate_spec(spec: &IngressClassSpec, path: &Path, errs: &mut Vec<FieldError>) {
    let controller = spec.controller.as_deref().unwrap_or("");
    let controller_path = path.child("controller");
    if controller.is_empty() {
        errs.push(FieldError::required(controller_path.to_string(), ""));
    } else {
        if controller.len() > MAX_CONTROLLER_LENGTH {
            errs.push(FieldError::too_long(
                controller_path.to_string(),
                MAX_CONTROLLER_LENGTH,
            ));
        }
        domain_prefixed_path(&controller_path, controller, errs);
    }
    if let Some(params) = &spec.parameters {
        validate_parameters(params, &path.child("parameters"), errs);
    }
}

/// `IsDomainPrefixedPath` (`k8s.io/apimachinery/pkg/util/validation`): a DNS-1123 subdomain,
/// `/`, and a non-empty path of RFC 3986 characters. The bad value of each error is the part
/// at fault (the domain or the path), not the whole string.
fn domain_prefixed_path(path: &Path, value: &str, errs: &mut Vec<FieldError>) {
    let Some((host, rest)) = value
        .split_once('/')
        .filter(|(h, r)| !h.is_empty() && !r.is_empty())
    else {
        errs.push(FieldError::invalid(
            path.to_string(),
            value,
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        ));
        return;
    };
    for msg in names::is_dns1123_subdomain(host) {
        errs.push(FieldError::invalid(path.to_string(), host, msg));
    }
    let path_chars_ok = rest.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'/' | b'-'
                    | b'.'
                    | b'_'
                    | b'~'
                    | b'%'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
            )
    });
    if !path_chars_ok {
        errs.push(FieldError::invalid(
            path.to_string(),
            rest,
            names::regex_error("Invalid path", HTTP_PATH_FMT, &[]),
        ));
    }
}

/// `validateIngressClassParametersReference`, after v1 defaulting: an absent `scope` is
/// `Cluster` (`SetDefaults_IngressClass` runs before validation, so the API server's
/// "scope required" branch cannot trigger for v1 objects).
fn validate_parameters(
    params: &IngressClassParametersReference,
    path: &Path,
    errs: &mut Vec<FieldError>,
) {
    super::ingress::validate_object_reference(
        params.api_group.as_deref(),
        &params.kind,
        &params.name,
        path,
        errs,
    );

    let scope = params.scope.as_deref().unwrap_or(SCOPE_CLUSTER);
    let namespace_path = path.child("namespace");
    match scope {
        SCOPE_NAMESPACE => match &params.namespace {
            None => errs.push(FieldError::required(
                namespace_path.to_string(),
                "`parameters.scope` is set to 'Namespace'",
            )),
            Some(ns) => {
                // ValidateNamespaceName = NameIsDNSLabel.
                for msg in names::is_dns1123_label(ns) {
                    errs.push(FieldError::invalid(namespace_path.to_string(), ns, msg));
                }
            }
        },
        SCOPE_CLUSTER => {
            // Any namespace, even "", is forbidden with Cluster scope.
            if params.namespace.is_some() {
                errs.push(FieldError::forbidden(
                    namespace_path.to_string(),
                    "`parameters.scope` is set to 'Cluster'",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            path.child("scope").to_string(),
            other,
            &SUPPORTED_SCOPES,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(controller: &str) -> IngressClass {
        let mut c = IngressClass::default();
        c.metadata.name = Some("test123".to_owned());
        c.spec.controller = Some(controller.to_owned());
        c
    }

    fn shown(v: &Validation) -> Vec<String> {
        v.errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn controller_rules() {
        assert!(validate_create(&class("foo.co/bar")).is_valid());
        assert!(validate_create(&class(&format!("foo.co/{}", "a".repeat(243)))).is_valid());
        assert_eq!(
            shown(&validate_create(&class(&format!(
                "foo.co/{}",
                "a".repeat(244)
            )))),
            ["spec.controller: Too long: may not be more than 250 bytes"]
        );
        assert_eq!(
            shown(&validate_create(&class("foo"))),
            [
                r#"spec.controller: Invalid value: "foo": must be a domain-prefixed path (such as "acme.io/foo")"#
            ]
        );
        assert_eq!(
            shown(&validate_create(&class("Foo.co/a b"))),
            [
                r#"spec.controller: Invalid value: "Foo.co": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
                r#"spec.controller: Invalid value: "a b": Invalid path (regex used for validation is '[A-Za-z0-9/\-._~%!$&'()*+,;=:]+')"#,
            ]
        );
        assert_eq!(
            shown(&validate_create(&class(""))),
            ["spec.controller: Required value"]
        );
    }

    #[test]
    fn parameters_scope() {
        let with = |scope: Option<&str>, ns: Option<&str>| {
            let mut c = class("foo.co/bar");
            c.spec.parameters = Some(IngressClassParametersReference {
                api_group: None,
                kind: "foo".to_owned(),
                name: "bar".to_owned(),
                scope: scope.map(str::to_owned),
                namespace: ns.map(str::to_owned),
            });
            shown(&validate_create(&c))
        };
        assert!(with(None, None).is_empty());
        assert!(with(Some("Cluster"), None).is_empty());
        assert!(with(Some("Namespace"), Some("ns")).is_empty());
        assert_eq!(
            with(None, Some("")),
            ["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]
        );
        assert_eq!(
            with(Some("Namespace"), None),
            ["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"]
        );
        assert_eq!(
            with(Some("cluster"), Some("x")),
            [
                r#"spec.parameters.scope: Unsupported value: "cluster": supported values: "Cluster", "Namespace""#
            ]
        );
    }

    #[test]
    fn controller_is_immutable() {
        let v = validate_update(&class("foo.co/different"), &class("foo.co/bar"));
        assert_eq!(
            shown(&v),
            [r#"spec.controller: Invalid value: "foo.co/bar": field is immutable"#]
        );
        assert!(validate_update(&class("foo.co/bar"), &class("foo.co/bar")).is_valid());
    }
}
