//! Hosts: [`HostPattern`] for rule hosts, and the request-side normalisation (port, trailing dot,
//! ASCII case) of DESIGN.md rule 1 / semantics section B1.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The longest host a rule can name: a DNS-1123 subdomain is at most 253 bytes
/// (`k8s.io/apimachinery/pkg/util/validation`, `DNS1123SubdomainMaxLength`).
pub(crate) const MAX_HOST_LEN: usize = 253;

/// The host condition of an Ingress rule.
///
/// * [`HostPattern::Any`]: no host (`host` absent or `""`); matches every request, including
///   requests without a `Host` header and requests whose host is an IP literal.
/// * [`HostPattern::Exact`]: equal to the request host after normalisation.
/// * [`HostPattern::Wildcard`]: `*.` + suffix; the request host must be exactly one non-empty
///   label, a dot, then the suffix. types.go: "The wildcard character '*' must appear by itself
///   as the first DNS label and matches only a single label."
///
/// Rule hosts are kept as written: validation already requires them to be lower case, and
/// request hosts are lower-cased before they are compared.
///
/// # Examples
///
/// ```
/// use ingress_router::HostPattern;
///
/// let wild: HostPattern = "*.foo.com".parse().unwrap();
/// assert!(wild.matches("bar.foo.com"));
/// assert!(wild.matches("BAR.Foo.com:8080"));  // port and case are normalised away
/// assert!(!wild.matches("baz.bar.foo.com")); // one label only
/// assert!(!wild.matches("foo.com"));
/// assert!(HostPattern::from_rule(None).matches("anything.example"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum HostPattern {
    /// No host: every request.
    Any,
    /// A precise host, as written.
    Exact(Arc<str>),
    /// A single-label wildcard, as written (`*.foo.com`; always starts with `*.`).
    Wildcard(Arc<str>),
}

// === impl HostPattern ===

impl HostPattern {
    /// The pattern of a rule host (`None` and `""` both mean [`HostPattern::Any`]).
    pub fn from_rule(host: Option<&str>) -> Self {
        match host {
            None | Some("") => HostPattern::Any,
            Some(h) if h.starts_with("*.") => HostPattern::Wildcard(h.into()),
            Some(h) => HostPattern::Exact(h.into()),
        }
    }

    /// The rule host as written (`None` for [`HostPattern::Any`]).
    pub fn rule_host(&self) -> Option<&str> {
        match self {
            HostPattern::Any => None,
            HostPattern::Exact(h) | HostPattern::Wildcard(h) => Some(h),
        }
    }

    /// The rule host as written, owned (`None` for [`HostPattern::Any`]).
    pub fn to_rule_host(&self) -> Option<String> {
        self.rule_host().map(str::to_owned)
    }

    /// The rule host as written, sharing this pattern's string.
    pub(crate) fn shared(&self) -> Option<Arc<str>> {
        match self {
            HostPattern::Any => None,
            HostPattern::Exact(h) | HostPattern::Wildcard(h) => Some(h.clone()),
        }
    }

    /// Whether a request host (as sent: port, trailing dot and case are normalised here)
    /// satisfies this pattern, ignoring the other rules of the table.
    ///
    /// A table selects one host group per request (exact, then wildcard, then no host); this
    /// method only answers for one pattern.
    pub fn matches(&self, request_host: &str) -> bool {
        let host = normalize_host(request_host);
        match self {
            HostPattern::Any => true,
            HostPattern::Exact(h) => !host.is_empty() && host.eq_ignore_ascii_case(h),
            HostPattern::Wildcard(w) => {
                let suffix = w.strip_prefix("*.").unwrap_or(w);
                wildcard_suffix(host).is_some_and(|rest| rest.eq_ignore_ascii_case(suffix))
            }
        }
    }
}

impl FromStr for HostPattern {
    type Err = std::convert::Infallible;

    /// Parses a rule host; `""` is [`HostPattern::Any`]. Validity is validation's business
    /// (`ingress_model::validation`), so this never fails.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(HostPattern::from_rule(Some(s)))
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Any => f.write_str("*"),
            HostPattern::Exact(h) | HostPattern::Wildcard(h) => f.write_str(h),
        }
    }
}

impl fmt::Debug for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Any => f.write_str("Any"),
            HostPattern::Exact(h) => write!(f, "Exact({h:?})"),
            HostPattern::Wildcard(w) => write!(f, "Wildcard({w:?})"),
        }
    }
}

/// A wildcard rule host as a map key that looks itself up by its suffix: the table finds the
/// wildcard group of `bar.foo.com` by looking up `foo.com`, without storing the suffix apart.
#[derive(Clone, Debug)]
pub(crate) struct WildcardKey(pub(crate) Arc<str>);

impl WildcardKey {
    fn suffix(&self) -> &str {
        self.0.strip_prefix("*.").unwrap_or(&self.0)
    }
}

impl std::borrow::Borrow<str> for WildcardKey {
    fn borrow(&self) -> &str {
        self.suffix()
    }
}

