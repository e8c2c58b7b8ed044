//! [`PathRule`]: one compiled `spec.rules[i].http.paths[j]`, with everything a caller needs to
//! explain a decision.

use std::fmt;
use std::sync::Arc;

use ingress_model::PathType;

use crate::error::RuleOrigin;
use crate::path::{MatchKind, PathPattern};
use ingress_model::IngressKey;

/// One path of one rule of one Ingress, as it sits in a table.
#[derive(Clone)]
pub struct PathRule {
    pub(crate) source: IngressKey,
    pub(crate) created: Option<i64>,
    pub(crate) host: Option<Arc<str>>,
    pub(crate) pattern: PathPattern,
    pub(crate) path_type: PathType,
    /// The path was written as `""` (an `ImplementationSpecific` path; matched as `/`).
    pub(crate) written_empty: bool,
    pub(crate) rule_index: u32,
    pub(crate) path_index: u32,
}

// === impl PathRule ===

impl PathRule {
    /// The Ingress the rule comes from.
    pub fn source(&self) -> &IngressKey {
        &self.source
    }

    /// The Ingress's `creationTimestamp` in seconds since the Unix epoch, if it had a valid one.
    pub fn created(&self) -> Option<i64> {
        self.created
    }

    /// The rule host as written (`*.foo.com` for a wildcard); `None` for a rule without host.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The path as written (`""` stays `""`; see [`PathRule::pattern`] for what is matched).
    pub fn path(&self) -> &str {
        if self.written_empty {
            ""
        } else {
            self.pattern.path()
        }
    }

    /// The `pathType` as written.
    pub fn path_type(&self) -> &PathType {
        &self.path_type
    }

    /// How the path is matched (`ImplementationSpecific` resolved by the table's config).
    pub fn kind(&self) -> MatchKind {
        self.pattern.kind()
    }

    /// The path condition as matched.
    pub fn pattern(&self) -> &PathPattern {
        &self.pattern
    }

    /// Index in `spec.rules`.
    pub fn rule_index(&self) -> usize {
        self.rule_index as usize
    }

    /// Index in `spec.rules[rule_index].http.paths`.
    pub fn path_index(&self) -> usize {
        self.path_index as usize
    }

    /// The field path, `spec.rules[i].http.paths[j]`.
    pub fn field(&self) -> String {
        format!(
            "spec.rules[{}].http.paths[{}]",
            self.rule_index, self.path_index
        )
    }

    /// Ingress and indices.
    pub fn origin(&self) -> RuleOrigin {
        RuleOrigin {
            source: self.source.clone(),
            rule_index: self.rule_index(),
            path_index: self.path_index(),
        }
    }
}

impl fmt::Debug for PathRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PathRule")
            .field("source", &self.source)
            .field("host", &self.host())
            .field("path", &self.path())
            .field("path_type", &self.path_type.as_str())
            .field("kind", &self.kind())
            .field("rule_index", &self.rule_index)
            .field("path_index", &self.path_index)
            .finish()
    }
}

impl fmt::Display for PathRule {
    /// `ns/name spec.rules[i].http.paths[j] (host "h" path "/p" Prefix)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} (host {:?} path {:?} {})",
            self.source,
            self.field(),
            self.host().unwrap_or(""),
            self.path(),
            self.path_type
        )
    }
}

/// One route of a block: the paths one Ingress brings to one host group share one allocation,
/// and a group refers to each by block and index.
pub(crate) struct RouteRef<B> {
    block: Arc<[Route<B>]>,
    at: u32,
}

impl<B> RouteRef<B> {
    /// Every route of a block.
    pub(crate) fn all(block: &Arc<[Route<B>]>) -> impl Iterator<Item = RouteRef<B>> + '_ {
        (0..block.len()).map(|at| RouteRef {
            block: block.clone(),
            at: at as u32,
        })
    }
}

impl<B> Clone for RouteRef<B> {
    fn clone(&self) -> Self {
        RouteRef {
            block: self.block.clone(),
            at: self.at,
        }
    }
}

impl<B> std::ops::Deref for RouteRef<B> {
    type Target = Route<B>;

    #[inline]
    fn deref(&self) -> &Route<B> {
        &self.block[self.at as usize]
    }
}

/// A path rule with its backend payload.
pub(crate) struct Route<B> {
    pub(crate) rule: PathRule,
    pub(crate) backend: B,
    /// Under the ingress-nginx profile: the upstream (`namespace-service-port`), which
    /// canaries attach to.
    pub(crate) upstream: Option<Arc<str>>,
}

impl<B: fmt::Debug> fmt::Debug for Route<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("rule", &self.rule)
            .field("backend", &self.backend)
            .finish()
    }
}
