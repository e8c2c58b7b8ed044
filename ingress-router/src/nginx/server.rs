//! One nginx `server` of ingress-nginx: the locations it generates for a host, in its order,
//! and nginx's choice of a location for a request URI.
//!
//! # How the locations are made (ingress-nginx's `createServers`, `getBackendServers`,
//! `updateServerLocations` and `buildLocation`)
//!
//! 1. The first Ingress (in ingress-nginx's order) with a rule for the host creates the server
//!    with a *placeholder* `/` location: that Ingress's `defaultBackend`, else the controller's
//!    404, with that Ingress's annotations. The catch-all server `_` has a placeholder of its
//!    own: the first rule-less Ingress's `defaultBackend`, annotations reset.
//! 2. Each path of each Ingress, in order, becomes a location, unless the first location with
//!    the same path has the same pathType (`ImplementationSpecific` counts as `Prefix`): then
//!    the older one stays, except that a real path replaces a placeholder in place.
//! 3. The locations are sorted by path length, longest first, then path descending (stable).
//! 4. A `Prefix` location other than `/` whose Ingress neither rewrites nor uses regexes gets
//!    a trailing `/`, and an `Exact` twin with the original path right after it, unless an
//!    `Exact` location already has that path.
//! 5. If any location's Ingress has `use-regex` or a `rewrite-target` other than the
//!    location's path, the server is in *regex mode*: every location is `~* "^<path>"`.
//!    Otherwise `Exact` locations are `= "<path>"` and the others plain prefixes.
//!
//! # How nginx chooses (`ngx_http_core_find_location`)
//!
//! In regex mode the first location in order whose regex matches. Otherwise an `=` location
//! equal to the URI, else a prefix location equal to it, else, when a location's path is the
//! URI plus `/`, a `301` to that path (`auto_redirect`), else the longest prefix location
//! that is a prefix of the URI (byte-wise, case-sensitive).

use std::collections::HashMap;
use std::sync::Arc;

use ingress_model::PathType;

use crate::compile::IngressEntry;
use crate::error::{Diagnostic, DiagnosticKind, InvalidPath, RuleOrigin, Skipped};
use crate::group::Contributor;
use crate::host::HostPattern;
use crate::nginx::annotations::Annotations;
use crate::nginx::rewrite::Rewrite;
use crate::rule::RouteRef;
use crate::shard::TableHasher;

/// What a location serves.
pub(crate) enum Target<B> {
    /// A path rule.
    Route(RouteRef<B>),
    /// A placeholder: an Ingress's `defaultBackend`, or the controller's 404 (`None`).
    Default(Option<Arc<IngressEntry<B>>>),
}

impl<B> Clone for Target<B> {
    fn clone(&self) -> Self {
        match self {
            Target::Route(r) => Target::Route(r.clone()),
            Target::Default(e) => Target::Default(e.clone()),
        }
    }
}

/// One `location` block.
pub(crate) struct Location<B> {
    /// The path as rendered (a `Prefix` path with its added `/`).
    pub(crate) name: Arc<str>,
    /// `= "<path>"` outside regex mode.
    pub(crate) exact: bool,
    /// The path as the rule wrote it (`/` for an empty one) and whether its type is `Exact`:
    /// what a canary attaches by.
    pub(crate) original: Arc<str>,
    pub(crate) exact_type: bool,
    pub(crate) target: Target<B>,
    /// The Ingress whose annotations apply (`None`: the catch-all's placeholder, whose
    /// annotations ingress-nginx resets).
    pub(crate) ingress: Option<Arc<IngressEntry<B>>>,
    /// `~* "^<path>"` in regex mode.
    pub(crate) regex: Option<regex::Regex>,
    pub(crate) rewrite: Option<Arc<Rewrite>>,
    /// The upstream (`namespace-service-port`) the location proxies to, if any.
    pub(crate) upstream: Option<Arc<str>>,
    /// The rule that made it, for diagnostics (`None` for a placeholder).
    pub(crate) origin: Option<RuleOrigin>,
}

