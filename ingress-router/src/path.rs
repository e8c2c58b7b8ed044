//! Paths: [`PathPattern`] (a path condition with its resolved [`MatchKind`]) and the matching
//! rules of the crate docs, section 3.

use std::fmt;

use crate::error::InvalidPath;

/// How a path condition is compared with the request path, once `ImplementationSpecific` has
/// been resolved by [`Config::implementation_specific`](crate::Config).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MatchKind {
    /// Byte equality; case and trailing slash are significant (C2).
    Exact,
    /// Element-wise prefix on `/`-separated segments; a trailing `/` on the rule is ignored, and
    /// the last element must match whole (C3).
    Prefix,
    /// Plain string prefix: `/foo` matches `/foobar` (what ingress-nginx, Traefik and Contour do
    /// with `ImplementationSpecific` paths).
    StringPrefix,
    /// ingress-nginx regex: case-insensitive, anchored at the start only (`~* "^<path>"`).
    Regex,
}

impl MatchKind {
    /// Exact paths outrank every other kind (crate docs, section 4: Exact first).
    pub(crate) fn is_exact(self) -> bool {
        matches!(self, MatchKind::Exact)
    }
}

/// A path condition: the path as matched and how.
///
/// An empty `ImplementationSpecific` path is read as `/` under every setting (crate docs, section 3),
/// so the path held here is never empty.
///
/// # Examples
///
/// The Kubernetes docs' examples table (crate docs, section 3):
///
/// ```
/// use ingress_router::{MatchKind, PathPattern};
///
/// let prefix = |p: &str| PathPattern::new(p, MatchKind::Prefix).unwrap();
/// let exact = |p: &str| PathPattern::new(p, MatchKind::Exact).unwrap();
///
/// assert!(prefix("/").matches("/any/thing"));
/// assert!(exact("/foo").matches("/foo"));
/// assert!(!exact("/foo").matches("/foo/"));
/// assert!(!exact("/foo/").matches("/foo"));
/// assert!(prefix("/foo/").matches("/foo"));
/// assert!(prefix("/aaa/bbb").matches("/aaa/bbb/ccc"));
/// assert!(!prefix("/aaa/bb").matches("/aaa/bbb"));
/// assert!(!prefix("/aaa/bbb").matches("/aaa/bbbxyz"));
/// assert!(PathPattern::new("/aaa", MatchKind::StringPrefix)?.matches("/aaaxyz"));
/// # Ok::<(), ingress_router::InvalidPath>(())
/// ```
#[derive(Clone)]
pub struct PathPattern {
    path: Box<str>,
    kind: MatchKind,
    regex: Option<Box<regex::Regex>>,
}

// === impl PathPattern ===

impl PathPattern {
    /// A pattern for `path` (empty reads as `/`).
    ///
    /// # Errors
    ///
    /// [`InvalidPath`] when a non-empty path does not start with `/` (validation's "must be an
    /// absolute path"), or when a [`MatchKind::Regex`] path does not compile.
    pub fn new(path: &str, kind: MatchKind) -> Result<Self, InvalidPath> {
        let path = if path.is_empty() { "/" } else { path };
        if !path.starts_with('/') {
            return Err(InvalidPath::NotAbsolute(path.to_owned()));
        }
        let regex = match kind {
            MatchKind::Regex => Some(Box::new(
                regex::RegexBuilder::new(&format!("^(?:{path})"))
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| InvalidPath::Regex {
                        path: path.to_owned(),
                        reason: e.to_string(),
                    })?,
            )),
            _ => None,
        };
        Ok(PathPattern {
            path: path.into(),
            kind,
            regex,
        })
    }

    /// A pattern from a literal.
    ///
    /// # Panics
    ///
    /// When [`PathPattern::new`] would fail.
    pub fn from_static(path: &'static str, kind: MatchKind) -> Self {
        match PathPattern::new(path, kind) {
            Ok(p) => p,
            Err(e) => panic!("invalid path pattern {path:?}: {e}"),
        }
    }

    /// The path as matched (`/` for an empty `ImplementationSpecific` path).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// How the path is matched.
    pub fn kind(&self) -> MatchKind {
        self.kind
    }

    /// Whether a (normalised) request path satisfies this condition.
    pub fn matches(&self, request_path: &str) -> bool {
        match self.kind {
            MatchKind::Exact => request_path == &*self.path,
            MatchKind::Prefix => prefix_matches(&self.path, request_path),
            MatchKind::StringPrefix => request_path.starts_with(&*self.path),
            MatchKind::Regex => self.regex_matches(request_path),
        }
    }

    fn regex_matches(&self, request_path: &str) -> bool {
        self.regex
            .as_ref()
            .is_some_and(|r| r.is_match(request_path))
    }

    /// The key a Prefix condition is indexed under: the path without one trailing `/`
    /// (`""` for `/`, which matches everything).
    pub(crate) fn prefix_key(&self) -> &str {
        self.path.strip_suffix('/').unwrap_or(&self.path)
    }
}

impl fmt::Debug for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}({:?})", self.kind, self.path)
    }
}

/// Element-wise prefix match (crate docs, section 3): `/` matches everything; else drop
/// one trailing `/` from the rule path `p` and match iff the request equals `p` or starts with
/// `p/`.
fn prefix_matches(rule: &str, request: &str) -> bool {
    if rule == "/" {
        return true;
    }
    let p = rule.strip_suffix('/').unwrap_or(rule);
    match request.strip_prefix(p) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_element_wise() {
        assert!(prefix_matches("/foo", "/foo"));
        assert!(prefix_matches("/foo", "/foo/"));
        assert!(prefix_matches("/foo", "/foo//bar"));
        assert!(!prefix_matches("/foo", "/foobar"));
        assert!(!prefix_matches("/foo", "/FOO"));
        assert!(prefix_matches("/foo/", "/foo"));
        assert!(prefix_matches("/", "*"));
    }

    #[test]
    fn empty_is_root_and_relative_is_rejected() {
        assert_eq!(PathPattern::from_static("", MatchKind::Prefix).path(), "/");
        assert!(PathPattern::new("foo", MatchKind::Prefix).is_err());
        assert_eq!(
            PathPattern::from_static("/foo/", MatchKind::Prefix).prefix_key(),
            "/foo"
        );
        assert_eq!(
            PathPattern::from_static("/", MatchKind::Prefix).prefix_key(),
            ""
        );
    }

    #[test]
    fn regex_is_anchored_at_the_start_and_case_insensitive() {
        let r = PathPattern::from_static("/api/v[0-9]+", MatchKind::Regex);
        assert!(r.matches("/API/V2/users"));
        assert!(!r.matches("/x/api/v2"));
        assert!(PathPattern::new("/(", MatchKind::Regex).is_err());
    }
}
