//! [`RequestView`]: the host and path of a request, normalised by slicing.

use crate::host::request_host;
use crate::scan::scan_path;

/// What one scan of the request noticed, so the table does not scan again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Hints {
    /// The host is a name: it can select a named host group (crate docs, section 1).
    pub(crate) name_host: bool,
    /// The host is a name with an ASCII upper-case letter.
    pub(crate) upper_host: bool,
    /// The path has a `.` that starts a segment: it may have dot segments.
    pub(crate) dot: bool,
    /// The path has a `%` or `//`: `NginxLike` normalisation may change it.
    pub(crate) escapes_or_slashes: bool,
}

/// Whether a request came over TLS: the `$scheme` of nginx. Only the ingress-nginx profile's
/// HTTPS redirects read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP (the default).
    #[default]
    Http,
    /// HTTPS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// What the table looks at in a request: the host (from `Host` or `:authority`) and the path.
///
/// [`RequestView::new`] only slices: the port and one trailing dot come off the host, the query
/// and fragment come off the path (the path is matched "before the first '?' or '#'"), and an
/// empty path reads as `/`. Case and dot segments are handled by the table, which does not
/// allocate for them.
///
/// Every constructor reads the same bytes the same way (crate docs, section 1): nothing is cut
/// off the front of a host, so `user@foo.com` is not `foo.com`; a host that is not a name (an IP
/// literal, userinfo, a space, a non-ASCII byte, a bad port) is *opaque* and selects the
/// host-less rules, as no host at all does. With the `http` feature, `try_from_parts` and
/// `try_from_request` reject such hosts instead, for a gateway that answers 400.
///
/// # Examples
///
/// ```
/// use ingress_router::RequestView;
///
/// let req = RequestView::new("Foo.Example.com.:8443", "/a/b?x=1#frag");
/// assert_eq!(req.host(), "Foo.Example.com");
/// assert_eq!(req.path(), "/a/b");
/// assert_eq!(RequestView::new("[::1]:80", "").host(), "[::1]");
/// assert_eq!(RequestView::new("user@foo.com", "").host(), "user@foo.com");
/// assert_eq!(RequestView::new("", "").path(), "/");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestView<'r> {
    host: &'r str,
    path: &'r str,
    /// The host as given, port and all: what a redirect that keeps the client's `Host` writes.
    raw_host: &'r str,
    /// The request target as given, query included, fragment not.
    target: &'r str,
    scheme: Scheme,
    hints: Hints,
}

// === impl RequestView ===

impl<'r> RequestView<'r> {
    /// A view of `host` (a `Host` header or `:authority` value; `""` when there is none) and
    /// `path` (a request target's path, possibly with query and fragment).
    pub fn new(host: &'r str, path: &'r str) -> Self {
        let host_arg = host;
        let host = request_host(host);
        // One pass over the path: where it ends, and whether normalisation could change it.
        let scan = scan_path(path.as_bytes());
        let hints = Hints {
            name_host: host.name,
            upper_host: host.upper,
            dot: scan.dot,
            escapes_or_slashes: scan.escapes_or_slashes,
        };
        // The scan stopped at the first `?` or `#`; only a query needs a look for the `#`.
        let target = if path.as_bytes().get(scan.end) == Some(&b'?') {
            let rest = &path[scan.end..];
            &path[..scan.end + rest.find('#').unwrap_or(rest.len())]
        } else {
            &path[..scan.end]
        };
        let path = &path[..scan.end];
        RequestView {
            host: host.host,
            path: if path.is_empty() { "/" } else { path },
            raw_host: host_arg,
            target,
            scheme: Scheme::Http,
            hints,
        }
    }

    /// The same request, marked as having come over `scheme` (plain HTTP by default).
    ///
    /// ```
    /// use ingress_router::{RequestView, Scheme};
    ///
    /// let view = RequestView::new("foo.com", "/").with_scheme(Scheme::Https);
    /// assert_eq!(view.scheme(), Scheme::Https);
    /// ```
    #[must_use]
    pub fn with_scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// Whether the request came over TLS.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The `Host` as given (port, case and trailing dot kept): nginx's `$http_host`.
    pub fn raw_host(&self) -> &'r str {
        self.raw_host
    }

    /// The request target as given, path and query, without the fragment: nginx's
    /// `$request_uri`.
    ///
    /// ```
    /// use ingress_router::RequestView;
    ///
    /// let view = RequestView::new("foo.com:8080", "/a//b?x=1#top");
    /// assert_eq!(view.target(), "/a//b?x=1");
    /// assert_eq!(view.query(), Some("x=1"));
    /// assert_eq!(view.raw_host(), "foo.com:8080");
    /// ```
    pub fn target(&self) -> &'r str {
        self.target
    }

    /// The query, without its `?` (`None` when the target has no `?`).
    pub fn query(&self) -> Option<&'r str> {
        self.target.find('?').map(|at| &self.target[at + 1..])
    }

    pub(crate) fn hints(&self) -> Hints {
        self.hints
    }

    /// The host without port and trailing dot, case as sent (an IP literal keeps its
    /// brackets: `[::1]`).
    pub fn host(&self) -> &'r str {
        self.host
    }

    /// The path without query and fragment, not yet normalised.
    pub fn path(&self) -> &'r str {
        self.path
    }
}

#[cfg(feature = "http")]
mod http_view {
    use super::RequestView;
    use crate::authority::{InvalidHost, check};

    /// The host of a `Host` header that is not UTF-8, which a `&str` cannot show: U+FFFD, an
    /// opaque host like every other non-ASCII one.
    const NOT_UTF8: &str = "\u{fffd}";