impl<B> Location<B> {
    /// The annotations that apply, if any.
    pub(crate) fn annotations(&self) -> Option<&Annotations> {
        self.ingress.as_ref().and_then(|e| e.nginx.as_deref())
    }

    /// Whether its Ingress makes it rewrite or be a regex, which keeps it unexpanded and puts
    /// the server in regex mode.
    fn is_regex(&self) -> bool {
        self.annotations().is_some_and(|a| {
            a.use_regex
                || a.rewrite_target
                    .as_deref()
                    .is_some_and(|t| t != &*self.name)
        })
    }
}

/// What nginx does with a URI on a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// This location serves it.
    Location(u32),
    /// `301` to this location's path: the URI is that path without its `/`.
    AddSlash(u32),
    /// No location matches (a server always has `/`, so only an odd regex-mode server).
    Nothing,
}

/// One server: its locations in nginx's order, and the indexes nginx's lookup uses.
pub(crate) struct Server<B> {
    pub(crate) pattern: HostPattern,
    pub(crate) regex_mode: bool,
    pub(crate) locations: Vec<Location<B>>,
    /// Seeded per server, as the table's maps are: paths are written by tenants.
    exact: HashMap<Arc<str>, u32, TableHasher>,
    prefix: HashMap<Arc<str>, u32, TableHasher>,
    /// The first location whose Ingress has `app-root` (rendered at server level).
    pub(crate) app_root: Option<u32>,
    /// An Ingress with a rule for the host has `spec.tls` (ingress-nginx then has a
    /// certificate for it, even when the TLS entry does not list the host).
    pub(crate) has_cert: bool,
    /// What building it found: duplicate paths and locations, regexes that do not compile.
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// The placeholder `/` a server starts with.
pub(crate) struct Placeholder<B> {
    pub(crate) target: Option<Arc<IngressEntry<B>>>,
    /// Whose annotations it carries.
    pub(crate) ingress: Option<Arc<IngressEntry<B>>>,
    /// Whether the first real `/` path of the host replaces it.
    pub(crate) replaceable: bool,
}

impl<B> Placeholder<B> {
    /// The placeholder of a named host, created by its first Ingress.
    pub(crate) fn of_host(creator: &Arc<IngressEntry<B>>) -> Self {
        Placeholder {
            target: creator.default_backend.is_some().then(|| creator.clone()),
            ingress: Some(creator.clone()),
            replaceable: true,
        }
    }

