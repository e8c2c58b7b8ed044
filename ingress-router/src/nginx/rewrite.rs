//! `rewrite-target`: the request target an upstream gets when a location rewrites, as nginx's
//! `rewrite "(?i)<location path>" <target> break;` makes it.

use std::fmt;

use crate::normalize::PathNormalization;
use crate::request::RequestView;

/// A location's rewrite: its path as an unanchored, case-insensitive pattern, and the target
/// with `$1`..`$9` for the pattern's groups.
pub struct Rewrite {
    pattern: regex::Regex,
    path: Box<str>,
    target: Box<str>,
}

impl Rewrite {
    /// The rewrite of a location `path` to `target`; `Err` with the regex crate's reason when
    /// the path is not a pattern it compiles.
    pub(crate) fn new(path: &str, target: &str) -> Result<Self, String> {
        let pattern = regex::RegexBuilder::new(path)
            .case_insensitive(true)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Rewrite {
            pattern,
            path: path.into(),
            target: target.into(),
        })
    }

    /// The location path the pattern is made of.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The `rewrite-target` as written.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether the target is an absolute `http://` or `https://` URL, which nginx answers with a
    /// `302` to it instead of proxying.
    pub fn redirects(&self) -> bool {
        self.target.starts_with("http://") || self.target.starts_with("https://")
    }

    /// The request target the upstream gets (or, for [`Rewrite::redirects`], the `Location`):
    /// the target with the groups of the pattern's match on the decoded, normalised request path
    /// (nginx's `$uri`), escaped as nginx escapes a URI, then `?` and the request's query when
    /// it has one. An empty result is what nginx refuses with 500 ("the rewritten URI has a
    /// zero length").
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::{Config, RequestView, RouteTable};
    /// # let ingress: ingress_router::Ingress = serde_json::from_value(serde_json::json!({
    /// #   "metadata": {"name": "r", "namespace": "default", "annotations": {
    /// #     "nginx.ingress.kubernetes.io/use-regex": "true",
    /// #     "nginx.ingress.kubernetes.io/rewrite-target": "/$2"}},
    /// #   "spec": {"rules": [{"host": "rewrite.bar.com", "http": {"paths": [
    /// #     {"path": "/something(/|$)(.*)", "pathType": "ImplementationSpecific",
    /// #      "backend": {"service": {"name": "http-svc", "port": {"number": 80}}}}]}}]}
    /// # }))?;
    /// // ingress-nginx's rewrite example: `/something(/|$)(.*)` rewritten to `/$2`.
    /// let table = RouteTable::builder().config(Config::ingress_nginx()).add(&ingress).build().table;
    /// let upstream = |target: &str| {
    ///     let request = RequestView::new("rewrite.bar.com", target);
    ///     let decision = table.find(&request);
    ///     decision.rewrite().map(|r| r.upstream_target(&request))
    /// };
    /// assert_eq!(upstream("/something").as_deref(), Some("/"));
    /// assert_eq!(upstream("/something/").as_deref(), Some("/"));
    /// assert_eq!(upstream("/something/new?x=1").as_deref(), Some("/new?x=1"));
    /// assert_eq!(upstream("/SOMETHING/a%2Fb").as_deref(), Some("/a/b"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn upstream_target(&self, request: &RequestView<'_>) -> String {
        let uri = PathNormalization::Nginx.normalize(request.path());
        let Some(groups) = self.pattern.captures(&uri) else {
            // The location matched with `^path`, so the unanchored pattern matches too; a
            // request that reaches here unmatched keeps its target, as nginx's would.
            return request.target().to_owned();
        };
        let mut rewritten = String::with_capacity(self.target.len() + uri.len());
        let mut rest = &*self.target;
        while let Some(at) = rest.find('$') {
            rewritten.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            match after.as_bytes().first() {
                Some(d @ b'1'..=b'9') => {
                    let group = usize::from(d - b'0');
                    rewritten.push_str(groups.get(group).map_or("", |m| m.as_str()));
                    rest = &after[1..];
                }
                _ => {
                    rewritten.push('$');
                    rest = after;
                }
            }
        }
        rewritten.push_str(rest);
        let mut out = escape_uri(&rewritten);
        if let Some(query) = request.query().filter(|q| !q.is_empty()) {
            out.push('?');
            out.push_str(query);
        }
        out
    }
}

/// nginx's `ngx_escape_uri(.., NGX_ESCAPE_URI)`: controls, space, `"`, `#`, `%`, `<`, `>`,
/// `?`, `\`, `^`, `` ` ``, `{`, `|`, `}` and non-ASCII bytes become `%XX`.
pub(crate) fn escape_uri(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    for &b in uri.as_bytes() {
        let escape = b <= 0x20 || b >= 0x7f || b"\"#%<>?\\^`{|}".contains(&b);
        if escape {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

impl fmt::Debug for Rewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rewrite")
            .field("path", &self.path)
            .field("target", &self.target)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(path: &str, target: &str, request: &str) -> String {
        Rewrite::new(path, target)
            .unwrap()
            .upstream_target(&RequestView::new("h", request))
    }

    #[test]
    fn groups_escapes_and_query() {
        assert_eq!(
            up("/foo/bar/(.+)", "/new/backend/$1", "/foo/bar/bar"),
            "/new/backend/bar"
        );
        assert_eq!(up("/something", "/", "/something"), "/");
        assert_eq!(up("/x(.*)", "/y$1", "/x%20a"), "/y%20a");
        assert_eq!(up("/x", "/y", "/x?"), "/y");
        assert_eq!(up("/x", "/y", "/x?a=1&b=2"), "/y?a=1&b=2");
        // A group the pattern does not have is empty; an empty result is nginx's 500.
        assert_eq!(up("/x", "$1", "/x"), "");
        assert_eq!(up("/x", "/$host", "/x"), "/$host");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_uri("/a b?c#d%e"), "/a%20b%3Fc%23d%25e");
        assert_eq!(escape_uri("/a;b=c&d~e:f@g+h"), "/a;b=c&d~e:f@g+h");
        assert_eq!(escape_uri("/é"), "/%C3%A9");
    }
}