    impl<'r> RequestView<'r> {
        /// The view of an `http::Request`: see [`RequestView::from_parts`].
        pub fn from_request<T>(request: &'r http::Request<T>) -> Self {
            Self::from_head(request.uri(), request.headers(), request.extensions())
        }

        /// The view of the head of a request, for a caller that routes whatever it is sent
        /// (a gateway that answers malformed hosts with 400 uses
        /// [`RequestView::try_from_parts`]).
        ///
        /// The host is the URI's authority when it has one (HTTP/2 `:authority`, and HTTP/1.1
        /// absolute-form targets, which RFC 9112 section 3.2.2 says override `Host`), else the
        /// first `Host` header, read exactly as [`RequestView::new`] reads it: nothing is
        /// stripped but the port and one trailing dot. A `Host` value that is not UTF-8 reads as
        /// `"\u{fffd}"`, an opaque host (crate docs, section 1). Nothing is copied.
        ///
        /// The scheme is the request's [`Scheme`](super::Scheme) extension when it has one (a
        /// server's TLS listener marks its requests `Scheme::Https`), else `https` for an
        /// `https` URI (HTTP/2's `:scheme`, an absolute-form target), else plain HTTP.
        ///
        /// # Examples
        ///
        /// ```
        /// use ingress_router::RequestView;
        ///
        /// let req = http::Request::get("/api?x=1").header("host", "foo.com:8080").body(())?;
        /// let view = RequestView::from_request(&req);
        /// assert_eq!((view.host(), view.path()), ("foo.com", "/api"));
        /// assert_eq!(view, RequestView::new("foo.com:8080", "/api?x=1"));
        ///
        /// let h2 = http::Request::get("https://bar.com/x").header("host", "ignored").body(())?;
        /// assert_eq!(RequestView::from_request(&h2).host(), "bar.com");
        ///
        /// // Userinfo is not stripped: this is not `foo.com`.
        /// let odd = http::Request::get("/").header("host", "user@foo.com").body(())?;
        /// assert_eq!(RequestView::from_request(&odd).host(), "user@foo.com");
        ///
        /// // A TLS listener's mark.
        /// let mut tls = http::Request::get("/").header("host", "foo.com").body(())?;
        /// assert_eq!(RequestView::from_request(&tls).scheme(), ingress_router::Scheme::Http);
        /// tls.extensions_mut().insert(ingress_router::Scheme::Https);
        /// assert_eq!(RequestView::from_request(&tls).scheme(), ingress_router::Scheme::Https);
        /// # Ok::<(), http::Error>(())
        /// ```
        pub fn from_parts(parts: &'r http::request::Parts) -> Self {
            Self::from_head(&parts.uri, &parts.headers, &parts.extensions)
        }

        /// [`RequestView::try_from_parts`] for a whole request.
        pub fn try_from_request<T>(request: &'r http::Request<T>) -> Result<Self, InvalidHost> {
            check(request.version(), request.uri(), request.headers())?;
            Ok(Self::from_request(request))
        }

        /// The view of the head of a request whose host is well-formed, or why it is not: the
        /// check a gateway makes before routing, answering `Err` with 400 Bad Request.
        ///
        /// [`InvalidHost`] lists what is refused: several `Host` headers, an HTTP/1.1 request
        /// with neither `Host` nor an absolute-form target, userinfo, a byte outside the host
        /// syntax, a bad port, a bad IP literal, and an HTTP/2 `:authority` naming another host
        /// than the `Host` header. When it accepts, the view is exactly
        /// [`RequestView::from_parts`]'s. Never allocates.
        ///
        /// # Examples
        ///
        /// ```
        /// use ingress_router::{InvalidHost, RequestView};
        ///
        /// let (ok, ()) = http::Request::get("/a").header("host", "Foo.com:443").body(())?.into_parts();
        /// assert_eq!(RequestView::try_from_parts(&ok), Ok(RequestView::from_parts(&ok)));
        ///
        /// let (bad, ()) = http::Request::get("/a").header("host", "user@foo.com").body(())?.into_parts();
        /// assert!(matches!(RequestView::try_from_parts(&bad), Err(InvalidHost::Userinfo { .. })));
        ///
        /// let (none, ()) = http::Request::get("/a").body(())?.into_parts();
        /// assert_eq!(RequestView::try_from_parts(&none), Err(InvalidHost::Missing));
        /// # Ok::<(), http::Error>(())
        /// ```
        pub fn try_from_parts(parts: &'r http::request::Parts) -> Result<Self, InvalidHost> {
            check(parts.version, &parts.uri, &parts.headers)?;
            Ok(Self::from_parts(parts))
        }

        fn from_head(
            uri: &'r http::Uri,
            headers: &'r http::HeaderMap,
            extensions: &http::Extensions,
        ) -> Self {
            let host = match uri.authority() {
                Some(authority) => authority.as_str(),
                None => headers.get(http::header::HOST).map_or("", |v| {
                    std::str::from_utf8(v.as_bytes()).unwrap_or(NOT_UTF8)
                }),
            };
            // The query rides along for the ingress-nginx profile's redirects and rewrites.
            let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
            let view = RequestView::new(host, target);
            // Whether it came over TLS: the server's mark, else what an absolute-form target
            // (HTTP/2's `:scheme`) says.
            let scheme = extensions.get::<super::Scheme>().copied().or_else(|| {
                (uri.scheme() == Some(&http::uri::Scheme::HTTPS)).then_some(super::Scheme::Https)
            });
            match scheme {
                Some(scheme) => view.with_scheme(scheme),
                None => view,
            }
        }
    }
}
