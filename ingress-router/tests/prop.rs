//! Property tests: the table agrees with the reference matcher (`ingress_router::reference`)
//! on random rule sets and requests derived from them, its answers do not depend on the order
//! the Ingresses were added, and incremental updates answer like a rebuild.
//!
//! Case counts are kept modest so the suite stays fast in debug builds; raise them with
//! `PROPTEST_CASES`.

use ingress_model::{
    HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressTls,
    PathType, Timestamp,
};
use ingress_router::reference::{Outcome, Reference};
use ingress_router::{
    Config, DefaultBackendPolicy, HostPattern, ImplementationSpecific, IngressKey,
    PathNormalization, RequestView, RouteTable, Validation,
};
use proptest::prelude::*;

/// Rule hosts: exact, wildcard, overlapping, and none; then ones validation refuses, for
/// `Validation::Trusted` tables: upper case, and longer than a DNS name can be (which the table
/// refuses even then).
const HOSTS: &[&str] = &[
    "foo.com",
    "bar.foo.com",
    "*.foo.com",
    "x.bar.com",
    "*.bar.com",
    "*.x.bar.com",
    "Up.foo.com",
    LONG_HOST,
    LONG_WILDCARD,
];

/// 263 bytes.
const LONG_HOST: &str = concat!(
    "abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.",
    "abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.",
    "abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.",
    "abcdefghi.abcdefghi.foo.com"
);
const LONG_WILDCARD: &str = concat!(
    "*.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.",
    "abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.",
    "abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.",
    "abcdefghi.abcdefghi.foo.com"
);

/// Path segments for rules, including the characters matchit treats specially.
const SEGMENTS: &[&str] = &["a", "b", "ab", "a.b", "{x}", "x}", "%2F", "*", "A"];

#[derive(Clone, Debug)]
struct GenPath {
    path_type: usize,
    path: String,
    backend: u8,
}

#[derive(Clone, Debug)]
struct GenRule {
    host: Option<usize>,
    http: Option<Vec<GenPath>>,
}

#[derive(Clone, Debug)]
struct GenIngress {
    namespace: usize,
    created: Option<i64>,
    rules: Vec<GenRule>,
    default: Option<u8>,
    tls: Vec<(Vec<usize>, Option<u8>)>,
}

fn rule_path() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(SEGMENTS), 0..4),
        any::<bool>(),
    )
        .prop_map(|(segments, slash)| {
            let mut p = format!("/{}", segments.join("/"));
            if slash && !segments.is_empty() {
                p.push('/');
            }
            p
        })
}

fn gen_path() -> impl Strategy<Value = GenPath> {
    (0..3usize, rule_path(), any::<bool>(), 0..8u8).prop_map(|(path_type, path, empty, backend)| {
        // An empty ImplementationSpecific path is allowed (and reads as `/`).
        let path = if path_type == 2 && empty && path == "/" {
            String::new()
        } else {
            path
        };
        GenPath {
            path_type,
            path,
            backend,
        }
    })
}

fn gen_rule() -> impl Strategy<Value = GenRule> {
    (
        // The first six (valid) hosts most of the time.
        prop::option::weighted(0.8, prop_oneof![8 => 0..6usize, 1 => 6..HOSTS.len()]),
        prop::option::weighted(0.9, prop::collection::vec(gen_path(), 1..4)),
    )
        .prop_map(|(host, http)| GenRule { host, http })
}

fn gen_ingress() -> impl Strategy<Value = GenIngress> {
    (
        0..3usize,
        prop::option::weighted(0.8, 0..3i64),
        prop::collection::vec(gen_rule(), 0..4),
        prop::option::weighted(0.3, 0..8u8),
        prop::collection::vec(
            (
                prop::collection::vec(0..HOSTS.len(), 0..3),
                prop::option::weighted(0.8, 0..4u8),
            ),
            0..2,
        ),
    )
        .prop_map(|(namespace, created, rules, default, tls)| GenIngress {
            namespace,
            created,
            rules,
            default,
            tls,
        })
}

