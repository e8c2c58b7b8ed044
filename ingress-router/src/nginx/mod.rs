//! The `IngressNginx` profile: what ingress-nginx does with the same Ingresses.
//!
//! ingress-nginx, the controller of many clusters (retired in March 2026), does not route
//! Ingresses the way their specification reads: it turns them into nginx `server` and
//! `location` blocks, and nginx's own rules decide. [`Config::ingress_nginx`] builds the same
//! table with those semantics, so a gateway can keep a cluster's behaviour while it moves, and
//! `ingress-route diff` can show every request whose fate changes when it moves to the
//! specification. It is the same engine configured: the same host selection, validation,
//! class filter, TLS lookup, decisions and update API; only the step that picks a path inside
//! a host, and what comes after it, follow nginx. How the locations are made and chosen is in
//! the `server` module's docs; the sources are ingress-nginx's code (`controller.go`,
//! `location.go`, `template.go`, `nginx.tmpl`, `balancer.lua`, `lua_ingress.lua`) and its e2e
//! tests, and the profile is checked against a real nginx running the configuration it
//! renders ([`RouteTable::nginx_servers`]).
//!
//! Each difference from the `Spec` profile, with the same manifests under both:
//!
//! # 1. Prefix paths become two locations; `/foo/` redirects `/foo`
//!
//! `Prefix /foo` is `location /foo/` plus an exact `location = /foo`, and an exact location
//! wins outright: where the specification prefers the longer `Prefix /foo/` for `/foo`,
//! ingress-nginx takes `/foo`'s twin. For a path that ends in `/` (`Prefix` or `Exact`), nginx
//! answers the same path without it with a `301` that adds it.
//!
//! ```
//! # include!("../../doc/support.rs");
//! # fn main() {
//! let (spec, nginx) = profiles("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: docs}
//! spec:
//!   rules:
//!   - host: docs.example.com
//!     http:
//!       paths:
//!       - {path: /guide/, pathType: Prefix, backend: {service: {name: guide, port: {number: 80}}}}
//!       - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
//!       - {path: /api/, pathType: Prefix, backend: {service: {name: api-slash, port: {number: 80}}}}
//! ");
//! let req = RequestView::new("docs.example.com", "/guide?page=2");
//! assert_eq!(sees(&spec, &req), "guide");
//! assert_eq!(sees(&nginx, &req), "301 http://docs.example.com/guide/?page=2");
//! let req = RequestView::new("docs.example.com", "/api");
//! assert_eq!((sees(&spec, &req), sees(&nginx, &req)), ("api-slash".into(), "api".into()));
//! # }
//! ```
//!
//! (`Prefix /api` and `Prefix /api/` both render as `location /api/`, which nginx refuses: the
//! table serves the first and reports [`DiagnosticKind::DuplicateLocation`](crate::DiagnosticKind::DuplicateLocation).)
//!
//! # 2. One regex turns the whole host into regexes
//!
//! `use-regex: "true"`, or a `rewrite-target` other than the path, on any Ingress of a host puts
//! the host in *regex mode*: every location of every Ingress of the host becomes
//! `~* "^<path>"`, a case-insensitive regex anchored at the start only, tried longest first. A
//! `Prefix /docs` of another team then matches `/DOCS` and `/docsx`, and `Exact` stops being
//! exact.
//!
//! ```
//! # include!("../../doc/support.rs");
//! # fn main() {
//! let (spec, nginx) = profiles("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: docs}
//! spec:
//!   rules:
//!   - host: www.example.com
//!     http:
//!       paths:
//!       - {path: /docs, pathType: Prefix, backend: {service: {name: docs, port: {number: 80}}}}
//!       - {path: /about, pathType: Exact, backend: {service: {name: about, port: {number: 80}}}}
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata:
//!   name: api
//!   annotations: {nginx.ingress.kubernetes.io/use-regex: 'true'}
//! spec:
//!   rules:
//!   - host: www.example.com
//!     http:
//!       paths:
//!       - {path: '/api/v[0-9]+', pathType: ImplementationSpecific, backend: {service: {name: api, port: {number: 80}}}}
//! ");
//! for path in ["/DOCS", "/docsx", "/about/team"] {
//!     let req = RequestView::new("www.example.com", path);
//!     assert_eq!(sees(&spec, &req), "404");
//!     assert_ne!(sees(&nginx, &req), "404");
//! }
//! assert_eq!(sees(&nginx, &RequestView::new("www.example.com", "/API/V2/users")), "api");
//! # }
//! ```
//!
//! # 3. `rewrite-target` changes what the upstream gets
//!
//! nginx's `rewrite "(?i)<path>" <target> break;`: the whole target is replaced by the
//! annotation's, with `$1`..`$9` from the path's groups on the decoded request path, and the
//! query kept ([`Rewrite::upstream_target`]). It applies to every path of the Ingress, and to
//! the placeholder `/` of a host the Ingress created. The specification has no rewrites.
//!
//! ```
//! # include!("../../doc/support.rs");
//! # fn main() {
//! let (spec, nginx) = profiles("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata:
//!   name: app
//!   annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2}
//! spec:
//!   rules:
//!   - host: rewrite.example.com
//!     http:
//!       paths:
//!       - {path: '/app(/|$)(.*)', pathType: ImplementationSpecific, backend: {service: {name: app, port: {number: 80}}}}
//! ");
//! let req = RequestView::new("rewrite.example.com", "/app/users?id=7");
//! assert_eq!(sees(&nginx, &req), "app -> /users?id=7");
//! assert_eq!(sees(&spec, &req), "404"); // a path the specification matches literally
//! # }
//! ```
//!
//! # 4. `app-root` and the HTTPS redirect
//!
//! `app-root: /portal` answers the host's `/` with `302` to it. A host with TLS (an Ingress
//! with a rule for it has any `spec.tls`) redirects plain HTTP to HTTPS with `308`
//! (`ssl-redirect`, on by default; `force-ssl-redirect` without TLS; the codes and exceptions
//! are [`NginxOptions`]), dropping one trailing `/` of the target. The scheme is the request's
//! ([`RequestView::with_scheme`](crate::RequestView::with_scheme)).
//!
//! ```
//! # include!("../../doc/support.rs");
//! # fn main() {
//! use ingress_router::Scheme;
//! let (spec, nginx) = profiles("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata:
//!   name: portal
//!   annotations: {nginx.ingress.kubernetes.io/app-root: /portal}
//! spec:
//!   tls: [{hosts: [portal.example.com], secretName: portal-tls}]
//!   rules:
//!   - host: portal.example.com
//!     http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: portal, port: {number: 80}}}}]}
//! ");
//! let root = RequestView::new("portal.example.com", "/").with_scheme(Scheme::Https);
//! assert_eq!(sees(&nginx, &root), "302 https://portal.example.com/portal");
//! let plain = RequestView::new("portal.example.com", "/docs/");
//! assert_eq!(sees(&nginx, &plain), "308 https://portal.example.com/docs");
//! assert_eq!(sees(&spec, &plain), "portal");
//! # }
//! ```
//!
//! # 5. Default backends belong to hosts; the catch-all to rule-less Ingresses
//!
//! The `defaultBackend` of an Ingress with rules answers the unmatched requests of the hosts
//! that Ingress brought first, and nothing else: unknown hosts get the controller's 404 unless
//! an Ingress *without* rules has one. The specification lends it to unknown hosts too.
//!
//! ```
//! # include!("../../doc/support.rs");
//! # fn main() {
//! let (spec, nginx) = profiles("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: shop}
//! spec:
//!   defaultBackend: {service: {name: shop-fallback, port: {number: 80}}}
//!   rules:
//!   - host: shop.example.com
//!     http: {paths: [{path: /cart, pathType: Prefix, backend: {service: {name: cart, port: {number: 80}}}}]}
//! ");
//! let own = RequestView::new("shop.example.com", "/nothing");
//! assert_eq!((sees(&spec, &own), sees(&nginx, &own)), ("shop-fallback".into(), "shop-fallback".into()));
//! let other = RequestView::new("blog.example.com", "/");
//! assert_eq!((sees(&spec, &other), sees(&nginx, &other)), ("shop-fallback".into(), "404".into()));
//! # }
//! ```
//!
//! # 6. Ties go to the larger name
//!
//! Ingresses are taken by `creationTimestamp` (one-second precision, so bulk applies tie), then
//! `namespace/name` *descending*; the first location per path and type stays. The
//! specification profile breaks ties ascending.
//!
//! ```
//! # include!("../../doc/support.rs");
//! # fn main() {
//! let (spec, nginx) = profiles("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: blog-a, creationTimestamp: '2025-01-01T00:00:00Z'}
//! spec:
//!   rules: [{host: blog.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}}]
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: blog-b, creationTimestamp: '2025-01-01T00:00:00Z'}
//! spec:
//!   rules: [{host: blog.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}]}}]
//! ");
//! let req = RequestView::new("blog.example.com", "/");
//! assert_eq!((sees(&spec, &req), sees(&nginx, &req)), ("a".into(), "b".into()));
//! # }
//! ```
//!
//! # 7. Canaries
//!
//! An Ingress with `canary: "true"` makes no location of its own: it attaches to the Service
//! of the location with its host, path and type, and takes that Service's requests (on every
//! host that uses it) by `canary-by-header` (`always`, `never`, or `canary-by-header-value` /
//! `-pattern`), `canary-by-cookie`, then `canary-weight` out of `canary-weight-total`. The
//! decision is per request ([`Canary::decide`]), the random draw an input. The specification has
//! no canaries: it sees one more Ingress.
//!
//! ```
//! # include!("../../doc/support.rs");
//! # fn main() {
//! use ingress_router::nginx::Headers;
//! let (_, nginx) = profiles("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: checkout, creationTimestamp: '2025-01-01T00:00:00Z'}
//! spec:
//!   rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: stable, port: {number: 80}}}}]}}]
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata:
//!   name: checkout-canary
//!   creationTimestamp: '2025-02-01T00:00:00Z'
//!   annotations:
//!     nginx.ingress.kubernetes.io/canary: 'true'
//!     nginx.ingress.kubernetes.io/canary-by-header: X-Canary
//!     nginx.ingress.kubernetes.io/canary-weight: '10'
//! spec:
//!   rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: next, port: {number: 80}}}}]}}]
//! ");
//! let decision = nginx.find(&RequestView::new("shop.example.com", "/checkout"));
//! let canary = decision.canary().unwrap();
//! assert_eq!(canary.source.to_string(), "default/checkout-canary");
//! assert!(canary.decide(&Headers::new([("X-Canary", "always")]).with_draw(0.99)).canary);
//! assert!(!canary.decide(&Headers::new([("X-Canary", "never")]).with_draw(0.0)).canary);
//! assert!(canary.decide(&Headers::new([("a", "b")]).with_draw(0.05)).canary); // 10 in 100
//! assert!(!canary.decide(&Headers::new([("a", "b")]).with_draw(0.5)).canary);
//! # }
//! ```
//!
//! # 8. Request paths are decoded
//!
//! nginx decodes every escape before it matches (`%2F` is a separator), merges slashes and
//! removes dot segments ([`PathNormalization::Nginx`](crate::PathNormalization::Nginx)); the
//! specification profile removes dot segments only, and keeps `%2F` encoded. An upstream gets
//! the target as sent, unless a rewrite made a new one.
//!
//! ```
//! # include!("../../doc/support.rs");
//! # fn main() {
//! let (spec, nginx) = profiles("
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: admin}
//! spec:
//!   rules:
//!   - http:
//!       paths:
//!       - {path: /admin, pathType: Prefix, backend: {service: {name: admin, port: {number: 80}}}}
//!       - {path: /, pathType: Prefix, backend: {service: {name: public, port: {number: 80}}}}
//! ");
//! let req = RequestView::new("x", "/public%2F..%2Fadmin");
//! assert_eq!((sees(&spec, &req), sees(&nginx, &req)), ("public".into(), "admin".into()));
//! # }
//! ```
//!
//! # 9. Annotations ingress-nginx will not run
//!
//! With ingress-nginx's default `annotations-risk-level` an Ingress with a snippet annotation
//! (`configuration-snippet`, `server-snippet`, ...) is not served at all, nor one whose paths,
//! hosts or Secret names carry nginx directives or sensitive files (`--deep-inspect`); values
//! its parsers refuse are ignored. Each is reported ([`DiagnosticKind::NginxRefused`](crate::DiagnosticKind::NginxRefused),
//! [`DiagnosticKind::AnnotationIgnored`](crate::DiagnosticKind::AnnotationIgnored)).
//!
//! # What the profile does not reproduce
//!
//! * Requests nginx refuses with 400 (a `..` above the root, `%00`, a malformed `Host`) are
//!   routed as normalised; escapes of non-ASCII bytes stay encoded.
//! * A canary Ingress that is the first to use its Service marks that Service's upstream as a
//!   canary one in ingress-nginx, hiding later Ingresses' paths to it (and the reverse: a
//!   canary whose Service an older Ingress uses serves as an ordinary one); here a canary
//!   Ingress is always a canary. Session affinity between canary and primary is not modelled.
//! * Annotations beyond routing (`permanent-redirect`, `temporal-redirect`, `server-alias`,
//!   `from-to-www-redirect`, auth, rate limits, `use-forwarded-headers`) are not read.
//! * The catch-all server's own `/healthz` and `/nginx_status` locations are left out.
//! * Regexes are the `regex` crate's, which reads the patterns Ingresses use (classes,
//!   groups, alternation, repetition) as PCRE does but has no look-around or back-references:
//!   such a path is reported ([`DiagnosticKind::InvalidPattern`](crate::DiagnosticKind::InvalidPattern)) and skipped.
//!
//! # What it costs
//!
//! An update rebuilds the servers of the hosts the Ingress touches (and the catch-all when it
//! must) and attaches the canaries anew; the other servers are shared with the old table.
//! Measured in one run (`cargo bench -p ingress-router --bench build` and `--bench find`, 10 000
//! generated Ingresses): a one-Ingress update 25 µs against the `Spec` profile's 13 µs, a
//! build 127 ms against 38 ms, a lookup mix 3.7 µs against 2.0 µs.
//!
//! [`Config::ingress_nginx`]: crate::Config::ingress_nginx
//! [`RouteTable::nginx_servers`]: crate::RouteTable::nginx_servers

