//! Property tests: the table agrees with the reference matcher (`ingress_router::reference`)
//! on random rule sets and requests derived from them, its answers do not depend on the order
//! the Ingresses were added, and random chains of incremental updates answer like a rebuild,
//! payloads included, and report every Ingress whose diagnostics they change.
//!
//! Case counts are kept modest so the suite stays fast in debug builds; raise them with
//! `PROPTEST_CASES`.

use ingress_model::{
    HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressTls,
    PathType, Timestamp,
};
use ingress_router::reference::{Outcome, Reference};
use ingress_router::{
    ClassFilter, Config, DefaultBackendPolicy, HostOwnership, HostPattern, ImplementationSpecific,
    IngressKey, PathNormalization, RequestView, RouteTable, Validation,
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
    /// 0: no class; 1: `ingressClassName: ours`; 2: `theirs`; 3: the annotation, `ours`.
    class: usize,
    /// An ingress-nginx annotation set (`NGINX_ANNOTATIONS`); the spec profile ignores them.
    nginx: usize,
}

/// What the ingress-nginx profile reads, one set per Ingress.
const NGINX_ANNOTATIONS: &[&[(&str, &str)]] = &[
    &[],
    &[],
    &[("use-regex", "true")],
    &[("rewrite-target", "/")],
    &[("canary", "true"), ("canary-by-header", "x-canary")],
    &[("app-root", "/a")],
    &[("ssl-redirect", "false")],
];

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
        prop::sample::select(vec![0, 0, 1, 2, 3]),
        0..NGINX_ANNOTATIONS.len(),
    )
        .prop_map(
            |(namespace, created, rules, default, tls, class, nginx)| GenIngress {
                namespace,
                created,
                rules,
                default,
                tls,
                class,
                nginx,
            },
        )
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
    match g.class {
        1 => ing.spec.ingress_class_name = Some("ours".to_owned()),
        2 => ing.spec.ingress_class_name = Some("theirs".to_owned()),
        3 => {
            ing.metadata
                .annotations
                .insert("kubernetes.io/ingress.class".to_owned(), "ours".to_owned());
        }
        _ => {}
    }
    for (k, v) in NGINX_ANNOTATIONS[g.nginx] {
        ing.metadata
            .annotations
            .insert(format!("nginx.ingress.kubernetes.io/{k}"), (*v).to_owned());
    }
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
    let modes = vec![
        ImplementationSpecific::Prefix,
        ImplementationSpecific::Exact,
        ImplementationSpecific::StringPrefix,
        ImplementationSpecific::Regex,
    ];
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
        prop::sample::select(vec![
            ClassFilter::all(),
            ClassFilter::classes(["ours"]),
            ClassFilter::classes(["ours"]).accept_classless(true),
        ]),
        prop::sample::select(vec![Validation::default(), Validation::Trusted]),
        prop::sample::select(vec![HostOwnership::Shared, HostOwnership::FirstNamespace]),
    )
        .prop_map(
            |(
                implementation_specific,
                normalization,
                default_backend,
                classes,
                validation,
                ownership,
            )| {
                Config::default()
                    .implementation_specific(implementation_specific)
                    .path_normalization(normalization)
                    .default_backend(default_backend)
                    .classes(classes)
                    .validation(validation)
                    .host_ownership(ownership)
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

/// What a request sees: the decision, the payload, and (ingress-nginx profile) the canary's
/// Ingress and the rewritten target.
type Seen = (
    Outcome,
    Option<IngressBackend>,
    Option<IngressKey>,
    Option<String>,
);

/// Each request's [`Seen`]: an update that kept a stale backend or attachment differs here.
fn outcomes(table: &RouteTable<IngressBackend>, hosts: &[String], paths: &[String]) -> Vec<Seen> {
    hosts
        .iter()
        .flat_map(|h| paths.iter().map(move |p| (h, p)))
        .map(|(h, p)| {
            let view = RequestView::new(h, p);
            let d = table.find(&view);
            (
                Outcome::of(&d),
                d.backend().cloned(),
                d.canary().map(|c| c.source.clone()),
                d.rewrite().map(|r| r.upstream_target(&view)),
            )
        })
        .collect()
}

/// One step of a controller's life.
#[derive(Clone, Debug)]
enum Op {
    /// Add a new Ingress, or replace the one with this name.
    Put(GenIngress),
    /// The same Ingress with every backend renamed (same rules, new payloads).
    Rebackend,
    /// Delete.
    Delete,
}

fn gen_op() -> impl Strategy<Value = (usize, Op)> {
    (
        0..6usize,
        prop_oneof![
            3 => gen_ingress().prop_map(Op::Put),
            1 => Just(Op::Rebackend),
            2 => Just(Op::Delete),
        ],
    )
}

/// Renames every backend Service (`s3` -> `s3-r`).
fn rebackend(ingress: &mut Ingress) {
    let rename = |b: &mut IngressBackend| {
        if let Some(s) = &mut b.service {
            s.name.push_str("-r");
        }
    };
    if let Some(b) = &mut ingress.spec.default_backend {
        rename(b);
    }
    for r in &mut ingress.spec.rules {
        for p in r.http.iter_mut().flat_map(|h| h.paths.iter_mut()) {
            rename(&mut p.backend);
        }
    }
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
        same_in_any_order(&ingresses, &shuffled, config)?;
    }

    #[test]
    fn update_chains_answer_like_a_rebuild(
        ingresses in corpus(),
        ops in prop::collection::vec(gen_op(), 1..8),
        config in gen_config(),
    ) {
        updates_answer_like_a_rebuild(ingresses, ops, config)?;
    }
}

// The ingress-nginx profile: fewer cases (each update rebuilds its servers), the same properties.
proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn insertion_order_does_not_matter_to_the_ingress_nginx_profile(
        (ingresses, shuffled) in corpus().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        same_in_any_order(&ingresses, &shuffled, Config::ingress_nginx())?;
    }

    #[test]
    fn ingress_nginx_update_chains_answer_like_a_rebuild(
        ingresses in corpus(),
        ops in prop::collection::vec(gen_op(), 1..8),
    ) {
        updates_answer_like_a_rebuild(ingresses, ops, Config::ingress_nginx())?;
    }
}