fn to_ingress(i: usize, g: &GenIngress) -> Ingress {
    const NAMESPACES: &[&str] = &["a", "a-b", "b"];
    let backend = |n: u8| IngressBackend::service(format!("s{n}"), 80);
    let mut ing = Ingress::default();
    ing.metadata.name = Some(format!("i{i}"));
    ing.metadata.namespace = Some(NAMESPACES[g.namespace].to_owned());
    ing.metadata.creation_timestamp = g
        .created
        .map(|t| Timestamp::from_unix_seconds(1_700_000_000 + t));
    ing.spec.default_backend = g.default.map(backend);
    for r in &g.rules {
        ing.spec.rules.push(IngressRule {
            host: r.host.map(|h| HOSTS[h].to_owned()),
            http: r.http.as_ref().map(|paths| HttpIngressRuleValue {
                paths: paths
                    .iter()
                    .map(|p| HttpIngressPath {
                        path: Some(p.path.clone()),
                        path_type: Some(
                            [
                                PathType::Exact,
                                PathType::Prefix,
                                PathType::ImplementationSpecific,
                            ][p.path_type]
                                .clone(),
                        ),
                        backend: backend(p.backend),
                    })
                    .collect(),
            }),
        });
    }
    for (hosts, secret) in &g.tls {
        ing.spec.tls.push(IngressTls {
            hosts: hosts.iter().map(|&h| HOSTS[h].to_owned()).collect(),
            secret_name: secret.map(|s| format!("cert{s}")),
        });
    }
    ing
}

fn gen_config() -> impl Strategy<Value = Config> {
    #[cfg_attr(not(feature = "regex"), allow(unused_mut))]
    let mut modes = vec![
        ImplementationSpecific::Prefix,
        ImplementationSpecific::Exact,
        ImplementationSpecific::StringPrefix,
    ];
    #[cfg(feature = "regex")]
    modes.push(ImplementationSpecific::Regex);
    (
        prop::sample::select(modes),
        prop::sample::select(vec![
            PathNormalization::RemoveDotSegments,
            PathNormalization::None,
            PathNormalization::NginxLike,
        ]),
        prop::sample::select(vec![
            DefaultBackendPolicy::SpecPerIngress,
            DefaultBackendPolicy::Ignore,
        ]),
        prop::bool::weighted(0.25),
    )
        .prop_map(
            |(implementation_specific, normalization, default_backend, trusted)| {
                let config = Config::default()
                    .implementation_specific(implementation_specific)
                    .path_normalization(normalization)
                    .default_backend(default_backend);
                if trusted {
                    config.validation(Validation::Trusted)
                } else {
                    config
                }
            },
        )
}

