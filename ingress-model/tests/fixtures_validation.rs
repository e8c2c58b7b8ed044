//! Validation of Kubernetes' own API round-trip fixtures (`testdata/k8s-api-testdata/`): every
//! field set, with values that load but break the API server's rules. Expected errors are the
//! ones `ValidateIngressCreate` / `ValidateIngressClass` give for the fields we model.

use ingress_model::validation::{
    ValidationOptions, validate_ingress, validate_ingress_class, validate_ingress_update,
};
use ingress_model::{Ingress, IngressClass, LoadOptions, Manifests};

const INGRESS: &str =
    include_str!("../../testdata/k8s-api-testdata/networking.k8s.io.v1.Ingress.json");
const CLASS: &str =
    include_str!("../../testdata/k8s-api-testdata/networking.k8s.io.v1.IngressClass.json");

const SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

fn ingress_fixture() -> Ingress {
    let mut m = Manifests::load_str(
        "networking.k8s.io.v1.Ingress.json",
        INGRESS,
        &LoadOptions::default(),
    );
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(m.ingresses.len(), 1);
    m.ingresses.remove(0).object
}

fn class_fixture() -> IngressClass {
    let mut m = Manifests::load_str(
        "networking.k8s.io.v1.IngressClass.json",
        CLASS,
        &LoadOptions::default(),
    );
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(m.ingress_classes.len(), 1);
    m.ingress_classes.remove(0).object
}

fn shown(errors: &[ingress_model::validation::FieldError]) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

#[test]
fn ingress_fixture_reports_every_error_with_its_path() {
    let v = validate_ingress(&ingress_fixture(), &ValidationOptions::default());
    assert_eq!(
        shown(&v.errors),
        [
            format!(r#"metadata.name: Invalid value: "nameValue": {SUBDOMAIN}"#),
            format!(r#"metadata.namespace: Invalid value: "namespaceValue": {LABEL}"#),
            r#"spec.defaultBackend: Invalid value: "": cannot set both resource and service backends"#.to_owned(),
            format!(r#"spec.rules[0].host: Invalid value: "hostValue": {SUBDOMAIN}"#),
            r#"spec.rules[0].http.paths[0].pathType: Unsupported value: "pathTypeValue": supported values: "Exact", "ImplementationSpecific", "Prefix""#.to_owned(),
            r#"spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both resource and service backends"#.to_owned(),
            format!(r#"spec.tls[0].hosts[0]: Invalid value: "hostsValue": {SUBDOMAIN}"#),
            format!(r#"spec.tls[0].secretName: Invalid value: "secretNameValue": {SUBDOMAIN}"#),
            format!(r#"spec.ingressClassName: Invalid value: "ingressClassNameValue": {SUBDOMAIN}"#),
        ]
    );
    assert!(v.warnings.is_empty());
}

/// The fixture's backends set a Service *and* a resource, and the API server stops at that
/// error (`validateIngressBackend` returns before looking at the Service). Its port, which sets
/// both a name and a number, is reported once the resource is gone.
#[test]
fn ingress_fixture_port_with_name_and_number() {
    let mut ingress = ingress_fixture();
    ingress.spec.default_backend.as_mut().unwrap().resource = None;
    ingress.spec.rules[0].http.as_mut().unwrap().paths[0]
        .backend
        .resource = None;
    let v = validate_ingress(&ingress, &ValidationOptions::default());
    let backend_errors: Vec<String> = shown(&v.errors)
        .into_iter()
        .filter(|e| e.contains("ackend"))
        .collect();
    assert_eq!(
        backend_errors,
        [
            format!(r#"spec.defaultBackend.service.name: Invalid value: "nameValue": {DNS1035}"#),
            r#"spec.defaultBackend: Invalid value: "": cannot set both port name & port number"#.to_owned(),
            format!(r#"spec.rules[0].http.paths[0].backend.service.name: Invalid value: "nameValue": {DNS1035}"#),
            r#"spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both port name & port number"#.to_owned(),
        ]
    );

    // And the resource alone is checked as a TypedLocalObjectReference.
    let mut ingress = ingress_fixture();
    ingress.spec.default_backend.as_mut().unwrap().service = None;
    let v = validate_ingress(&ingress, &ValidationOptions::default());
    assert!(
        shown(&v.errors).contains(&format!(
            r#"spec.defaultBackend.resource.apiGroup: Invalid value: "apiGroupValue": {SUBDOMAIN}"#
        )),
        "{:#?}",
        shown(&v.errors)
    );
}

/// On update from itself, the invalid secretName is grandfathered; everything else stays
/// (in another order: the API server's common metadata checks run first on update).
#[test]
fn ingress_fixture_update_keeps_all_but_the_secret_error() {
    let fixture = ingress_fixture();
    let create = validate_ingress(&fixture, &ValidationOptions::default());
    let update = validate_ingress_update(&fixture, &fixture, &ValidationOptions::default());
    let mut expected: Vec<String> = shown(&create.errors)
        .into_iter()
        .filter(|e| !e.starts_with("spec.tls[0].secretName"))
        .collect();
    let mut got = shown(&update.errors);
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn ingress_class_fixture_reports_its_errors() {
    let v = validate_ingress_class(&class_fixture());
    assert_eq!(
        shown(&v.errors),
        [
            r#"spec.controller: Invalid value: "20": must be a domain-prefixed path (such as "acme.io/foo")"#,
            r#"spec.parameters.scope: Unsupported value: "24": supported values: "Cluster", "Namespace""#,
        ]
    );
    assert!(v.warnings.is_empty());
}
