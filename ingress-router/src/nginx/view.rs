//! [`NginxView`]: the servers ingress-nginx would generate for a table's Ingresses, the
//! canaries attached to their upstreams, and the decisions nginx makes with them.
//!
//! A server depends on its host's Ingresses only, so an update rebuilds the servers of the
//! hosts the Ingress touches (and the catch-all `_`, whose default backend any rule-less
//! Ingress may change) and shares the others. Canaries reach across hosts (they attach to a
//! Service, wherever it is used), so their attachments are worked out anew on every update,
//! from the canary Ingresses alone.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use ingress_model::IngressKey;

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
use crate::shard::{ShardedMap, TableHasher};

/// The servers by host, the catch-all apart, and the canaries. The maps are sharded behind
/// `Arc`s, as the table's are, so that an update copies the shards it touches.
pub(crate) struct NginxView<B> {
    servers: ShardedMap<HostPattern, Arc<Server<B>>>,
    /// The catch-all server `_`.
    any: Arc<Server<B>>,
    /// The exact hosts and the wildcards' suffixes (`foo.com` for `*.foo.com`) whose server has
    /// a certificate: what an HTTPS redirect looks up per request, without allocating.
    certified: (ShardedMap<Arc<str>, ()>, ShardedMap<Arc<str>, ()>),
    /// The canary Ingresses, and what they attached to.
    canary_entries: BTreeMap<IngressKey, Arc<IngressEntry<B>>>,
    canaries: HashMap<Arc<str>, Attachment<B>, TableHasher>,
    canary_diagnostics: Vec<Diagnostic>,
    /// The catch-all's default backend the catch-all server was built with.
    catch_all: Option<Arc<IngressEntry<B>>>,
    options: NginxOptions,
}

/// A canary attached to a primary upstream.
struct Attachment<B> {
    entry: Arc<IngressEntry<B>>,
    /// The canary's path; `None` when it attached by its `defaultBackend`.
    route: Option<RouteRef<B>>,
    rules: Arc<CanaryRules>,
}

/// Where a decision of the view lives, so that it can be made owned: the view, the server and
/// the outcome.
pub(crate) type Handle<'t, B> = Option<(&'t Arc<NginxView<B>>, &'t Arc<Server<B>>, Outcome)>;

/// What nginx does with one request on a server: `Copy`, so an owned decision keeps it beside
/// the view and the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
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

/// A group's contributors in ingress-nginx's Ingress order.
fn in_nginx_order<B>(group: Option<&HostGroup<B>>) -> Vec<&Contributor<B>> {
    let mut contributors: Vec<&Contributor<B>> = group
        .map(|g| g.contributors.iter().collect())
        .unwrap_or_default();
    contributors.sort_by(|a, b| nginx_order(&a.entry, &b.entry));
    contributors
}

/// The catch-all server `_`: the rules without host, and the first rule-less Ingress's
/// `defaultBackend` as its placeholder.
fn catch_all_server<B>(
    group: Option<&HostGroup<B>>,
    catch_all: Option<&Arc<IngressEntry<B>>>,
) -> Server<B> {
    Server::build(
        HostPattern::Any,
        &in_nginx_order(group),
        Placeholder::catch_all(catch_all.cloned()),
    )
}

/// ingress-nginx's Ingress order: `creationTimestamp` ascending, then `namespace/name`
/// descending (`sortIngressSlice`).
pub(crate) fn nginx_order<B>(a: &IngressEntry<B>, b: &IngressEntry<B>) -> std::cmp::Ordering {
    a.created
        .cmp(&b.created)
        .then_with(|| b.key.as_str().cmp(a.key.as_str()))
}

