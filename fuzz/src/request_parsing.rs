//! Request normalisation and host parsing from arbitrary bytes: `RequestView` from strings and
//! from `http::Request`s, matching, explaining, and certificate lookup never panic, the table
//! agrees with the reference matcher on hostile hosts and paths, and every way of reading a
//! request (`RequestView::new`, `from_request` with a `Host` header or an absolute-form target,
//! `HostPattern::matches`, and `try_from_request` when it accepts) gives the same host, path
//! and decision for the same bytes (crate docs of `ingress-router`, section 1).

use std::sync::OnceLock;

use http::header::HOST;
use http::{Request, Version};
use ingress_model::{Ingress, IngressBackend, LoadOptions, Manifests};
use ingress_router::reference::{Outcome, Reference};
use ingress_router::{
    Config, HostPattern, HostSelection, PathNormalization, RequestView, RouteTable,
};

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

    // HostPattern::matches reads hosts as the table does.
    let exact = HostPattern::from_rule(Some("shop.example.com")).matches(&host);
    let wildcard = HostPattern::from_rule(Some("*.example.com")).matches(&host);
    let selection = explained.host_selection;
    assert_eq!(exact, selection == HostSelection::Exact, "{host:?}");
    assert_eq!(
        wildcard && !exact,
        selection == HostSelection::Wildcard,
        "{host:?}"
    );

    constructors_agree(&table, host_bytes, path_bytes);
}

/// The same bytes through every constructor: the same view, the same decision.
fn constructors_agree(table: &RouteTable<IngressBackend>, host_bytes: &[u8], path_bytes: &[u8]) {
    let text = std::str::from_utf8(host_bytes).ok();
    let lossy = String::from_utf8_lossy(host_bytes);
    let outcome = |v: &RequestView<'_>| Outcome::of(&table.find(v));

    // A Host header and an origin-form target, when `http` accepts them.
    if let Ok(req) = Request::builder()
        .uri(path_bytes)
        .header(HOST, host_bytes)
        .body(())
        && req.uri().authority().is_none()
    {
        let view = RequestView::from_request(&req);
        // The view keeps the query (for the ingress-nginx profile's redirects and rewrites).
        let path = req
            .uri()
            .path_and_query()
            .map_or(req.uri().path(), |pq| pq.as_str());
        match text {
            Some(t) => assert_eq!(view, RequestView::new(t, path), "Host {t:?}"),
            // Not UTF-8: shown as U+FFFD, opaque like the lossy text.
            None => assert_eq!(view.host(), "\u{fffd}"),
        }
        assert_eq!(outcome(&view), outcome(&RequestView::new(&lossy, path)));
        if let Ok(p) = std::str::from_utf8(path_bytes)
            && p.starts_with('/')
        {
            assert_eq!(view.path(), RequestView::new("", p).path(), "{p:?}");
        }
        let strict = RequestView::try_from_request(&req);
        if let Ok(v) = strict {
            assert_eq!(
                v, view,
                "try_from_request accepted {lossy:?}: the view of from_request"
            );
        }
        if plainly_valid(host_bytes) {
            assert!(strict.is_ok(), "{lossy:?} refused: {strict:?}");
        }
        if host_bytes.contains(&b'@') || !host_bytes.is_ascii() {
            assert!(strict.is_err(), "{lossy:?} accepted");
        }
    }

    // The host in an absolute-form target.
    let (Some(t), Ok(p)) = (text, std::str::from_utf8(path_bytes)) else {
        return;
    };
    if !p.starts_with('/') {
        return;
    }
    let Ok(req) = Request::builder().uri(format!("http://{t}{p}")).body(()) else {
        return;
    };
    if req.uri().authority().map(|a| a.as_str()) != Some(t) {
        return;
    }
    let view = RequestView::from_request(&req);
    assert_eq!(view, RequestView::new(t, p), "authority {t:?}");
    if let Ok(v) = RequestView::try_from_request(&req) {
        assert_eq!(v, view);
    }
    // HTTP/2: an `:authority` and a Host header that try_from_request accepts as the same host
    // route alike, whichever of the two the table reads.
    for other in [
        t.to_owned(),
        t.to_ascii_uppercase(),
        format!("{t}."),
        format!("{t}:443"),
        t.strip_suffix('.').unwrap_or(t).to_owned(),
        "shop.example.com".to_owned(),
        "x.example.com".to_owned(),
    ] {
        let Ok(h2) = Request::builder()
            .version(Version::HTTP_2)
            .uri(format!("https://{t}{p}"))
            .header(HOST, &other)
            .body(())
        else {
            continue;
        };
        if let Ok(v) = RequestView::try_from_request(&h2) {
            assert_eq!(v, RequestView::from_request(&h2));
            assert_eq!(
                outcome(&v),
                outcome(&RequestView::new(&other, p)),
                ":authority {t:?} and Host {other:?} accepted as one host"
            );
        }
    }
}

/// A lower-case DNS-ish name with at most a short port: no strict reading may refuse it.
fn plainly_valid(host: &[u8]) -> bool {
    let (name, port) = match host.iter().position(|&b| b == b':') {
        Some(i) => (&host[..i], Some(&host[i + 1..])),
        None => (host, None),
    };
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && port.is_none_or(|p| (1..=4).contains(&p.len()) && p.iter().all(u8::is_ascii_digit))
}
