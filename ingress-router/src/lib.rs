//! Kubernetes Ingress v1 routing as a library: compile Ingress objects into an immutable
//! [`RouteTable`], then ask it where a request goes and why.
//!
//! This crate is the engine only. It does no I/O, spawns nothing and knows nothing of async
//! runtimes, proxies or the Kubernetes API: it is handed [`ingress_model::Ingress`] values and
//! a request's host and path, and returns a [`Decision`]. Watching a cluster (`ingress-kube`),
//! serving HTTP (`examples/`) and resolving Services to endpoints are other crates' business.
//! With the `http` feature it reads the host and path from an `http::Request` without copying.
//!
//! ```
//! # include!("../doc/support.rs");
//! # fn main() {
//! let table = table("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: fanout, namespace: shop}
//! spec:
//!   rules:
//!   - host: foo.bar.com
//!     http:
//!       paths:
//!       - {path: /foo, pathType: Prefix, backend: {service: {name: service1, port: {number: 4200}}}}
//!       - {path: /bar, pathType: Prefix, backend: {service: {name: service2, port: {number: 8080}}}}
//! ");
//! match table.find(&RequestView::new("foo.bar.com", "/bar/baz")) {
//!     ingress_router::Decision::Route(m) => {
//!         assert_eq!(m.backend.to_string(), "service/service2:8080");
//!         assert_eq!(m.source.to_string(), "shop/fanout");
//!         assert_eq!((m.rule.path(), m.rule.path_type().as_str()), ("/bar", "Prefix"));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert_eq!(to(&table, "foo.bar.com", "/baz"), "404");
//! # }
//! ```
//!
//! In a gateway: check the host (`RequestView::try_from_request`, feature `http`: an `Err`
//! is a 400 Bad Request), look the request up once with [`RouteTable::find_owned`], and leave
//! the answer in the request's extensions for the layers after it. An [`OwnedDecision`] holds
//! its share of the table by reference count, allocates nothing, and stays valid when a
//! controller swaps in a new table and the old one is dropped.
//!
//! ```
//! # #[cfg(feature = "http")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::{Arc, RwLock};
//! use ingress_router::{IngressBackend, IngressKey, OwnedDecision, RequestView, RouteTable};
//! # let ingress: ingress_router::Ingress = serde_json::from_str(r#"{
//! #   "metadata": {"name": "shop", "namespace": "web"},
//! #   "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [
//! #     {"path": "/api", "pathType": "Prefix",
//! #      "backend": {"service": {"name": "api", "port": {"number": 8080}}}}]}}]}
//! # }"#)?;
//! let current = Arc::new(RwLock::new(Arc::new(RouteTable::builder().add(&ingress).build().table)));
//!
//! // The gateway, for each request.
//! let mut req = http::Request::get("/api/items").header("host", "Shop.Example.com").body(())?;
//! let table = Arc::clone(&current.read().unwrap());
//! let decision = match RequestView::try_from_request(&req) {
//!     Ok(view) => table.find_owned(&view),
//!     Err(bad_host) => return Err(bad_host.into()), // 400 Bad Request
//! };
//! drop(table);
//! req.extensions_mut().insert(decision);
//!
//! // The controller: the Ingress is deleted, the new table replaces the old one, which is freed.
//! let next = current.read().unwrap().without_ingress(&IngressKey::of(&ingress)).table;
//! *current.write().unwrap() = Arc::new(next);
//!
//! // A later layer still knows where the request went, and why.
//! let decision = req.extensions().get::<OwnedDecision<IngressBackend>>().unwrap();
//! assert_eq!(decision.backend().unwrap().to_string(), "service/api:8080");
//! assert_eq!(decision.source().unwrap().to_string(), "web/shop");
//! assert_eq!(decision.rule().unwrap().path(), "/api");
//! let view = RequestView::try_from_request(&req)?;
//! assert!(current.read().unwrap().find(&view).is_not_found()); // the new table's answer
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "http"))]
//! # fn main() {}
//! ```
//!
//! Another profile, [`Profile::IngressNginx`] ([`Config::ingress_nginx`]), makes the same
//! table do what ingress-nginx does with the same Ingresses: the [`nginx`] module lists each
//! difference with an example.
//!
//! The rest of this page is the specification the table implements: the profile `spec`,
//! on top of the Ingress API (`k8s.io/api/networking/v1` types.go, the Kubernetes docs
//! and KEP-1453), with each choice the API leaves open marked *our call*. Every rule has an
//! example that runs as a test.
//!
//! # 1. The request host is normalised
//!
//! The host comes from `Host` (HTTP/1.1) or `:authority` (HTTP/2); no header means the empty
//! host. types.go only says a request matches a host "if the http host header is equal to
//! Host"; the rest is *our call*, one rule for every [`RequestView`] constructor, for
//! [`HostPattern::matches`] and for the [`reference`](mod@reference) matcher, so that the same
//! bytes get the same answer whichever way they arrive:
//!
//! 1. The port goes: one `:` followed by digits or nothing (`foo.com:8080`, `foo.com:`). A
//!    bracketed IP literal keeps its brackets and loses its port (`[::1]:80` is `[::1]`).
//!    Anything else with a `:` (`::1`, `foo.com:http`, `a:1:2`, `[::1]x`) is kept whole.
//! 2. Then one trailing dot goes (as nginx): `foo.com.` is `foo.com`, `foo.com..` is `foo.com.`.
//! 3. Hosts compare ASCII case-insensitively (RFC 4343).
//! 4. Only a *name* can select a named host group (section 2): a non-empty host made of ASCII
//!    letters, digits, `-`, `.`, `_` and `~` (RFC 3986's unreserved characters). Every other
//!    host is *opaque*: an IP literal (`[::1]`, `::1`; rule hosts cannot be IPs), userinfo
//!    (`user@foo.com`), a bracket (`[foo.com`, `[foo.com]`), a leftover `:`, `%`, `*`, a
//!    space, a control or non-ASCII byte. An opaque host matches no rule host, exact or wildcard, so it selects the
//!    host-less group, as a request without a host does.
//!
//! Nothing is cut off the front of a host: `user@foo.com` is not `foo.com`. A front proxy that
//! saw `user@foo.com` (and applied that host's policy) must not find us routing the request to
//! `foo.com`'s backends; treating the host as opaque gives every reader one answer. The same
//! goes for a `Host` header that is not visible ASCII: an opaque host (one that is not UTF-8
//! reads as `"\u{fffd}"`, since a `&str` cannot show it), never an absent one and never a
//! repaired one. Opaque and absent select the same group, so which of the two a malformed value
//! counts as can never change a decision; opaque keeps `host()` telling them apart.
//!
//! These constructors never fail. A gateway that would rather answer a malformed host with
//! 400 Bad Request uses `RequestView::try_from_parts` (feature `http`), which refuses userinfo,
//! bytes outside the name syntax, bad ports and IP literals, several `Host` headers, a missing
//! one in HTTP/1.1, and an HTTP/2 `:authority` that disagrees with `Host`; what it accepts
//! reads exactly as `RequestView::from_parts` reads it.
//!
//! ```
//! # include!("../doc/support.rs");
//! # fn main() {
//! let table = table("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: web}
//! spec:
//!   rules:
//!   - host: foo.bar.com
//!     http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
//!   - http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: any, port: {number: 80}}}}]}
//! ");
//! for host in ["foo.bar.com", "FOO.Bar.com", "foo.bar.com:8080", "foo.bar.com.", "foo.bar.com:"] {
//!     assert_eq!(to(&table, host, "/"), "web");
//! }
//! assert_eq!(to(&table, "foo.bar.com..", "/"), "any"); // only one dot goes
//! for opaque in ["user@foo.bar.com", "[foo.bar.com", "[foo.bar.com]", "foo.bar.com:http", " foo.bar.com"] {
//!     assert_eq!(to(&table, opaque, "/"), "any", "{opaque}");
//! }
//! assert_eq!(RequestView::new("user@foo.bar.com:80", "/").host(), "user@foo.bar.com");
//! # }
//! ```
//!
//! # 2. One host group per request, and no fall-through
//!
//! types.go: "Incoming requests are first evaluated for a host match, then routed to the
//! backend associated with the matching IngressRuleValue." The paths of every rule with the
//! same host, across all Ingresses, form one *host group*. A request selects exactly one group:
//!
//! 1. the group of a precise host equal to the request host; else
//! 2. the group of the wildcard `*.` + the request host without its first label. A wildcard
//!    "matches only a single label" (types.go): `*.foo.com` matches `bar.foo.com`, not
//!    `baz.bar.foo.com` and not `foo.com`; else
//! 3. the group of the rules without host, which apply "to all inbound HTTP traffic"; else
//!    none.
//!
//! Once a group is selected, only its paths count: a request for `foo.bar.com/b` does not reach
//! a `*.bar.com` or host-less rule for `/b` (*our call*, what ingress-nginx's servers and
//! Envoy's virtual hosts do). An IP-literal host can only select the host-less group, since
//! rule hosts cannot be IPs. A rule with a host and no `http` still claims its host (types.go:
//! "the rule defaults to a http catch-all"), so that host's unmatched requests go to the
//! default backend (section 5), not to the host-less rules.
//!
//! Any namespace may write rules for any host, and they merge into that host's group. A
//! multi-tenant controller can refuse that with [`HostOwnership::FirstNamespace`]: the
//! namespace of the oldest Ingress for a host owns it, and other namespaces' rules for it are
//! skipped and reported.
//!
//! ```
//! # include!("../doc/support.rs");
//! # fn main() {
//! let table = table("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: hosts}
//! spec:
//!   rules:
//!   - host: foo.bar.com
//!     http: {paths: [{path: /a, pathType: Prefix, backend: {service: {name: exact, port: {number: 80}}}}]}
//!   - host: '*.bar.com'
//!     http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: wild, port: {number: 80}}}}]}
//!   - http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: any, port: {number: 80}}}}]}
//! ");
//! assert_eq!(to(&table, "foo.bar.com", "/a/x"), "exact");
//! assert_eq!(to(&table, "foo.bar.com", "/b"), "404"); // no fall-through
//! assert_eq!(to(&table, "x.bar.com", "/b"), "wild");
//! assert_eq!(to(&table, "x.y.bar.com", "/b"), "any"); // two labels: not the wildcard
//! assert_eq!(to(&table, "bar.com", "/b"), "any");
//! assert_eq!(to(&table, "203.0.113.7", "/"), "any");
//! assert_eq!(to(&table, "", "/"), "any"); // no Host header
//! # }
//! ```
//!
//! # 3. Path types
//!
//! Paths match the request path only, without query or fragment, case-sensitively.
//!
//! * `Exact`: "Matches the URL path exactly and with case sensitivity." Byte equality; `/foo`
//!   does not match `/foo/`.
//! * `Prefix`: "Matches based on a URL path prefix split by `/`. Matching is case sensitive and
//!   done on a path element by element basis." `/foo` matches `/foo`, `/foo/` and `/foo/bar`,
//!   never `/foobar`; a trailing `/` on the rule is ignored, so `/foo/` matches `/foo`.
//! * `ImplementationSpecific`: "matching is up to the IngressClass". Here it is
//!   [`Config::implementation_specific`]: like `Prefix` by default (*our call*; also what
//!   ingress-nginx does outside regex mode), or `Exact`, a plain string prefix, or an ingress-nginx style regex. An empty path reads as `/` under every setting.
//!
//! The Kubernetes docs' examples table, row by row:
//!
//! ```
//! # include!("../doc/support.rs");
//! # fn main() {
//! let one = |path_type: &str, path: &str| table(&format!("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {{name: t}}
//! spec:
//!   rules:
//!   - http: {{paths: [{{path: '{path}', pathType: {path_type}, backend: {{service: {{name: p0, port: {{number: 80}}}}}}}}]}}
//! "));
//! let matches = |path_type, path, request| to(&one(path_type, path), "example.com", request) == "p0";
//! assert!(matches("Prefix", "/", "/any/thing"));
//! assert!(matches("Exact", "/foo", "/foo"));
//! assert!(!matches("Exact", "/foo", "/bar"));
//! assert!(!matches("Exact", "/foo", "/foo/"));
//! assert!(!matches("Exact", "/foo/", "/foo"));
//! assert!(matches("Prefix", "/foo", "/foo") && matches("Prefix", "/foo", "/foo/"));
//! assert!(matches("Prefix", "/foo/", "/foo") && matches("Prefix", "/foo/", "/foo/"));
//! assert!(!matches("Prefix", "/aaa/bb", "/aaa/bbb"));
//! assert!(matches("Prefix", "/aaa/bbb", "/aaa/bbb"));
//! assert!(matches("Prefix", "/aaa/bbb/", "/aaa/bbb"));
//! assert!(matches("Prefix", "/aaa/bbb", "/aaa/bbb/"));
//! assert!(matches("Prefix", "/aaa/bbb", "/aaa/bbb/ccc"));
//! assert!(!matches("Prefix", "/aaa/bbb", "/aaa/bbbxyz"));
//! assert!(!matches("Prefix", "/foo", "/FOO"));
//! assert!(matches("Prefix", "/foo", "/foo?query=/bar"));
//! assert!(!matches("ImplementationSpecific", "/foo", "/foobar")); // default: like Prefix
//! # }
//! ```
//!
//! ```
//! # include!("../doc/support.rs");
//! # fn main() {
//! use ingress_router::{Config, ImplementationSpecific};
//! let yaml = "
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: t}
//! spec:
//!   rules:
//!   - http: {paths: [{path: /foo, pathType: ImplementationSpecific, backend: {service: {name: foo, port: {number: 80}}}}]}
//! ";
//! let string_prefix = Config::default().implementation_specific(ImplementationSpecific::StringPrefix);
//! assert_eq!(to(&build(yaml, string_prefix), "x", "/foobar"), "foo");
//! let exact = Config::default().implementation_specific(ImplementationSpecific::Exact);
//! assert_eq!(to(&build(yaml, exact), "x", "/foo/"), "404");
//! # }
//! ```
//!
//! # 4. Precedence
//!
//! When several paths of the selected group match (*our call* where the sources disagree;
//! see [the Kubernetes docs]):
//!
//! 1. `Exact` before everything else (KEP-1453: "`Exact` match is preferred to a `Prefix`
//!    match"; ingress-nginx, Contour and Gateway API agree). `ImplementationSpecific` ranks as
//!    the type it resolves to; string-prefix and regex rank with `Prefix`.
//! 2. The longer path, in bytes as written: types.go, "the longest matching path is given
//!    priority", so `/foo/` beats `/foo`.
//! 3. The older Ingress by `creationTimestamp` (one-second precision; a missing one counts as
//!    oldest), then `namespace/name` ascending, then rule and path order in the list.
//!
//! Steps 3 only separate paths that match the same requests; the table reports those as
//! [`DiagnosticKind::DuplicatePath`] or [`DiagnosticKind::UnreachablePath`].
//!
//! [the Kubernetes docs]: https://kubernetes.io/docs/concepts/services-networking/ingress/#multiple-matches
//!
//! ```
//! # include!("../doc/support.rs");
//! # fn main() {
//! let m = ingress_model::Manifests::load_str("doc.yaml", "
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: old, namespace: shop, creationTimestamp: '2024-01-01T00:00:00Z'}
//! spec:
//!   rules:
//!   - host: foo.com
//!     http:
//!       paths:
//!       - {path: /, pathType: Prefix, backend: {service: {name: root, port: {number: 80}}}}
//!       - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
//!       - {path: /api/, pathType: Prefix, backend: {service: {name: api-slash, port: {number: 80}}}}
//!       - {path: /api, pathType: Exact, backend: {service: {name: api-exact, port: {number: 80}}}}
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: new, namespace: shop, creationTimestamp: '2025-01-01T00:00:00Z'}
//! spec:
//!   rules:
//!   - host: foo.com
//!     http:
//!       paths:
//!       - {path: /, pathType: Prefix, backend: {service: {name: newer-root, port: {number: 80}}}}
//!       - {path: /v2, pathType: Prefix, backend: {service: {name: v2, port: {number: 80}}}}
//! ", &Default::default());
//! let ingresses: Vec<_> = m.ingresses.into_iter().map(|l| l.object).collect();
//! let built = RouteTable::builder().add_all(&ingresses).build();
//! let table = built.table;
//! assert_eq!(to(&table, "foo.com", "/api"), "api-exact");   // Exact first
//! assert_eq!(to(&table, "foo.com", "/api/x"), "api-slash"); // longer path
//! assert_eq!(to(&table, "foo.com", "/v2/x"), "v2");         // groups merge across Ingresses
//! assert_eq!(to(&table, "foo.com", "/other"), "root");      // older Ingress
//! // The losers are reported: Prefix /api never wins over Prefix /api/, and the newer `/`.
//! assert_eq!(built.diagnostics.len(), 2);
//! # }
//! ```
//!
//! # 5. Default backends
//!
//! types.go: "DefaultBackend is the backend that should handle requests that don't match any
//! rule." With several Ingresses the API leaves the choice "up to the controller"; the default
//! [`DefaultBackendPolicy::SpecPerIngress`] (*our call*) says:
//!
//! * a host group was selected and no path matched: the `defaultBackend` of the oldest Ingress
//!   that contributes a rule to that group and has one;
//! * no host group was selected: the oldest Ingress without rules that has one, else the
//!   oldest Ingress with one;
//! * otherwise [`Decision::NotFound`]: a gateway answers 404.
//!
//! ```
//! # include!("../doc/support.rs");
//! # fn main() {
//! let table = table("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: shop, creationTimestamp: '2024-01-01T00:00:00Z'}
//! spec:
//!   defaultBackend: {service: {name: shop-fallback, port: {number: 80}}}
//!   rules:
//!   - host: shop.com
//!     http: {paths: [{path: /cart, pathType: Prefix, backend: {service: {name: cart, port: {number: 80}}}}]}
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: blog, creationTimestamp: '2024-01-01T00:00:00Z'}
//! spec:
//!   rules:
//!   - host: blog.com
//!     http: {paths: [{path: /posts, pathType: Prefix, backend: {service: {name: posts, port: {number: 80}}}}]}
//! ");
//! assert_eq!(to(&table, "shop.com", "/nothing"), "shop-fallback"); // shop.com's own
//! assert_eq!(to(&table, "blog.com", "/nothing"), "404");  // blog has none; no borrowing
//! assert_eq!(to(&table, "elsewhere.com", "/"), "shop-fallback"); // no group: oldest with one
//! # }
//! ```
//!
//! # 6. The request path is normalised
//!
//! The API does not say how; validation forbids `/./`, `/../`, `//` and `%2F` in `Exact` and
//! `Prefix` paths, which only makes sense if requests are compared normalised. By default the
//! table removes dot segments (RFC 3986 section 5.2.4) and never decodes `%2F`
//! ([`PathNormalization`]; `None` and `NginxLike` are options).
//!
//! ```
//! # include!("../doc/support.rs");
//! # fn main() {
//! let table = table("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: t}
//! spec:
//!   rules:
//!   - http:
//!       paths:
//!       - {path: /admin, pathType: Prefix, backend: {service: {name: admin, port: {number: 80}}}}
//!       - {path: /, pathType: Prefix, backend: {service: {name: public, port: {number: 80}}}}
//! ");
//! assert_eq!(to(&table, "x", "/public/../admin/users"), "admin");
//! assert_eq!(to(&table, "x", "/admin/../public"), "public");
//! assert_eq!(to(&table, "x", "/public%2F..%2Fadmin"), "public"); // %2F is not a separator
//! # }
//! ```
//!
//! # 7. Classes
//!
//! An Ingress is served when its `spec.ingressClassName` names one of our classes, or (field
//! unset) its deprecated `kubernetes.io/ingress.class` annotation does, or (both unset) when
//! class-less Ingresses are accepted: see [`ClassFilter`]. By default every Ingress is served.
//! Ingresses left out are reported with [`Severity::Info`].
//!
//! # 8. TLS
//!
//! The SNI name picks the certificate and the Host header picks the route (types.go: "the SNI
//! host is used for termination and value of the 'Host' header is used for routing"). See
//! [`RouteTable::certificate_for`].
//!
//! # 9. Invalid input never breaks the table
//!
//! Building never fails as a whole. Each Ingress is validated as the API server would
//! ([`ingress_model::validation`]); an invalid path, rule, default backend, TLS entry or object
//! is skipped and reported as a [`Diagnostic`] with its Ingress, field path and the API
//! server's words. Beyond validation the table reports duplicate and unreachable paths and
//! hosts shared by several namespaces.
//!
//! ```
//! # include!("../doc/support.rs");
//! # fn main() {
//! let m = ingress_model::Manifests::load_str("doc.yaml", "
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: web, namespace: shop}
//! spec:
//!   rules:
//!   - http:
//!       paths:
//!       - {path: /ok, pathType: Prefix, backend: {service: {name: ok, port: {number: 80}}}}
//!       - {path: /a//b, pathType: Prefix, backend: {service: {name: bad, port: {number: 80}}}}
//! ", &Default::default());
//! let ingresses: Vec<_> = m.ingresses.into_iter().map(|l| l.object).collect();
//! let built = RouteTable::builder().add_all(&ingresses).build();
//! assert_eq!(
//!     built.diagnostics[0].to_string(),
//!     "shop/web: spec.rules[0].http.paths[1].path: Invalid value: \"/a//b\": \
//!      must not contain '//' (path skipped)"
//! );
//! assert_eq!(to(&built.table, "x", "/ok"), "ok");
//! # }
//! ```
//!
//! # 10. Updates
//!
//! A table never changes. [`RouteTable::with_ingress`] and [`RouteTable::without_ingress`]
//! return a new table that rebuilds only the host groups (and TLS names) the Ingress touches
//! and shares everything else, then swap an `Arc` (or a `SharedTable` with the `shared`
//! feature). [`Built::changed`] names every Ingress whose diagnostics the change altered (an
//! Ingress that shadowed another was deleted, say), with their complete diagnostics in
//! [`Built::diagnostics`], so a controller rewrites exactly those statuses;
//! [`RouteTable::diagnostics_for`] gives one Ingress's at any time. A changed [`Config`] (a
//! class filter following IngressClass events) is a rebuild through [`RouteTable::to_builder`],
//! which keeps the backend mapper.
//!
//! What one update costs, for an Ingress of `p` paths on `h` hosts, in a table of `n` Ingresses
//! whose touched host groups hold `g` paths:
//!
//! * compiling the Ingress: validation and the mapper, `O(p)`;
//! * the table's maps (exact hosts, wildcard hosts, Ingresses, TLS names) are split into 64
//!   shards each: a write copies one shard, `O(n / 64)`, and shares the other 63;
//! * each touched host group copies its slot shards that hold the Ingress's keys (a group splits
//!   into up to 64 shards of about 64 keys as it grows) and its contributor list (`O(g / 3)`
//!   reference counts for a group of three paths per Ingress), then removes and inserts the
//!   Ingress's routes in their keys' slots: no re-sort, no index rebuild. Only under
//!   [`HostOwnership::FirstNamespace`], a change of the host's owning namespace rebuilds that
//!   group from its contributors;
//! * the default backend for requests that select no host group is re-ranked in one shard of
//!   the Ingress map and among the 64 shard winners, `O(n / 64 + 64)`;
//! * the changed set compares the touched groups' diagnostics, `O(their number)`.
//!
//! Measured in one quiet run (router README): one update in a table of 10 000 Ingresses takes
//! about 8 µs; on a host shared by 2 000 Ingresses about 0.17 ms; starting a controller by
//! 10 000 sequential updates from an empty table costs 1.7 times one batch build.
//!
//! # How it works
//!
//! Exact hosts and wildcard suffixes are hash maps split into 64 shards behind `Arc`s, hashed
//! with foldhash under a seed drawn for each table built (host names are written by tenants: a
//! fixed hash would let one pick hosts that collide in the bucket of another's). In a host
//! group, every Exact path and every Prefix path without its trailing slash is a *key*, and
//! each key has a slot holding the best Exact and the best Prefix rule with that key by
//! precedence (and the rules they shadow, which are reported). A lookup probes the request path
//! itself (an Exact hit wins outright), then the path cut before each `/`, longest first,
//! skipping lengths no key has: the first Prefix hit is the longest matching prefix, hence the
//! winner. String-prefix and regex `ImplementationSpecific` paths live in a short list in
//! precedence order for their host only, scanned while they outrank the winner so far.
//!
//! [`RouteTable::find`] does not allocate: the host is lower-cased into a stack buffer when it
//! has upper-case letters, and a path with dot segments is normalised into a stack buffer (256
//! bytes, or 4 KiB for longer paths; longer still, rare and suspicious, are normalised on the
//! heap). The request is scanned once, eight bytes at a time, for the end of the path, the port
//! and upper-case letters. A test with a counting allocator holds `find` to zero allocations.
//!
//! [`reference`](mod@reference) is a naive transcription of the same rules (a linear scan);
//! property tests check that the table agrees with it on random rule sets.
//!
//! # Features
//!
//! * `http`: `RequestView::from_request` and `RequestView::from_parts`, and the strict
//!   `RequestView::try_from_request` / `RequestView::try_from_parts` with their error,
//!   `InvalidHost`.
//! * `shared`: `SharedTable`, the current table of a gateway: lock-free reads, atomic
//!   replacement, and replaced tables freed on a background thread rather than by the last
//!   request that held them (pulls in `arc-swap`; the one place this crate starts a thread).
//! * `tower` (implies `http` and `shared`): `tower::RouteLayer`, a tower layer that routes
//!   each `http::Request` through a table and hands the decision to the inner service as a
//!   request extension (pulls in `tower-layer` and `tower-service`, no runtime).