impl<B> NginxView<B> {
    /// The view of these Ingresses and host groups; `catch_all` is the first rule-less
    /// Ingress with a `defaultBackend`, in ingress-nginx's order.
    pub(crate) fn build<'a>(
        entries: impl Iterator<Item = &'a Arc<IngressEntry<B>>>,
        groups: impl Iterator<Item = &'a HostGroup<B>>,
        catch_all: Option<&Arc<IngressEntry<B>>>,
        options: &NginxOptions,
    ) -> Self
    where
        B: 'a,
    {
        let groups: Vec<&HostGroup<B>> = groups.collect();
        let any_group = groups.iter().find(|g| g.pattern == HostPattern::Any);
        let mut view = NginxView {
            servers: ShardedMap::with_hasher(TableHasher::default()),
            any: Arc::new(catch_all_server(any_group.copied(), catch_all)),
            certified: (
                ShardedMap::with_hasher(TableHasher::default()),
                ShardedMap::with_hasher(TableHasher::default()),
            ),
            canary_entries: entries
                .filter(|e| e.is_canary())
                .map(|e| (e.key.clone(), e.clone()))
                .collect(),
            canaries: HashMap::default(),
            canary_diagnostics: Vec::new(),
            catch_all: catch_all.cloned(),
            options: options.clone(),
        };
        for group in groups.iter().filter(|g| g.pattern != HostPattern::Any) {
            view.set_server(&group.pattern, Some(group));
        }
        view.attach_canaries();
        view
    }

    /// This view after one Ingress changed: the servers of `hosts` (its hosts before and
    /// after) rebuilt from their groups as they stand now, the catch-all too when it is one of
    /// them or its default backend changed, the canaries attached anew. `entry` is the
    /// Ingress's new version (`None`: removed).
    pub(crate) fn updated<'a>(
        &self,
        key: &IngressKey,
        entry: Option<&Arc<IngressEntry<B>>>,
        hosts: &[HostPattern],
        group: impl Fn(&HostPattern) -> Option<&'a HostGroup<B>>,
        catch_all: Option<&Arc<IngressEntry<B>>>,
    ) -> Self
    where
        B: 'a,
    {
        let mut view = NginxView {
            servers: self.servers.clone(),
            any: self.any.clone(),
            certified: self.certified.clone(),
            canary_entries: self.canary_entries.clone(),
            canaries: HashMap::default(),
            canary_diagnostics: Vec::new(),
            catch_all: catch_all.cloned(),
            options: self.options.clone(),
        };
        view.canary_entries.remove(key);
        if let Some(e) = entry.filter(|e| e.is_canary()) {
            view.canary_entries.insert(key.clone(), e.clone());
        }
        for host in hosts.iter().filter(|h| **h != HostPattern::Any) {
            view.set_server(host, group(host));
        }
        let same_catch_all = match (&self.catch_all, catch_all) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        if hosts.contains(&HostPattern::Any) || !same_catch_all {
            view.any = Arc::new(catch_all_server(group(&HostPattern::Any), catch_all));
        }
        view.attach_canaries();
        view
    }

    /// (Re)builds the server of a named host from its group (none: no server).
    fn set_server(&mut self, pattern: &HostPattern, group: Option<&HostGroup<B>>) {
        let contributors = in_nginx_order(group);
        let Some(creator) = contributors.first() else {
            self.servers.remove(pattern);
            self.certify(pattern, false);
            return;
        };
        let server = Server::build(
            pattern.clone(),
            &contributors,
            Placeholder::of_host(&creator.entry),
        );
        self.certify(pattern, server.has_cert);
        self.servers.insert(pattern.clone(), Arc::new(server));
    }

    /// Records whether the server of `pattern` has a certificate.
    fn certify(&mut self, pattern: &HostPattern, has_cert: bool) {
        let (set, name) = match pattern {
            HostPattern::Exact(h) => (&mut self.certified.0, &**h),
            HostPattern::Wildcard(w) => (&mut self.certified.1, w.strip_prefix("*.").unwrap_or(w)),
            HostPattern::Any => return,
        };
        if !has_cert {
            set.remove(name);
        } else if set.get(name).is_none() {
            set.insert(Arc::from(name), ());
        }
    }

    /// Attaches every canary Ingress, in ingress-nginx's order (the first canary of an
    /// upstream wins).
    fn attach_canaries(&mut self) {
        let mut canaries: Vec<Arc<IngressEntry<B>>> =
            self.canary_entries.values().cloned().collect();
        canaries.sort_by(|a, b| nginx_order(a, b));
        for canary in &canaries {
            self.attach(canary);
        }
    }

    /// Attaches a canary Ingress to the upstreams of the locations it names
    /// (`mergeAlternativeBackends`): by its `defaultBackend` to every location of the
    /// catch-all server, by each path to the locations of its host with the same path and
    /// type.
    fn attach(&mut self, entry: &Arc<IngressEntry<B>>) {
        let Some(rules) = entry.nginx.as_ref().and_then(|a| a.canary.clone()) else {
            return;
        };
        let mut unused: Vec<(String, String)> = Vec::new();
        let attach = |canaries: &mut HashMap<_, _, _>, target: Arc<str>, route| {
            canaries.entry(target).or_insert_with(|| Attachment {
                entry: entry.clone(),
                route,
                rules: rules.clone(),
            });
        };
        if let Some(upstream) = &entry.default_upstream {
            let targets: Vec<Arc<str>> = self
                .any
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
                attach(&mut self.canaries, target, None);
            }
        }
        for contribution in &entry.canary {
            let host = contribution.host.to_rule_host().unwrap_or_default();
            let server = self.server(&contribution.host).cloned();
            for route in RouteRef::all(&contribution.routes) {
                let rule = &route.rule;
                let Some(server) = &server else {
                    unused.push((
                        rule.field(),
                        format!("no Ingress serves host {host:?}: the canary gets no traffic"),
                    ));
                    continue;
                };
                let exact_type = *rule.path_type() == ingress_model::PathType::Exact;
                let targets: Vec<Arc<str>> = server
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
                    attach(&mut self.canaries, target, Some(route.clone()));
                }
            }
        }
        for (field, reason) in unused {
            self.canary_diagnostics.push(Diagnostic {
                source: entry.key.clone(),
                field,
                skipped: Skipped::Nothing,
                kind: DiagnosticKind::CanaryUnused(reason),
            });
        }
    }

    /// The server of a host pattern, the catch-all for [`HostPattern::Any`].
    fn server(&self, pattern: &HostPattern) -> Option<&Arc<Server<B>>> {
        match pattern {
            HostPattern::Any => Some(&self.any),
            _ => self.servers.get(pattern),
        }
    }

    /// Every diagnostic of the view (by server, then the canaries').
    pub(crate) fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.servers
            .values()
            .chain(std::iter::once(&self.any))
            .flat_map(|s| &s.diagnostics)
            .chain(&self.canary_diagnostics)
    }

    /// The diagnostics of the servers of `hosts` and of the canaries, whoever they are about:
    /// what an update compares before and after.
    pub(crate) fn diagnostics_near(&self, hosts: &[HostPattern]) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = hosts
            .iter()
            .chain(std::iter::once(&HostPattern::Any))
            .filter_map(|h| self.server(h))
            .flat_map(|s| s.diagnostics.iter().cloned())
            .chain(self.canary_diagnostics.iter().cloned())
            .collect();
        crate::table::sort_diagnostics(&mut out);
        out.dedup();
        out
    }

    /// The diagnostics about the Ingress `key`, whose hosts are `hosts`.
    pub(crate) fn diagnostics_of<'v>(
        &'v self,
        key: &'v IngressKey,
        hosts: &'v [HostPattern],
    ) -> impl Iterator<Item = &'v Diagnostic> + 'v {
        hosts
            .iter()
            .filter_map(|h| self.server(h))
            .flat_map(|s| &s.diagnostics)
            .chain(&self.canary_diagnostics)
            .filter(move |d| d.source == *key)
    }

    /// The server nginx picks for a request host that selected `group` (the table's host
    /// selection, which ingress-nginx's `server_name`s agree with): its own, else `_`.
    pub(crate) fn server_of(&self, group: Option<&HostPattern>) -> &Arc<Server<B>> {
        group.and_then(|p| self.server(p)).unwrap_or(&self.any)
    }

    /// What nginx does with `request`, whose normalised path is `uri`, on server `s`.
    pub(crate) fn outcome(&self, s: &Server<B>, uri: &str, request: &RequestView<'_>) -> Outcome {
        let at = |location, kind| Outcome { location, kind };
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
        exact.get(host).is_some()
            || wildcard_suffix(host).is_some_and(|s| wildcard.get(s).is_some())
    }

    /// The decision an outcome stands for.
    pub(crate) fn decision<'t>(
        self: &'t Arc<Self>,
        s: &'t Arc<Server<B>>,
        outcome: Outcome,
    ) -> Decision<'t, B> {
        let loc = &s.locations[outcome.location as usize];
        let source = loc.ingress.as_ref().map(|e| &e.key);
        let redirect = |status, kind| {
            Decision::Redirect(Redirect {
                status,
                kind,
                source,
                handle: Some((self, s, outcome)),
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
                let handle = Some((self, s, outcome));
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

    /// Every server, catch-all first, then by host, for tools that render them.
    pub(crate) fn server_views(&self) -> Vec<crate::nginx::ServerView<'_>> {
        use crate::nginx::{LocationModifier, LocationView, ServerView};
        let mut servers: Vec<&Server<B>> = self
            .servers
            .values()
            .chain(std::iter::once(&self.any))
            .map(|s| &**s)
            .collect();
        servers.sort_by_key(|s| s.pattern.to_rule_host());
        servers
            .into_iter()
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