    /// The catch-all server's: taken over by the first rule-less Ingress with a
    /// `defaultBackend` (then no path replaces it), else the controller's 404.
    pub(crate) fn catch_all(taken: Option<Arc<IngressEntry<B>>>) -> Self {
        Placeholder {
            replaceable: taken.is_none(),
            target: taken,
            ingress: None,
        }
    }
}

impl<B> Server<B> {
    /// The server of `pattern` from its contributors, in ingress-nginx's Ingress order.
    pub(crate) fn build(
        pattern: HostPattern,
        contributors: &[&Contributor<B>],
        placeholder: Placeholder<B>,
    ) -> Self {
        let mut diagnostics = Vec::new();
        let host = pattern.to_rule_host();
        let mut drafts = vec![Location {
            name: Arc::from("/"),
            exact: false,
            original: Arc::from("/"),
            exact_type: false,
            upstream: placeholder
                .target
                .as_ref()
                .and_then(|e| e.default_upstream.clone()),
            target: Target::Default(placeholder.target),
            ingress: placeholder.ingress,
            regex: None,
            rewrite: None,
            origin: None,
        }];
        let mut placeholder_replaceable = placeholder.replaceable;
        for c in contributors {
            for route in RouteRef::all(&c.routes) {
                let rule = &route.rule;
                let exact_type = *rule.path_type() == PathType::Exact;
                let path = rule.pattern().path();
                let first = drafts.iter().position(|d| &*d.original == path);
                match first {
                    Some(i) if drafts[i].exact_type == exact_type => {
                        if drafts[i].origin.is_none() && placeholder_replaceable {
                            // A real path takes the placeholder's place.
                            placeholder_replaceable = false;
                            let d = &mut drafts[i];
                            d.upstream = route.upstream.clone();
                            d.origin = Some(rule.origin());
                            d.target = Target::Route(route);
                            d.ingress = Some(c.entry.clone());
                        } else if let Some(winner) = drafts[i].origin.clone() {
                            diagnostics.push(Diagnostic {
                                source: rule.source().clone(),
                                field: rule.field(),
                                skipped: Skipped::Nothing,
                                kind: DiagnosticKind::DuplicatePath {
                                    host: host.clone(),
                                    path: rule.path().to_owned(),
                                    path_type: rule.path_type().clone(),
                                    winner,
                                },
                            });
                        }
                        // Else the catch-all's placeholder, taken over by a rule-less
                        // Ingress: ingress-nginx keeps it ("already configured").
                    }
                    _ => drafts.push(Location {
                        name: Arc::from(path),
                        exact: exact_type,
                        original: Arc::from(path),
                        exact_type,
                        upstream: route.upstream.clone(),
                        origin: Some(rule.origin()),
                        target: Target::Route(route),
                        ingress: Some(c.entry.clone()),
                        regex: None,
                        rewrite: None,
                    }),
                }
            }
        }
        // Length, then path, both descending; stable, so the placeholder stays first of `/`.
        drafts.sort_by(|a, b| {
            b.name
                .len()
                .cmp(&a.name.len())
                .then_with(|| b.name.cmp(&a.name))
        });
        let locations = expand(drafts);
        let regex_mode = locations.iter().any(Location::is_regex);
        let mut server = Server {
            pattern,
            regex_mode,
            locations: Vec::with_capacity(locations.len()),
            exact: HashMap::default(),
            prefix: HashMap::default(),
            app_root: None,
            has_cert: contributors.iter().any(|c| c.entry.has_tls),
            diagnostics,
        };
        for location in locations {
            server.add(location, host.as_deref());
        }
        server
    }

    /// Compiles what `location` needs and files it, unless nginx would refuse it.
    fn add(&mut self, mut location: Location<B>, host: Option<&str>) {
        let diagnostics = &mut self.diagnostics;
        let refuse = |location: &Location<B>, reason: String, diagnostics: &mut Vec<Diagnostic>| {
            if let Some(origin) = &location.origin {
                diagnostics.push(Diagnostic {
                    source: origin.source.clone(),
                    field: format!(
                        "spec.rules[{}].http.paths[{}].path",
                        origin.rule_index, origin.path_index
                    ),
                    skipped: Skipped::Path,
                    kind: DiagnosticKind::InvalidPattern(InvalidPath::Regex {
                        path: location.name.to_string(),
                        reason,
                    }),
                });
            }
        };
        let target = location
            .annotations()
            .and_then(|a| a.rewrite_target.clone());
        if let Some(target) = target.filter(|t| **t != *location.name) {
            match Rewrite::new(&location.name, &target) {
                Ok(r) => location.rewrite = Some(Arc::new(r)),
                Err(reason) => return refuse(&location, reason, diagnostics),
            }
        }
        let at = u32::try_from(self.locations.len()).unwrap_or(u32::MAX);
        if self.regex_mode {
            match regex::RegexBuilder::new(&format!("^{}", location.name))
                .case_insensitive(true)
                .build()
            {
                Ok(r) => location.regex = Some(r),
                Err(e) => return refuse(&location, e.to_string(), diagnostics),
            }
        } else {
            let index = if location.exact {
                &mut self.exact
            } else {
                &mut self.prefix
            };
            if let Some(&first) = index.get(&location.name) {
                // nginx refuses the whole configuration ("duplicate location"); ingress-nginx
                // then keeps serving its previous one. Here the first one serves.
                if let (Some(origin), Some(winner)) =
                    (&location.origin, &self.locations[first as usize].origin)
                {
                    diagnostics.push(Diagnostic {
                        source: origin.source.clone(),
                        field: format!(
                            "spec.rules[{}].http.paths[{}]",
                            origin.rule_index, origin.path_index
                        ),
                        skipped: Skipped::Path,
                        kind: DiagnosticKind::DuplicateLocation {
                            host: host.map(str::to_owned),
                            location: location.name.to_string(),
                            winner: winner.clone(),
                        },
                    });
                }
                return;
            }
            index.insert(location.name.clone(), at);
        }
        if self.app_root.is_none() && location.annotations().is_some_and(|a| a.app_root.is_some()) {
            self.app_root = Some(at);
        }
        self.locations.push(location);
    }

