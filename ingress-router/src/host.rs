//! Hosts: [`HostPattern`] for rule hosts, and the request-side normalisation (port, trailing dot,
//! ASCII case, names and opaque hosts) of the crate docs' section 1.

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
    /// satisfies this pattern, ignoring the other rules of the table. An opaque host (an IP
    /// literal, userinfo, a byte a name cannot have: crate docs, section 1) satisfies only
    /// [`HostPattern::Any`].
    ///
    /// A table selects one host group per request (exact, then wildcard, then no host); this
    /// method only answers for one pattern.
    pub fn matches(&self, request_host: &str) -> bool {
        let RequestHost { host, name, .. } = self::request_host(request_host);
        match self {
            HostPattern::Any => true,
            _ if !name => false,
            HostPattern::Exact(h) => host.eq_ignore_ascii_case(h),
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

/// A request host as the table reads it (crate docs, section 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RequestHost<'a> {
    /// Without port and one trailing dot, case as sent; an IP literal keeps its brackets.
    pub(crate) host: &'a str,
    /// A non-empty host of name bytes only (`scan::is_name_byte`): the only kind that can
    /// select a named host group. Every other host is opaque and selects the host-less group.
    pub(crate) name: bool,
    /// A name with an ASCII upper-case letter (always `false` for an opaque host, which is
    /// never compared).
    pub(crate) upper: bool,
}

/// Reads a `Host` header or `:authority` value, by slicing (crate docs, section 1):
///
/// * `foo.com:8080` -> `foo.com`, `foo.com:` -> `foo.com`: one `:` followed by digits or
///   nothing is a port;
/// * `[::1]:80` -> `[::1]`: a bracketed IP literal followed by a port or nothing keeps its
///   brackets (it is opaque anyway);
/// * anything else with a `:` (`::1`, `foo.com:http`, `a:1:2`, `[::1]x`) is kept whole, and is
///   opaque since a name has no `:`;
/// * then one trailing dot goes (`foo.com.` -> `foo.com`), as nginx does (our call).
///
/// Nothing is cut off the front: `user@foo.com` stays as it is, and is opaque.
#[inline]
pub(crate) fn request_host(raw: &str) -> RequestHost<'_> {
    fn opaque(host: &str) -> RequestHost<'_> {
        RequestHost {
            host: strip_dot(host),
            name: false,
            upper: false,
        }
    }
    if raw.starts_with('[') {
        return match raw.find(']') {
            Some(close) if is_port(&raw[close + 1..]) => opaque(&raw[..=close]),
            _ => opaque(raw),
        };
    }
    let bytes = raw.as_bytes();
    let scan = crate::scan::scan_host(bytes);
    let end = match scan.colon {
        Some(i) if bytes[i + 1..].iter().all(u8::is_ascii_digit) => i,
        Some(_) => return opaque(raw),
        None => raw.len(),
    };
    let host = strip_dot(&raw[..end]);
    let name = !scan.other && !host.is_empty();
    RequestHost {
        host,
        name,
        upper: name && scan.upper,
    }
}

/// `:` and digits, or nothing: what may follow an IP literal's `]`.
fn is_port(rest: &str) -> bool {
    rest.is_empty()
        || rest
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn strip_dot(host: &str) -> &str {
    host.strip_suffix('.').unwrap_or(host)
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
/// This is the hot path's only case handling: no allocation (linkerd's approach).
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

    fn normalize_host(host: &str) -> &str {
        request_host(host).host
    }

    #[test]
    fn strips_port_and_one_trailing_dot() {
        assert_eq!(normalize_host("foo.com:8080"), "foo.com");
        assert_eq!(normalize_host("foo.com:"), "foo.com");
        assert_eq!(normalize_host("foo.com."), "foo.com");
        assert_eq!(normalize_host("foo.com.."), "foo.com.");
        assert_eq!(normalize_host("foo.com.:80"), "foo.com");
        assert_eq!(normalize_host("[::1]:80"), "[::1]");
        assert_eq!(normalize_host("[::1]"), "[::1]");
        assert_eq!(normalize_host("[::1]x"), "[::1]x");
        assert_eq!(normalize_host("[::1"), "[::1");
        assert_eq!(normalize_host("::1"), "::1");
        assert_eq!(normalize_host("foo:bar"), "foo:bar");
        assert_eq!(normalize_host("user@foo.com:80"), "user@foo.com");
        assert_eq!(normalize_host(""), "");
    }

    #[test]
    fn only_names_can_match() {
        for host in ["foo.com", "Foo.com.:80", "x_y~z-0.com", "203.0.113.7"] {
            assert!(request_host(host).name, "{host}");
        }
        for host in [
            "",
            ":80",
            ".",
            "[::1]",
            "[foo.com]",
            "[foo.com",
            "::1",
            "foo.com:http",
            "foo.com:80:90",
            "user@foo.com",
            " foo.com",
            "foo.com\t",
            "f\u{f6}\u{f6}.com",
            "foo%2ecom",
            "*.foo.com",
        ] {
            assert!(!request_host(host).name, "{host:?}");
        }
        assert!(request_host("FOO.com").upper);
        assert!(
            !request_host("foo.com:HTTP").upper,
            "opaque: never compared"
        );
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
        assert!(!exact.matches("user@foo.bar.com"));
        assert!(!exact.matches("[foo.bar.com]"));
        let wild = HostPattern::from_rule(Some("*.bar.com"));
        assert!(wild.matches("x.bar.com"));
        assert!(!wild.matches("user@x.bar.com"));
        assert!(!wild.matches("[x.bar.com"));
        assert!(!wild.matches("x y.bar.com"));
        assert!(HostPattern::Any.matches("[x.bar.com"));
        assert_eq!(HostPattern::from_rule(Some("")), HostPattern::Any);
        assert_eq!(
            HostPattern::from_rule(Some("*.a.b"))
                .to_rule_host()
                .as_deref(),
            Some("*.a.b")
        );
    }
}