#[cfg(feature = "http")]
mod authority;
mod builder;
mod class;
mod compile;
mod config;
mod error;
mod explain;
mod group;
mod host;
mod matched;
pub mod nginx;
mod normalize;
mod owned;
mod path;
mod precedence;
pub mod reference;
mod request;
mod rule;
mod scan;
mod screen;
mod shard;
#[cfg(feature = "shared")]
mod shared;
mod table;
mod tls;
#[cfg(feature = "tower")]
pub mod tower;

#[cfg(feature = "http")]
pub use authority::{HostField, InvalidHost};
pub use builder::Builder;
pub use class::ClassFilter;
pub use config::{
    Config, DefaultBackendPolicy, HostOwnership, ImplementationSpecific, Profile, Validation,
};
pub use error::{
    BackendError, Diagnostic, DiagnosticKind, InvalidPath, NotServed, RuleOrigin, Severity, Skipped,
};
pub use explain::{Explanation, HostSelection};
pub use host::HostPattern;
pub use matched::{Decision, DefaultMatch, Match};
pub use normalize::PathNormalization;
pub use owned::OwnedDecision;
pub use path::{MatchKind, PathPattern};
pub use request::{RequestView, Scheme};
pub use rule::PathRule;
#[cfg(feature = "shared")]
pub use shared::SharedTable;
pub use table::{Built, RouteTable, Stats};
pub use tls::Certificate;

// The model types this crate's API takes and returns, so embedders need not name the model
// crate for them (and the crate itself, for everything else).
pub use ingress_model;
pub use ingress_model::validation::{FieldError, ValidationOptions};
pub use ingress_model::{Ingress, IngressBackend, IngressClass, IngressKey, PathType};

/// The README's examples run as doctests too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
