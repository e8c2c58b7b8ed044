//! Generated Ingresses and a request mix shared by the benchmarks, plus the hand-written
//! `HashMap<host, matchit::Router>` baseline ("the thing a user would write instead").

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;

use ingress_model::{
    HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule, PathType,
    Timestamp,
};

/// `n` Ingresses of 5 paths each. Three in four have an exact host `h{i}.example.com`, one in
/// four a wildcard `*.w{i}.example.com`; one in a hundred adds a host-less path. Timestamps
/// repeat every 100 Ingresses, so ties on age are common, as with bulk applies.
pub fn ingresses(n: usize) -> Vec<Ingress> {
    (0..n).map(ingress).collect()
}

pub fn host_of(i: usize) -> String {
    if i % 4 == 3 {
        format!("*.w{i}.example.com")
    } else {
        format!("h{i}.example.com")
    }
}

pub fn ingress(i: usize) -> Ingress {
    let path = |path: &str, path_type: PathType, svc: &str| HttpIngressPath {
        path: Some(path.to_owned()),
        path_type: Some(path_type),
        backend: IngressBackend::service(format!("{svc}-{i}"), 8080),
    };
    let mut ing = Ingress::default();
    ing.metadata.name = Some(format!("ing-{i}"));
    ing.metadata.namespace = Some(format!("ns-{}", i % 50));
    ing.metadata.creation_timestamp = Some(Timestamp::from_unix_seconds(
        1_700_000_000 + (i % 100) as i64,
    ));
    ing.spec.rules.push(IngressRule {
        host: Some(host_of(i)),
        http: Some(HttpIngressRuleValue {
            paths: vec![
                path("/", PathType::Prefix, "web"),
                path("/api", PathType::Prefix, "api"),
                path("/api/v1/health", PathType::Exact, "health"),
                path("/static/", PathType::Prefix, "static"),
                path("/app", PathType::ImplementationSpecific, "app"),
            ],
        }),
    });
    if i.is_multiple_of(100) {
        ing.spec.rules.push(IngressRule {
            host: None,
            http: Some(HttpIngressRuleValue {
                paths: vec![path(&format!("/tenant-{i}"), PathType::Prefix, "tenant")],
            }),
        });
    }
    ing
}

/// [`ingress`] `i` with a `spec.defaultBackend` of its own.
pub fn with_default_backend(i: usize) -> Ingress {
    let mut ing = ingress(i);
    ing.spec.default_backend = Some(IngressBackend::service(format!("fallback-{i}"), 80));
    ing
}

/// `n` Ingresses in 50 namespaces that all route `shared.example.com`: each has a Prefix, a
/// deeper Prefix and an Exact path of its own, under `/team-{i}` (distinct first segments) or,
/// with `same_segment`, under `/api/team-{i}` (one first segment for all).
pub fn shared_host(n: usize, same_segment: bool) -> Vec<Ingress> {
    (0..n)
        .map(|i| {
            let base = if same_segment {
                format!("/api/team-{i}")
            } else {
                format!("/team-{i}")
            };
            let path = |path: String, path_type: PathType, svc: &str| HttpIngressPath {
                path: Some(path),
                path_type: Some(path_type),
                backend: IngressBackend::service(format!("{svc}-{i}"), 8080),
            };
            let mut ing = Ingress::default();
            ing.metadata.name = Some(format!("team-{i}"));
            ing.metadata.namespace = Some(format!("ns-{}", i % 50));
            ing.metadata.creation_timestamp = Some(Timestamp::from_unix_seconds(
                1_700_000_000 + (i % 100) as i64,
            ));
            ing.spec.rules.push(IngressRule {
                host: Some("shared.example.com".to_owned()),
                http: Some(HttpIngressRuleValue {
                    paths: vec![
                        path(base.clone(), PathType::Prefix, "web"),
                        path(format!("{base}/api"), PathType::Prefix, "api"),
                        path(format!("{base}/healthz"), PathType::Exact, "health"),
                    ],
                }),
            });
            ing
        })
        .collect()
}

