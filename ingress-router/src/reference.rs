//! A naive reference matcher: the crate documentation's rules transcribed as a linear scan,
//! with nothing precomputed and nothing clever.
//!
//! It exists to be obviously right, so that the fast [`RouteTable`](crate::RouteTable) can be
//! checked against it (the crate's property tests, the fuzz targets, the benchmarks' baseline).
//! It shares only the input screening (class filter, validation, `ImplementationSpecific`
//! resolution) with the table; host and path normalisation, host group selection, path
//! matching, precedence and the default backend policy are written out again here.
//!
//! # Examples
//!
//! ```
//! use ingress_router::reference::{Outcome, Reference};
//! use ingress_router::{Config, RouteTable};
//! # use ingress_model::Ingress;
//! # let ingress: Ingress = serde_json::from_str(r#"{
//! #   "metadata": {"name": "web", "namespace": "default"},
//! #   "spec": {"rules": [{"host": "foo.com", "http": {"paths": [
//! #     {"path": "/api", "pathType": "Prefix",
//! #      "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}}]}
//! # }"#)?;
//! let ingresses = [ingress];
//! let reference = Reference::new(&Config::default(), &ingresses);
//! let table = RouteTable::builder().add_all(&ingresses).build().table;
//! for (host, path) in [("foo.com", "/api/x"), ("foo.com", "/apix"), ("bar.com", "/")] {
//!     assert_eq!(reference.find(host, path).outcome(), Outcome::of(&table.find_parts(host, path)));
//! }
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::cmp::Reverse;

use ingress_model::{Ingress, IngressBackend};

use crate::config::{Config, DefaultBackendPolicy, HostOwnership};
use crate::host::HostPattern;
use crate::matched::Decision;
use crate::normalize::PathNormalization;
use crate::path::MatchKind;
use crate::screen::{Screened, ScreenedPath, screen};
use ingress_model::IngressKey;

/// The reference matcher over a set of Ingresses.
pub struct Reference<'a> {
    config: Config,
    /// Served Ingresses, oldest first.
    ingresses: Vec<Screened<'a>>,
}

/// A decision of the reference matcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefDecision<'a> {
    /// A path rule matched.
    Route {
        /// The Ingress.
        source: IngressKey,
        /// `spec.rules[rule_index]`.
        rule_index: usize,
        /// `.http.paths[path_index]`.
        path_index: usize,
        /// The backend as written.
        backend: &'a IngressBackend,
    },
    /// A `spec.defaultBackend`.
    DefaultBackend {
        /// The Ingress.
        source: IngressKey,
        /// The backend as written.
        backend: &'a IngressBackend,
    },
    /// Nothing.
    NotFound,
}

/// What a decision says, without its payload, so the table and the reference can be compared.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Routed by `spec.rules[rule_index].http.paths[path_index]` of `source`.
    Route {
        /// The Ingress.
        source: IngressKey,
        /// Rule index.
        rule_index: usize,
        /// Path index.
        path_index: usize,
    },
    /// `source`'s `spec.defaultBackend`.
    DefaultBackend {
        /// The Ingress.
        source: IngressKey,
    },
    /// A redirect (the ingress-nginx profile only; the reference never redirects).
    Redirect {
        /// The status.
        status: u16,
    },
    /// Not found.
    NotFound,
}

impl Outcome {
    /// The outcome of a table's decision.
    pub fn of<B>(decision: &Decision<'_, B>) -> Outcome {
        match decision {
            Decision::Route(m) => Outcome::Route {
                source: m.source.clone(),
                rule_index: m.rule.rule_index(),
                path_index: m.rule.path_index(),
            },
            Decision::DefaultBackend(d) => Outcome::DefaultBackend {
                source: d.source.clone(),
            },
            Decision::Redirect(r) => Outcome::Redirect { status: r.status },
            Decision::NotFound => Outcome::NotFound,
        }
    }
}

impl RefDecision<'_> {
    /// Without the payload.
    pub fn outcome(&self) -> Outcome {
        match self {
            RefDecision::Route {
                source,
                rule_index,
                path_index,
                ..
            } => Outcome::Route {
                source: source.clone(),
                rule_index: *rule_index,
                path_index: *path_index,
            },
            RefDecision::DefaultBackend { source, .. } => Outcome::DefaultBackend {
                source: source.clone(),
            },
            RefDecision::NotFound => Outcome::NotFound,
        }
    }

    /// The backend, unless not found.
    pub fn backend(&self) -> Option<&IngressBackend> {
        match self {
            RefDecision::Route { backend, .. } | RefDecision::DefaultBackend { backend, .. } => {
                Some(backend)
            }
            RefDecision::NotFound => None,
        }
    }
}

