//! Canaries: a second Ingress marked `canary: "true"` whose Service takes part of the traffic
//! of the primary Service it is attached to, by header, cookie or weight (ingress-nginx's
//! `balancer.lua`, decided per request after the location is chosen).
//!
//! The random draw of the weight is an input ([`CanaryRequest::draw`]), so the decision is a
//! pure function of the request.

use std::fmt;

use ingress_model::IngressKey;

use crate::nginx::annotations::{Reader, basic_chars, regex_chars};
use crate::rule::PathRule;

/// The `canary-*` annotations of a canary Ingress.
#[derive(Clone, Debug)]
pub(crate) struct CanaryRules {
    by_header: Option<Box<str>>,
    by_header_value: Option<Box<str>>,
    /// The pattern, or why it does not compile (then a request with the header goes to the
    /// primary: Lua's `ngx.re.match` fails).
    by_header_pattern: Option<Result<regex::Regex, String>>,
    by_cookie: Option<Box<str>>,
    weight: i64,
    weight_total: i64,
}

impl PartialEq for CanaryRules {
    fn eq(&self, other: &Self) -> bool {
        let pattern = |r: &Self| {
            r.by_header_pattern.as_ref().map(|p| match p {
                Ok(re) => Ok(re.as_str().to_owned()),
                Err(e) => Err(e.clone()),
            })
        };
        (
            &self.by_header,
            &self.by_header_value,
            &self.by_cookie,
            self.weight,
            self.weight_total,
        ) == (
            &other.by_header,
            &other.by_header_value,
            &other.by_cookie,
            other.weight,
            other.weight_total,
        ) && pattern(self) == pattern(other)
    }
}

impl Eq for CanaryRules {}

impl CanaryRules {
    /// The rules of a canary Ingress, or `None` when it is not one (`canary` absent or not
    /// true). As in ingress-nginx, `canary-*` annotations without `canary: "true"` are ignored
    /// (reported) and the Ingress is an ordinary one.
    pub(crate) fn read<'v, G>(reader: &mut Reader<'_, G>) -> Option<CanaryRules>
    where
        G: Fn(&str) -> Option<(String, &'v str)>,
    {
        if !reader.boolean("canary").unwrap_or(false) {
            // ingress-nginx's "configured but not enabled": the rules are dropped.
            for name in [
                "canary-by-header",
                "canary-by-header-value",
                "canary-by-header-pattern",
                "canary-by-cookie",
                "canary-weight",
                "canary-weight-total",
            ] {
                reader.note(
                    name,
                    "canary annotations without canary: \"true\" are ignored",
                );
            }
            return None;
        }
        Some(CanaryRules {
            by_header: reader.string("canary-by-header", basic_chars),
            by_header_value: reader.string("canary-by-header-value", basic_chars),
            by_header_pattern: reader
                .string("canary-by-header-pattern", regex_chars)
                .map(|p| regex::Regex::new(&p).map_err(|e| e.to_string())),
            by_cookie: reader.string("canary-by-cookie", basic_chars),
            weight: reader.integer("canary-weight").unwrap_or(0),
            weight_total: reader.integer("canary-weight-total").unwrap_or(100),
        })
    }

    /// The pattern's compile error, if it has one.
    pub(crate) fn pattern_error(&self) -> Option<&str> {
        match &self.by_header_pattern {
            Some(Err(e)) => Some(e),
            _ => None,
        }
    }

    /// Whether the canary takes `request`, and why, in `balancer.lua`'s order: the header
    /// (with its value, else its pattern, else `always` / `never`), then the cookie (`always`
    /// / `never`), then the weight. `never` and a pattern that fails send the request to the
    /// primary at once.
    pub(crate) fn decide(&self, request: &dyn CanaryRequest) -> CanaryVerdict {
        use CanaryReason as R;
        if let Some(name) = &self.by_header
            && let Some(value) = request.header(name)
        {
            if let Some(want) = &self.by_header_value {
                if value == &**want {
                    return CanaryVerdict::canary(R::HeaderValue);
                }
            } else if let Some(pattern) = &self.by_header_pattern {
                match pattern {
                    Ok(re) if re.is_match(value) => {
                        return CanaryVerdict::canary(R::HeaderPattern);
                    }
                    Ok(_) => {}
                    Err(_) => return CanaryVerdict::primary(R::PatternError),
                }
            } else if value == "always" {
                return CanaryVerdict::canary(R::HeaderAlways);
            } else if value == "never" {
                return CanaryVerdict::primary(R::HeaderNever);
            }
        }
        if let Some(name) = &self.by_cookie
            && let Some(value) = cookie(request, name)
        {
            match value {
                "always" => return CanaryVerdict::canary(R::CookieAlways),
                "never" => return CanaryVerdict::primary(R::CookieNever),
                _ => {}
            }
        }
        // `math.random(total) <= weight`, total at least 100.
        let total = if self.weight_total > 100 {
            self.weight_total
        } else {
            100
        };
        let draw = request.draw().clamp(0.0, 1.0);
        let target = ((draw * total as f64) as i64 + 1).min(total);
        let reason = R::Weight {
            weight: self.weight,
            total,
        };
        if target <= self.weight {
            CanaryVerdict::canary(reason)
        } else {
            CanaryVerdict::primary(reason)
        }
    }
}

