//! [`RouteTable`]: the immutable routing table and its lookups.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use ingress_model::{Ingress, IngressBackend};

use crate::builder::Builder;
use crate::compile::{Compiled, IngressEntry, Mapper, compile};
use crate::config::{Config, DefaultBackendPolicy, Profile};
use crate::error::{BackendError, Diagnostic};
use crate::explain::{Explanation, HostSelection};
use crate::group::{Contributor, HostGroup};
use crate::host::{HostPattern, MAX_HOST_LEN, WildcardKey, ascii_lowercase, wildcard_suffix};
use crate::matched::{Decision, DefaultMatch, Match};
use crate::nginx::view::{NginxView, nginx_order};
use crate::normalize::STACK_PATH_LEN;
use crate::owned::OwnedDecision;
use crate::precedence;
use crate::request::{Hints, RequestView};
use crate::shard::{SHARDS, ShardedMap, TableHasher};
use crate::tls::{Certificate, TlsEntry, TlsIndex};
use ingress_model::IngressKey;

/// Paths up to this long are normalised in a small stack buffer.
const SHORT_PATH_LEN: usize = 256;

type GroupMap<K, B> = ShardedMap<K, Arc<HostGroup<B>>>;

/// A compiled set of Ingresses: immutable, `Send + Sync` when `B` is, cheap to share behind an
/// `Arc`.
///
/// Build one with [`RouteTable::builder`] (payload: the [`IngressBackend`] as written) or
/// [`RouteTable::builder_with`] (any payload), look requests up with [`RouteTable::find`], and
/// make a changed copy with [`RouteTable::with_ingress`] / [`RouteTable::without_ingress`],
/// which rebuild only the host groups the Ingress touches and share the rest.
///
/// See the [crate documentation](crate) for the matching rules.
pub struct RouteTable<B> {
    pub(crate) config: Arc<Config>,
    pub(crate) mapper: Arc<Mapper<B>>,
    pub(crate) exact: GroupMap<Arc<str>, B>,
    /// Looked up by the suffix after `*.`.
    pub(crate) wildcard: GroupMap<WildcardKey, B>,
    pub(crate) any: Option<Arc<HostGroup<B>>>,
    /// The default backend that answers when no host group is selected.
    pub(crate) defaults: Defaults<B>,
    pub(crate) tls: TlsIndex,
    pub(crate) ingresses: ShardedMap<IngressKey, Arc<IngressEntry<B>>>,
    /// Under [`Profile::IngressNginx`]: the servers ingress-nginx would generate, rebuilt whole
    /// on every update (see the `nginx` module).
    pub(crate) nginx: Option<Arc<NginxView<B>>>,
}

/// A table and what building it reported.
///
/// Dropping it unread loses the new table (an update returns a new table; the old one is
/// unchanged), hence `#[must_use]`.
#[derive(Debug)]
#[must_use = "the new table is in `table`; the table the update was called on is unchanged"]
pub struct Built<B> {
    /// The table; always usable, whatever the diagnostics say.
    pub table: RouteTable<B>,
    /// Everything skipped or suspicious about the Ingresses in [`Built::changed`], grouped by
    /// Ingress (in `namespace/name` order). After a build, that is every Ingress; after an
    /// update, the complete diagnostics of each Ingress whose diagnostics changed, so a
    /// controller can rewrite exactly their status.
    pub diagnostics: Vec<Diagnostic>,
    /// The Ingresses whose diagnostics may differ from the previous table's, sorted: after a
    /// build, every Ingress given; after [`RouteTable::with_ingress`] or
    /// [`RouteTable::without_ingress`], the Ingress itself (even when removed; its diagnostics
    /// are then none) and every other Ingress whose diagnostics the change altered (a path it
    /// shadowed, or that shadowed it; a host it shared).
    pub changed: Vec<IngressKey>,
}

/// The default backend for requests that select no host group (crate docs, section 5): the
/// first by (rule-less first, then oldest) among the Ingresses with one. Under the
/// ingress-nginx profile, the catch-all server's: the first rule-less, non-canary Ingress with
/// one, in ingress-nginx's order.
///
/// Kept per shard of the table's Ingress map, so that an update re-ranks one shard (a 64th of
/// the Ingresses) and the 64 shard winners, never every default backend.
pub(crate) struct Defaults<B> {
    by_shard: Arc<[Option<Arc<IngressEntry<B>>>]>,
    best: Option<Arc<IngressEntry<B>>>,
    profile: Profile,
}

impl<B> Clone for Defaults<B> {
    fn clone(&self) -> Self {
        Defaults {
            by_shard: self.by_shard.clone(),
            best: self.best.clone(),
            profile: self.profile,
        }
    }
}