impl std::fmt::Debug for Reference<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reference")
            .field("config", &self.config)
            .field(
                "ingresses",
                &self.ingresses.iter().map(|i| &i.key).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<'a> Reference<'a> {
    /// Screens the Ingresses (a later one replaces an earlier one with the same
    /// `namespace/name`) and sorts them oldest first.
    pub fn new<I>(config: &Config, ingresses: I) -> Self
    where
        I: IntoIterator<Item = &'a Ingress>,
    {
        let mut kept: Vec<Screened<'a>> = Vec::new();
        for ingress in ingresses {
            let s = screen(ingress, config);
            kept.retain(|k| k.key != s.key);
            kept.push(s);
        }
        kept.retain(|s| s.served);
        // Step 1: oldest first (creationTimestamp, then namespace/name).
        kept.sort_by(|a, b| (a.created, a.key.as_str()).cmp(&(b.created, b.key.as_str())));
        Reference {
            config: config.clone(),
            ingresses: kept,
        }
    }

    /// The decision for a request with this `Host` (as sent, `""` for none) and request target
    /// path (query allowed).
    pub fn find(&self, host: &str, path: &str) -> RefDecision<'a> {
        // Step 3: normalise.
        let (host, name) = normalize_host(host);
        let path = normalize_path(self.config.path_normalization, path);

        // Step 4: pick the group by its rule host string.
        let group = self.group_for(&host, name);

        let Some(group) = group else {
            // Section 5: no group. The oldest rule-less Ingress with a default backend, else the
            // oldest Ingress with one.
            let rule_less = self
                .ingresses
                .iter()
                .find(|i| i.rules.is_empty() && i.default_backend.is_some());
            let any = self.ingresses.iter().find(|i| i.default_backend.is_some());
            return self.default(rule_less.or(any));
        };

        // Host ownership: under `FirstNamespace`, only the namespace of the oldest Ingress with
        // a rule for a named host takes part in its group.
        let in_group = |i: &Screened<'a>| {
            i.rules
                .iter()
                .any(|r| r.host.to_rule_host().unwrap_or_default() == group)
        };
        let owner = self
            .ingresses
            .iter()
            .find(|i| in_group(i))
            .map(|i| i.key.namespace().to_owned());
        let takes_part = |i: &Screened<'a>| {
            self.config.host_ownership == HostOwnership::Shared
                || group.is_empty()
                || owner.as_deref() == Some(i.key.namespace())
        };

        // Step 5: the matching paths of the group, best first.
        let mut candidates = Vec::new();
        for ingress in self.ingresses.iter().filter(|i| takes_part(i)) {
            for rule in &ingress.rules {
                if rule.host.to_rule_host().unwrap_or_default() != group {
                    continue;
                }
                for p in &rule.paths {
                    let kind = p.pattern.kind();
                    let rule_path = if p.path.path().is_empty() {
                        "/"
                    } else {
                        p.path.path()
                    };
                    let matched = path_matches(p, rule_path, &path);
                    if matched {
                        let rank = (
                            kind != MatchKind::Exact,
                            Reverse(rule_path.len()),
                            ingress.created,
                            ingress.key.as_str(),
                            rule.index,
                            p.index,
                        );
                        candidates.push((rank, ingress, rule.index, p));
                    }
                }
            }
        }
        candidates.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some((_, ingress, rule_index, p)) = candidates.first() {
            return RefDecision::Route {
                source: ingress.key.clone(),
                rule_index: *rule_index,
                path_index: p.index,
                backend: &p.path.backend,
            };
        }

        // Section 5: a group but no path. The oldest Ingress contributing a rule to the group that has
        // a default backend.
        let contributor = self
            .ingresses
            .iter()
            .find(|i| i.default_backend.is_some() && in_group(i) && takes_part(i));
        self.default(contributor)
    }

    /// The rule host whose group a request for `host` selects: the host itself, else its
    /// wildcard, else the host-less group. Only a name (not an IP or an opaque host) can select
    /// a named group.
    fn group_for(&self, host: &str, name: bool) -> Option<String> {
        let rule_hosts: Vec<String> = self
            .ingresses
            .iter()
            .flat_map(|i| i.rules.iter())
            .map(|r| r.host.to_rule_host().unwrap_or_default())
            .collect();
        let has = |h: &str| rule_hosts.iter().any(|r| r == h);
        let wildcard = match host.find('.') {
            Some(dot) if name && dot > 0 => Some(format!("*.{}", &host[dot + 1..])),
            _ => None,
        };
        if name && has(host) {
            Some(host.to_owned())
        } else if let Some(w) = wildcard.filter(|w| has(w)) {
            Some(w)
        } else if has("") {
            Some(String::new())
        } else {
            None
        }
    }

    fn default(&self, ingress: Option<&Screened<'a>>) -> RefDecision<'a> {
        if self.config.default_backend == DefaultBackendPolicy::Ignore {
            return RefDecision::NotFound;
        }
        match ingress.and_then(|i| Some((i.key.clone(), i.default_backend?))) {
            Some((source, backend)) => RefDecision::DefaultBackend { source, backend },
            None => RefDecision::NotFound,
        }
    }

    /// The TLS entry for an SNI name: `(Ingress, tls index, secretName)`.
    pub fn certificate_for(&self, sni: &str) -> Option<(IngressKey, usize, Option<&'a str>)> {
        let sni = sni.strip_suffix('.').unwrap_or(sni).to_ascii_lowercase();
        let find = |name: &str| {
            // `self.ingresses` is oldest first; inside one, list order.
            self.ingresses.iter().find_map(|i| {
                i.tls.iter().find_map(|t| {
                    t.hosts
                        .iter()
                        .any(|(_, h)| h == name)
                        .then(|| (i.key.clone(), t.index, t.secret_name))
                })
            })
        };
        find(&sni).or_else(|| match sni.find('.') {
            Some(dot) if dot > 0 => find(&format!("*.{}", &sni[dot + 1..])),
            _ => None,
        })
    }

    /// The host pattern of every rule, for generators that derive requests from rules.
    pub fn rule_hosts(&self) -> Vec<HostPattern> {
        self.ingresses
            .iter()
            .flat_map(|i| i.rules.iter().map(|r| r.host.clone()))
            .collect()
    }
}

