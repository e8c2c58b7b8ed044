//! Input the API server accepts loads: `null` read as absent in every optional position, and
//! other API groups' kinds with our kinds' names passed over.

use ingress_model::validation::{ValidationOptions, validate_ingress};
use ingress_model::{LoadOptions, Manifests};

fn load(text: &str) -> Manifests {
    Manifests::load_str("input.yaml", text, &LoadOptions::default())
}

fn one_ingress(text: &str) -> ingress_model::Ingress {
    let m = load(text);
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(m.ingresses.len(), 1);
    m.ingresses.into_iter().next().unwrap().object
}

#[test]
fn null_metadata_fields_are_unset() {
    // ingress-nginx's own canary example writes `annotations:` with nothing after it.
    let ingress = one_ingress(
        "
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: canary
  namespace: null
  creationTimestamp: null
  labels: null
  annotations:
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
",
    );
    assert_eq!(ingress.metadata.namespace(), "default");
    assert!(ingress.metadata.labels.is_empty());
    assert!(ingress.metadata.annotations.is_empty());
    assert_eq!(ingress.metadata.creation_timestamp, None);
}

#[test]
fn a_null_string_map_value_is_the_empty_string() {
    let ingress = one_ingress(
        "
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  labels: {team: null}
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: null, other: x}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
",
    );
    assert_eq!(ingress.metadata.labels["team"], "");
    assert_eq!(
        ingress.metadata.annotations["nginx.ingress.kubernetes.io/rewrite-target"],
        ""
    );
    assert_eq!(ingress.metadata.annotations["other"], "x");
}

#[test]
fn null_spec_lists_and_values_are_unset() {
    let ingress = one_ingress(
        "
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: null
  tls:
  - hosts: null
    secretName: null
  rules:
  - host: null
    http:
      paths:
      - path: null
        pathType: ImplementationSpecific
        backend:
          service: {name: web, port: {name: null, number: 80}}
          resource: null
  - host: b.example.com
    http: null
status: null
",
    );
    assert_eq!(ingress.spec.ingress_class_name, None);
    assert!(ingress.spec.tls[0].hosts.is_empty());
    assert_eq!(ingress.spec.tls[0].secret_name, None);
    assert_eq!(ingress.spec.rules[0].host(), None);
    let path = &ingress.spec.rules[0].http.as_ref().unwrap().paths[0];
    assert_eq!(path.path, None);
    assert_eq!(path.backend.to_string(), "service/web:80");
    assert!(ingress.spec.rules[1].http.is_none());
    assert!(ingress.status.is_none());
    let v = validate_ingress(&ingress, &ValidationOptions::default());
    assert!(v.errors.is_empty(), "{:?}", v.errors);
}

#[test]
fn null_spec_and_null_rules_are_empty() {
    for spec in [
        "spec: null",
        "spec: {rules: null, tls: null, defaultBackend: null}",
    ] {
        let ingress = one_ingress(&format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web}}\n{spec}\n"
        ));
        assert!(ingress.spec.rules.is_empty(), "{spec}");
        assert!(ingress.spec.tls.is_empty(), "{spec}");
        assert!(ingress.spec.default_backend.is_none(), "{spec}");
        // Loaded; the API server's validation then refuses an Ingress with nothing in it.
        let v = validate_ingress(&ingress, &ValidationOptions::default());
        assert_eq!(v.errors[0].field, "spec", "{spec}: {:?}", v.errors);
    }
}

#[test]
fn a_null_required_value_loads_and_is_a_validation_error_with_its_field() {
    let m = load(
        "
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: null}
      - {path: /x, pathType: Prefix, backend: {service: {name: web, port: null}}}
",
    );
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    let v = validate_ingress(&m.ingresses[0].object, &ValidationOptions::default());
    let found: Vec<(&str, &str)> = v
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.detail.as_str()))
        .collect();
    // The API server's words and paths (the port error is on the backend, as it says it).
    assert_eq!(
        found,
        [
            (
                "spec.rules[0].http.paths[0].backend",
                "resource or service backend is required"
            ),
            (
                "spec.rules[0].http.paths[1].backend",
                "port name or number is required"
            )
        ]
    );
}

#[test]
fn null_fields_of_services_classes_and_slices_are_unset() {
    let m = load(
        "
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gw, annotations: null}
spec: {controller: example.com/gw, parameters: null}
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: null}
spec:
  selector: null
  ports:
  - {name: null, port: 80, targetPort: null, protocol: null}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: null
endpoints:
- addresses: [10.0.0.1]
  conditions: null
",
    );
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(m.ingress_classes.len(), 1);
    assert!(m.ingress_classes[0].object.spec.parameters.is_none());
    let service = &m.services[0].object;
    assert!(service.spec.selector.is_empty());
    assert_eq!(service.spec.ports[0].port, 80);
    let slice = &m.endpoint_slices[0].object;
    assert!(slice.ports.is_empty());
    assert_eq!(slice.endpoints[0].addresses, ["10.0.0.1"]);
}

#[test]
fn other_groups_kinds_named_like_ours_are_passed_over_and_counted() {
    let m = load(
        "
apiVersion: networking.internal.knative.dev/v1alpha1
kind: Ingress
metadata: {name: hello}
spec: {rules: [{hosts: [hello.example.com], visibility: ExternalIP}]}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec: {template: {spec: {containers: [{image: hello}]}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
",
    );
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(m.ingresses.len(), 1);
    assert!(m.services.is_empty());
    let skipped: Vec<&str> = m.skipped.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "Ingress.networking.internal.knative.dev",
            "Service.serving.knative.dev"
        ]
    );
}

#[test]
fn an_unserved_version_of_our_own_group_is_still_an_error() {
    let m = load(
        "apiVersion: networking.k8s.io/v2\nkind: Ingress\nmetadata: {name: web}\n---\napiVersion: v2\nkind: Service\nmetadata: {name: web}\n",
    );
    assert_eq!(m.errors.len(), 2, "{:?}", m.errors);
}