impl<B> Defaults<B> {
    fn build(ingresses: &ShardedMap<IngressKey, Arc<IngressEntry<B>>>, profile: Profile) -> Self {
        let by_shard: Arc<[_]> = (0..SHARDS)
            .map(|i| best_default(ingresses.shard_values(i), profile))
            .collect();
        let best = best_default(by_shard.iter().flatten(), profile);
        Defaults {
            by_shard,
            best,
            profile,
        }
    }

    /// Re-ranks the shard of `key`, after the Ingress map changed there.
    fn update(
        &mut self,
        ingresses: &ShardedMap<IngressKey, Arc<IngressEntry<B>>>,
        key: &IngressKey,
    ) {
        let shard = ingresses.shard_of(key);
        let mut by_shard: Vec<_> = self.by_shard.to_vec();
        by_shard[shard] = best_default(ingresses.shard_values(shard), self.profile);
        self.best = best_default(by_shard.iter().flatten(), self.profile);
        self.by_shard = by_shard.into();
    }
}

/// The first of `entries` with a default backend: rule-less first (`false < true`), then
/// oldest. Under the ingress-nginx profile: rule-less and not a canary only, in its order.
fn best_default<'e, B: 'e>(
    entries: impl Iterator<Item = &'e Arc<IngressEntry<B>>>,
    profile: Profile,
) -> Option<Arc<IngressEntry<B>>> {
    let entries = entries.filter(|e| e.default_backend.is_some());
    match profile {
        Profile::IngressNginx => entries
            .filter(|e| !e.has_rules && !e.is_canary())
            .min_by(|a, b| nginx_order(a, b))
            .cloned(),
        _ => entries
            .min_by(|a, b| {
                a.has_rules
                    .cmp(&b.has_rules)
                    .then_with(|| precedence::older((a.created, &a.key), (b.created, &b.key)))
            })
            .cloned(),
    }
}

/// Sizes of a table, for logs and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Ingresses given (served or not).
    pub ingresses: usize,
    /// Host groups (exact hosts, wildcard hosts, and the no-host group).
    pub host_groups: usize,
    /// Paths in the table.
    pub paths: usize,
    /// Paths matched by a linear scan instead of the index (string-prefix and regex
    /// `ImplementationSpecific`).
    pub unindexed_paths: usize,
}

// === impl RouteTable ===

impl RouteTable<IngressBackend> {
    /// A builder for a table whose payload is each path's `IngressBackend`, exactly as written
    /// in the Ingress (what a CLI or a linter wants).
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::{RequestView, RouteTable};
    /// # use ingress_model::Ingress;
    /// # let ingress: Ingress = serde_json::from_str(r#"{
    /// #   "metadata": {"name": "web", "namespace": "default"},
    /// #   "spec": {"rules": [{"http": {"paths": [
    /// #     {"path": "/", "pathType": "Prefix",
    /// #      "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
    /// # }"#)?;
    /// let built = RouteTable::builder().add(&ingress).build();
    /// assert!(built.diagnostics.is_empty());
    /// let backend = built.table.find(&RequestView::new("any.host", "/x")).backend();
    /// assert_eq!(backend.unwrap().service.as_ref().unwrap().name, "web");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn builder<'a>() -> Builder<'a, IngressBackend> {
        Builder::new(Arc::new(|_: &Ingress, b: &IngressBackend| Ok(b.clone())))
    }
}

impl<B> RouteTable<B> {
    /// A builder for a table of any payload: `map` turns each backend (with its Ingress, for
    /// the namespace and annotations) into the payload, or declines it with a reason, which
    /// skips that path (or default backend) with a diagnostic.
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::{RequestView, RouteTable};
    /// # use ingress_model::Ingress;
    /// # let ingress: Ingress = serde_json::from_str(r#"{
    /// #   "metadata": {"name": "web", "namespace": "shop"},
    /// #   "spec": {"rules": [{"http": {"paths": [
    /// #     {"path": "/", "pathType": "Prefix",
    /// #      "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
    /// # }"#)?;
    /// // The payload a proxy wants: "service.namespace:port" upstream names.
    /// let table = RouteTable::builder_with(|ing, backend| {
    ///     let svc = backend.service.as_ref().ok_or("only Service backends")?;
    ///     let port = svc.port.as_ref().and_then(|p| p.number).ok_or("named ports need endpoints")?;
    ///     Ok(format!("{}.{}:{}", svc.name, ing.metadata.namespace(), port))
    /// })
    /// .add(&ingress)
    /// .build()
    /// .table;
    /// let upstream = table.find(&RequestView::new("x", "/")).backend().cloned();
    /// assert_eq!(upstream.as_deref(), Some("web.shop:80"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn builder_with<'a, F>(map: F) -> Builder<'a, B>
    where
        F: Fn(&Ingress, &IngressBackend) -> Result<B, BackendError> + Send + Sync + 'static,
    {
        Builder::new(Arc::new(map))
    }

