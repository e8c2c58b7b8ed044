//! The redirects ingress-nginx answers itself, before any upstream sees the request.

use std::fmt;

use ingress_model::IngressKey;

use crate::nginx::rewrite::{Rewrite, escape_uri};
use crate::nginx::view::Handle;
use crate::request::RequestView;

/// A redirect: the status, what made it, and the Ingress it comes from. The `Location` depends
/// on the request (its host, scheme and query): [`Redirect::location`].
pub struct Redirect<'t, B> {
    /// `301`, `302` or the HTTPS redirect's code (`http-redirect-code`, `308` by default).
    pub status: u16,
    /// Why.
    pub kind: RedirectKind<'t>,
    /// The Ingress whose location or annotation redirects (`None` for the catch-all server).
    pub source: Option<&'t IngressKey>,
    pub(crate) handle: Handle<'t, B>,
}

impl<B> Clone for Redirect<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Redirect<'_, B> {}

impl<B> fmt::Debug for Redirect<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redirect")
            .field("status", &self.status)
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish()
    }
}

/// What made a [`Redirect`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum RedirectKind<'t> {
    /// nginx itself: the request path is a location's path without its trailing `/` (a
    /// `Prefix /foo/` or `Exact /foo/` and a request for `/foo`), so nginx answers `301` to
    /// the location's path (`proxy_pass`'s `auto_redirect`).
    AddSlash {
        /// The location's path, with its `/`.
        location: &'t str,
    },
    /// `app-root`: the host's `/` answers `302` to this path.
    AppRoot {
        /// The annotation's path.
        root: &'t str,
    },
    /// `ssl-redirect` (the host has TLS) or `force-ssl-redirect`, for a request over plain
    /// HTTP.
    Https {
        /// `preserve-trailing-slash`: keep a trailing `/` of the request target.
        preserve_trailing_slash: bool,
    },
    /// A `rewrite-target` that is an absolute URL: nginx answers `302` to it.
    Rewrite {
        /// The rewrite.
        rewrite: &'t Rewrite,
    },
}

impl<B> Redirect<'_, B> {
    /// The `Location` nginx sends for `request`.
    ///
    /// * [`RedirectKind::AddSlash`]: `<scheme>://<host>` (lower case, without port: ingress-nginx
    ///   sets `port_in_redirect off`), the location's path, and `?query` when there is one.
    /// * [`RedirectKind::AppRoot`]: `<scheme>://<Host as sent><root>`, no query.
    /// * [`RedirectKind::Https`]: `https://<Host as sent, up to a :>` and the request target as
    ///   sent, query included, without its last byte when that is a `/` (unless
    ///   `preserve-trailing-slash`).
    /// * [`RedirectKind::Rewrite`]: the rewritten target.
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::{Config, Decision, RequestView, RouteTable};
    /// # let ingress: ingress_router::Ingress = serde_json::from_value(serde_json::json!({
    /// #   "metadata": {"name": "docs", "namespace": "default"},
    /// #   "spec": {"rules": [{"host": "docs.example.com", "http": {"paths": [
    /// #     {"path": "/guide/", "pathType": "Prefix",
    /// #      "backend": {"service": {"name": "docs", "port": {"number": 80}}}}]}}]}
    /// # }))?;
    /// // Prefix /guide/: nginx sends /guide to /guide/ itself.
    /// let table = RouteTable::builder().config(Config::ingress_nginx()).add(&ingress).build().table;
    /// let request = RequestView::new("Docs.Example.com:8080", "/guide?page=2");
    /// let Decision::Redirect(redirect) = table.find(&request) else { panic!() };
    /// assert_eq!(redirect.status, 301);
    /// assert_eq!(redirect.location(&request), "http://docs.example.com/guide/?page=2");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn location(&self, request: &RequestView<'_>) -> String {
        let scheme = request.scheme().as_str();
        let query = request.query().filter(|q| !q.is_empty());
        match self.kind {
            RedirectKind::AddSlash { location } => {
                let mut out = format!(
                    "{scheme}://{}{}",
                    request.host().to_ascii_lowercase(),
                    escape_uri(location)
                );
                if let Some(q) = query {
                    out.push('?');
                    out.push_str(q);
                }
                out
            }
            RedirectKind::AppRoot { root } => {
                format!("{scheme}://{}{root}", request.raw_host())
            }
            RedirectKind::Https {
                preserve_trailing_slash,
            } => {
                let host = request.raw_host().split(':').next().unwrap_or("");
                let target = request.target();
                let target = match target.strip_suffix('/') {
                    Some(cut) if !preserve_trailing_slash => cut,
                    _ => target,
                };
                format!("https://{host}{target}")
            }
            RedirectKind::Rewrite { rewrite } => rewrite.upstream_target(request),
        }
    }
}

impl fmt::Display for RedirectKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedirectKind::AddSlash { location } => {
                write!(f, "nginx adds the trailing slash of location {location:?}")
            }
            RedirectKind::AppRoot { root } => write!(f, "app-root {root:?}"),
            RedirectKind::Https { .. } => f.write_str("ssl-redirect to HTTPS"),
            RedirectKind::Rewrite { rewrite } => {
                write!(f, "rewrite-target {:?} is a URL", rewrite.target())
            }
        }
    }
}
