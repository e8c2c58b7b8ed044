//! The `IngressNginx` profile: what ingress-nginx does with the same Ingresses.
//!
//! (The differences from the `Spec` profile, each with an example, are written out below once
//! the profile is complete.)

mod annotations;
mod canary;
mod redirect;
mod rewrite;
pub(crate) mod server;
pub(crate) mod view;

pub(crate) use annotations::{Annotations, parse};
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