/// What a canary decision reads from a request: its headers (cookies come from `Cookie`) and
/// a random draw in `[0, 1)` for the weight.
///
/// `header` is asked with the name as the annotation writes it; ingress-nginx finds headers
/// ASCII case-insensitively with `-` and `_` alike, and, when a header is repeated, reads the
/// first (nginx 1.22; later nginx joins them with `, `).
pub trait CanaryRequest {
    /// The first value of the header `name` (ASCII case-insensitive, `-` and `_` alike).
    fn header(&self, name: &str) -> Option<&str>;

    /// A number in `[0, 1)`: the canary takes the request when `draw * total + 1 <= weight`
    /// (ingress-nginx's `math.random(total) <= weight`). A gateway draws it at random; a tool
    /// that wants to show the weighted split passes a fixed value.
    fn draw(&self) -> f64;
}

/// Whether two header names are the same for nginx's `$http_*` variables.
pub fn same_header_name(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes().zip(b.bytes()).all(|(x, y)| {
            let fold = |c: u8| {
                if c == b'_' {
                    b'-'
                } else {
                    c.to_ascii_lowercase()
                }
            };
            fold(x) == fold(y)
        })
}

/// The value of cookie `name` in the request's `Cookie` header (name matched ASCII
/// case-insensitively, as nginx's `$cookie_*` does).
fn cookie<'r>(request: &'r dyn CanaryRequest, name: &str) -> Option<&'r str> {
    request
        .header("Cookie")?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Headers as name-value pairs, with a draw: the simplest [`CanaryRequest`].
///
/// # Examples
///
/// ```
/// use ingress_router::nginx::{CanaryRequest, Headers};
///
/// let req = Headers::new([("X-Canary", "always"), ("Cookie", "a=1; beta=never")]).with_draw(0.5);
/// assert_eq!(req.header("x_canary"), Some("always"));
/// assert_eq!(req.draw(), 0.5);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Headers {
    pairs: Vec<(String, String)>,
    draw: f64,
}

impl Headers {
    /// These headers, and a draw of 0 (a canary with a positive weight takes the request).
    pub fn new<N: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        Headers {
            pairs: pairs
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
            draw: 0.0,
        }
    }

    /// The same headers with `draw` as the random draw.
    #[must_use]
    pub fn with_draw(mut self, draw: f64) -> Self {
        self.draw = draw;
        self
    }
}

impl CanaryRequest for Headers {
    fn header(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| same_header_name(n, name))
            .map(|(_, v)| v.as_str())
    }

    fn draw(&self) -> f64 {
        self.draw
    }
}