/// Request hosts derived from the rule hosts: as written, in upper case, with a port and a
/// trailing dot, one label under a wildcard, two labels under it, the bare suffix, and
/// strangers; then malformed ones (crate docs, section 1): brackets closed, unclosed and stray,
/// userinfo, empty labels, several colons, non-digit ports, spaces, non-ASCII, `%`, `*`, very
/// long names, IPv6 literals with and without brackets.
fn request_hosts(ingresses: &[Ingress]) -> Vec<String> {
    let long = "x".repeat(300);
    let mut out: Vec<String> = [
        "",
        "other.com",
        "203.0.113.9",
        "[::1]:80",
        "[::1]",
        "[::1",
        "::1",
        "2001:db8::1",
        "[2001:db8::1]:443",
        "[2001:db8::1]x",
        "[",
        "]",
        "[]",
        "@",
        ":",
        ":80",
        ".",
        "..",
        "\u{fffd}",
    ]
    .map(str::to_owned)
    .into();
    out.push(long.clone());
    out.push(long.to_ascii_uppercase());
    for h in ingresses
        .iter()
        .flat_map(|i| i.spec.rules.iter().filter_map(|r| r.host.clone()))
    {
        match h.strip_prefix("*.") {
            Some(suffix) => {
                let upper = suffix.to_ascii_uppercase();
                out.push(format!("w.{suffix}"));
                out.push(format!("W.{upper}.:8080"));
                out.push(format!("a.b.{suffix}"));
                out.push(suffix.to_owned());
                out.push(format!(".{suffix}"));
                out.push(format!("w..{suffix}"));
                out.push(format!("user@w.{suffix}"));
                out.push(format!("[w.{suffix}"));
                out.push(format!("[w.{suffix}]"));
                out.push(format!("w]{suffix}"));
                out.push(format!("w.{suffix}:http"));
                out.push(format!("w.{suffix}:80:90"));
                out.push(format!("w:1.{suffix}"));
                out.push(format!("w_x~y.{suffix}"));
                out.push(format!("w!.{suffix}"));
                out.push(format!("w%41.{suffix}"));
                out.push(format!("w y.{suffix}"));
                out.push(format!("\u{fc}.{suffix}"));
                out.push(format!("*.{suffix}"));
                out.push(h.clone());
                out.push(format!("{long}.{suffix}"));
                out.push(format!("{}.{upper}", long.to_ascii_uppercase()));
            }
            None => {
                out.push(h.to_ascii_uppercase());
                out.push(h.to_ascii_lowercase());
                out.push(format!("{h}.:443"));
                out.push(format!("{h}.."));
                out.push(format!("sub.{h}"));
                out.push(format!("{h}:"));
                out.push(format!("{h}:8a"));
                out.push(format!("{h}:80:90"));
                out.push(format!("{h}::"));
                out.push(format!("[{h}"));
                out.push(format!("{h}]"));
                out.push(format!("[{h}]"));
                out.push(format!("[{h}]:80"));
                out.push(format!("user@{h}"));
                out.push(format!("user:pw@{h}:80"));
                out.push(format!("{h}@evil.com"));
                out.push(format!(" {h}"));
                out.push(format!("{h}\t"));
                out.push(format!("{h}\u{fc}"));
                out.push(format!("{h}%2e"));
                out.push(format!("{}.{h}", long.to_ascii_uppercase()));
                out.push(h);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Arbitrary hosts from pieces of names and of every malformation the normalisation handles.
fn odd_host() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "foo", "bar", "com", "x", "FOO", "Bar", ".", "..", ":", "80", "8a", "[", "]", "::1", "@",
        "user", "_", "~", "-", "%41", "*", " ", "\t", "\u{fc}", "\u{fffd}", "!", "/",
    ];
    prop::collection::vec(prop::sample::select(PIECES), 0..8).prop_map(|p| p.concat())
}

/// Request paths derived from the rule paths: the path itself, with `/`, with a suffix, upper
/// case, a sibling (`/foobar` for `/foo`), its parent, with dot segments, with a query.
fn request_paths(ingresses: &[Ingress]) -> Vec<String> {
    let mut out = vec![
        "/".to_owned(),
        String::new(),
        "/zzz".to_owned(),
        "*".to_owned(),
    ];
    for p in ingresses.iter().flat_map(|i| {
        i.spec
            .rules
            .iter()
            .flat_map(|r| r.http.iter().flat_map(|h| h.paths.iter().map(|p| p.path())))
    }) {
        let trimmed = p.strip_suffix('/').unwrap_or(p);
        out.push(p.to_owned());
        out.push(format!("{trimmed}/"));
        out.push(trimmed.to_owned());
        out.push(format!("{trimmed}/x"));
        out.push(format!("{p}bar"));
        out.push(p.to_ascii_uppercase());
        out.push(format!("/q/..{p}"));
        out.push(format!("{trimmed}/./y"));
        out.push(format!("/{p}"));
        out.push(format!("{p}?a=/b"));
        if let Some(cut) = trimmed.rfind('/') {
            out.push(trimmed[..cut].to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

fn outcomes(
    table: &RouteTable<IngressBackend>,
    hosts: &[String],
    paths: &[String],
) -> Vec<Outcome> {
    hosts
        .iter()
        .flat_map(|h| paths.iter().map(move |p| (h, p)))
        .map(|(h, p)| Outcome::of(&table.find(&RequestView::new(h, p))))
        .collect()
}

fn corpus() -> impl Strategy<Value = Vec<Ingress>> {
    prop::collection::vec(gen_ingress(), 1..6).prop_map(|gs| {
        gs.iter()
            .enumerate()
            .map(|(i, g)| to_ingress(i, g))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn table_agrees_with_reference(
        ingresses in corpus(),
        config in gen_config(),
        odd in prop::collection::vec(odd_host(), 0..8),
    ) {
        let table = RouteTable::builder().config(config.clone()).add_all(&ingresses).build().table;
        let reference = Reference::new(&config, &ingresses);
        let mut hosts = request_hosts(&ingresses);
        hosts.extend(odd);
        let paths = request_paths(&ingresses);
        for h in &hosts {
            for p in &paths {
                let got = table.find(&RequestView::new(h, p));
                let want = reference.find(h, p);
                prop_assert_eq!(
                    Outcome::of(&got), want.outcome(),
                    "host {:?} path {:?}\n{:?}", h, p, table.explain(&RequestView::new(h, p))
                );
                prop_assert_eq!(got.backend(), want.backend());
                // An explanation's best candidate is the route.
                let explained = table.explain(&RequestView::new(h, p));
                prop_assert_eq!(
                    explained.candidates.first().map(|m| m.rule.origin()),
                    got.rule().map(|r| r.origin())
                );
            }
        }
        // The third reading of section 1: a selected group's pattern matches the host.
        for h in &hosts {
            let explained = table.explain(&RequestView::new(h, "/"));
            if let Some(group) = &explained.host_group {
                prop_assert!(HostPattern::from_rule(Some(group)).matches(h), "{:?} in {:?}", h, group);
            }
        }
        for h in &hosts {
            let got = table
                .certificate_for(h)
                .map(|c| (c.source.clone(), c.tls_index, c.secret_name));
            prop_assert_eq!(got, reference.certificate_for(h), "sni {:?}", h);
        }
    }

    #[test]
    fn insertion_order_does_not_matter(
        (ingresses, shuffled) in corpus().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        config in gen_config(),
    ) {
        let a = RouteTable::builder().config(config.clone()).add_all(&ingresses).build();
        let b = RouteTable::builder().config(config).add_all(&shuffled).build();
        let hosts = request_hosts(&ingresses);
        let paths = request_paths(&ingresses);
        prop_assert_eq!(outcomes(&a.table, &hosts, &paths), outcomes(&b.table, &hosts, &paths));
        prop_assert_eq!(a.diagnostics, b.diagnostics);
    }

    #[test]
    fn updates_answer_like_a_rebuild(
        ingresses in corpus(),
        replacement in gen_ingress(),
        which in any::<prop::sample::Index>(),
        config in gen_config(),
    ) {
        let hosts = request_hosts(&ingresses);
        let paths = request_paths(&ingresses);
        let full = RouteTable::builder().config(config.clone()).add_all(&ingresses).build().table;

        // Replace one Ingress with a different one of the same name.
        let at = which.index(ingresses.len());
        let mut changed = ingresses.clone();
        changed[at] = to_ingress(at, &replacement);
        changed[at].metadata.namespace = ingresses[at].metadata.namespace.clone();
        let updated = full.with_ingress(&changed[at]).table;
        let rebuilt = RouteTable::builder().config(config.clone()).add_all(&changed).build().table;
        let mut hosts2 = hosts.clone();
        hosts2.extend(request_hosts(&changed));
        let mut paths2 = paths.clone();
        paths2.extend(request_paths(&changed));
        prop_assert_eq!(outcomes(&updated, &hosts2, &paths2), outcomes(&rebuilt, &hosts2, &paths2));
        let mut d1 = updated.diagnostics();
        let mut d2 = rebuilt.diagnostics();
        d1.sort_by_key(|d| d.to_string());
        d2.sort_by_key(|d| d.to_string());
        prop_assert_eq!(d1, d2);

        // Remove it.
        let removed = full.without_ingress(&IngressKey::of(&ingresses[at])).table;
        let mut rest = ingresses.clone();
        rest.remove(at);
        let rebuilt = RouteTable::builder().config(config).add_all(&rest).build().table;
        prop_assert_eq!(outcomes(&removed, &hosts, &paths), outcomes(&rebuilt, &hosts, &paths));
        for h in &hosts {
            prop_assert_eq!(removed.certificate_for(h), rebuilt.certificate_for(h));
        }
    }
}
