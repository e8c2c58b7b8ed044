//! [`RequestView`]: the host and path of a request, normalised by slicing.

use crate::host::normalize_host_and_case;
use crate::scan::scan_path;

/// What one scan of the request noticed, so the table does not scan again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Hints {
    /// The host has an ASCII upper-case letter.
    pub(crate) upper_host: bool,
    /// The path has a `.` that starts a segment: it may have dot segments.
    pub(crate) dot: bool,
    /// The path has a `%` or `//`: `NginxLike` normalisation may change it.
    pub(crate) escapes_or_slashes: bool,
}

/// What the table looks at in a request: the host (from `Host` or `:authority`) and the path.
///
/// [`RequestView::new`] only slices: the port and one trailing dot come off the host, the query
/// and fragment come off the path (semantics C1: the path is matched "before the first '?' or
/// '#'"), and an empty path reads as `/`. Case and dot segments are handled by the table, which
/// does not allocate for them.
///
/// # Examples
///
/// ```
/// use ingress_router::RequestView;
///
/// let req = RequestView::new("Foo.Example.com.:8443", "/a/b?x=1#frag");
/// assert_eq!(req.host(), "Foo.Example.com");
/// assert_eq!(req.path(), "/a/b");
/// assert_eq!(RequestView::new("[::1]:80", "").host(), "::1");
/// assert_eq!(RequestView::new("", "").path(), "/");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestView<'r> {
    host: &'r str,
    path: &'r str,
    hints: Hints,
}

// === impl RequestView ===

impl<'r> RequestView<'r> {
    /// A view of `host` (a `Host` header or `:authority` value; `""` when there is none) and
    /// `path` (a request target's path, possibly with query and fragment).
    pub fn new(host: &'r str, path: &'r str) -> Self {
        let (host, upper_host) = normalize_host_and_case(host);
        // One pass over the path: where it ends, and whether normalisation could change it.
        let scan = scan_path(path.as_bytes());
        let hints = Hints {
            upper_host,
            dot: scan.dot,
            escapes_or_slashes: scan.escapes_or_slashes,
        };
        let path = &path[..scan.end];
        RequestView {
            host,
            path: if path.is_empty() { "/" } else { path },
            hints,
        }
    }

    pub(crate) fn hints(&self) -> Hints {
        self.hints
    }

    /// The host without port and trailing dot, case as sent.
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

    impl<'r> RequestView<'r> {
        /// The view of an `http::Request`: see [`RequestView::from_parts`].
        pub fn from_request<T>(request: &'r http::Request<T>) -> Self {
            Self::from_uri_and_headers(request.uri(), request.headers())
        }

        /// The view of the head of a request.
        ///
        /// The host is the URI's authority when it has one (HTTP/2 `:authority`, and HTTP/1.1
        /// absolute-form targets, which RFC 9112 section 3.2.2 says override `Host`), else the
        /// `Host` header; a header that is not visible ASCII counts as absent. Nothing is copied.
        ///
        /// # Examples
        ///
        /// ```
        /// use ingress_router::RequestView;
        ///
        /// let req = http::Request::get("/api?x=1").header("host", "foo.com:8080").body(())?;
        /// let view = RequestView::from_request(&req);
        /// assert_eq!((view.host(), view.path()), ("foo.com", "/api"));
        ///
        /// let h2 = http::Request::get("https://bar.com/x").header("host", "ignored").body(())?;
        /// assert_eq!(RequestView::from_request(&h2).host(), "bar.com");
        /// # Ok::<(), http::Error>(())
        /// ```
        pub fn from_parts(parts: &'r http::request::Parts) -> Self {
            Self::from_uri_and_headers(&parts.uri, &parts.headers)
        }

        fn from_uri_and_headers(uri: &'r http::Uri, headers: &'r http::HeaderMap) -> Self {
            let host = match uri.authority() {
                Some(authority) => authority.as_str(),
                None => headers
                    .get(http::header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            };
            // Userinfo is not allowed in HTTP authorities (RFC 9110 section 4.2.4) but could
            // still be sent; it is not part of the host.
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            RequestView::new(host, uri.path())
        }
    }
}