mod annotations;
mod canary;
mod redirect;
mod rewrite;
pub(crate) mod server;
pub(crate) mod view;

pub(crate) use annotations::{Annotations, parse};
#[cfg(feature = "http")]
pub use canary::HttpCanaryRequest;
pub use canary::{Canary, CanaryReason, CanaryRequest, CanaryVerdict, Headers, same_header_name};
pub use redirect::{Redirect, RedirectKind};
pub use rewrite::Rewrite;

use ingress_model::IngressKey;

/// One nginx `server` of the ingress-nginx profile, as ingress-nginx would render it: for tools
/// that show or test the configuration ([`RouteTable::nginx_servers`](crate::RouteTable::nginx_servers)).
#[derive(Debug)]
#[non_exhaustive]
pub struct ServerView<'t> {
    /// The rule host (`*.foo.com` for a wildcard); `None` for the catch-all server `_`.
    pub host: Option<String>,
    /// Every location is `~* "^<path>"` (some Ingress of the host has `use-regex` or a
    /// `rewrite-target`).
    pub regex_mode: bool,
    /// `app-root`: `/` answers `302` to this path.
    pub app_root: Option<&'t str>,
    /// The locations, in nginx's order.
    pub locations: Vec<LocationView<'t>>,
}

/// One `location` of a [`ServerView`].
#[derive(Debug)]
#[non_exhaustive]
pub struct LocationView<'t> {
    /// The path as rendered.
    pub path: &'t str,
    /// How nginx matches it.
    pub modifier: LocationModifier,
    /// The `rewrite-target` it applies.
    pub rewrite: Option<&'t Rewrite>,
    /// The upstream it proxies to (`namespace-service-port`, ingress-nginx's name); `None`
    /// for the controller's own 404.
    pub upstream: Option<&'t str>,
    /// The Ingress whose rule (or, for a placeholder `/`, whose `defaultBackend`) it is.
    pub source: Option<&'t IngressKey>,
    /// The server's placeholder `/`: no path made it (the default backend of the host's first
    /// Ingress, or the controller's 404).
    pub placeholder: bool,
}

