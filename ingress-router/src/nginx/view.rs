//! [`NginxView`]: the servers ingress-nginx would generate for a table's Ingresses, the
//! canaries attached to their upstreams, and the decisions nginx makes with them.
//!
//! ingress-nginx regenerates its whole configuration on every change, and a few of its rules
//! reach across hosts (the catch-all's default backend, canaries attached by Service); so is
//! this view rebuilt whole on every table update, from the table's compiled Ingresses and host
//! groups: an update of a profile `IngressNginx` table costs a pass over all its Ingresses.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::compile::IngressEntry;
use crate::error::{Diagnostic, DiagnosticKind, Skipped};
use crate::group::{Contributor, HostGroup};
use crate::host::{HostPattern, MAX_HOST_LEN, ascii_lowercase, wildcard_suffix};
use crate::matched::{Decision, DefaultMatch, Match};
use crate::nginx::NginxOptions;
use crate::nginx::canary::{Canary, CanaryRules};
use crate::nginx::redirect::{Redirect, RedirectKind};
use crate::nginx::server::{Found, Location, Placeholder, Server, Target};
use crate::request::{RequestView, Scheme};
use crate::rule::RouteRef;
use crate::shard::TableHasher;

/// The servers, by host, with the catch-all `_` first.
pub(crate) struct NginxView<B> {
    servers: Vec<Server<B>>,
    by_host: HashMap<HostPattern, u32, TableHasher>,
    /// The exact hosts and the wildcards' suffixes (`foo.com` for `*.foo.com`) whose server has
    /// a certificate: what an HTTPS redirect looks up per request, without allocating.
    certified: (
        HashSet<Box<str>, TableHasher>,
        HashSet<Box<str>, TableHasher>,
    ),
    canaries: HashMap<Arc<str>, Attachment<B>, TableHasher>,
    options: NginxOptions,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// A canary attached to a primary upstream.
struct Attachment<B> {
    entry: Arc<IngressEntry<B>>,
    /// The canary's path; `None` when it attached by its `defaultBackend`.
    route: Option<RouteRef<B>>,
    rules: Arc<CanaryRules>,
}

/// Where a decision of the view lives, so that it can be made owned: the view and the outcome.
pub(crate) type Handle<'t, B> = Option<(&'t Arc<NginxView<B>>, Outcome)>;

/// What nginx does with one request, as indices into the view: `Copy`, so an owned decision
/// keeps it beside the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    server: u32,
    location: u32,
    kind: OutcomeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutcomeKind {
    /// The location serves (its target: a route, a default backend or the 404).
    Serve,
    AddSlash,
    AppRoot,
    Https,
    RewriteRedirect,
    NotFound,
}

/// ingress-nginx's Ingress order: `creationTimestamp` ascending, then `namespace/name`
/// descending (`sortIngressSlice`).
pub(crate) fn nginx_order<B>(a: &IngressEntry<B>, b: &IngressEntry<B>) -> std::cmp::Ordering {
    a.created
        .cmp(&b.created)
        .then_with(|| b.key.as_str().cmp(a.key.as_str()))
}