/// An `http::HeaderMap` and a draw, the [`CanaryRequest`] of a gateway (feature `http`).
///
/// # Examples
///
/// ```
/// use ingress_router::nginx::{CanaryRequest, HttpCanaryRequest};
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-canary", http::HeaderValue::from_static("always"));
/// let request = HttpCanaryRequest::new(&headers, 0.25);
/// assert_eq!(request.header("X_Canary"), Some("always"));
/// assert_eq!(request.draw(), 0.25);
/// ```
#[cfg(feature = "http")]
#[derive(Clone, Copy, Debug)]
pub struct HttpCanaryRequest<'h> {
    headers: &'h http::HeaderMap,
    draw: f64,
}

#[cfg(feature = "http")]
impl<'h> HttpCanaryRequest<'h> {
    /// The headers of a request, and the draw a weighted canary is decided with.
    pub fn new(headers: &'h http::HeaderMap, draw: f64) -> Self {
        HttpCanaryRequest { headers, draw }
    }
}

#[cfg(feature = "http")]
impl CanaryRequest for HttpCanaryRequest<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        // nginx drops header names with `_` (`underscores_in_headers off`), and its `$http_*`
        // reads `-` and `_` alike: the first header whose name folds to `name`'s.
        self.headers
            .iter()
            .find(|(n, _)| !n.as_str().contains('_') && same_header_name(n.as_str(), name))
            .and_then(|(_, v)| v.to_str().ok())
    }

    fn draw(&self) -> f64 {
        self.draw
    }
}

/// Whether the canary took a request, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CanaryVerdict {
    /// `true`: the canary's backend; `false`: the primary's.
    pub canary: bool,
    /// What decided.
    pub reason: CanaryReason,
}

impl CanaryVerdict {
    fn canary(reason: CanaryReason) -> Self {
        CanaryVerdict {
            canary: true,
            reason,
        }
    }

    fn primary(reason: CanaryReason) -> Self {
        CanaryVerdict {
            canary: false,
            reason,
        }
    }
}

/// What decided a [`CanaryVerdict`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CanaryReason {
    /// `canary-by-header` present with the `canary-by-header-value`.
    HeaderValue,
    /// `canary-by-header` present, matching `canary-by-header-pattern`.
    HeaderPattern,
    /// `canary-by-header` present with a pattern that does not compile.
    PatternError,
    /// `canary-by-header: always`.
    HeaderAlways,
    /// `canary-by-header: never`.
    HeaderNever,
    /// `canary-by-cookie` set to `always`.
    CookieAlways,
    /// `canary-by-cookie` set to `never`.
    CookieNever,
    /// The weighted draw (`canary-weight` out of `canary-weight-total`, at least 100).
    Weight {
        /// `canary-weight`.
        weight: i64,
        /// The total the draw is out of.
        total: i64,
    },
}

impl fmt::Display for CanaryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CanaryReason::HeaderValue => f.write_str("the canary header has the canary value"),
            CanaryReason::HeaderPattern => f.write_str("the canary header matches the pattern"),
            CanaryReason::PatternError => {
                f.write_str("the canary header pattern does not compile: primary")
            }
            CanaryReason::HeaderAlways => f.write_str("the canary header says always"),
            CanaryReason::HeaderNever => f.write_str("the canary header says never"),
            CanaryReason::CookieAlways => f.write_str("the canary cookie says always"),
            CanaryReason::CookieNever => f.write_str("the canary cookie says never"),
            CanaryReason::Weight { weight, total } => {
                write!(f, "the weighted draw ({weight} of {total})")
            }
        }
    }
}

/// The canary attached to a matched location's Service: its backend and Ingress, and the rules
/// that decide per request ([`Canary::decide`]).
pub struct Canary<'t, B> {
    /// The canary's backend payload.
    pub backend: &'t B,
    /// The canary Ingress.
    pub source: &'t IngressKey,
    /// The canary's path rule, when it attached by a path (`None` for its `defaultBackend`).
    pub rule: Option<&'t PathRule>,
    pub(crate) rules: &'t CanaryRules,
}

impl<B> Canary<'_, B> {
    /// Whether the canary takes this request, and why.
    pub fn decide(&self, request: &dyn CanaryRequest) -> CanaryVerdict {
        self.rules.decide(request)
    }
}

impl<B> Clone for Canary<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Canary<'_, B> {}