/// Crate docs, section 1, step by step: the host (port and one trailing dot gone, lower case)
/// and whether it is a name, the only kind of host that can select a named group.
fn normalize_host(host: &str) -> (String, bool) {
    let port = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    let host = if host.starts_with('[') {
        // An IP literal keeps its brackets; its port goes only if `]` is followed by `:digits`.
        match host.split_once(']') {
            Some((inside, "")) => format!("{inside}]"),
            Some((inside, rest)) if rest.strip_prefix(':').is_some_and(port) => {
                format!("{inside}]")
            }
            _ => host.to_owned(),
        }
    } else if host.matches(':').count() == 1 {
        match host.split_once(':') {
            Some((name, p)) if port(p) => name.to_owned(),
            _ => host.to_owned(),
        }
    } else {
        host.to_owned()
    };
    let host = host.strip_suffix('.').unwrap_or(&host);
    let name = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
    (host.to_ascii_lowercase(), name)
}

/// Sections 3 and 6: the path before `?` / `#`, `/` if empty, then the configured normalisation.
fn normalize_path(mode: PathNormalization, path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = if path.is_empty() { "/" } else { path };
    match mode {
        PathNormalization::None => path.to_owned(),
        PathNormalization::RemoveDotSegments => remove_dot_segments(path),
        PathNormalization::NginxLike | PathNormalization::Nginx => {
            // NginxLike decodes unreserved characters only; Nginx every ASCII one.
            let decodes = |b: u8| match mode {
                PathNormalization::Nginx => b.is_ascii(),
                _ => b.is_ascii_alphanumeric() || b"-._~".contains(&b),
            };
            let mut decoded = String::new();
            let mut rest = path;
            while let Some(c) = rest.chars().next() {
                let unreserved = rest
                    .get(1..3)
                    .filter(|_| c == '%')
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                    .filter(|&b| decodes(b));
                let (c, len) = match unreserved {
                    Some(b) => (char::from(b), 3),
                    None => (c, c.len_utf8()),
                };
                if !(c == '/' && decoded.ends_with('/')) {
                    decoded.push(c);
                }
                rest = &rest[len..];
            }
            remove_dot_segments(&decoded)
        }
    }
}

/// RFC 3986 section 5.2.4, step by step as the RFC writes it.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path.to_owned();
    let mut output = String::new();
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            input = rest.to_owned(); // A
        } else if input.starts_with("/./") || input == "/." {
            input = format!("/{}", &input[input.len().min(3)..]); // B
        } else if input.starts_with("/../") || input == "/.." {
            input = format!("/{}", &input[input.len().min(4)..]); // C
            let cut = output.rfind('/').unwrap_or(0);
            output.truncate(cut);
        } else if input == "." || input == ".." {
            input.clear(); // D
        } else {
            // E
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            output.push_str(&input[..end]);
            input = input[end..].to_owned();
        }
    }
    output
}

/// Whether a path rule (its path as written, `""` read as `/`) matches the normalised request
/// path, by the rule's match kind, spelled out string by string.
fn path_matches(p: &ScreenedPath<'_>, rule_path: &str, path: &str) -> bool {
    match p.pattern.kind() {
        MatchKind::Exact => path == rule_path,
        MatchKind::Prefix => {
            let trimmed = rule_path.strip_suffix('/').unwrap_or(rule_path);
            rule_path == "/" || path == trimmed || path.starts_with(&format!("{trimmed}/"))
        }
        MatchKind::StringPrefix => path.starts_with(rule_path),
        _ => p.pattern.matches(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_normalisation() {
        assert_eq!(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
        assert_eq!(remove_dot_segments("mid/content=5/../6"), "mid/6");
        assert_eq!(remove_dot_segments("/a/."), "/a/");
        assert_eq!(remove_dot_segments("/.."), "/");
        assert_eq!(normalize_host("[::1]:80"), ("[::1]".to_owned(), false));
        assert_eq!(normalize_host("[foo.com"), ("[foo.com".to_owned(), false));
        assert_eq!(
            normalize_host("user@foo.com"),
            ("user@foo.com".to_owned(), false)
        );
        assert_eq!(
            normalize_host("Foo.COM.:8080"),
            ("foo.com".to_owned(), true)
        );
        assert_eq!(
            normalize_path(PathNormalization::NginxLike, "//a/%7e/%2E%2E/b?q"),
            "/a/b"
        );
    }
}