/// A fixed mix of requests: hits on exact and wildcard hosts at several depths, an Exact hit,
/// a host in upper case with a port, a dot segment, and misses (unknown hosts, a host-less
/// path, a sibling of a Prefix path).
pub fn requests(n: usize) -> Vec<(String, String)> {
    let picks = [0, n / 3, (2 * n) / 3, n - 1].map(|i| i.min(n - 1));
    let exact = |i: usize| if i % 4 == 3 { i.saturating_sub(1) } else { i };
    let wild = |i: usize| (i / 4) * 4 + 3;
    let mut out = Vec::new();
    for (k, &i) in picks.iter().enumerate() {
        let e = exact(i);
        let w = wild(i).min(n.saturating_sub(1));
        let w = if w % 4 == 3 { w } else { 3.min(n - 1) };
        out.push((format!("h{e}.example.com"), "/api/users/42".to_owned()));
        if k % 2 == 0 {
            out.push((format!("h{e}.example.com"), "/api/v1/health".to_owned()));
            out.push((
                format!("H{e}.Example.com:443"),
                "/static/css/site.css".to_owned(),
            ));
        } else {
            out.push((format!("h{e}.example.com"), "/app/main.js".to_owned()));
            out.push((format!("h{e}.example.com"), "/apiary".to_owned()));
        }
        out.push((format!("x.w{w}.example.com"), "/api/v2/items/7".to_owned()));
        out.push((format!("unknown{i}.example.org"), "/index.html".to_owned()));
    }
    out.push(("unknown.example.org".to_owned(), "/tenant-0/x".to_owned()));
    out.push(("h0.example.com".to_owned(), "/static/../api/x".to_owned()));
    out
}

/// What a user would write instead: a map from host to a matchit router per host, Prefix paths
/// inserted as `p`, `p/` and `p/{*rest}`, and a second map for wildcard suffixes.
pub struct MatchitPerHost {
    exact: HashMap<String, matchit::Router<IngressBackend>>,
    wildcard: HashMap<String, matchit::Router<IngressBackend>>,
    any: Option<matchit::Router<IngressBackend>>,
}

impl MatchitPerHost {
    pub fn new(ingresses: &[Ingress]) -> Self {
        let mut out = MatchitPerHost {
            exact: HashMap::new(),
            wildcard: HashMap::new(),
            any: None,
        };
        for ing in ingresses {
            for rule in &ing.spec.rules {
                let router = match rule.host() {
                    None => out.any.get_or_insert_with(matchit::Router::new),
                    Some(h) => match h.strip_prefix("*.") {
                        Some(s) => out.wildcard.entry(s.to_owned()).or_default(),
                        None => out.exact.entry(h.to_owned()).or_default(),
                    },
                };
                for p in rule.http.iter().flat_map(|h| h.paths.iter()) {
                    let path = p.path();
                    let b = p.backend.clone();
                    // Conflicting inserts fail; the first one stays, as a user would accept.
                    if p.path_type == Some(PathType::Exact) {
                        let _ = router.insert(path, b);
                    } else {
                        let base = path.trim_end_matches('/');
                        if !base.is_empty() {
                            let _ = router.insert(base, b.clone());
                        }
                        let _ = router.insert(format!("{base}/"), b.clone());
                        let _ = router.insert(format!("{base}/{{*rest}}"), b);
                    }
                }
            }
        }
        out
    }

    pub fn find(&self, host: &str, path: &str) -> Option<&IngressBackend> {
        let host = host.split(':').next().unwrap_or(host);
        let lower;
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = host.to_ascii_lowercase();
            &lower
        } else {
            host
        };
        let router = self
            .exact
            .get(host)
            .or_else(|| {
                host.split_once('.')
                    .and_then(|(_, rest)| self.wildcard.get(rest))
            })
            .or(self.any.as_ref())?;
        router.at(path).ok().map(|m| m.value)
    }
}
