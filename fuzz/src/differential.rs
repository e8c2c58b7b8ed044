//! Differential: the fast `RouteTable` against the reference matcher (a linear transcription of
//! the rules), on structured random Ingresses, configurations and requests. Any disagreement on
//! a decision or a certificate is a bug in one of the two.

use arbitrary::Arbitrary;
use ingress_model::{
    HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressTls,
    PathType, Timestamp,
};
use ingress_router::reference::{Outcome, Reference};
use ingress_router::{
    Config, DefaultBackendPolicy, ImplementationSpecific, PathNormalization, RouteTable,
};

/// Small vocabularies make collisions (same host, overlapping paths, equal timestamps) likely.
const HOSTS: &[&str] = &[
    "",
    "a.com",
    "b.a.com",
    "*.a.com",
    "x.b.a.com",
    "*.b.a.com",
    "c.org",
];
const SEGMENTS: &[&str] = &["a", "b", "ab", "a.b", "{x}", "*", "%2F", "..", "."];
const NAMESPACES: &[&str] = &["ns1", "ns2"];

#[derive(Debug, Arbitrary)]
pub struct Case {
    ingresses: Vec<GenIngress>,
    implementation_specific: u8,
    normalization: u8,
    default_policy: bool,
    requests: Vec<GenRequest>,
}

#[derive(Debug, Arbitrary)]
pub struct GenIngress {
    name: u8,
    namespace: u8,
    created: Option<u8>,
    default_backend: Option<u8>,
    rules: Vec<GenRule>,
    tls: Vec<(Vec<u8>, Option<u8>)>,
}

#[derive(Debug, Arbitrary)]
pub struct GenRule {
    host: u8,
    paths: Vec<GenPath>,
}

#[derive(Debug, Arbitrary)]
pub struct GenPath {
    segments: Vec<u8>,
    trailing_slash: bool,
    path_type: u8,
    backend: u8,
}

#[derive(Debug, Arbitrary)]
pub struct GenRequest {
    host: Result<u8, String>,
    upper: bool,
    port: Option<u16>,
    path: Result<(Vec<u8>, bool), String>,
}

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

fn path_of(segments: &[u8], trailing_slash: bool) -> String {
    let mut p: String = segments
        .iter()
        .map(|s| format!("/{}", pick(SEGMENTS, *s)))
        .collect();
    if p.is_empty() || trailing_slash {
        p.push('/');
    }
    p
}

fn to_ingress(g: &GenIngress) -> Ingress {
    let mut ing = Ingress::default();
    ing.metadata.name = Some(format!("i{}", g.name % 4));
    ing.metadata.namespace = Some(pick(NAMESPACES, g.namespace).to_owned());
    ing.metadata.creation_timestamp = g
        .created
        .map(|t| Timestamp::from_unix_seconds(1_600_000_000 + i64::from(t % 3)));
    ing.spec.default_backend = g
        .default_backend
        .map(|b| IngressBackend::service(format!("d{b}"), 80));
    for r in g.rules.iter().take(4) {
        let host = pick(HOSTS, r.host);
        let paths = r
            .paths
            .iter()
            .take(4)
            .map(|p| HttpIngressPath {
                path: Some(path_of(&p.segments, p.trailing_slash)),
                path_type: Some(match p.path_type % 3 {
                    0 => PathType::Exact,
                    1 => PathType::Prefix,
                    _ => PathType::ImplementationSpecific,
                }),
                backend: IngressBackend::service(format!("s{}", p.backend % 8), 80),
            })
            .collect();
        ing.spec.rules.push(IngressRule {
            host: (!host.is_empty()).then(|| host.to_owned()),
            http: Some(HttpIngressRuleValue { paths }),
        });
    }
    for (hosts, secret) in g.tls.iter().take(2) {
        ing.spec.tls.push(IngressTls {
            hosts: hosts
                .iter()
                .take(3)
                .map(|h| pick(HOSTS, *h).to_owned())
                .filter(|h| !h.is_empty())
                .collect(),
            secret_name: secret.map(|s| format!("secret-{s}")),
        });
    }
    ing
}

/// Builds a table and a reference from `case` and checks they agree on every request.
pub fn differential(case: &Case) {
    let ingresses: Vec<Ingress> = case.ingresses.iter().take(6).map(to_ingress).collect();
    let mut config = Config::default()
        .implementation_specific(match case.implementation_specific % 3 {
            0 => ImplementationSpecific::Prefix,
            1 => ImplementationSpecific::Exact,
            _ => ImplementationSpecific::StringPrefix,
        })
        .path_normalization(match case.normalization % 3 {
            0 => PathNormalization::RemoveDotSegments,
            1 => PathNormalization::None,
            _ => PathNormalization::NginxLike,
        });
    if case.default_policy {
        config = config.default_backend(DefaultBackendPolicy::Ignore);
    }
    let table = RouteTable::builder()
        .config(config.clone())
        .add_all(&ingresses)
        .build()
        .table;
    let reference = Reference::new(&config, &ingresses);
    for r in case.requests.iter().take(16) {
        let mut host = match &r.host {
            Ok(i) => pick(HOSTS, *i).to_owned(),
            Err(s) => s.clone(),
        };
        if r.upper {
            host = host.to_ascii_uppercase();
        }
        if let Some(port) = r.port {
            host = format!("{host}:{port}");
        }
        let path = match &r.path {
            Ok((segments, slash)) => path_of(segments, *slash),
            Err(s) => s.clone(),
        };
        let fast = Outcome::of(&table.find_parts(&host, &path));
        let slow = reference.find(&host, &path).outcome();
        assert_eq!(
            fast, slow,
            "host {host:?} path {path:?}\ningresses: {ingresses:#?}"
        );
        let sni = host.split(':').next().unwrap_or("");
        let fast_cert = table.certificate_for(sni).map(|c| {
            (
                c.source.clone(),
                c.tls_index,
                c.secret_name.map(str::to_owned),
            )
        });
        let slow_cert = reference
            .certificate_for(sni)
            .map(|(k, i, s)| (k, i, s.map(str::to_owned)));
        assert_eq!(fast_cert, slow_cert, "sni {sni:?}");
    }
}
