//! The outcome of a lookup: [`Decision`] and [`Match`].

use std::fmt;

use crate::rule::PathRule;
use ingress_model::IngressKey;

/// Where a request goes (DESIGN.md rules 1 to 5). Borrows from the table only.
///
/// # Examples
///
/// ```
/// use ingress_router::{Decision, RequestView, RouteTable};
/// # use ingress_model::Ingress;
/// # let ingress: Ingress = serde_json::from_str(r#"{
/// #   "metadata": {"name": "web", "namespace": "default"},
/// #   "spec": {"rules": [{"host": "foo.com", "http": {"paths": [
/// #     {"path": "/api", "pathType": "Prefix",
/// #      "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}}]}
/// # }"#)?;
/// let table = RouteTable::builder().add(&ingress).build().table;
/// match table.find(&RequestView::new("foo.com", "/api/users")) {
///     Decision::Route(m) => {
///         assert_eq!(m.backend.to_string(), "service/api:80");
///         assert_eq!(m.source.to_string(), "default/web");
///         assert_eq!(m.rule.host(), Some("foo.com"));
///         assert_eq!(m.rule.path(), "/api");
///         assert_eq!(m.rule.path_type().as_str(), "Prefix");
///         assert_eq!((m.rule.rule_index(), m.rule.path_index()), (0, 0));
///     }
///     other => panic!("expected a route, got {other:?}"),
/// }
/// # Ok::<(), serde_json::Error>(())
/// ```
pub enum Decision<'t, B> {
    /// A path rule matched.
    Route(Match<'t, B>),
    /// No path rule matched; an Ingress's `spec.defaultBackend` answers (DESIGN.md rule 5).
    DefaultBackend {
        /// The backend.
        backend: &'t B,
        /// The Ingress whose `defaultBackend` it is.
        source: &'t IngressKey,
    },
    /// Nothing matched and no default backend applies: a gateway answers 404.
    NotFound,
}

/// A matched path rule: the backend, the Ingress, and the rule itself.
pub struct Match<'t, B> {
    /// The backend payload of the path.
    pub backend: &'t B,
    /// The Ingress the rule comes from.
    pub source: &'t IngressKey,
    /// The rule: host, path and pathType as written, indices, resolved match kind.
    pub rule: &'t PathRule,
}

// === impl Decision ===

impl<'t, B> Decision<'t, B> {
    /// The backend, unless not found.
    pub fn backend(&self) -> Option<&'t B> {
        match self {
            Decision::Route(m) => Some(m.backend),
            Decision::DefaultBackend { backend, .. } => Some(backend),
            Decision::NotFound => None,
        }
    }

    /// The Ingress that decided, unless not found.
    pub fn source(&self) -> Option<&'t IngressKey> {
        match self {
            Decision::Route(m) => Some(m.source),
            Decision::DefaultBackend { source, .. } => Some(source),
            Decision::NotFound => None,
        }
    }

    /// The matched rule, for [`Decision::Route`].
    pub fn rule(&self) -> Option<&'t PathRule> {
        match self {
            Decision::Route(m) => Some(m.rule),
            _ => None,
        }
    }

    /// Whether nothing answers the request.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Decision::NotFound)
    }
}

impl<B> Clone for Decision<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Decision<'_, B> {}

impl<B: fmt::Debug> fmt::Debug for Decision<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Route(m) => f.debug_tuple("Route").field(m).finish(),
            Decision::DefaultBackend { backend, source } => f
                .debug_struct("DefaultBackend")
                .field("backend", backend)
                .field("source", source)
                .finish(),
            Decision::NotFound => f.write_str("NotFound"),
        }
    }
}

// === impl Match ===

impl<B> Clone for Match<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Match<'_, B> {}

impl<B: fmt::Debug> fmt::Debug for Match<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Match")
            .field("backend", self.backend)
            .field("rule", self.rule)
            .finish()
    }
}