    /// A table with no Ingress: every request is [`Decision::NotFound`]. Meant as the value a
    /// gateway serves before its first table is built. It has no backend mapper, so an update
    /// of it declines every backend ([`BackendError::Unsupported`]): build real tables with
    /// [`RouteTable::builder`] or [`RouteTable::builder_with`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::{RequestView, RouteTable};
    ///
    /// let table: RouteTable<String> = RouteTable::empty();
    /// assert!(table.find(&RequestView::new("any.host", "/")).is_not_found());
    /// ```
    pub fn empty() -> Self {
        let mapper: Arc<Mapper<B>> = Arc::new(|_: &Ingress, _: &IngressBackend| {
            Err(BackendError::unsupported(
                "a table made by RouteTable::empty has no backend mapper",
            ))
        });
        RouteTable::assemble(Arc::new(Config::default()), mapper, Vec::new())
    }

    /// A builder with this table's backend mapper and configuration, for a rebuild: with a
    /// changed [`Config`] (a class filter that follows IngressClass events, say), or from
    /// scratch after many updates.
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::{ClassFilter, Config, RequestView, RouteTable};
    /// # use ingress_model::Ingress;
    /// # let ingress: Ingress = serde_json::from_str(r#"{
    /// #   "metadata": {"name": "web", "namespace": "shop"},
    /// #   "spec": {"ingressClassName": "blue", "rules": [{"http": {"paths": [
    /// #     {"path": "/", "pathType": "Prefix",
    /// #      "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
    /// # }"#)?;
    /// let blue = Config::default().classes(ClassFilter::classes(["blue"]));
    /// let table = RouteTable::builder().config(blue).add(&ingress).build().table;
    /// assert!(!table.find(&RequestView::new("x", "/")).is_not_found());
    ///
    /// // The IngressClass "blue" went away: same mapper, new class filter.
    /// let green = table.config().clone().classes(ClassFilter::classes(["green"]));
    /// let table = table.to_builder().config(green).add(&ingress).build().table;
    /// assert!(table.find(&RequestView::new("x", "/")).is_not_found());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn to_builder<'a>(&self) -> Builder<'a, B> {
        Builder::new(self.mapper.clone()).config(Config::clone(&self.config))
    }

    pub(crate) fn assemble(
        config: Arc<Config>,
        mapper: Arc<Mapper<B>>,
        compiled: Vec<Compiled<B>>,
    ) -> Self {
        let hasher = TableHasher::default();
        let mut groups: HashMap<HostPattern, Vec<Contributor<B>>, TableHasher> = HashMap::default();
        let mut tls: Vec<TlsEntry> = Vec::new();
        let mut ingresses = ShardedMap::with_hasher(hasher.clone());
        for c in compiled {
            for contribution in &c.contributions {
                groups
                    .entry(contribution.host.clone())
                    .or_default()
                    .push(Contributor::new(&c.entry, contribution));
            }
            tls.extend(c.tls);
            ingresses.insert(c.entry.key.clone(), c.entry);
        }
        let mut table = RouteTable {
            exact: ShardedMap::with_hasher(hasher.clone()),
            wildcard: ShardedMap::with_hasher(hasher.clone()),
            any: None,
            defaults: Defaults::build(&ingresses, config.profile),
            tls: TlsIndex::build(tls, &hasher),
            ingresses,
            mapper,
            config,
            nginx: None,
        };
        let ownership = table.config.host_ownership;
        for (pattern, contributors) in groups {
            let group = HostGroup::build(pattern.clone(), ownership, contributors);
            table.set_group(&pattern, Some(group));
        }
        table.rebuild_nginx();
        table
    }

    /// Under [`Profile::IngressNginx`], makes the nginx view of the table as it stands.
    fn rebuild_nginx(&mut self) {
        if self.config.profile != Profile::IngressNginx {
            return;
        }
        let view = NginxView::build(
            self.ingresses.values(),
            self.groups(),
            self.defaults.best.as_ref(),
            &self.config.nginx,
        );
        self.nginx = Some(Arc::new(view));
    }

    fn set_group(&mut self, pattern: &HostPattern, group: Option<HostGroup<B>>) {
        let group = group.map(Arc::new);
        match pattern {
            HostPattern::Any => self.any = group,
            HostPattern::Exact(h) => set(&mut self.exact, h.clone(), group),
            HostPattern::Wildcard(w) => set(&mut self.wildcard, WildcardKey(w.clone()), group),
        }
    }

    fn group(&self, pattern: &HostPattern) -> Option<&HostGroup<B>> {
        match pattern {
            HostPattern::Any => self.any.as_deref(),
            HostPattern::Exact(h) => self.exact.get(&**h).map(|g| &**g),
            HostPattern::Wildcard(w) => self
                .wildcard
                .get(w.strip_prefix("*.").unwrap_or(w))
                .map(|g| &**g),
        }
    }

    /// Where a request goes. Never allocates, except to normalise a path longer than 4 KiB
    /// that has dot segments (shorter ones use a stack buffer).
    ///
    /// The rules, in order (see the [crate documentation](crate)):
    ///
    /// 1. Normalise the host (port, one trailing dot, ASCII case) and the path
    ///    ([`Config::path_normalization`]).
    /// 2. Select one host group: the exact host, else the single-label wildcard `*.` + rest,
    ///    else the rules without host. No fall-through to a less specific group. A host that is
    ///    not a name (an IP literal, userinfo, a byte a name cannot have) selects the rules
    ///    without host, as no host does.
    /// 3. In the group, the matching path with the highest precedence wins: Exact first, then
    ///    the longer path, then the older Ingress, `namespace/name`, list order.
    /// 4. Nothing matched: the [`DefaultBackendPolicy`].
    #[must_use]
    pub fn find<'t>(&'t self, request: &RequestView<'_>) -> Decision<'t, B> {
        let path = request.path();
        let normalization = self.config.path_normalization;
        let hints = request.hints();
        if !normalization.needs_hinted(path, hints) {
            return self.decide(request, path);
        }
        // Two stack buffers so a short path does not pay for zeroing 4 KiB.
        if path.len() <= SHORT_PATH_LEN {
            let mut buf = [0u8; SHORT_PATH_LEN];
            if let Some(p) = normalization.normalize_into(path, &mut buf) {
                return self.decide(request, p);
            }
        }
        let mut buf = [0u8; STACK_PATH_LEN];
        match normalization.normalize_into(path, &mut buf) {
            Some(p) => self.decide(request, p),
            None => self.decide(request, &normalization.normalize(path)),
        }
    }

    /// [`RouteTable::find`], as a value that owns its share of the table: it stays valid after
    /// the table is dropped or swapped, is `'static + Clone + Send + Sync` (when `B` is
    /// `'static + Send + Sync`), and costs one reference-count increment, no allocation (see
    /// [`OwnedDecision`]). What a gateway keeps in a request's extensions.
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::{RequestView, RouteTable};
    /// # use ingress_model::Ingress;
    /// # let ingress: Ingress = serde_json::from_str(r#"{
    /// #   "metadata": {"name": "web", "namespace": "shop"},
    /// #   "spec": {"rules": [{"host": "foo.com", "http": {"paths": [
    /// #     {"path": "/api", "pathType": "Prefix",
    /// #      "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}}]}
    /// # }"#)?;
    /// let table = RouteTable::builder().add(&ingress).build().table;
    /// let decision = table.find_owned(&RequestView::new("foo.com", "/api/v1"));
    /// drop(table);
    /// assert_eq!(decision.backend().unwrap().to_string(), "service/api:80");
    /// assert_eq!(decision.source().unwrap().to_string(), "shop/web");
    /// assert_eq!(decision.rule().unwrap().path(), "/api");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn find_owned(&self, request: &RequestView<'_>) -> OwnedDecision<B> {
        self.find(request).into_owned()
    }

    /// [`RouteTable::find`] for a host and a path (see [`RequestView::new`]).
    #[must_use]
    pub fn find_parts<'t>(&'t self, host: &str, path: &str) -> Decision<'t, B> {
        self.find(&RequestView::new(host, path))
    }

    #[inline]
    fn decide<'t>(&'t self, request: &RequestView<'_>, path: &str) -> Decision<'t, B> {
        let group = self.select(request.host(), request.hints()).1;
        if let Some(view) = &self.nginx {
            let server = view.server_of(group.map(|g| &g.pattern));
            return view.decision(server, view.outcome(server, path, request));
        }
        let Some(group) = group else {
            return self.default_decision(self.defaults.best.as_ref());
        };
        match group.find(path) {
            Some(route) => Decision::Route(Match::of(route)),
            None => self.default_decision(group.default_backend()),
        }
    }

    fn default_decision<'t>(&'t self, entry: Option<&'t Arc<IngressEntry<B>>>) -> Decision<'t, B> {
        if self.config.default_backend == DefaultBackendPolicy::Ignore {
            return Decision::NotFound;
        }
        match entry.and_then(DefaultMatch::of) {
            Some(d) => Decision::DefaultBackend(d),
            None => Decision::NotFound,
        }
    }

    /// Host group selection (crate docs, sections 1 and 2), on a host already stripped of port
    /// and dot. Only a name selects a named group; an opaque host goes where no host goes.
    #[inline]
    fn select(&self, host: &str, hints: Hints) -> (HostSelection, Option<&HostGroup<B>>) {
        let named = if !hints.name_host {
            None
        } else if !hints.upper_host {
            self.select_named(host)
        } else {
            // The buffer only exists (and is only zeroed) for hosts that need it.
            let mut buf = [0u8; MAX_HOST_LEN];
            match ascii_lowercase(host, &mut buf) {
                Some(h) => self.select_named(h),
                // Longer than any rule host, so only a wildcard's suffix can match.
                None => {
                    let mut buf = [0u8; MAX_HOST_LEN];
                    wildcard_suffix(host)
                        .and_then(|s| ascii_lowercase(s, &mut buf))
                        .and_then(|s| self.wildcard.get(s))
                        .map(|g| (HostSelection::Wildcard, &**g))
                }
            }
        };
        match (named, self.any.as_deref()) {
            (Some((how, g)), _) => (how, Some(g)),
            (None, Some(g)) => (HostSelection::NoHost, Some(g)),
            (None, None) => (HostSelection::None, None),
        }
    }

    /// Exact host, then wildcard, for a lower-case name.
    #[inline]
    fn select_named(&self, host: &str) -> Option<(HostSelection, &HostGroup<B>)> {
        if let Some(g) = self.exact.get(host) {
            return Some((HostSelection::Exact, g));
        }
        if self.wildcard.is_empty() {
            return None;
        }
        wildcard_suffix(host)
            .and_then(|s| self.wildcard.get(s))
            .map(|g| (HostSelection::Wildcard, &**g))
    }

    /// The decision with its reasons: which host group was selected, every path that matched
    /// (best first), and the normalised path. Allocates; meant for tools, not the data path.
    pub fn explain<'t>(&'t self, request: &RequestView<'_>) -> Explanation<'t, B> {
        let path = self.config.path_normalization.normalize(request.path());
        let (host_selection, group) = self.select(request.host(), request.hints());
        let decision = self.find(request);
        let candidates = match (&self.nginx, decision) {
            // nginx takes the first location that fits, in its own order: there is no ranking of
            // the others to show.
            (Some(_), Decision::Route(m)) => vec![m],
            (Some(_), _) => Vec::new(),
            (None, _) => group
                .map(|g| g.candidates(&path).into_iter().map(Match::of).collect())
                .unwrap_or_default(),
        };
        Explanation {
            host_selection,
            host_group: group.and_then(|g| g.pattern.to_rule_host()),
            path,
            candidates,
            decision,
        }
    }

    /// The Secret that terminates TLS for an SNI name: an exact `spec.tls[].hosts[]` entry,
    /// else a `*.` wildcard entry for the name without its first label; ASCII
    /// case-insensitive, one trailing dot ignored. Among Ingresses listing the name the oldest
    /// wins (then `namespace/name`, then list order). Independent of routing.
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::RouteTable;
    /// # use ingress_model::Ingress;
    /// # let ingress: Ingress = serde_json::from_str(r#"{
    /// #   "metadata": {"name": "web", "namespace": "shop"},
    /// #   "spec": {"tls": [{"hosts": ["*.example.com"], "secretName": "wild"},
    /// #                    {"hosts": ["www.example.com"], "secretName": "www"}],
    /// #            "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}
    /// # }"#)?;
    /// let table = RouteTable::builder().add(&ingress).build().table;
    /// let cert = table.certificate_for("WWW.example.com.").unwrap();
    /// assert_eq!((cert.namespace(), cert.secret_name), ("shop", Some("www")));
    /// assert_eq!(table.certificate_for("api.example.com").unwrap().secret_name, Some("wild"));
    /// assert!(table.certificate_for("a.b.example.com").is_none());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn certificate_for(&self, sni: &str) -> Option<Certificate<'_>> {
        self.tls.find(sni)
    }

    /// Under [`Profile::IngressNginx`], the servers and locations ingress-nginx would generate
    /// for the table's Ingresses, catch-all server `_` first; `None` under other profiles.
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::nginx::LocationModifier;
    /// use ingress_router::{Config, RouteTable};
    /// # let ingress: ingress_router::Ingress = serde_json::from_value(serde_json::json!({
    /// #   "metadata": {"name": "web", "namespace": "shop"},
    /// #   "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [
    /// #     {"path": "/cart", "pathType": "Prefix",
    /// #      "backend": {"service": {"name": "cart", "port": {"number": 80}}}}]}}]}
    /// # }))?;
    /// let table = RouteTable::builder().config(Config::ingress_nginx()).add(&ingress).build().table;
    /// let servers = table.nginx_servers().unwrap();
    /// let shop = &servers[1];
    /// assert_eq!(shop.host.as_deref(), Some("shop.example.com"));
    /// // Prefix /cart: `location /cart/` and `location = /cart`, then the placeholder `/`.
    /// let rendered: Vec<_> = shop.locations.iter().map(|l| (l.modifier, l.path)).collect();
    /// assert_eq!(rendered, [
    ///     (LocationModifier::Prefix, "/cart/"),
    ///     (LocationModifier::Exact, "/cart"),
    ///     (LocationModifier::Prefix, "/"),
    /// ]);
    /// assert_eq!(shop.locations[0].upstream, Some("shop-cart-80"));
    /// assert_eq!(shop.locations[2].upstream, None); // the controller's 404
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn nginx_servers(&self) -> Option<Vec<crate::nginx::ServerView<'_>>> {
        self.nginx.as_ref().map(|v| v.server_views())
    }

    /// The table's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every diagnostic of the table as it stands, by Ingress.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .ingresses
            .values()
            .flat_map(|e| e.diagnostics.iter().cloned())
            .collect();
        match &self.nginx {
            Some(view) => out.extend(view.diagnostics().cloned()),
            None => out.extend(self.groups().flat_map(|g| g.diagnostics.iter().cloned())),
        }
        sort_diagnostics(&mut out);
        out
    }

    fn groups(&self) -> impl Iterator<Item = &HostGroup<B>> {
        self.any
            .iter()
            .chain(self.exact.values())
            .chain(self.wildcard.values())
            .map(|g| &**g)
    }

    /// The keys of the Ingresses in the table (served or not), in no particular order.
    pub fn ingresses(&self) -> impl Iterator<Item = &IngressKey> {
        self.ingresses.keys()
    }

    /// Whether the table holds the Ingress `key` and its class rules
    /// ([`Config::classes`](crate::Config)) make it ours, valid or not: the Ingresses whose
    /// status a controller writes. A lookup, no conversion.
    ///
    /// ```
    /// use ingress_model::{Ingress, IngressKey};
    /// use ingress_router::{ClassFilter, Config, RouteTable};
    ///
    /// let ingress = |name: &str, class: &str| -> Ingress {
    ///     serde_json::from_value(serde_json::json!({
    ///         "metadata": {"name": name, "namespace": "prod"},
    ///         "spec": {"ingressClassName": class,
    ///                  "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}
    ///     }))
    ///     .unwrap()
    /// };
    /// let (mine, theirs) = (ingress("mine", "ours"), ingress("theirs", "other"));
    /// let table = RouteTable::builder()
    ///     .config(Config::default().classes(ClassFilter::classes(["ours"])))
    ///     .add(&mine)
    ///     .add(&theirs)
    ///     .build()
    ///     .table;
    /// assert!(table.is_ours(&IngressKey::new("prod", "mine")));
    /// assert!(!table.is_ours(&IngressKey::new("prod", "theirs"))); // held, another class's
    /// assert!(!table.is_ours(&IngressKey::new("prod", "absent")));
    /// ```
    pub fn is_ours(&self, key: &IngressKey) -> bool {
        self.ingresses.get(key).is_some_and(|entry| entry.ours)
    }

    /// Sizes.
    pub fn stats(&self) -> Stats {
        let mut stats = Stats {
            ingresses: self.ingresses.len(),
            ..Stats::default()
        };
        for g in self.groups() {
            stats.host_groups += 1;
            stats.paths += g.routes().count();
            stats.unindexed_paths += g
                .routes()
                .filter(|r| {
                    !matches!(
                        r.rule.kind(),
                        crate::MatchKind::Exact | crate::MatchKind::Prefix
                    )
                })
                .count();
        }
        stats
    }

    /// A table with `ingress` added, or replacing the Ingress with the same `namespace/name`.
    /// Only the host groups and TLS names the old and new versions touch are rebuilt; the rest
    /// is shared with `self`. The diagnostics are the new version's own and those of the
    /// rebuilt host groups.
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::{RequestView, RouteTable};
    /// # use ingress_model::Ingress;
    /// # let parse = |name: &str, host: &str, svc: &str| -> Ingress { serde_json::from_str(&format!(r#"{{
    /// #   "metadata": {{"name": "{name}", "namespace": "default"}},
    /// #   "spec": {{"rules": [{{"host": "{host}", "http": {{"paths": [
    /// #     {{"path": "/", "pathType": "Prefix",
    /// #      "backend": {{"service": {{"name": "{svc}", "port": {{"number": 80}}}}}}}}]}}}}]}}
    /// # }}"#)).unwrap() };
    /// let v1 = parse("web", "a.com", "v1");
    /// let table = RouteTable::builder().add(&v1).build().table;
    /// let v2 = parse("web", "a.com", "v2");
    /// let table = table.with_ingress(&v2).table;
    /// let name = |t: &RouteTable<ingress_model::IngressBackend>| t.find(&RequestView::new("a.com", "/")).backend()
    ///     .map(|b| b.service.as_ref().unwrap().name.clone());
    /// assert_eq!(name(&table).as_deref(), Some("v2"));
    /// let table = table.without_ingress(&ingress_router::IngressKey::of(&v2)).table;
    /// assert_eq!(name(&table), None);
    /// ```
    pub fn with_ingress(&self, ingress: &Ingress) -> Built<B> {
        let key = IngressKey::of(ingress);
        let compiled = compile(ingress, key.clone(), &self.config, &*self.mapper);
        self.apply(key, Some(compiled))
    }

    /// A table without the Ingress `key` (unchanged if it is not there). See
    /// [`RouteTable::with_ingress`].
    pub fn without_ingress(&self, key: &IngressKey) -> Built<B> {
        self.apply(key.clone(), None)
    }

    fn apply(&self, key: IngressKey, new: Option<Compiled<B>>) -> Built<B> {
        let old = self.ingresses.get(&key);
        let mut hosts: Vec<HostPattern> = old.map(|o| o.hosts.clone()).unwrap_or_default();
        let mut tls_hosts: Vec<Arc<str>> = old.map(|o| o.tls_hosts.clone()).unwrap_or_default();
        if let Some(c) = &new {
            for h in &c.entry.hosts {
                if !hosts.contains(h) {
                    hosts.push(h.clone());
                }
            }
            for h in &c.entry.tls_hosts {
                if !tls_hosts.contains(h) {
                    tls_hosts.push(h.clone());
                }
            }
        }

        let mut table = self.clone();
        table.ingresses.remove(&key);
        if let Some(c) = &new {
            table.ingresses.insert(key.clone(), c.entry.clone());
        }
        let had_default = old.is_some_and(|o| o.default_backend.is_some());
        let has_default = new
            .as_ref()
            .is_some_and(|c| c.entry.default_backend.is_some());
        if had_default || has_default {
            table.defaults.update(&table.ingresses, &key);
        }

        let mut changed = BTreeSet::from([key.clone()]);
        let ownership = self.config.host_ownership;
        for host in &hosts {
            let contribution = new.as_ref().and_then(|c| {
                c.contributions
                    .iter()
                    .find(|x| x.host == *host)
                    .map(|x| Contributor::new(&c.entry, x))
            });
            let before = self.group(host);
            let group = HostGroup::rebuilt(host.clone(), ownership, before, &key, contribution);
            // Under the ingress-nginx profile the view's diagnostics stand for the groups'.
            if self.nginx.is_none() {
                diagnostics_changed(
                    before.map_or(&[][..], |g| &g.diagnostics),
                    group.as_ref().map_or(&[][..], |g| &g.diagnostics),
                    &mut changed,
                );
            }
            table.set_group(host, group);
        }
        let new_tls = new.as_ref().map_or(&[][..], |c| &c.tls[..]);
        table.tls.update(&key, &tls_hosts, new_tls);
        if let Some(before) = &self.nginx {
            let after = before.updated(
                &key,
                new.as_ref().map(|c| &c.entry),
                &hosts,
                |h| table.group(h),
                table.defaults.best.as_ref(),
            );
            diagnostics_changed(
                &before.diagnostics_near(&hosts),
                &after.diagnostics_near(&hosts),
                &mut changed,
            );
            table.nginx = Some(Arc::new(after));
        }

        let diagnostics = changed
            .iter()
            .flat_map(|k| table.diagnostics_for(k))
            .collect();
        Built {
            table,
            diagnostics,
            changed: changed.into_iter().collect(),
        }
    }

    /// Every diagnostic about one Ingress as the table stands: its own (validation, class,
    /// refused backends) and those of the host groups it takes part in (shadowed paths, shared
    /// or refused hosts). Empty for an Ingress the table does not hold.
    ///
    /// Costs the Ingress's own diagnostics and a scan of the diagnostics of its host groups; a
    /// controller calls it for each key of [`Built::changed`] to rewrite their status (or reads
    /// [`Built::diagnostics`], which holds the same).
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::{DiagnosticKind, IngressKey, RouteTable};
    /// # use ingress_model::Ingress;
    /// # let parse = |name: &str, created: &str| -> Ingress { serde_json::from_str(&format!(r#"{{
    /// #   "metadata": {{"name": "{name}", "namespace": "shop", "creationTimestamp": "{created}"}},
    /// #   "spec": {{"rules": [{{"host": "a.com", "http": {{"paths": [
    /// #     {{"path": "/", "pathType": "Prefix",
    /// #      "backend": {{"service": {{"name": "{name}", "port": {{"number": 80}}}}}}}}]}}}}]}}
    /// # }}"#)).unwrap() };
    /// let old = parse("old", "2024-01-01T00:00:00Z");
    /// let new = parse("new", "2025-01-01T00:00:00Z");
    /// let table = RouteTable::builder().add_all([&old, &new]).build().table;
    /// // "new" duplicates the older Ingress's path: it never matches.
    /// let shadowed = table.diagnostics_for(&new.key());
    /// assert!(matches!(shadowed[0].kind, DiagnosticKind::DuplicatePath { .. }));
    ///
    /// // Deleting "old" changes what the table says about "new" too.
    /// let update = table.without_ingress(&old.key());
    /// assert_eq!(update.changed, [new.key(), old.key()]);
    /// assert!(update.table.diagnostics_for(&new.key()).is_empty());
    /// ```
    pub fn diagnostics_for(&self, key: &IngressKey) -> Vec<Diagnostic> {
        let Some(entry) = self.ingresses.get(key) else {
            return Vec::new();
        };
        let mut out = entry.diagnostics.clone();
        if let Some(view) = &self.nginx {
            out.extend(view.diagnostics_of(key, &entry.hosts).cloned());
            return out;
        }
        for host in &entry.hosts {
            if let Some(group) = self.group(host) {
                out.extend(group.diagnostics_of(key).cloned());
            }
        }
        out
    }
}