impl<B: fmt::Debug> fmt::Debug for Canary<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Canary")
            .field("backend", self.backend)
            .field("source", self.source)
            .field("rules", self.rules)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(by_header: Option<&str>, value: Option<&str>, pattern: Option<&str>) -> CanaryRules {
        CanaryRules {
            by_header: by_header.map(Into::into),
            by_header_value: value.map(Into::into),
            by_header_pattern: pattern.map(|p| regex::Regex::new(p).map_err(|e| e.to_string())),
            by_cookie: Some("Canary-By-Cookie".into()),
            weight: 0,
            weight_total: 100,
        }
    }

    fn takes(r: &CanaryRules, headers: &[(&str, &str)]) -> bool {
        r.decide(&Headers::new(headers.iter().copied())).canary
    }

    // The cases of ingress-nginx's canary e2e tests (test/e2e/annotations/canary.go).
    #[test]
    fn by_header() {
        let r = rules(Some("CanaryByHeader"), None, None);
        assert!(takes(&r, &[("CanaryByHeader", "always")]));
        assert!(!takes(&r, &[("CanaryByHeader", "never")]));
        assert!(!takes(&r, &[("CanaryByHeader", "badheadervalue")]));
        assert!(!takes(&r, &[]));
        // `never` decides before the cookie.
        assert!(!takes(
            &r,
            &[
                ("CanaryByHeader", "never"),
                ("Cookie", "Canary-By-Cookie=always")
            ]
        ));
    }

    #[test]
    fn by_header_value_and_pattern() {
        let r = rules(Some("CanaryByHeader"), Some("DoCanary"), None);
        assert!(takes(&r, &[("CanaryByHeader", "DoCanary")]));
        assert!(!takes(&r, &[("CanaryByHeader", "always")]));
        // Anything else falls through to the cookie.
        assert!(takes(
            &r,
            &[
                ("CanaryByHeader", "otherheadervalue"),
                ("Cookie", "Canary-By-Cookie=always")
            ]
        ));
        let p = rules(Some("CanaryByHeader"), None, Some("^Do[A-Z][a-z]+y$"));
        assert!(takes(&p, &[("CanaryByHeader", "DoCanary")]));
        assert!(!takes(&p, &[("CanaryByHeader", "Docanary")]));
        // A value wins over a pattern.
        let both = rules(Some("CanaryByHeader"), Some("DoCanary"), Some("^Do.*"));
        assert!(!takes(&both, &[("CanaryByHeader", "DoCananry")]));
        // A pattern that does not compile sends the request to the primary at once.
        let broken = rules(Some("CanaryByHeader"), None, Some("[][**da?$&*"));
        assert!(!takes(
            &broken,
            &[
                ("CanaryByHeader", "DoCanary"),
                ("Cookie", "Canary-By-Cookie=always")
            ]
        ));
    }

    #[test]
    fn by_cookie_and_weight() {
        let r = rules(None, None, None);
        assert!(takes(&r, &[("Cookie", "x=1; canary-by-cookie=always")]));
        assert!(!takes(&r, &[("Cookie", "Canary-By-Cookie=never")]));
        assert!(!takes(&r, &[("Cookie", "Canary-By-Cookie=badcookievalue")]));
        let weighted = |weight, weight_total, draw: f64| {
            CanaryRules {
                weight,
                weight_total,
                ..rules(None, None, None)
            }
            .decide(&Headers::new([("a", "b")]).with_draw(draw))
            .canary
        };
        assert!(!weighted(0, 1000, 0.0));
        assert!(weighted(100, 1000, 0.0999));
        assert!(!weighted(100, 1000, 0.1));
        assert!(weighted(1000, 1000, 0.9999));
        assert!(weighted(30, 100, 0.29) && !weighted(30, 100, 0.30));
        // A total below 100 counts as 100.
        assert!(!weighted(10, 10, 0.5));
    }

    #[test]
    fn header_names_fold_case_and_underscores() {
        assert!(same_header_name("X-Canary", "x_canary"));
        assert!(!same_header_name("X-Canary", "X-Canar"));
    }
}
