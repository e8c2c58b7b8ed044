//! The removed beta versions: each form converted field by field to its v1 twin, by the loader
//! and by the file rewrite, and the rewritten file loading clean.

use ingress_model::beta::rewrite::rewrite;
use ingress_model::{Ingress, IngressClass, LoadOptions, Manifests};

/// Every beta form, in the body shared by `extensions/v1beta1` and `networking.k8s.io/v1beta1`.
const BETA_SPEC: &str = r#"
metadata:
  name: shop
  namespace: prod
  labels: {app: shop}
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}
spec:
  ingressClassName: nginx
  backend: {serviceName: fallback, servicePort: 8080}
  tls:
  - hosts: [shop.example.com]
    secretName: shop-tls
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /api
        backend: {serviceName: api, servicePort: http}
      - path: /exact
        pathType: Exact
        backend: {serviceName: exact, servicePort: 80}
      - backend: {serviceName: nopath, servicePort: 81}
      - path: /bucket
        pathType: Prefix
        backend:
          resource: {apiGroup: k8s.example.com, kind: Bucket, name: assets}
      - path: /port-only
        backend: {servicePort: 82}
      - path: /empty-string-port
        backend: {serviceName: empty, servicePort: ""}
      - path: /null-name
        backend: {serviceName: null, servicePort: 83}
  - host: bare.example.com
status:
  loadBalancer:
    ingress: [{ip: 192.0.2.1}]
"#;

/// The v1 form the API server's conversion gave for [`BETA_SPEC`].
const V1_TWIN: &str = r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: prod
  labels: {app: shop}
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: fallback, port: {number: 8080}}}
  tls:
  - hosts: [shop.example.com]
    secretName: shop-tls
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /api
        pathType: ImplementationSpecific
        backend: {service: {name: api, port: {name: http}}}
      - path: /exact
        pathType: Exact
        backend: {service: {name: exact, port: {number: 80}}}
      - pathType: ImplementationSpecific
        backend: {service: {name: nopath, port: {number: 81}}}
      - path: /bucket
        pathType: Prefix
        backend:
          resource: {apiGroup: k8s.example.com, kind: Bucket, name: assets}
      - path: /port-only
        pathType: ImplementationSpecific
        backend: {service: {name: "", port: {number: 82}}}
      - path: /empty-string-port
        pathType: ImplementationSpecific
        backend: {service: {name: empty, port: {name: ""}}}
      - path: /null-name
        pathType: ImplementationSpecific
        backend: {service: {name: "", port: {number: 83}}}
  - host: bare.example.com
status:
  loadBalancer:
    ingress: [{ip: 192.0.2.1}]
"#;

fn load(text: &str) -> Manifests {
    Manifests::load_str("test.yaml", text, &LoadOptions::default())
}

fn only_ingress(m: &Manifests) -> &Ingress {
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(m.ingresses.len(), 1);
    &m.ingresses[0].object
}

#[test]
fn each_beta_form_loads_as_its_v1_twin() {
    let twin = load(V1_TWIN);
    let twin = only_ingress(&twin);
    for version in ["extensions/v1beta1", "networking.k8s.io/v1beta1"] {
        let text = format!("apiVersion: {version}\nkind: Ingress{BETA_SPEC}");
        let m = load(&text);
        assert_eq!(only_ingress(&m), twin, "{version}");
        assert_eq!(m.converted.len(), 1);
        assert_eq!(m.converted[0].from, version);
        assert_eq!(m.converted[0].kind, "Ingress");
        assert_eq!(m.converted[0].origin.document, 1);
    }
}

#[test]
fn the_rewritten_file_loads_as_the_twin_with_nothing_left_to_convert() {
    let twin = load(V1_TWIN);
    let twin = only_ingress(&twin);
    let text = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: api, namespace: prod}}\nspec: {{ports: [{{name: http, port: 80}}]}}\n---\napiVersion: extensions/v1beta1\nkind: Ingress{BETA_SPEC}"
    );
    let out = rewrite(&text);
    assert_eq!(out.converted.len(), 1);
    assert_eq!(out.converted[0].document, 2);
    assert_eq!(out.converted[0].line, 6);
    let m = load(&out.text);
    assert_eq!(only_ingress(&m), twin);
    assert!(m.converted.is_empty());
    assert_eq!(m.services.len(), 1);
    // The Service document is kept as written.
    assert!(out.text.starts_with("apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: prod}\nspec: {ports: [{name: http, port: 80}]}\n---\n"));
    // Keys stay in the order they were written, renamed ones in their place.
    let spec = out.text.find("spec:\n  ingressClassName").unwrap();
    let default = out.text.find("  defaultBackend:").unwrap();
    let tls = out.text.find("  tls:").unwrap();
    assert!(spec < default && default < tls, "{}", out.text);
}

#[test]
fn a_beta_ingress_class_has_the_v1_shape() {
    let m = load(
        "apiVersion: networking.k8s.io/v1beta1\nkind: IngressClass\nmetadata:\n  name: nginx\n  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}\nspec:\n  controller: k8s.io/ingress-nginx\n  parameters: {apiGroup: k8s.example.com, kind: Params, name: p}\n",
    );
    let twin = load(
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\n  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}\nspec:\n  controller: k8s.io/ingress-nginx\n  parameters: {apiGroup: k8s.example.com, kind: Params, name: p}\n",
    );
    let class: &IngressClass = &m.ingress_classes[0].object;
    assert_eq!(class, &twin.ingress_classes[0].object);
    assert_eq!(m.converted[0].kind, "IngressClass");
    assert!(
        rewrite("apiVersion: networking.k8s.io/v1beta1\nkind: IngressClass\nmetadata: {name: c}\n")
            .text
            .contains("networking.k8s.io/v1\n")
    );
}

#[test]
fn a_type_error_in_a_beta_document_names_its_v1_field() {
    let m = load(
        "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: a}\nspec:\n  backend: {serviceName: s, servicePort: [1]}\n",
    );
    assert!(m.ingresses.is_empty());
    assert!(m.converted.is_empty());
    assert_eq!(m.errors.len(), 1);
    assert_eq!(
        m.errors[0].field.as_deref(),
        Some("spec.defaultBackend.service.port.number"),
        "{}",
        m.errors[0]
    );
}
