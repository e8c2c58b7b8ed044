//! Request normalisation and host parsing from arbitrary bytes: `RequestView` from strings and
//! from `http::Request`s, matching, explaining, and certificate lookup never panic, and the
//! table agrees with the reference matcher on hostile hosts and paths.

use std::sync::OnceLock;

use ingress_model::{Ingress, LoadOptions, Manifests};
use ingress_router::reference::{Outcome, Reference};
use ingress_router::{Config, PathNormalization, RequestView, RouteTable};

const MANIFEST: &str = "
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec:
  tls: [{hosts: [shop.example.com, '*.example.com'], secretName: tls}]
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /a/b, pathType: Exact, backend: {service: {name: ab, port: {number: 80}}}}
      - {path: /a/, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}
  - host: '*.example.com'
    http:
      paths:
      - {path: '/{x}', pathType: Prefix, backend: {service: {name: braces, port: {number: 80}}}}
  - http:
      paths:
      - {path: /c, pathType: ImplementationSpecific, backend: {service: {name: c, port: {number: 80}}}}
";

fn ingresses() -> &'static [Ingress] {
    static INGRESSES: OnceLock<Vec<Ingress>> = OnceLock::new();
    INGRESSES.get_or_init(|| {
        let m = Manifests::load_str("fuzz.yaml", MANIFEST, &LoadOptions::default());
        assert!(m.errors.is_empty());
        m.ingresses.into_iter().map(|l| l.object).collect()
    })
}

/// Matches one request made of arbitrary host and path bytes against a fixed table.
pub fn request_parsing(host_bytes: &[u8], path_bytes: &[u8], nginx: bool) {
    let config = Config::default().path_normalization(if nginx {
        PathNormalization::NginxLike
    } else {
        PathNormalization::RemoveDotSegments
    });
    let table = RouteTable::builder()
        .config(config.clone())
        .add_all(ingresses())
        .build()
        .table;
    let reference = Reference::new(&config, ingresses());

    let host = String::from_utf8_lossy(host_bytes);
    let path = String::from_utf8_lossy(path_bytes);
    let view = RequestView::new(&host, &path);
    let decision = table.find(&view);
    assert_eq!(
        Outcome::of(&decision),
        reference.find(&host, &path).outcome(),
        "{host:?} {path:?}"
    );
    let explained = table.explain(&view);
    assert_eq!(Outcome::of(&explained.decision), Outcome::of(&decision));
    let _ = table.certificate_for(&host);

    // The same bytes as an HTTP request, when `http` accepts them as a Host header and a target.
    if let Ok(req) = http::Request::builder()
        .uri(path_bytes)
        .header(http::header::HOST, host_bytes)
        .body(())
    {
        let view = RequestView::from_request(&req);
        let _ = table.find(&view);
    }
}