impl<B> NginxView<B> {
    /// The view of these Ingresses and host groups.
    pub(crate) fn build<'a>(
        entries: impl Iterator<Item = &'a Arc<IngressEntry<B>>>,
        groups: impl Iterator<Item = &'a HostGroup<B>>,
        options: &NginxOptions,
    ) -> Self
    where
        B: 'a,
    {
        let mut diagnostics = Vec::new();
        let mut entries: Vec<&Arc<IngressEntry<B>>> = entries.collect();
        entries.sort_by(|a, b| nginx_order(a, b));
        // The catch-all's default backend: the first rule-less, non-canary Ingress with one.
        let catch_all = entries
            .iter()
            .find(|e| !e.is_canary() && !e.has_rules && e.default_backend.is_some())
            .map(|e| (*e).clone());

        let mut servers = Vec::new();
        let mut by_host = HashMap::default();
        let mut any_group = None;
        for group in groups {
            if group.pattern == HostPattern::Any {
                any_group = Some(group);
                continue;
            }
            let mut contributors: Vec<&Contributor<B>> = group.contributors.iter().collect();
            contributors.sort_by(|a, b| nginx_order(&a.entry, &b.entry));
            let Some(creator) = contributors.first() else {
                continue;
            };
            let placeholder = Placeholder::of_host(&creator.entry);
            let server = Server::build(
                group.pattern.clone(),
                &contributors,
                placeholder,
                &mut diagnostics,
            );
            by_host.insert(group.pattern.clone(), servers.len() as u32 + 1);
            servers.push(server);
        }
        let mut any: Vec<&Contributor<B>> = any_group
            .map(|g| g.contributors.iter().collect())
            .unwrap_or_default();
        any.sort_by(|a, b| nginx_order(&a.entry, &b.entry));
        let catch_all_server = Server::build(
            HostPattern::Any,
            &any,
            Placeholder::catch_all(catch_all),
            &mut diagnostics,
        );
        servers.insert(0, catch_all_server);
        by_host.insert(HostPattern::Any, 0);

        let mut certified = (HashSet::default(), HashSet::default());
        for s in servers.iter().filter(|s| s.has_cert) {
            match &s.pattern {
                HostPattern::Exact(h) => {
                    certified.0.insert(Box::from(&**h));
                }
                HostPattern::Wildcard(w) => {
                    certified
                        .1
                        .insert(Box::from(w.strip_prefix("*.").unwrap_or(w)));
                }
                HostPattern::Any => {}
            }
        }
        let mut view = NginxView {
            servers,
            by_host,
            certified,
            canaries: HashMap::default(),
            options: options.clone(),
            diagnostics,
        };
        for canary in entries.iter().filter(|e| e.is_canary()) {
            view.attach(canary);
        }
        view
    }

    /// Attaches a canary Ingress to the upstreams of the locations it names
    /// (`mergeAlternativeBackends`): by its `defaultBackend` to every location of the
    /// catch-all server, by each path to the locations of its host with the same path and
    /// type. The first canary of an upstream wins.
    fn attach(&mut self, entry: &Arc<IngressEntry<B>>) {
        let Some(rules) = entry.nginx.as_ref().and_then(|a| a.canary.clone()) else {
            return;
        };
        let mut unused: Vec<(String, String)> = Vec::new();
        if let Some(upstream) = &entry.default_upstream {
            let targets: Vec<Arc<str>> = self.servers[0]
                .locations
                .iter()
                .filter_map(|l| l.upstream.clone())
                .filter(|u| u != upstream)
                .collect();
            if targets.is_empty() {
                unused.push((
                    "spec.defaultBackend".into(),
                    "no location of the catch-all server has a Service to attach to".into(),
                ));
            }
            for target in targets {
                self.canaries.entry(target).or_insert_with(|| Attachment {
                    entry: entry.clone(),
                    route: None,
                    rules: rules.clone(),
                });
            }
        }
        for contribution in &entry.canary {
            let host = contribution.host.to_rule_host().unwrap_or_default();
            let server = self.by_host.get(&contribution.host).copied();
            for route in RouteRef::all(&contribution.routes) {
                let rule = &route.rule;
                let Some(server) = server else {
                    unused.push((
                        rule.field(),
                        format!("no Ingress serves host {host:?}: the canary gets no traffic"),
                    ));
                    continue;
                };
                let exact_type = *rule.path_type() == ingress_model::PathType::Exact;
                let targets: Vec<Arc<str>> = self.servers[server as usize]
                    .locations
                    .iter()
                    .filter(|l| &*l.original == rule.pattern().path() && l.exact_type == exact_type)
                    .filter_map(|l| l.upstream.clone())
                    .filter(|u| Some(u) != route.upstream.as_ref())
                    .collect();
                if targets.is_empty() {
                    unused.push((
                        rule.field(),
                        format!(
                            "host {host:?} has no location with path {:?} and pathType {}: \
                             the canary gets no traffic",
                            rule.path(),
                            rule.path_type()
                        ),
                    ));
                }
                for target in targets {
                    self.canaries.entry(target).or_insert_with(|| Attachment {
                        entry: entry.clone(),
                        route: Some(route.clone()),
                        rules: rules.clone(),
                    });
                }
            }
        }
        for (field, reason) in unused {
            self.diagnostics.push(Diagnostic {
                source: entry.key.clone(),
                field,
                skipped: Skipped::Nothing,
                kind: DiagnosticKind::CanaryUnused(reason),
            });
        }
    }

    /// The server nginx picks for a request host that selected `group` (the table's host
    /// selection, which ingress-nginx's `server_name`s agree with): its own, else `_`.
    pub(crate) fn server_of(&self, group: Option<&HostPattern>) -> u32 {
        group
            .and_then(|p| self.by_host.get(p))
            .copied()
            .unwrap_or(0)
    }

    /// What nginx does with `request`, whose normalised path is `uri`, on `server`.
    pub(crate) fn outcome(&self, server: u32, uri: &str, request: &RequestView<'_>) -> Outcome {
        let s = &self.servers[server as usize];
        let at = |location, kind| Outcome {
            server,
            location,
            kind,
        };
        // `if ($uri = /) { return 302 ...; }` at server level: before any location.
        if let Some(root) = s.app_root
            && uri == "/"
        {
            return at(root, OutcomeKind::AppRoot);
        }
        let location = match s.find(uri) {
            Found::Nothing => return at(0, OutcomeKind::NotFound),
            Found::AddSlash(l) => return at(l, OutcomeKind::AddSlash),
            Found::Location(l) => l,
        };
        let loc = &s.locations[location as usize];
        // The location's rewrite phase: nginx's `rewrite`, then Lua's HTTPS redirect.
        if loc.rewrite.as_ref().is_some_and(|r| r.redirects()) {
            return at(location, OutcomeKind::RewriteRedirect);
        }
        if self.redirects_to_https(loc, request) {
            return at(location, OutcomeKind::Https);
        }
        at(location, OutcomeKind::Serve)
    }

    /// `lua_ingress.lua`'s `redirect_to_https`.
    fn redirects_to_https(&self, loc: &Location<B>, request: &RequestView<'_>) -> bool {
        let o = &self.options;
        if o.no_tls_redirect_locations
            .iter()
            .any(|p| loc.name.starts_with(p.as_str()))
        {
            return false;
        }
        // The catch-all's placeholder has every flag off.
        let Some(a) = loc.ingress.as_ref().map(|e| e.nginx.as_deref()) else {
            return false;
        };
        let flag = |annotation: Option<bool>, default: bool| annotation.unwrap_or(default);
        let force = flag(a.and_then(|a| a.force_ssl_redirect), o.force_ssl_redirect);
        if request.scheme() != Scheme::Http {
            return false;
        }
        force
            || (flag(a.and_then(|a| a.ssl_redirect), o.ssl_redirect)
                && self.has_certificate(request.host()))
    }

    /// Whether ingress-nginx has a certificate for the request host: its server's, else the
    /// wildcard server's of its parent; the catch-all always has the default one.
    fn has_certificate(&self, host: &str) -> bool {
        let mut buf = [0u8; MAX_HOST_LEN];
        let Some(host) = ascii_lowercase(host, &mut buf) else {
            return false;
        };
        if host.is_empty() || host == "_" {
            return true;
        }
        let (exact, wildcard) = &self.certified;
        exact.contains(host) || wildcard_suffix(host).is_some_and(|s| wildcard.contains(s))
    }

    /// The decision an outcome stands for.
    pub(crate) fn decision<'t>(self: &'t Arc<Self>, outcome: Outcome) -> Decision<'t, B> {
        let s = &self.servers[outcome.server as usize];
        let loc = &s.locations[outcome.location as usize];
        let source = loc.ingress.as_ref().map(|e| &e.key);
        let redirect = |status, kind| {
            Decision::Redirect(Redirect {
                status,
                kind,
                source,
                handle: Some((self, outcome)),
            })
        };
        match outcome.kind {
            OutcomeKind::NotFound => Decision::NotFound,
            OutcomeKind::AddSlash => redirect(
                301,
                RedirectKind::AddSlash {
                    location: &loc.name,
                },
            ),
            OutcomeKind::AppRoot => {
                let root = loc.annotations().and_then(|a| a.app_root.as_deref());
                redirect(
                    302,
                    RedirectKind::AppRoot {
                        root: root.unwrap_or("/"),
                    },
                )
            }
            OutcomeKind::Https => redirect(
                self.options.http_redirect_code,
                RedirectKind::Https {
                    preserve_trailing_slash: loc
                        .annotations()
                        .and_then(|a| a.preserve_trailing_slash)
                        .unwrap_or(self.options.preserve_trailing_slash),
                },
            ),
            OutcomeKind::RewriteRedirect => match &loc.rewrite {
                Some(rewrite) => redirect(302, RedirectKind::Rewrite { rewrite }),
                None => Decision::NotFound,
            },
            OutcomeKind::Serve => {
                let rewrite = loc.rewrite.as_deref();
                let canary = self.canary_of(loc);
                let handle = Some((self, outcome));
                match &loc.target {
                    Target::Route(route) => {
                        let mut m = Match::of(route);
                        m.rewrite = rewrite;
                        m.canary = canary;
                        m.handle = handle;
                        Decision::Route(m)
                    }
                    Target::Default(Some(entry)) => match DefaultMatch::of(entry) {
                        Some(mut d) => {
                            d.rewrite = rewrite;
                            d.canary = canary;
                            d.handle = handle;
                            Decision::DefaultBackend(d)
                        }
                        None => Decision::NotFound,
                    },
                    Target::Default(None) => Decision::NotFound,
                }
            }
        }
    }

    fn canary_of<'t>(&'t self, loc: &Location<B>) -> Option<Canary<'t, B>> {
        let a = self.canaries.get(loc.upstream.as_ref()?)?;
        let backend = match &a.route {
            Some(route) => &route.backend,
            None => a.entry.default_backend.as_ref()?,
        };
        Some(Canary {
            backend,
            source: &a.entry.key,
            rule: a.route.as_ref().map(|r| &r.rule),
            rules: &a.rules,
        })
    }

    /// The diagnostics about one Ingress.
    pub(crate) fn diagnostics_of<'v>(
        &'v self,
        key: &'v ingress_model::IngressKey,
    ) -> impl Iterator<Item = &'v Diagnostic> + 'v {
        self.diagnostics.iter().filter(move |d| d.source == *key)
    }

    /// Every server, catch-all first, for tools that render them.
    pub(crate) fn server_views(&self) -> Vec<crate::nginx::ServerView<'_>> {
        use crate::nginx::{LocationModifier, LocationView, ServerView};
        self.servers
            .iter()
            .map(|s| ServerView {
                host: s.pattern.to_rule_host(),
                regex_mode: s.regex_mode,
                app_root: s
                    .app_root
                    .and_then(|i| s.locations[i as usize].annotations())
                    .and_then(|a| a.app_root.as_deref()),
                locations: s
                    .locations
                    .iter()
                    .map(|l| LocationView {
                        path: &l.name,
                        modifier: if s.regex_mode {
                            LocationModifier::Regex
                        } else if l.exact {
                            LocationModifier::Exact
                        } else {
                            LocationModifier::Prefix
                        },
                        rewrite: l.rewrite.as_deref(),
                        upstream: match &l.target {
                            Target::Default(None) => None,
                            _ => l.upstream.as_deref(),
                        },
                        source: match &l.target {
                            Target::Route(r) => Some(&r.rule.source),
                            Target::Default(e) => e.as_ref().map(|e| &e.key),
                        },
                        placeholder: matches!(l.target, Target::Default(_)),
                    })
                    .collect(),
            })
            .collect()
    }
}