/// Adds to `changed` every Ingress whose diagnostics differ between `before` and `after` (one
/// host group's, each sorted by Ingress).
fn diagnostics_changed(
    before: &[Diagnostic],
    after: &[Diagnostic],
    changed: &mut BTreeSet<IngressKey>,
) {
    if before == after {
        return;
    }
    fn by_source(list: &[Diagnostic]) -> BTreeMap<&IngressKey, Vec<&Diagnostic>> {
        let mut map: BTreeMap<&IngressKey, Vec<&Diagnostic>> = BTreeMap::new();
        for d in list {
            map.entry(&d.source).or_default().push(d);
        }
        map
    }
    let (before, after) = (by_source(before), by_source(after));
    for (source, list) in &before {
        if after.get(source) != Some(list) {
            changed.insert((*source).clone());
        }
    }
    for source in after.keys() {
        if !before.contains_key(source) {
            changed.insert((*source).clone());
        }
    }
}

fn set<K, B>(map: &mut GroupMap<K, B>, key: K, group: Option<Arc<HostGroup<B>>>)
where
    K: std::hash::Hash + Eq + Clone + std::borrow::Borrow<K>,
{
    match group {
        Some(g) => map.insert(key, g),
        None => map.remove(&key),
    }
}

/// By Ingress, then by field in document order (`spec.rules[2]` before `spec.rules[10]`), so
/// the order never depends on how the table's maps iterate. Stable: diagnostics about one
/// field keep the order they were made in.
pub(crate) fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        a.source
            .cmp(&b.source)
            .then_with(|| field_order(&a.field, &b.field))
    });
}