/// The same Ingresses in two orders build the same table.
fn same_in_any_order(
    ingresses: &[Ingress],
    shuffled: &[Ingress],
    config: Config,
) -> Result<(), TestCaseError> {
    let a = RouteTable::builder()
        .config(config.clone())
        .add_all(ingresses)
        .build();
    let b = RouteTable::builder()
        .config(config)
        .add_all(shuffled)
        .build();
    let hosts = request_hosts(ingresses);
    let paths = request_paths(ingresses);
    prop_assert_eq!(
        outcomes(&a.table, &hosts, &paths),
        outcomes(&b.table, &hosts, &paths)
    );
    prop_assert_eq!(a.diagnostics, b.diagnostics);
    Ok(())
}

/// A chain of updates answers like a table built from scratch after each step, and says whose
/// diagnostics changed.
fn updates_answer_like_a_rebuild(
    ingresses: Vec<Ingress>,
    ops: Vec<(usize, Op)>,
    config: Config,
) -> Result<(), TestCaseError> {
    let mut set: Vec<Option<Ingress>> = ingresses.into_iter().map(Some).collect();
    set.resize(6, None);
    let live = |set: &[Option<Ingress>]| set.iter().flatten().cloned().collect::<Vec<_>>();
    let mut table = RouteTable::builder()
        .config(config.clone())
        .add_all(&live(&set))
        .build()
        .table;
    for (at, op) in ops {
        let before = table.clone();
        let built = match op {
            Op::Put(g) => {
                let mut ing = to_ingress(at, &g);
                // Keep the namespace of an existing Ingress: the same object, changed.
                if let Some(old) = &set[at] {
                    ing.metadata.namespace = old.metadata.namespace.clone();
                }
                set[at] = Some(ing.clone());
                table.with_ingress(&ing)
            }
            Op::Rebackend => match &mut set[at] {
                Some(ing) => {
                    rebackend(ing);
                    table.with_ingress(ing)
                }
                None => continue,
            },
            Op::Delete => match set[at].take() {
                Some(ing) => table.without_ingress(&IngressKey::of(&ing)),
                None => table.without_ingress(&IngressKey::new("a", "absent")),
            },
        };
        table = built.table;
        let now = live(&set);
        let rebuilt = RouteTable::builder()
            .config(config.clone())
            .add_all(&now)
            .build()
            .table;
        let mut all = now.clone();
        all.extend(set.iter().flatten().cloned());
        let hosts = request_hosts(&all);
        let paths = request_paths(&all);
        prop_assert_eq!(
            outcomes(&table, &hosts, &paths),
            outcomes(&rebuilt, &hosts, &paths)
        );
        for h in &hosts {
            prop_assert_eq!(table.certificate_for(h), rebuilt.certificate_for(h));
        }
        prop_assert_eq!(table.diagnostics(), rebuilt.diagnostics());

        // `changed` names every Ingress whose diagnostics moved, and `diagnostics` holds
        // exactly theirs.
        let keys: std::collections::BTreeSet<IngressKey> = before
            .ingresses()
            .chain(table.ingresses())
            .cloned()
            .collect();
        for key in &keys {
            if before.diagnostics_for(key) != table.diagnostics_for(key) {
                prop_assert!(
                    built.changed.contains(key),
                    "{} not reported as changed",
                    key
                );
            }
        }
        let reported: Vec<_> = built
            .changed
            .iter()
            .flat_map(|k| table.diagnostics_for(k))
            .collect();
        prop_assert_eq!(&built.diagnostics, &reported);
    }
    Ok(())
}