/// How a [`LocationView`] is matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocationModifier {
    /// `location = "<path>"`.
    Exact,
    /// `location "<path>"`: a string prefix.
    Prefix,
    /// `location ~* "^<path>"`: a case-insensitive regex anchored at the start.
    Regex,
}

/// The ingress-nginx settings (ConfigMap keys and flags) that change where a request goes;
/// what the `IngressNginx` profile reads from [`Config::nginx`](crate::Config::nginx). The
/// defaults are ingress-nginx's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct NginxOptions {
    /// `--annotations-prefix`: annotations are `<prefix>/<name>`. Default
    /// `nginx.ingress.kubernetes.io`.
    pub annotation_prefix: String,
    /// ConfigMap `ssl-redirect`: redirect plain HTTP to HTTPS on hosts with TLS, unless an
    /// Ingress's `ssl-redirect` annotation says otherwise. Default `true`.
    pub ssl_redirect: bool,
    /// ConfigMap `force-ssl-redirect`: redirect plain HTTP to HTTPS even without TLS. Default
    /// `false`.
    pub force_ssl_redirect: bool,
    /// ConfigMap `preserve-trailing-slash`: keep a trailing `/` in HTTPS redirects. Default
    /// `false`.
    pub preserve_trailing_slash: bool,
    /// ConfigMap `http-redirect-code`: the status of HTTPS redirects. Default `308`.
    pub http_redirect_code: u16,
    /// ConfigMap `no-tls-redirect-locations`: locations whose path starts with one of these
    /// are never redirected to HTTPS. Default `["/.well-known/acme-challenge"]`.
    pub no_tls_redirect_locations: Vec<String>,
    /// `annotations-risk-level: Critical`: serve Ingresses with snippet annotations. Default
    /// `false` (ingress-nginx's default level, `High`, ignores such Ingresses).
    pub accept_critical_annotations: bool,
    /// `--deep-inspect`: ignore Ingresses whose paths, hosts or Secret names carry nginx
    /// directives or sensitive file paths. Default `true`.
    pub deep_inspect: bool,
}

impl Default for NginxOptions {
    fn default() -> Self {
        NginxOptions {
            annotation_prefix: "nginx.ingress.kubernetes.io".to_owned(),
            ssl_redirect: true,
            force_ssl_redirect: false,
            preserve_trailing_slash: false,
            http_redirect_code: 308,
            no_tls_redirect_locations: vec!["/.well-known/acme-challenge".to_owned()],
            accept_critical_annotations: false,
            deep_inspect: true,
        }
    }
}