/// Compares field paths with their indices as numbers.
fn field_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (da, db) = (digits(a), digits(b));
                // Without leading zeros (field indices have none), longer is larger.
                let order = da.cmp(&db).then_with(|| a[..da].cmp(&b[..db]));
                if order.is_ne() {
                    return order;
                }
                (a, b) = (&a[da..], &b[db..]);
            }
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            _ => (a, b) = (&a[1..], &b[1..]),
        }
    }
}

/// Cheap: counts the table already keeps, not a walk of its groups ([`RouteTable::stats`]
/// walks).
impl<B> fmt::Debug for RouteTable<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteTable")
            .field("ingresses", &self.ingresses.len())
            .field("exact_hosts", &self.exact.len())
            .field("wildcard_hosts", &self.wildcard.len())
            .field("no_host_group", &self.any.is_some())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Cheap: a table is a few `Arc`s and two 64-pointer shard vectors; the groups are shared.
impl<B> Clone for RouteTable<B> {
    fn clone(&self) -> Self {
        RouteTable {
            config: self.config.clone(),
            mapper: self.mapper.clone(),
            exact: self.exact.clone(),
            wildcard: self.wildcard.clone(),
            any: self.any.clone(),
            defaults: self.defaults.clone(),
            tls: self.tls.clone(),
            ingresses: self.ingresses.clone(),
            nginx: self.nginx.clone(),
        }
    }
}
