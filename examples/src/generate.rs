//! A seeded generator of realistic Ingress sets, for the scale benchmark and for trying the tools
//! on large inputs (`cargo run --release --bin ingress-gen -- --help`).
//!
//! The mix imitates a multi-tenant cluster: every namespace is a team with a few applications.
//! Most Ingresses route one exact host (`app-3.team-0042.example.com`) with a handful of paths
//! (`/` and `/api/v1` prefixes, `/static/` prefixes, an exact `/healthz`, an
//! `ImplementationSpecific` path); about one in ten route a team wildcard
//! (`*.team-0042.apps.example.com`); some hosts are shared by two Ingresses of a team (a
//! second Ingress adds `/admin` paths), and a few Ingresses carry TLS and a default backend.
//! Creation timestamps are spread over a year, with collisions (bulk applies land in the same
//! second). The same seed always gives the same Ingresses.

use ingress_model::{
    HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressTls,
    PathType, Timestamp,
};

/// SplitMix64: small, fast, and good enough to vary a benchmark's input deterministically.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Number of Ingresses.
    pub ingresses: usize,
    /// Number of namespaces they are spread over.
    pub namespaces: usize,
    /// PRNG seed.
    pub seed: u64,
}

fn path(p: &str, t: PathType, service: &str, port: i32) -> HttpIngressPath {
    HttpIngressPath {
        path: Some(p.to_owned()),
        path_type: Some(t),
        backend: IngressBackend::service(service, port),
    }
}

/// The rule host of Ingress `i` of namespace `ns` (shared by the two Ingresses of a pair).
fn host_for(rng: &mut Rng, ns: usize, app: usize) -> String {
    if rng.chance(10) {
        format!("*.team-{ns:04}.apps.example.com")
    } else {
        format!("app-{app}.team-{ns:04}.example.com")
    }
}

/// Generates `scale.ingresses` Ingresses over `scale.namespaces` namespaces.
pub fn ingresses(scale: Scale) -> Vec<Ingress> {
    let mut rng = Rng::new(scale.seed);
    let per_ns = scale.ingresses.div_ceil(scale.namespaces.max(1)).max(1);
    let base = 1_700_000_000i64;
    let mut out = Vec::with_capacity(scale.ingresses);
    for i in 0..scale.ingresses {
        let ns = i / per_ns;
        let app = (i % per_ns) / 2; // two Ingresses per app: main and admin
        let admin = i % 2 == 1;
        let mut ing = Ingress::default();
        ing.metadata.name = Some(format!("app-{app}{}", if admin { "-admin" } else { "" }));
        ing.metadata.namespace = Some(format!("team-{ns:04}"));
        // Bulk applies: timestamps collide in runs.
        let created = base + (rng.below(365 * 86_400) as i64 / 60) * 60;
        ing.metadata.creation_timestamp = Some(Timestamp::from_unix_seconds(created));
        // The admin Ingress reuses the app's host most of the time.
        let mut pair = Rng::new(scale.seed ^ ((ns as u64) << 20) ^ app as u64);
        let host = host_for(&mut pair, ns, app);
        let svc = format!("app-{app}");
        let paths = if admin {
            vec![
                path("/admin", PathType::Prefix, &format!("{svc}-admin"), 8080),
                path(
                    "/admin/metrics",
                    PathType::Exact,
                    &format!("{svc}-admin"),
                    9090,
                ),
            ]
        } else {
            let mut p = vec![
                path("/", PathType::Prefix, &format!("{svc}-web"), 80),
                path("/api/v1", PathType::Prefix, &format!("{svc}-api"), 8080),
                path("/static/", PathType::Prefix, &format!("{svc}-static"), 80),
                path("/healthz", PathType::Exact, &format!("{svc}-web"), 80),
            ];
            if rng.chance(50) {
                p.push(path(
                    "/api/v2/users",
                    PathType::ImplementationSpecific,
                    &format!("{svc}-users"),
                    8080,
                ));
            }
            p
        };
        ing.spec.rules.push(IngressRule {
            host: Some(host.clone()),
            http: Some(HttpIngressRuleValue { paths }),
        });
        if !admin && rng.chance(30) {
            ing.spec.tls.push(IngressTls {
                hosts: vec![host],
                secret_name: Some(format!("{svc}-tls")),
            });
        }
        if !admin && rng.chance(5) {
            ing.spec.default_backend = Some(IngressBackend::service(format!("{svc}-web"), 80));
        }
        out.push(ing);
    }
    out
}

/// A request of the benchmark's mix: `(host, path)`.
pub type Request = (String, String);

/// `n` requests derived from `ingresses`: about 80 % hit a rule (its path, a sub-path, a query,
/// upper-case host, a port), 20 % miss (unknown host, unmatched path, a sibling like `/apix`).
pub fn requests(ingresses: &[Ingress], n: usize, seed: u64) -> Vec<Request> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let ing = &ingresses[rng.below(ingresses.len())];
        let rule = &ing.spec.rules[0];
        let rule_host = rule.host().unwrap_or("example.com");
        let host = match rule_host.strip_prefix("*.") {
            Some(suffix) => format!("svc{}.{suffix}", rng.below(100)),
            None => rule_host.to_owned(),
        };
        let paths = &rule
            .http
            .as_ref()
            .map(|h| h.paths.as_slice())
            .unwrap_or(&[]);
        let base = paths
            .get(rng.below(paths.len().max(1)))
            .map(|p| p.path().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let (host, path) = match rng.below(10) {
            0 => (format!("nowhere-{}.example.net", rng.below(1000)), base),
            1 => (host, format!("{}x/unmatched", base.trim_end_matches('/'))),
            2 => (host.to_ascii_uppercase(), base),
            3 => (
                format!("{host}:8443"),
                format!("{base}?page={}", rng.below(50)),
            ),
            4 => (
                host,
                format!("{}/items/{}", base.trim_end_matches('/'), rng.below(10_000)),
            ),
            _ => (host, base),
        };
        out.push((host, path));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ingresses_and_the_mix_is_as_documented() {
        let scale = Scale {
            ingresses: 1000,
            namespaces: 100,
            seed: 7,
        };
        let a = ingresses(scale);
        assert_eq!(a, ingresses(scale));
        assert_eq!(a.len(), 1000);
        let namespaces: std::collections::BTreeSet<_> =
            a.iter().map(|i| i.metadata.namespace()).collect();
        assert_eq!(namespaces.len(), 100);
        let wildcards = a
            .iter()
            .filter(|i| i.spec.rules[0].host().is_some_and(|h| h.starts_with("*.")))
            .count();
        assert!(
            (50..200).contains(&wildcards),
            "{wildcards} wildcard Ingresses"
        );
        let opts = ingress_model::validation::ValidationOptions::default();
        for i in &a {
            let v = ingress_model::validation::validate_ingress(i, &opts);
            assert!(v.is_valid(), "{}: {:?}", i.key(), v.errors);
        }
        let r = requests(&a, 100, 1);
        assert_eq!(r, requests(&a, 100, 1));
    }
}