    /// nginx's choice of a location for a (normalised) URI.
    pub(crate) fn find(&self, uri: &str) -> Found {
        if self.regex_mode {
            return self
                .locations
                .iter()
                .position(|l| l.regex.as_ref().is_some_and(|r| r.is_match(uri)))
                .map_or(Found::Nothing, |i| Found::Location(i as u32));
        }
        if let Some(&i) = self.exact.get(uri).or_else(|| self.prefix.get(uri)) {
            return Found::Location(i);
        }
        if let Some(i) = self.with_slash(uri) {
            return Found::AddSlash(i);
        }
        // The longest prefix: every prefix location but `/` ends with `/`, so only the URI cut
        // after one of its slashes can be one.
        let bytes = uri.as_bytes();
        let mut end = bytes.len();
        while let Some(slash) = bytes[..end].iter().rposition(|&b| b == b'/') {
            if let Some(&i) = self.prefix.get(&uri[..=slash]) {
                return Found::Location(i);
            }
            end = slash;
        }
        Found::Nothing
    }

    /// A location whose path is `uri` + `/` (its `auto_redirect` applies).
    fn with_slash(&self, uri: &str) -> Option<u32> {
        let mut buf = [0u8; 256];
        let owned;
        let slashed = if uri.len() < buf.len() {
            buf[..uri.len()].copy_from_slice(uri.as_bytes());
            buf[uri.len()] = b'/';
            std::str::from_utf8(&buf[..=uri.len()]).ok()?
        } else {
            owned = format!("{uri}/");
            &owned
        };
        self.exact
            .get(slashed)
            .or_else(|| self.prefix.get(slashed))
            .copied()
    }
}

/// Step 4 of the module docs: the trailing `/` and the `Exact` twin.
fn expand<B>(drafts: Vec<Location<B>>) -> Vec<Location<B>> {
    let exact_paths: std::collections::HashSet<Arc<str>> = drafts
        .iter()
        .filter(|d| d.exact_type)
        .map(|d| d.name.clone())
        .collect();
    let mut out = Vec::with_capacity(drafts.len() * 2);
    for mut d in drafts {
        if &*d.name == "/" || d.exact_type || d.is_regex() {
            out.push(d);
            continue;
        }
        let slashed: Arc<str> = if d.name.ends_with('/') {
            d.name.clone()
        } else {
            Arc::from(format!("{}/", d.name))
        };
        if exact_paths.contains(&d.name) {
            d.name = slashed;
            out.push(d);
            continue;
        }
        let twin = Location {
            name: d.name.clone(),
            exact: true,
            original: d.original.clone(),
            exact_type: d.exact_type,
            target: d.target.clone(),
            ingress: d.ingress.clone(),
            regex: None,
            rewrite: None,
            upstream: d.upstream.clone(),
            // Reported through its prefix location.
            origin: None,
        };
        d.name = slashed;
        out.push(d);
        out.push(twin);
    }
    out
}