impl PartialEq for WildcardKey {
    fn eq(&self, other: &Self) -> bool {
        self.suffix() == other.suffix()
    }
}

impl Eq for WildcardKey {}

impl std::hash::Hash for WildcardKey {
    // Must hash as the borrowed form does (`Borrow` contract).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.suffix().hash(state);
    }
}

/// Strips the port and one trailing dot from a `Host` header or `:authority` value, by slicing.
///
/// * `foo.com:8080` -> `foo.com`; `[::1]:80` -> `::1`; `[::1]` -> `::1`.
/// * A bare IPv6 literal (several `:` and no brackets) is left alone: it has no port to strip.
/// * One trailing dot goes (`foo.com.` -> `foo.com`), as nginx does (semantics B1.4, our call).
///
/// Case is not touched here; lookups compare ASCII case-insensitively.
pub(crate) fn normalize_host(host: &str) -> &str {
    normalize_host_and_case(host).0
}

/// [`normalize_host`], and whether the result has an ASCII upper-case letter, in one scan.
#[inline]
pub(crate) fn normalize_host_and_case(host: &str) -> (&str, bool) {
    let (host, upper) = if let Some(rest) = host.strip_prefix('[') {
        let inner = match rest.find(']') {
            Some(end) => &rest[..end],
            None => host,
        };
        (inner, crate::scan::any_upper(inner.as_bytes()))
    } else {
        let bytes = host.as_bytes();
        match crate::scan::scan_host(bytes) {
            // Only one colon: `name:port`. The port must be digits (possibly none: `foo.com:`).
            (Some(i), upper) if bytes[i + 1..].iter().all(u8::is_ascii_digit) => {
                (&host[..i], upper)
            }
            (Some(_), _) => (host, crate::scan::any_upper(bytes)),
            (None, upper) => (host, upper),
        }
    };
    (host.strip_suffix('.').unwrap_or(host), upper)
}

/// The part of a (normalised) request host a wildcard rule compares with its suffix: everything
/// after the first dot, when the first label is not empty.
pub(crate) fn wildcard_suffix(host: &str) -> Option<&str> {
    match host.find('.') {
        Some(dot) if dot > 0 => Some(&host[dot + 1..]),
        _ => None,
    }
}

/// `s` in ASCII lower case, borrowing `s` when it has no upper-case letter and copying into `buf`
/// otherwise. `None` when `s` needs copying and is longer than `buf`.
///
/// This is the hot path's only case handling: no allocation (STYLE.md, linkerd's approach).
pub(crate) fn ascii_lowercase<'a>(s: &'a str, buf: &'a mut [u8]) -> Option<&'a str> {
    if !s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Some(s);
    }
    let out = buf.get_mut(..s.len())?;
    for (o, b) in out.iter_mut().zip(s.bytes()) {
        *o = b.to_ascii_lowercase();
    }
    // Lower-casing ASCII bytes keeps UTF-8 valid, so this cannot fail.
    std::str::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_port_and_one_trailing_dot() {
        assert_eq!(normalize_host("foo.com:8080"), "foo.com");
        assert_eq!(normalize_host("foo.com:"), "foo.com");
        assert_eq!(normalize_host("foo.com."), "foo.com");
        assert_eq!(normalize_host("foo.com.."), "foo.com.");
        assert_eq!(normalize_host("foo.com.:80"), "foo.com");
        assert_eq!(normalize_host("[::1]:80"), "::1");
        assert_eq!(normalize_host("[::1]"), "::1");
        assert_eq!(normalize_host("::1"), "::1");
        assert_eq!(normalize_host("foo:bar"), "foo:bar");
        assert_eq!(normalize_host(""), "");
    }

    #[test]
    fn wildcard_suffix_needs_a_non_empty_first_label() {
        assert_eq!(wildcard_suffix("a.b.c"), Some("b.c"));
        assert_eq!(wildcard_suffix(".b.c"), None);
        assert_eq!(wildcard_suffix("abc"), None);
        assert_eq!(wildcard_suffix("a."), Some(""));
    }

    #[test]
    fn lowercase_borrows_when_possible() {
        let mut buf = [0u8; 8];
        assert_eq!(ascii_lowercase("abc", &mut buf), Some("abc"));
        assert_eq!(ascii_lowercase("AbC", &mut buf), Some("abc"));
        assert_eq!(ascii_lowercase("ÄBC", &mut buf), Some("Äbc"));
        assert_eq!(ascii_lowercase("ABCDEFGHI", &mut buf), None);
    }

    #[test]
    fn patterns() {
        let exact = HostPattern::from_rule(Some("foo.bar.com"));
        assert!(exact.matches("FOO.bar.com."));
        assert!(!exact.matches("x.foo.bar.com"));
        assert_eq!(HostPattern::from_rule(Some("")), HostPattern::Any);
        assert_eq!(
            HostPattern::from_rule(Some("*.a.b"))
                .to_rule_host()
                .as_deref(),
            Some("*.a.b")
        );
    }
}
